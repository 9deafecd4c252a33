"""The information of GDPR art. 15(1)-(2) that goes with a customer's own copy, in the
languages the copy is made in, in the business's own words (the privacy notice,
seed/tietosuojaseloste.txt). The controller, the contact person and the register's
name are read from the published register description (`notice.document`), the one
place they are kept, so the copy and the breach notices name whom the notice names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rekisteri.privacy.notice.document import description_content


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    items: tuple[str, ...]


# The controller section's title and line labels: (title, controller, contact,
# register name, business ID).
CONTROLLER_LABELS: dict[str, tuple[str, str, str, str, str]] = {
    "fi": (
        "Rekisterinpitäjä",
        "Rekisterinpitäjä",
        "Rekisteriasioista vastaava henkilö",
        "Rekisterin nimi",
        "Y-tunnus",
    ),
    "en": (
        "Controller",
        "Controller",
        "Contact person for register matters",
        "Name of the register",
        "Business ID",
    ),
    "sv": (
        "Personuppgiftsansvarig",
        "Personuppgiftsansvarig",
        "Kontaktperson i registerärenden",
        "Registrets namn",
        "FO-nummer",
    ),
}

FINNISH = (
    Section(
        "purposes",
        "Käsittelyn tarkoitukset ja oikeusperusteet",
        (
            "Asiakassuhteen hoito, tilausten käsittely ja toimittaminen, palautukset ja "
            "asiakasyhteydenpito: sopimuksen täytäntöönpano (tietosuoja-asetuksen 6 artiklan "
            "1 kohdan b alakohta).",
            "Laskulla myynti ja luottopäätös: sopimus ja sitä edeltävät toimenpiteet (6 art. "
            "1 b) sekä oikeutettu etumme arvioida luottoriski (6 art. 1 f). Henkilötunnusta "
            "käsitellään vain luottotietojen tarkistamiseen ja luottokaupan hoitamiseen.",
            "Oma suoramarkkinointi sähköpostilla ja tekstiviestillä: suostumuksesi (6 art. 1 a), "
            "jonka voit peruuttaa milloin tahansa.",
            "Oma suoramarkkinointi postitse ja puhelimitse sekä tuote- ja palvelutarjonnan "
            "suunnittelu ja kohdistaminen asiakassuhteen aikana syntyneiden tietojen (tilaukset "
            "ja palautukset) perusteella: oikeutettu etumme (6 art. 1 f). Voit kieltää "
            "suoramarkkinoinnin milloin tahansa.",
            "Kirjanpito sekä tietopyyntöjen ja tietojen luovutusten kirjaaminen: "
            "lakisääteinen velvoite (6 art. 1 c).",
        ),
    ),
    Section(
        "categories",
        "Käsiteltävät tiedot",
        (
            "Yhteystiedot: sukunimi, etunimet, katuosoite, postinumero, postitoimipaikka, maa, "
            "puhelinnumero, sähköposti ja asiointikieli.",
            "Henkilötunnus, jos tilaat laskulla (luottotietojen tarkistaminen ja luottokauppa).",
            "Tilaukset, toimitukset ja palautukset sekä laskutilausten luottopäätökset.",
            "Markkinointiluvat ja -kiellot todisteineen sekä sinulle lähetetyt "
            "markkinointiviestit.",
            "Tekemäsi tietosuojapyynnöt ja tiedoistasi tehdyt luovutukset.",
        ),
    ),
    Section(
        "recipients",
        "Vastaanottajat",
        (
            "Suomen Asiakastieto Oy: laskutilauksen yhteydessä henkilötunnuksesi "
            "luottotietojen tarkistamiseksi.",
            "Kuljetusyhtiöt (Posti, Matkahuolto, DB Schenker): toimitukseen tarvittavat nimi-, "
            "osoite- ja yhteystiedot.",
            "Sähköpostin ja tekstiviestien välityspalvelut henkilötietojen käsittelijöinä, kun "
            "lähetämme sinulle viestejä.",
            "Viranomaiset: vain lakiin perustuvasta pyynnöstä.",
            "Sinä itse: omasta pyynnöstäsi, kuten tämä kopio.",
            "Tietoja ei siirretä Euroopan unionin tai Euroopan talousalueen ulkopuolelle.",
        ),
    ),
    Section(
        "retention",
        "Säilytysajat",
        (
            "Tilaukset, laskut ja niiden tositteet: kirjanpitolain mukaan 6 vuotta sen vuoden "
            "lopusta, jona tilikausi päättyi; kirjanpitokirjat ja tilinpäätökset 10 vuotta.",
            "Yhteystiedot: asiakassuhteen ajan; kun asiakkuus on ollut ilman tilauksia ja muuta "
            "toimintaa säilytyskäytäntömme mukaisen ajan, tiedot poistetaan tai "
            "anonymisoidaan, ellei kirjanpito tai oikeudellinen vaatimus edellytä niiden "
            "säilyttämistä.",
            "Markkinointilupa: kunnes peruutat sen. Luvan ja sen peruutuksen todisteet "
            "säilytetään määräajan, jotta voimme osoittaa toimineemme lainmukaisesti.",
            "Suoramarkkinointikielto: niin kauan kuin se on voimassa, jotta voimme noudattaa sitä.",
            "Luottopäätökset: tilauksen mukana sen säilytysajan. Luottotietoyhtiön vastausta "
            "ei tallenneta.",
            "Tietopyynnöt ja tietojen luovutukset: niin kauan kuin niitä tarvitaan sen "
            "osoittamiseen, että pyyntöihin on vastattu ja luovutuksille on ollut peruste.",
        ),
    ),
    Section(
        "sources",
        "Mistä tiedot saadaan",
        (
            "Sinulta itseltäsi: kun tilaat verkkokaupasta, sähköpostitse tai puhelimitse, ja "
            "asiakassuhteen aikana ilmoittamasi tiedot.",
            "Verkkokaupasta: siellä tekemäsi tilaukset ja niiden yhteydessä antamasi luvat.",
            "Suomen Asiakastieto Oy:ltä: luottokelpoisuutesi tilaushetkellä, kun tilaat laskulla.",
        ),
    ),
    Section(
        "automated_decisions",
        "Automaattinen luottopäätös",
        (
            "Kun tilaat laskulla, tilauksen summaa verrataan ensin laskulimiittiimme: sen "
            "ylittävä tilaus hylätään laskulla kysymättä luottotietojasi.",
            "Muuten tarkistamme Suomen Asiakastieto Oy:ltä, onko sinulla maksuhäiriömerkintöjä. "
            "Jos merkintöjä ei ole, lasku hyväksytään. Jos niitä on, laskutilaus voidaan hylätä. "
            "Jos vastausta ei saada tai henkilöä ei tunneta, päätöksen tekee ihminen.",
            "Päätös koskee vain maksutapaa: voit aina maksaa tilauksen muulla tavalla.",
            "Voit pyytää, että ihminen tarkastelee päätöksen uudelleen, esittää näkemyksesi ja "
            "riitauttaa päätöksen.",
        ),
    ),
    Section(
        "rights",
        "Oikeutesi",
        (
            "Saada pääsy tietoihisi ja kopio niistä (tietosuoja-asetuksen 15 artikla).",
            "Vaatia virheellisten tietojen oikaisemista (16 art.).",
            "Vaatia tietojesi poistamista (17 art.) ja käsittelyn rajoittamista (18 art.).",
            "Saada antamasi tiedot koneluettavassa muodossa ja siirtää ne (20 art.).",
            "Vastustaa käsittelyä ja kieltää suoramarkkinointi milloin tahansa (21 art.).",
            "Peruuttaa suostumuksesi milloin tahansa; peruutus ei vaikuta sitä ennen "
            "tapahtuneen käsittelyn lainmukaisuuteen.",
            "Tehdä valitus valvontaviranomaiselle: Tietosuojavaltuutetun toimisto, tietosuoja.fi.",
        ),
    ),
)

ENGLISH = (
    Section(
        "purposes",
        "Purposes and legal bases",
        (
            "Managing the customer relationship, handling and delivering orders, returns and "
            "contacting you: performance of a contract (GDPR art. 6(1)(b)).",
            "Sales on invoice and the credit decision: the contract and steps before it "
            "(art. 6(1)(b)) and our legitimate interest in assessing the credit risk "
            "(art. 6(1)(f)). The personal identity code is used only to check credit data and "
            "to run sales on credit.",
            "Our own direct marketing by email and SMS: your consent (art. 6(1)(a)), which you "
            "may withdraw at any time.",
            "Our own direct marketing by post and phone, and planning and targeting our "
            "products and services by data from the customer relationship (orders and "
            "returns): our legitimate interest (art. 6(1)(f)). You may ban direct marketing "
            "at any time.",
            "Accounting, and recording data subject requests and disclosures: legal "
            "obligations (art. 6(1)(c)).",
        ),
    ),
    Section(
        "categories",
        "Data we process",
        (
            "Contact data: surname, first names, street address, postal code, post office, "
            "country, phone number, email and language.",
            "Your personal identity code, if you order on invoice (credit checks and sales on "
            "credit).",
            "Orders, deliveries and returns, and the credit decisions of invoice orders.",
            "Marketing consents and bans with their evidence, and the marketing messages "
            "sent to you.",
            "Your data protection requests, and the disclosures of your data.",
        ),
    ),
    Section(
        "recipients",
        "Recipients",
        (
            "Suomen Asiakastieto Oy: your personal identity code with an invoice order, to "
            "check your credit data.",
            "Carriers (Posti, Matkahuolto, DB Schenker): the name, address and contact data a "
            "delivery needs.",
            "Email and SMS delivery services, as our processors, when we send you messages.",
            "Authorities: only on a request based on law.",
            "You: at your own request, such as this copy.",
            "Your data is not transferred outside the European Union or the European Economic "
            "Area.",
        ),
    ),
    Section(
        "retention",
        "How long we keep the data",
        (
            "Orders, invoices and their vouchers: 6 years from the end of the year in which "
            "the financial year ended, as the Finnish Accounting Act requires; the books and "
            "financial statements 10 years.",
            "Contact data: for the customer relationship; once it has had no orders or other "
            "activity for the period of our retention policy, the data is erased or "
            "anonymised, unless accounting or a legal claim requires keeping it.",
            "A marketing consent: until you withdraw it. Evidence of the consent and of its "
            "withdrawal is kept for a set period, to show that we acted lawfully.",
            "A direct marketing ban: as long as it is in force, so that we can honour it.",
            "Credit decisions: with the order, for as long as the order is kept. The credit "
            "bureau's answer is not stored.",
            "Data subject requests and disclosures: as long as they are needed to show that "
            "requests were answered and disclosures had a legal ground.",
        ),
    ),
    Section(
        "sources",
        "Where the data comes from",
        (
            "From you: when you order from the web shop, by email or by phone, and what you "
            "tell us during the customer relationship.",
            "From the web shop: the orders you place there and the consents you give with them.",
            "From Suomen Asiakastieto Oy: your creditworthiness at the time of an invoice order.",
        ),
    ),
    Section(
        "automated_decisions",
        "Automated credit decision",
        (
            "When you order on invoice, the order total is first compared with our invoice "
            "limit: an order over it is declined on invoice without asking for your credit "
            "data.",
            "Otherwise we ask Suomen Asiakastieto Oy whether payment defaults are recorded on "
            "you. If none are, the invoice is approved; if there are, the invoice order may be "
            "declined. If no answer comes or the person is not known, a person decides.",
            "The decision concerns only the payment method: you can always pay the order in "
            "another way.",
            "You may ask a person to review the decision, express your point of view and "
            "contest the decision.",
        ),
    ),
    Section(
        "rights",
        "Your rights",
        (
            "To access your data and get a copy of it (GDPR art. 15).",
            "To have inaccurate data rectified (art. 16).",
            "To have your data erased (art. 17) and its processing restricted (art. 18).",
            "To receive the data you gave us in a machine-readable format and move it (art. 20).",
            "To object to processing and to ban direct marketing at any time (art. 21).",
            "To withdraw your consent at any time; withdrawing does not affect the lawfulness "
            "of processing before it.",
            "To lodge a complaint with the supervisory authority: the Office of the Data "
            "Protection Ombudsman (Tietosuojavaltuutetun toimisto), tietosuoja.fi.",
        ),
    ),
)

SWEDISH = (
    Section(
        "purposes",
        "Ändamålen med behandlingen och de rättsliga grunderna",
        (
            "Skötsel av kundrelationen, hantering och leverans av beställningar, returer och "
            "kontakter med dig: fullgörande av ett avtal (artikel 6.1 b i "
            "dataskyddsförordningen).",
            "Försäljning mot faktura och kreditbeslutet: avtalet och åtgärder före det "
            "(art. 6.1 b) samt vårt berättigade intresse att bedöma kreditrisken (art. 6.1 f). "
            "Personbeteckningen används bara för att kontrollera kreditupplysningar och sköta "
            "kreditköpet.",
            "Egen direktmarknadsföring per e-post och sms: ditt samtycke (art. 6.1 a), som du "
            "kan återkalla när som helst.",
            "Egen direktmarknadsföring per post och telefon samt planering och inriktning av "
            "vårt utbud av produkter och tjänster utifrån uppgifter från kundrelationen "
            "(beställningar och returer): vårt berättigade intresse (art. 6.1 f). Du kan "
            "förbjuda direktmarknadsföring när som helst.",
            "Bokföring samt registrering av begäranden och utlämnanden av uppgifter: "
            "rättsliga förpliktelser (art. 6.1 c).",
        ),
    ),
    Section(
        "categories",
        "Uppgifter som behandlas",
        (
            "Kontaktuppgifter: efternamn, förnamn, gatuadress, postnummer, postanstalt, land, "
            "telefonnummer, e-post och kontaktspråk.",
            "Din personbeteckning, om du beställer mot faktura (kontroll av "
            "kreditupplysningar och kreditköp).",
            "Beställningar, leveranser och returer samt kreditbesluten om fakturabeställningar.",
            "Marknadsföringstillstånd och -förbud med bevis samt de marknadsföringsmeddelanden "
            "som skickats till dig.",
            "Dina dataskyddsbegäranden och utlämnandena av dina uppgifter.",
        ),
    ),
    Section(
        "recipients",
        "Mottagare",
        (
            "Suomen Asiakastieto Oy: din personbeteckning vid en fakturabeställning, för "
            "kontroll av dina kreditupplysningar.",
            "Transportföretag (Posti, Matkahuolto, DB Schenker): de namn-, adress- och "
            "kontaktuppgifter som en leverans kräver.",
            "Förmedlingstjänster för e-post och sms, som personuppgiftsbiträden, när vi "
            "skickar meddelanden till dig.",
            "Myndigheter: bara på en begäran som grundar sig på lag.",
            "Du själv: på din egen begäran, såsom denna kopia.",
            "Uppgifterna överförs inte utanför Europeiska unionen eller Europeiska "
            "ekonomiska samarbetsområdet.",
        ),
    ),
    Section(
        "retention",
        "Hur länge uppgifterna bevaras",
        (
            "Beställningar, fakturor och verifikat: enligt bokföringslagen 6 år från utgången "
            "av det år då räkenskapsperioden upphörde; bokföringsböcker och bokslut 10 år.",
            "Kontaktuppgifter: under kundrelationen; när kundrelationen har varit utan "
            "beställningar och annan aktivitet under den tid som vår bevarandepolicy anger, "
            "raderas eller anonymiseras uppgifterna, om inte bokföringen eller ett rättsligt "
            "anspråk kräver att de bevaras.",
            "Ett marknadsföringstillstånd: tills du återkallar det. Bevis på tillståndet och "
            "återkallelsen bevaras en bestämd tid, så att vi kan visa att vi har handlat "
            "lagenligt.",
            "Ett förbud mot direktmarknadsföring: så länge det gäller, så att vi kan följa det.",
            "Kreditbeslut: med beställningen, så länge den bevaras. "
            "Kreditupplysningsföretagets svar sparas inte.",
            "Begäranden och utlämnanden av uppgifter: så länge de behövs för att visa att "
            "begärandena har besvarats och att utlämnandena har haft en grund.",
        ),
    ),
    Section(
        "sources",
        "Varifrån uppgifterna kommer",
        (
            "Från dig själv: när du beställer i webbutiken, per e-post eller per telefon, och "
            "de uppgifter du ger oss under kundrelationen.",
            "Från webbutiken: de beställningar du gör där och de tillstånd du ger i samband "
            "med dem.",
            "Från Suomen Asiakastieto Oy: din kreditvärdighet vid tidpunkten för en "
            "fakturabeställning.",
        ),
    ),
    Section(
        "automated_decisions",
        "Automatiskt kreditbeslut",
        (
            "När du beställer mot faktura jämförs beställningens summa först med vår "
            "fakturagräns: en beställning som överskrider den avslås mot faktura utan att "
            "dina kreditupplysningar kontrolleras.",
            "Annars frågar vi Suomen Asiakastieto Oy om du har betalningsanmärkningar. Om du "
            "inte har några godkänns fakturan; om du har kan fakturabeställningen avslås. Om "
            "inget svar fås eller personen är okänd fattar en människa beslutet.",
            "Beslutet gäller bara betalningssättet: du kan alltid betala beställningen på "
            "ett annat sätt.",
            "Du kan begära att en människa granskar beslutet på nytt, framföra din synpunkt "
            "och bestrida beslutet.",
        ),
    ),
    Section(
        "rights",
        "Dina rättigheter",
        (
            "Att få tillgång till dina personuppgifter och en kopia av dem (artikel 15 i "
            "dataskyddsförordningen).",
            "Att få felaktiga uppgifter rättade (art. 16).",
            "Att få dina uppgifter raderade (art. 17) och behandlingen begränsad (art. 18).",
            "Att få de uppgifter du har gett oss i maskinläsbar form och överföra dem (art. 20).",
            "Att invända mot behandlingen och förbjuda direktmarknadsföring när som helst "
            "(art. 21).",
            "Att återkalla ditt samtycke när som helst; återkallelsen påverkar inte "
            "lagligheten av behandlingen innan dess.",
            "Att lämna in klagomål till tillsynsmyndigheten: dataombudsmannens byrå, dataskydd.fi.",
        ),
    ),
)

INFORMATION: dict[str, tuple[Section, ...]] = {"fi": FINNISH, "sv": SWEDISH, "en": ENGLISH}


def _line(label: str, *parts: str) -> str:
    text = ", ".join(part.strip() for part in parts if part and part.strip())
    return f"{label}: {text}" if text.endswith((".", "!", "?")) else f"{label}: {text}."


def controller_section(language: str, content: Mapping[str, Any] | None = None) -> Section:
    """Who the controller and the contact person are, and the register's name, from
    the published register description (`content`, else the version in force)."""
    content = content if content is not None else description_content()
    title, controller_label, contact_label, name_label, id_label = CONTROLLER_LABELS[language]
    controller, contact = content["controller"], content["contact"]
    names = content["register_name"]
    lines = [_line(controller_label, controller["name"], controller["address"])]
    if controller.get("business_id", "").strip():
        lines.append(_line(id_label, controller["business_id"]))
    lines.append(_line(contact_label, contact["name"], contact["phone"], contact.get("email", "")))
    lines.append(_line(name_label, names.get(language) or names["fi"]))
    return Section("controller", title, tuple(lines))


def article15_information(language: str) -> list[dict[str, object]]:
    """The information in `language` ("fi", "sv" or "en"), JSON-ready."""
    return [
        {"key": section.key, "title": section.title, "items": list(section.items)}
        for section in (controller_section(language), *INFORMATION[language])
    ]
