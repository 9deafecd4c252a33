"""The notice keeps saying what the system does (P2; GDPR arts. 13 and 14): each source
of its generated parts changes (a retention policy, the credit policy, the data map,
a campaign under the existing-customer exception of 917/2014 § 200, an opt-out channel
coming into use), the versions page says the published notice is out of date and shows
the difference, and the privacy officer publishes the new text, audited. Anyone else is
refused and nothing changes."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.credit.services import credit_policy_update
from rekisteri.marketing import services as marketing
from rekisteri.marketing.models import Campaign, CampaignStatus
from rekisteri.orders.models import Product
from rekisteri.orders.services import LineInput, order_create
from rekisteri.privacy.access.article15 import article15_information
from rekisteri.privacy.breaches.sending import contact_lines
from rekisteri.privacy.models import RegisterDescription, RetentionCategory, RetentionPolicy
from rekisteri.privacy.notice.document import (
    LIST_SECTIONS,
    PLAIN_SECTIONS,
    TEXT_SECTIONS,
    current_description,
    description_content,
    description_publish,
    validate_description,
)
from rekisteri.privacy.notice.pending import notice_pending, notice_pending_publish, pending_digest
from rekisteri.privacy.notice.rendering import notice_text
from rekisteri.privacy.notice.sources import GENERATED_SECTIONS
from rekisteri.privacy.notice.tests.descriptions import in_swedish
from rekisteri.privacy.records import datamap
from rekisteri.privacy.retention.services import retention_policy_update
from rekisteri.testing.factories import make_customer, make_staff

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
STAFF_VERSIONS = "/privacy/notice/"
PUBLISH = "/privacy/notice/publish/"
NOTICE = "/tietosuojaseloste/"
INACTIVE_36 = "no other activity for 36 months"
INACTIVE_12 = "no other activity for 12 months"


@pytest.fixture
def officer() -> Actor:
    user = make_staff(Role.PRIVACY_OFFICER)
    return Actor(type="staff", user=user, label=user.username)


@pytest.fixture(autouse=True)
def in_step(officer: Actor) -> RegisterDescription:
    """The notice in force says what the system does, before the test changes a source."""
    pending = notice_pending()
    if pending is None:
        return current_description()
    return notice_pending_publish(
        actor=officer, based_on=current_description().version, digest=pending_digest(pending)
    )


def english(description: RegisterDescription | None) -> str:
    assert description is not None
    return notice_text(description, "en")


def page(response: Any) -> str:
    return str(response.content.decode())


def publish_form(client: Client) -> dict[str, str]:
    """The publish form's fields as the versions page gives them."""
    response = client.get(STAFF_VERSIONS)
    form = response.context["publish_form"]
    return {name: str(form[name].value()) for name in ("based_on", "digest")}


def form_data(content: dict[str, Any], **extra: str) -> dict[str, str]:
    """The editor's fields for `content`, every section posted."""
    data = {"based_on": str(current_description().version), **extra}
    for section in PLAIN_SECTIONS:
        data.update({f"{section}-{name}": value for name, value in content[section].items()})
    for section in TEXT_SECTIONS:
        data.update({f"{section}-{lang}": text for lang, text in content[section].items()})
    for section in LIST_SECTIONS:
        for row, item in enumerate(content[section]):
            for name, value in item.items():
                if isinstance(value, dict):
                    for lang, text in value.items():
                        data[f"{section}-{row}-{name}-{lang}"] = text
                else:
                    data[f"{section}-{row}-{name}"] = value
    return data


def notice_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type="privacy.registerdescription").order_by("pk"))


