import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("orders", "0005_identity_code_settled")]

    operations = [
        migrations.CreateModel(
            name="OrderConfirmation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "channel",
                    models.CharField(
                        choices=[
                            ("email", "Email"),
                            ("sms", "SMS"),
                            ("none", "No way to reach the customer"),
                        ],
                        max_length=8,
                        verbose_name="channel",
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("queued", "Waiting to be sent"),
                            ("sent", "Sent"),
                            ("failed", "Failed"),
                            ("not_sent", "Not sent"),
                        ],
                        default="queued",
                        max_length=16,
                        verbose_name="status",
                    ),
                ),
                ("language", models.CharField(max_length=2, verbose_name="language")),
                (
                    "tells_of_credit_check",
                    models.BooleanField(default=False, verbose_name="tells of the credit check"),
                ),
                ("requested_at", models.DateTimeField(verbose_name="requested")),
                (
                    "requested_by_label",
                    models.CharField(max_length=150, verbose_name="requested by"),
                ),
                (
                    "attempts",
                    models.PositiveSmallIntegerField(default=0, verbose_name="attempts"),
                ),
                ("sent_at", models.DateTimeField(blank=True, null=True, verbose_name="sent")),
                ("detail", models.CharField(blank=True, max_length=64, verbose_name="detail")),
                (
                    "order",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="confirmations",
                        to="orders.order",
                    ),
                ),
            ],
            options={
                "verbose_name": "order confirmation",
                "verbose_name_plural": "order confirmations",
                "ordering": ["requested_at", "id"],
            },
        ),
    ]
