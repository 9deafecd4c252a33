from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("orders", "0005_identity_code_settled")]

    operations = []  # type: ignore[var-annotated]
