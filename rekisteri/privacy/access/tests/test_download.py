"""The customer's own copy through an expiring download link, or handed over by staff:
only for a verified access or portability request, recorded as a disclosure to the
data subject every time it leaves."""

from __future__ import annotations

import datetime
import io
import json
import uuid
import zipfile
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.privacy.access.disclosures import (
    access_delivery_create,
    access_delivery_download,
    access_delivery_url,
    access_handover,
    download_token,
)
from rekisteri.privacy.models import AccessDelivery, Disclosure, RequestStatus, SubjectRequest
from rekisteri.privacy.requests.services import subject_request_record
from rekisteri.testing.factories import make_customer
from rekisteri.testing.identity_codes import identity_code_for

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
CODE = identity_code_for(datetime.date(1978, 11, 30), 947)


def request_for(customer, *, kind: str = "access", verified: bool = True) -> SubjectRequest:
    return subject_request_record(
        actor=SYSTEM,
        kind=kind,
        received_via="email",
        received_at=timezone.now(),
        customer=customer,
        name=f"{customer.first_names} {customer.surname}",
        email=customer.email,
        verification_note="Tunnistettu puhelimessa asiakasnumerolla ja osoitteella."
        if verified
        else "",
    )


@pytest.fixture
def customer():
    return make_customer(
        surname="Mäkinen",
        first_names="Sanna",
        email="sanna.makinen@example.fi",
        identity_code=CODE,
    )


@pytest.fixture
def delivery(customer) -> AccessDelivery:
    return access_delivery_create(actor=SYSTEM, subject_request=request_for(customer))


def url_of(delivery: AccessDelivery) -> str:
    """The emailed link, as the customer's browser asks for it."""
    return access_delivery_url(delivery).removeprefix("http://127.0.0.1:8000")


def download(client: Client, delivery: AccessDelivery, **extra: Any):
    """The page's button: the token goes in the form's body, not in the URL."""
    return client.post(reverse("privacy_download"), {"t": download_token(delivery)}, **extra)


def exports() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=Action.EXPORT).order_by("id"))


def archive_data(content: bytes) -> dict[str, Any]:
    with zipfile.ZipFile(io.BytesIO(content)) as opened:
        assert opened.namelist() == ["index.html", "data.json"]
        data: dict[str, Any] = json.loads(opened.read("data.json"))
    return data


def test_the_link_is_made_for_a_verified_request_and_expires_in_seven_days(customer):
    subject_request = request_for(customer)

    delivery = access_delivery_create(actor=SYSTEM, subject_request=subject_request)

    assert delivery.subject_request == subject_request
    assert delivery.expires_at - delivery.created_at == datetime.timedelta(days=7)
    assert (delivery.download_count, delivery.downloads_allowed) == (0, 1)
    assert delivery.downloaded_at is None
    event = AuditEvent.objects.get(object_type="privacy.accessdelivery")
    assert (event.action, event.customer_id) == (Action.CREATE, customer.pk)
    # The token is in the query string, which no access log keeps; the path is bare.
    assert access_delivery_url(delivery) == (
        f"http://127.0.0.1:8000/tietosuoja/lataa/?t={download_token(delivery)}"
    )
    assert delivery.public_id.hex in download_token(delivery)
    assert Disclosure.objects.count() == 0


@pytest.mark.parametrize(
    ("kind", "verified", "message"),
    [
        ("access", False, "Verify the requester's identity first."),
        ("erasure", True, "Only an access or a portability request gets a copy of the data."),
    ],
)
def test_no_link_for_an_unverified_or_other_request(customer, kind, verified, message):
    subject_request = request_for(customer, kind=kind, verified=verified)

    with pytest.raises(ValidationError) as raised:
        access_delivery_create(actor=SYSTEM, subject_request=subject_request)

    assert raised.value.messages == [message]
    assert AccessDelivery.objects.count() == 0


def test_no_link_for_a_request_without_a_customer():
    subject_request = subject_request_record(
        actor=SYSTEM,
        kind="access",
        received_via="letter",
        received_at=timezone.now(),
        customer=None,
        name="Tuntematon Henkilö",
    )

    with pytest.raises(ValidationError) as raised:
        access_delivery_create(actor=SYSTEM, subject_request=subject_request)

    assert raised.value.messages == ["Link the request to a customer first."]
    assert AccessDelivery.objects.count() == 0


