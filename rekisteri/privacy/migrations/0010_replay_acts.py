from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("privacy", "0009_default_shop_deliveries_policy")]

    operations = [
        migrations.CreateModel(
            name="ReplayLogEntry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("act_id", models.UUIDField(unique=True, verbose_name="act id")),
                ("customer_public_id", models.UUIDField(verbose_name="customer id")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("withdrawal", "Consent withdrawn"),
                            ("objection", "Objection to direct marketing (GDPR art. 21)"),
                            ("ban", "Direct marketing ban"),
                            ("ban_lifted", "Direct marketing ban lifted"),
                            ("restriction", "Processing restricted (GDPR art. 18)"),
                            ("restriction_lifted", "Restriction lifted"),
                        ],
                        max_length=20,
                        verbose_name="kind",
                    ),
                ),
                ("channel", models.CharField(blank=True, max_length=8, verbose_name="channel")),
                ("source", models.CharField(blank=True, max_length=20, verbose_name="source")),
                ("done_at", models.DateTimeField(verbose_name="done")),
            ],
            options={
                "verbose_name": "replay log entry",
                "verbose_name_plural": "replay log",
            },
        ),
    ]