def publish_through_the_page(client: Client, *, changed: list[str]) -> RegisterDescription:
    """Publishes the pending notice as the privacy officer does, and checks the version,
    its change note and its audit event."""
    before = current_description()
    events = len(notice_events())

    response = client.post(PUBLISH, publish_form(client))

    assert response.status_code == 302
    assert response["Location"] == STAFF_VERSIONS
    published = current_description()
    assert published.version == before.version + 1
    assert published.published_by == response.wsgi_request.user
    assert published.change_note.startswith("Päivitetty järjestelmästä: ")
    event = notice_events()[-1]
    assert len(notice_events()) == events + 1
    assert (event.action, event.object_id, event.changed_fields, event.actor_user) == (
        Action.CREATE,
        str(published.pk),
        changed,
        published.published_by,
    )
    assert event.reason == (
        f"register description version {published.version} published from the sources"
    )
    assert notice_pending() is None
    listing = page(client.get(STAFF_VERSIONS))
    assert "The published notice is out of date" not in listing
    assert f"Version {published.version} of the privacy notice is published." in listing
    return published


# ---- Retention policies ---------------------------------------------------------------


def test_a_shorter_retention_period_makes_a_new_notice_that_says_it(privacy_officer_client):
    assert INACTIVE_36 in english(current_description())
    policy = RetentionPolicy.objects.get(category=RetentionCategory.INACTIVE_CUSTOMERS)

    retention_policy_update(actor=SYSTEM, policy=policy, months=12, enabled=True)

    pending = notice_pending()
    assert INACTIVE_12 in english(pending) and INACTIVE_36 not in english(pending)
    assert INACTIVE_36 in english(current_description())  # nothing published by itself
    listing = page(privacy_officer_client.get(STAFF_VERSIONS))
    assert "The published notice is out of date" in listing
    assert "<del>36</del><ins>12</ins>" in listing
    published = publish_through_the_page(privacy_officer_client, changed=["retention"])
    assert published.change_note == (
        "Päivitetty järjestelmästä: säilytysajat / Updated from the system: retention periods"
    )
    public = page(Client(HTTP_ACCEPT_LANGUAGE="en").get(NOTICE))
    assert INACTIVE_12 in public and INACTIVE_36 not in public


def test_a_policy_taken_out_of_use_is_told_as_no_period(privacy_officer_client):
    policy = RetentionPolicy.objects.get(category=RetentionCategory.CAMPAIGN_MESSAGES)
    assert "deleted 24 months after the campaign finished sending" in english(current_description())

    retention_policy_update(actor=SYSTEM, policy=policy, months=24, enabled=False)

    text = english(publish_through_the_page(privacy_officer_client, changed=["retention"]))
    assert "deleted 24 months after the campaign finished" not in text
    assert "The records of marketing messages sent are kept with the customer's data." in text


# ---- The credit policy ----------------------------------------------------------------


def test_a_changed_credit_policy_makes_a_new_notice_with_the_new_rules(privacy_officer_client):
    before = english(current_description())
    assert "the largest total sold on invoice, €1,500:" in before
    assert "If there are, the invoice order is declined." in before

    credit_policy_update(
        actor=SYSTEM,
        decline_on_payment_defaults=False,
        max_invoice_total=Decimal("800.50"),
        decline_unknown_person=True,
    )

    listing = page(privacy_officer_client.get(STAFF_VERSIONS))
    assert "The published notice is out of date" in listing
    text = english(
        publish_through_the_page(privacy_officer_client, changed=["credit_decision_logic"])
    )
    assert "the largest total sold on invoice, €800.50:" in text
    assert "If there are, a person decides." in text
    assert "If the credit bureau does not know the person, the invoice order is declined." in text
    assert "800,50 €" in notice_text(current_description(), "fi")


# ---- The data map ---------------------------------------------------------------------


def test_a_category_of_data_no_longer_held_leaves_the_notice(privacy_officer_client, monkeypatch):
    identity_code = "The personal identity code, only for checking credit data"
    assert identity_code in english(current_description())
    # A version of Rekisteri that keeps no identity code: its data map says so.
    for fields in datamap.DATA_MAP.values():
        for name, entry in list(fields.items()):
            if entry.category == datamap.Category.IDENTITY_CODE:
                monkeypatch.setitem(fields, name, datamap.NOT_PERSONAL)

    pending = notice_pending()

    assert pending is not None
    assert identity_code not in english(pending)
    assert "identity_code" not in [item["key"] for item in pending.content["data_categories"]]
    assert "identity_code" not in [item["category"] for item in pending.content["retention"]]
    published = publish_through_the_page(
        privacy_officer_client, changed=["data_categories", "retention"]
    )
    assert identity_code not in english(published)


