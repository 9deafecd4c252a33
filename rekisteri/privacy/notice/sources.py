"""The parts of the privacy notice that Rekisteri itself decides, written from the
live sources rather than typed in (P2; GDPR arts. 13 and 14):

- the categories of data, from the data map (`records.datamap`): a category appears
  when some field about customers holds it;
- how long each category is kept, from the retention policies (`RetentionPolicy`);
- the logic of the automated credit decision, from the credit policy (`CreditPolicy`);
- the marketing that reaches customers without an opt-in, from the campaigns and
  target groups in use: the campaigns that use the existing-customer exception of
  917/2014 § 200, and the channels that are opt-out (post, phone).

`content_from_sources(base)` is the register description the privacy officer wrote
(`base`: the controller, the contact person, the purposes...) with these parts put in.
Nothing here is stored: the notice waiting to be published is this function applied to
the version in force, computed when it is asked for, so it cannot drift from the
sources (`notice.pending`). Every sentence is written in each language of the notice
through the translation catalogues, so the wording of each language lives in its .po
file."""

from __future__ import annotations

import copy
import datetime
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from functools import partial
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from rekisteri.consents.models import OPT_IN_CHANNELS, Channel
from rekisteri.credit.models import CreditPolicy
from rekisteri.credit.services import credit_policy
from rekisteri.marketing.models import Campaign, CampaignStatus, TargetGroup
from rekisteri.privacy.models import RetentionCategory, RetentionPolicy
from rekisteri.privacy.records.datamap import Category, Subject, personal_fields
from rekisteri.privacy.retention.services import months_before

# The sections written here; the editor leaves them out (`notice.forms`).
GENERATED_SECTIONS = ("data_categories", "retention", "credit_decision_logic")
# Items of "purposes" written here, by key; present only while what they tell is in use.
EXCEPTION_PURPOSE = "existing_customer_marketing"
OPT_OUT_PURPOSE = "opt_out_marketing"
GENERATED_PURPOSES = (EXCEPTION_PURPOSE, OPT_OUT_PURPOSE)
# A campaign sent under the exception is in use for this long after it finished:
# customers it reached may still wonder why, and may still opt out of it.
CAMPAIGN_IN_USE_MONTHS = 12
# Who the notice is for: the data subjects whose categories it lists.
NOTICE_SUBJECTS = (Subject.CUSTOMER, Subject.REQUESTER)


# ---- Small wording helpers (run inside translation.override) ---------------------------


def _months(months: int) -> str:
    return ngettext("%(months)s month", "%(months)s months", months) % {"months": months}


def _join(parts: Sequence[str]) -> str:
    """ "a, b and c" in the active language."""
    if len(parts) <= 1:
        return "".join(parts)
    return pgettext("a list", "%(items)s and %(last)s") % {
        "items": ", ".join(parts[:-1]),
        "last": parts[-1],
    }


def _money(amount: Decimal, language: str) -> str:
    """1500 as "€1,500" in English and "1 500 €" in Finnish and Swedish; cents only
    when there are some."""
    whole = amount == amount.to_integral_value()
    text = f"{amount:,.0f}" if whole else f"{amount:,.2f}"
    if language == "en":
        return f"€{text}"
    return text.replace(",", "\u00a0").replace(".", ",") + "\u00a0€"


# ---- Data categories, from the data map -------------------------------------------------


