from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("customers", "0007_customer_number_sequence")]

    operations = []  # type: ignore[var-annotated]
