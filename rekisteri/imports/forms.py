"""The upload and column pages' forms; the rules are the services'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rekisteri.forms import ServiceErrorsForm
from rekisteri.imports.mapping import MARKETING_TARGETS, Target
from rekisteri.imports.selectors import Column


class UploadForm(ServiceErrorsForm):
    file = forms.FileField(
        label=_("Customer file (CSV or XLSX)"),
        help_text=_(
            "At most 20 MB. The first row names the columns; the first sheet of a workbook "
            "is read. Nothing is imported before you have seen a dry run."
        ),
    )


class MappingForm(ServiceErrorsForm):
    """One choice per column of the file: the field it is imported as, or none."""

    def __init__(
        self,
        data: Any = None,
        *,
        columns: list[Column],
        mapping: dict[str, int],
        consents_allowed: bool,
    ) -> None:
        super().__init__(data)
        targets = [t for t in Target if consents_allowed or t not in MARKETING_TARGETS]
        choices = [("", _("Not imported")), *((t.value, t.label) for t in targets)]
        by_index = {index: target for target, index in mapping.items()}
        self.columns = columns
        for column in columns:
            self.fields[self.field_name(column)] = forms.ChoiceField(
                label=column.name or _("Column %(number)s") % {"number": column.index + 1},
                choices=choices,
                required=False,
                initial=by_index.get(column.index, ""),
            )

    @staticmethod
    def field_name(column: Column) -> str:
        return f"column_{column.index}"

    def rows(self) -> list[tuple[Column, forms.BoundField]]:
        return [(column, self[self.field_name(column)]) for column in self.columns]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        chosen = [value for value in cleaned.values() if value]
        if len(chosen) != len(set(chosen)):
            raise forms.ValidationError(_("Each field can come from one column only."))
        return cleaned

    def mapping(self) -> dict[str, int]:
        return {
            self.cleaned_data[self.field_name(column)]: column.index
            for column in self.columns
            if self.cleaned_data.get(self.field_name(column))
        }