def _category_text(category: Category, _language: str) -> str:
    texts = {
        Category.IDENTITY: _("Names: surname and first names."),
        Category.CONTACT: _(
            "Contact data: street address, postal code, post office, country, and the phone "
            "number and email the customer gave, for handling and delivering orders and "
            "contacting the customer about them."
        ),
        Category.IDENTITY_CODE: _(
            "The personal identity code, only for checking credit data and running sales "
            "on credit (invoice orders)."
        ),
        Category.CUSTOMER_RELATIONSHIP: _(
            "Other customer-specific data: the customer number, how the customer "
            "relationship began (web shop, email or phone), its status, the language and "
            "the dates of the relationship."
        ),
        Category.ORDER_HISTORY: _("Data on the customer's orders, deliveries and returns."),
        Category.PAYMENT_AND_CREDIT: _(
            "The payment method and the credit decisions of invoice orders: the decision "
            "and its reason, the number and classification of payment default entries, "
            "the credit bureau's reference, and a person's review with its reasons. The "
            "credit bureau's answer itself is not stored."
        ),
        Category.MARKETING_CHOICES: _(
            "Marketing consents, their withdrawals and direct marketing bans (a ban on "
            "sending any offer mail) with their evidence: the time, channel and source and "
            "the wording shown. The marketing messages sent to the customer: the campaign, "
            "channel, time of sending and delivery status."
        ),
        Category.ONLINE_IDENTIFIERS: _(
            "Online identifiers: the IP address and the browser's identifier of consents "
            "and requests given online."
        ),
        Category.PRIVACY_RECORDS: _(
            "Data protection records: the customer's requests, the disclosures of the "
            "customer's data (to whom, what data, when and on what ground), legal holds "
            "and notices of data breaches."
        ),
        Category.FREE_TEXT: _(
            "Notes and reasons written by staff that may mention the customer, such as "
            "customer service's notes."
        ),
        Category.ACCESS_LOG: _(
            "Log data: which staff member or system viewed, searched or changed the "
            "customer's data, and when. The log holds no values of the data, only the "
            "names of the fields changed."
        ),
    }
    # A category added to the data map later is told by its name until it has words.
    return texts.get(category) or f"{category.label}."


def notice_categories() -> list[Category]:
    """The categories of data the register holds about the people the notice is for:
    those some field of the data map holds about customers or requesters."""
    used = {
        entry.category
        for _model, _field, entry in personal_fields()
        if any(subject in entry.subjects for subject in NOTICE_SUBJECTS)
    }
    return [category for category in Category if category in used]


# ---- Retention, from the retention policies --------------------------------------------


def _policy_sentence(policy: RetentionPolicy | None, category: str) -> str:
    """What one policy does, in the active language; an absent or disabled policy says
    that the data is not removed by time."""
    on = policy is not None and policy.enabled
    months = _months(policy.months) if policy is not None else ""
    if category == RetentionCategory.INACTIVE_CUSTOMERS:
        if on:
            return _(
                "When the customer has had no orders, no events about marketing consents "
                "and no other activity for %(months)s, the customer's data is anonymised: "
                "the names, contact data, identity code and notes are removed."
            ) % {"months": months}
        return _(
            "No period of inactivity after which the customer's data is anonymised is in "
            "use: it is kept until the customer asks for its erasure."
        )
    if category == RetentionCategory.IDENTITY_CODES:
        if on:
            return _(
                "The personal identity code is removed %(months)s after the customer's "
                "last invoice order was paid or cancelled, when no invoice order is open."
            ) % {"months": months}
        return _("The personal identity code is kept for the customer relationship.")
    if category == RetentionCategory.ORDERS:
        if on:
            return _(
                "Orders and invoices are accounting records: they are kept for %(months)s "
                "from the end of the year in which the financial year ended (Accounting "
                "Act 1336/1997, chapter 2, section 10). After that the recipient's name, "
                "the delivery address, notes, the tracking codes of deliveries and the "
                "reasons of returns are removed from the order; its lines, totals and "
                "dates stay for the accounts."
            ) % {"months": months}
        return _(
            "Orders and invoices are accounting records: they are kept for at least six "
            "years from the end of the year in which the financial year ended (Accounting "
            "Act 1336/1997, chapter 2, section 10), and they are not minimised by time."
        )
    if category == RetentionCategory.SHOP_DELIVERIES:
        if on:
            return _(
                "An order as the web shop sent it is kept whole for %(months)s after it "
                "was handled; then the buyer's details in it are removed."
            ) % {"months": months}
        return _("An order as the web shop sent it is kept whole with the order.")
    if category == RetentionCategory.CREDIT_CHECKS:
        if on:
            return _(
                "The number and classification of payment default entries, the credit "
                "bureau's reference and the reasons of a person's review are removed "
                "%(months)s after the credit check. The decision and its reason stay with "
                "the order for as long as the order is kept."
            ) % {"months": months}
        return _(
            "The credit check's details are kept with the order for as long as the order is kept."
        )
    if category == RetentionCategory.CONSENT_EVIDENCE:
        if on:
            return _(
                "The events of consents, withdrawals and bans are kept as evidence of what "
                "the customer allowed; their IP address and browser identifier are removed "
                "%(months)s after the withdrawal or ban that ended the consent."
            ) % {"months": months}
        return _(
            "The events of consents, withdrawals and bans are kept as evidence of what "
            "the customer allowed, with their IP address and browser identifier."
        )
    if category == RetentionCategory.CAMPAIGN_MESSAGES:
        if on:
            return _(
                "The records of marketing messages sent are deleted %(months)s after the "
                "campaign finished sending."
            ) % {"months": months}
        return _("The records of marketing messages sent are kept with the customer's data.")
    return ""


