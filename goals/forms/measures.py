from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.selectors import owner_choices
from kam.concurrency import SeenFormMixin
from kam.models import User
from kam.numbers import localized_formfield

from ..models import AccountPlan, Instrument, Measure, MeasureStatus
from .plans import CrispyMixin

DUE_BEFORE_START = _("The due date cannot be before the start date.")
NEGATIVE_PLANNED_COST = _("The planned cost cannot be negative.")
NEGATIVE_ACTUAL_COST = _("The actual cost cannot be negative.")
PROGRESS_RANGE = _("The progress must be a percentage from 0 to 100.")
NEGATIVE_BUDGET = _("The expense limit cannot be negative.")

# Messages that name the field instead of "Ensure this value is greater than or equal to 0";
# ModelForm applies them to the form field's checks and to the model validators alike.
RANGE_MESSAGES = {
    "planned_cost": {"min_value": NEGATIVE_PLANNED_COST},
    "actual_cost": {"min_value": NEGATIVE_ACTUAL_COST},
    "progress": {"min_value": PROGRESS_RANGE, "max_value": PROGRESS_RANGE},
}

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MeasureForm(SeenFormMixin, CrispyMixin, forms.ModelForm):
    class Meta:
        model = Measure
        formfield_callback = staticmethod(localized_formfield)
        fields = [
            "title",
            "description",
            "instrument",
            "goals",
            "owner",
            "start_date",
            "due_date",
            "planned_cost",
            "actual_cost",
            "status",
            "progress",
            "is_countermeasure",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "goals": forms.CheckboxSelectMultiple,
            "start_date": DATE_WIDGET,
            "due_date": DATE_WIDGET,
        }
        error_messages = RANGE_MESSAGES

    def __init__(self, *args, plan: AccountPlan, user: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.plan = plan
        goals, owner = self.fields["goals"], self.fields["owner"]
        assert isinstance(goals, forms.ModelChoiceField)
        assert isinstance(owner, forms.ModelChoiceField)
        goals.queryset = plan.goals.all()
        goals.help_text = _("Only goals of this plan can be linked.")
        owners = owner_choices(account=plan.account, current_owner_id=self.instance.owner_id)
        owner.queryset = owners
        if not self.instance.pk:
            # A new measure is the author's when they are on the account, else the manager's.
            is_candidate = user is not None and user.pk in {u.pk for u in owners}
            owner.initial = user.pk if user is not None and is_candidate else plan.account.owner_id
        owner.help_text = _("The key account manager or a member of the team.")
        self.fields["progress"].widget.attrs.update({"min": 0, "max": 100})
        self.fields["status"].help_text = _("“Done” sets the progress to 100 %.")

    def clean(self):
        cleaned = super().clean()
        start, due = cleaned.get("start_date"), cleaned.get("due_date")
        if start and due and due < start:
            self.add_error("due_date", DUE_BEFORE_START)
        return cleaned


class CountermeasureForm(MeasureForm):
    """A measure answering a deviation: always a countermeasure, always for at least one goal."""

    class Meta(MeasureForm.Meta):
        fields = [f for f in MeasureForm.Meta.fields if f != "is_countermeasure"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.is_countermeasure = True
        self.fields["goals"].required = True
        self.fields["goals"].error_messages["required"] = _(
            "Choose the goal whose deviation this measure answers."
        )


class MeasureProgressForm(SeenFormMixin, forms.ModelForm):
    """What may still change on a submitted or approved plan: how far a measure has got."""

    class Meta:
        model = Measure
        formfield_callback = staticmethod(localized_formfield)
        fields = ["status", "progress", "actual_cost"]
        error_messages = RANGE_MESSAGES

    def __init__(self, *args, **kwargs):
        instance = kwargs.get("instance")
        if instance is not None and instance.pk:
            # Unique ids for one inline form per table row; the field names stay plain.
            kwargs.setdefault("auto_id", f"id_m{instance.pk}_%s")
        super().__init__(*args, **kwargs)
        self.fields["status"].widget.attrs["class"] = "form-select form-select-sm"
        self.fields["progress"].widget.attrs.update(
            {"class": "form-control form-control-sm", "min": 0, "max": 100, "step": 1}
        )
        self.fields["actual_cost"].widget.attrs.update(
            {"class": "form-control form-control-sm", "min": 0, "step": "0.01"}
        )


SORT_CHOICES = [("due", _("Due date")), ("cost", _("Planned cost"))]


class MeasureFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + MeasureStatus.choices
    )
    instrument = forms.ChoiceField(
        label=_("Instrument"), required=False, choices=[("", _("All"))] + Instrument.choices
    )
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_CHOICES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"

    def filters(self) -> dict:
        """The valid choices; an invalid value is ignored rather than failing the page."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "status": data.get("status") or "",
            "instrument": data.get("instrument") or "",
            "sort": data.get("sort") or "due",
        }


class BudgetForm(SeenFormMixin, CrispyMixin, forms.ModelForm):
    class Meta:
        model = AccountPlan
        formfield_callback = staticmethod(localized_formfield)
        fields = ["budget"]
        error_messages = {"budget": {"min_value": NEGATIVE_BUDGET}}
