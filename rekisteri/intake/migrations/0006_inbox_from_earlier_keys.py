"""The delivery ids and Idempotency-Keys taken before the inbox become processed
deliveries (with no body), so a shop or client repeating one still changes nothing."""

import uuid

from django.db import migrations


def forwards(apps, schema_editor):
    InboxDelivery = apps.get_model("intake", "InboxDelivery")
    WebhookDelivery = apps.get_model("intake", "WebhookDelivery")
    IdempotencyKey = apps.get_model("intake", "IdempotencyKey")
    rows = [
        InboxDelivery(
            public_id=uuid.uuid4(),
            integration_id=taken.integration_id,
            source="webhook",
            delivery_key=taken.delivery_id,
            body_digest="",
            received_at=taken.received_at,
            state="done",
            processed_at=taken.received_at,
        )
        for taken in WebhookDelivery.objects.iterator()
    ]
    rows += [
        InboxDelivery(
            public_id=uuid.uuid4(),
            integration_id=key.integration_id,
            source="api",
            delivery_key=key.key,
            body_digest=key.body_digest,
            received_at=key.created_at,
            state="done",
            order_id=key.order_id,
            processed_at=key.created_at,
        )
        for key in IdempotencyKey.objects.iterator()
    ]
    InboxDelivery.objects.bulk_create(rows, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("intake", "0005_inbox")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
