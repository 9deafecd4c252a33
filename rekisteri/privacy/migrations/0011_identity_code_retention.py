"""Identity codes get a retention policy of their own (P8): a code is removed a set
time after the customer's last invoice order was paid, three months by default;
docs/retention.md gives the reason. A policy the privacy officer has already set is
left as it is.

The value is written out here rather than imported, as in 0003."""

from django.db import migrations, models

CATEGORY = "identity_codes"
MONTHS = 3


def seed(apps, schema_editor):
    RetentionPolicy = apps.get_model("privacy", "RetentionPolicy")
    RetentionPolicy.objects.get_or_create(
        category=CATEGORY, defaults={"months": MONTHS, "enabled": True}
    )


def unseed(apps, schema_editor):
    RetentionPolicy = apps.get_model("privacy", "RetentionPolicy")
    RetentionPolicy.objects.filter(category=CATEGORY, updated_at__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("privacy", "0010_replay_acts")]

    operations = [
        migrations.AlterField(
            model_name="retentionpolicy",
            name="category",
            field=models.CharField(
                choices=[
                    ("inactive_customers", "Customers with no orders or activity"),
                    ("orders", "Orders and invoices after their accounting period"),
                    ("consent_evidence", "Consent evidence after withdrawal"),
                    ("credit_checks", "Credit check details"),
                    ("campaign_messages", "Campaign message logs"),
                    ("shop_deliveries", "Orders as the web shops sent them"),
                    ("identity_codes", "Identity codes after the last invoice is paid"),
                    ("audit_events", "Audit events"),
                ],
                max_length=20,
                unique=True,
                verbose_name="category",
            ),
        ),
        migrations.RunPython(seed, unseed),
    ]
