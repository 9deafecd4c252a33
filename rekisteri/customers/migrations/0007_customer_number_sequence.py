"""On PostgreSQL, customer numbers come from a sequence (rekisteri/running_numbers.py),
continuing from the counter row or the highest customer number, whichever is higher."""

from django.db import migrations


def create_sequence(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("CREATE SEQUENCE IF NOT EXISTS customers_customernumbercounter_seq AS bigint")
        cursor.execute(
            "SELECT setval('customers_customernumbercounter_seq', GREATEST("
            "(SELECT last_number FROM customers_customernumbercounter WHERE id = 1), "
            "(SELECT MAX(customer_number) FROM customers_customer), 1000))"
        )


def drop_sequence(apps, schema_editor):
    """Back to the counter row, which takes the last number the sequence gave."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "UPDATE customers_customernumbercounter SET last_number = GREATEST(last_number, "
            "(SELECT last_value FROM customers_customernumbercounter_seq)) WHERE id = 1"
        )
        cursor.execute("DROP SEQUENCE IF EXISTS customers_customernumbercounter_seq")


class Migration(migrations.Migration):
    dependencies = [("customers", "0006_start_page_indexes")]

    operations = [migrations.RunPython(create_sequence, drop_sequence)]
