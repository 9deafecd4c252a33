"""Fills the new name search key of existing customers: "surname first names", case-folded."""

from django.db import migrations


def fill(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    batch = []
    for customer in Customer.objects.only("id", "surname", "first_names").iterator(chunk_size=2000):
        customer.name_key = " ".join(f"{customer.surname} {customer.first_names}".casefold().split())
        batch.append(customer)
        if len(batch) == 2000:
            Customer.objects.bulk_update(batch, ["name_key"])
            batch = []
    Customer.objects.bulk_update(batch, ["name_key"])


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_customer_name_key")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
