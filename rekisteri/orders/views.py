from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rekisteri import fi
from rekisteri.accounts.access import require_permission
from rekisteri.audit.services import Actor
from rekisteri.consents import selectors as consent_selectors
from rekisteri.credit.forms import CreditOverrideForm
from rekisteri.credit.models import CreditCheck, Decision
from rekisteri.credit.services import (
    credit_check_for,
    credit_decision_override,
    order_is_cleared_for_credit,
)
from rekisteri.customers import selectors as customer_selectors
from rekisteri.customers import services as customer_services
from rekisteri.customers.access import customer_or_404
from rekisteri.customers.forms import SearchForm
from rekisteri.customers.models import Customer
from rekisteri.customers.restriction import HELD_MESSAGE, ChangeHeld
from rekisteri.orders import selectors, services
from rekisteri.orders.confirmations import CONFIRMED_CHANNELS
from rekisteri.orders.forms import (
    DeliveryForm,
    DeliveryStatusForm,
    LineFormSet,
    NewCallerForm,
    OrderForm,
    OrderStatusForm,
    ProductForm,
    ReturnForm,
    ReturnStatusForm,
    autofocus_first_error,
    line_inputs,
    new_caller_initial,
)
from rekisteri.orders.models import Delivery, Order, Product, Return
from rekisteri.versioning import Conflict

ORDER_PAGE_SIZE = 50


def _order_or_404(order_number: int) -> Order:
    """The one access helper for orders: roles are register-wide, so an order the role
    may see at all is any order; an unknown number is a 404."""
    order = selectors.order_get(order_number=order_number)
    if order is None:
        raise Http404
    return order


def _product_or_404(pk: int) -> Product:
    product = selectors.product_get(pk=pk)
    if product is None:
        raise Http404
    return product


@require_GET
@require_permission("orders.view_order")
def order_list(request: HttpRequest) -> HttpResponse:
    before = request.GET.get("before", "")
    orders, next_before = selectors.order_list(
        before=int(before) if before.isdigit() else None, limit=ORDER_PAGE_SIZE
    )
    return render(request, "orders/list.html", {"orders": orders, "next_before": next_before})


@require_http_methods(["GET", "POST"])
@require_permission("orders.add_order")
@sensitive_post_parameters("q")
def order_create_find(request: HttpRequest) -> HttpResponse:
    """The first step of a phone or email order: find the customer, by POST so that the
    search stays out of URLs, as on the customer list."""
    form = SearchForm(request.POST or None)
    # The caller's name or number is the first thing typed: the page starts there.
    form.fields["q"].widget.attrs["autofocus"] = True
    page = customer_selectors.CustomerPage([], "")
    term = fi.classify_search(form.cleaned_data["q"]) if form.is_valid() else None
    if term is not None:
        page = customer_selectors.customer_search(
            term=term, cursor=form.cleaned_data["cursor"], limit=settings.CUSTOMER_PAGE_SIZE
        )
        if term.kind == "identity_code":
            customer_services.customer_identity_code_search_record(
                actor=Actor.from_request(request), customers=page.customers
            )
    # A search that finds no one opens the new customer's form below it, started
    # with what the search said; htmx swaps it in beside the results.
    new_caller = None
    if term is not None and not page.customers and request.user.has_perm("customers.add_customer"):
        new_caller = NewCallerForm(initial=new_caller_initial(form.cleaned_data["q"]))
    context = {
        "form": form,
        "page": page,
        "searching": term is not None,
        "new_caller": new_caller,
    }
    template = "orders/_find_results.html" if request.htmx else "orders/find.html"  # type: ignore[attr-defined]  # set by django-htmx middleware
    return render(request, template, context)


