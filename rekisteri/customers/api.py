"""Customer operations of the API. Every read of a customer is audited like the page."""

import datetime
import uuid

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.security import django_auth

from rekisteri.audit.services import Actor, audit_permission_denied
from rekisteri.customers import selectors, services
from rekisteri.customers.models import Customer

router = Router(tags=["customers"], auth=django_auth)


class CustomerOut(Schema):
    """Exactly the fields that leave; the identity code never does, only whether one is kept."""

    customer_number: int
    public_id: uuid.UUID
    surname: str
    first_names: str
    street_address: str
    postal_code: str
    post_office: str
    country: str
    phone: str
    email: str
    preferred_language: str
    source: str
    status: str
    has_identity_code: bool
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_country(customer: Customer) -> str:
        return str(customer.country)


class ErrorOut(Schema):
    detail: str


@router.get(
    "/{uuid:public_id}",
    response={200: CustomerOut, 403: ErrorOut, 404: ErrorOut},
    summary="Read one customer",
)
def customer_read(request: HttpRequest, public_id: uuid.UUID) -> Customer:
    actor = Actor.from_request(request)
    if not request.user.has_perm("customers.view_customer"):
        audit_permission_denied(actor=actor, path=request.path)
        raise HttpError(403, "Your role does not allow reading customers.")
    # A merged record's id gives the record it was merged into (its own `public_id`).
    customer = selectors.customer_by_public_id(public_id)
    if customer is None:
        raise HttpError(404, "No such customer.")
    services.customer_record_view(actor=actor, customer=customer)
    return customer
