from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("marketing", "0003_target_group_version")]

    operations = []  # type: ignore[var-annotated]
