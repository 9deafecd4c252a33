from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("backups", "0001_backup_runs")]

    operations = []  # type: ignore[var-annotated]