# Each category of data: the policies that decide how long it is kept, in order.
CATEGORY_POLICIES: dict[Category, tuple[str, ...]] = {
    Category.IDENTITY: (RetentionCategory.INACTIVE_CUSTOMERS,),
    Category.CONTACT: (RetentionCategory.INACTIVE_CUSTOMERS,),
    Category.CUSTOMER_RELATIONSHIP: (RetentionCategory.INACTIVE_CUSTOMERS,),
    Category.FREE_TEXT: (RetentionCategory.INACTIVE_CUSTOMERS,),
    Category.IDENTITY_CODE: (
        RetentionCategory.IDENTITY_CODES,
        RetentionCategory.INACTIVE_CUSTOMERS,
    ),
    Category.ORDER_HISTORY: (RetentionCategory.ORDERS, RetentionCategory.SHOP_DELIVERIES),
    Category.PAYMENT_AND_CREDIT: (RetentionCategory.CREDIT_CHECKS,),
    Category.MARKETING_CHOICES: (
        RetentionCategory.CONSENT_EVIDENCE,
        RetentionCategory.CAMPAIGN_MESSAGES,
    ),
    Category.ONLINE_IDENTIFIERS: (RetentionCategory.CONSENT_EVIDENCE,),
}


def _retention_opening(category: Category) -> str:
    """What holds for a category whatever the policies say."""
    if category == Category.IDENTITY:
        return _("Names are kept for the customer relationship.")
    if category == Category.CONTACT:
        return _("Contact data is kept for the customer relationship.")
    if category == Category.CUSTOMER_RELATIONSHIP:
        return _("Other customer-specific data is kept for the customer relationship.")
    if category == Category.FREE_TEXT:
        return _("Notes and reasons that mention the customer are kept for the relationship.")
    if category == Category.ONLINE_IDENTIFIERS:
        return _(
            "IP addresses and browser identifiers are kept with the consent or request "
            "they belong to."
        )
    if category == Category.IDENTITY_CODE:
        return _(
            "The personal identity code is kept encrypted, and removed earlier at the "
            "customer's request."
        )
    if category == Category.MARKETING_CHOICES:
        return _(
            "A marketing consent is in force until the customer withdraws it, and a direct "
            "marketing ban until the customer asks for it to be lifted; a ban is kept as "
            "long as the customer's data is in the register, so that it can be honoured."
        )
    if category == Category.PRIVACY_RECORDS:
        return _(
            "Data protection requests and disclosures are kept as long as they are needed "
            "to show that the requests were answered and that the disclosures had a "
            "ground. When the customer's data is erased, the customer's name and contact "
            "details are removed from them."
        )
    if category == Category.ACCESS_LOG:
        return _(
            "The log cannot be changed: its events are neither deleted nor altered. Once "
            "the customer's data has been anonymised, they can no longer be connected to "
            "the customer."
        )
    if category not in CATEGORY_POLICIES:
        return _("Kept as long as the purposes above need it, and erased with the customer.")
    return ""


