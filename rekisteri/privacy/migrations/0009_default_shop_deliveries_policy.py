"""The default retention policy of the shops' deliveries (the inbox): their content is
purged a month after they were finished; docs/retention.md gives the reason. A policy
the privacy officer has already set is left as it is.

The value is written out here rather than imported, as in 0003."""

from django.db import migrations

CATEGORY = "shop_deliveries"
MONTHS = 1


def seed(apps, schema_editor):
    RetentionPolicy = apps.get_model("privacy", "RetentionPolicy")
    RetentionPolicy.objects.get_or_create(
        category=CATEGORY, defaults={"months": MONTHS, "enabled": True}
    )


def unseed(apps, schema_editor):
    RetentionPolicy = apps.get_model("privacy", "RetentionPolicy")
    RetentionPolicy.objects.filter(category=CATEGORY, updated_at__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("privacy", "0008_retention_category_shop_deliveries")]

    operations = [migrations.RunPython(seed, unseed)]
