"""The privacy officer's forms for what waited while a customer was restricted. The
services check the ground and the reason; these forms only shape the pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from rekisteri.forms import ServiceErrorsForm
from rekisteri.privacy.erasure.forms import REASON_HELP
from rekisteri.privacy.erasure.personal_terms import REASON_MAX_LENGTH
from rekisteri.privacy.restriction.services import GROUNDS_WHILE_RESTRICTED

APPLY = "apply"
REJECT = "reject"


class _DecisionForm(ServiceErrorsForm):
    ground = forms.ChoiceField(
        label=_("Ground (GDPR art. 18(2))"),
        choices=[("", "—")] + [(ground.value, ground.label) for ground in GROUNDS_WHILE_RESTRICTED],
        required=False,
        help_text=_("Needed to apply a change while the processing is still restricted."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=REASON_HELP,
    )


class HeldChangeDecisionForm(_DecisionForm):
    decision = forms.ChoiceField(
        choices=[(APPLY, _("Apply the change")), (REJECT, _("Reject the change"))]
    )


class DeliveryAcceptForm(_DecisionForm):
    pass