# ---- Marketing without an opt-in ------------------------------------------------------


def exception_campaign(name: str = "Kevätale") -> Campaign:
    Product.objects.get_or_create(
        sku="HYL-120", defaults={"name": "Hylly", "unit_price": Decimal("89.90")}
    )
    buyer = make_customer(email=f"ostaja.{Campaign.objects.count()}@example.fi")
    order_create(
        actor=SYSTEM,
        customer=buyer,
        channel="phone",
        payment_method="prepaid",
        lines=[LineInput("HYL-120", 1)],
    )
    group = marketing.target_group_save(
        actor=SYSTEM, data=marketing.TargetGroupInput(name=f"{name} group", channel="email")
    )
    data = marketing.CampaignInput(
        name=name,
        channel="email",
        target_group=group,
        subject="Kevään tarjoukset",
        body="Hyllyt -20 % koko huhtikuun.",
        existing_customer_exception=True,
    )
    return marketing.campaign_save(actor=SYSTEM, data=data)


def test_a_campaign_under_the_existing_customer_exception_is_named_once_it_starts(
    privacy_officer_client,
):
    draft = exception_campaign()
    # A draft reaches no one: the notice need not say anything yet.
    assert notice_pending() is None

    marketing.campaign_send(actor=SYSTEM, campaign=draft, version=draft.version)

    text = english(publish_through_the_page(privacy_officer_client, changed=["purposes"]))
    assert "The campaigns that use it: “Kevätale” (email)." in text
    assert "Section 200 of the Act on Electronic Communications Services (917/2014)" in text
    # A year after it finished, the campaign is no longer in use, and the notice says so.
    Campaign.objects.filter(pk=draft.pk).update(
        status=CampaignStatus.SENT,
        finished_at=timezone.now() - datetime.timedelta(days=400),
    )
    pending = notice_pending()
    assert pending is not None and "Kevätale" not in english(pending)


def test_an_opt_out_channel_coming_into_use_is_told(privacy_officer_client):
    opt_out = "goes to customers who have not refused it (opt-out)"
    marketing.target_group_save(
        actor=SYSTEM, data=marketing.TargetGroupInput(name="Sähköposti", channel="email")
    )
    # Email needs an opt-in: a group for it is no opt-out marketing.
    assert notice_pending() is None

    marketing.target_group_save(
        actor=SYSTEM, data=marketing.TargetGroupInput(name="Postitus", channel="post")
    )
    text = english(publish_through_the_page(privacy_officer_client, changed=["purposes"]))
    assert f"Marketing by post {opt_out}" in text

    marketing.target_group_save(
        actor=SYSTEM, data=marketing.TargetGroupInput(name="Soitot", channel="phone")
    )
    text = english(publish_through_the_page(privacy_officer_client, changed=["purposes"]))
    assert f"Marketing by post and phone {opt_out}" in text


# ---- Who may publish, and what is refused ---------------------------------------------


def shorten_retention() -> None:
    policy = RetentionPolicy.objects.get(category=RetentionCategory.INACTIVE_CUSTOMERS)
    retention_policy_update(actor=SYSTEM, policy=policy, months=12, enabled=True)


@pytest.mark.parametrize("role", [Role.CUSTOMER_SERVICE, Role.AUDITOR, Role.MARKETING])
def test_only_the_privacy_officer_publishes_and_a_refusal_changes_nothing(
    role, client_as, privacy_officer_client
):
    shorten_retention()
    form = publish_form(privacy_officer_client)
    before, events = current_description(), len(notice_events())

    response = client_as(role).post(PUBLISH, form)

    assert response.status_code == 403
    assert current_description() == before
    assert RegisterDescription.objects.count() == before.version
    assert len(notice_events()) == events
    assert notice_pending() is not None


