from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from rekisteri.accounts.access import require_permission
from rekisteri.audit.services import Actor
from rekisteri.consents import selectors, services
from rekisteri.consents.forms import ConsentRecordForm
from rekisteri.customers.access import customer_or_404


@never_cache
@require_POST
@require_permission("consents.add_consentevent")
def consent_record(request: HttpRequest, customer_number: int) -> HttpResponse:
    """Records a consent, withdrawal, objection or ban the customer gave by phone or
    email; back to the customer page, or this form again with its errors."""
    customer = customer_or_404(customer_number)
    form = ConsentRecordForm(request.POST)
    if form.is_valid():
        try:
            services.consent_event_record(
                actor=Actor.from_request(request), customer=customer, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The customer's marketing choice was recorded."))
            return redirect(reverse("customers:detail", args=[customer_number]) + "#consents")
    context = {
        "customer": customer,
        "consent_form": form,
        "consent_texts": selectors.consent_texts_current(),
    }
    return render(request, "consents/record.html", context, status=400)
