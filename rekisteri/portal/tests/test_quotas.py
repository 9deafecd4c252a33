"""The portal's quotas are per source address, and per email from one address: a
stranger who sends request after request for someone's email uses up only their own
quota, never the person's (security finding 13)."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from rekisteri.privacy.models import PortalAttempt, RequestStatus, SubjectRequest
from rekisteri.testing.factories import make_customer
from rekisteri.testing.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db
VICTIM = "aino.virtanen@example.fi"
STRANGER_ADDRESS = "192.0.2.66"


def ask(email: str, address: str, path: str = "portal:request"):
    data = {"kind": "access", "name": "Aino Virtanen", "email": email}
    if path == "portal:consent_link":
        data = {"email": email}
    return Client(HTTP_ACCEPT_LANGUAGE="en").post(reverse(path), data, REMOTE_ADDR=address)


@pytest.mark.parametrize("path", ["portal:request", "portal:consent_link"])
def test_a_stranger_cannot_use_up_the_persons_quota(path):
    customer = make_customer(email=VICTIM)

    answers = [ask(VICTIM, STRANGER_ADDRESS, path).status_code for _ in range(50)]

    assert answers == [200] * 3 + [429] * 47
    victim = ask(VICTIM, "198.51.100.5", path)
    assert victim.status_code == 200
    run_queued_tasks()
    assert len(mail.outbox) == 4  # three of the stranger's, one of the person's
    assert {tuple(message.to) for message in mail.outbox} == {(customer.email,)}


def test_the_person_confirms_their_own_request_after_a_strangers_flood():
    make_customer(email=VICTIM)
    for _ in range(50):
        ask(VICTIM, STRANGER_ADDRESS)
    assert ask(VICTIM, "198.51.100.5").status_code == 200
    run_queued_tasks()
    own = SubjectRequest.objects.get(ip_address="198.51.100.5")
    own_token = mail.outbox[-1].body.split("?t=", 1)[1].split()[0]

    confirmed = Client().post(reverse("portal:verify"), {"t": own_token})

    assert confirmed.status_code == 200
    own.refresh_from_db()
    assert own.status == RequestStatus.OPEN


def test_one_address_asking_for_many_emails_is_limited():
    answers = [ask(f"henkilo{n}@example.fi", STRANGER_ADDRESS).status_code for n in range(12)]

    assert answers == [200] * 10 + [429] * 2
    assert SubjectRequest.objects.count() == 10
    assert ask("henkilo99@example.fi", "198.51.100.5").status_code == 200


def test_attempts_are_kept_as_digests_only():
    ask(VICTIM, STRANGER_ADDRESS)

    digests = list(PortalAttempt.objects.values_list("key_digest", flat=True))
    assert len(digests) == 2
    assert not any("example.fi" in d or STRANGER_ADDRESS in d for d in digests)
