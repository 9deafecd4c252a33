from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("privacy", "0011_identity_code_retention")]

    operations = []  # type: ignore[var-annotated]
