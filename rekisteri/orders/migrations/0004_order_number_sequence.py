"""On PostgreSQL, order numbers come from a sequence (rekisteri/running_numbers.py),
continuing from the counter row or the highest order number, whichever is higher."""

from django.db import migrations


def create_sequence(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("CREATE SEQUENCE IF NOT EXISTS orders_ordernumbercounter_seq AS bigint")
        cursor.execute(
            "SELECT setval('orders_ordernumbercounter_seq', GREATEST("
            "(SELECT last_number FROM orders_ordernumbercounter WHERE id = 1), "
            "(SELECT MAX(order_number) FROM orders_order), 100000))"
        )


def drop_sequence(apps, schema_editor):
    """Back to the counter row, which takes the last number the sequence gave."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "UPDATE orders_ordernumbercounter SET last_number = GREATEST(last_number, "
            "(SELECT last_value FROM orders_ordernumbercounter_seq)) WHERE id = 1"
        )
        cursor.execute("DROP SEQUENCE IF EXISTS orders_ordernumbercounter_seq")


class Migration(migrations.Migration):
    dependencies = [("orders", "0003_start_page_indexes")]

    operations = [migrations.RunPython(create_sequence, drop_sequence)]
