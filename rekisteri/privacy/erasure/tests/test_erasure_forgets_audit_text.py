"""Erasure and the audit trail (crypto-shredding): a reason typed about a customer is
kept in the trail encrypted under the customer's own key; staff who may read the log
see it while the customer exists; erasure destroys the key, after which the person's
name is nowhere, not in the database, a fresh backup or any export, while the chain
still verifies."""

from __future__ import annotations

import importlib
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent, SubjectKey
from rekisteri.audit.sealing import audit_seal
from rekisteri.audit.selectors import audit_chain_verify
from rekisteri.audit.services import Actor, audit_record
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.backups import fileformat
from rekisteri.backups.databases import libpq_environment, libpq_parameters
from rekisteri.crypto import keyring
from rekisteri.customers.models import Customer
from rekisteri.privacy.access.copy import subject_data
from rekisteri.privacy.erasure import services as erasure
from rekisteri.privacy.models import LegalHold, SubjectRequest
from rekisteri.testing.auth import sign_in
from rekisteri.testing.database import found_in_database
from rekisteri.testing.everything import customer_with_everything, person
from rekisteri.testing.factories import make_customer, make_staff
from rekisteri.testing.identity_codes import random_identity_code

SYSTEM = Actor.system("test")
REASON = "Asiakkaan poistopyyntö sähköpostitse"
AUDIT_LOG = reverse("audit:log")


@pytest.fixture(autouse=True)
def erasure_log(settings, tmp_path):
    settings.REKISTERI_ERASURE_LOG = tmp_path / "erasure-log.jsonl"


def signed_in(role: str) -> Client:
    return sign_in(make_staff(role), Client(HTTP_ACCEPT_LANGUAGE="en"))


def customer_url(name: str, customer: Customer) -> str:
    return reverse(name, args=[customer.customer_number])


def audit_log_pages(client: Client, customer: Customer) -> str:
    """Every page of the audit log of the customer, as one text."""
    pages = []
    url = f"{AUDIT_LOG}?customer={customer.customer_number}"
    while url:
        response = client.get(url)
        assert response.status_code == 200
        page = response.content.decode()
        pages.append(page)
        older = response.context.get("older_query", "")
        url = f"{AUDIT_LOG}?{older}" if older else ""
    return "\n".join(pages)


def backup_text(tmp_path: Path) -> str:
    """A fresh backup (`rekisteri backup create`), decrypted, as text: the SQLite file
    itself, or the SQL that pg_restore makes of the PostgreSQL archive."""
    call_command("backup", "create", stdout=io.StringIO())
    (path,) = Path(tmp_path / "backups").glob("rekisteri-*Z.rkbackup")
    payload = tmp_path / "payload"
    with path.open("rb") as source, payload.open("wb") as destination:
        fileformat.decrypt(source, destination, ring=keyring())
    if connection.vendor == "sqlite":
        return payload.read_bytes().decode("utf-8", errors="replace")
    pg_restore = shutil.which("pg_restore")
    assert pg_restore is not None, "the PostgreSQL client tools are needed"
    restored = subprocess.run(
        [pg_restore, "--file=-", str(payload)],
        capture_output=True,
        check=True,
        env=libpq_environment(libpq_parameters(connection.settings_dict)),
    )
    return restored.stdout.decode("utf-8")


def the_reasons_that_reach_the_audit_trail(
    officer: Client, customer: Customer, order_number: int, surname: str
) -> None:
    """Staff write the surname into every kind of reason that reaches the audit trail,
    through their pages; the reasons that are checked free of the person's details
    refuse it and are given without."""
    revealed = officer.post(
        customer_url("customers:reveal", customer),
        {"reason": f"{surname} pyysi tarkistamaan henkilötunnuksensa"},
    )
    assert revealed.status_code == 200
    reviewed = officer.post(
        reverse("orders:credit_review", args=[order_number]),
        {"decision": "approved", "reason": f"{surname} maksoi erääntyneen laskun"},
    )
    assert reviewed.status_code == 302
    disclosed = officer.post(
        reverse("privacy:authority_export"),
        {
            "customer_number": customer.customer_number,
            "recipient": "Oulun poliisilaitos",
            "legal_ground": f"Poliisilaki 4 luku 3 §, asianomistaja {surname}",
            "reference": "5500/R/1234/26",
            "categories": ["name"],
        },
    )
    assert disclosed.status_code == 200
    recorded = officer.post(
        reverse("privacy:request_create"),
        {
            "kind": "access",
            "received_via": "phone",
            "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "customer_number": customer.customer_number,
            "details": f"{surname} haluaa kopion tiedoistaan",
            "verification_note": f"{surname} tunnistettu tilaushistorian perusteella.",
        },
    )
    assert recorded.status_code == 302
    access_request = SubjectRequest.objects.filter(customer=customer, kind="access").get()
    refused = officer.post(
        reverse("privacy:request_action", args=[access_request.public_id]),
        {
            "action": "refuse",
            "outcome": f"Sama pyyntö vastattiin {surname}lle viime viikolla.",
            "version": access_request.version,
        },
    )
    assert refused.status_code == 302
    for url in (
        customer_url("privacy:legal_hold", customer),
        customer_url("privacy:restrict", customer),
    ):
        refused_with_name = officer.post(url, {"reason": f"Riita-asia, {surname} valittaa"})
        assert refused_with_name.status_code == 400
    holds = LegalHold.objects.count()
    assert (
        officer.post(
            customer_url("privacy:restrict", customer),
            {"reason": "Tietojen oikeellisuus kiistetty"},
        ).status_code
        == 302
    )
    assert LegalHold.objects.count() == holds


