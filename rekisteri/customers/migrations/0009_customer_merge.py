import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("customers", "0008_restriction_holds")]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="merged_into",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="merged_records",
                to="customers.customer",
                verbose_name="merged into",
            ),
        ),
        migrations.AddField(
            model_name="customer",
            name="merged_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="merged"),
        ),
        migrations.AlterField(
            model_name="customer",
            name="status",
            field=models.CharField(
                choices=[
                    ("active", "Active"),
                    ("restricted", "Restricted"),
                    ("anonymised", "Anonymised"),
                    ("merged", "Merged"),
                ],
                default="active",
                max_length=16,
                verbose_name="status",
            ),
        ),
        migrations.AddConstraint(
            model_name="customer",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(merged_at__isnull=True, merged_into__isnull=True),
                    models.Q(merged_at__isnull=False, merged_into__isnull=False),
                    _connector="OR",
                ),
                name="customer_merged_into_with_time",
            ),
        ),
    ]
