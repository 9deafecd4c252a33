"""Customers anonymised before each customer had a key for the personal text of their
audit events get a key row that is already destroyed: a reason written about one of
them later is then encrypted under a throwaway key, as for anyone erased since, and no
readable key is ever made for them."""

from django.db import migrations


def forwards(apps, schema_editor):
    customer_model = apps.get_model("customers", "Customer")
    subject_key = apps.get_model("audit", "SubjectKey")
    has_key = set(subject_key.objects.values_list("customer_id", flat=True))
    subject_key.objects.bulk_create(
        [
            subject_key(
                customer_id=pk,
                key_encrypted="",
                created_at=updated_at,
                destroyed_at=updated_at,
            )
            for pk, updated_at in customer_model.objects.filter(status="anonymised")
            .values_list("pk", "updated_at")
            .iterator()
            if pk not in has_key
        ],
        batch_size=500,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0007_sealing_and_subject_keys"),
        ("customers", "0006_start_page_indexes"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
