"""Gives the register description its Swedish texts (Finland's second national language:
customers whose language is Swedish read the privacy notice in Swedish), published as a
new version, but only while every text of the version in force is still the wording
migration 0005 installed. A description the privacy officer has edited is left as it is:
they add the Swedish in the notice editor (docs/languages.md).

The Swedish is written out here, as 0005 writes out the rest, so that this migration
publishes the same version whatever later code says."""

import importlib

from django.db import migrations
from django.utils import timezone

CHANGE_NOTE = "Ruotsinkielinen versio / Svensk version / Swedish version"
DEFAULT = "rekisteri.privacy.migrations.0005_default_register_description"

# Each text of the default description by its path: a text section's name, or a list
# section's name, the item's key (retention: its category) and the part.
SWEDISH = {
    "register_name": "Oulunseutuvarastos kundregister",
    "introduction": "Kundernas personuppgifter samlas in i ett kundregister i samband "
    "med företagets olika tjänster. I den här registerbeskrivningen får du veta vilka "
    "uppgifter som samlas in och vad de används till. Beskrivningen är den information "
    "som artiklarna 13 och 14 i EU:s allmänna dataskyddsförordning (2016/679) kräver "
    "att vi ger de registrerade.",
    "purposes.customer_relationship.text": "Registret används för att sköta kundrelationen, "
    "för kontakter med kunderna och för marknadsföring. Till skötseln av kundrelationen "
    "hör att behandla och leverera beställningar, returer och kontakter som gäller "
    "beställningarna.",
    "purposes.customer_relationship.legal_basis": "Skötseln av kundrelationen och "
    "kontakterna med kunden: fullgörande av avtalet med kunden (artikel 6.1 b i "
    "dataskyddsförordningen). Marknadsföringens rättsliga grunder anges i punkterna nedan.",
    "purposes.direct_marketing.text": "Registrets uppgifter används för Oulunseutuvarastos "
    "egen direktmarknadsföring, om kunden har tillåtit det. Uppgifterna lämnas inte ut "
    "till andra för marknadsföring.",
    "purposes.direct_marketing.legal_basis": "Marknadsföring per e-post och sms: kundens "
    "samtycke (art. 6.1 a), som kunden kan återkalla när som helst. Marknadsföring per "
    "post och telefon: Oulunseutuvarastos berättigade intresse av att marknadsföra sina "
    "egna produkter till sina kunder (art. 6.1 f); kunden kan när som helst förbjuda den.",
    "purposes.planning_and_targeting.text": "Oulunseutuvarasto använder dessa uppgifter och "
    "andra uppgifter som uppstår under kundrelationen för att planera sitt utbud av "
    "produkter och tjänster och för att rikta sina erbjudanden så att de passar kunderna. "
    "Inriktningen grundar sig på beställningar och returer, och marknadsföringen riktas "
    "bara till kunder vars val tillåter det.",
    "purposes.planning_and_targeting.legal_basis": "Oulunseutuvarastos berättigade intresse "
    "av att utveckla sitt utbud och rikta sin marknadsföring (art. 6.1 f). Kunden kan när "
    "som helst invända mot behandlingen och förbjuda direktmarknadsföring.",
    "purposes.credit.text": "När kunden beställer mot faktura används personbeteckningen "
    "för att kontrollera kundens kreditupplysningar, fatta kreditbeslutet och sköta "
    "kreditköpet.",
    "purposes.credit.legal_basis": "Avtalet och de åtgärder som vidtas på kundens begäran "
    "innan det ingås (art. 6.1 b) samt Oulunseutuvarastos berättigade intresse av att "
    "bedöma kreditrisken (art. 6.1 f). Behandlingen av personbeteckningen vid beviljande "
    "av kredit: dataskyddslagen (1050/2018), 29 §.",
    "purposes.legal_obligations.text": "Bokföring samt registrering av begäranden som gäller "
    "dataskydd och av utlämnanden av uppgifter.",
    "purposes.legal_obligations.legal_basis": "Den personuppgiftsansvariges rättsliga "
    "förpliktelser (art. 6.1 c): bokföringslagen (1336/1997) och den ansvarsskyldighet "
    "som artikel 5.2 i dataskyddsförordningen kräver.",
    "purposes.security_log.text": "Säkerhet: varje gång personalen visar, söker eller ändrar "
    "kunduppgifter loggas det, för att förebygga och utreda missbruk.",
    "purposes.security_log.legal_basis": "Den personuppgiftsansvariges skyldighet att "
    "säkerställa säkerheten i behandlingen (art. 32; art. 6.1 c).",
    "data_categories.contact.text": "Kundens kontaktuppgifter och de uppgifter som behövs "
    "för att beställa: efternamn, förnamn, gatuadress, postnummer, postanstalt och andra "
    "kundspecifika uppgifter. Andra kundspecifika uppgifter är kundnumret, land, språk, "
    "hur kundrelationen började (webbutik, e-post eller telefon) och kundtjänstens "
    "anteckningar.",
    "data_categories.marketing_ban.text": "Ett eventuellt förbud mot att skicka kunden "
    "erbjudanden av något slag.",
    "data_categories.order_contact.text": "De uppgifter som behövs för att behandla och "
    "leverera kundens beställningar: det telefonnummer och den e-postadress som kunden "
    "har uppgett, för kontakter, och personbeteckningen för kontroll av "
    "kreditupplysningar.",
    "data_categories.identity_code.text": "De uppgifter som behövs för att sköta kreditköp: "
    "personbeteckningen.",
    "data_categories.order_history.text": "Uppgifter om kundernas beställningar, "
    "leveranser och returer.",
    "data_categories.payment_and_credit.text": "Kreditbesluten för fakturabeställningar: "
    "beslutet och dess grund, antalet betalningsanmärkningar och deras klassificering, "
    "kreditupplysningsföretagets referens samt en persons granskning med motiveringar. "
    "Kreditupplysningsföretagets svar som sådant sparas inte.",
    "data_categories.marketing_choices.text": "Samtycken till marknadsföring, återkallelser "
    "av dem och förbud mot direktmarknadsföring med bevis: tidpunkt, kanal och källa, den "
    "text som visades för kunden och för dem som getts på nätet även IP-adressen och "
    "webbläsarens identifierare. De marknadsföringsmeddelanden som skickats till kunden: "
    "kampanj, kanal, tidpunkt för utskicket och leveransstatus.",
    "data_categories.privacy_records.text": "Kundens begäranden som gäller dataskydd och "
    "utlämnanden av kundens uppgifter: till vem, vilka uppgifter, när och på vilken grund.",
    "data_categories.access_log.text": "Loggdata: vilken anställd eller vilket system som "
    "har visat, sökt eller ändrat kundens uppgifter och när. Loggen innehåller inga "
    "värden av uppgifterna, bara namnen på de fält som ändrats.",
    "sources.customer.text": "Registrets kontakt- och kunduppgifter fås från det som kunden "
    "berättar för den personuppgiftsansvarige när kundrelationen börjar och under den. "
    "Kundrelationen börjar när kunden beställer produkter från webbutiken, per e-post "
    "eller per telefon.",
    "sources.web_shop.text": "Webbutiken för vidare de beställningar som görs där och de "
    "samtycken till marknadsföring som ges i samband med dem.",
    "sources.marketing_consent.text": "För elektronisk direktmarknadsföring (till exempel "
    "e-post och sms) ber vi separat om kundens samtycke, så som 200 § i lagen om tjänster "
    "inom elektronisk kommunikation (917/2014) och EU:s allmänna dataskyddsförordning "
    "kräver. Varje samtycke registreras per kanal med bevis.",
    "sources.credit_bureau.text": "Kundens kreditvärdighet vid tidpunkten för beställningen "
    "kontrolleras i Asiakastieto Oy:s system. När kunden beställer mot faktura ger "
    "Suomen Asiakastieto Oy:s kreditupplysningsregister kundens betalningsanmärkningar: "
    "antal och klassificering.",
    "recipients.disclosures.text": "Uppgifter meddelas eller lämnas ut till utomstående "
    "endast på grund av en anmälningsskyldighet som grundar sig på lag, till exempel på "
    "kundens egen begäran eller på en myndighets begäran som grundar sig på lag. Varje "
    "utlämnande registreras: till vem, vilka uppgifter, när och på vilken grund.",
    "recipients.credit_bureau.text": "Suomen Asiakastieto Oy: kundens personbeteckning vid "
    "en fakturabeställning, för kontroll av kundens kreditupplysningar.",
    "recipients.carriers.text": "Transportföretag (till exempel Posti, Matkahuolto och "
    "DB Schenker): det namn, den adress och de kontaktuppgifter som en leverans behöver.",
    "recipients.processors.text": "Tjänster som levererar e-post och sms, som "
    "personuppgiftsbiträden, när meddelanden skickas till kunden. Personuppgiftsbiträden "
    "behandlar uppgifterna endast för Oulunseutuvarastos räkning.",
    "transfers": "Uppgifterna överförs inte utanför Europeiska unionen eller Europeiska "
    "ekonomiska samarbetsområdet.",
    "retention.contact.text": "Kontaktuppgifter och andra kundspecifika uppgifter sparas "
    "under kundrelationen. När kunden inte har haft några beställningar, inga händelser "
    "som gäller samtycken till marknadsföring och ingen annan aktivitet på 36 månader "
    "(den allmänna preskriptionstiden, lagen om preskription av skulder 728/2003, 4 §), "
    "anonymiseras kundens uppgifter: namnet ersätts med \"Poistettu asiakas\" (raderad "
    "kund) och kontaktuppgifterna, personbeteckningen och anteckningarna tas bort.",
    "retention.marketing_ban.text": "Ett förbud mot direktmarknadsföring gäller tills "
    "kunden ber att det ska hävas, och det sparas så länge kundens uppgifter finns i "
    "registret, så att det kan följas.",
    "retention.order_contact.text": "Telefonnumret, e-postadressen och personbeteckningen "
    "sparas under kundrelationen, och de tas bort när kundens uppgifter anonymiseras, "
    "eller tidigare på kundens begäran.",
    "retention.identity_code.text": "Personbeteckningen sparas krypterad under "
    "kundrelationen, och den tas bort när kundens uppgifter anonymiseras, eller tidigare "
    "på kundens begäran.",
    "retention.order_history.text": "Beställningar och fakturor är bokföringsmaterial: de "
    "sparas i sex år från utgången av det år då räkenskapsperioden gick ut "
    "(bokföringslagen 1336/1997, 2 kap. 10 §). Därefter tas mottagarens namn, "
    "leveransadressen, anteckningarna, leveransernas spårningskoder och orsakerna till "
    "returer bort från beställningen; dess rader, summor och datum blir kvar för "
    "bokföringen.",
    "retention.payment_and_credit.text": "Antalet betalningsanmärkningar och deras "
    "klassificering, kreditupplysningsföretagets referens och motiveringarna till en "
    "persons granskning tas bort 12 månader efter kreditkontrollen. Beslutet och dess "
    "grund blir kvar hos beställningen så länge beställningen sparas.",
    "retention.marketing_choices.text": "Ett samtycke till marknadsföring gäller tills "
    "kunden återkallar det. Händelserna för samtycken, återkallelser och förbud sparas som "
    "bevis på vad kunden har tillåtit; deras IP-adress och webbläsaridentifierare tas bort "
    "24 månader efter den återkallelse eller det förbud som avslutade samtycket. "
    "Uppgifterna om skickade marknadsföringsmeddelanden raderas 24 månader efter att "
    "kampanjens utskick avslutades.",
    "retention.privacy_records.text": "Begäranden som gäller dataskydd och utlämnanden "
    "sparas så länge de behövs för att visa att begärandena besvarades och att "
    "utlämnandena hade en grund. När kundens uppgifter raderas tas kundens namn och "
    "kontaktuppgifter bort från dem.",
    "retention.access_log.text": "Loggen kan inte ändras: dess händelser varken raderas "
    "eller ändras. Händelserna innehåller inga värden av personuppgifter, och när kundens "
    "uppgifter har anonymiserats kan de inte längre kopplas till kunden.",
    "credit_decision_logic": "När kunden beställer mot faktura fattas kreditbeslutet "
    "automatiskt vid beställningen. Först jämförs beställningens summa med den största "
    "summa som säljs mot faktura: en fakturabeställning som överstiger den avslås utan "
    "att kundens kreditupplysningar efterfrågas.\n\n"
    "Annars frågar vi Suomen Asiakastieto Oy, med personbeteckningen, om det finns "
    "betalningsanmärkningar registrerade för kunden. Om det inte finns några godkänns "
    "fakturan. Om det finns avslås fakturabeställningen. Om kreditupplysningsföretaget "
    "inte känner till personen, personbeteckningen är ogiltig eller inget svar kommer, "
    "avgör en person: en faktura godkänns aldrig automatiskt utan "
    "kreditupplysningsföretagets svar.\n\n"
    "Beslutet gäller bara betalningssättet. En fakturabeställning som inte har godkänts "
    "går inte vidare förrän en person godkänner den; beställningen kan också betalas i "
    "förskott eller mot postförskott. Kunden har rätt att få beslutet granskat av en "
    "person, att framföra sin synpunkt och att bestrida beslutet (artikel 22 i "
    "dataskyddsförordningen).",
    "identity_code_requirement": "Det är inte lagstadgat att uppge personbeteckningen, och "
    "kunden behöver inte uppge den: vem som helst kan bli kund och beställa utan den. "
    "Personbeteckningen krävs dock för att beställa mot faktura. Utan den kan "
    "kreditupplysningarna inte kontrolleras och beställningen kan inte betalas mot "
    "faktura; den kan då betalas i förskott eller mot postförskott.\n\n"
    "En personbeteckning som uppges sparas krypterad. Den används för att kontrollera "
    "kreditupplysningar och sköta kreditköp, och även för att känna igen om den som "
    "beställer redan är kund, så att samma person inte får två kundposter. Personalen ser "
    "personbeteckningen maskerad; för att se den behövs en särskild behörighet och en "
    "orsak, och varje gång den visas loggas.",
    "staff_instructions": "Våra anställda har fått anvisningar och utbildning för att "
    "förstå de krav som dataskyddsförordningen ställer på behandlingen av uppgifter och "
    "för att behandla uppgifterna säkert och etiskt. Varje anställd förbinder sig till "
    "tystnadsplikten och reglerna för behandling av uppgifter innan hen kan behandla "
    "kunduppgifter.",
    "security.designated_users.text": "Uppgifter i elektronisk form: endast särskilt utsedda "
    "anställda har rätt att använda systemet med kunduppgifterna och att ändra "
    "kunduppgifter. Varje användare har ett eget användarnamn och lösenord till systemet.",
    "security.data_centres.text": "Kundregistret och maskinvaran i det informationssystem "
    "som behandlar det finns i stängda datacentraler.",
    "security.backups.text": "För störningar säkerhetskopieras uppgifterna regelbundet.",
    "security.encryption.text": "Databasen och nätverkstrafiken skyddas med brandväggar, "
    "kryptering och andra tekniska medel. Personbeteckningen sparas dessutom krypterad "
    "för sig.",
    "security.confidentiality.text": "De anställda som behandlar kundregistrets uppgifter "
    "har tystnadsplikt.",
    "security.audit_log.text": "Varje gång kunduppgifter visas, söks eller ändras "
    "registreras det i en logg som inte kan ändras i efterhand utan att det märks.",
    "rights.access.text": "Kunden har rätt att få veta vilka uppgifter som har sparats om "
    "hen och att få en kopia av dem (artikel 15 i dataskyddsförordningen).",
    "rights.rectification.text": "Kunden har rätt att få felaktiga eller ofullständiga "
    "uppgifter rättade (art. 16).",
    "rights.erasure.text": "Kunden har rätt att få sina uppgifter raderade (art. 17). "
    "Uppgifter som lagen kräver att vi sparar, till exempel beställningar som hör till "
    "bokföringen, raderas inte innan deras förvaringstid har gått ut; kundens namn och "
    "kontaktuppgifter tas bort från dem.",
    "rights.restriction.text": "Kunden har rätt att begränsa behandlingen av sina "
    "uppgifter (art. 18).",
    "rights.portability.text": "Kunden har rätt att få de uppgifter som hen har gett oss i "
    "ett maskinläsbart format och att överföra dem till en annan personuppgiftsansvarig "
    "(art. 20).",
    "rights.objection.text": "Kunden har rätt att invända mot behandling som grundar sig på "
    "berättigat intresse och att när som helst förbjuda direktmarknadsföring (art. 21). "
    "Förbudet gäller alla marknadsföringskanaler.",
    "rights.withdraw_consent.text": "Kunden kan när som helst återkalla ett samtycke; "
    "återkallelsen påverkar inte lagligheten av behandlingen innan dess. "
    "Avregistreringslänken i marknadsföringsmeddelanden och marknadsföringsvalen på våra "
    "dataskyddssidor gäller genast.",
    "rights.human_review.text": "Kunden har rätt att få ett automatiskt kreditbeslut "
    "granskat av en person (art. 22).",
    "rights.how_to_use.text": "Kunden kan utöva dessa rättigheter på våra dataskyddssidor, "
    "där en begäran kan göras på nätet, eller genom att kontakta den som ansvarar för "
    "registerärenden. Personens identitet kontrolleras innan uppgifter lämnas ut eller "
    "ändras. En begäran besvaras inom en månad från att den kommit in; om begärandena är "
    "många eller komplicerade kan tiden förlängas med högst två månader, och den som har "
    "gjort begäran får veta det och varför.",
    "complaint": "Kunden har rätt att lämna in ett klagomål till tillsynsmyndigheten om hen "
    "anser att behandlingen av hens personuppgifter strider mot dataskyddsförordningen: "
    "Dataombudsmannens byrå (Tietosuojavaltuutetun toimisto), www.tietosuoja.fi, "
    "tietosuoja@om.fi.",
}


