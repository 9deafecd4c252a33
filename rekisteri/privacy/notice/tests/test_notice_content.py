"""The default privacy notice (version 1, published by migration privacy 0005) says
everything the seed notice says, sentence by sentence, in Finnish and in English (P1-P17),
and adds what GDPR arts. 13 and 14 require that the seed lacks."""

from __future__ import annotations

import importlib
import re

import pytest

from rekisteri.privacy.models import RegisterDescription
from rekisteri.privacy.notice.document import current_description, validate_description
from rekisteri.privacy.notice.rendering import notice_text
from rekisteri.privacy.notice.tests.descriptions import MIGRATION, default_description

pytestmark = pytest.mark.django_db

# seed/tietosuojaseloste.txt, verbatim (its closing quotation mark included).
SEED = """
Tietosuojaseloste

Asiakkaiden henkilötietoja kerätään asiakasrekisteriin eri palveluiden yhteydessä. Tästä rekisteriselosteesta selviää, mitä tietoja kerätään ja mihin niitä käytetään.

Rekisterinpitäjä

Adexcon, Hintantie 85 B, 90650 Oulu.

Rekisteriasioista vastaava henkilö ja/tai yhteyshenkilö
Ilkka Turunen 0408414351.

Rekisterin nimi

Oulunseutuvarasto:n asiakasrekisteri.

Henkilötietojen käsittelyn tarkoitus

Rekisteriä käytetään asiakassuhteen hoitoon, asiakasyhteydenpitoon ja markkinointiin. Rekisterin tietoja käytetään Oulunseutuvaraston: n omaan suoramarkkinointiin, jos asiakas on sen sallinut. Oulunseutuvarasto käyttää näitä ja muita asiakassuhteen aikana syntyneitä tietoja tuote- ja palvelutarjonnan suunnitteluun sekä tarjonnan kohdistamiseksi asiakaslähtöisesti.

Rekisterin tietosisältö

Asiakkaan yhteystiedot ja tilaamisen mahdollistavat tiedot: sukunimi, etunimet, katuosoite, postinumero, postitoimipaikka ja muut asiakaskohtaiset tiedot. Mahdollinen kieltö lähettää hänelle mitään tarjouspostia.

Asiakkaan tilausten käsittelyssä ja toimittamisessa tarvittavat tiedot: asiakkaan ilmoittama puhelinnumero ja sähköposti yhteydenottoja varten sekä henkilötunnus luottotietojen tarkistamiseksi.

Luottokaupan ylläpitämiseen tarvittavat tiedot: henkilötunnus.
Tiedot asiakkaiden tilauksista, toimituksista ja palautuksista.

Säännönmukaiset tietolähteet

Rekisterin yhteys- ja asiakkuustiedot saadaan asiakassuhteen syntyessä ja sen aikana asiakkaan rekisterinpitäjälle tekemistä ilmoituksista. Asiakassuhde syntyy, kun asiakas tilaa tuotteita verkkokaupasta, sähköpostitse tai puhelimitse.

Sähköiseen suoramarkkinointiin (kuten sähköposti, tekstiviestit) pyydetään asiakkaalta erikseen suostumus henkilötietolain mukaisesti. Asiakkaan tilaushetken mukainen tieto luottokelpoisuudesta tarkistetaan Asiakastieto Oy:n järjestelmästä.

Ohjeistus

Työntekijämme on ohjeistettu ja koulutettu ymmärtämään gdpr-asetuksen vaatimukset tietojenkäsittelyyn ja käsittelemään tietoja turvallisesti ja eettisesti.

Rekisterin suojauksen periaatteet

Konekielinen aineisto: asiakastietoja sisältävän järjestelmän käyttöön ja asiakastietojen muuttamiseen ovat oikeutettuja vain erikseen sovitut työntekijät. Kullakin käyttäjällä on oma käyttäjätunnus ja salasana järjestelmään.

Asiakasrekisteri ja sitä käsittelevät tietojärjestelmän laitteistot sijaitsevat suljetuissa konesaleissa. Häiriötilanteiden varalta tiedot varmistetaan säännönmukaisesti varmuuskopioimalla. Tietokanta ja verkkoliikenne on suojattu palomurein, salauksella sekä muilla teknisillä keinoilla. Vaitiolovelvollisuus sitoo asiakasrekisteritietoja käsitteleviä työntekijöitä. Tietoja kerrotaan tai luovutetaan ulkopuolisille vain lakiin perustuvan ilmoitusvelvollisuuden johdosta, kuten asiakkaan omasta pyynnöstä tai viranomaisen lakiin perustuvasta pyynnöstä."
"""  # noqa: E501 (the seed's lines, verbatim)

