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
from django.views.decorators.http import require_GET, require_http_methods, require_POST

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
from rekisteri.privacy.notice.forms import DescriptionForm, PendingPublishForm
from rekisteri.privacy.notice.pending import notice_pending, notice_pending_publish, pending_digest
from rekisteri.privacy.notice.rendering import LABELS, notice_languages, render_notice
from rekisteri.privacy.notice.sources import with_generated_parts_of
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
    wanted = _page_language(request)
    available = set.intersection(*(set(notice_languages(d.content)) for d in descriptions))
    return wanted if wanted in available else "fi"


def _page_language(request: HttpRequest) -> str:
    return (request.GET.get("kieli") or translation.get_language() or "fi")[:2].lower()


def _notice_page(request: HttpRequest, description: RegisterDescription) -> HttpResponse:
    current = current_description()
    language = _language(request, description)
    context = {
        "description": description,
        "current": current,
        "is_current": description.version == current.version,
        "notice_html": render_notice(description, language),
        "notice_title": LABELS[language]["title"],
        # A page in Swedish whose notice has no Swedish yet shows the Finnish one (the
        # national language everyone is served in) and says so.
        "notice_in_finnish": language == "fi" and _page_language(request) != "fi",
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
    """The versions, and the notice waiting to be published when the live sources
    no longer say what the version in force says."""
    return _versions_page(request)


def _versions_page(
    request: HttpRequest, form: PendingPublishForm | None = None, status: int = 200
) -> HttpResponse:
    current, pending = current_description(), notice_pending()
    context: dict[str, Any] = {
        "versions": description_versions(),
        "pending": pending,
        "publish_form": form,
    }
    if pending is not None:
        language = _language(request, current, pending)
        changes = notice_diff(current, pending, language)
        initial = {"based_on": current.version, "digest": pending_digest(pending)}
        context.update(
            current=current,
            changes=changes,
            counts=diff_counts(changes),
            notice_language=language,
            publish_form=form or PendingPublishForm(initial=initial),
        )
    return render(request, "privacy/notice/versions.html", context, status=status)


@never_cache
@require_POST
@require_permission("privacy.add_registerdescription")
def notice_publish_pending(request: HttpRequest) -> HttpResponse:
    """Publishes the notice the live sources wrote, as read on the versions page."""
    form = PendingPublishForm(request.POST)
    if not form.is_valid():
        return _versions_page(request, form, status=400)
    try:
        published = notice_pending_publish(
            actor=Actor.from_request(request),
            based_on=form.cleaned_data["based_on"],
            digest=form.cleaned_data["digest"],
        )
    except ValidationError as error:
        form.add_service_errors(error)
        return _versions_page(request, form, status=400)
    message = _("Version %(version)s of the privacy notice is published.")
    messages.success(request, message % {"version": published.version})
    return redirect("privacy:notice_versions")


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
            content=with_generated_parts_of(form.content(), current.content),
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
    content = with_generated_parts_of(form.content(), current.content)
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
