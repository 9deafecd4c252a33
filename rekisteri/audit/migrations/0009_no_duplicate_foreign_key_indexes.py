"""The audit table's indexes on `actor_user_id` and `customer_id` alone go: the indexes
`audit_actor_id` (actor_user, -id) and `audit_customer_id` (customer, -id) lead with
the same columns and serve every lookup they served, and each index is one more write
for every event. Dropped by name rather than by AlterField, which on SQLite would
rebuild the table (and with it drop the append-only triggers)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

DROPPED = {
    "audit_auditevent_actor_user_id_e6b6b356": "actor_user_id",
    "audit_auditevent_customer_id_5339a91e": "customer_id",
}


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0008_keys_of_erased_customers"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="actor_user",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="auditevent",
                    name="customer",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="customers.customer",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {name}",
                    reverse_sql=f"CREATE INDEX {name} ON audit_auditevent ({column})",
                )
                for name, column in DROPPED.items()
            ],
        )
    ]
