"""The privacy notice: public pages (the notice in force, earlier versions and what
changed between two), and the privacy officer's editor of the register description
(preview, publish) with its version list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from rekisteri.accounts.access import require_permission
from rekisteri.audit.services import Actor
from rekisteri.credit.services import credit_policy
from rekisteri.privacy.models import RegisterDescription
from rekisteri.privacy.notice.diff import diff_counts, notice_diff
from rekisteri.privacy.notice.document import (
    current_description,
    description_normalized,
    description_publish,
    description_version,
    description_versions,
    validate_description,
)
from rekisteri.privacy.notice.forms import DescriptionForm
from rekisteri.privacy.notice.rendering import LABELS, notice_languages, render_notice
from rekisteri.privacy.retention.services import retention_policies

# ---- Public pages ---------------------------------------------------------------------


def _public_page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    return render(request, template, {"business_name": settings.BUSINESS_NAME, **context})


def _version_or_404(version: int) -> RegisterDescription:
    try:
        return description_version(version)
    except RegisterDescription.DoesNotExist:
        raise Http404("no such version") from None


def _language(request: HttpRequest, *descriptions: RegisterDescription) -> str:
    """The page's language (Accept-Language or the language switch), or the one asked
    for with ?kieli=sv, if every description given has it; else Finnish."""
    wanted = (request.GET.get("kieli") or translation.get_language() or "fi")[:2].lower()
    available = set.intersection(*(set(notice_languages(d.content)) for d in descriptions))
    return wanted if wanted in available else "fi"


def _other_languages(description: RegisterDescription, language: str) -> list[tuple[str, str]]:
    """Links to the notice's languages beyond the page's own two (Swedish, when it is
    complete); Finnish and English follow the portal's language switch."""
    languages = notice_languages(description.content)
    if len(languages) <= 2:
        return []
    return [(code, LABELS[code]["language_name"]) for code in languages if code != language]


def _notice_page(request: HttpRequest, description: RegisterDescription) -> HttpResponse:
    current = current_description()
    language = _language(request, description)
    context = {
        "description": description,
        "current": current,
        "is_current": description.version == current.version,
        "notice_html": render_notice(description, language),
        "notice_title": LABELS[language]["title"],
        "other_languages": _other_languages(description, language),
    }
    return _public_page(request, "privacy/notice/public.html", context)


@login_not_required
@require_GET
def notice(request: HttpRequest) -> HttpResponse:
    """The privacy notice in force (P2), at /tietosuojaseloste/."""
    return _notice_page(request, current_description())


@login_not_required
@require_GET
def notice_version(request: HttpRequest, version: int) -> HttpResponse:
    return _notice_page(request, _version_or_404(version))


@login_not_required
@require_GET
def notice_versions_public(request: HttpRequest) -> HttpResponse:
    versions = description_versions()
    return _public_page(request, "privacy/notice/public_versions.html", {"versions": versions})


@login_not_required
@require_GET
def notice_changes(request: HttpRequest, old: int, new: int) -> HttpResponse:
    before, after = _version_or_404(old), _version_or_404(new)
    language = _language(request, before, after)
    lines = notice_diff(before, after, language)
    context = {
        "before": before,
        "after": after,
        "lines": lines,
        "counts": diff_counts(lines),
        "notice_language": language,
    }
    return _public_page(request, "privacy/notice/public_diff.html", context)


# ---- The privacy officer's pages -------------------------------------------------------


@never_cache
@require_GET
@require_permission("privacy.view_registerdescription")
def notice_versions(request: HttpRequest) -> HttpResponse:
    versions = description_versions()
    return render(request, "privacy/notice/versions.html", {"versions": versions})


@never_cache
@require_http_methods(["GET", "POST"])
@require_permission("privacy.add_registerdescription")
def notice_edit(request: HttpRequest) -> HttpResponse:
    """The register description's editor: Preview shows the notice and what changed
    without saving anything; Publish makes the description a new version (audited)."""
    current = current_description()
    if request.method == "GET":
        form = DescriptionForm(content=current.content, initial={"based_on": current.version})
        return _editor(request, form, current)
    form = DescriptionForm(request.POST, content=current.content)
    if not form.is_valid():
        return _editor(request, form, current, status=400)
    if request.POST.get("action") == "publish":
        return _publish(request, form, current)
    return _preview(request, form, current)


def _publish(
    request: HttpRequest, form: DescriptionForm, current: RegisterDescription
) -> HttpResponse:
    try:
        published = description_publish(
            actor=Actor.from_request(request),
            content=form.content(),
            change_note=form.cleaned_data["change_note"],
            based_on=form.cleaned_data["based_on"],
        )
    except ValidationError as error:
        form.add_service_errors(error)
        return _editor(request, form, current, status=400)
    message = _("Version %(version)s of the privacy notice is published.")
    messages.success(request, message % {"version": published.version})
    return redirect("privacy:notice_versions")


def _preview(
    request: HttpRequest, form: DescriptionForm, current: RegisterDescription
) -> HttpResponse:
    content = form.content()
    try:
        validate_description(content)
    except ValidationError as error:
        form.add_service_errors(error)
        return _editor(request, form, current, status=400)
    draft = RegisterDescription(
        version=current.version + 1, content=description_normalized(content)
    )
    # The fields again from the document: new items now have their identifiers, so a
    # new category of data can be chosen for a retention period.
    tidy = DescriptionForm(
        content=draft.content,
        initial={k: form.cleaned_data[k] for k in ("change_note", "based_on")},
    )
    previews = [
        (LABELS[language]["language_name"], render_notice(draft, language))
        for language in notice_languages(draft.content)
    ]
    changes = notice_diff(current, draft, _language(request, current, draft))
    return _editor(request, tidy, current, previews=previews, changes=changes)


def _editor(
    request: HttpRequest,
    form: DescriptionForm,
    current: RegisterDescription,
    *,
    status: int = 200,
    previews: Sequence[tuple[str, str]] = (),
    changes: object = None,
) -> HttpResponse:
    context = {
        "form": form,
        "layout": form.layout(),
        "current": current,
        "previews": previews,
        "changes": changes,
        "retention_policies": retention_policies(),
        "credit_policy": credit_policy(),
    }
    return render(request, "privacy/notice/edit.html", context, status=status)