@pytest.mark.parametrize("days", [0, 15])
def test_a_link_lives_one_to_fourteen_days(customer, days):
    with pytest.raises(ValidationError) as raised:
        access_delivery_create(actor=SYSTEM, subject_request=request_for(customer), days=days)

    assert raised.value.message_dict == {"days": ["A link is valid for 1 to 14 days."]}
    assert AccessDelivery.objects.count() == 0


@override_settings(ACCESS_COPY_DAYS=3, ACCESS_COPY_DOWNLOADS=2)
def test_the_lifetime_and_the_downloads_of_a_link_are_configurable(customer):
    delivery = access_delivery_create(actor=SYSTEM, subject_request=request_for(customer))

    assert delivery.expires_at - delivery.created_at == datetime.timedelta(days=3)
    assert delivery.downloads_allowed == 2


def test_the_page_offers_the_download_without_cookies_and_changes_nothing(delivery):
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get(url_of(delivery))

    assert response.status_code == 200
    assert b"Download your data" in response.content
    assert b'<form method="post" action="/tietosuoja/lataa/"' in response.content
    assert f'name="t" value="{download_token(delivery)}"'.encode() in response.content
    assert not response.cookies
    assert "no-store" in response["Cache-Control"]
    delivery.refresh_from_db()
    assert delivery.download_count == 0
    assert Disclosure.objects.count() == 0
    assert exports() == []


def test_the_download_is_the_customers_own_copy_and_is_recorded(delivery, customer):
    client = Client(enforce_csrf_checks=True)  # the button's POST carries no token

    response = download(client, delivery, REMOTE_ADDR="192.0.2.10")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == (
        f'attachment; filename="data-{customer.customer_number}-{timezone.localdate():%Y%m%d}.zip"'
    )
    assert "no-store" in response["Cache-Control"]
    assert not response.cookies
    data = archive_data(response.content)
    assert data["customer"]["identity_code"] == CODE
    assert data["customer"]["email"] == "sanna.makinen@example.fi"
    delivery.refresh_from_db()
    assert delivery.download_count == 1
    assert delivery.downloaded_at is not None
    [disclosure] = Disclosure.objects.all()
    assert disclosure.customer == customer
    assert (disclosure.recipient_kind, disclosure.recipient) == ("data_subject", "Sanna Mäkinen")
    assert disclosure.legal_ground == "GDPR art. 15"
    assert disclosure.subject_request == delivery.subject_request
    assert disclosure.reference == str(delivery.subject_request.public_id)
    assert disclosure.disclosed_by is None
    assert "identity_code" in disclosure.categories
    assert "orders" in disclosure.categories
    [event] = exports()
    assert (event.actor_type, event.actor_label, event.ip_address) == (
        "customer",
        "download link",
        "192.0.2.10",
    )
    assert event.customer_id == customer.pk


def test_the_link_works_once_then_says_it_was_used(delivery, customer):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    before = timezone.now()
    assert download(client, delivery, REMOTE_ADDR="192.0.2.10").status_code == 200
    after = timezone.now()

    page = client.get(url_of(delivery))
    again = download(client, delivery, REMOTE_ADDR="198.51.100.7")

    for response in (page, again):
        assert response.status_code == 410
        assert response["Content-Type"].startswith("text/html")
        assert b"This download link has been used" in response.content
        assert b"Download your data" not in response.content
    delivery.refresh_from_db()
    assert (delivery.download_count, delivery.downloads_allowed) == (1, 1)
    [event] = exports()
    assert (event.ip_address, event.customer_id) == ("192.0.2.10", customer.pk)
    assert before <= event.occurred_at <= after
    with pytest.raises(ValidationError) as raised:
        access_delivery_download(delivery=delivery, ip_address=None)
    assert raised.value.code == "used"


@override_settings(ACCESS_COPY_DOWNLOADS=2)
def test_each_download_is_counted_and_recorded_up_to_the_limit(customer):
    delivery = access_delivery_create(actor=SYSTEM, subject_request=request_for(customer))
    first = access_delivery_download(delivery=delivery, ip_address="192.0.2.10")
    delivery.refresh_from_db()
    first_time = delivery.downloaded_at

    second = access_delivery_download(delivery=delivery, ip_address="192.0.2.11")

    assert archive_data(first)["customer"] == archive_data(second)["customer"]
    delivery.refresh_from_db()
    assert delivery.download_count == 2
    assert delivery.downloaded_at == first_time
    assert Disclosure.objects.count() == 2
    assert [event.ip_address for event in exports()] == ["192.0.2.10", "192.0.2.11"]
    assert download(Client(), delivery).status_code == 410
    assert Disclosure.objects.count() == 2


