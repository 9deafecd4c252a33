"""The counter row that order numbers are taken from (the first order is 100001)."""

from django.db import migrations


def create_counter(apps, schema_editor):
    counter = apps.get_model("orders", "OrderNumberCounter")
    counter.objects.get_or_create(pk=1, defaults={"last_number": 100000})


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]

    operations = [migrations.RunPython(create_counter, migrations.RunPython.noop)]
