"""Integrations for administrators: the list, a new one, a shop's own webhook secret,
and revoking one."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from rekisteri.accounts.access import require_permission
from rekisteri.audit.services import Actor
from rekisteri.intake import services
from rekisteri.intake.forms import IntegrationCreateForm, ShopSecretForm
from rekisteri.intake.models import Integration, IntegrationKind

MANAGE = "intake.manage_integrations"


@require_GET
@require_permission(MANAGE)
def integration_list(request: HttpRequest) -> HttpResponse:
    integrations = Integration.objects.order_by("revoked_at", "name")
    return render(request, "intake/list.html", {"integrations": integrations})


@never_cache
@require_http_methods(["GET", "POST"])
@require_permission(MANAGE)
@sensitive_post_parameters("consumer_key", "consumer_secret")
def integration_create(request: HttpRequest) -> HttpResponse:
    """Shows the new API key or webhook secret in this one response only: it is
    stored hashed or encrypted and never shown again, and never put in a URL."""
    form = IntegrationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.integration_create(
                actor=Actor.from_request(request), **form.cleaned_data
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            context = {
                "created": created,
                "webhook_url": webhook_url(request, created.integration),
            }
            return render(request, "intake/created.html", context)
    return render(request, "intake/form.html", {"form": form})


def webhook_url(request: HttpRequest, integration: Integration) -> str:
    """Where the shop sends its webhooks; empty for a generic (API key) integration."""
    if integration.kind == IntegrationKind.GENERIC:
        return ""
    path = reverse(f"webhooks:{integration.kind}", args=[integration.public_id])
    return request.build_absolute_uri(path)


@never_cache
@require_http_methods(["GET", "POST"])
@require_permission(MANAGE)
@sensitive_post_parameters("secret")
def integration_secret(request: HttpRequest, integration_id: int) -> HttpResponse:
    """Sets the secret a shop signs its webhooks with, when the shop chose it (Shopify)."""
    integration = get_object_or_404(
        Integration,
        pk=integration_id,
        revoked_at__isnull=True,
        kind__in=[IntegrationKind.WOOCOMMERCE, IntegrationKind.SHOPIFY],
    )
    form = ShopSecretForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.integration_shop_secret_set(
                actor=Actor.from_request(request),
                integration=integration,
                secret=form.cleaned_data["secret"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _("The webhook secret of %(name)s was changed.") % {"name": integration.name},
            )
            return redirect("intake:integration_list")
    context = {
        "form": form,
        "integration": integration,
        "webhook_url": webhook_url(request, integration),
    }
    return render(request, "intake/secret.html", context)


@require_http_methods(["GET", "POST"])
@require_permission(MANAGE)
def integration_revoke(request: HttpRequest, integration_id: int) -> HttpResponse:
    integration = get_object_or_404(Integration, pk=integration_id)
    if request.method == "POST":
        services.integration_revoke(actor=Actor.from_request(request), integration=integration)
        messages.success(request, _("Integration %(name)s revoked.") % {"name": integration.name})
        return redirect("intake:integration_list")
    return render(request, "intake/revoke.html", {"integration": integration})
