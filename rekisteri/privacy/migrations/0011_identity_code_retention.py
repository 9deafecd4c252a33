from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("privacy", "0010_replay_acts")]

    operations = []  # type: ignore[var-annotated]