# The only changes made to the seed's wording: typos, the register's name, the phone
# number's spacing, and the repealed Personal Data Act replaced by the laws in force.
CORRECTIONS = {
    'pyynnöstä."': "pyynnöstä.",
    "Ilkka Turunen 0408414351.": "Ilkka Turunen, 040 841 4351.",
    "Oulunseutuvarasto:n asiakasrekisteri": "Oulunseutuvaraston asiakasrekisteri",
    "Oulunseutuvaraston: n": "Oulunseutuvaraston",
    "kieltö": "kielto",
    "henkilötietolain mukaisesti": (
        "sähköisen viestinnän palveluista annetun lain (917/2014) 200 §:n ja EU:n yleisen "
        "tietosuoja-asetuksen mukaisesti"
    ),
}
SENTENCE_END = re.compile(r"(?<=\.)\s+(?=[A-ZÄÖÅ])")


def seed_sentences() -> list[str]:
    sentences = []
    for line in SEED.strip().splitlines():
        for sentence in SENTENCE_END.split(line.strip()):
            if sentence:
                for wrong, right in CORRECTIONS.items():
                    sentence = sentence.replace(wrong, right)
                sentences.append(sentence)
    return sentences


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def finnish() -> str:
    return flat(notice_text(current_description(), "fi"))


@pytest.fixture
def english() -> str:
    return flat(notice_text(current_description(), "en"))


def test_the_seed_has_the_sentences_this_test_expects():
    sentences = seed_sentences()

    assert len(sentences) == 34
    assert sentences[0] == "Tietosuojaseloste"
    assert sentences[-1].endswith("viranomaisen lakiin perustuvasta pyynnöstä.")


@pytest.mark.parametrize("sentence", seed_sentences())
def test_the_finnish_notice_says_every_sentence_of_the_seed(finnish: str, sentence: str):
    assert sentence in finnish


