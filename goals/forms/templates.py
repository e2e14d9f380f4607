from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import KeyAccount
from kam.fiscal import MAX_FISCAL_YEAR, MIN_FISCAL_YEAR
from kam.numbers import LocalizedDecimalField

from ..models import AccountPlan, GoalKind, GoalTemplate, GoalTemplateSet
from .plans import CrispyMixin


class TemplateSetChoiceForm(CrispyMixin, forms.Form):
    """Which template set and which fiscal year: only the active sets of the account's tier."""

    template_set = forms.ModelChoiceField(
        label=_("Template set"),
        queryset=GoalTemplateSet.objects.none(),
        error_messages={
            "invalid_choice": _("Choose one of the template sets for this account's tier.")
        },
    )
    fiscal_year = forms.IntegerField(
        label=_("Fiscal year"), min_value=MIN_FISCAL_YEAR, max_value=MAX_FISCAL_YEAR
    )

    def __init__(self, *args, account: KeyAccount, **kwargs):
        super().__init__(*args, **kwargs)
        template_set = self.fields["template_set"]
        assert isinstance(template_set, forms.ModelChoiceField)
        template_set.queryset = GoalTemplateSet.objects.filter(tier=account.tier, active=True)


@dataclass(frozen=True)
class BaselineRow:
    template: GoalTemplate
    field: forms.BoundField
    last_year: Decimal | None


class BaselinesForm(forms.Form):
    """One baseline per quantitative template, prefilled with last year's actual for its KPI
    (last year's target where no actual was reported)."""

    def __init__(self, *args, templates: list[GoalTemplate], last_year: dict[int, Decimal], **kw):
        super().__init__(*args, **kw)
        self.templates = [t for t in templates if t.kind == GoalKind.QUANTITATIVE]
        self.last_year = last_year
        for template in self.templates:
            assert template.kpi_id is not None  # goaltemplate_quantitative_has_kpi
            self.fields[self.field_name(template)] = LocalizedDecimalField(
                label=_("Baseline for “%(title)s”") % {"title": template.title},
                max_digits=14,
                decimal_places=2,
                initial=last_year.get(template.kpi_id),
                error_messages={
                    "required": _("Enter a baseline for “%(title)s”.") % {"title": template.title}
                },
            )

    @staticmethod
    def field_name(template: GoalTemplate) -> str:
        return f"baseline_{template.pk}"

    @property
    def rows(self) -> list[BaselineRow]:
        return [
            BaselineRow(
                t,
                self[self.field_name(t)],
                self.last_year.get(t.kpi_id) if t.kpi_id is not None else None,
            )
            for t in self.templates
        ]

    def baselines(self) -> dict[int, Decimal]:
        return {t.pk: self.cleaned_data[self.field_name(t)] for t in self.templates}


class PlanChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: AccountPlan) -> str:
        return obj.period_label


class PlanCompareForm(forms.Form):
    """Two plans of one account; the view turns a plan of another account into a 404."""

    a = PlanChoiceField(
        label=_("Plan A"),
        queryset=AccountPlan.objects.none(),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    b = PlanChoiceField(
        label=_("Plan B"),
        queryset=AccountPlan.objects.none(),
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, account: KeyAccount, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("a", "b"):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = account.plans.order_by("-fiscal_year")
