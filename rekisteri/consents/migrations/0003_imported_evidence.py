from django.db import migrations, models


class Migration(migrations.Migration):
    """An imported consent is recorded as its evidence says: source "import", the
    evidence's own date, and no wording of ours unless the file names one."""

    dependencies = [("consents", "0002_seed_consent_texts")]

    operations = [
        migrations.RemoveConstraint(
            model_name="consentevent",
            name="consentevent_grant_has_text",
        ),
        migrations.AlterField(
            model_name="consentevent",
            name="source",
            field=models.CharField(
                choices=[
                    ("web_shop_checkout", "Web shop checkout"),
                    ("phone_call", "Phone call"),
                    ("email", "Email"),
                    ("privacy_portal", "Privacy portal"),
                    ("unsubscribe_link", "Unsubscribe link"),
                    ("staff", "Staff"),
                    ("import", "Customer list import"),
                ],
                max_length=20,
                verbose_name="source",
            ),
        ),
        migrations.AddConstraint(
            model_name="consentevent",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind", "grant"), _negated=True),
                    ("text__isnull", False),
                    ("source", "import"),
                    _connector="OR",
                ),
                name="consentevent_grant_has_text_or_import",
            ),
        ),
    ]
