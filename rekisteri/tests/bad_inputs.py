"""The corpus of bad inputs that `test_bad_inputs.py` sends through every way data
comes in: the staff customer and order forms, the privacy portal, the orders API and
the web shops' webhooks.

Every value here is fake. The identity codes are made with the temporary (900-999)
individual numbers, or are malformed beyond being anyone's. Each case names the words
the answer must carry, in English (the tests ask for English pages)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rekisteri.testing.identity_codes import CHECK_CHARACTERS, identity_code_for

# Fixed codes, so that the cases (and their test ids) are the same in every process.
CODE = identity_code_for(datetime.date(1969, 6, 8), 968, "-")
CODE_2000S = identity_code_for(datetime.date(2004, 2, 29), 921, "A")
FUTURE_CODE = identity_code_for(datetime.date(2099, 1, 1), 901, "A")


def _wrong_check_character(code: str) -> str:
    offset = (CHECK_CHARACTERS.index(code[-1]) + 1) % len(CHECK_CHARACTERS)
    return code[:-1] + CHECK_CHARACTERS[offset]


ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")

# The words of each answer (English).
REQUIRED = "This field is required."
NULL = "Null characters are not allowed."
CHOICE = "Select a valid choice."
WHOLE_NUMBER = "Enter a whole number."
CODE_FORMAT = "Enter the identity code as date of birth, century sign"
CODE_DATE = "The date of birth in the identity code is not a real date."
CODE_CHECK = "The check character of the identity code does not match"
POSTAL_FI = "A Finnish postal code is five digits, such as 90650."
POSTAL_FOREIGN = "Enter a postal code of letters, digits, spaces and hyphens."
PHONE = "Enter a valid phone number, such as 040 123 4567"
EMAIL = "Enter a valid email address, such as name@example.fi."
UNPRINTABLE = "Remove control characters and invisible characters"
NAME_LETTERS = "Write the name in letters, without emoji or other symbols."


def at_most(length: int) -> str:
    return f"Ensure this value has at most {length} characters"


@dataclass(frozen=True)
class FormCase:
    """One bad POST to a staff or portal form: the fields changed from a valid post,
    and the words the page must show."""

    id: str
    changes: dict[str, str]
    message: str


def _field_cases(field_name: str, cases: list[tuple[str, str, str]]) -> list[FormCase]:
    return [
        FormCase(f"{field_name}-{id_}", {field_name: value}, message)
        for id_, value, message in cases
    ]


IDENTITY_CODE_CASES = _field_cases(
    "identity_code",
    [
        ("letters", "abcdef", CODE_FORMAT),
        ("x-for-digits", "310294-9XXX", CODE_FORMAT),
        ("truncated", CODE[:-1], CODE_FORMAT),
        ("one-too-long", CODE + "1", CODE_FORMAT),
        ("no-century-sign", CODE[:6] + CODE[7:], CODE_FORMAT),
        ("unknown-century-sign", CODE[:6] + "G" + CODE[7:], CODE_FORMAT),
        ("wrong-check-character", _wrong_check_character(CODE), CODE_CHECK),
        ("wrong-check-character-2000s", _wrong_check_character(CODE_2000S), CODE_CHECK),
        ("30-february", "300295-900E", CODE_DATE),
        ("born-in-the-future", FUTURE_CODE, CODE_DATE),
        ("letter-o-for-zero", "O" + CODE[1:], CODE_FORMAT),
        ("arabic-indic-digits", CODE.translate(ARABIC_INDIC), CODE_FORMAT),
        ("nul-byte", CODE[:6] + "\x00" + CODE[6:], NULL),
        ("rtl-override", "\u202e" + CODE, CODE_FORMAT),
        ("zero-width-space", CODE[:6] + "\u200b" + CODE[6:], CODE_FORMAT),
        ("emoji", CODE[:10] + "😀", CODE_FORMAT),
        ("sql-injection", "' OR 1=1 --", CODE_FORMAT),
        ("html-injection", "<script>alert(1)", CODE_FORMAT),
        ("over-20-characters", "1" * 21, at_most(20)),
        ("template-shape", "DDMMYY-NNNT", CODE_FORMAT),
    ],
)

POSTAL_CODE_CASES = _field_cases(
    "postal_code",
    [
        ("four-digits", "9010", POSTAL_FI),
        ("six-digits", "901000", POSTAL_FI),
        ("country-prefix", "FI-90100", POSTAL_FI),
        ("letter-o-for-zero", "9O100", POSTAL_FI),
        ("space-inside", "90 100", POSTAL_FI),
        ("negative", "-9010", POSTAL_FI),
        ("arabic-indic-digits", "٩٠١٠٠", POSTAL_FI),
        ("fullwidth-digits", "９０１００", POSTAL_FI),
        ("zero-width-space", "90100\u200b", POSTAL_FI),
        ("sql-injection", "' OR '1'='1", POSTAL_FI),
        ("template-injection", "{{7*7}}", POSTAL_FI),
        ("nul-byte", "90100\x00", NULL),
        ("over-12-characters", "1" * 13, at_most(12)),
    ],
) + [
    FormCase(
        f"postal_code-foreign-{id_}",
        {"country": "SE", "postal_code": value, "phone": "+46 70 123 45 67"},
        POSTAL_FOREIGN,
    )
    for id_, value in [("underscore", "113_51"), ("hashes", "#####"), ("letters-with-dots", "ÅÄÖ")]
]

PHONE_CASES = _field_cases(
    "phone",
    [
        ("too-short", "123", PHONE),
        ("too-long", "040 123 45678 9", PHONE),
        ("letters", "abc", PHONE),
        ("country-code-only", "+358", PHONE),
        ("unknown-country-code", "+999 123 4567", PHONE),
        ("rtl-override", "040\u202e1234567", PHONE),
        ("sql-injection", "'; DROP TABLE customers_customer; --", at_most(32)),
        ("nul-byte", "0401234567\x00", NULL),
        ("over-32-characters", "0" * 33, at_most(32)),
    ],
)

EMAIL_CASES = _field_cases(
    "email",
    [
        ("no-domain", "aino.virtanen@", EMAIL),
        ("space-in-local-part", "aino virtanen@example.fi", EMAIL),
        ("no-local-part", "@example.fi", EMAIL),
        ("two-at-signs", "aino@@example.fi", EMAIL),
        ("no-dot-in-domain", "aino@example", EMAIL),
        ("two-dots-in-domain", "aino@example..fi", EMAIL),
        ("hyphen-first-in-domain", "aino@-example.fi", EMAIL),
        ("trailing-dot", "aino@example.fi.", EMAIL),
        ("two-dots-in-local-part", "aino..virtanen@example.fi", EMAIL),
        ("localhost", "aino@localhost", EMAIL),
        ("ip-literal", "aino@[127.0.0.1]", EMAIL),
        ("rtl-override", "\u202eaino@example.fi", EMAIL),
        ("zero-width-space", "aino@example.fi\u200b", EMAIL),
        ("html-injection", "<script>@example.fi", EMAIL),
        ("sql-injection", "aino@example.fi' OR '1'='1", EMAIL),
        ("underscore-in-domain", "aino@exa_mple.fi", EMAIL),
        ("nul-byte", "aino@example.fi\x00", NULL),
        ("over-254-characters", "a" * 250 + "@example.fi", at_most(254)),
    ],
)

ZALGO = "Z" + "".join(chr(mark) for mark in range(0x0300, 0x0308))

NAME_CASES = [
    *_field_cases(
        "surname",
        [
            ("empty", "", REQUIRED),
            ("spaces", "   ", REQUIRED),
            ("file-separator", "\x1c", REQUIRED),
            ("over-100-characters", "x" * 101, at_most(100)),
            ("nul-byte", "Virta\x00nen", NULL),
            ("bell", "Virta\x07nen", UNPRINTABLE),
            ("ansi-escape", "\x1b[31mVirtanen", UNPRINTABLE),
            ("rtl-override", "\u202eVirtanen", UNPRINTABLE),
            ("rtl-isolate", "Virtanen\u2066x", UNPRINTABLE),
            ("zero-width-space-only", "\u200b", UNPRINTABLE),
            ("byte-order-mark-only", "\ufeff", UNPRINTABLE),
            ("zero-width-joiner", "Virta\u200dnen", UNPRINTABLE),
            ("private-use", "Virtanen\ue000", UNPRINTABLE),
            ("noncharacter", "Virtanen\uffff", UNPRINTABLE),
            ("emoji-only", "😀", NAME_LETTERS),
            ("emoji-after-name", "Virtanen 😀", NAME_LETTERS),
            ("combining-marks-only", "\u0301\u0301", NAME_LETTERS),
            ("combining-mark-first", "\u0308Virtanen", NAME_LETTERS),
            ("zalgo", ZALGO, NAME_LETTERS),
            ("digits-only", "12345", NAME_LETTERS),
        ],
    ),
    *_field_cases(
        "first_names",
        [
            ("empty", "", REQUIRED),
            ("over-150-characters", "x" * 151, at_most(150)),
            ("nul-byte", "Ai\x00no", NULL),
            ("rtl-override", "Aino \u202eMaria", UNPRINTABLE),
            ("emoji", "Aino 🎉", NAME_LETTERS),
        ],
    ),
]

OTHER_FIELD_CASES = [
    *_field_cases(
        "street_address",
        [
            ("rtl-override", "\u202eKauppurienkatu 12", UNPRINTABLE),
            ("over-200-characters", "x" * 201, at_most(200)),
        ],
    ),
    *_field_cases(
        "post_office",
        [
            ("bell", "Oulu\x07", UNPRINTABLE),
            ("over-100-characters", "x" * 101, at_most(100)),
        ],
    ),
    *_field_cases("notes", [("nul-byte", "\x00", NULL), ("escape", "a\x1b[2Jb", UNPRINTABLE)]),
    *_field_cases("country", [("unknown", "XX", CHOICE), ("sql-injection", "FI' --", CHOICE)]),
    *_field_cases("preferred_language", [("german", "de", CHOICE)]),
]

CUSTOMER_CONTACT_CASES = [
    *POSTAL_CODE_CASES,
    *PHONE_CASES,
    *EMAIL_CASES,
    *NAME_CASES,
    *OTHER_FIELD_CASES,
]
# The edit form of a customer with a stored identity code corrects it; a new customer
# gives none (it comes with an invoice order, P8: see ORDER_FORM_CASES).
CUSTOMER_FIELD_CASES = [*IDENTITY_CODE_CASES, *CUSTOMER_CONTACT_CASES]
CUSTOMER_CREATE_ONLY_CASES = [FormCase("source-import", {"source": "import"}, CHOICE)]


# Staff order entry -----------------------------------------------------------------

NO_PRODUCT = "no product has the code"
QUANTITY_MIN = "Ensure this value is greater than or equal to 1."
QUANTITY_MAX = "Ensure this value is less than or equal to 100000."


def _first_line(sku: str, quantity: str) -> dict[str, str]:
    return {"lines-0-sku": sku, "lines-0-quantity": quantity}


ORDER_FORM_CASES = [
    *[
        FormCase(f"quantity-{id_}", _first_line("HYL-120", value), message)
        for id_, value, message in [
            ("negative", "-1", QUANTITY_MIN),
            ("zero", "0", QUANTITY_MIN),
            ("minus-zero", "-0", QUANTITY_MIN),
            ("over-the-maximum", "100001", QUANTITY_MAX),
            ("huge", "9" * 30, QUANTITY_MAX),
            ("letters", "abc", WHOLE_NUMBER),
            ("decimal-point", "1.5", WHOLE_NUMBER),
            ("decimal-comma", "1,5", WHOLE_NUMBER),
            ("exponent", "1e3", WHOLE_NUMBER),
            ("hexadecimal", "0x10", WHOLE_NUMBER),
            ("nan", "NaN", WHOLE_NUMBER),
            ("infinity", "Infinity", WHOLE_NUMBER),
            ("sql-injection", "1; DROP TABLE orders_order", WHOLE_NUMBER),
            ("missing", "", "How many?"),
        ]
    ],
    *[
        FormCase(f"sku-{id_}", _first_line(value, "1"), message)
        for id_, value, message in [
            ("unknown", "EI-OLE-1", NO_PRODUCT),
            ("inactive", "VANHA-9", NO_PRODUCT),
            ("sql-injection", "' OR 1=1 --", NO_PRODUCT),
            ("html-injection", "<b>HYL-120</b>", NO_PRODUCT),
            ("over-64-characters", "H" * 65, at_most(64)),
            ("nul-byte", "HYL-120\x00", NULL),
        ]
    ],
    FormCase("quantity-without-sku", _first_line("", "2"), "Which product? Enter its code."),
    FormCase(
        "no-lines",
        {**_first_line("", ""), "lines-1-sku": "", "lines-1-quantity": ""},
        "An order needs at least one line.",
    ),
    FormCase("too-many-rows", {"lines-TOTAL_FORMS": "1000"}, "Please submit at most 8 forms."),
    FormCase(
        "management-form-tampered",
        {"lines-TOTAL_FORMS": "abc"},
        "ManagementForm data is missing or has been tampered with.",
    ),
    FormCase("payment-method-unknown", {"payment_method": "bitcoin"}, CHOICE),
    FormCase("channel-web-shop", {"channel": "web_shop"}, CHOICE),
    FormCase("delivery-country-unknown", {"delivery_country": "XX"}, CHOICE),
    FormCase("delivery-postal-code-short", {"delivery_postal_code": "123"}, POSTAL_FI),
    FormCase("delivery-name-missing", {"delivery_name": ""}, REQUIRED),
    FormCase("delivery-name-nul-byte", {"delivery_name": "Aino\x00"}, NULL),
    FormCase("notes-nul-byte", {"notes": "\x00"}, NULL),
    *[
        FormCase(case.id, {**case.changes, "payment_method": "invoice"}, case.message)
        for case in IDENTITY_CODE_CASES
    ],
    FormCase(
        "identity-code-with-a-prepaid-order",
        {"payment_method": "prepaid", "identity_code": CODE},
        "Only an invoice order needs the identity code",
    ),
    FormCase(
        "invoice-without-identity-code",
        {"payment_method": "invoice"},
        "An invoice order needs the customer's personal identity code",
    ),
    FormCase(
        "consent-wording-unknown",
        {"consent_email": "on", "consent_email_text": "999999"},
        "The consent wording changed; ask again.",
    ),
]

# The privacy portal -----------------------------------------------------------------

PORTAL_EMAIL = "Give a valid email address, such as name@example.fi."

PORTAL_REQUEST_CASES = [
    FormCase("kind-unknown", {"kind": "everything"}, CHOICE),
    FormCase("kind-sql-injection", {"kind": "access' OR '1'='1"}, CHOICE),
    FormCase("name-missing", {"name": ""}, "Give your name."),
    FormCase("name-spaces", {"name": "   "}, "Give your name."),
    FormCase("name-over-300-characters", {"name": "x" * 301}, at_most(300)),
    FormCase("name-nul-byte", {"name": "Aino\x00"}, NULL),
    FormCase("email-missing", {"email": ""}, "Give the email address you gave us."),
    FormCase("email-no-domain", {"email": "aino@"}, PORTAL_EMAIL),
    FormCase("email-no-dot-in-domain", {"email": "aino@example"}, PORTAL_EMAIL),
    FormCase("email-rtl-override", {"email": "\u202eaino@example.fi"}, PORTAL_EMAIL),
    FormCase("email-html-injection", {"email": "<script>alert(1)</script>"}, PORTAL_EMAIL),
    FormCase("email-identity-code", {"email": CODE}, PORTAL_EMAIL),
    FormCase("email-nul-byte", {"email": "aino@example.fi\x00"}, NULL),
    FormCase("email-over-254-characters", {"email": "a" * 250 + "@example.fi"}, at_most(254)),
    FormCase("details-over-4000-characters", {"details": "x" * 4001}, "Write at most 4000"),
    FormCase("details-nul-byte", {"details": "\x00"}, NULL),
]

PORTAL_CONSENT_LINK_CASES = [
    FormCase("email-missing", {"email": ""}, REQUIRED),
    FormCase("email-no-at-sign", {"email": "aino.example.fi"}, PORTAL_EMAIL),
    FormCase("email-no-domain", {"email": "aino@"}, PORTAL_EMAIL),
    FormCase("email-localhost", {"email": "aino@localhost"}, PORTAL_EMAIL),
    FormCase("email-rtl-override", {"email": "\u202eaino@example.fi"}, PORTAL_EMAIL),
    FormCase("email-sql-injection", {"email": "' OR 1=1 --"}, PORTAL_EMAIL),
    FormCase("email-template-injection", {"email": "{{ request }}@example.fi"}, PORTAL_EMAIL),
    FormCase("email-identity-code", {"email": CODE}, PORTAL_EMAIL),
    FormCase("email-nul-byte", {"email": "aino@example.fi\x00"}, NULL),
    FormCase("email-over-254-characters", {"email": "a" * 250 + "@example.fi"}, at_most(254)),
]

# The change posted on the consent page the emailed link opens (`text` is filled in by
# the test with the id of a current wording when the case leaves it out).
PORTAL_CONSENT_CHANGE_CASES = [
    FormCase("change-unknown", {"change": "sell"}, CHOICE),
    FormCase("grant-without-channel", {"change": "grant", "channel": ""}, "Choose the channel."),
    FormCase("channel-unknown", {"change": "grant", "channel": "fax"}, CHOICE),
    FormCase("text-letters", {"change": "grant", "channel": "email", "text": "abc"}, WHOLE_NUMBER),
    FormCase(
        "text-unknown",
        {"change": "grant", "channel": "email", "text": "999999"},
        "The wording you saw has changed.",
    ),
    FormCase(
        "text-of-another-channel",
        {"change": "grant", "channel": "email", "text": "sms"},
        "The wording you saw has changed.",
    ),
]

# The orders API ---------------------------------------------------------------------


def valid_order() -> dict[str, Any]:
    """An order body the API takes (201)."""
    return {
        "external_id": "WEB-2001",
        "customer": {
            "surname": "Virtanen",
            "first_names": "Aino",
            "email": "aino.virtanen@example.fi",
            "phone": "+358401234567",
            "street_address": "Hintantie 1",
            "postal_code": "90650",
            "post_office": "Oulu",
        },
        "lines": [{"sku": "HYL-120", "name": "Hylly 120 cm", "unit_price": "89.90", "quantity": 2}],
        "payment_method": "prepaid",
        "placed_at": "2026-11-20T10:00:00+02:00",
        "modified_at": "2026-11-20T10:00:00+02:00",
    }


def order_changed(**changes: Any) -> bytes:
    body = valid_order()
    body.update(changes)
    return json.dumps(body).encode()


def order_with_customer(**changes: Any) -> bytes:
    body = valid_order()
    body["customer"].update(changes)
    return json.dumps(body).encode()


def order_with_line(**changes: Any) -> bytes:
    body = valid_order()
    body["lines"][0].update(changes)
    return json.dumps(body).encode()


VALID_ORDER_BYTES = json.dumps(valid_order()).encode()
NOT_JSON = "The body is not valid JSON."
NOT_AN_OBJECT = "The body is not one JSON object."
NUL_NOT_ALLOWED = "Null characters are not allowed."
INVALID = "The order is not valid."
# An authentic request whose order cannot be taken as it stands is stored and waits for
# a person: 202 with its receipt, which names the reason and the fields, never a value.
WAITS = 202
# Why it waits (rekisteri.intake.inbox.Reason).
INVALID_ORDER = "invalid"
NOT_AN_ORDER = "not_an_order"
IDENTITY_CODE = "identity_code"
CURRENCY = "currency"
TOO_LARGE = "The body is larger than 1 MiB."
NOT_JSON_TYPE = "Send the order as JSON"


@dataclass(frozen=True)
class ApiCase:
    """One bad request to `POST /api/v1/orders` with a valid key: the status and the
    words of the `detail` or of the `errors` (the field named, never the value). One
    that WAITS is stored in the inbox for a person for `reason`; its receipt's reason
    and detail hold the words, and should name `field_named` (where the words do not)."""

    id: str
    body: bytes
    status: int
    message: str
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    reason: str = INVALID_ORDER
    field_named: str = ""


def _nested(depth: int) -> bytes:
    return b'{"external_id": ' + b"[" * depth + b"]" * depth + b"}"


API_CASES = [
    # Malformed and truncated JSON.
    # The test client sends no Content-Type with an empty body.
    ApiCase("empty-body", b"", 415, NOT_JSON_TYPE),
    ApiCase("only-spaces", b"   ", 400, NOT_JSON),
    ApiCase("open-brace", b"{", 400, NOT_JSON),
    ApiCase("truncated", VALID_ORDER_BYTES[: len(VALID_ORDER_BYTES) // 2], 400, NOT_JSON),
    ApiCase("truncated-last-byte", VALID_ORDER_BYTES[:-1], 400, NOT_JSON),
    ApiCase("single-quotes", b"{'external_id': 'WEB-1'}", 400, NOT_JSON),
    ApiCase("trailing-comma", b'{"external_id": "WEB-1",}', 400, NOT_JSON),
    ApiCase("comment", b"// an order\n" + VALID_ORDER_BYTES, 400, NOT_JSON),
    ApiCase("two-objects", VALID_ORDER_BYTES + VALID_ORDER_BYTES, 400, NOT_JSON),
    ApiCase("nan", b'{"external_id": NaN}', 400, NOT_JSON),
    ApiCase("infinity", b'{"external_id": Infinity}', 400, NOT_JSON),
    ApiCase("raw-control-character", b'{"external_id": "WEB\x01"}', 400, NOT_JSON),
    ApiCase("form-encoded-body", b"external_id=WEB-1&payment_method=prepaid", 400, NOT_JSON),
    # Mis-encoded bodies.
    ApiCase("invalid-utf8", b'{"external_id": "\xff\xfe"}', 400, NOT_JSON),
    ApiCase(
        "latin-1", VALID_ORDER_BYTES.replace(b"Hylly", "Kenkä".encode("latin-1")), 400, NOT_JSON
    ),
    ApiCase("utf8-overlong-slash", b'{"external_id": "\xc0\xaf"}', 400, NOT_JSON),
    ApiCase("lone-surrogate", order_with_customer(surname="\ud800"), WAITS, "customer.surname"),
    # Not one object.
    ApiCase("null", b"null", WAITS, NOT_AN_OBJECT, reason=NOT_AN_ORDER),
    ApiCase("array", b"[]", WAITS, NOT_AN_OBJECT, reason=NOT_AN_ORDER),
    ApiCase(
        "array-of-the-order",
        b"[" + VALID_ORDER_BYTES + b"]",
        WAITS,
        NOT_AN_OBJECT,
        reason=NOT_AN_ORDER,
    ),
    ApiCase("string", b'"order"', WAITS, NOT_AN_OBJECT, reason=NOT_AN_ORDER),
    ApiCase("number", b"1e999999", WAITS, NOT_AN_OBJECT, reason=NOT_AN_ORDER),
    # Deeply nested and oversized.
    ApiCase("nested-arrays", _nested(100_000), 400, NOT_JSON),
    ApiCase("nested-objects", b'{"a":' * 50_000 + b"1" + b"}" * 50_000, 400, NOT_JSON),
    ApiCase("over-one-mebibyte", b'{"notes": "' + b"x" * (1024 * 1024) + b'"}', 413, TOO_LARGE),
    # NUL characters, which PostgreSQL cannot store.
    ApiCase(
        "nul-in-external-id",
        order_changed(external_id="WEB\x00-1"),
        WAITS,
        NUL_NOT_ALLOWED,
        reason=INVALID_ORDER,
        field_named="external_id",
    ),
    ApiCase(
        "nul-in-surname",
        order_with_customer(surname="Virta\x00nen"),
        WAITS,
        NUL_NOT_ALLOWED,
        reason=INVALID_ORDER,
        field_named="customer.surname",
    ),
    ApiCase(
        "nul-in-email",
        order_with_customer(email="aino\x00@example.fi"),
        WAITS,
        NUL_NOT_ALLOWED,
        reason=INVALID_ORDER,
        field_named="customer.email",
    ),
    ApiCase(
        "nul-in-sku",
        order_with_line(sku="HYL\x00"),
        WAITS,
        NUL_NOT_ALLOWED,
        reason=INVALID_ORDER,
        field_named="lines.0.sku",
    ),
    ApiCase(
        "nul-in-notes",
        order_changed(notes="\x00"),
        WAITS,
        NUL_NOT_ALLOWED,
        reason=INVALID_ORDER,
        field_named="notes",
    ),
    ApiCase(
        "nul-in-a-key",
        b'{"external_id\\u0000": "WEB-1"}',
        WAITS,
        NUL_NOT_ALLOWED,
        reason=INVALID_ORDER,
    ),
    # Wrong types.
    ApiCase("external-id-number", order_changed(external_id=2001), WAITS, "external_id"),
    ApiCase("customer-string", order_changed(customer="Aino Virtanen"), WAITS, "customer"),
    ApiCase("customer-array", order_changed(customer=[]), WAITS, "customer"),
    ApiCase("lines-object", order_changed(lines={"sku": "HYL-120"}), WAITS, "lines"),
    ApiCase("lines-empty", order_changed(lines=[]), WAITS, "lines"),
    ApiCase("line-string", order_changed(lines=["HYL-120"]), WAITS, "lines.0"),
    ApiCase("quantity-fraction", order_with_line(quantity=1.5), WAITS, "lines.0.quantity"),
    ApiCase("quantity-array", order_with_line(quantity=[2]), WAITS, "lines.0.quantity"),
    ApiCase("unit-price-bool", order_with_line(unit_price=True), WAITS, "lines.0.unit_price"),
    ApiCase("unit-price-words", order_with_line(unit_price="ninety"), WAITS, "lines.0.unit_price"),
    ApiCase("unit-price-nan", order_with_line(unit_price="NaN"), WAITS, "lines.0.unit_price"),
    ApiCase("payment-method-number", order_changed(payment_method=1), WAITS, "payment_method"),
    ApiCase("placed-at-array", order_changed(placed_at=[2026, 11, 20]), WAITS, "placed_at"),
    ApiCase("email-number", order_with_customer(email=42), WAITS, "customer.email"),
    # Out of range and unknown values.
    ApiCase("missing-fields", b'{"external_id": "WEB-1"}', WAITS, "customer"),
    ApiCase("external-id-empty", order_changed(external_id=""), WAITS, "external_id"),
    ApiCase("external-id-over-64", order_changed(external_id="W" * 65), WAITS, "external_id"),
    ApiCase("quantity-zero", order_with_line(quantity=0), WAITS, "lines.0.quantity"),
    ApiCase("quantity-negative", order_with_line(quantity=-1), WAITS, "lines.0.quantity"),
    ApiCase("quantity-huge", order_with_line(quantity=10**30), WAITS, "lines.0.quantity"),
    ApiCase(
        "unit-price-negative",
        order_with_line(unit_price="-1"),
        WAITS,
        "the price must be zero or more",
    ),
    ApiCase("unit-price-huge", order_with_line(unit_price="1e30"), WAITS, "lines"),
    ApiCase("unit-price-exponent", order_with_line(unit_price="1e999999"), WAITS, "lines"),
    # Any rate a shop charged is taken (One Stop Shop sales), not one of 100 % or more.
    ApiCase(
        "vat-rate-100",
        order_with_line(vat_rate="100"),
        WAITS,
        "VAT rate must be from 0 to 99.9 %",
    ),
    ApiCase(
        "vat-rate-two-decimals",
        order_with_line(vat_rate="19.05"),
        WAITS,
        "VAT rate must be from 0 to 99.9 %",
    ),
    ApiCase(
        "payment-method-unknown", order_changed(payment_method="bitcoin"), WAITS, "payment_method"
    ),
    ApiCase("status-unknown", order_changed(status="lost"), WAITS, "status"),
    ApiCase("placed-at-words", order_changed(placed_at="yesterday"), WAITS, "placed_at"),
    ApiCase("placed-at-naive", order_changed(placed_at="2026-11-20T10:00:00"), WAITS, "placed_at"),
    ApiCase(
        "placed-at-year-1", order_changed(placed_at="0001-01-01T00:00:00+14:00"), WAITS, "placed_at"
    ),
    ApiCase(
        "placed-at-year-9999",
        order_changed(placed_at="9999-12-31T23:59:59-14:00"),
        WAITS,
        "placed_at",
    ),
    ApiCase(
        "modified-at-year-9999",
        order_changed(modified_at="9999-12-31T23:59:59-14:00"),
        WAITS,
        "modified_at",
    ),
    ApiCase(
        "country-unknown",
        order_with_customer(country="ZZ"),
        WAITS,
        "Choose a country from the list.",
    ),
    ApiCase("customer-without-email-or-code", order_with_customer(email=""), WAITS, "customer"),
    ApiCase("email-malformed", order_with_customer(email="aino@"), WAITS, EMAIL),
    ApiCase("phone-malformed", order_with_customer(phone="123"), WAITS, PHONE),
    ApiCase("postal-code-malformed", order_with_customer(postal_code="9010"), WAITS, POSTAL_FI),
    ApiCase(
        "identity-code-wrong-check",
        order_with_customer(identity_code=_wrong_check_character(CODE)),
        WAITS,
        CODE_CHECK,
        reason=IDENTITY_CODE,
    ),
    ApiCase(
        "identity-code-malformed",
        order_with_customer(identity_code=CODE[:-1]),
        WAITS,
        CODE_FORMAT,
        reason=IDENTITY_CODE,
    ),
    ApiCase(
        "identity-code-over-20",
        order_with_customer(identity_code=CODE * 2),
        WAITS,
        "customer.identity_code",
    ),
    # Names that are not names, and injection strings where a value has a shape.
    ApiCase(
        "surname-rtl-override", order_with_customer(surname="\u202eVirtanen"), WAITS, UNPRINTABLE
    ),
    ApiCase(
        "surname-escape-sequence",
        order_with_customer(surname="\x1b[31mVirtanen"),
        WAITS,
        UNPRINTABLE,
    ),
    ApiCase("surname-emoji", order_with_customer(surname="😀"), WAITS, NAME_LETTERS),
    ApiCase("surname-dingbat", order_with_customer(surname="Virtanen ✂"), WAITS, NAME_LETTERS),
    ApiCase("first-names-zalgo", order_with_customer(first_names=ZALGO), WAITS, NAME_LETTERS),
    ApiCase(
        "identity-code-sql-injection",
        order_with_customer(identity_code="' OR 1=1 --"),
        WAITS,
        CODE_FORMAT,
        reason=IDENTITY_CODE,
    ),
    ApiCase(
        "email-sql-injection", order_with_customer(email="x' OR '1'='1@example.fi"), WAITS, EMAIL
    ),
    ApiCase(
        "postal-code-template-injection",
        order_with_customer(postal_code="{{7*7}}"),
        WAITS,
        POSTAL_FI,
    ),
    ApiCase(
        "payment-method-sql-injection",
        order_changed(payment_method="prepaid' --"),
        WAITS,
        "payment_method",
    ),
    # Headers.
    ApiCase("content-type-text", VALID_ORDER_BYTES, 415, NOT_JSON_TYPE, content_type="text/plain"),
    ApiCase(
        "content-type-form",
        VALID_ORDER_BYTES,
        415,
        NOT_JSON_TYPE,
        content_type="application/x-www-form-urlencoded",
    ),
    ApiCase(
        "content-type-multipart",
        VALID_ORDER_BYTES,
        415,
        NOT_JSON_TYPE,
        content_type="multipart/form-data; boundary=raja",
    ),
    ApiCase(
        "content-type-latin-1",
        VALID_ORDER_BYTES,
        415,
        NOT_JSON_TYPE,
        content_type="application/json; charset=latin-1",
    ),
    ApiCase(
        "idempotency-key-over-255",
        VALID_ORDER_BYTES,
        400,
        "Idempotency-Key header is longer than 255 characters",
        headers={"Idempotency-Key": "k" * 256},
    ),
]

# The web shops' webhooks ---------------------------------------------------------------


@dataclass(frozen=True)
class WebhookCase:
    """One bad delivery. `body` makes the raw bytes from the shop's own order JSON (as a
    dict); `signature` is "valid", "missing", "other-secret", "not-base64" or
    "of-the-unchanged-body". One authentic and JSON is RECEIVED (200) and stored in the
    inbox, where the worker leaves it for a person for `reason`, with `error_field`
    among the fields its detail names."""

    id: str
    body: Callable[[dict[str, Any]], bytes]
    status: int
    result: str
    signature: str = "valid"
    error_field: str = ""
    reason: str = ""


RECEIVED = 200


def _waits(
    case_id: str,
    body: Callable[[dict[str, Any]], bytes],
    error_field: str = "",
    reason: str = INVALID_ORDER,
) -> WebhookCase:
    """A delivery stored and left for a person because it cannot be taken as it stands."""
    return WebhookCase(case_id, body, RECEIVED, "received", error_field=error_field, reason=reason)


LINES_TOTAL = "lines_total"


def shop_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data).encode()


def _set(**changes: Any) -> Callable[[dict[str, Any]], bytes]:
    return lambda data: shop_json({**data, **changes})


def _set_first_line(**changes: Any) -> Callable[[dict[str, Any]], bytes]:
    def make(data: dict[str, Any]) -> bytes:
        data["line_items"][0].update(changes)
        return shop_json(data)

    return make


def _set_section(section: str, **changes: Any) -> Callable[[dict[str, Any]], bytes]:
    def make(data: dict[str, Any]) -> bytes:
        data[section].update(changes)
        return shop_json(data)

    return make


def _raw(body: bytes) -> Callable[[dict[str, Any]], bytes]:
    return lambda data: body


def _truncated(data: dict[str, Any]) -> bytes:
    whole = shop_json(data)
    return whole[: len(whole) // 2]


WEBHOOK_COMMON_CASES = [
    WebhookCase("signature-missing", shop_json, 401, "bad signature", signature="missing"),
    WebhookCase(
        "signature-other-secret", shop_json, 401, "bad signature", signature="other-secret"
    ),
    WebhookCase("signature-not-base64", shop_json, 401, "bad signature", signature="not-base64"),
    WebhookCase(
        "body-changed-after-signing",
        _set_first_line(quantity=200),
        401,
        "bad signature",
        signature="of-the-unchanged-body",
    ),
    WebhookCase("empty-body", _raw(b""), 400, "malformed JSON"),
    WebhookCase("not-json", _raw(b"{not json"), 400, "malformed JSON"),
    WebhookCase("truncated", _truncated, 400, "malformed JSON"),
    WebhookCase(
        "array", _raw(b"[1, 2]"), RECEIVED, "received", error_field="", reason=NOT_AN_ORDER
    ),
    WebhookCase("nan", _raw(b'{"id": NaN}'), 400, "malformed JSON"),
    WebhookCase("invalid-utf8", _raw(b"\xff\xfe"), 400, "malformed JSON"),
    WebhookCase(
        "nested-arrays",
        _raw(b'{"id": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        400,
        "malformed JSON",
    ),
    WebhookCase(
        "nul-in-the-note",
        _set(customer_note="\x00", note="\x00"),
        RECEIVED,
        "received",
        reason=INVALID_ORDER,
    ),
    WebhookCase(
        "over-one-mebibyte", _raw(b'{"x": "' + b"x" * (1024 * 1024) + b'"}'), 413, "body too large"
    ),
    _waits("quantity-negative", _set_first_line(quantity=-1), "lines"),
    _waits("quantity-zero", _set_first_line(quantity=0), "lines"),
    _waits("quantity-fraction", _set_first_line(quantity=2.5), "lines"),
    _waits("quantity-string", _set_first_line(quantity="2"), "lines"),
    # Another currency is taken, for a person to give its amount in euros.
    WebhookCase(
        "currency-dollars",
        _set(currency="USD"),
        RECEIVED,
        "received",
        error_field="currency",
        reason=CURRENCY,
    ),
    _waits("id-missing", _set(id=None), "external_id"),
    _waits("id-negative", _set(id=-5), "external_id"),
    _waits("id-float", _set(id=5.890123456789012e18), "external_id"),
]

# A status the shop does not document is taken as received, so it is no bad input.
WOOCOMMERCE_CASES = [
    *WEBHOOK_COMMON_CASES,
    _waits("quantity-huge", _set_first_line(quantity=10**30), "lines"),
    _waits("total-words", _set_first_line(total="lots"), "lines"),
    # Lines that no longer make the order's stated total wait for a person to check them.
    _waits("total-huge", _set_first_line(total="1e999999"), "lines", LINES_TOTAL),
    _waits("created-year-1", _set(date_created_gmt="0001-01-01T00:00:00+14:00"), "placed_at"),
    _waits("created-words", _set(date_created_gmt="eilen"), "date_created_gmt"),
    _waits("modified-in-2099", _set(date_modified_gmt="2099-01-01T00:00:00"), "modified_at"),
]

SHOPIFY_CASES = [
    *WEBHOOK_COMMON_CASES,
    # Shopify's lines are checked against the order's total first.
    _waits("quantity-huge", _set_first_line(quantity=10**30), "lines", LINES_TOTAL),
    _waits("price-words", _set_first_line(price="lots"), "lines"),
    _waits("price-huge", _set_first_line(price="1e999999"), "lines", LINES_TOTAL),
    _waits("created-year-9999", _set(created_at="9999-12-31T23:59:59-14:00"), "placed_at"),
    _waits("updated-in-2099", _set(updated_at="2099-01-01T00:00:00Z"), "modified_at"),
    _waits(
        "buyer-surname-rtl-override",
        _set_section("billing_address", last_name="\u202eSoininen"),
        "surname",
    ),
]


def corpus_size() -> int:
    return (
        len(CUSTOMER_FIELD_CASES)
        + len(CUSTOMER_CONTACT_CASES)
        + len(CUSTOMER_CREATE_ONLY_CASES)
        + len(ORDER_FORM_CASES)
        + len(PORTAL_REQUEST_CASES)
        + len(PORTAL_CONSENT_LINK_CASES)
        + len(PORTAL_CONSENT_CHANGE_CASES)
        + len(API_CASES)
        + len(WOOCOMMERCE_CASES)
        + len(SHOPIFY_CASES)
    )
