import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("privacy", "0011_identity_code_retention")]

    operations = [
        migrations.AddField(
            model_name="disclosure",
            name="recipient_email",
            field=models.EmailField(blank=True, max_length=254, verbose_name="recipient's email"),
        ),
        migrations.CreateModel(
            name="RequestNotice",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("receipt", "Receipt of the request"),
                            ("extension", "Extension of the deadline"),
                            ("refusal", "Refusal"),
                            ("completion", "Completion"),
                            ("recipient", "Notice to a recipient (art. 19)"),
                        ],
                        max_length=10,
                        verbose_name="notice",
                    ),
                ),
                ("language", models.CharField(max_length=2, verbose_name="language")),
                ("channel", models.CharField(blank=True, max_length=8, verbose_name="channel")),
                ("address", models.CharField(blank=True, max_length=254, verbose_name="address")),
                ("subject", models.CharField(max_length=200, verbose_name="subject")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Waiting to be sent"),
                            ("sent", "Sent"),
                            ("no_address", "No email address: tell them another way"),
                            ("failed", "Failed: tell them another way"),
                        ],
                        default="pending",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                ("created_at", models.DateTimeField(verbose_name="created")),
                ("sent_at", models.DateTimeField(blank=True, null=True, verbose_name="sent")),
                (
                    "disclosure",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="notices",
                        to="privacy.disclosure",
                    ),
                ),
                (
                    "subject_request",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notices",
                        to="privacy.subjectrequest",
                    ),
                ),
            ],
            options={
                "verbose_name": "request notice",
                "verbose_name_plural": "request notices",
            },
        ),
    ]
