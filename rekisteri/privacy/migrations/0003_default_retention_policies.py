"""The default retention policies, one per category; the privacy officer changes them on
the retention page. docs/retention.md gives the reason for each period.

The values are written out here rather than imported, so that this migration seeds the
same rows whatever later code says."""

from django.db import migrations

DEFAULT_MONTHS = {
    # No order and no recorded activity for 3 years: the general limitation period of
    # a claim (Limitation Act 728/2003, 4 §) has passed.
    "inactive_customers": 36,
    # Vouchers: 6 years from the end of the financial year (Accounting Act 1336/1997,
    # 2:10 §); counted from the end of the order's calendar year.
    "orders": 72,
    # After the withdrawal or ban that ended a consent.
    "consent_evidence": 24,
    "credit_checks": 12,
    "campaign_messages": 24,
    # Reported only; the audit trail is append-only (see docs/retention.md).
    "audit_events": 120,
}


def seed(apps, schema_editor):
    RetentionPolicy = apps.get_model("privacy", "RetentionPolicy")
    for category, months in DEFAULT_MONTHS.items():
        RetentionPolicy.objects.get_or_create(
            category=category, defaults={"months": months, "enabled": True}
        )


def unseed(apps, schema_editor):
    RetentionPolicy = apps.get_model("privacy", "RetentionPolicy")
    RetentionPolicy.objects.filter(category__in=DEFAULT_MONTHS, updated_at__isnull=True).delete()


class Migration(migrations.Migration):
    # 0002_portal_attempts is the privacy app's other 0002; depending on it keeps the
    # migration graph to one leaf.
    dependencies = [("privacy", "0002_portal_attempts")]

    operations = [migrations.RunPython(seed, unseed)]
