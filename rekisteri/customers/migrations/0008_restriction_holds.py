import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0007_customer_number_sequence"),
        ("orders", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="HeldChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("customer_update", "Change of the customer's data"),
                            ("order_create", "New order"),
                            ("order_status", "Change of an order's status"),
                        ],
                        max_length=32,
                        verbose_name="kind of change",
                    ),
                ),
                ("changed_fields", models.JSONField(blank=True, default=list)),
                ("payload_encrypted", models.TextField(blank=True)),
                ("requested_by_label", models.CharField(blank=True, max_length=150)),
                ("requested_at", models.DateTimeField(verbose_name="asked")),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("waiting", "Waiting for the privacy officer"),
                            ("applied", "Applied"),
                            ("rejected", "Rejected"),
                        ],
                        default="waiting",
                        max_length=16,
                        verbose_name="state",
                    ),
                ),
                ("decided_at", models.DateTimeField(blank=True, null=True, verbose_name="decided")),
                (
                    "ground",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("consent", "The person consented"),
                            ("legal_claims", "Establishment, exercise or defence of legal claims"),
                            ("other_person", "Protection of the rights of another person"),
                            ("public_interest", "Important public interest"),
                            ("lifted", "The restriction has been lifted"),
                        ],
                        max_length=32,
                        verbose_name="ground",
                    ),
                ),
                (
                    "decision_reason",
                    models.CharField(blank=True, max_length=500, verbose_name="reason"),
                ),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="held_changes",
                        to="customers.customer",
                    ),
                ),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "order",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="orders.order",
                    ),
                ),
                (
                    "requested_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "held change",
                "verbose_name_plural": "held changes",
                "indexes": [
                    models.Index(fields=["state", "requested_at"], name="held_change_state")
                ],
            },
        ),
    ]
