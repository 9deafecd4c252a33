from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("privacy", "0009_default_shop_deliveries_policy")]

    operations = []  # type: ignore[var-annotated]
