from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("customers", "0008_restriction_holds")]

    operations = []  # type: ignore[var-annotated]
