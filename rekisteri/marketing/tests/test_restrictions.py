"""The ASML restriction list: read from its name and address file, kept as keyed
digests only, and the people on it left out of every post address list (P4, P11)."""

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.crypto import keyring
from rekisteri.marketing.models import RestrictionEntry, RestrictionList, TargetGroup
from rekisteri.marketing.restrictions import (
    MAX_FILE_BYTES,
    PURPOSE,
    Rejection,
    RejectReason,
    restricted_digests,
    restriction_file_parse,
    restriction_key,
    restriction_list_import,
)
from rekisteri.marketing.selectors import target_group_export_rows
from rekisteri.marketing.services import TargetGroupInput, target_group_save
from rekisteri.testing.address_lists import prepared_download
from rekisteri.testing.customer_files import doctype_workbook
from rekisteri.testing.factories import make_customer

SYSTEM = Actor.system("test")
FINNISH_HEADER = "sukunimi;etunimet;lähiosoite;postinumero;postitoimipaikka"


def digest(key: str) -> str:
    return keyring().blind_index(key, purpose=PURPOSE)


def upload(text: str, encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile("kieltorekisteri.csv", text.encode(encoding), "text/csv")


def a_post_group() -> TargetGroup:
    return target_group_save(actor=SYSTEM, data=TargetGroupInput(name="Postitus", channel="post"))


# Reading the file ---------------------------------------------------------------


def test_it_reads_a_finnish_header_with_semicolons():
    parsed = restriction_file_parse(
        f"{FINNISH_HEADER}\nVirtanen;Aino Maria;Isokatu 1 A 2;90100;OULU\n"
    )

    assert parsed.digests == {digest("virtanen|aino|isokatu1a2|90100")}
    assert (parsed.rows_read, parsed.rejections) == (1, ())


def test_it_reads_an_english_header_with_commas_in_any_column_order():
    text = (
        "Postal code,Street address,First names,Surname\n"
        '90440,"Kirkkotie 5, as. 3",Pekka,Mäkelä\n'
        "00100,Mannerheimintie 1,Liisa,Laine\n"
    )

    parsed = restriction_file_parse(text)

    assert parsed.digests == {
        digest("makela|pekka|kirkkotie53|90440"),
        digest("laine|liisa|mannerheimintie1|00100"),
    }
    assert parsed.rows_read == 2


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "iso-8859-1"])
def test_it_reads_utf8_with_or_without_bom_and_windows_1252_and_latin_1(db, encoding):
    text = f"{FINNISH_HEADER}\nJääskeläinen;Öljy-Åke;Kärkitie 4;90500;OULU\n"

    result = restriction_list_import(actor=SYSTEM, file=upload(text, encoding))

    stored = set(RestrictionEntry.objects.values_list("digest", flat=True))
    assert stored == {digest("jaaskelainen|oljyake|karkitie4|90500")}
    assert (result.restriction_list.rows_read, result.rejections) == (1, ())


def test_rows_without_a_usable_name_address_or_postal_code_are_rejected_by_row_number():
    text = (
        f"{FINNISH_HEADER}\n"
        "Virtanen;Aino;Isokatu 1;90100;OULU\n"
        ";Pekka;Kirkkotie 5;90440;KEMPELE\n"
        "\n"
        "Laine;;Koulukatu 2;90100;OULU\n"
        "Korhonen;Matti;;90100;OULU\n"
        "Nieminen;Liisa;Rantatie 3;9010;OULU\n"
        "Mäkinen;Juha;Torikatu 8;FI-90100;OULU\n"
        "Heikkinen;Anna;Puistotie 1\n"
        "Koskinen;Timo;Kauppakatu 4; 90 100 ;OULU\n"
    )

    parsed = restriction_file_parse(text)

    assert parsed.rows_read == 8
    assert parsed.rejections == (
        Rejection(3, RejectReason.NO_SURNAME),
        Rejection(5, RejectReason.NO_FIRST_NAME),
        Rejection(6, RejectReason.NO_STREET_ADDRESS),
        Rejection(7, RejectReason.BAD_POSTAL_CODE),
        Rejection(8, RejectReason.BAD_POSTAL_CODE),
        Rejection(9, RejectReason.BAD_POSTAL_CODE),
    )
    assert parsed.digests == {
        digest("virtanen|aino|isokatu1|90100"),
        digest("koskinen|timo|kauppakatu4|90100"),
    }


