from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("customers", "0008_identity_code_purpose")]

    operations = []  # type: ignore[var-annotated]