def _retention_text(
    category: Category, policies: Mapping[str, RetentionPolicy], _language: str
) -> str:
    sentences = [_retention_opening(category)]
    sentences += [
        _policy_sentence(policies.get(policy), policy)
        for policy in CATEGORY_POLICIES.get(category, ())
    ]
    return " ".join(sentence for sentence in sentences if sentence)


# ---- The credit decision, from the credit policy ------------------------------------------


def _credit_text(policy: CreditPolicy, language: str) -> str:
    limit = _money(policy.max_invoice_total, language)
    first = _(
        "When the customer orders on invoice, the credit decision is made automatically "
        "at the time of the order. First the order total is compared with the largest "
        "total sold on invoice, %(limit)s: an invoice order over it is declined without "
        "asking for the customer's credit data."
    ) % {"limit": limit}
    second = [
        _(
            "Otherwise Suomen Asiakastieto Oy is asked, with the personal identity code, "
            "whether payment default entries are recorded on the customer. If there are "
            "none, the invoice is approved."
        ),
        _("If there are, the invoice order is declined.")
        if policy.decline_on_payment_defaults
        else _("If there are, a person decides."),
        _("If the credit bureau does not know the person, the invoice order is declined.")
        if policy.decline_unknown_person
        else _("If the credit bureau does not know the person, a person decides."),
        _(
            "If the identity code is invalid or no answer comes, a person decides: an "
            "invoice is never approved automatically without the credit bureau's answer."
        ),
    ]
    third = _(
        "The decision concerns only the payment method. An invoice order that has not "
        "been approved does not go ahead until a person approves it; the order can also "
        "be paid in advance or cash on delivery. The customer has the right to have a "
        "person review the decision, to express their point of view and to contest the "
        "decision (GDPR art. 22)."
    )
    return "\n\n".join([first, " ".join(second), third])


# ---- Marketing without an opt-in, from the campaigns and target groups -------------------


def exception_campaigns(now: datetime.datetime | None = None) -> list[Campaign]:
    """The campaigns that use the existing-customer exception of 917/2014 § 200 and are
    in use: sending was asked for, and it has not finished, or finished within
    CAMPAIGN_IN_USE_MONTHS."""
    now = now or timezone.now()
    since = months_before(timezone.localdate(now), CAMPAIGN_IN_USE_MONTHS)
    return list(
        Campaign.objects.filter(existing_customer_exception=True)
        .exclude(status=CampaignStatus.DRAFT)
        .exclude(finished_at__date__lt=since)
        .order_by("queued_at", "pk")
    )


def opt_out_channels() -> list[str]:
    """The opt-out channels (allowed unless the customer refused) that marketing uses:
    those a target group is made for."""
    used = set(TargetGroup.objects.values_list("channel", flat=True).distinct())
    return [
        channel for channel in Channel.values if channel not in OPT_IN_CHANNELS and channel in used
    ]


def _channel_noun(channel: str) -> str:
    nouns: dict[str, str] = {
        Channel.EMAIL: pgettext("marketing channel", "email"),
        Channel.SMS: pgettext("marketing channel", "text message"),
        Channel.POST: pgettext("marketing channel", "post"),
        Channel.PHONE: pgettext("marketing channel", "phone"),
    }
    return nouns.get(channel, channel)


def _exception_texts(campaigns: Sequence[Campaign]) -> tuple[str, str]:
    named = _join(
        [f"“{campaign.name}” ({_channel_noun(campaign.channel)})" for campaign in campaigns]
    )
    text = _(
        "Marketing of our own similar products by email or text message to customers who "
        "gave their contact details when buying from us and have not refused it, without "
        "a separate consent (the existing-customer exception of section 200 of the Act on "
        "Electronic Communications Services, 917/2014). The campaigns that use it: "
        "%(campaigns)s."
    ) % {"campaigns": named}
    basis = _(
        "Section 200 of the Act on Electronic Communications Services (917/2014) and our "
        "legitimate interest in marketing our own products to our customers (GDPR art. "
        "6(1)(f)). The customer was offered a free and easy way to refuse when giving the "
        "contact details, and every message carries one; the customer may refuse at any "
        "time."
    )
    return text, basis


