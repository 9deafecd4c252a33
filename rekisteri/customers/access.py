"""Access checks for views that show one customer, in whichever app they are."""

from django.http import Http404

from rekisteri.customers import selectors
from rekisteri.customers.models import Customer


def customer_or_404(customer_number: int) -> Customer:
    """The one access helper for customers: roles are register-wide, so a customer the
    role may see at all is any customer; an unknown number is a 404. The number of a
    record merged into another gives the record it was merged into."""
    customer = selectors.customer_get(customer_number=customer_number)
    if customer is None:
        raise Http404
    return customer
