import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0013_swedish_notice"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AccessCopy",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("queued", "Waiting for the background worker"),
                            ("running", "Being prepared"),
                            ("ready", "Ready to hand over"),
                            ("handed_over", "Handed over"),
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
                    "handed_over_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="handed over"),
                ),
                ("sections_total", models.PositiveIntegerField(default=0, verbose_name="sections")),
                (
                    "sections_done",
                    models.JSONField(blank=True, default=list, verbose_name="sections gathered"),
                ),
                ("file_encrypted", models.TextField(blank=True, verbose_name="copy (encrypted)")),
                ("file_size", models.PositiveIntegerField(default=0, verbose_name="file size")),
                (
                    "file_expires_at",
                    models.DateTimeField(
                        blank=True, null=True, verbose_name="file deleted at the latest"
                    ),
                ),
                ("error", models.CharField(blank=True, max_length=200, verbose_name="error")),
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
                    "subject_request",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="prepared_copies",
                        to="privacy.subjectrequest",
                        verbose_name="request",
                    ),
                ),
            ],
            options={
                "verbose_name": "prepared copy",
                "verbose_name_plural": "prepared copies",
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(
                                ("status__in", ("handed_over", "failed", "expired")), _negated=True
                            ),
                            ("file_encrypted", ""),
                            _connector="OR",
                        ),
                        name="accesscopy_ended_without_file",
                    )
                ],
            },
        ),
    ]
