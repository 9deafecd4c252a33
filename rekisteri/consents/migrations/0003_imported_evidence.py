from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("consents", "0002_seed_consent_texts")]

    operations = []  # type: ignore[var-annotated]
