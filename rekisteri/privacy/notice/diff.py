"""What changed in the privacy notice between two versions of the register
description, line by line and word by word, for the version history and the editor's
preview."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from rekisteri.privacy.models import RegisterDescription
from rekisteri.privacy.notice.rendering import notice_structure, section_lines


@dataclass(frozen=True)
class DiffLine:
    """One line of a diff. `kind`: "heading" (a section that changed), "same",
    "removed", "added", "changed" (one line edited: the words marked inside it) or
    "unchanged" (a whole section without changes, by its title)."""

    kind: str
    html: SafeString


WORDS = re.compile(r"\w+|\s+|[^\w\s]")
SIMILAR_ENOUGH = 0.5


def _words_diff(old: str, new: str) -> SafeString:
    before, after = WORDS.findall(old), WORDS.findall(new)
    parts: list[SafeString] = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            parts.append(format_html("{}", "".join(before[i1:i2])))
            continue
        if i2 > i1:
            parts.append(format_html("<del>{}</del>", "".join(before[i1:i2])))
        if j2 > j1:
            parts.append(format_html("<ins>{}</ins>", "".join(after[j1:j2])))
    return format_html_join("", "{}", ((part,) for part in parts))


def _lines_diff(before: list[str], after: list[str]) -> Iterator[DiffLine]:
    def removed(line: str) -> DiffLine:
        return DiffLine("removed", format_html("<del>{}</del>", line))

    def added(line: str) -> DiffLine:
        return DiffLine("added", format_html("<ins>{}</ins>", line))

    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            yield from (DiffLine("same", format_html("{}", line)) for line in before[i1:i2])
            continue
        old_lines, new_lines = before[i1:i2], after[j1:j2]
        for old, new in zip(old_lines, new_lines, strict=False):
            if difflib.SequenceMatcher(None, old, new).ratio() >= SIMILAR_ENOUGH:
                yield DiffLine("changed", _words_diff(old, new))
            else:
                yield removed(old)
                yield added(new)
        yield from (removed(line) for line in old_lines[len(new_lines) :])
        yield from (added(line) for line in new_lines[len(old_lines) :])


def notice_diff(
    old: RegisterDescription, new: RegisterDescription, language: str
) -> list[DiffLine]:
    """What changed in the notice from `old` to `new`, in `language`, section by
    section: a changed section in full, its removed lines in <del> and added ones in
    <ins> (an edited line has the words marked inside it); an unchanged section by its
    title only. Empty when the notices read the same."""
    before = notice_structure(old, language)
    after = notice_structure(new, language)
    lines: list[DiffLine] = []
    for old_section, new_section in zip(before.sections, after.sections, strict=True):
        old_lines = list(section_lines(old_section, before.legal_basis_label))
        new_lines = list(section_lines(new_section, after.legal_basis_label))
        if old_lines == new_lines:
            lines.append(DiffLine("unchanged", format_html("{}", new_section.title)))
            continue
        lines.append(DiffLine("heading", format_html("{}", new_section.title)))
        lines.extend(_lines_diff(old_lines, new_lines))
    if all(line.kind == "unchanged" for line in lines):
        return []
    return lines


def diff_counts(lines: list[DiffLine]) -> dict[str, int]:
    """How many lines of each kind a diff has (for a summary)."""
    counts = {"added": 0, "removed": 0, "changed": 0}
    for line in lines:
        if line.kind in counts:
            counts[line.kind] += 1
    return counts
