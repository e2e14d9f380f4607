"""The form of the plan controlling page: a qualitative goal's rating for a month."""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from kam.concurrency import FIELD as SEEN
from kam.fiscal import month_label

RATING_CHOICES = [(n, str(n)) for n in range(1, 6)]


class RatingForm(forms.Form):
    """This month's (or a past month's) rating of one qualitative goal."""

    month = forms.TypedChoiceField(label=_("Month"), coerce=datetime.date.fromisoformat)
    rating = forms.TypedChoiceField(
        label=_("Rating"),
        coerce=int,
        choices=RATING_CHOICES,
        help_text=_("1 (poor) to 5 (excellent)."),
        error_messages={"invalid_choice": _("The rating must be from 1 to 5.")},
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)

    def __init__(self, *args, months: list[datetime.date], **kwargs):
        super().__init__(*args, **kwargs)
        month = self.fields["month"]
        assert isinstance(month, forms.ChoiceField)
        month.choices = [(m.isoformat(), month_label(m)) for m in months]
        self.fields["month"].error_messages["invalid_choice"] = _(
            "Choose a month of the plan's fiscal year up to this month."
        )
        for name in ("month", "rating"):
            self.fields[name].widget.attrs["class"] = "form-select form-select-sm"
        self.fields["note"].widget.attrs["class"] = "form-control form-control-sm"
        # What the goal's ratings were when the form was shown (kam.concurrency).
        self.fields[SEEN] = forms.CharField(widget=forms.HiddenInput, required=False)
