"""Which language a page or a message is in.

Customers read Rekisteri in Finnish, Swedish (Finland's second national language) or
English: the public pages (the privacy notice, the privacy portal, unsubscribing, the
access copy's download page) and every email and text message sent to them. Staff
pages are in Finnish and English only; a staff page asked for in Swedish is shown in
Finnish (docs/languages.md).

A page follows the browser (`Accept-Language`), the language cookie that the language
switch of the portal and the staff pages sets, or `?kieli=sv` in its address: the
switch on the pages that set no cookie (unsubscribing, the download page) is a link
that carries it."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.urls import Resolver404, resolve
from django.utils import translation

CUSTOMER_LANGUAGES = ("fi", "sv", "en")
STAFF_LANGUAGES = ("fi", "en")
# The query parameter of the public pages' language links (Finnish, like their paths).
LANGUAGE_PARAMETER = "kieli"

# The public pages: the portal's namespace and the public URL names outside it.
CUSTOMER_NAMESPACES = frozenset({"portal"})
CUSTOMER_URL_NAMES = frozenset(
    {
        "unsubscribe",
        "unsubscribe_legacy",
        "privacy_download",
        "privacy_notice",
        "privacy_notice_versions",
        "privacy_notice_version",
        "privacy_notice_diff",
    }
)


def customer_language(language: str | None) -> str:
    """The language to write to a customer in, for a preferred language or a request's
    language such as "sv" or "en-gb": Finnish, Swedish or English; Finnish if unknown."""
    code = (language or "").split("-")[0].lower()
    return code if code in CUSTOMER_LANGUAGES else "fi"


def is_customer_page(path: str) -> bool:
    """Whether `path` is one of the public pages a customer reads."""
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return match.url_name in CUSTOMER_URL_NAMES or bool(
        CUSTOMER_NAMESPACES.intersection(match.namespaces)
    )


def page_language(request: HttpRequest, chosen: str) -> str:
    """The language of the page `request` asks for, given the one LocaleMiddleware
    `chosen` (from the cookie or Accept-Language); `?kieli=` wins. A public page may be
    in Swedish; a staff page is in Finnish or English."""
    wanted = request.GET.get(LANGUAGE_PARAMETER, "")[:5].lower()
    languages = CUSTOMER_LANGUAGES if is_customer_page(request.path_info) else STAFF_LANGUAGES
    if wanted in languages:
        return wanted
    return chosen if chosen in languages else "fi"


class PageLanguageMiddleware:
    """After LocaleMiddleware: keeps Swedish to the public pages, and lets a public
    page's language link (`?kieli=sv`) choose without a cookie."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        chosen = translation.get_language() or "fi"
        language = page_language(request, chosen)
        if language != chosen:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


def language_links(request: HttpRequest) -> list[dict[str, str]]:
    """The language switch of a page that sets no cookie: a link to the same address
    (its token kept) in each other language the page can be read in."""
    current = customer_language(translation.get_language())
    languages = CUSTOMER_LANGUAGES if is_customer_page(request.path_info) else STAFF_LANGUAGES
    links = []
    for code in languages:
        if code == current:
            continue
        query = request.GET.copy()
        query[LANGUAGE_PARAMETER] = code
        links.append({"code": code, "href": f"?{query.urlencode()}"})
    return links


def language_context(request: HttpRequest) -> dict[str, object]:
    """Context processor: the staff switch's languages, and the public pages' links
    (computed only by a template that shows them)."""
    return {
        "staff_languages": STAFF_LANGUAGES,
        "language_links": lambda: language_links(request),
    }
