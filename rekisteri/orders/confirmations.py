"""The confirmation of a phone or email order, sent by the worker to the customer
(`orders.tasks.send_order_confirmation`, queued by `services.order_confirmation_queue`).

Customer service takes these orders by voice or in a free-form email, so the customer
has nothing in writing of what was recorded; the confirmation gives it (P7), tells of
the credit check an invoice order ran (P12) and links the privacy notice, so the
information of GDPR art. 13 reaches the person at the time the data is collected. Web
shop orders are confirmed by the shop itself.

By email when the customer has an address on record: the whole order. Otherwise by SMS
to a mobile number, with no more than needed (the order number, the total, the link):
a text message is read on a lock screen and kept by the operator. A send that fails is
recorded and tried again later, as other emails are (`rekisteri.mail_retry`)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import phonenumbers
from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.credit.services import credit_check_for
from rekisteri.customers.models import Customer, Status
from rekisteri.languages import LANGUAGE_PARAMETER, customer_language
from rekisteri.mail_retry import MAIL_ATTEMPTS, mail_retry_delay
from rekisteri.marketing.sms import SmsMessage, sms_backend
from rekisteri.orders.models import (
    Channel,
    ConfirmationChannel,
    ConfirmationStatus,
    Order,
    OrderConfirmation,
    PaymentMethod,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from django_tasks.base import Task

# The orders customer service enters; the web shop confirms its own.
CONFIRMED_CHANNELS = (Channel.PHONE, Channel.EMAIL)
MOBILE_TYPES = (
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
)
SENDER = "order confirmation"


def confirmation_channel_of(customer: Customer) -> str:
    """Email when there is an address, else SMS when there is a mobile number."""
    if customer.email:
        return ConfirmationChannel.EMAIL
    if _is_mobile(customer.phone):
        return ConfirmationChannel.SMS
    return ConfirmationChannel.NONE


def _is_mobile(phone: str) -> bool:
    if not phone:
        return False
    try:
        number = phonenumbers.parse(phone, "FI")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) in MOBILE_TYPES


def confirmation_language_of(customer: Customer) -> str:
    return customer_language(customer.preferred_language)


def tells_of_credit_check(order: Order) -> bool:
    """An invoice order whose credit data was asked from the bureau (P12)."""
    return (
        order.payment_method == PaymentMethod.INVOICE and credit_check_for(order=order) is not None
    )


def privacy_notice_url(language: str) -> str:
    """The public notice, opening in the confirmation's language whatever the browser."""
    query = urlencode({LANGUAGE_PARAMETER: language})
    return f"{settings.PUBLIC_URL}{reverse('privacy_notice')}?{query}"


def _money(amount: Decimal) -> str:
    return f"{formats.number_format(amount, 2)} €"


def confirmation_email(confirmation: OrderConfirmation) -> EmailMessage:
    order = confirmation.order
    with translation.override(confirmation.language):
        subject = _("Your order %(number)s at %(business)s") % {
            "number": order.order_number,
            "business": settings.BUSINESS_NAME,
        }
        body = render_to_string(
            "orders/email/confirmation.txt",
            {
                "order": order,
                "lines": [
                    (line, _money(line.unit_price), _money(line.line_total))
                    for line in order.lines.all()
                ],
                "total_gross": _money(order.total_gross),
                "total_vat": _money(order.total_vat),
                "total_net": _money(order.total_net),
                "placed_at": timezone.localtime(order.placed_at),
                "tells_of_credit_check": confirmation.tells_of_credit_check,
                "notice_url": privacy_notice_url(confirmation.language),
                "business_name": settings.BUSINESS_NAME,
            },
        )
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [order.customer.email])


def confirmation_sms(confirmation: OrderConfirmation) -> SmsMessage:
    """The order number, the total and the link: no names, no address, no lines."""
    order = confirmation.order
    with translation.override(confirmation.language):
        body = _(
            "%(business)s: we received your order %(number)s, %(total)s (VAT included). "
            "Privacy notice: %(url)s"
        ) % {
            "business": settings.BUSINESS_NAME,
            "number": order.order_number,
            "total": _money(order.total_gross),
            "url": privacy_notice_url(confirmation.language),
        }
    return SmsMessage(
        to=_e164(order.customer.phone), body=body, reference=f"order-confirmation-{confirmation.pk}"
    )


def _e164(phone: str) -> str:
    try:
        number = phonenumbers.parse(phone, "FI")
    except phonenumbers.NumberParseException:
        return phone
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def order_confirmation_send(
    *, confirmation_id: int, attempt: int = 1, retry: Task[[int, int], None]
) -> bool:
    """The worker sends a queued confirmation by its channel, to the contact data on
    record now. A failed send is recorded and `retry` (the task) queued again, up to
    MAIL_ATTEMPTS times; an SMS the service refuses for good is not tried again.
    Returns whether the confirmation left."""
    confirmation = (
        OrderConfirmation.objects.select_related("order__customer")
        .filter(pk=confirmation_id, status=ConfirmationStatus.QUEUED)
        .first()
    )
    if confirmation is None:
        return False
    customer = confirmation.order.customer
    reachable = (
        customer.email
        if confirmation.channel == ConfirmationChannel.EMAIL
        else _is_mobile(customer.phone)
    )
    if customer.status == Status.ANONYMISED or not reachable:
        # Erased, or the address or number was removed while the task waited.
        _outcome(confirmation, ConfirmationStatus.NOT_SENT, attempt, "no contact on record")
        return False
    send: Callable[[], object]
    if confirmation.channel == ConfirmationChannel.EMAIL:
        send = confirmation_email(confirmation).send
    else:
        message = confirmation_sms(confirmation)
        send = lambda: sms_backend().send(message)  # noqa: E731
    try:
        send()
    except Exception as error:
        # The kind of failure only: an SMTP answer may quote the address.
        will_retry = attempt < MAIL_ATTEMPTS and getattr(error, "retryable", True)
        with audited_transaction():
            _outcome(
                confirmation,
                ConfirmationStatus.QUEUED if will_retry else ConfirmationStatus.FAILED,
                attempt,
                type(error).__name__,
            )
            if will_retry:
                retry.using(run_after=timezone.now() + mail_retry_delay(attempt)).enqueue(
                    confirmation.pk, attempt + 1
                )
        return False
    _outcome(confirmation, ConfirmationStatus.SENT, attempt, "")
    return True


def _outcome(confirmation: OrderConfirmation, status: str, attempt: int, detail: str) -> None:
    """Records how an attempt went, with its audit event, in one transaction."""
    sent = status == ConfirmationStatus.SENT
    with audited_transaction():
        OrderConfirmation.objects.filter(pk=confirmation.pk).update(
            status=status,
            attempts=F("attempts") + 1,
            sent_at=timezone.now() if sent else None,
            detail=detail[:64],
        )
        if sent:
            reason = f"order confirmation sent by {confirmation.channel}"
        elif status == ConfirmationStatus.QUEUED:
            reason = (
                f"order confirmation by {confirmation.channel} failed ({detail}), "
                f"attempt {attempt} of {MAIL_ATTEMPTS}: tried again later"
            )
        else:
            reason = f"order confirmation by {confirmation.channel} not sent ({detail})"
        audit_record(
            actor=Actor.system(SENDER),
            action=Action.UPDATE,
            obj=confirmation,
            customer=confirmation.order.customer,
            changed_fields=["status", "attempts", "sent_at", "detail"],
            reason=reason,
        )
