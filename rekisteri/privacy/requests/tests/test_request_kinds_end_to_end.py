"""Every kind of subject request, end to end: made on the portal, confirmed through
the link sent to the email on record, and answered by the privacy officer in the
staff UI (GDPR arts. 15-21)."""

import io
import json
import re
import zipfile
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from rekisteri.accounts.roles import Role
from rekisteri.consents.selectors import consent_state
from rekisteri.customers.models import Status
from rekisteri.privacy.models import Disclosure, RequestStatus, SubjectRequest
from rekisteri.testing.factories import make_customer
from rekisteri.testing.identity_codes import random_identity_code
from rekisteri.testing.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db
EMAIL = "aino.virtanen@example.fi"


def press_the_button(client: Client, message):
    """Opens the emailed link and presses the page's button, which posts the link's
    token (in the link's query string) in the form's body."""
    found = re.search(r"https?://\S+", message.body)
    assert found is not None
    link = urlsplit(found.group(0))
    [token] = parse_qs(link.query)["t"]
    assert client.get(f"{link.path}?{link.query}").status_code == 200
    return client.post(link.path, {"t": token})


def confirmed_request(kind: str) -> SubjectRequest:
    """Made on the portal and confirmed by the customer; the mail outbox is emptied."""
    portal = Client()
    portal.post(reverse("portal:request"), {"kind": kind, "name": "Aino Virtanen", "email": EMAIL})
    run_queued_tasks()
    press_the_button(portal, mail.outbox[-1])
    mail.outbox.clear()
    return SubjectRequest.objects.get(kind=kind)


@pytest.fixture
def customer():
    return make_customer(
        first_names="Aino", surname="Virtanen", email=EMAIL, identity_code=random_identity_code()
    )


@pytest.fixture
def officer(client_as):
    return client_as(Role.PRIVACY_OFFICER)


def act(officer, request: SubjectRequest, **data):
    request.refresh_from_db()
    return officer.post(
        reverse("privacy:request_action", args=[request.public_id]),
        {"version": request.version, **data},
    )


@pytest.mark.parametrize("kind", ["access", "portability"])
def test_access_and_portability_end_with_the_customers_own_copy(customer, officer, kind):
    request = confirmed_request(kind)
    assert request.status == RequestStatus.OPEN and request.customer == customer

    act(officer, request, action="deliver")
    [link_mail] = mail.outbox
    assert link_mail.to == [EMAIL]
    download = press_the_button(Client(), link_mail)
    act(officer, request, action="complete", outcome="Kopio toimitettu latauslinkillä.")

    assert download.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    data = json.loads(archive.read("data.json"))
    assert EMAIL in json.dumps(data)
    assert "index.html" in archive.namelist()
    disclosure = Disclosure.objects.get(customer=customer)
    assert disclosure.recipient_kind == "data_subject"
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED


def test_rectification_is_done_on_the_customer_page(customer, officer):
    request = confirmed_request("rectification")

    edited = officer.post(
        reverse("customers:edit", args=[customer.customer_number]),
        {
            "surname": customer.surname,
            "first_names": customer.first_names,
            "street_address": "Uusikatu 5",
            "postal_code": "90100",
            "post_office": "Oulu",
            "country": "FI",
            "phone": customer.phone,
            "email": customer.email,
            "preferred_language": customer.preferred_language,
            "notes": "",
            "identity_code": "",
            "version": customer.version,
        },
    )
    act(officer, request, action="complete", outcome="Osoite korjattu asiakkaan pyynnöstä.")

    assert edited.status_code == 302
    customer.refresh_from_db()
    assert customer.street_address == "Uusikatu 5"
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED


def test_erasure_shows_the_plan_then_erases_and_completes_the_request(customer, officer):
    request = confirmed_request("erasure")
    url = reverse("privacy:erase", args=[customer.customer_number])

    plan = officer.get(url, {"request": str(request.public_id)})
    erased = officer.post(
        url,
        {
            "reason": "Asiakkaan poistopyyntö portaalin kautta",
            "confirm": "on",
            "subject_request": str(request.public_id),
        },
    )

    assert plan.status_code == 200
    assert erased.status_code in (200, 302)
    customer.refresh_from_db()
    assert customer.status == Status.ANONYMISED
    assert customer.email == "" and "Virtanen" not in customer.surname
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    assert request.requester_email == ""


def test_restriction_restricts_and_completes_the_request(customer, officer):
    request = confirmed_request("restriction")

    response = officer.post(
        reverse("privacy:restrict", args=[customer.customer_number]),
        {
            "reason": "Asiakas kiistää tietojen paikkansapitävyyden",
            "subject_request": str(request.public_id),
        },
    )

    assert response.status_code in (200, 302)
    customer.refresh_from_db()
    assert customer.status == Status.RESTRICTED
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED


def test_an_objection_sets_the_ban_as_soon_as_it_is_confirmed(customer):
    request = confirmed_request("objection")

    assert request.status == RequestStatus.COMPLETED
    assert consent_state(customer).banned