def test_a_file_without_the_columns_is_refused():
    with pytest.raises(ValidationError) as refused:
        restriction_file_parse("nimi;osoite\nAino Virtanen;Isokatu 1\n")

    assert refused.value.messages == [
        "The first row must name the columns: sukunimi, etunimet, lähiosoite and "
        "postinumero (or surname, first names, street address and postal code)."
    ]


# Normalisation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("on_the_list", "customer"),
    [
        (
            ("VIRTANEN", "AINO", "ISOKATU 1 A 2", "90100"),
            ("Virtanen", "Aino Maria", "Isokatu 1 a 2", "90100"),
        ),
        (
            ("Mäkelä", "Pekka", "Kirkkotie 5, as. 3", "90440"),
            ("MAKELA", "Pekka Juhani", "Kirkkotie 5 3", "90 440"),
        ),
        (
            ("Mäki-Petäjä", "Anna-Liisa", "Pohjantie  12 B", "90540"),
            ("Mäki Petäjä", "Anna-Liisa Maria", "Pohjantie 12B", "90540"),
        ),
        (
            # Decomposed "ä" (a and a combining mark) and a fullwidth digit.
            ("Ma\u0308kinen", "Juha", "Torikatu \uff18", "90100"),
            ("Mäkinen", "  Juha  ", "Torikatu 8.", "90100"),
        ),
    ],
)
def test_spelling_variants_of_one_name_and_address_give_one_key(on_the_list, customer):
    def key(surname: str, first_names: str, street_address: str, postal_code: str) -> str | None:
        return restriction_key(
            surname=surname,
            first_names=first_names,
            street_address=street_address,
            postal_code=postal_code,
        )

    assert key(*on_the_list) is not None
    assert key(*on_the_list) == key(*customer)


@pytest.mark.parametrize(
    "customer",
    [
        ("Virtanen", "Maria Aino", "Isokatu 1 A 2", "90100"),  # another first given name
        ("Virtanen", "Aino", "Isokatu 1 A 3", "90100"),
        ("Virtanen", "Aino", "Isokatu 1 A 2", "90101"),
        ("Virtala", "Aino", "Isokatu 1 A 2", "90100"),
    ],
)
def test_another_person_or_address_gives_another_key(customer):
    surname, first_names, street_address, postal_code = customer
    listed = restriction_key(
        surname="Virtanen", first_names="Aino", street_address="Isokatu 1 A 2", postal_code="90100"
    )

    assert listed != restriction_key(
        surname=surname,
        first_names=first_names,
        street_address=street_address,
        postal_code=postal_code,
    )


def test_the_digests_of_a_run_are_the_key_rings_blind_index():
    ring = keyring()
    index = ring.blind_indexer(purpose=PURPOSE)

    for key in ("virtanen|aino|isokatu1|90100", "jaaskelainen|oljyake|karkitie4|90500", ""):
        assert index(key) == ring.blind_index(key, purpose=PURPOSE)
    assert index("a") != ring.blind_index("a", purpose="another purpose")


# The import service ---------------------------------------------------------------


def test_an_import_stores_digests_only_and_is_audited_without_names(db):
    text = (
        f"{FINNISH_HEADER}\n"
        "Virtanen;Aino;Isokatu 1;90100;OULU\n"
        "VIRTANEN;Aino Maria;Isokatu 1;90100;OULU\n"
        "Laine;Liisa;;90100;OULU\n"
    )

    result = restriction_list_import(actor=SYSTEM, file=upload(text))

    listed = RestrictionList.objects.get()
    assert listed == result.restriction_list
    assert (listed.rows_read, listed.rows_rejected, listed.imported_by) == (3, 1, None)
    assert list(RestrictionEntry.objects.values_list("restriction_list", "digest")) == [
        (listed.pk, digest("virtanen|aino|isokatu1|90100"))
    ]
    audit = AuditEvent.objects.get(object_type="marketing.restrictionlist")
    assert (audit.action, audit.object_id, audit.customer_id, audit.changed_fields) == (
        Action.CREATE,
        str(listed.pk),
        None,
        [],
    )
    assert audit.reason == (
        "ASML restriction list: 3 rows read, 1 rejected, 1 entries stored, "
        "0 entries of older lists deleted"
    )


