from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("intake", "0006_inbox_from_earlier_keys")]

    operations = []  # type: ignore[var-annotated]
