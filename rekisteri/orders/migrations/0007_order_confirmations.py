from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("orders", "0006_restriction_holds")]

    operations = []  # type: ignore[var-annotated]