# For each promise, the key phrases of the seed's statements, in Finnish and in English.
PROMISES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "P1": (
        ("Asiakkaiden henkilötietoja kerätään asiakasrekisteriin eri palveluiden yhteydessä.",),
        (
            "Customers' personal data is collected into a customer register in connection "
            "with the company's various services.",
        ),
    ),
    "P2": (
        (
            "Rekisterinpitäjä Adexcon, Hintantie 85 B, 90650 Oulu.",
            "Rekisteriasioista vastaava henkilö ja/tai yhteyshenkilö Ilkka Turunen, 040 841 4351.",
            "Rekisterin nimi Oulunseutuvaraston asiakasrekisteri.",
        ),
        (
            "Controller Adexcon, Hintantie 85 B, 90650 Oulu.",
            "Person in charge of register matters and contact person Ilkka Turunen, 040 841 4351.",
            "Name of the register Oulunseutuvarasto's customer register.",
        ),
    ),
    "P3": (
        (
            "Rekisteriä käytetään asiakassuhteen hoitoon, asiakasyhteydenpitoon ja markkinointiin.",
            "Rekisterin tietoja käytetään Oulunseutuvaraston omaan suoramarkkinointiin, jos "
            "asiakas on sen sallinut.",
        ),
        (
            "The register is used for managing the customer relationship, contacting "
            "customers and marketing.",
            "The register's data is used for Oulunseutuvarasto's own direct marketing, if the "
            "customer has allowed it.",
        ),
    ),
    "P4": (
        (
            "käyttää näitä ja muita asiakassuhteen aikana syntyneitä tietoja tuote- ja "
            "palvelutarjonnan suunnitteluun sekä tarjonnan kohdistamiseksi asiakaslähtöisesti",
            "markkinointi kohdistetaan vain asiakkaille, joiden valinnat sen sallivat",
        ),
        (
            "uses this data and other data that arises during the customer relationship to "
            "plan its product and service offering and to target its offers",
            "marketing is directed only to customers whose choices allow it",
        ),
    ),
    "P5": (
        (
            "sukunimi, etunimet, katuosoite, postinumero, postitoimipaikka ja muut "
            "asiakaskohtaiset tiedot",
        ),
        (
            "surname, first names, street address, postal code, post office and other "
            "customer-specific data",
        ),
    ),
    "P6": (
        ("Mahdollinen kielto lähettää hänelle mitään tarjouspostia.",),
        ("A possible ban on sending offer mail of any kind to the customer.",),
    ),
    "P7": (
        ("asiakkaan ilmoittama puhelinnumero ja sähköposti yhteydenottoja varten",),
        ("the phone number and email the customer gave, for contacting them",),
    ),
    "P8": (
        (
            "henkilötunnus luottotietojen tarkistamiseksi",
            "Luottokaupan ylläpitämiseen tarvittavat tiedot: henkilötunnus.",
        ),
        (
            "the personal identity code for checking credit data",
            "The data needed to run sales on credit: the personal identity code.",
        ),
    ),
    "P9": (
        ("Tiedot asiakkaiden tilauksista, toimituksista ja palautuksista.",),
        ("Data on the customers' orders, deliveries and returns.",),
    ),
    "P10": (
        (
            "saadaan asiakassuhteen syntyessä ja sen aikana asiakkaan rekisterinpitäjälle "
            "tekemistä ilmoituksista",
            "Asiakassuhde syntyy, kun asiakas tilaa tuotteita verkkokaupasta, sähköpostitse "
            "tai puhelimitse.",
        ),
        (
            "is obtained from what the customer tells the controller when the customer "
            "relationship begins and during it",
            "The customer relationship begins when the customer orders products from the web "
            "shop, by email or by phone.",
        ),
    ),
    "P11": (
        (
            "Sähköiseen suoramarkkinointiin (kuten sähköposti, tekstiviestit) pyydetään "
            "asiakkaalta erikseen suostumus",
            "(917/2014) 200 §",
            "Jokainen suostumus kirjataan kanavakohtaisesti todisteineen.",
        ),
        (
            "For electronic direct marketing (such as email and text messages), the "
            "customer's consent is asked separately",
            "section 200 of the Act on Electronic Communications Services (917/2014)",
            "Each consent is recorded per channel with its evidence.",
        ),
    ),
    "P12": (
        (
            "Asiakkaan tilaushetken mukainen tieto luottokelpoisuudesta tarkistetaan "
            "Asiakastieto Oy:n järjestelmästä.",
        ),
        (
            "The customer's creditworthiness at the time of the order is checked from "
            "Asiakastieto Oy's system.",
        ),
    ),
    "P13": (
        (
            "asiakastietoja sisältävän järjestelmän käyttöön ja asiakastietojen muuttamiseen "
            "ovat oikeutettuja vain erikseen sovitut työntekijät",
        ),
        (
            "only specifically designated employees are entitled to use the system "
            "containing customer data and to change customer data",
        ),
    ),
    "P14": (
        ("Kullakin käyttäjällä on oma käyttäjätunnus ja salasana järjestelmään.",),
        ("Each user has their own username and password to the system.",),
    ),
    "P15": (
        ("Häiriötilanteiden varalta tiedot varmistetaan säännönmukaisesti varmuuskopioimalla.",),
        ("In case of disruptions, the data is regularly secured by backups.",),
    ),
    "P16": (
        (
            "Tietokanta ja verkkoliikenne on suojattu palomurein, salauksella sekä muilla "
            "teknisillä keinoilla.",
        ),
        (
            "The database and the network traffic are protected with firewalls, encryption "
            "and other technical means.",
        ),
    ),
    "P17": (
        (
            "Tietoja kerrotaan tai luovutetaan ulkopuolisille vain lakiin perustuvan "
            "ilmoitusvelvollisuuden johdosta, kuten asiakkaan omasta pyynnöstä tai "
            "viranomaisen lakiin perustuvasta pyynnöstä.",
            "Jokainen luovutus kirjataan: kenelle, mitä tietoja, milloin ja millä perusteella.",
        ),
        (
            "Data is told or disclosed to outsiders only because of a duty to notify based on "
            "law, such as at the customer's own request or at an authority's request based on "
            "law.",
            "Every disclosure is recorded: to whom, what data, when and on what ground.",
        ),
    ),
}