@never_cache
@require_http_methods(["GET", "POST"])
@require_permission("orders.add_order")
@require_permission("customers.add_customer")
def order_create_new_caller(request: HttpRequest) -> HttpResponse:
    """A caller the search did not find: the customer is created here, with the
    customer page's checks and duplicate warning, and staff go straight on to the order
    form. The customer is saved on its own, before the order: if the order is never
    sent, the customer stays in the register without it: the message on the order
    form says the customer was created, and the form's Cancel leads to their page."""
    form = NewCallerForm(request.POST or None)
    duplicates: list[Customer] = []
    if request.method == "POST" and form.is_valid():
        try:
            customer = customer_services.customer_create(
                actor=Actor.from_request(request),
                data=form.customer_input(),
                source=form.cleaned_data["source"],
                allow_duplicate=form.cleaned_data["allow_duplicate"],
            )
        except customer_services.DuplicateCustomer as duplicate:
            duplicates = duplicate.candidates
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _("Customer %(number)s created. Now record the order.")
                % {"number": customer.customer_number},
            )
            return redirect("orders:create", customer.customer_number)
    autofocus_first_error(form, "allow_duplicate" if duplicates else "surname")
    context = {"new_caller": form, "duplicates": duplicates}
    status = 400 if form.errors else 200
    return render(request, "orders/new_caller.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@require_permission("orders.add_order")
@sensitive_post_parameters("identity_code")
def order_create(request: HttpRequest, customer_number: int) -> HttpResponse:
    customer = customer_or_404(customer_number)
    address = services.address_of(customer)
    initial = {
        "delivery_name": address.name,
        "delivery_street_address": address.street_address,
        "delivery_postal_code": address.postal_code,
        "delivery_post_office": address.post_office,
        "delivery_country": address.country,
    }
    form = OrderForm(
        request.POST or None,
        initial=initial,
        consent_texts=consent_selectors.consent_texts_current(),
        language=customer.preferred_language,
    )
    lines = LineFormSet(request.POST or None, prefix="lines")
    if request.method == "GET":
        # The form shows the customer's address: a read of their data.
        customer_services.customer_record_view(actor=Actor.from_request(request), customer=customer)
    elif all([form.is_valid(), lines.is_valid()]):
        try:
            order = services.order_create(
                actor=Actor.from_request(request),
                customer=customer,
                channel=form.cleaned_data["channel"],
                payment_method=form.cleaned_data["payment_method"],
                lines=line_inputs(lines),
                delivery_address=form.delivery_address(),
                notes=form.cleaned_data["notes"],
                check_credit=True,
                identity_code=form.cleaned_data["identity_code"],
                consents=form.consent_texts_given(),
                confirm=True,
            )
        except ChangeHeld:
            messages.warning(request, str(HELD_MESSAGE))
            return redirect("customers:detail", customer.customer_number)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Order %(number)s saved.") % {"number": order.order_number})
            _credit_message(request, credit_check_for(order=order))
            if selectors.order_confirmation_impossible(order=order):
                messages.warning(
                    request,
                    _(
                        "No confirmation can be sent to the customer: they have no email "
                        "address or mobile number."
                    ),
                )
            return redirect("orders:detail", order.order_number)
    autofocus_first_error(form, "channel")
    context = {"form": form, "lines": lines, "customer": customer}
    return render(request, "orders/form.html", context, status=400 if request.POST else 200)


def _credit_message(request: HttpRequest, check: CreditCheck | None) -> None:
    """What the credit check means for the order, in words staff may pass on: a decline
    says no reason (the reason is on the order page, for staff)."""
    if check is None:
        return
    if check.decision == Decision.APPROVED:
        messages.success(request, _("Credit check approved"))
    elif check.decision == Decision.DECLINED:
        messages.warning(
            request,
            _("The order cannot be paid by invoice. Offer the customer another way to pay."),
        )
    else:
        messages.warning(
            request,
            _("A person must review the credit decision before the order can go ahead"),
        )


def _detail_page(
    request: HttpRequest, order: Order, *, status: int = 200, **replacing: Any
) -> HttpResponse:
    """The order page, recorded as a read of the customer's data. `replacing` puts a
    form just sent back, with its errors, in place of the blank one."""
    services.order_record_view(actor=Actor.from_request(request), order=order)
    failed_return = replacing.pop("failed_return", None)
    context = {
        "order": order,
        "withdrawal_deadline": selectors.order_withdrawal_deadline(order=order),
        "status_form": OrderStatusForm(
            order=order, credit_cleared=order_is_cleared_for_credit(order)
        ),
        "credit_check": credit_check_for(order=order),
        "credit_override_form": CreditOverrideForm(),
        "confirmations": list(order.confirmations.all()),
        "confirms_orders": order.channel in CONFIRMED_CHANNELS,
        "delivery_form": DeliveryForm(),
        "delivery_status_form": DeliveryStatusForm(),
        "return_form": ReturnForm(order=order),
        "returns": [
            (
                return_request,
                failed_return
                if failed_return is not None
                and failed_return.return_request.pk == return_request.pk
                else ReturnStatusForm(return_request=return_request),
            )
            for return_request in order.returns.all()
        ],
        **replacing,
    }
    return render(request, "orders/detail.html", context, status=status)


@never_cache
@require_GET
@require_permission("orders.view_order")
def order_detail(request: HttpRequest, order_number: int) -> HttpResponse:
    return _detail_page(request, _order_or_404(order_number))


@never_cache
@require_POST
@require_permission("orders.change_order")
def order_status(request: HttpRequest, order_number: int) -> HttpResponse:
    order = _order_or_404(order_number)
    form = OrderStatusForm(request.POST, order=order)
    if form.is_valid():
        try:
            services.order_status_change(
                actor=Actor.from_request(request),
                order=order,
                status=form.cleaned_data["status"],
                expected_version=form.cleaned_data["version"],
            )
        except Conflict:
            # Show the order as it now is, with a form for its current version.
            return _detail_page(request, _order_or_404(order_number), status=409, conflict=True)
        except ChangeHeld:
            messages.warning(request, str(HELD_MESSAGE))
            return redirect("orders:detail", order_number)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The order's status was changed."))
            return redirect("orders:detail", order_number)
    return _detail_page(request, order, status=400, status_form=form)


@never_cache
@require_POST
@require_permission("orders.change_order")
def order_confirmation_send_again(request: HttpRequest, order_number: int) -> HttpResponse:
    """Customer service sends the order's confirmation to the customer again."""
    order = _order_or_404(order_number)
    try:
        services.order_confirmation_send_again(actor=Actor.from_request(request), order=order)
    except ValidationError as error:
        return _detail_page(request, order, status=400, confirmation_errors=error.messages)
    messages.success(request, _("The confirmation will be sent again."))
    return redirect(f"{reverse('orders:detail', args=[order_number])}#confirmation")


@never_cache
@require_POST
@require_permission("orders.change_order")
def order_settle(request: HttpRequest, order_number: int) -> HttpResponse:
    """Records that an invoice order's invoice was paid; sent twice, it stays paid once."""
    order = _order_or_404(order_number)
    try:
        services.order_settle(actor=Actor.from_request(request), order=order)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The invoice was marked paid."))
    return redirect("orders:detail", order_number)


@never_cache
@require_POST
@require_permission("orders.change_order")
def delivery_add(request: HttpRequest, order_number: int) -> HttpResponse:
    order = _order_or_404(order_number)
    form = DeliveryForm(request.POST)
    if form.is_valid():
        try:
            services.delivery_create(
                actor=Actor.from_request(request),
                order=order,
                carrier=form.cleaned_data["carrier"],
                tracking_code=form.cleaned_data["tracking_code"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The delivery was added."))
            return redirect("orders:detail", order_number)
    return _detail_page(request, order, status=400, delivery_form=form)


@never_cache
@require_POST
@require_permission("orders.change_order")
def delivery_status(request: HttpRequest, order_number: int, delivery_id: int) -> HttpResponse:
    order = _order_or_404(order_number)
    delivery = _delivery_of(order, delivery_id)
    form = DeliveryStatusForm(request.POST)
    if form.is_valid():
        try:
            services.delivery_status_change(
                actor=Actor.from_request(request),
                delivery=delivery,
                status=form.cleaned_data["status"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The delivery's status was changed."))
            return redirect("orders:detail", order_number)
    return _detail_page(request, order, status=400, delivery_status_form=form)


def _delivery_of(order: Order, delivery_id: int) -> Delivery:
    for delivery in order.deliveries.all():
        if delivery.pk == delivery_id:
            return delivery
    raise Http404


def _return_of(order: Order, return_id: int) -> Return:
    for return_request in order.returns.all():
        if return_request.pk == return_id:
            return return_request
    raise Http404


@never_cache
@require_POST
@require_permission("orders.change_order")
def return_add(request: HttpRequest, order_number: int) -> HttpResponse:
    order = _order_or_404(order_number)
    form = ReturnForm(request.POST, order=order)
    if form.is_valid():
        try:
            services.return_create(
                actor=Actor.from_request(request),
                order=order,
                quantities=form.quantities(),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The return was recorded."))
            return redirect("orders:detail", order_number)
    return _detail_page(request, order, status=400, return_form=form)


@never_cache
@require_POST
@require_permission("orders.change_order")
def return_status(request: HttpRequest, order_number: int, return_id: int) -> HttpResponse:
    order = _order_or_404(order_number)
    return_request = _return_of(order, return_id)
    form = ReturnStatusForm(request.POST, return_request=return_request)
    if form.is_valid():
        try:
            services.return_status_change(
                actor=Actor.from_request(request),
                return_request=return_request,
                status=form.cleaned_data["status"],
                refund_amount=form.cleaned_data["refund_amount"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The return's status was changed."))
            return redirect("orders:detail", order_number)
    return _detail_page(request, order, status=400, failed_return=form)


@require_GET
@require_permission("orders.view_product")
def product_list(request: HttpRequest) -> HttpResponse:
    return render(request, "orders/product_list.html", {"products": selectors.product_list()})


@require_GET
@require_permission("orders.view_product")
def product_lookup(request: HttpRequest) -> HttpResponse:
    """The name and price of the product with a code, for a row of the order form.
    The row's own input sends it as `lines-N-sku`; `sku` works too."""
    sku = request.GET.get("sku") or next(
        (request.GET[key] for key in request.GET if key.endswith("-sku")), ""
    )
    product = selectors.product_by_sku(sku=sku)
    return render(request, "orders/_product.html", {"product": product, "sku": sku.strip()})


@require_http_methods(["GET", "POST"])
@require_permission("orders.add_product")
def product_create(request: HttpRequest) -> HttpResponse:
    return _product_form(request, None)


@require_http_methods(["GET", "POST"])
@require_permission("orders.change_product")
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _product_form(request, _product_or_404(pk))


def _product_form(request: HttpRequest, product: Product | None) -> HttpResponse:
    initial = {}
    if product is not None:
        initial = {
            "sku": product.sku,
            "name": product.name,
            "unit_price": product.unit_price,
            "vat_rate": str(product.vat_rate),
            "is_active": product.is_active,
        }
    form = ProductForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.product_save(
                actor=Actor.from_request(request), product=product, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Product %(sku)s saved.") % {"sku": saved.sku})
            return redirect("orders:product_list")
    status = 400 if request.POST else 200
    return render(
        request, "orders/product_form.html", {"form": form, "product": product}, status=status
    )


@never_cache
@require_POST
@require_permission("credit.override_creditcheck")
def order_credit_review(request: HttpRequest, order_number: int) -> HttpResponse:
    """A person's review of the order's automated credit decision (GDPR art. 22)."""
    order = _order_or_404(order_number)
    check = credit_check_for(order=order)
    if check is None:
        raise Http404
    form = CreditOverrideForm(request.POST)
    if form.is_valid():
        try:
            credit_decision_override(
                actor=Actor.from_request(request), check=check, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The credit decision was reviewed."))
            return redirect("orders:detail", order_number)
    return _detail_page(request, order, status=400, credit_override_form=form)