@pytest.mark.django_db
def test_staff_who_may_read_the_log_see_the_reason_until_the_customer_is_erased():
    customer = make_customer(identity_code=random_identity_code())
    reason = f"{customer.surname} soitti ja pyysi tarkistusta"
    revealer = signed_in(Role.PRIVACY_OFFICER)
    revealer.post(customer_url("customers:reveal", customer), {"reason": reason})
    auditor = signed_in(Role.AUDITOR)

    before = auditor.get(f"{AUDIT_LOG}?customer={customer.customer_number}")
    page = revealer.get(customer_url("customers:detail", customer))

    assert before.status_code == 200
    assert reason in before.content.decode()
    assert reason in page.content.decode()
    event = AuditEvent.objects.get(action=Action.REVEAL)
    assert (event.reason, personal_text_decrypt(event)) == ("", reason)
    assert customer.surname not in event.personal_reason

    erasure.customer_erase(actor=SYSTEM, customer=customer, reason=REASON)
    after = auditor.get(f"{AUDIT_LOG}?customer={customer.customer_number}")

    assert customer.surname not in after.content.decode()
    assert "<td>(erased)</td>" in after.content.decode()
    assert personal_text_decrypt(event) is None


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.CUSTOMER_SERVICE, Role.MARKETING])
def test_staff_who_may_not_read_the_log_are_refused_and_see_no_reason(role):
    customer = make_customer()
    reason = f"{customer.surname} soitti ja pyysi tarkistusta"
    audit_record(actor=SYSTEM, action=Action.REVEAL, customer=customer, reason=reason)
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()

    response = signed_in(role).get(f"{AUDIT_LOG}?customer={customer.customer_number}")

    assert response.status_code == 403
    assert reason not in response.content.decode()
    new = AuditEvent.objects.filter(id__gt=last)
    assert [(event.action, event.object_id) for event in new] == [
        (Action.PERMISSION_DENIED, AUDIT_LOG)
    ]


@pytest.mark.django_db
def test_an_event_about_an_erased_customer_is_written_unreadable_and_gets_no_new_key():
    """After erasure nothing readable is written about the person: a later reason is
    encrypted under a key thrown away at once; the destroyed key stays destroyed."""
    customer = make_customer()
    erasure.customer_erase(actor=SYSTEM, customer=customer, reason=REASON)

    event = audit_record(
        actor=SYSTEM, action=Action.VIEW, customer=customer, reason="Kysyi tilauksesta"
    )

    assert event.reason == ""
    assert event.personal_reason.startswith("s1:")
    assert personal_text_decrypt(event) is None
    keys = SubjectKey.objects.filter(customer=customer)
    assert list(keys.values_list("key_encrypted", flat=True)) == [""]


@pytest.mark.django_db
def test_a_key_fetched_before_the_erasure_in_its_transaction_is_not_used_after_it():
    customer = make_customer()
    with transaction.atomic():
        before = audit_record(actor=SYSTEM, action=Action.VIEW, customer=customer, reason="Eka")
        erasure.customer_anonymise(actor=SYSTEM, customer=customer, reason=REASON)
        after = audit_record(actor=SYSTEM, action=Action.VIEW, customer=customer, reason="Toka")

    assert [personal_text_decrypt(event) for event in (before, after)] == [None, None]
    assert SubjectKey.objects.get(customer=customer).key_encrypted == ""