def _opt_out_texts(channels: Sequence[str]) -> tuple[str, str]:
    text = _(
        "Marketing by %(channels)s goes to customers who have not refused it (opt-out), "
        "without a separate consent."
    ) % {"channels": _join([_channel_noun(channel) for channel in channels])}
    basis = _(
        "Our legitimate interest in marketing our own products to our customers (GDPR art. "
        "6(1)(f)). The customer may refuse it, or ban all direct marketing, at any time "
        "(art. 21(2))."
    )
    return text, basis


# ---- The whole ------------------------------------------------------------------------------


def _languages(base: Mapping[str, Any]) -> tuple[str, ...]:
    """Finnish and English; Swedish too when the officer's texts have it (Swedish is
    all or nothing, `notice.document`)."""
    register_name = base.get("register_name")
    has_swedish = isinstance(register_name, Mapping) and bool(register_name.get("sv"))
    return ("fi", "en", "sv") if has_swedish else ("fi", "en")


def _text(languages: Sequence[str], write: Callable[[str], str]) -> dict[str, str]:
    """One text in every language: `write(language)` run in that language."""
    text = {}
    for language in languages:
        with translation.override(language):
            text[language] = write(language)
    return text


def _purposes(base: Sequence[Mapping[str, Any]], languages: Sequence[str]) -> list[dict[str, Any]]:
    purposes = [dict(item) for item in base if item.get("key") not in GENERATED_PURPOSES]
    generated: list[dict[str, Any]] = []
    campaigns = exception_campaigns()
    if campaigns:
        text = _text(languages, lambda _language: _exception_texts(campaigns)[0])
        basis = _text(languages, lambda _language: _exception_texts(campaigns)[1])
        generated.append({"key": EXCEPTION_PURPOSE, "text": text, "legal_basis": basis})
    channels = opt_out_channels()
    if channels:
        text = _text(languages, lambda _language: _opt_out_texts(channels)[0])
        basis = _text(languages, lambda _language: _opt_out_texts(channels)[1])
        generated.append({"key": OPT_OUT_PURPOSE, "text": text, "legal_basis": basis})
    # At the end, so the officer's items keep their places (the editor's errors name
    # them by position).
    return purposes + generated


def generated_sections(base: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of the description written from the live sources, in the languages of
    `base` (the register description the privacy officer wrote)."""
    languages = _languages(base)
    categories = notice_categories()
    policies = {policy.category: policy for policy in RetentionPolicy.objects.all()}
    policy = credit_policy()
    return {
        "purposes": _purposes(base.get("purposes") or [], languages),
        "data_categories": [
            {"key": category.value, "text": _text(languages, partial(_category_text, category))}
            for category in categories
        ],
        "retention": [
            {
                "category": category.value,
                "text": _text(languages, partial(_retention_text, category, policies)),
            }
            for category in categories
        ],
        "credit_decision_logic": _text(languages, lambda language: _credit_text(policy, language)),
    }


def content_from_sources(base: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with its generated parts written from the live sources; a new dict."""
    return {**base, **generated_sections(base)}


def with_generated_parts_of(
    content: Mapping[str, Any], source: Mapping[str, Any]
) -> dict[str, Any]:
    """`content` (the editor's, without the generated parts) with the generated parts
    of `source` (the version in force) as they are: an edit of the privacy officer's
    words publishes those words only, and the system's words change only by
    publishing the notice waiting on the versions page."""
    result = {
        **content,
        **{section: copy.deepcopy(source[section]) for section in GENERATED_SECTIONS},
    }
    kept = [
        copy.deepcopy(item)
        for item in source.get("purposes") or []
        if item.get("key") in GENERATED_PURPOSES
    ]
    result["purposes"] = [*content.get("purposes", []), *kept]
    return result
