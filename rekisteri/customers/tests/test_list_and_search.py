"""The customer list and search: paged by keys, searched by POST (P1)."""

import random

import phonenumbers
import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from rekisteri import fi
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.customers.models import Customer, Status
from rekisteri.testing.factories import make_customer
from rekisteri.testing.identity_codes import random_identity_code

pytestmark = pytest.mark.django_db


def numbers_in(response):
    return [c.customer_number for c in response.context["page"].customers]


def test_the_list_shows_the_newest_customers_first_and_pages_without_counting(
    customer_service_client, settings
):
    settings.CUSTOMER_PAGE_SIZE = 2
    newest_first = sorted((make_customer().customer_number for _ in range(5)), reverse=True)

    with CaptureQueriesContext(connection) as queries:
        first = customer_service_client.get(reverse("customers:list"))
    second = customer_service_client.get(reverse("customers:list"), {"after": newest_first[1]})
    last = customer_service_client.get(reverse("customers:list"), {"after": newest_first[3]})

    assert numbers_in(first) == newest_first[0:2]
    assert numbers_in(second) == newest_first[2:4]
    assert numbers_in(last) == newest_first[4:]
    assert f'href="/customers/?after={newest_first[1]}"' in first.content.decode()
    assert 'href="/customers/?after=' not in last.content.decode()
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)


def search(client, text, **extra):
    return client.post(reverse("customers:search"), {"q": text, **extra})


def test_it_finds_a_customer_by_number(customer_service_client):
    make_customer()
    wanted = make_customer()

    assert numbers_in(search(customer_service_client, str(wanted.customer_number))) == [
        wanted.customer_number
    ]


def test_it_finds_a_customer_by_surname_prefix_in_any_case(customer_service_client):
    virtanen = make_customer(surname="Virtanen")
    virtala = make_customer(surname="Virtala")
    make_customer(surname="Korhonen")

    response = search(customer_service_client, "VIRTA")

    assert sorted(numbers_in(response)) == sorted(
        [virtanen.customer_number, virtala.customer_number]
    )


def test_it_narrows_a_name_search_by_first_name(customer_service_client):
    aino = make_customer(surname="Mäkinen", first_names="Aino")
    make_customer(surname="Mäkinen", first_names="Eero")

    assert numbers_in(search(customer_service_client, "mäkinen ai")) == [aino.customer_number]


def test_it_finds_a_customer_by_phone_in_any_format(customer_service_client):
    wanted = make_customer(phone="+358401234567")

    for text in ("040 123 4567", "0401234567", "+358 40 1234567"):
        assert numbers_in(search(customer_service_client, text)) == [wanted.customer_number]


def test_it_finds_a_customer_by_email_in_any_case(customer_service_client):
    wanted = make_customer(email="aino.virtanen@example.fi")

    assert numbers_in(search(customer_service_client, "Aino.Virtanen@EXAMPLE.fi")) == [
        wanted.customer_number
    ]


def test_it_finds_a_customer_by_exact_identity_code_and_audits_the_search(
    customer_service_client,
):
    code = random_identity_code()
    wanted = make_customer(identity_code=code)
    make_customer(with_identity_code=True)

    response = search(customer_service_client, code.lower())

    assert numbers_in(response) == [wanted.customer_number]
    event = AuditEvent.objects.get(action=Action.SEARCH)
    assert event.customer_id == wanted.pk
    assert personal_text_decrypt(event) == "identity code search"
    assert code not in str(AuditEvent.objects.values())


def test_an_identity_code_search_that_finds_no_one_is_audited_too(customer_service_client):
    response = search(customer_service_client, random_identity_code())

    assert numbers_in(response) == []
    assert "No customer matches the search." in response.content.decode()
    event = AuditEvent.objects.get(action=Action.SEARCH)
    assert event.customer_id is None


def test_a_name_search_pages_through_all_matches(customer_service_client, settings):
    settings.CUSTOMER_PAGE_SIZE = 2
    made = sorted(make_customer(surname=f"Laine{suffix}").customer_number for suffix in "abcde")

    seen, cursor = [], ""
    for _ in range(5):
        response = search(customer_service_client, "laine", cursor=cursor)
        seen += numbers_in(response)
        cursor = response.context["page"].next_cursor
        if not cursor:
            break

    assert sorted(seen) == made
    assert len(seen) == len(set(seen))


def test_search_is_post_only_so_nothing_personal_lands_in_urls(customer_service_client):
    response = customer_service_client.get(reverse("customers:search"), {"q": "Virtanen"})

    assert response.status_code == 405


def test_an_empty_search_returns_to_the_list(customer_service_client):
    response = search(customer_service_client, "   ")

    assert response.status_code == 302
    assert response.url == reverse("customers:list")


def test_htmx_gets_only_the_results_partial(customer_service_client):
    make_customer(surname="Heikkinen")

    response = customer_service_client.post(
        reverse("customers:search"), {"q": "heikk"}, HTTP_HX_REQUEST="true"
    )

    body = response.content.decode()
    assert body.lstrip().startswith('<section id="results"')
    assert "Heikkinen" in body
    assert "<html" not in body


