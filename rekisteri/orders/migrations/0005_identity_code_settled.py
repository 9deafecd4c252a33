"""When an invoice order's invoice was paid: the retention of the customer's identity
code counts from it (P8)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("orders", "0004_order_number_sequence")]

    operations = [
        migrations.AddField(
            model_name="order",
            name="settled_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="invoice paid"),
        ),
    ]
