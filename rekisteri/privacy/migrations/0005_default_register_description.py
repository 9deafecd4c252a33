"""Publishes version 1 of the register description: Oulunseutuvarasto's privacy
notice (seed/tietosuojaseloste.txt) sentence by sentence, in Finnish and English, with
what GDPR arts. 13 and 14 require that the seed lacks. The privacy officer publishes
later versions in the staff UI (docs/privacy-notice.md).

The document is written out here rather than imported, so that this migration publishes
the same version 1 whatever later code says. It is the one copy of the default
description: the notice's tests read it from here (`privacy.notice.tests.descriptions`)."""

from django.db import migrations
from django.utils import timezone

CHANGE_NOTE = "Ensimmäinen versio / First version"

DESCRIPTION = {
    "controller": {"name": "Adexcon", "address": "Hintantie 85 B, 90650 Oulu", "business_id": ""},
    "contact": {"name": "Ilkka Turunen", "phone": "040 841 4351", "email": ""},
    "register_name": {
        "fi": "Oulunseutuvaraston asiakasrekisteri",
        "en": "Oulunseutuvarasto's customer register",
    },
    "introduction": {
        "fi": "Asiakkaiden henkilötietoja kerätään asiakasrekisteriin eri "
        "palveluiden yhteydessä. Tästä rekisteriselosteesta selviää, mitä "
        "tietoja kerätään ja mihin niitä käytetään. Seloste on EU:n "
        "yleisen tietosuoja-asetuksen (2016/679) 13 ja 14 artiklan "
        "mukainen informaatio rekisteröidyille.",
        "en": "Customers' personal data is collected into a customer register in "
        "connection with the company's various services. This register "
        "description tells what data is collected and what it is used for. "
        "It is the information that articles 13 and 14 of the EU General "
        "Data Protection Regulation (2016/679) require us to give the "
        "people whose data we process.",
    },
    "purposes": [
        {
            "key": "customer_relationship",
            "text": {
                "fi": "Rekisteriä käytetään asiakassuhteen hoitoon, "
                "asiakasyhteydenpitoon ja markkinointiin. Asiakassuhteen "
                "hoitoon kuuluvat tilausten käsittely ja toimittaminen, "
                "palautukset sekä tilauksia koskevat yhteydenotot.",
                "en": "The register is used for managing the customer "
                "relationship, contacting customers and marketing. Managing "
                "the customer relationship includes handling and delivering "
                "orders, returns, and contacting the customer about their "
                "orders.",
            },
            "legal_basis": {
                "fi": "Asiakassuhteen hoito ja asiakasyhteydenpito: "
                "asiakkaan kanssa tehdyn sopimuksen täytäntöönpano "
                "(tietosuoja-asetuksen 6 artiklan 1 kohdan b "
                "alakohta). Markkinoinnin oikeusperusteet kerrotaan "
                "seuraavissa kohdissa.",
                "en": "Managing the customer relationship and contacting "
                "the customer: performance of the contract with the "
                "customer (GDPR art. 6(1)(b)). The legal bases of "
                "marketing are given in the items below.",
            },
        },
        {
            "key": "direct_marketing",
            "text": {
                "fi": "Rekisterin tietoja käytetään Oulunseutuvaraston omaan "
                "suoramarkkinointiin, jos asiakas on sen sallinut. Tietoja "
                "ei luovuteta muille markkinointia varten.",
                "en": "The register's data is used for Oulunseutuvarasto's own "
                "direct marketing, if the customer has allowed it. The data "
                "is not disclosed to others for marketing.",
            },
            "legal_basis": {
                "fi": "Markkinointi sähköpostilla ja tekstiviestillä: "
                "asiakkaan suostumus (6 artiklan 1 kohdan a "
                "alakohta), jonka asiakas voi peruuttaa milloin "
                "tahansa. Markkinointi postitse ja puhelimitse: "
                "Oulunseutuvaraston oikeutettu etu markkinoida omia "
                "tuotteitaan asiakkailleen (6 artiklan 1 kohdan f "
                "alakohta); asiakas voi kieltää sen milloin tahansa.",
                "en": "Marketing by email and text message: the customer's "
                "consent (art. 6(1)(a)), which the customer may "
                "withdraw at any time. Marketing by post and phone: "
                "Oulunseutuvarasto's legitimate interest in marketing "
                "its own products to its customers (art. 6(1)(f)); "
                "the customer may refuse it at any time.",
            },
        },
        {
            "key": "planning_and_targeting",
            "text": {
                "fi": "Oulunseutuvarasto käyttää näitä ja muita asiakassuhteen "
                "aikana syntyneitä tietoja tuote- ja palvelutarjonnan "
                "suunnitteluun sekä tarjonnan kohdistamiseksi "
                "asiakaslähtöisesti. Kohdistaminen perustuu tilauksiin ja "
                "palautuksiin, ja markkinointi kohdistetaan vain "
                "asiakkaille, joiden valinnat sen sallivat.",
                "en": "Oulunseutuvarasto uses this data and other data that arises "
                "during the customer relationship to plan its product and "
                "service offering and to target its offers to suit its "
                "customers. Targeting is based on orders and returns, and "
                "marketing is directed only to customers whose choices allow "
                "it.",
            },
            "legal_basis": {
                "fi": "Oulunseutuvaraston oikeutettu etu kehittää "
                "tarjontaansa ja kohdistaa markkinointiaan (6 "
                "artiklan 1 kohdan f alakohta). Asiakas voi vastustaa "
                "käsittelyä ja kieltää suoramarkkinoinnin milloin "
                "tahansa.",
                "en": "Oulunseutuvarasto's legitimate interest in "
                "developing its offering and targeting its marketing "
                "(art. 6(1)(f)). The customer may object to the "
                "processing and ban direct marketing at any time.",
            },
        },
        {
            "key": "credit",
            "text": {
                "fi": "Kun asiakas tilaa laskulla, henkilötunnuksella tarkistetaan "
                "asiakkaan luottotiedot ja tehdään luottopäätös, ja "
                "henkilötunnusta käytetään luottokaupan hoitamiseen.",
                "en": "When the customer orders on invoice, the personal identity "
                "code is used to check the customer's credit data and make "
                "the credit decision, and to run the sale on credit.",
            },
            "legal_basis": {
                "fi": "Sopimus ja asiakkaan pyynnöstä sitä edeltävät "
                "toimenpiteet (6 artiklan 1 kohdan b alakohta) sekä "
                "Oulunseutuvaraston oikeutettu etu arvioida "
                "luottoriski (6 artiklan 1 kohdan f alakohta). "
                "Henkilötunnuksen käsittely luotonannossa: "
                "tietosuojalain (1050/2018) 29 §.",
                "en": "The contract and the steps taken at the customer's "
                "request before it (art. 6(1)(b)), and "
                "Oulunseutuvarasto's legitimate interest in assessing "
                "the credit risk (art. 6(1)(f)). Processing the "
                "personal identity code in granting credit: the Data "
                "Protection Act (1050/2018), section 29.",
            },
        },
        {
            "key": "legal_obligations",
            "text": {
                "fi": "Kirjanpito sekä tietosuojapyyntöjen ja tietojen luovutusten kirjaaminen.",
                "en": "Accounting, and recording data protection requests and disclosures of data.",
            },
            "legal_basis": {
                "fi": "Rekisterinpitäjän lakisääteiset velvoitteet (6 "
                "artiklan 1 kohdan c alakohta): kirjanpitolaki "
                "(1336/1997) ja tietosuoja-asetuksen "
                "osoitusvelvollisuus (5 artiklan 2 kohta).",
                "en": "The controller's legal obligations (art. 6(1)(c)): "
                "the Accounting Act (1336/1997) and the "
                "accountability required by GDPR art. 5(2).",
            },
        },
        {
            "key": "security_log",
            "text": {
                "fi": "Tietoturva: henkilökunnan tekemät asiakastietojen katselut, "
                "haut ja muutokset kirjataan lokiin väärinkäytösten "
                "estämiseksi ja selvittämiseksi.",
                "en": "Security: every view, search and change of customer data by "
                "staff is logged, to prevent and investigate misuse.",
            },
            "legal_basis": {
                "fi": "Rekisterinpitäjän velvoite huolehtia käsittelyn "
                "turvallisuudesta (32 artikla; 6 artiklan 1 kohdan c "
                "alakohta).",
                "en": "The controller's obligation to ensure the security "
                "of processing (art. 32; art. 6(1)(c)).",
            },
        },
    ],
    "data_categories": [
        {
            "key": "contact",
            "text": {
                "fi": "Asiakkaan yhteystiedot ja tilaamisen mahdollistavat "
                "tiedot: sukunimi, etunimet, katuosoite, postinumero, "
                "postitoimipaikka ja muut asiakaskohtaiset tiedot. "
                "Muita asiakaskohtaisia tietoja ovat asiakasnumero, "
                "maa, asiointikieli, tieto siitä, miten asiakassuhde "
                "alkoi (verkkokauppa, sähköposti tai puhelin), sekä "
                "asiakaspalvelun muistiinpanot.",
                "en": "The customer's contact details and the data that "
                "makes ordering possible: surname, first names, "
                "street address, postal code, post office and other "
                "customer-specific data. Other customer-specific data "
                "is the customer number, country, language, how the "
                "customer relationship began (web shop, email or "
                "phone), and customer service's notes.",
            },
        },
        {
            "key": "marketing_ban",
            "text": {
                "fi": "Mahdollinen kielto lähettää hänelle mitään tarjouspostia.",
                "en": "A possible ban on sending offer mail of any kind to the customer.",
            },
        },
        {
            "key": "order_contact",
            "text": {
                "fi": "Asiakkaan tilausten käsittelyssä ja toimittamisessa "
                "tarvittavat tiedot: asiakkaan ilmoittama "
                "puhelinnumero ja sähköposti yhteydenottoja varten "
                "sekä henkilötunnus luottotietojen tarkistamiseksi.",
                "en": "The data needed to handle and deliver the customer's "
                "orders: the phone number and email the customer "
                "gave, for contacting them, and the personal identity "
                "code for checking credit data.",
            },
        },
        {
            "key": "identity_code",
            "text": {
                "fi": "Luottokaupan ylläpitämiseen tarvittavat tiedot: henkilötunnus.",
                "en": "The data needed to run sales on credit: the personal identity code.",
            },
        },
        {
            "key": "order_history",
            "text": {
                "fi": "Tiedot asiakkaiden tilauksista, toimituksista ja palautuksista.",
                "en": "Data on the customers' orders, deliveries and returns.",
            },
        },
        {
            "key": "payment_and_credit",
            "text": {
                "fi": "Laskutilausten luottopäätökset: päätös ja sen "
                "peruste, maksuhäiriömerkintöjen määrä ja luokitus, "
                "luottotietoyhtiön viite sekä ihmisen tekemä "
                "tarkistus perusteluineen. Luottotietoyhtiön "
                "vastausta sellaisenaan ei tallenneta.",
                "en": "The credit decisions of invoice orders: the decision "
                "and its reason, the number and classification of "
                "payment default entries, the credit bureau's "
                "reference, and a person's review with its reasons. "
                "The credit bureau's answer itself is not stored.",
            },
        },
        {
            "key": "marketing_choices",
            "text": {
                "fi": "Markkinointiluvat, niiden peruutukset ja "
                "suoramarkkinointikiellot todisteineen: aika, kanava, "
                "lähde, asiakkaalle näytetty teksti sekä verkossa "
                "annetuista myös IP-osoite ja selaimen tunniste. "
                "Asiakkaalle lähetetyt markkinointiviestit: kampanja, "
                "kanava, lähetysaika ja toimituksen tila.",
                "en": "Marketing consents, their withdrawals and direct "
                "marketing bans with their evidence: the time, "
                "channel and source, the wording shown to the "
                "customer, and for those given online also the IP "
                "address and the browser's identifier. The marketing "
                "messages sent to the customer: the campaign, "
                "channel, time of sending and delivery status.",
            },
        },
        {
            "key": "privacy_records",
            "text": {
                "fi": "Asiakkaan tekemät tietosuojapyynnöt ja asiakkaan "
                "tietojen luovutukset: kenelle, mitä tietoja, milloin "
                "ja millä perusteella.",
                "en": "The customer's data protection requests and the "
                "disclosures of the customer's data: to whom, what "
                "data, when and on what ground.",
            },
        },
        {
            "key": "access_log",
            "text": {
                "fi": "Lokitiedot: kuka henkilökunnasta tai mikä "
                "järjestelmä on katsonut, hakenut tai muuttanut "
                "asiakkaan tietoja ja milloin. Lokiin ei tallenneta "
                "tietojen arvoja, vain muutettujen kenttien nimet.",
                "en": "Log data: which staff member or system viewed, "
                "searched or changed the customer's data, and when. "
                "The log holds no values of the data, only the names "
                "of the fields changed.",
            },
        },
    ],
    "sources": [
        {
            "key": "customer",
            "text": {
                "fi": "Rekisterin yhteys- ja asiakkuustiedot saadaan asiakassuhteen "
                "syntyessä ja sen aikana asiakkaan rekisterinpitäjälle "
                "tekemistä ilmoituksista. Asiakassuhde syntyy, kun asiakas "
                "tilaa tuotteita verkkokaupasta, sähköpostitse tai "
                "puhelimitse.",
                "en": "The register's contact and customer data is obtained from "
                "what the customer tells the controller when the customer "
                "relationship begins and during it. The customer relationship "
                "begins when the customer orders products from the web shop, "
                "by email or by phone.",
            },
        },
        {
            "key": "web_shop",
            "text": {
                "fi": "Verkkokaupasta saadaan siellä tehdyt tilaukset sekä "
                "tilauksen yhteydessä annetut markkinointiluvat.",
                "en": "The web shop passes on the orders placed there and the "
                "marketing consents given with them.",
            },
        },
        {
            "key": "marketing_consent",
            "text": {
                "fi": "Sähköiseen suoramarkkinointiin (kuten sähköposti, "
                "tekstiviestit) pyydetään asiakkaalta erikseen suostumus "
                "sähköisen viestinnän palveluista annetun lain (917/2014) 200 "
                "§:n ja EU:n yleisen tietosuoja-asetuksen mukaisesti. "
                "Jokainen suostumus kirjataan kanavakohtaisesti todisteineen.",
                "en": "For electronic direct marketing (such as email and text "
                "messages), the customer's consent is asked separately, as "
                "section 200 of the Act on Electronic Communications Services "
                "(917/2014) and the EU General Data Protection Regulation "
                "require. Each consent is recorded per channel with its "
                "evidence.",
            },
        },
        {
            "key": "credit_bureau",
            "text": {
                "fi": "Asiakkaan tilaushetken mukainen tieto luottokelpoisuudesta "
                "tarkistetaan Asiakastieto Oy:n järjestelmästä. Kun asiakas "
                "tilaa laskulla, Suomen Asiakastieto Oy:n "
                "luottotietorekisteristä saadaan tieto asiakkaan "
                "maksuhäiriömerkinnöistä: niiden määrä ja luokitus.",
                "en": "The customer's creditworthiness at the time of the order is "
                "checked from Asiakastieto Oy's system. When the customer "
                "orders on invoice, Suomen Asiakastieto Oy's credit "
                "information register gives the customer's payment default "
                "entries: their number and classification.",
            },
        },
    ],
    "recipients": [
        {
            "key": "disclosures",
            "text": {
                "fi": "Tietoja kerrotaan tai luovutetaan ulkopuolisille vain "
                "lakiin perustuvan ilmoitusvelvollisuuden johdosta, kuten "
                "asiakkaan omasta pyynnöstä tai viranomaisen lakiin "
                "perustuvasta pyynnöstä. Jokainen luovutus kirjataan: "
                "kenelle, mitä tietoja, milloin ja millä perusteella.",
                "en": "Data is told or disclosed to outsiders only because of a "
                "duty to notify based on law, such as at the customer's "
                "own request or at an authority's request based on law. "
                "Every disclosure is recorded: to whom, what data, when "
                "and on what ground.",
            },
        },
        {
            "key": "credit_bureau",
            "text": {
                "fi": "Suomen Asiakastieto Oy: laskutilauksen yhteydessä "
                "asiakkaan henkilötunnus luottotietojen tarkistamiseksi.",
                "en": "Suomen Asiakastieto Oy: the customer's personal identity "
                "code with an invoice order, to check the customer's "
                "credit data.",
            },
        },
        {
            "key": "carriers",
            "text": {
                "fi": "Kuljetusyhtiöt (kuten Posti, Matkahuolto ja DB Schenker): "
                "toimitukseen tarvittavat nimi-, osoite- ja yhteystiedot.",
                "en": "Carriers (such as Posti, Matkahuolto and DB Schenker): "
                "the name, address and contact details a delivery needs.",
            },
        },
        {
            "key": "processors",
            "text": {
                "fi": "Sähköpostin ja tekstiviestien välityspalvelut "
                "henkilötietojen käsittelijöinä, kun asiakkaalle "
                "lähetetään viestejä. Käsittelijät käsittelevät tietoja "
                "vain Oulunseutuvaraston lukuun.",
                "en": "Email and text message delivery services, as processors, "
                "when messages are sent to the customer. Processors "
                "process the data only on Oulunseutuvarasto's behalf.",
            },
        },
    ],
    "transfers": {
        "fi": "Tietoja ei siirretä Euroopan unionin tai Euroopan talousalueen ulkopuolelle.",
        "en": "The data is not transferred outside the European Union or the "
        "European Economic Area.",
    },
    "retention": [
        {
            "category": "contact",
            "text": {
                "fi": "Yhteystiedot ja muut asiakaskohtaiset tiedot säilytetään "
                "asiakassuhteen ajan. Kun asiakkaalla ei ole ollut "
                "tilauksia, markkinointilupiin liittyviä tapahtumia eikä "
                "muuta toimintaa 36 kuukauteen (yleinen vanhentumisaika, "
                "vanhentumislaki 728/2003, 4 §), asiakkaan tiedot "
                'anonymisoidaan: nimi korvataan merkinnällä "Poistettu '
                'asiakas" ja yhteystiedot, henkilötunnus ja muistiinpanot '
                "poistetaan.",
                "en": "Contact details and other customer-specific data are kept "
                "for the customer relationship. When the customer has had "
                "no orders, no events about marketing consents and no other "
                "activity for 36 months (the general limitation period, "
                "Limitation Act 728/2003, section 4), the customer's data "
                'is anonymised: the name is replaced by "Poistettu asiakas" '
                "(deleted customer) and the contact details, identity code "
                "and notes are removed.",
            },
        },
        {
            "category": "marketing_ban",
            "text": {
                "fi": "Suoramarkkinointikielto on voimassa, kunnes asiakas itse "
                "pyytää sen poistamista, ja se säilytetään niin kauan kuin "
                "asiakkaan tiedot ovat rekisterissä, jotta sitä voidaan "
                "noudattaa.",
                "en": "A direct marketing ban is in force until the customer asks "
                "for it to be lifted, and it is kept as long as the "
                "customer's data is in the register, so that it can be "
                "honoured.",
            },
        },
        {
            "category": "order_contact",
            "text": {
                "fi": "Puhelinnumero, sähköposti ja henkilötunnus säilytetään "
                "asiakassuhteen ajan, ja ne poistetaan, kun asiakkaan "
                "tiedot anonymisoidaan, tai aiemmin asiakkaan pyynnöstä.",
                "en": "The phone number, email and identity code are kept for the "
                "customer relationship, and they are removed when the "
                "customer's data is anonymised, or earlier at the "
                "customer's request.",
            },
        },
        {
            "category": "identity_code",
            "text": {
                "fi": "Henkilötunnus säilytetään salattuna asiakassuhteen ajan, "
                "ja se poistetaan, kun asiakkaan tiedot anonymisoidaan, tai "
                "aiemmin asiakkaan pyynnöstä.",
                "en": "The personal identity code is kept encrypted for the "
                "customer relationship, and it is removed when the "
                "customer's data is anonymised, or earlier at the "
                "customer's request.",
            },
        },
        {
            "category": "order_history",
            "text": {
                "fi": "Tilaukset ja laskut ovat kirjanpitoaineistoa: ne "
                "säilytetään kuusi vuotta sen vuoden lopusta, jona "
                "tilikausi päättyi (kirjanpitolaki 1336/1997, 2 luku 10 §). "
                "Sen jälkeen tilauksesta poistetaan vastaanottajan nimi, "
                "toimitusosoite, muistiinpanot, toimitusten seurantakoodit "
                "ja palautusten syyt; tilausrivit, summat ja päivämäärät "
                "jäävät kirjanpitoa varten.",
                "en": "Orders and invoices are accounting records: they are kept "
                "for six years from the end of the year in which the "
                "financial year ended (Accounting Act 1336/1997, chapter 2, "
                "section 10). After that the recipient's name, the delivery "
                "address, notes, the tracking codes of deliveries and the "
                "reasons of returns are removed from the order; its lines, "
                "totals and dates stay for the accounts.",
            },
        },
        {
            "category": "payment_and_credit",
            "text": {
                "fi": "Maksuhäiriömerkintöjen määrä ja luokitus, "
                "luottotietoyhtiön viite ja ihmisen tekemän tarkistuksen "
                "perustelu poistetaan 12 kuukauden kuluttua luottotietojen "
                "tarkistamisesta. Päätös ja sen peruste säilyvät tilauksen "
                "mukana sen säilytysajan.",
                "en": "The number and classification of payment default entries, "
                "the credit bureau's reference and the reasons of a "
                "person's review are removed 12 months after the credit "
                "check. The decision and its reason stay with the order for "
                "as long as the order is kept.",
            },
        },
        {
            "category": "marketing_choices",
            "text": {
                "fi": "Markkinointilupa on voimassa, kunnes asiakas peruuttaa "
                "sen. Lupien, peruutusten ja kieltojen tapahtumat "
                "säilytetään todisteena siitä, mitä asiakas on sallinut; "
                "niiden IP-osoite ja selaimen tunniste poistetaan 24 "
                "kuukauden kuluttua luvan päättäneestä peruutuksesta tai "
                "kiellosta. Lähetettyjen markkinointiviestien tiedot "
                "poistetaan 24 kuukauden kuluttua kampanjan lähettämisen "
                "päättymisestä.",
                "en": "A marketing consent is in force until the customer "
                "withdraws it. The events of consents, withdrawals and bans "
                "are kept as evidence of what the customer allowed; their "
                "IP address and browser identifier are removed 24 months "
                "after the withdrawal or ban that ended the consent. The "
                "records of marketing messages sent are deleted 24 months "
                "after the campaign finished sending.",
            },
        },
        {
            "category": "privacy_records",
            "text": {
                "fi": "Tietosuojapyynnöt ja tietojen luovutukset säilytetään niin "
                "kauan kuin niitä tarvitaan sen osoittamiseen, että "
                "pyyntöihin on vastattu ja luovutuksille on ollut peruste. "
                "Kun asiakkaan tiedot poistetaan, niistä poistetaan "
                "asiakkaan nimi ja yhteystiedot.",
                "en": "Data protection requests and disclosures are kept as long "
                "as they are needed to show that the requests were answered "
                "and that the disclosures had a ground. When the customer's "
                "data is erased, the customer's name and contact details "
                "are removed from them.",
            },
        },
        {
            "category": "access_log",
            "text": {
                "fi": "Loki on muuttumaton: sen tapahtumia ei poisteta eikä "
                "muuteta. Tapahtumissa ei ole henkilötietojen arvoja, ja "
                "kun asiakkaan tiedot on anonymisoitu, tapahtumia ei voi "
                "enää yhdistää häneen.",
                "en": "The log cannot be changed: its events are neither deleted "
                "nor altered. The events hold no values of personal data, "
                "and once the customer's data has been anonymised, they can "
                "no longer be connected to the customer.",
            },
        },
    ],
    "credit_decision_logic": {
        "fi": "Kun asiakas tilaa laskulla, luottopäätös tehdään "
        "automaattisesti tilaushetkellä. Ensin tilauksen summaa "
        "verrataan suurimpaan laskulla myytävään summaan: sen "
        "ylittävä laskutilaus hylätään kysymättä asiakkaan "
        "luottotietoja.\n"
        "\n"
        "Muuten Suomen Asiakastieto Oy:ltä tarkistetaan "
        "henkilötunnuksella, onko asiakkaalla "
        "maksuhäiriömerkintöjä. Jos merkintöjä ei ole, lasku "
        "hyväksytään. Jos merkintöjä on, laskutilaus hylätään. "
        "Jos luottotietoyhtiö ei tunne henkilöä, henkilötunnus on "
        "virheellinen tai vastausta ei saada, päätöksen tekee "
        "ihminen: laskua ei koskaan hyväksytä automaattisesti "
        "ilman luottotietoyhtiön vastausta.\n"
        "\n"
        "Päätös koskee vain maksutapaa. Laskutilaus, jota ei ole "
        "hyväksytty, ei etene ennen kuin ihminen on hyväksynyt "
        "sen; tilauksen voi maksaa myös ennakkoon tai "
        "postiennakolla. Asiakkaalla on oikeus vaatia, että "
        "ihminen tarkastelee päätöksen uudelleen, esittää oma "
        "näkemyksensä ja riitauttaa päätös (tietosuoja-asetuksen "
        "22 artikla).",
        "en": "When the customer orders on invoice, the credit decision "
        "is made automatically at the time of the order. First "
        "the order total is compared with the largest total sold "
        "on invoice: an invoice order over it is declined without "
        "asking for the customer's credit data.\n"
        "\n"
        "Otherwise Suomen Asiakastieto Oy is asked, with the "
        "personal identity code, whether payment default entries "
        "are recorded on the customer. If there are none, the "
        "invoice is approved. If there are, the invoice order is "
        "declined. If the credit bureau does not know the person, "
        "the identity code is invalid or no answer comes, a "
        "person decides: an invoice is never approved "
        "automatically without the credit bureau's answer.\n"
        "\n"
        "The decision concerns only the payment method. An "
        "invoice order that has not been approved does not go "
        "ahead until a person approves it; the order can also be "
        "paid in advance or cash on delivery. The customer has "
        "the right to have a person review the decision, to "
        "express their point of view and to contest the decision "
        "(GDPR art. 22).",
    },
    "identity_code_requirement": {
        "fi": "Henkilötunnuksen antaminen ei ole lakisääteistä, "
        "eikä asiakkaan ole pakko antaa sitä: asiakkaaksi voi "
        "tulla ja tilata ilman sitä. Henkilötunnus on "
        "kuitenkin edellytys laskulla tilaamiselle. Ilman "
        "sitä luottotietoja ei voida tarkistaa eikä tilausta "
        "voi maksaa laskulla; tilauksen voi silloin maksaa "
        "ennakkoon tai postiennakolla.\n"
        "\n"
        "Annettu henkilötunnus tallennetaan salattuna. Sitä "
        "käytetään luottotietojen tarkistamiseen ja "
        "luottokaupan hoitamiseen, ja sen avulla tunnistetaan "
        "myös, onko tilaaja jo asiakas, jotta samasta "
        "henkilöstä ei synny kahta asiakastietoa. "
        "Henkilötunnus näytetään henkilökunnalle peitettynä; "
        "sen näkeminen vaatii erillisen oikeuden ja "
        "perustelun, ja jokainen katselu kirjataan.",
        "en": "Giving the personal identity code is not required by "
        "law, and the customer does not have to give it: "
        "anyone can become a customer and order without it. "
        "The identity code is, however, required for ordering "
        "on invoice. Without it the credit data cannot be "
        "checked and the order cannot be paid on invoice; it "
        "can then be paid in advance or cash on delivery.\n"
        "\n"
        "An identity code that is given is stored encrypted. "
        "It is used to check credit data and to run sales on "
        "credit, and also to recognise whether the person "
        "ordering is already a customer, so that the same "
        "person does not get two customer records. Staff see "
        "the identity code masked; seeing it needs a separate "
        "right and a reason, and every time it is seen is "
        "logged.",
    },
    "staff_instructions": {
        "fi": "Työntekijämme on ohjeistettu ja koulutettu ymmärtämään "
        "gdpr-asetuksen vaatimukset tietojenkäsittelyyn ja "
        "käsittelemään tietoja turvallisesti ja eettisesti. Jokainen "
        "työntekijä sitoutuu vaitiolovelvollisuuteen ja "
        "tietojenkäsittelyn sääntöihin ennen kuin pääsee "
        "käsittelemään asiakastietoja.",
        "en": "Our employees have been instructed and trained to "
        "understand the requirements the GDPR sets for processing "
        "data and to handle data securely and ethically. Every "
        "employee commits to the duty of confidentiality and the "
        "rules of data processing before they can handle customer "
        "data.",
    },
    "security": [
        {
            "key": "designated_users",
            "text": {
                "fi": "Konekielinen aineisto: asiakastietoja sisältävän "
                "järjestelmän käyttöön ja asiakastietojen muuttamiseen ovat "
                "oikeutettuja vain erikseen sovitut työntekijät. Kullakin "
                "käyttäjällä on oma käyttäjätunnus ja salasana "
                "järjestelmään.",
                "en": "Data in electronic form: only specifically designated "
                "employees are entitled to use the system containing "
                "customer data and to change customer data. Each user has "
                "their own username and password to the system.",
            },
        },
        {
            "key": "data_centres",
            "text": {
                "fi": "Asiakasrekisteri ja sitä käsittelevät tietojärjestelmän "
                "laitteistot sijaitsevat suljetuissa konesaleissa.",
                "en": "The customer register and the hardware of the information "
                "system that processes it are located in closed data "
                "centres.",
            },
        },
        {
            "key": "backups",
            "text": {
                "fi": "Häiriötilanteiden varalta tiedot varmistetaan "
                "säännönmukaisesti varmuuskopioimalla.",
                "en": "In case of disruptions, the data is regularly secured by backups.",
            },
        },
        {
            "key": "encryption",
            "text": {
                "fi": "Tietokanta ja verkkoliikenne on suojattu palomurein, "
                "salauksella sekä muilla teknisillä keinoilla. Henkilötunnus "
                "tallennetaan lisäksi erikseen salattuna.",
                "en": "The database and the network traffic are protected with "
                "firewalls, encryption and other technical means. The "
                "personal identity code is, in addition, stored encrypted on "
                "its own.",
            },
        },
        {
            "key": "confidentiality",
            "text": {
                "fi": "Vaitiolovelvollisuus sitoo asiakasrekisteritietoja "
                "käsitteleviä työntekijöitä.",
                "en": "A duty of confidentiality binds the employees who handle "
                "customer register data.",
            },
        },
        {
            "key": "audit_log",
            "text": {
                "fi": "Jokainen asiakastietojen katselu, haku ja muutos kirjataan "
                "lokiin, jota ei voi jälkikäteen muuttaa huomaamatta.",
                "en": "Every view, search and change of customer data is recorded "
                "in a log that cannot be altered afterwards without it being "
                "noticed.",
            },
        },
    ],
    "rights": [
        {
            "key": "access",
            "text": {
                "fi": "Asiakkaalla on oikeus saada tietää, mitä tietoja hänestä on "
                "tallennettu, ja saada niistä kopio (tietosuoja-asetuksen 15 "
                "artikla).",
                "en": "The customer has the right to know what data is stored about "
                "them and to get a copy of it (GDPR art. 15).",
            },
        },
        {
            "key": "rectification",
            "text": {
                "fi": "Asiakkaalla on oikeus vaatia virheellisen tai puutteellisen "
                "tiedon oikaisemista (16 artikla).",
                "en": "The customer has the right to have inaccurate or incomplete "
                "data rectified (art. 16).",
            },
        },
        {
            "key": "erasure",
            "text": {
                "fi": "Asiakkaalla on oikeus vaatia tietojensa poistamista (17 "
                "artikla). Tietoja, jotka laki velvoittaa säilyttämään, kuten "
                "kirjanpitoon kuuluvia tilauksia, ei poisteta ennen "
                "säilytysajan päättymistä; niistä poistetaan asiakkaan nimi ja "
                "yhteystiedot.",
                "en": "The customer has the right to have their data erased (art. "
                "17). Data the law requires us to keep, such as orders that "
                "belong to the accounts, is not deleted before its retention "
                "period ends; the customer's name and contact details are "
                "removed from it.",
            },
        },
        {
            "key": "restriction",
            "text": {
                "fi": "Asiakkaalla on oikeus vaatia tietojensa käsittelyn "
                "rajoittamista (18 artikla).",
                "en": "The customer has the right to have the processing of their "
                "data restricted (art. 18).",
            },
        },
        {
            "key": "portability",
            "text": {
                "fi": "Asiakkaalla on oikeus saada itse antamansa tiedot "
                "koneluettavassa muodossa ja siirtää ne toiselle "
                "rekisterinpitäjälle (20 artikla).",
                "en": "The customer has the right to receive the data they gave us "
                "in a machine-readable format and to transmit it to another "
                "controller (art. 20).",
            },
        },
        {
            "key": "objection",
            "text": {
                "fi": "Asiakkaalla on oikeus vastustaa oikeutettuun etuun perustuvaa "
                "käsittelyä ja kieltää suoramarkkinointi milloin tahansa (21 "
                "artikla). Kielto koskee kaikkia markkinointikanavia.",
                "en": "The customer has the right to object to processing based on "
                "legitimate interest and to ban direct marketing at any time "
                "(art. 21). The ban covers every marketing channel.",
            },
        },
        {
            "key": "withdraw_consent",
            "text": {
                "fi": "Asiakas voi peruuttaa antamansa suostumuksen milloin tahansa; "
                "peruutus ei vaikuta sitä ennen tapahtuneen käsittelyn "
                "lainmukaisuuteen. Markkinointiviestien peruutuslinkki ja "
                "tietosuojasivujemme markkinointivalinnat toimivat heti.",
                "en": "The customer may withdraw a consent at any time; withdrawing "
                "does not affect the lawfulness of processing before it. The "
                "unsubscribe link in marketing messages and the marketing "
                "choices on our privacy pages take effect at once.",
            },
        },
        {
            "key": "human_review",
            "text": {
                "fi": "Asiakkaalla on oikeus vaatia, että ihminen tarkastelee "
                "automaattisen luottopäätöksen (22 artikla).",
                "en": "The customer has the right to have a person review an "
                "automated credit decision (art. 22).",
            },
        },
        {
            "key": "how_to_use",
            "text": {
                "fi": "Oikeuksiaan voi käyttää tietosuojasivuillamme, joilla pyynnön "
                "voi tehdä verkossa, tai ottamalla yhteyttä rekisteriasioista "
                "vastaavaan henkilöön. Henkilöllisyys varmistetaan ennen kuin "
                "tietoja annetaan tai muutetaan. Pyyntöön vastataan kuukauden "
                "kuluessa sen saapumisesta; jos pyyntöjä on paljon tai ne ovat "
                "monimutkaisia, aikaa voidaan jatkaa enintään kahdella "
                "kuukaudella, ja siitä ja sen syystä kerrotaan pyytäjälle.",
                "en": "The customer can use these rights on our privacy pages, where "
                "a request can be made online, or by contacting the person in "
                "charge of register matters. The person's identity is verified "
                "before any data is given out or changed. A request is "
                "answered within one month of its arrival; if there are many "
                "requests or they are complex, the time may be extended by at "
                "most two months, and the requester is told so and why.",
            },
        },
    ],
    "complaint": {
        "fi": "Asiakkaalla on oikeus tehdä valitus valvontaviranomaiselle, jos hän "
        "katsoo, että hänen henkilötietojensa käsittelyssä rikotaan "
        "tietosuoja-asetusta: Tietosuojavaltuutetun toimisto, "
        "www.tietosuoja.fi, tietosuoja@om.fi.",
        "en": "The customer has the right to lodge a complaint with the supervisory "
        "authority if they consider that the processing of their personal "
        "data infringes the GDPR: the Office of the Data Protection Ombudsman "
        "(Tietosuojavaltuutetun toimisto), www.tietosuoja.fi, "
        "tietosuoja@om.fi.",
    },
}


def publish(apps, schema_editor):
    RegisterDescription = apps.get_model("privacy", "RegisterDescription")
    if not RegisterDescription.objects.exists():
        RegisterDescription.objects.create(
            version=1,
            content=DESCRIPTION,
            published_at=timezone.now(),
            published_by=None,
            change_note=CHANGE_NOTE,
        )


def unpublish(apps, schema_editor):
    RegisterDescription = apps.get_model("privacy", "RegisterDescription")
    # Only the version this migration published, and only while it is the only one.
    if RegisterDescription.objects.count() == 1:
        RegisterDescription.objects.filter(
            version=1, published_by__isnull=True, change_note=CHANGE_NOTE
        ).delete()


class Migration(migrations.Migration):
    dependencies = [("privacy", "0004_notice_and_breaches")]

    operations = [migrations.RunPython(publish, unpublish)]
