from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from kam.concurrency import SeenFormMixin
from kam.fiscal import MAX_FISCAL_YEAR, MIN_FISCAL_YEAR
from kam.numbers import localized_formfield

from ..models import AccountPlan, SwotItem


class CrispyMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class PlanCreateForm(CrispyMixin, forms.Form):
    fiscal_year = forms.IntegerField(
        label=_("Fiscal year"), min_value=MIN_FISCAL_YEAR, max_value=MAX_FISCAL_YEAR
    )


class StatusQuoForm(SeenFormMixin, CrispyMixin, forms.ModelForm):
    class Meta:
        model = AccountPlan
        formfield_callback = staticmethod(localized_formfield)
        fields = [
            "prior_year_revenue",
            "contribution_margin",
            "share_of_wallet",
            "product_groups_served",
            "sites_served",
            "relationship_summary",
            "narrative",
        ]
        widgets = {
            "product_groups_served": forms.Textarea(attrs={"rows": 3}),
            "sites_served": forms.Textarea(attrs={"rows": 3}),
            "relationship_summary": forms.Textarea(attrs={"rows": 3}),
            "narrative": forms.Textarea(attrs={"rows": 5}),
        }


class SwotItemForm(SeenFormMixin, CrispyMixin, forms.ModelForm):
    class Meta:
        model = SwotItem
        fields = ["kind", "text", "impact", "probability"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.plan = plan