@pytest.mark.parametrize("role", ["marketing", "administrator", "auditor", None])
def test_roles_without_the_permission_cannot_list_or_search(client_as, role):
    # A surname no fake staff member can have, so the page cannot show it by chance.
    make_customer(surname="Qvarnström-Testaaja")
    client = client_as(role)

    listing = client.get(reverse("customers:list"))
    searching = client.post(reverse("customers:search"), {"q": "qvarnström"})

    assert listing.status_code == 403
    assert searching.status_code == 403
    assert "Qvarnström" not in listing.content.decode() + searching.content.decode()
    assert AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count() == 2
    assert Customer.objects.count() == 1


def test_an_overlong_search_gets_an_error(customer_service_client):
    response = search(customer_service_client, "x" * 101)

    assert response.status_code == 400
    assert "at most 100 characters" in response.content.decode()
    assert not AuditEvent.objects.filter(action=Action.SEARCH).exists()


# The rows as the template used to make them, cell by cell: a `{% url %}`, the phone
# filter and `get_status_display` per row. The view now works the cells out in one go
# (views.result_rows); the page must stay exactly the same.
ROWS_CELL_BY_CELL = Template(
    """{% load customer_tags %}<tbody>
  {% for customer in customers %}{% url 'customers:detail' customer.customer_number as detail_url %}
    <tr>
      <td><a href="{{ detail_url }}">{{ customer.customer_number }}</a></td>
      <td><a href="{{ detail_url }}">{{ customer.surname }}, {{ customer.first_names }}</a></td>
      <td>{{ customer.post_office }}</td>
      <td class="nowrap">{{ customer.phone|phone }}</td>
      <td>{{ customer.email }}</td>
      <td><span class="badge {{ customer.status }}">{{ customer.get_status_display }}</span></td>
    </tr>
  {% endfor %}
  </tbody>"""
)


def varied_customers():
    """Customers whose cells differ in every way a row can: status, Finnish, Åland,
    foreign and no phone, and text that must be escaped."""
    made = [
        make_customer(phone="+358401234567"),
        make_customer(phone="+358181234567"),  # Åland: shown internationally
        make_customer(phone="+46701234567", email=""),
        make_customer(phone="", email="aino@example.fi"),
        make_customer(phone="+35891234567"),
    ]
    Customer.objects.filter(pk=made[1].pk).update(status=Status.RESTRICTED)
    Customer.objects.filter(pk=made[2].pk).update(status=Status.ANONYMISED)
    Customer.objects.filter(pk=made[4].pk).update(
        surname='<b>"Ö\'Brien" & Co</b>', first_names="Ääni <i>", post_office="A&B <Oy>"
    )
    return [Customer.objects.get(pk=customer.pk) for customer in made]


@pytest.mark.parametrize("language", ["en", "fi"])
def test_the_result_rows_are_those_the_template_made_cell_by_cell(
    customer_service_client, language
):
    customers = varied_customers()
    newest_first = sorted(customers, key=lambda c: -c.customer_number)
    customer_service_client.defaults["HTTP_ACCEPT_LANGUAGE"] = language

    listing = customer_service_client.get(reverse("customers:list")).content.decode()
    searching = search(customer_service_client, "0401234567").content.decode()

    with translation.override(language):
        expected_list = ROWS_CELL_BY_CELL.render(Context({"customers": newest_first}))
        expected_search = ROWS_CELL_BY_CELL.render(Context({"customers": customers[:1]}))
    assert expected_list in listing
    assert expected_search in searching
    assert "&lt;b&gt;&quot;Ö&#x27;Brien&quot; &amp; Co&lt;/b&gt;" in listing
    assert "<b>" not in listing


def test_a_page_of_results_costs_the_same_queries_as_one_result(customer_service_client):
    make_customer(surname="Laitinen")
    search(customer_service_client, "laiti")  # the session's first request checks more
    with CaptureQueriesContext(connection) as one:
        search(customer_service_client, "laiti")
    for _ in range(9):
        make_customer(surname="Laitinen")
    with CaptureQueriesContext(connection) as ten:
        response = search(customer_service_client, "laiti")

    assert len(numbers_in(response)) == 10
    assert len(ten.captured_queries) == len(one.captured_queries)


def test_format_phone_reads_a_stored_finnish_number_as_phonenumbers_parses_it():
    """fi.format_phone skips phonenumbers.parse for +358 numbers: same result."""
    rng = random.Random(5)
    for _ in range(2000):
        digits = str(rng.randint(1, 9)) + "".join(
            rng.choice("0123456789") for _ in range(rng.randint(1, 16))
        )
        e164 = f"+358{digits}"
        number = phonenumbers.parse(e164, None)
        style = (
            phonenumbers.PhoneNumberFormat.NATIONAL
            if phonenumbers.region_code_for_number(number) == "FI"
            else phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
        assert fi.format_phone(e164) == phonenumbers.format_number(number, style), e164
