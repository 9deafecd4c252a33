"""Forms shape the order pages and carry the services' errors back to their fields;
the rules themselves (prices, transitions, how much may come back) are the services'."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from rekisteri import fi
from rekisteri.consents.models import OPT_IN_CHANNELS, ConsentText
from rekisteri.customers.forms import CustomerCreateForm
from rekisteri.customers.models import Source
from rekisteri.forms import ServiceErrorsForm
from rekisteri.intake.forms import NotEchoedInput
from rekisteri.orders.models import (
    RETURN_TRANSITIONS,
    VAT_RATE_CHOICES,
    Carrier,
    Channel,
    DeliveryStatus,
    Order,
    OrderStatus,
    PaymentMethod,
    Return,
    ReturnStatus,
)
from rekisteri.orders.services import MAX_QUANTITY, AddressInput, LineInput

LINE_ROWS = 8
STAFF_CHANNELS = [
    (Channel.PHONE.value, Channel.PHONE.label),
    (Channel.EMAIL.value, Channel.EMAIL.label),
]


class OrderForm(ServiceErrorsForm):
    """An order customer service takes by phone or email."""

    channel = forms.ChoiceField(
        label=_("The order came by"), choices=STAFF_CHANNELS, initial=Channel.PHONE
    )
    payment_method = forms.ChoiceField(label=_("Payment method"), choices=PaymentMethod.choices)
    identity_code = forms.CharField(
        label=_("Personal identity code"),
        max_length=20,
        required=False,
        widget=NotEchoedInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_(
            "Only for an invoice order, when the customer has none stored: for the credit "
            "check and the sale on credit. It is removed a set time after the customer's "
            "last invoice is paid."
        ),
    )
    delivery_name = forms.CharField(label=_("Recipient"), max_length=260)
    delivery_street_address = forms.CharField(
        label=_("Street address"), max_length=200, required=False
    )
    delivery_postal_code = forms.CharField(label=_("Postal code"), max_length=12, required=False)
    delivery_post_office = forms.CharField(label=_("Post office"), max_length=100, required=False)
    delivery_country = forms.ChoiceField(label=_("Country"), choices=countries, initial="FI")
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("About the order only. Never write the identity code here."),
    )

    def __init__(
        self, *args: Any, consent_texts: dict[str, ConsentText], language: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # One unticked box per opt-in channel, labelled with the wording the customer
        # hears; the version shown travels with the form, so a grant records the words
        # the customer was actually asked with.
        self.consent_fields = []
        for channel in OPT_IN_CHANNELS:
            text = consent_texts.get(channel)
            if text is None:
                continue
            name = f"consent_{channel}"
            self.fields[name] = forms.BooleanField(
                label=text.text_in(language), required=False, initial=False
            )
            self.fields[f"{name}_text"] = forms.IntegerField(
                widget=forms.HiddenInput, initial=text.pk, required=False
            )
            self.consent_fields.append(name)

    def consent_texts_given(self) -> list[ConsentText]:
        """The wording of each ticked consent box, in the version the page showed."""
        given = []
        for name in self.consent_fields:
            if not self.cleaned_data.get(name):
                continue
            channel = name.removeprefix("consent_")
            shown = self.cleaned_data.get(f"{name}_text")
            text = (
                ConsentText.objects.filter(pk=shown, channel=channel).first()
                if shown is not None
                else None
            )
            if text is None:
                raise forms.ValidationError(_("The consent wording changed; ask again."))
            given.append(text)
        return given

    def delivery_address(self) -> AddressInput:
        data = self.cleaned_data
        return AddressInput(
            name=data["delivery_name"],
            street_address=data["delivery_street_address"],
            postal_code=data["delivery_postal_code"],
            post_office=data["delivery_post_office"],
            country=data["delivery_country"],
        )


class NewCallerForm(CustomerCreateForm):
    """The customer form inside the order flow: the same fields, checks and duplicate
    warning as the customer page's, for a caller the search did not find. The
    identity code is not asked here: it comes with an invoice order, on the next step."""

    # Staff take these orders by phone or email, so the relationship started there.
    source = forms.ChoiceField(
        label=_("The customer relationship started by"),
        choices=[
            (Source.PHONE.value, Source.PHONE.label),
            (Source.EMAIL.value, Source.EMAIL.label),
        ],
        initial=Source.PHONE,
    )


def new_caller_initial(search: str) -> dict[str, str]:
    """What the search already says about the caller, to start the new customer's
    form with: a name (surname first, as the search asks), a phone or an email. An
    identity code is not carried over: it is given with the invoice order."""
    term = fi.classify_search(search)
    if term is None or term.kind in ("identity_code", "number"):
        return {}
    if term.kind in ("phone", "email"):
        return {term.kind: " ".join(search.split())}
    surname, _space, first_names = " ".join(search.split()).partition(" ")
    return {"surname": surname, "first_names": first_names}


def autofocus_first_error(form: forms.Form, default: str | None = None) -> None:
    """Puts the keyboard focus, when the page loads, on the first field with an error,
    or else on `default`: staff on the phone go on typing where they are needed."""
    name = next((name for name in form.fields if name in form.errors), default)
    if name is not None:
        form.fields[name].widget.attrs["autofocus"] = True


class LineForm(forms.Form):
    """One row of the order: a product code and how many. An empty row is skipped."""

    sku = forms.CharField(label=_("Product code"), max_length=64, required=False)
    quantity = forms.IntegerField(
        label=_("Quantity"), required=False, min_value=1, max_value=MAX_QUANTITY
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # With htmx, a product code typed into the row shows the product's name and
        # price beside it; without JavaScript the order is checked when sent.
        self.fields["sku"].widget.attrs.update(
            {
                "autocomplete": "off",
                "hx-get": reverse("orders:product_lookup"),
                "hx-trigger": "change",
                "hx-target": "next .product-info",
                "hx-swap": "innerHTML",
                "aria-label": _("Product code"),
            }
        )
        self.fields["quantity"].widget.attrs["aria-label"] = _("Quantity")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        sku, quantity = (data.get("sku") or "").strip(), data.get("quantity")
        if sku and quantity is None and "quantity" not in self.errors:
            self.add_error("quantity", _("How many?"))
        if quantity is not None and not sku:
            self.add_error("sku", _("Which product? Enter its code."))
        return data


LineFormSet = forms.formset_factory(
    LineForm, extra=LINE_ROWS, max_num=LINE_ROWS, absolute_max=LINE_ROWS
)


def line_inputs(formset: Any) -> list[LineInput]:
    """The filled rows of a valid line formset, in order."""
    return [
        LineInput(sku=form.cleaned_data["sku"].strip(), quantity=form.cleaned_data["quantity"])
        for form in formset.forms
        if form.cleaned_data.get("sku", "").strip()
    ]


class OrderStatusForm(ServiceErrorsForm):
    """Offers the statuses the order may move to; any known status passes the form, so
    that the service, which reads the order under lock, decides and explains."""

    status = forms.ChoiceField(label=_("New status"), choices=OrderStatus.choices)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, order: Order, credit_cleared: bool = True, **kwargs: Any
    ) -> None:
        kwargs.setdefault("initial", {"version": order.version})
        super().__init__(*args, **kwargs)
        # An invoice order waiting for its credit decision is offered only cancelling.
        self.fields["status"].widget.choices = [
            (status, OrderStatus(status).label)
            for status in order.allowed_statuses()
            if credit_cleared or status == OrderStatus.CANCELLED
        ]


class DeliveryForm(ServiceErrorsForm):
    carrier = forms.ChoiceField(label=_("Carrier"), choices=Carrier.choices)
    tracking_code = forms.CharField(label=_("Tracking code"), max_length=64, required=False)


class DeliveryStatusForm(ServiceErrorsForm):
    status = forms.ChoiceField(
        label=_("New status"),
        choices=[(s.value, s.label) for s in DeliveryStatus if s != DeliveryStatus.PREPARING],
    )


class ReturnForm(ServiceErrorsForm):
    """How many of each line come back, and why."""

    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, order: Order, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line_fields = []
        for line in order.lines.all():
            name = f"line_{line.pk}"
            self.fields[name] = forms.IntegerField(
                label=f"{line.sku} {line.name}",
                required=False,
                min_value=0,
                max_value=line.quantity,
                initial=0,
            )
            self.line_fields.append(name)
        self.order_fields([*self.line_fields, "reason"])

    def quantities(self) -> dict[int, int]:
        return {
            int(name.removeprefix("line_")): self.cleaned_data[name]
            for name in self.line_fields
            if self.cleaned_data.get(name)
        }


class ReturnStatusForm(ServiceErrorsForm):
    status = forms.ChoiceField(label=_("New status"), choices=ReturnStatus.choices)
    refund_amount = forms.DecimalField(
        label=_("Refund (€)"),
        required=False,
        max_digits=12,
        decimal_places=2,
        localize=True,
        help_text=_("Needed when the return is refunded."),
    )

    def __init__(self, *args: Any, return_request: Return, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.return_request = return_request
        self.fields["status"].widget.choices = [
            (status, ReturnStatus(status).label)
            for status in RETURN_TRANSITIONS[return_request.status]
        ]


class ProductForm(ServiceErrorsForm):
    sku = forms.CharField(label=_("Product code"), max_length=64)
    name = forms.CharField(label=_("Name"), max_length=200)
    unit_price = forms.DecimalField(
        label=_("Unit price, VAT included (€)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal(0),
        localize=True,
    )
    vat_rate = forms.TypedChoiceField(
        label=_("VAT rate"),
        choices=[(str(rate), label) for rate, label in VAT_RATE_CHOICES],
        coerce=Decimal,
        initial=str(VAT_RATE_CHOICES[0][0]),
    )
    is_active = forms.BooleanField(label=_("Active: can be ordered"), required=False, initial=True)
