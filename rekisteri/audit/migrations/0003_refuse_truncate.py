"""PostgreSQL's TRUNCATE fires no row triggers, so 0002 alone would let it empty the
audit trail (and `audit verify` cannot notice an empty chain). A statement trigger
refuses it. SQLite has no TRUNCATE: its `DELETE FROM` without WHERE fires 0002's."""

from django.db import migrations

POSTGRESQL_CREATE = [
    """CREATE TRIGGER audit_auditevent_no_truncate BEFORE TRUNCATE ON audit_auditevent
       FOR EACH STATEMENT EXECUTE FUNCTION audit_auditevent_refuse_change()""",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS audit_auditevent_no_truncate ON audit_auditevent",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]

    operations = [migrations.RunPython(_run(POSTGRESQL_CREATE), _run(POSTGRESQL_DROP))]