def test_the_auditor_sees_that_the_notice_is_out_of_date_but_no_publish_button(client_as):
    shorten_retention()

    html = page(client_as(Role.AUDITOR).get(STAFF_VERSIONS))

    assert "The published notice is out of date" in html
    assert "<del>36</del><ins>12</ins>" in html
    assert PUBLISH not in html


def test_a_text_that_changed_after_it_was_read_is_not_published(privacy_officer_client):
    shorten_retention()
    form = publish_form(privacy_officer_client)
    policy = RetentionPolicy.objects.get(category=RetentionCategory.INACTIVE_CUSTOMERS)
    retention_policy_update(actor=SYSTEM, policy=policy, months=18, enabled=True)
    before, events = current_description(), len(notice_events())

    response = privacy_officer_client.post(PUBLISH, form)

    assert response.status_code == 400
    assert "The system&#x27;s settings changed while you were reading" in page(response)
    assert "<del>36</del><ins>18</ins>" in page(response)
    assert (current_description(), len(notice_events())) == (before, events)


def test_nothing_pending_is_refused_and_nothing_is_written(privacy_officer_client, officer):
    before, events = current_description(), len(notice_events())

    response = privacy_officer_client.post(
        PUBLISH, {"based_on": str(before.version), "digest": "0" * 32}
    )

    assert response.status_code == 400
    assert "Nothing to publish" in page(response)
    assert (current_description(), len(notice_events())) == (before, events)


# ---- The editor and the other readers of the description ------------------------------


def test_the_editor_publishes_the_officers_words_and_leaves_the_generated_parts(
    privacy_officer_client,
):
    shorten_retention()
    before = current_description()
    content = description_content()
    content["contact"]["phone"] = "040 123 4567"
    # Typed-in categories or retention would be the drift this prevents: the editor has
    # no fields for them, and what is posted for them is not read.
    content["data_categories"] = content["data_categories"][:1]
    content["retention"][0]["text"]["en"] = "Kept forever."
    data = form_data(content, action="publish", change_note="Uusi puhelinnumero")

    response = privacy_officer_client.post("/privacy/notice/edit/", data)

    assert response.status_code == 302
    published = current_description()
    assert published.version == before.version + 1
    for section in GENERATED_SECTIONS:
        assert published.content[section] == before.content[section]
    assert notice_events()[-1].changed_fields == ["contact"]
    # The new retention period still waits for the privacy officer.
    pending = notice_pending()
    assert pending is not None and INACTIVE_12 in english(pending)
    assert "Ilkka Turunen, 040 123 4567." in english(pending)


def test_the_copy_and_breach_notices_name_the_controller_of_the_published_notice(officer):
    content = description_content()
    content["contact"]["phone"] = "040 123 4567"
    description_publish(actor=officer, content=content, change_note="Uusi puhelinnumero")

    [controller, *_rest] = article15_information("fi")

    assert controller["items"] == [
        "Rekisterinpitäjä: Adexcon, Hintantie 85 B, 90650 Oulu.",
        "Rekisteriasioista vastaava henkilö: Ilkka Turunen, 040 123 4567.",
        f"Rekisterin nimi: {content['register_name']['fi']}.",
    ]
    assert contact_lines("en")[1] == (
        "Contact person for register matters: Ilkka Turunen, 040 123 4567."
    )


def test_the_generated_parts_are_in_every_language_of_the_notice():
    description = current_description()
    languages = set(description.content["register_name"])

    for section in ("data_categories", "retention"):
        for item in description.content[section]:
            assert set(item["text"]) == languages
    assert set(description.content["credit_decision_logic"]) == languages
    assert reverse("privacy:notice_publish_pending") == PUBLISH


def test_a_description_with_swedish_gets_its_generated_parts_in_swedish_too(officer):
    swedish = in_swedish(description_content())
    description_publish(actor=officer, content=swedish, change_note="Ruotsiksi")

    pending = notice_pending()

    assert pending is not None
    validate_description(pending.content)  # Swedish is all or nothing
    assert set(pending.content["credit_decision_logic"]) == {"fi", "en", "sv"}
    assert all("sv" in item["text"] for item in pending.content["retention"])
    assert "Dataskyddsbeskrivning" in notice_text(pending, "sv")