def test_a_new_import_is_in_force_and_the_older_entries_are_deleted(db):
    first = restriction_list_import(
        actor=SYSTEM, file=upload(f"{FINNISH_HEADER}\nVirtanen;Aino;Isokatu 1;90100;OULU\n")
    ).restriction_list
    second = restriction_list_import(
        actor=SYSTEM, file=upload(f"{FINNISH_HEADER}\nLaine;Liisa;Koulukatu 2;90100;OULU\n")
    ).restriction_list

    assert list(RestrictionList.objects.order_by("pk")) == [first, second]
    assert list(RestrictionEntry.objects.values_list("restriction_list", flat=True)) == [second.pk]
    assert restricted_digests() == {digest("laine|liisa|koulukatu2|90100")}
    audit = AuditEvent.objects.filter(object_type="marketing.restrictionlist").latest("id")
    assert audit.reason.endswith("1 entries stored, 1 entries of older lists deleted")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (
            f"{FINNISH_HEADER}\n;Aino;Isokatu 1;90100;OULU\n".encode(),
            "The file has no row with a name, street address and postal code.",
        ),
        (
            "sukunimi;etunimet\n".encode("utf-16"),
            "The file is not a text CSV file. Save it as CSV (UTF-8) and try again.",
        ),
        (b"x" * (MAX_FILE_BYTES + 1), "The file is larger than 50 MB."),
    ],
    ids=["empty", "no-usable-row", "utf-16", "too-large"],
)
def test_a_bad_file_is_refused_and_nothing_is_stored(db, content, message):
    restriction_list_import(
        actor=SYSTEM, file=upload(f"{FINNISH_HEADER}\nVirtanen;Aino;Isokatu 1;90100;OULU\n")
    )
    audit_before = AuditEvent.objects.count()

    with pytest.raises(ValidationError) as refused:
        restriction_list_import(actor=SYSTEM, file=io.BytesIO(content))

    assert refused.value.messages == [message]
    assert RestrictionList.objects.count() == 1
    assert RestrictionEntry.objects.count() == 1
    assert AuditEvent.objects.count() == audit_before


# The post export ---------------------------------------------------------------


def test_without_a_list_the_export_rows_are_the_members_as_read(db):
    group = a_post_group()
    make_customer(first_names="Aino", surname="Virtanen", street_address="Isokatu 1")

    assert restricted_digests() == frozenset()
    assert [row[:3] for row in target_group_export_rows(group)] == [
        ("Aino", "Virtanen", "Isokatu 1")
    ]


def test_the_export_leaves_out_customers_on_the_list_in_force(client_as):
    group = a_post_group()
    make_customer(
        first_names="Aino Maria",
        surname="Virtanen",
        street_address="Isokatu 1 A 2",
        postal_code="90100",
        post_office="OULU",
    )
    make_customer(
        first_names="Pekka",
        surname="Mäkelä",
        street_address="Kirkkotie 5 as 3",
        postal_code="90440",
        post_office="KEMPELE",
    )
    restriction_list_import(
        actor=SYSTEM,
        file=upload(f"{FINNISH_HEADER}\nVIRTANEN;AINO;ISOKATU 1 A 2;90100;OULU\n", "cp1252"),
    )

    response = prepared_download(
        client_as(Role.MARKETING), reverse("marketing:export", args=[group.pk])
    )

    assert response.status_code == 200
    text = response.content.decode()
    assert list(csv.reader(io.StringIO(text))) == [
        ["Name", "Street address", "Postal code", "Post office", "Country"],
        ["Pekka Mäkelä", "Kirkkotie 5 as 3", "90440", "KEMPELE", "FI"],
    ]
    audit = AuditEvent.objects.get(action=Action.EXPORT)
    assert audit.reason == "post address list of 'Postitus': 1 rows"