def texts(content):
    """Every (path, text) of a description: the texts that have Finnish and English."""
    for section, value in content.items():
        if isinstance(value, dict) and "fi" in value:
            yield section, value
        elif isinstance(value, list):
            for item in value:
                name = item.get("key", item.get("category"))
                for part, text in item.items():
                    if isinstance(text, dict):
                        yield f"{section}.{name}.{part}", text


def with_swedish(content):
    """`content` with every text given its Swedish, or None when any text is not the
    default's word for word (or already has Swedish)."""
    default = dict(texts(importlib.import_module(DEFAULT).DESCRIPTION))
    found = dict(texts(content))
    if found.keys() != SWEDISH.keys():
        return None
    if any(text != default.get(path) for path, text in found.items()):
        return None

    def add(value, path=""):
        if isinstance(value, dict) and "fi" in value and "en" in value:
            return {**value, "sv": SWEDISH[path]}
        if isinstance(value, dict):
            return {name: add(inner, f"{path}.{name}" if path else name) for name, inner in value.items()}
        if isinstance(value, list):
            return [add(item, f"{path}.{item.get('key', item.get('category'))}") for item in value]
        return value

    return add(content)


def publish(apps, schema_editor):
    RegisterDescription = apps.get_model("privacy", "RegisterDescription")
    current = RegisterDescription.objects.order_by("-version").first()
    if current is None:
        return
    content = with_swedish(current.content)
    if content is None:
        return
    RegisterDescription.objects.create(
        version=current.version + 1,
        content=content,
        published_at=timezone.now(),
        published_by=None,
        change_note=CHANGE_NOTE,
    )


def unpublish(apps, schema_editor):
    RegisterDescription = apps.get_model("privacy", "RegisterDescription")
    # Only the version this migration published, and only while it is the latest.
    latest = RegisterDescription.objects.order_by("-version").first()
    if latest is not None and latest.published_by_id is None and latest.change_note == CHANGE_NOTE:
        latest.delete()


class Migration(migrations.Migration):
    dependencies = [("privacy", "0012_request_notices")]

    operations = [migrations.RunPython(publish, unpublish)]
