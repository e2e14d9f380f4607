import datetime
from collections.abc import Mapping
from decimal import Decimal

from crispy_forms.layout import HTML, Div, Layout
from django import forms
from django.db.models import Q
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kam.concurrency import FIELD as SEEN
from kam.concurrency import SeenFormMixin, seen_cells
from kam.fiscal import month_label
from kam.models import User
from kam.numbers import LocalizedDecimalField, localized_formfield

from ..models import AccountPlan, Goal, GoalKind, KPIDefinition, SeasonalProfile
from .plans import CrispyMixin

RATING_RANGE = _("The target rating must be between 1 and 5.")


def heading(text) -> str:
    return format_html('<p class="fw-semibold mb-2">{}</p>', text)


class GoalForm(SeenFormMixin, CrispyMixin, forms.ModelForm):
    """One form for both kinds of goal; the fields of the other kind are cleared on save."""

    target_rating = forms.IntegerField(
        label=_("Target rating"),
        required=False,
        min_value=1,
        max_value=5,
        error_messages={"min_value": RATING_RANGE, "max_value": RATING_RANGE},
        help_text=_("On the rating scale 1 (poor) to 5 (excellent)."),
    )

    class Meta:
        model = Goal
        formfield_callback = staticmethod(localized_formfield)
        fields = [
            "title",
            "kind",
            "kpi",
            "baseline",
            "annual_target",
            "target_rating",
            "criteria",
            "perspective",
            "goal_area",
            "relationship_perspective",
            "horizon",
            "selling_dimension",
            "owner",
            "weight",
            "stakeholders",
        ]
        widgets = {
            "kind": forms.RadioSelect,
            "criteria": forms.Textarea(attrs={"rows": 3}),
            "stakeholders": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, plan: AccountPlan, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.plan = plan
        account = plan.account
        # Inactive KPIs cannot be chosen for new goals; a goal keeps the one it already has.
        kpi, owner = self.fields["kpi"], self.fields["owner"]
        stakeholders = self.fields["stakeholders"]
        assert isinstance(kpi, forms.ModelChoiceField)
        assert isinstance(owner, forms.ModelChoiceField)
        assert isinstance(stakeholders, forms.ModelChoiceField)
        kpi.queryset = KPIDefinition.objects.filter(Q(active=True) | Q(pk=self.instance.kpi_id))
        team = account.team_members.values("user_id")
        owner.queryset = User.objects.filter(
            Q(pk=account.owner_id) | Q(pk__in=team, is_active=True)
        ).order_by("last_name", "first_name", "username")
        stakeholders.queryset = account.stakeholders.order_by("name")
        if not self.instance.pk:
            self.initial.setdefault("owner", account.owner_id)
        self.fields["weight"].widget.attrs.update(min=1, max=100)
        self.helper.layout = Layout(
            "title",
            "kind",
            Div(
                Div(HTML(heading(_("Quantitative goal"))), css_class="col-12"),
                Div("kpi", css_class="col-md-6"),
                Div("baseline", css_class="col-md-3"),
                Div("annual_target", css_class="col-md-3"),
                css_class="row border rounded pt-2 mx-0 mb-3",
                data_kind="quantitative",
            ),
            Div(
                Div(HTML(heading(_("Qualitative goal"))), css_class="col-12"),
                Div("target_rating", css_class="col-md-3"),
                Div("criteria", css_class="col-md-9"),
                css_class="row border rounded pt-2 mx-0 mb-3",
                data_kind="qualitative",
            ),
            Div(
                Div("perspective", css_class="col-md-6"),
                Div("goal_area", css_class="col-md-6"),
                Div("relationship_perspective", css_class="col-md-6"),
                Div("horizon", css_class="col-md-6"),
                Div("selling_dimension", css_class="col-md-6"),
                Div("owner", css_class="col-md-4"),
                Div("weight", css_class="col-md-2"),
                css_class="row",
            ),
            "stakeholders",
        )

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == GoalKind.QUANTITATIVE:
            if not data.get("kpi") and "kpi" not in self.errors:
                self.add_error("kpi", _("A quantitative goal needs a KPI."))
            if data.get("annual_target") is None and "annual_target" not in self.errors:
                self.add_error("annual_target", _("A quantitative goal needs an annual target."))
            data["target_rating"] = None
        elif kind == GoalKind.QUALITATIVE:
            if data.get("target_rating") is None and "target_rating" not in self.errors:
                self.add_error(
                    "target_rating", _("A qualitative goal needs a target rating from 1 to 5.")
                )
            if not (data.get("criteria") or "").strip():
                self.add_error(
                    "criteria", _("A qualitative goal needs criteria: how is the rating judged?")
                )
            data["kpi"] = None
            data["baseline"] = None
            data["annual_target"] = None
        perspective = data.get("relationship_perspective")
        horizon = data.get("horizon")
        if perspective and not horizon:
            self.add_error("horizon", _("Choose a horizon too: a relationship goal needs both."))
        elif horizon and not perspective:
            self.add_error(
                "relationship_perspective",
                _("Choose a relationship perspective too: a relationship goal needs both."),
            )
        return data


class MonthlyTargetsForm(forms.Form):
    """The twelve months of a goal's grid; one field per month named by its ISO date, and a
    hidden `seen-<date>` per month with the target it showed (kam.concurrency)."""

    def __init__(self, *args, months: list[datetime.date], **kwargs):
        super().__init__(*args, **kwargs)
        for month in months:
            label = month_label(month)
            self.fields[month.isoformat()] = LocalizedDecimalField(
                label=label,
                max_digits=14,
                decimal_places=2,
                error_messages={
                    "required": _("%(month)s: enter a target.") % {"month": label},
                    "invalid": _("%(month)s: enter a number.") % {"month": label},
                    "max_digits": _("%(month)s: the target is too large.") % {"month": label},
                    "max_whole_digits": _("%(month)s: the target is too large.") % {"month": label},
                    "max_decimal_places": _("%(month)s: use at most 2 decimal places.")
                    % {"month": label},
                },
                widget=forms.TextInput(
                    attrs={
                        "inputmode": "decimal",
                        "class": "form-control form-control-sm text-end px-1 target-input",
                        "aria-label": label,
                        "id": f"target-{month:%Y-%m}",
                    }
                ),
            )
            self.fields[f"{SEEN}-{month.isoformat()}"] = forms.CharField(
                widget=forms.HiddenInput, required=False
            )
        self.months = months

    @staticmethod
    def seen_initial(values: Mapping[datetime.date, Decimal | None]) -> dict[str, str]:
        """The hidden seen fields for stored targets (month -> value)."""
        return {
            f"{SEEN}-{month.isoformat()}": "" if value is None else str(value)
            for month, value in values.items()
        }

    def seen(self) -> dict[datetime.date, Decimal | None]:
        """What each month showed when the grid was loaded."""
        shown = seen_cells(self.data, [month.isoformat() for month in self.months])
        return {datetime.date.fromisoformat(key): value for key, value in shown.items()}

    def values(self) -> dict[datetime.date, Decimal]:
        return {month: self.cleaned_data[month.isoformat()] for month in self.months}

    def posted_values(self) -> dict[datetime.date, Decimal | None]:
        """What was entered, where it is a number: the grid's totals while errors are shown."""
        values = {}
        for month in self.months:
            try:
                value = self.fields[month.isoformat()].to_python(self.data.get(month.isoformat()))
            except forms.ValidationError:
                value = None
            # "NaN" and "sNaN" parse as Decimals that no arithmetic accepts.
            values[month] = value if value is not None and value.is_finite() else None
        return values


class SpreadForm(forms.Form):
    profile = forms.ModelChoiceField(
        label=_("Seasonal profile"),
        queryset=SeasonalProfile.objects.all(),
        required=False,
        empty_label=_("Choose a seasonal profile"),
    )
