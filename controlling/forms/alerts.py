"""Forms of the alert pages and of the plan controlling page."""

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from controlling.models import GoalStatus, NotificationKind, NotificationMode
from controlling.selectors.alerts import DeviationFilters, DeviationState
from controlling.services.alerts import COMMENT_MAX_LENGTH

STATE_CHOICES = [
    (DeviationState.OPEN, _("Open")),
    (DeviationState.ESCALATED, _("Escalated")),
    (DeviationState.CLOSED, _("Closed")),
    (DeviationState.ALL, _("All")),
]
# A deviation is a worsening, so it ends in one of these two.
DEVIATION_STATUS_CHOICES = [
    ("", _("All")),
    (GoalStatus.AT_RISK, GoalStatus.AT_RISK.label),
    (GoalStatus.OFF_TRACK, GoalStatus.OFF_TRACK.label),
]


class DeviationFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("Show"), required=False, choices=STATE_CHOICES)
    account = forms.TypedChoiceField(label=_("Key account"), required=False, coerce=int)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=DEVIATION_STATUS_CHOICES)

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [("", _("All"))] + [(a.pk, a.name) for a in accounts]
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"

    def filters(self) -> DeviationFilters:
        """The valid choices; an invalid value is ignored rather than failing the page."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return DeviationFilters(
            state=data.get("state") or DeviationState.OPEN,
            account_id=data.get("account") or None,
            status=data.get("status") or "",
        )


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("Comment"),
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why did it happen, and what is being done about it?"),
        error_messages={"required": _("Write a comment first.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class NotificationPreferencesForm(forms.Form):
    """For each kind of notification: mailed immediately, in the daily digest, or not."""

    def __init__(self, *args, initial_modes: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        for kind in NotificationKind:
            self.fields[kind.value] = forms.ChoiceField(
                label=kind.label,
                choices=NotificationMode.choices,
                initial=initial_modes[kind.value],
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
            )