NUMBERS = [f"P{number}" for number in range(1, 18)]


def test_every_promise_of_the_seed_has_its_phrases():
    assert list(PROMISES) == NUMBERS


@pytest.mark.parametrize("promise", NUMBERS)
def test_the_notice_states_each_promise_in_finnish(finnish: str, promise: str):
    for phrase in PROMISES[promise][0]:
        assert phrase in finnish


@pytest.mark.parametrize("promise", NUMBERS)
def test_the_notice_states_each_promise_in_english(english: str, promise: str):
    for phrase in PROMISES[promise][1]:
        assert phrase in english


def test_the_seed_statements_without_a_promise_number_are_in_english_too(english: str):
    for phrase in (
        "This register description tells what data is collected and what it is used for.",
        "Our employees have been instructed and trained to understand the requirements the "
        "GDPR sets for processing data and to handle data securely and ethically.",
        "located in closed data centres.",
        "A duty of confidentiality binds the employees who handle customer register data.",
    ):
        assert phrase in english


# What arts. 13 and 14 require and the seed lacks.
ADDITIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "legal basis per purpose": (
        (
            "Oikeusperuste: Asiakassuhteen hoito ja asiakasyhteydenpito: asiakkaan kanssa "
            "tehdyn sopimuksen täytäntöönpano (tietosuoja-asetuksen 6 artiklan 1 kohdan "
            "b alakohta).",
            "Oikeusperuste: Markkinointi sähköpostilla ja tekstiviestillä: asiakkaan "
            "suostumus (6 artiklan 1 kohdan a alakohta)",
            "Oikeusperuste: Oulunseutuvaraston oikeutettu etu kehittää tarjontaansa",
            "Henkilötunnuksen käsittely luotonannossa: tietosuojalain (1050/2018) 29 §.",
            "Oikeusperuste: Rekisterinpitäjän lakisääteiset velvoitteet (6 artiklan 1 kohdan "
            "c alakohta): kirjanpitolaki (1336/1997)",
        ),
        (
            "Legal basis: Managing the customer relationship and contacting the customer: "
            "performance of the contract with the customer (GDPR art. 6(1)(b)).",
            "Legal basis: Marketing by email and text message: the customer's consent "
            "(art. 6(1)(a))",
            "Legal basis: Oulunseutuvarasto's legitimate interest in developing its offering",
            "the Data Protection Act (1050/2018), section 29.",
            "Legal basis: The controller's legal obligations (art. 6(1)(c)): the Accounting "
            "Act (1336/1997)",
        ),
    ),
    "retention periods": (
        (
            "Tietojen säilytysajat",
            "muuta toimintaa 36 kuukauteen",
            "säilytetään kuusi vuotta sen vuoden lopusta, jona tilikausi päättyi",
            "poistetaan 12 kuukauden kuluttua luottotietojen tarkistamisesta",
            "poistetaan 24 kuukauden kuluttua luvan päättäneestä peruutuksesta tai kiellosta",
        ),
        (
            "How long the data is kept",
            "no other activity for 36 months",
            "kept for six years from the end of the year in which the financial year ended",
            "are removed 12 months after the credit check",
            "removed 24 months after the withdrawal or ban that ended the consent",
        ),
    ),
    "rights": (
        (
            "Rekisteröidyn oikeudet",
            "saada niistä kopio (tietosuoja-asetuksen 15 artikla)",
            "oikaisemista (16 artikla)",
            "tietojensa poistamista (17 artikla)",
            "käsittelyn rajoittamista (18 artikla)",
            "siirtää ne toiselle rekisterinpitäjälle (20 artikla)",
            "kieltää suoramarkkinointi milloin tahansa (21 artikla)",
            "Asiakas voi peruuttaa antamansa suostumuksen milloin tahansa",
            "Pyyntöön vastataan kuukauden kuluessa sen saapumisesta",
        ),
        (
            "The data subject's rights",
            "get a copy of it (GDPR art. 15)",
            "rectified (art. 16)",
            "have their data erased (art. 17)",
            "restricted (art. 18)",
            "transmit it to another controller (art. 20)",
            "ban direct marketing at any time (art. 21)",
            "The customer may withdraw a consent at any time",
            "A request is answered within one month of its arrival",
        ),
    ),
    "complaint": (
        (
            "Oikeus tehdä valitus valvontaviranomaiselle",
            "Tietosuojavaltuutetun toimisto, www.tietosuoja.fi",
        ),
        (
            "The right to lodge a complaint with the supervisory authority",
            "the Office of the Data Protection Ombudsman (Tietosuojavaltuutetun toimisto), "
            "www.tietosuoja.fi",
        ),
    ),
    "credit bureau as a source": (
        (
            "Suomen Asiakastieto Oy:n luottotietorekisteristä saadaan tieto asiakkaan "
            "maksuhäiriömerkinnöistä",
        ),
        (
            "Suomen Asiakastieto Oy's credit information register gives the customer's payment "
            "default entries",
        ),
    ),
    "logic of the automated credit decision": (
        (
            "Automaattinen luottopäätös",
            "luottopäätös tehdään automaattisesti tilaushetkellä",
            "sen ylittävä laskutilaus hylätään kysymättä asiakkaan luottotietoja",
            "Jos merkintöjä ei ole, lasku hyväksytään. Jos merkintöjä on, laskutilaus hylätään.",
            "päätöksen tekee ihminen",
            "esittää oma näkemyksensä ja riitauttaa päätös (tietosuoja-asetuksen 22 artikla)",
        ),
        (
            "Automated credit decision",
            "the credit decision is made automatically at the time of the order",
            "an invoice order over it is declined without asking for the customer's credit data",
            "If there are none, the invoice is approved. If there are, the invoice order is "
            "declined.",
            "a person decides",
            "to express their point of view and to contest the decision (GDPR art. 22)",
        ),
    ),
    "whether the identity code is required": (
        (
            "Henkilötunnuksen antaminen ei ole lakisääteistä, eikä asiakkaan ole pakko antaa sitä",
            "Henkilötunnus on kuitenkin edellytys laskulla tilaamiselle.",
            "tilauksen voi silloin maksaa ennakkoon tai postiennakolla",
        ),
        (
            "Giving the personal identity code is not required by law, and the customer does "
            "not have to give it",
            "The identity code is, however, required for ordering on invoice.",
            "it can then be paid in advance or cash on delivery",
        ),
    ),
    "recipients and transfers": (
        (
            "Suomen Asiakastieto Oy: laskutilauksen yhteydessä asiakkaan henkilötunnus",
            "Tietoja ei siirretä Euroopan unionin tai Euroopan talousalueen ulkopuolelle.",
        ),
        (
            "Suomen Asiakastieto Oy: the customer's personal identity code with an invoice order",
            "The data is not transferred outside the European Union or the European Economic Area.",
        ),
    ),
}


@pytest.mark.parametrize("addition", sorted(ADDITIONS))
def test_the_notice_adds_what_articles_13_and_14_require(finnish: str, english: str, addition: str):
    in_finnish, in_english = ADDITIONS[addition]
    for phrase in in_finnish:
        assert phrase in finnish
    for phrase in in_english:
        assert phrase in english


def test_version_1_is_the_description_the_migration_writes_out_and_it_is_valid():
    migration = importlib.import_module(MIGRATION)
    version = RegisterDescription.objects.get(version=1)

    assert version.content == migration.DESCRIPTION
    assert (version.published_by, version.change_note) == (None, migration.CHANGE_NOTE)
    assert current_description() == version
    validate_description(migration.DESCRIPTION)


def test_every_category_of_data_has_its_retention_period():
    default = default_description()
    categories = [item["key"] for item in default["data_categories"]]
    retained = [item["category"] for item in default["retention"]]

    assert retained == categories
