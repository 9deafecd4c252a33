"""The first wording of each channel's consent to Oulunseutuvarasto's own direct
marketing. A later change of wording is a new version, added by a migration like this."""

import datetime

from django.db import migrations

PUBLISHED_AT = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
TEXTS = {
    "email": (
        "Kyllä, Oulunseutuvarasto saa lähettää minulle sähköpostitse tarjouksia ja tietoa "
        "omista tuotteistaan ja palveluistaan. Voin perua suostumukseni milloin tahansa "
        "jokaisen viestin peruutuslinkistä tai ottamalla yhteyttä asiakaspalveluun.",
        "Ja, Oulunseutuvarasto får skicka mig erbjudanden och information om sina egna "
        "produkter och tjänster per e-post. Jag kan när som helst återkalla mitt samtycke "
        "via länken i varje meddelande eller genom att kontakta kundtjänsten.",
        "Yes, Oulunseutuvarasto may send me offers and news of its own products and "
        "services by email. I can withdraw my consent at any time through the link in "
        "every message or by contacting customer service.",
    ),
    "sms": (
        "Kyllä, Oulunseutuvarasto saa lähettää minulle tekstiviestillä tarjouksia omista "
        "tuotteistaan ja palveluistaan. Voin perua suostumukseni milloin tahansa "
        "jokaisessa viestissä kerrotulla tavalla tai ottamalla yhteyttä asiakaspalveluun.",
        "Ja, Oulunseutuvarasto får skicka mig erbjudanden om sina egna produkter och "
        "tjänster per sms. Jag kan när som helst återkalla mitt samtycke på det sätt som "
        "anges i varje meddelande eller genom att kontakta kundtjänsten.",
        "Yes, Oulunseutuvarasto may send me offers of its own products and services by "
        "text message. I can withdraw my consent at any time as every message explains "
        "or by contacting customer service.",
    ),
    "post": (
        "Kyllä, Oulunseutuvarasto saa lähettää minulle postitse tarjouksia omista "
        "tuotteistaan ja palveluistaan. Voin kieltää postimainonnan milloin tahansa.",
        "Ja, Oulunseutuvarasto får skicka mig erbjudanden om sina egna produkter och "
        "tjänster per post. Jag kan när som helst förbjuda reklam per post.",
        "Yes, Oulunseutuvarasto may send me offers of its own products and services by "
        "post. I can refuse marketing by post at any time.",
    ),
    "phone": (
        "Kyllä, Oulunseutuvarasto saa soittaa minulle ja kertoa omista tuotteistaan ja "
        "palveluistaan. Voin kieltää puhelinmarkkinoinnin milloin tahansa.",
        "Ja, Oulunseutuvarasto får ringa mig och berätta om sina egna produkter och "
        "tjänster. Jag kan när som helst förbjuda telefonmarknadsföring.",
        "Yes, Oulunseutuvarasto may call me about its own products and services. I can "
        "refuse marketing by phone at any time.",
    ),
}


def seed(apps, schema_editor):
    ConsentText = apps.get_model("consents", "ConsentText")
    for channel, (text_fi, text_sv, text_en) in TEXTS.items():
        ConsentText.objects.get_or_create(
            channel=channel,
            purpose="own_direct_marketing",
            version=1,
            defaults={
                "text_fi": text_fi,
                "text_sv": text_sv,
                "text_en": text_en,
                "published_at": PUBLISHED_AT,
            },
        )


def unseed(apps, schema_editor):
    ConsentText = apps.get_model("consents", "ConsentText")
    ConsentText.objects.filter(version=1, purpose="own_direct_marketing").delete()


class Migration(migrations.Migration):
    dependencies = [("consents", "0001_consent_ledger")]

    operations = [migrations.RunPython(seed, unseed)]
