"""Campaign pages for marketing staff, and the public unsubscribe page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rekisteri.accounts.access import require_permission
from rekisteri.audit.services import Actor
from rekisteri.consents.selectors import REASON_LABELS
from rekisteri.marketing import selectors, services
from rekisteri.marketing.forms import CampaignForm
from rekisteri.marketing.models import Campaign, CampaignChannel, CampaignStatus
from rekisteri.marketing.sending import NO_MOBILE, NOT_IN_GROUP
from rekisteri.marketing.sms import sms_segments
from rekisteri.marketing.tokens import message_for_token
from rekisteri.tokens import TOKEN_PARAMETER
from rekisteri.versioning import Conflict

LOG_PAGE_SIZE = 100
ONE_CLICK = "One-Click"
# A line as long as a real opt-out line with its link, for counting SMS parts.
SMS_OPT_OUT_ALLOWANCE = 110


def skip_labels() -> dict[str, str]:
    labels = {key: str(label) for key, label in REASON_LABELS.items()}
    labels[NOT_IN_GROUP] = _("No longer in the target group")
    labels[NO_MOBILE] = _("No mobile number")
    return labels


def _campaign_or_404(pk: int) -> Campaign:
    campaign = selectors.campaign_get(pk=pk)
    if campaign is None:
        raise Http404
    return campaign


@require_GET
@require_permission("marketing.view_campaign")
def campaign_list(request: HttpRequest) -> HttpResponse:
    return render(request, "marketing/campaigns.html", {"campaigns": selectors.campaign_list()})


def _form_page(request: HttpRequest, campaign: Campaign | None) -> HttpResponse:
    initial = CampaignForm.initial_of(campaign) if campaign else {"channel": "email"}
    form = CampaignForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.campaign_save(
                actor=Actor.from_request(request),
                data=form.campaign_input(),
                campaign=campaign,
                version=form.cleaned_data["version"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        except Conflict:
            form.add_error(None, _("Someone else changed this campaign. Open it again."))
            return render(
                request,
                "marketing/campaign_form.html",
                {"form": form, "campaign": campaign},
                status=409,
            )
        else:
            messages.success(request, _("Campaign saved."))
            return redirect("marketing:campaign", saved.pk)
    status = 400 if form.errors else 200
    return render(
        request,
        "marketing/campaign_form.html",
        {"form": form, "campaign": campaign},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@require_permission("marketing.add_campaign")
def campaign_create(request: HttpRequest) -> HttpResponse:
    return _form_page(request, None)


@require_http_methods(["GET", "POST"])
@require_permission("marketing.change_campaign")
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign_or_404(pk)
    if campaign.status != CampaignStatus.DRAFT:
        messages.error(request, _("Only a draft campaign can be changed."))
        return redirect("marketing:campaign", campaign.pk)
    return _form_page(request, campaign)


def _detail_context(request: HttpRequest, campaign: Campaign) -> dict[str, object]:
    context: dict[str, object] = {"campaign": campaign, "skip_labels": skip_labels()}
    if campaign.status == CampaignStatus.DRAFT:
        context["recipients_now"] = selectors.count_shown(
            selectors.campaign_recipients(campaign).count()
        )
    if campaign.channel == CampaignChannel.SMS:
        context["sms_parts"] = sms_segments(campaign.body + "\n" + "x" * SMS_OPT_OUT_ALLOWANCE)
    page = Paginator(selectors.campaign_messages(campaign), LOG_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context["log_page"] = page
    return context


@require_GET
@require_permission("marketing.view_campaign")
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign_or_404(pk)
    return render(request, "marketing/campaign.html", _detail_context(request, campaign))


@require_GET
@require_permission("marketing.view_campaign")
def campaign_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress box alone, polled by htmx while the campaign is being sent."""
    campaign = _campaign_or_404(pk)
    return render(request, "marketing/_progress.html", {"campaign": campaign})


@require_POST
@require_permission("marketing.send_campaign")
def campaign_send(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign_or_404(pk)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    try:
        services.campaign_send(
            actor=Actor.from_request(request), campaign=campaign, version=version
        )
    except Conflict:
        messages.error(request, _("Someone else changed or sent this campaign. Check it again."))
        return redirect("marketing:campaign", campaign.pk)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return redirect("marketing:campaign", campaign.pk)
    messages.success(request, _("The campaign is being sent. This page shows its progress."))
    return redirect("marketing:campaign", campaign.pk)


@never_cache
@csrf_exempt
@login_not_required
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str = "") -> HttpResponse:
    """The link in every campaign message. GET asks for confirmation and changes
    nothing; POST with `List-Unsubscribe=One-Click` (RFC 8058: mail clients send it
    without cookies) records the withdrawal and answers 200, again and again alike.
    The token is in the query string (`?t=`), also for the POST; in the path only in
    links sent before it left the path."""
    message = message_for_token(token or request.GET.get(TOKEN_PARAMETER, ""))
    if message is None:
        return render(
            request,
            "marketing/unsubscribe_invalid.html",
            {"business_name": settings.BUSINESS_NAME},
            status=404,
        )
    context = {
        "channel": message.campaign.get_channel_display(),
        "business_name": settings.BUSINESS_NAME,
    }
    if request.method == "GET":
        return render(request, "marketing/unsubscribe.html", context)
    if request.POST.get("List-Unsubscribe") != ONE_CLICK:
        return render(
            request, "marketing/unsubscribe.html", {**context, "bad_request": True}, status=400
        )
    services.campaign_unsubscribe(
        message=message,
        ip_address=request.META.get("REMOTE_ADDR") or None,
        user_agent=request.headers.get("User-Agent", ""),
    )
    return render(request, "marketing/unsubscribed.html", context)
