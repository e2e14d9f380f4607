from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import KeyAccount
from accounts.selectors import owner_choices
from kam.concurrency import SeenFormMixin
from kam.numbers import localized_formfield

from ..models import Offering, SellingPosition, SellingStage
from .plans import CrispyMixin

PROBABILITY_RANGE = _("The probability must be from 0 to 100.")
NEGATIVE_AMOUNT = _("The amount cannot be negative.")

RANGE_MESSAGES = {
    "current_revenue": {"min_value": NEGATIVE_AMOUNT},
    "customer_spend": {"min_value": NEGATIVE_AMOUNT},
    "potential_revenue": {"min_value": NEGATIVE_AMOUNT},
    "probability": {"min_value": PROBABILITY_RANGE, "max_value": PROBABILITY_RANGE},
}


class SellingPositionForm(SeenFormMixin, CrispyMixin, forms.ModelForm):
    class Meta:
        model = SellingPosition
        formfield_callback = staticmethod(localized_formfield)
        fields = [
            "offering",
            "site",
            "stage",
            "current_revenue",
            "customer_spend",
            "main_competitor",
            "potential_revenue",
            "probability",
            "expected_month",
            "next_step",
            "owner",
        ]
        widgets = {
            "expected_month": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        error_messages = RANGE_MESSAGES

    def __init__(self, *args, account: KeyAccount, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.account = account
        offerings = Q(active=True)
        if self.instance.offering_id:
            # An offering retired later stays on the positions that already have it.
            offerings |= Q(pk=self.instance.offering_id)
        offering, site, owner = self.fields["offering"], self.fields["site"], self.fields["owner"]
        assert isinstance(offering, forms.ModelChoiceField)
        assert isinstance(site, forms.ModelChoiceField)
        assert isinstance(owner, forms.ModelChoiceField)
        offering.queryset = Offering.objects.filter(offerings).select_related("product_group")
        site.queryset = account.sites.all()
        site.empty_label = _("Whole account")
        owner.queryset = owner_choices(account=account, current_owner_id=self.instance.owner_id)
        self.fields["probability"].widget.attrs.update({"min": 0, "max": 100})
        self.fields["expected_month"].help_text = _("Any day of the month; the first is kept.")


class StageFilterForm(forms.Form):
    stage = forms.ChoiceField(
        label=_("Stage"),
        choices=[("", _("All stages")), *SellingStage.choices],
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].widget.attrs["class"] = "form-select form-select-sm"

    def stage_value(self) -> str:
        return self.cleaned_data["stage"] if self.is_valid() else ""


class WhitespaceFilterForm(forms.Form):
    """Country, region and product group of the whitespace matrix; choices come from the
    account's sites and the catalogue, so an unknown value is simply not applied."""

    country = forms.ChoiceField(label=_("Country"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    group = forms.ChoiceField(label=_("Product group"), required=False)

    def __init__(self, *args, choices: dict[str, list], **kwargs):
        super().__init__(*args, **kwargs)
        everything = {
            "country": _("All countries"),
            "region": _("All regions"),
            "group": _("All product groups"),
        }
        for name, field in self.fields.items():
            assert isinstance(field, forms.ChoiceField)
            field.choices = [("", everything[name]), *choices[name]]
            field.widget.attrs["class"] = "form-select form-select-sm"

    def value(self, name: str) -> str:
        """The field's value when valid; a stale bookmark with an unknown value shows all."""
        self.is_valid()
        return self.cleaned_data.get(name, "") if hasattr(self, "cleaned_data") else ""


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m")


class WhitespaceCellForm(SeenFormMixin, forms.ModelForm):
    """The inline editor of one matrix cell: its stage, revenues and next step."""

    expected_month = forms.DateField(
        label=_("Expected month"),
        required=False,
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=MonthInput(),
        error_messages={"invalid": _("Enter a month as YYYY-MM.")},
    )

    class Meta:
        model = SellingPosition
        formfield_callback = staticmethod(localized_formfield)
        fields = [
            "stage",
            "current_revenue",
            "customer_spend",
            "potential_revenue",
            "probability",
            "expected_month",
            "main_competitor",
            "next_step",
        ]
        error_messages = RANGE_MESSAGES

    def __init__(self, *args, account: KeyAccount, offering: Offering, site, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.account = account
        self.instance.offering = offering
        self.instance.site = site
        for name, field in self.fields.items():
            kind = "select" if name == "stage" else "control"
            field.widget.attrs["class"] = f"form-{kind} form-{kind}-sm"
        self.fields["stage"].widget.attrs["autofocus"] = True
        self.fields["probability"].widget.attrs.update({"min": 0, "max": 100})


class SellingImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (comma or semicolon separated, UTF-8) or Excel (.xlsx), at most 5 MB."),
    )
    dry_run = forms.BooleanField(
        label=_("Only check the file, write nothing"), required=False, initial=False
    )