def test_a_list_digested_under_another_key_stops_the_export(client_as):
    group = a_post_group()
    make_customer()
    RestrictionList.objects.create(imported_at=timezone.now(), key_id="0123456789abcdef")

    response = client_as(Role.MARKETING).post(reverse("marketing:export", args=[group.pk]))

    assert response.status_code == 409
    assert response.content.decode().startswith("The restriction list in force was imported")
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()


# The staff pages ---------------------------------------------------------------


def test_marketing_imports_a_list_and_sees_the_rejected_rows_without_names(client_as):
    client = client_as(Role.MARKETING)
    text = (
        f"{FINNISH_HEADER}\n"
        "Kieltolistanen;Aino;Isokatu 1;90100;OULU\n"
        "Rajoitusmaa;Eero;Rantatie 3;9010;OULU\n"
    )

    response = client.post(reverse("marketing:restriction_import"), {"file": upload(text)})

    assert response.status_code == 302
    assert response.url == reverse("marketing:restrictions")
    listed = RestrictionList.objects.get()
    assert (listed.rows_read, listed.rows_rejected) == (2, 1)
    assert listed.imported_by == response.wsgi_request.user
    page = client.get(reverse("marketing:restrictions")).content.decode()
    assert "Restriction list imported; it is now in force." in page
    assert "1 row was rejected and not stored:" in page
    assert "<td>3</td><td>the postal code is not five digits</td>" in page
    assert "Kieltolistanen" not in page and "Rajoitusmaa" not in page
    assert "Rantatie" not in page
    again = client.get(reverse("marketing:restrictions")).content.decode()
    assert "rejected and not stored" not in again


def test_a_workbook_with_a_document_type_is_refused_and_nothing_is_stored(client_as):
    """The list is read as CSV only: a workbook, whatever XML it holds, is refused
    before any of it is parsed."""
    raw = doctype_workbook("utf-16 with a byte order mark")
    response = client_as(Role.MARKETING).post(
        reverse("marketing:restriction_import"),
        {"file": SimpleUploadedFile("kielto.xlsx", raw, "application/octet-stream")},
    )

    assert response.status_code == 200
    assert "The file is not a text CSV file." in response.content.decode()
    assert not RestrictionList.objects.exists()
    assert not AuditEvent.objects.filter(object_type="marketing.restrictionlist").exists()


def test_a_bad_upload_shows_the_error_and_stores_nothing(client_as):
    response = client_as(Role.MARKETING).post(
        reverse("marketing:restriction_import"), {"file": upload("nimi;osoite\nAino;Isokatu\n")}
    )

    assert response.status_code == 200
    assert "The first row must name the columns" in response.content.decode()
    assert not RestrictionList.objects.exists()
    assert not AuditEvent.objects.filter(object_type="marketing.restrictionlist").exists()


def test_the_privacy_officer_sees_the_imports_but_no_upload_form(privacy_officer_client):
    restriction_list_import(
        actor=SYSTEM, file=upload(f"{FINNISH_HEADER}\nVirtanen;Aino;Isokatu 1;90100;OULU\n")
    )

    response = privacy_officer_client.get(reverse("marketing:restrictions"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "In force" in page
    assert "Import a new list" not in page


def test_the_target_group_list_links_to_the_restriction_list(client_as):
    page = client_as(Role.MARKETING).get(reverse("marketing:list")).content.decode()

    assert f'href="{reverse("marketing:restrictions")}"' in page


@pytest.mark.parametrize("role", [Role.CUSTOMER_SERVICE, Role.PRIVACY_OFFICER, Role.AUDITOR])
def test_other_roles_cannot_import_and_nothing_is_stored(client_as, role):
    text = f"{FINNISH_HEADER}\nVirtanen;Aino;Isokatu 1;90100;OULU\n"

    response = client_as(role).post(reverse("marketing:restriction_import"), {"file": upload(text)})

    assert response.status_code == 403
    assert not RestrictionList.objects.exists()
    assert not RestrictionEntry.objects.exists()
    denied = AuditEvent.objects.get(action=Action.PERMISSION_DENIED)
    assert denied.object_id == reverse("marketing:restriction_import")
    assert not AuditEvent.objects.filter(object_type="marketing.restrictionlist").exists()
