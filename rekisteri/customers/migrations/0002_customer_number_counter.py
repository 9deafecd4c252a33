"""The counter row that customer numbers are taken from (the first customer is 1001)."""

from django.db import migrations


def create_counter(apps, schema_editor):
    counter = apps.get_model("customers", "CustomerNumberCounter")
    counter.objects.get_or_create(pk=1, defaults={"last_number": 1000})


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]

    operations = [migrations.RunPython(create_counter, migrations.RunPython.noop)]
