"""The public privacy portal: no staff sign-in. A customer asks for their rights here,
confirms a request through a link sent to the email on record, and manages their
marketing consents through an emailed link."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from rekisteri.audit.models import ActorType
from rekisteri.audit.services import Actor
from rekisteri.consents import services as consent_services
from rekisteri.consents.models import Channel, ConsentText, EventKind
from rekisteri.consents.models import Source as ConsentSource
from rekisteri.consents.selectors import consent_state, consent_texts_current
from rekisteri.customers.models import Customer
from rekisteri.fi import InvalidValue, normalize_email
from rekisteri.portal.forms import ConsentChangeForm
from rekisteri.portal.services import (
    consent_link_request,
    customer_for_consent_token,
)
from rekisteri.privacy.requests import services as privacy
from rekisteri.privacy.requests.forms import EmailForm, PortalRequestForm
from rekisteri.tokens import TOKEN_PARAMETER


def _page(
    request: HttpRequest, template: str, context: dict[str, object] | None = None, status: int = 200
) -> HttpResponse:
    full = {"business_name": settings.BUSINESS_NAME, **(context or {})}
    return render(request, template, full, status=status)


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _too_many(request: HttpRequest) -> HttpResponse:
    return _page(request, "portal/too_many.html", status=429)


@login_not_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return _page(request, "portal/index.html")


@never_cache
@login_not_required
@require_http_methods(["GET", "POST"])
def request_form(request: HttpRequest) -> HttpResponse:
    """A request for access, rectification, erasure, restriction, objection or
    portability. Whatever the email, the answer is the same: the portal never tells
    whether someone is a customer."""
    form = PortalRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            privacy.subject_request_submit(
                kind=data["kind"],
                name=data["name"],
                email=data["email"],
                details=data["details"],
                language=translation.get_language() or "fi",
                ip_address=_ip(request),
            )
        except ValidationError as error:
            form.add_service_errors(error)
        except privacy.RateLimited:
            return _too_many(request)
        else:
            return _page(request, "portal/request_sent.html")
    status = 400 if form.errors else 200
    return _page(request, "portal/request.html", {"form": form}, status=status)


def _token(request: HttpRequest) -> str:
    """The link's token: in the query string of the emailed link (GET), in the form's
    body when the page posts it back. Never in a path, which access logs keep."""
    source = request.POST if request.method == "POST" else request.GET
    return source.get(TOKEN_PARAMETER, "")


@never_cache
@login_not_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """GET asks, POST confirms: a mail client that opens links to scan them must not
    confirm a request on the person's behalf."""
    token = _token(request)
    subject_request = privacy.request_for_token(token)
    if subject_request is None or subject_request.customer is None:
        return _page(request, "portal/link_invalid.html", status=404)
    if request.method == "POST":
        subject_request = privacy.subject_request_verify(
            request=subject_request,
            ip_address=_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
        )
        return _page(request, "portal/verified.html", {"subject_request": subject_request})
    if subject_request.verified_at is not None:
        return _page(request, "portal/verified.html", {"subject_request": subject_request})
    context = {"subject_request": subject_request, "token": token}
    return _page(request, "portal/verify.html", context)


# Consents ---------------------------------------------------------------------------


@never_cache
@login_not_required
@require_http_methods(["GET", "POST"])
def consent_link(request: HttpRequest) -> HttpResponse:
    """Asks for the email on record and sends the consent page's link there. The same
    answer whether or not the address is known."""
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            email = normalize_email(form.cleaned_data["email"])
        except InvalidValue:
            form.add_error("email", _("Give a valid email address, such as name@example.fi."))
        else:
            try:
                consent_link_request(email=email, ip_address=_ip(request))
            except privacy.RateLimited:
                return _too_many(request)
            return _page(request, "portal/consent_link_sent.html")
    status = 400 if form.errors else 200
    return _page(request, "portal/consent_link.html", {"form": form}, status=status)


def _consent_context(customer: Customer) -> dict[str, object]:
    state = consent_state(customer)
    texts = consent_texts_current()
    language = translation.get_language() or "fi"
    channels = [
        {
            "channel": channel,
            "label": Channel(channel).label,
            "state": state.channels[channel],
            "text": texts.get(channel),
            "wording": texts[channel].text_in(language[:2]) if channel in texts else "",
        }
        for channel in Channel.values
    ]
    return {"customer": customer, "state": state, "channels": channels}


@never_cache
@login_not_required
@require_http_methods(["GET", "POST"])
def consents(request: HttpRequest) -> HttpResponse:
    """The customer's own marketing choices: each channel given or withdrawn, or all
    marketing banned, recorded in the consent ledger with the wording shown and the
    IP address and browser as evidence. Every form posts the link's token back."""
    token = _token(request)
    customer = customer_for_consent_token(token)
    if customer is None:
        return _page(request, "portal/link_invalid.html", status=404)
    form = ConsentChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _apply_consent_change(request, customer, form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            customer.refresh_from_db()
            context = {**_consent_context(customer), "saved": True, "form": ConsentChangeForm()}
            return _page(request, "portal/consents.html", {**context, "token": token})
    status = 400 if form.errors else 200
    context = {**_consent_context(customer), "form": form, "token": token}
    return _page(request, "portal/consents.html", context, status=status)


def _apply_consent_change(
    request: HttpRequest, customer: Customer, data: dict[str, object]
) -> None:
    actor = Actor(type=ActorType.CUSTOMER, label="privacy portal", ip_address=_ip(request))
    source = ConsentSource.PRIVACY_PORTAL
    language = (translation.get_language() or "fi")[:2]
    ip_address = _ip(request)
    user_agent = request.headers.get("User-Agent", "")
    change = str(data["change"])
    channel = str(data.get("channel") or "")
    if change == EventKind.GRANT:
        text_id = data.get("text")
        text = ConsentText.objects.filter(pk=text_id).first() if isinstance(text_id, int) else None
        if text is None or text.channel != channel:
            raise ValidationError(_("The wording you saw has changed. Read it again and retry."))
        consent_services.consent_grant(
            actor=actor,
            customer=customer,
            channel=channel,
            source=source,
            text=text,
            language=language,
            ip_address=ip_address,
            user_agent=user_agent,
        )
    elif change == EventKind.WITHDRAWAL:
        consent_services.consent_withdraw(
            actor=actor,
            customer=customer,
            channel=channel,
            source=source,
            language=language,
            ip_address=ip_address,
            user_agent=user_agent,
        )
    elif change == EventKind.BAN:
        consent_services.marketing_ban(
            actor=actor,
            customer=customer,
            source=source,
            language=language,
            ip_address=ip_address,
            user_agent=user_agent,
        )
    else:
        consent_services.marketing_ban_lift(
            actor=actor,
            customer=customer,
            source=source,
            language=language,
            ip_address=ip_address,
            user_agent=user_agent,
        )
