from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("privacy", "0013_swedish_notice")]

    operations = []  # type: ignore[var-annotated]
