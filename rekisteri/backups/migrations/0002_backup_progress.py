from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("backups", "0001_backup_runs"),
    ]

    operations = [
        migrations.AddField(
            model_name="backuprun",
            name="bytes_done",
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="backuprun",
            name="bytes_total",
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="backuprun",
            name="progress_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="backuprun",
            name="finished_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="backuprun",
            name="status",
            field=models.CharField(
                choices=[("running", "Under way"), ("ok", "Succeeded"), ("failed", "Failed")],
                max_length=16,
            ),
        ),
        migrations.AddConstraint(
            model_name="backuprun",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("finished_at__isnull", True), ("status", "running")),
                    models.Q(
                        models.Q(("status", "running"), _negated=True),
                        ("finished_at__isnull", False),
                    ),
                    _connector="OR",
                ),
                name="backups_run_finished_unless_running",
            ),
        ),
    ]
