"""The portal's emailed link to a customer's own marketing choices. The link carries a
signed token in its query string, which no access log keeps (the gunicorn and nginx
log formats drop query strings); the page posts the token back in the form's body."""

from __future__ import annotations

from rekisteri.customers.models import Customer, Status
from rekisteri.customers.selectors import customer_by_public_id
from rekisteri.portal.sending import CONSENT_TOKENS
from rekisteri.portal.tasks import send_consent_link
from rekisteri.privacy.requests.services import portal_attempt


def customer_for_consent_token(token: str) -> Customer | None:
    public_id = CONSENT_TOKENS.unsign(token)
    if public_id is None:
        return None
    # A link sent to a record since merged into another leads to the kept record.
    customer = customer_by_public_id(public_id)
    return None if customer is None or customer.status == Status.ANONYMISED else customer


def consent_link_request(*, email: str, ip_address: str | None) -> None:
    """Someone asked for the consent page's link for `email` (normalised). The same
    work whether or not the address is on record: the customer (or no one) is looked
    up and a task is queued; the worker sends the link (`sending.consent_link_send`).
    RateLimited when the address has asked too often."""
    portal_attempt(action="consent_link", ip_address=ip_address, email=email)
    customer = (
        Customer.objects.filter(email=email)
        .exclude(status=Status.ANONYMISED)
        .exclude(email="")
        .order_by("customer_number")
        .first()
    )
    send_consent_link.enqueue(customer.pk if customer else None, 1)