def test_a_portability_request_is_disclosed_under_article_20(customer):
    subject_request = request_for(customer, kind="portability")
    delivery = access_delivery_create(actor=SYSTEM, subject_request=subject_request)

    access_delivery_download(delivery=delivery, ip_address=None)

    assert Disclosure.objects.get().legal_ground == "GDPR art. 20"


def test_an_english_speaker_gets_the_copy_in_english():
    customer = make_customer(preferred_language="en")
    delivery = access_delivery_create(actor=SYSTEM, subject_request=request_for(customer))

    content = access_delivery_download(delivery=delivery, ip_address=None)

    with zipfile.ZipFile(io.BytesIO(content)) as opened:
        assert "<h1>Your data</h1>" in opened.read("index.html").decode("utf-8")


def test_an_expired_link_gives_nothing_and_records_nothing(delivery):
    AccessDelivery.objects.filter(pk=delivery.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")

    page = client.get(url_of(delivery))
    refused = download(client, delivery)

    for response in (page, refused):
        assert response.status_code == 410
        assert b"This download link no longer works" in response.content
        assert not response.cookies
    delivery.refresh_from_db()
    assert delivery.download_count == 0
    assert Disclosure.objects.count() == 0
    assert exports() == []


def test_the_service_refuses_an_expired_link(delivery):
    delivery.expires_at = timezone.now() - datetime.timedelta(minutes=1)

    with pytest.raises(ValidationError) as raised:
        access_delivery_download(delivery=delivery, ip_address=None)

    assert raised.value.code == "expired"
    assert raised.value.messages == ["This download link has expired."]
    assert Disclosure.objects.count() == 0


def test_a_link_of_a_refused_request_gives_nothing(delivery):
    SubjectRequest.objects.filter(pk=delivery.subject_request_id).update(
        status=RequestStatus.REFUSED
    )

    response = download(Client(), delivery)

    assert response.status_code == 410
    assert Disclosure.objects.count() == 0
    assert exports() == []


@pytest.mark.parametrize("token", ["", "forged", "{id}", "{id}:forged", "{other}:forged"])
def test_an_unknown_or_forged_link_is_not_found(delivery, token):
    """The link's id alone (it appears in the audit log) is no key: it must be signed."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    url = reverse("privacy_download")
    token = token.format(id=delivery.public_id.hex, other=uuid.uuid4().hex)

    for response in (client.get(url, {"t": token}), client.post(url, {"t": token})):
        assert response.status_code == 404
        assert b"This download link is not valid" in response.content
        assert not response.cookies
    assert Disclosure.objects.count() == 0


def test_staff_hand_over_the_copy_and_it_is_recorded_with_them(customer, client_as):
    subject_request = request_for(customer)
    client = client_as(Role.PRIVACY_OFFICER)

    response = client.post(
        reverse("privacy:access_handover", kwargs={"public_id": subject_request.public_id})
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment; ")
    assert archive_data(response.content)["customer"]["identity_code"] == CODE
    [disclosure] = Disclosure.objects.all()
    assert disclosure.recipient_kind == "data_subject"
    assert disclosure.legal_ground == "GDPR art. 15"
    assert disclosure.subject_request == subject_request
    assert disclosure.disclosed_by is not None
    assert disclosure.disclosed_by.groups.filter(name=Role.PRIVACY_OFFICER).exists()
    [event] = exports()
    assert event.actor_user == disclosure.disclosed_by


@pytest.mark.parametrize("role", [Role.CUSTOMER_SERVICE, Role.MARKETING, Role.AUDITOR])
def test_only_the_privacy_officer_hands_over_a_copy(customer, client_as, role):
    subject_request = request_for(customer)

    response = client_as(role).post(
        reverse("privacy:access_handover", kwargs={"public_id": subject_request.public_id})
    )

    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
    assert Disclosure.objects.count() == 0
    assert exports() == []


def test_an_unverified_request_gets_no_copy_by_hand(customer, client_as):
    subject_request = request_for(customer, verified=False)

    response = client_as(Role.PRIVACY_OFFICER).post(
        reverse("privacy:access_handover", kwargs={"public_id": subject_request.public_id}),
        follow=False,
    )

    assert response.status_code == 302
    assert response.url == reverse("privacy:request", args=[subject_request.public_id])
    assert Disclosure.objects.count() == 0
    assert exports() == []
    with pytest.raises(ValidationError):
        access_handover(actor=SYSTEM, subject_request=subject_request)
