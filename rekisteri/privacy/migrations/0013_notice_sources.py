from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("privacy", "0012_request_notices")]

    operations = []  # type: ignore[var-annotated]
