from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("privacy", "0013_notice_sources")]

    operations = []  # type: ignore[var-annotated]
