import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("marketing", "0003_target_group_version"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AddressList",
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
                        choices=[("csv", "Address list (CSV)"), ("labels", "Address labels (PDF)")],
                        max_length=8,
                        verbose_name="kind",
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("queued", "Waiting for the background worker"),
                            ("running", "Being prepared"),
                            ("ready", "Ready to download"),
                            ("downloaded", "Downloaded"),
                            ("failed", "Stopped by an error"),
                            ("expired", "Expired"),
                        ],
                        max_length=12,
                        verbose_name="status",
                    ),
                ),
                ("created_at", models.DateTimeField(verbose_name="asked for")),
                ("started_at", models.DateTimeField(blank=True, null=True, verbose_name="started")),
                (
                    "finished_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="finished"),
                ),
                (
                    "downloaded_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="downloaded"),
                ),
                (
                    "rows_total",
                    models.PositiveIntegerField(blank=True, null=True, verbose_name="members"),
                ),
                (
                    "rows_done",
                    models.PositiveIntegerField(default=0, verbose_name="members handled"),
                ),
                (
                    "rows_written",
                    models.PositiveIntegerField(default=0, verbose_name="rows in the file"),
                ),
                (
                    "left_out_restriction_list",
                    models.PositiveIntegerField(
                        default=0, verbose_name="left out: on the restriction list"
                    ),
                ),
                (
                    "left_out_consents",
                    models.PositiveIntegerField(
                        default=0, verbose_name="left out: consents and bans"
                    ),
                ),
                ("file_encrypted", models.TextField(blank=True, verbose_name="file (encrypted)")),
                ("file_size", models.PositiveIntegerField(default=0, verbose_name="file size")),
                (
                    "file_expires_at",
                    models.DateTimeField(
                        blank=True, null=True, verbose_name="file deleted at the latest"
                    ),
                ),
                (
                    "error",
                    models.CharField(
                        blank=True,
                        choices=[
                            (
                                "restriction_list_unusable",
                                "The restriction list in force was imported under another "
                                "encryption key and cannot be matched. Import the list "
                                "again, then prepare the list again.",
                            ),
                            ("file_unreadable", "The prepared file could not be decrypted."),
                            (
                                "unexpected",
                                "An unexpected error stopped the work; it has been logged.",
                            ),
                        ],
                        max_length=32,
                        verbose_name="error",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="prepared by",
                    ),
                ),
                (
                    "target_group",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="address_lists",
                        to="marketing.targetgroup",
                        verbose_name="target group",
                    ),
                ),
            ],
            options={
                "verbose_name": "prepared address list",
                "verbose_name_plural": "prepared address lists",
                "indexes": [
                    models.Index(fields=["created_by", "-created_at"], name="addresslist_creator")
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(
                                ("status__in", ("downloaded", "failed", "expired")), _negated=True
                            ),
                            ("file_encrypted", ""),
                            _connector="OR",
                        ),
                        name="addresslist_ended_without_file",
                    )
                ],
            },
        ),
    ]