@pytest.mark.django_db
def test_a_key_made_in_a_savepoint_that_is_rolled_back_is_not_used_after():
    """The keys fetched in a transaction are reused, savepoint by savepoint: a key made
    in a savepoint rolled back was never stored, and a later reason gets a stored one."""
    customer = make_customer()
    with transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            audit_record(actor=SYSTEM, action=Action.VIEW, customer=customer, reason="Eka")
            raise RuntimeError("rolled back")
        assert not SubjectKey.objects.filter(customer=customer).exists()
        first = audit_record(actor=SYSTEM, action=Action.VIEW, customer=customer, reason="Toka")
        second = audit_record(actor=SYSTEM, action=Action.VIEW, customer=customer, reason="Kolmas")

    assert [personal_text_decrypt(event) for event in (first, second)] == ["Toka", "Kolmas"]
    assert SubjectKey.objects.filter(customer=customer).count() == 1


def _audit_triggers(*, on: bool) -> None:
    """The append-only triggers on or off: a test whose data commits (for a backup,
    which reads only what has committed) is emptied afterwards by deleting every row."""
    sealing = importlib.import_module("rekisteri.audit.migrations.0007_sealing_and_subject_keys")
    if connection.vendor == "sqlite":
        statements = sealing.SQLITE if on else sealing.SQLITE[:2]
    else:
        statements = [f"ALTER TABLE audit_auditevent {'ENABLE' if on else 'DISABLE'} TRIGGER USER"]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@pytest.fixture(scope="module")
def append_only_again(django_db_blocker):
    """The triggers back on once the module is done (its committing test runs last),
    and the rows the migrations made (the running number counters, the default
    retention policies, the first register description, ...) put back: the committing
    test's database is emptied after it, and the tests that run after it in the same
    process need them."""
    yield
    with django_db_blocker.unblock():
        _audit_triggers(on=True)
        contents = getattr(connection, "_test_serialized_contents", None)
        if contents:
            connection.creation.deserialize_db_from_string(contents)


@pytest.fixture
def emptied_afterwards(append_only_again):
    # Torn down before the test database is emptied.
    yield
    _audit_triggers(on=False)


# Last in the module: see `append_only_again`. `serialized_rollback` keeps a copy of
# what the migrations made, for `append_only_again` to put back.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_erased_persons_name_is_nowhere_in_the_audit_trail_a_backup_or_an_export(
    settings, tmp_path, emptied_afterwards
):
    settings.REKISTERI_BACKUP_DIR = tmp_path / "backups"
    who = person()
    everything = customer_with_everything(who=who)
    customer = everything.customer
    officer = signed_in(Role.PRIVACY_OFFICER)
    surname = who["surname"]
    the_reasons_that_reach_the_audit_trail(
        officer, customer, everything.invoice_order.order_number, surname
    )
    # Written and readable, but never as plain text in the trail.
    personal = AuditEvent.objects.filter(customer=customer).exclude(personal_reason="")
    texts = [personal_text_decrypt(event) for event in personal]
    assert sum(surname in str(text) for text in texts) == 3  # reveal, review, disclosure
    assert not AuditEvent.objects.filter(customer=customer).exclude(reason="").exists()
    assert surname in audit_log_pages(officer, customer)

    response = officer.post(
        customer_url("privacy:erase", customer),
        {
            "reason": REASON,
            "confirm": "on",
            "subject_request": str(everything.subject_request.public_id),
        },
    )

    assert response.status_code == 302
    key = SubjectKey.objects.get(customer=customer)
    assert (key.key_encrypted, key.destroyed_at is not None) == ("", True)
    assert [personal_text_decrypt(event) for event in personal] == [None] * len(texts)
    erased = AuditEvent.objects.filter(customer=customer, action=Action.ERASE).get()
    assert erased.reason.startswith(f"erasure (art. 17): {REASON}")
    assert found_in_database(who) == set()
    audit_seal()
    report = audit_chain_verify()
    assert (report.is_intact, report.unsealed) == (True, 0), report.problem
    page = audit_log_pages(officer, customer)
    assert surname not in page
    assert "(erased)" in page
    assert erased.reason in page
    copy = json.dumps(subject_data(customer, include_identity_code=True, language="en"))
    records = officer.get(reverse("privacy:records_csv"))
    assert records.status_code == 200
    exports = [copy, json.dumps(copy, ensure_ascii=False), records.content.decode()]
    assert not any(term in export for term in who.values() for export in exports)
    backup = backup_text(tmp_path)
    assert not any(term in backup for term in who.values())
