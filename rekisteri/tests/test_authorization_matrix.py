"""Who may reach what (P13): every URL of the URL configuration, for every role and for
an anonymous visitor. A URL without an entry here fails the test, so a new page
cannot ship without someone deciding who may use it."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from rekisteri.accounts.models import RoleGrant
from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.credit.models import Decision
from rekisteri.credit.services import CreditOutcome, credit_check_record
from rekisteri.customers.models import HeldChangeKind
from rekisteri.customers.restriction import change_hold
from rekisteri.imports.services import customer_import_upload
from rekisteri.intake.inbox import delivery_store
from rekisteri.intake.services import integration_create
from rekisteri.marketing.address_lists import address_list_start
from rekisteri.marketing.models import CampaignMessage
from rekisteri.marketing.services import (
    CampaignInput,
    TargetGroupInput,
    campaign_save,
    target_group_save,
)
from rekisteri.marketing.tokens import unsubscribe_token
from rekisteri.orders.models import Product
from rekisteri.orders.services import LineInput, delivery_create, order_create, return_create
from rekisteri.portal.sending import consent_token
from rekisteri.privacy.access.copies import access_copy_prepare
from rekisteri.privacy.access.disclosures import access_delivery_create, download_token
from rekisteri.privacy.breaches.services import breach_record
from rekisteri.privacy.requests.sending import verification_token
from rekisteri.privacy.requests.services import subject_request_record
from rekisteri.privacy.retention.holds import legal_hold_place
from rekisteri.testing.auth import sign_in
from rekisteri.testing.factories import make_customer, make_staff
from rekisteri.testing.shops import woocommerce_json, woocommerce_order

ANONYMOUS = "anonymous"
ROLES = [ANONYMOUS, *Role.values]
CS, MK, PO, AD, AU = (
    Role.CUSTOMER_SERVICE,
    Role.MARKETING,
    Role.PRIVACY_OFFICER,
    Role.ADMINISTRATOR,
    Role.AUDITOR,
)
EVERYONE_SIGNED_IN = (CS, MK, PO, AD, AU)
LOGIN = "login"  # an anonymous visitor is sent to sign in


def allowed(*roles: str, status: int = 200, anonymous: int | str = LOGIN) -> dict[str, object]:
    """Expected statuses: `status` for the given roles, 403 for the other roles."""
    expected: dict[str, object] = {role: (status if role in roles else 403) for role in Role.values}
    expected[ANONYMOUS] = anonymous
    return expected


# url name: (method, expected status by role)
MATRIX: dict[str, tuple[str, dict[str, object]]] = {
    "home": ("get", allowed(*EVERYONE_SIGNED_IN)),
    "set_language": ("post", allowed(*EVERYONE_SIGNED_IN, status=302, anonymous=302)),
    "accounts:login": ("get", allowed(*EVERYONE_SIGNED_IN, status=302, anonymous=200)),
    "accounts:logout": ("post", allowed(*EVERYONE_SIGNED_IN, status=302)),
    "accounts:pledge": ("get", allowed(*EVERYONE_SIGNED_IN)),
    "accounts:password_change": ("get", allowed(*EVERYONE_SIGNED_IN)),
    "accounts:login_code": ("get", allowed(*EVERYONE_SIGNED_IN, status=302)),
    "accounts:reauthenticate": ("get", allowed(*EVERYONE_SIGNED_IN)),
    "accounts:two_factor": ("get", allowed(*EVERYONE_SIGNED_IN)),
    "accounts:sessions": ("get", allowed(*EVERYONE_SIGNED_IN)),
    # New codes for those with an authenticator (the roles that need one here); the
    # others are sent to set one up.
    "accounts:recovery_codes": (
        "post",
        {**allowed(PO, AD), CS: 302, MK: 302, AU: 302},
    ),
    "accounts:staff_two_factor_reset": ("post", allowed(AD, status=302)),
    # A privacy officer sets the password of a privacy officer or an auditor only; the
    # staff member here is in customer service, whose password an administrator sets.
    "accounts:staff_credentials": ("get", allowed()),
    # A privacy officer decides (here: refuses); the administrator only for an
    # install's first privacy officer, which this is not.
    "accounts:role_grant_decide": ("post", allowed(PO, status=302)),
    "accounts:staff_list": ("get", allowed(AD)),
    "accounts:staff_create": ("get", allowed(AD)),
    "accounts:staff_edit": ("get", allowed(AD)),
    "customers:list": ("get", allowed(CS, PO)),
    "customers:search": ("post", allowed(CS, PO)),
    "customers:create": ("get", allowed(CS, PO)),
    "customers:detail": ("get", allowed(CS, PO)),
    "customers:edit": ("get", allowed(CS, PO)),
    "customers:reveal": ("post", allowed(PO)),
    # Likely duplicates and merging: whoever changes customers' data (customer service).
    "customers:duplicates": ("get", allowed(CS, PO)),
    "customers:merge_start": ("get", allowed(CS, PO)),
    "customers:merge": ("get", allowed(CS, PO)),
    "audit:log": ("get", allowed(PO, AU)),
    "api:openapi-json": ("get", allowed(*EVERYONE_SIGNED_IN)),
    "api:openapi-view": ("get", allowed(*EVERYONE_SIGNED_IN)),
    "api:customer_read": ("get", allowed(CS, PO)),
    "api:api-root": ("get", allowed(*EVERYONE_SIGNED_IN, status=404)),
    "orders:list": ("get", allowed(CS, PO)),
    "orders:create_find": ("get", allowed(CS, PO)),
    "orders:create": ("get", allowed(CS, PO)),
    "orders:create_new_caller": ("get", allowed(CS, PO)),
    "orders:detail": ("get", allowed(CS, PO)),
    "orders:status": ("post", allowed(CS, PO, status=302)),
    "orders:settle": ("post", allowed(CS, PO, status=302)),
    "orders:confirmation_send_again": ("post", allowed(CS, PO, status=302)),
    "orders:delivery_add": ("post", allowed(CS, PO, status=302)),
    "orders:delivery_status": ("post", allowed(CS, PO, status=302)),
    "orders:return_add": ("post", allowed(CS, PO, status=302)),
    "orders:return_status": ("post", allowed(CS, PO, status=302)),
    "orders:product_list": ("get", allowed(CS, PO)),
    "orders:product_create": ("get", allowed(CS, PO)),
    "orders:product_lookup": ("get", allowed(CS, PO)),
    "orders:product_edit": ("get", allowed(CS, PO)),
    "orders:credit_review": ("post", allowed(CS, PO, status=302)),
    "credit:policy": ("get", allowed(AD)),
    "backups:status": ("get", allowed(AD)),
    "backups:progress": ("get", allowed(AD)),
    "consents:record": ("post", allowed(CS, PO, status=302)),
    "marketing:list": ("get", allowed(MK, PO)),
    "marketing:create": ("get", allowed(MK)),
    "marketing:detail": ("get", allowed(MK, PO)),
    "marketing:edit": ("get", allowed(MK)),
    "marketing:export": ("post", allowed(MK, status=302)),
    "marketing:labels": ("post", allowed(MK, status=302)),
    # A prepared address list is its maker's alone: another's is a 404.
    "marketing:address_list": ("get", allowed(MK, status=404)),
    "marketing:address_list_progress": ("get", allowed(MK, status=404)),
    "marketing:address_list_download": ("post", allowed(MK, status=404)),
    "imports:list": ("get", allowed(CS, PO)),
    "imports:upload": ("get", allowed(CS, PO)),
    # Another staff member's import: each is its uploader's only (404 to the others).
    "imports:detail": ("get", allowed(CS, PO, status=404)),
    "imports:mapping": ("get", allowed(CS, PO, status=404)),
    "imports:check": ("post", allowed(CS, PO, status=404)),
    "imports:run": ("post", allowed(CS, PO, status=404)),
    "imports:discard": ("post", allowed(CS, PO, status=404)),
    "imports:progress": ("get", allowed(CS, PO, status=404)),
    "imports:report": ("get", allowed(CS, PO, status=404)),
    "marketing:restrictions": ("get", allowed(MK, PO)),
    "marketing:restriction_import": ("get", allowed(MK)),
    "marketing:campaigns": ("get", allowed(MK, PO)),
    "marketing:campaign_create": ("get", allowed(MK)),
    "marketing:campaign": ("get", allowed(MK, PO)),
    "marketing:campaign_edit": ("get", allowed(MK)),
    "marketing:campaign_progress": ("get", allowed(MK, PO)),
    # No one may be reached in the test data: the refusal is shown on the campaign page.
    "marketing:campaign_send": ("post", allowed(MK, status=302)),
    # The recipient's own link: public, the token (in the query string) is the authority.
    "unsubscribe": ("get", allowed(*EVERYONE_SIGNED_IN, anonymous=200)),
    # The same, with the token in the path, as in messages sent before it moved.
    "unsubscribe_legacy": ("get", allowed(*EVERYONE_SIGNED_IN, anonymous=200)),
    "privacy:requests": ("get", allowed(CS, PO)),
    "privacy:erase": ("get", allowed(PO)),
    "privacy:restrict": ("get", allowed(PO)),
    "privacy:restriction_lift": ("get", allowed(PO)),
    "privacy:held_changes": ("get", allowed(PO)),
    "privacy:held_change": ("get", allowed(PO)),
    # An empty form: the page says what is missing, and nothing is taken.
    "privacy:restricted_delivery_accept": ("post", allowed(PO, status=302)),
    "privacy:legal_hold": ("get", allowed(PO)),
    "privacy:legal_hold_lift": ("post", allowed(PO, status=302)),
    "privacy:retention": ("get", allowed(PO)),
    "privacy:retention_edit": ("post", allowed(PO, status=302)),
    "privacy:retention_run": ("post", allowed(PO, status=302)),
    # The register description: the privacy officer publishes, the auditor reads it.
    "privacy:notice_versions": ("get", allowed(PO, AU)),
    "privacy:notice_edit": ("get", allowed(PO)),
    "privacy:notice_publish_pending": ("post", allowed(PO, status=400)),
    "privacy:records": ("get", allowed(PO, AU)),
    "privacy:records_csv": ("get", allowed(PO, AU)),
    "privacy:records_html": ("get", allowed(PO, AU)),
    "privacy:request_create": ("get", allowed(CS, PO)),
    "privacy:request": ("get", allowed(CS, PO)),
    "privacy:request_action": ("post", allowed(PO, status=302)),
    # The public privacy portal: anyone; the links carry their own authority.
    "portal:index": ("get", allowed(*EVERYONE_SIGNED_IN, anonymous=200)),
    "portal:request": ("get", allowed(*EVERYONE_SIGNED_IN, anonymous=200)),
    "portal:verify": ("get", allowed(*EVERYONE_SIGNED_IN, anonymous=200)),
    "portal:consent_link": ("get", allowed(*EVERYONE_SIGNED_IN, anonymous=200)),
    "portal:consents": ("get", allowed(*EVERYONE_SIGNED_IN, anonymous=200)),
    "privacy:breaches": ("get", allowed(PO)),
    "privacy:breach_create": ("get", allowed(PO)),
    "privacy:breach": ("get", allowed(PO)),
    "privacy:breach_edit": ("get", allowed(PO)),
    # Posted empty: the privacy officer gets the breach page back with the errors.
    "privacy:breach_decide": ("post", allowed(PO, status=400)),
    "privacy:breach_authority_notified": ("post", allowed(PO, status=400)),
    "privacy:breach_subjects_add": ("post", allowed(PO, status=400)),
    "privacy:breach_notice": ("post", allowed(PO, status=400)),
    "privacy:breach_notices_send": ("post", allowed(PO, status=400)),
    "privacy:disclosures": ("get", allowed(PO)),
    "privacy:authority_export": ("get", allowed(PO)),
    "privacy:access_handover": ("post", allowed(PO)),
    "privacy:access_copy_prepare": ("post", allowed(PO, status=302)),
    "privacy:access_copy_progress": ("get", allowed(CS, PO)),
    # The published privacy notice, its versions and their differences: public (P2).
    "privacy_notice": ("get", allowed(*EVERYONE_SIGNED_IN, anonymous=200)),
    "privacy_notice_versions": ("get", allowed(*EVERYONE_SIGNED_IN, anonymous=200)),
    "privacy_notice_version": ("get", allowed(*EVERYONE_SIGNED_IN, anonymous=200)),
    "privacy_notice_diff": ("get", allowed(*EVERYONE_SIGNED_IN, anonymous=200)),
    # The customer's own download link: public, the link is the authority.
    "privacy_download": ("get", allowed(*EVERYONE_SIGNED_IN, anonymous=200)),
    # Integrations authenticate with their API key; a staff session is no key.
    "api:order_create": ("post", allowed(*EVERYONE_SIGNED_IN, status=401, anonymous=401)),
    "api:order_read": ("get", allowed(*EVERYONE_SIGNED_IN, status=401, anonymous=401)),
    "api:order_receipt": ("get", allowed(*EVERYONE_SIGNED_IN, status=401, anonymous=401)),
    "intake:integration_list": ("get", allowed(AD)),
    "intake:integration_create": ("get", allowed(AD)),
    "intake:integration_revoke": ("get", allowed(AD)),
    "intake:integration_secret": ("get", allowed(AD)),
    "intake:integration": ("get", allowed(AD)),
    "intake:integration_invoice_methods": ("post", allowed(AD, status=302)),
    # The shops' deliveries that wait for a person; every form posts and redirects back
    # to the delivery (this one is not waiting for a person, so each refuses).
    "intake:attention_list": ("get", allowed(CS, AD)),
    "intake:delivery": ("get", allowed(CS, AD)),
    "intake:delivery_correct": ("post", allowed(CS, AD, status=302)),
    "intake:delivery_attach": ("post", allowed(CS, AD, status=302)),
    "intake:delivery_discard": ("post", allowed(CS, AD, status=302)),
    # Web shops authenticate each delivery by its signature; only POST is served.
    "webhooks:woocommerce": ("get", allowed(*EVERYONE_SIGNED_IN, status=405, anonymous=405)),
    "webhooks:shopify": ("get", allowed(*EVERYONE_SIGNED_IN, status=405, anonymous=405)),
}


def _url_names(patterns: list[URLPattern | URLResolver], namespace: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace or ""]))
            yield from _url_names(pattern.url_patterns, inner)
        else:
            assert pattern.name, f"every URL needs a name: {pattern.pattern}"
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_url_has_an_entry_in_the_matrix():
    names = set(_url_names(get_resolver().url_patterns))

    assert names - MATRIX.keys() == set(), "URLs without an authorization matrix entry"
    assert MATRIX.keys() - names == set(), "matrix entries for URLs that no longer exist"


def _url_for(name: str, customer, user, integration, order) -> str:
    delivery, return_request = order.deliveries.get(), order.returns.get()
    kwargs = {
        "orders:create": {"customer_number": customer.customer_number},
        "orders:detail": {"order_number": order.order_number},
        "orders:status": {"order_number": order.order_number},
        "orders:settle": {"order_number": order.order_number},
        "orders:confirmation_send_again": {"order_number": order.order_number},
        "orders:delivery_add": {"order_number": order.order_number},
        "orders:delivery_status": {"order_number": order.order_number, "delivery_id": delivery.pk},
        "orders:return_add": {"order_number": order.order_number},
        "orders:return_status": {
            "order_number": order.order_number,
            "return_id": return_request.pk,
        },
        "orders:product_edit": {"pk": order.lines.get().product_id},
        "api:order_read": {"order_number": order.order_number},
        "api:order_receipt": {"receipt": uuid.uuid4()},
        "intake:integration_revoke": {"integration_id": integration.pk},
        "intake:integration_secret": {"integration_id": integration.pk},
        "intake:integration": {"integration_id": integration.pk},
        "intake:integration_invoice_methods": {"integration_id": integration.pk},
        "webhooks:woocommerce": {"integration_id": integration.public_id},
        "webhooks:shopify": {"integration_id": integration.public_id},
        "customers:detail": {"customer_number": customer.customer_number},
        "customers:edit": {"customer_number": customer.customer_number},
        "customers:reveal": {"customer_number": customer.customer_number},
        "customers:merge_start": {"customer_number": customer.customer_number},
        "consents:record": {"customer_number": customer.customer_number},
        "accounts:staff_edit": {"user_id": user.pk},
        "accounts:staff_two_factor_reset": {"user_id": user.pk},
        "accounts:staff_credentials": {"user_id": user.pk},
        "api:customer_read": {"public_id": customer.public_id},
        "privacy:erase": {"customer_number": customer.customer_number},
        "privacy:restrict": {"customer_number": customer.customer_number},
        "privacy:restriction_lift": {"customer_number": customer.customer_number},
        "privacy:legal_hold": {"customer_number": customer.customer_number},
        "privacy:retention_edit": {"category": "inactive_customers"},
        "privacy_notice_version": {"version": 1},
        "privacy_notice_diff": {"old": 1, "new": 1},
    }.get(name, {})
    if name.startswith("marketing:campaign") and name not in CAMPAIGN_FREE:
        kwargs = {"pk": _campaign_message(customer).campaign_id}
    elif name.startswith("marketing:") and name not in GROUP_FREE:
        kwargs = {"pk": _target_group().pk}
    if name.startswith("marketing:address_list"):
        kwargs = {"public_id": _address_list(user).public_id}
    if name.startswith("imports:") and name not in IMPORT_FREE:
        kwargs = {"public_id": _customer_import(user).public_id}
    if name in ("privacy:request", "privacy:request_action"):
        kwargs = {"public_id": _subject_request(customer).public_id}
    if name.startswith("privacy:breach") and name not in BREACH_FREE:
        kwargs = {"public_id": _breach().public_id}
    # The links' tokens are in the query string, never in the path.
    query = ""
    if name == "portal:verify":
        query = "?t=" + verification_token(_subject_request(customer))
    if name == "portal:consents":
        query = "?t=" + consent_token(customer)
    if name == "privacy:legal_hold_lift":
        hold = legal_hold_place(
            actor=Actor.system("test"), customer=customer, reason="Riita-asia käräjäoikeudessa"
        )
        kwargs = {"customer_number": customer.customer_number, "hold_id": hold.pk}
    if name == "privacy:access_copy_prepare":
        kwargs = {"public_id": _verified_access_request(customer).public_id}
    if name == "privacy:access_copy_progress":
        prepared = _access_copy(_verified_access_request(customer), user)
        kwargs = {"public_id": prepared.subject_request.public_id, "copy_id": prepared.public_id}
    if name == "privacy:access_handover":
        kwargs = {"public_id": _verified_access_request(customer).public_id}
    if name == "privacy_download":
        request = _verified_access_request(customer)
        link = access_delivery_create(actor=Actor.system("test"), subject_request=request)
        query = "?t=" + download_token(link)
    if name == "accounts:role_grant_decide":
        grant = RoleGrant.objects.create(user=user, role=Role.AUDITOR, requested_at=timezone.now())
        kwargs = {"grant_id": grant.pk}
    if name == "unsubscribe":
        query = "?t=" + unsubscribe_token(_campaign_message(customer))
    if name == "unsubscribe_legacy":
        kwargs = {"token": unsubscribe_token(_campaign_message(customer))}
    if name == "privacy:held_change":
        held = change_hold(
            actor=Actor.system("test"),
            customer=customer,
            kind=HeldChangeKind.CUSTOMER_UPDATE,
            payload={},
            changed_fields=["phone"],
        ).held
        kwargs = {"public_id": held.public_id}
    if name.startswith("intake:delivery") or name == "privacy:restricted_delivery_accept":
        stored = delivery_store(
            integration=integration, source="webhook", body=woocommerce_json(woocommerce_order())
        )
        kwargs = {"public_id": stored.delivery.public_id}
    if name == "customers:merge":
        other = make_customer(surname="Virtanen")
        kwargs = {"kept_number": customer.customer_number, "other_number": other.customer_number}
    if name == "orders:credit_review":
        _credit_check_for(order)
        kwargs = {"order_number": order.order_number}
    return reverse(name, kwargs=kwargs) + query


def _order_for(customer):
    """An order with a line, a delivery and a return, for the URLs that need them."""
    actor = Actor.system("test")
    Product.objects.create(sku="HYL-120", name="Hylly", unit_price=Decimal("89.90"))
    order = order_create(
        actor=actor,
        customer=customer,
        channel="phone",
        payment_method="invoice",
        lines=[LineInput("HYL-120", 2)],
    )
    delivery_create(actor=actor, order=order, carrier="posti")
    return_create(
        actor=actor, order=order, quantities={order.lines.get().pk: 1}, reason="Väärä koko"
    )
    return order


CAMPAIGN_FREE = ("marketing:campaigns", "marketing:campaign_create")
RESTRICTION_PAGES = ("marketing:restrictions", "marketing:restriction_import")
BREACH_FREE = ("privacy:breaches", "privacy:breach_create")
GROUP_FREE = ("marketing:list", "marketing:create", *CAMPAIGN_FREE, *RESTRICTION_PAGES)


IMPORT_FREE = ("imports:list", "imports:upload")


def _customer_import(user):
    """A file another staff member uploaded: whoever may import gets 404 for it."""
    raw = b"Sukunimi;Etunimi;Puhelin\nVirtanen;Aino;040 123 4567\n"
    actor = Actor(type="staff", user=user, label=user.username)
    return customer_import_upload(actor=actor, file=io.BytesIO(raw))


def _address_list(user):
    """An address list another staff member asked for."""
    actor = Actor(type="staff", user=user, label=user.username)
    return address_list_start(actor=actor, group=_target_group(), kind="csv")


def _campaign_message(customer):
    """A draft email campaign, and a message of it to `customer`."""
    group = target_group_save(
        actor=Actor.system("test"), data=TargetGroupInput(name="Sähköposti", channel="email")
    )
    campaign = campaign_save(
        actor=Actor.system("test"),
        data=CampaignInput(
            name="Kevät", channel="email", target_group=group, subject="Tarjous", body="Hei"
        ),
    )
    return CampaignMessage.objects.create(campaign=campaign, customer=customer)


def _subject_request(customer):
    return subject_request_record(
        actor=Actor.system("test"),
        kind="access",
        received_via="email",
        received_at=timezone.now(),
        customer=customer,
        name="Virtanen",
    )


def _verified_access_request(customer):
    return subject_request_record(
        actor=Actor.system("test"),
        kind="access",
        received_via="email",
        received_at=timezone.now(),
        customer=customer,
        name="Virtanen",
        verification_note="Tunnistettu puhelimessa asiakasnumerolla",
    )


def _access_copy(subject_request, user):
    actor = Actor(type="staff", user=user, label=user.username)
    return access_copy_prepare(actor=actor, subject_request=subject_request)


def _breach():
    return breach_record(
        actor=Actor.system("test"),
        detected_at=timezone.now(),
        occurred_at=None,
        summary="Kadonnut kannettava",
        description="Asiakaslistan sisältänyt kannettava jäi junaan.",
        data_categories=["names"],
        people_affected=None,
        records_affected=None,
        likely_consequences="",
        measures_taken="",
    )


def _target_group():
    return target_group_save(
        actor=Actor.system("test"), data=TargetGroupInput(name="Kaikki", channel="post")
    )


def _credit_check_for(order):
    """A referred credit decision for the order, as if the bureau had timed out."""
    outcome = CreditOutcome(Decision.REFERRED, "timeout", "asiakastieto", timezone.now(), None)
    return credit_check_record(actor=Actor.system("test"), order=order, outcome=outcome)


POST_DATA = {
    "accounts:role_grant_decide": {"decision": "refuse"},
    "orders:status": {"status": "confirmed", "version": 1},
    "orders:delivery_add": {"carrier": "posti"},
    "orders:delivery_status": {"status": "shipped"},
    "orders:return_status": {"status": "received"},
    "orders:return_add": lambda order: {
        f"line_{order.lines.get().pk}": 1,
        "reason": "Toinenkin palautus",
    },
    "orders:credit_review": {"decision": "approved", "reason": "Asiakas maksoi ennakkoon"},
    "customers:search": {"q": "Virtanen"},
    "customers:reveal": {"reason": "Asiakkaan oma tarkastuspyyntö"},
    "set_language": {"language": "en", "next": "/"},
    "consents:record": {"kind": "ban", "source": "phone_call", "language": "fi"},
    "marketing:campaign_send": {"version": 1},
    "privacy:retention_edit": {"months": 36, "enabled": "on"},
    "privacy:request_action": {"action": "none"},
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_access_is_as_the_matrix_says(name: str, role: str):
    method, expected_by_role = MATRIX[name]
    expected = expected_by_role[role]
    customer = make_customer(surname="Virtanen", with_identity_code=True)
    other_staff = make_staff(Role.CUSTOMER_SERVICE)
    client = Client()
    if role != ANONYMOUS:
        sign_in(make_staff(role), client)
    integration = integration_create(
        actor=Actor.system("test"), kind="woocommerce", name="Verkkokauppa"
    ).integration
    order = _order_for(customer)
    url = _url_for(name, customer, other_staff, integration, order)
    denied_before = AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count()

    data = POST_DATA.get(name, {})
    response = getattr(client, method)(url, data(order) if callable(data) else data)

    if expected == LOGIN:
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))
    else:
        assert response.status_code == expected
    denied = AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count() - denied_before
    assert denied == (1 if expected == 403 else 0)
