"""The confidentiality pledge every staff member accepts on first sign-in.

The text is kept here, versioned; a new version is accepted anew. Acceptances
record the version, language and a digest of the very words shown."""

import hashlib

PLEDGE_VERSION = "2026-11"

PLEDGE_TEXTS = {
    "fi": (
        "Vaitiolovelvollisuus ja tietojenkäsittelyn säännöt",
        [
            "Asiakasrekisterin tiedot ovat luottamuksellisia. Vaitiolovelvollisuus sitoo "
            "minua työsuhteen aikana ja sen päätyttyä.",
            "Käsittelen asiakkaan tietoja vain työtehtävieni edellyttämässä laajuudessa ja "
            "vain niihin tarkoituksiin, jotka tietosuojaselosteessa kerrotaan.",
            "Henkilötunnusta käsittelen vain luottotietojen tarkistamiseen ja luottokaupan "
            "hoitamiseen. En kirjoita sitä muistiinpanoihin, sähköposteihin tai muualle.",
            "En luovuta tietoja ulkopuolisille. Luovutus tehdään vain lakiin perustuvasta "
            "syystä, ja rekisteriasioista vastaava kirjaa sen.",
            "Käytän vain omaa käyttäjätunnustani ja salasanaani enkä anna niitä muille. "
            "Kirjaudun ulos, kun lopetan.",
            "Tiedän, että jokainen asiakastietojen katselu ja muutos kirjataan "
            "lokiin, jota tarkastetaan.",
            "Olen saanut koulutuksen EU:n tietosuoja-asetuksen (GDPR) vaatimuksista ja "
            "ilmoitan epäillystä tietoturvaloukkauksesta heti rekisteriasioista vastaavalle.",
        ],
    ),
    "en": (
        "Duty of confidentiality and data handling rules",
        [
            "The data in the customer register is confidential. The duty of "
            "confidentiality binds me during my employment and after it.",
            "I handle customers' data only as far as my work requires and only for the "
            "purposes the privacy notice states.",
            "I handle the personal identity code only to check credit data and to run "
            "sales on credit. I never write it into notes, emails or anywhere else.",
            "I do not disclose data to outsiders. Data is disclosed only on a legal "
            "ground, and the privacy officer records it.",
            "I use only my own username and password and never give them to anyone. "
            "I sign out when I finish.",
            "I know that every view and change of customer data is recorded in a log "
            "that is reviewed.",
            "I have been trained in the requirements of the EU General Data Protection "
            "Regulation (GDPR), and I report a suspected data breach to the privacy "
            "officer at once.",
        ],
    ),
}


def pledge_text(language: str) -> tuple[str, list[str]]:
    return PLEDGE_TEXTS.get(language, PLEDGE_TEXTS["fi"])


def pledge_digest(language: str) -> str:
    title, paragraphs = pledge_text(language)
    return hashlib.sha256("\n".join([title, *paragraphs]).encode("utf-8")).hexdigest()
