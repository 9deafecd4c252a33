from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("orders", "0004_order_number_sequence")]

    operations = []  # type: ignore[var-annotated]
