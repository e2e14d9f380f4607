import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from kam import audit
from kam.models import Role
from kam.widgets import FastSelect

from .models import AccountStatus, KeyAccount, Tier


class FilterForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if type(field.widget) is forms.Select:
                fast = FastSelect(attrs=field.widget.attrs, choices=field.choices)
                fast.is_required = field.widget.is_required
                field.widget = fast
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = f"{css} {css}-sm"


class KeyAccountFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    tier = django_filters.ChoiceFilter(choices=Tier.choices, label=_("Tier"), empty_label=_("All"))
    country = django_filters.ChoiceFilter(choices=(), label=_("Country"), empty_label=_("All"))
    owner = django_filters.ModelChoiceFilter(
        queryset=None, label=_("Key account manager"), empty_label=_("All")
    )
    status = django_filters.ChoiceFilter(
        choices=AccountStatus.choices,
        label=_("Status"),
        empty_label=_("Active and on hold"),
        method="filter_status",
    )
    ordering = django_filters.OrderingFilter(
        fields=[
            ("name", "name"),
            ("customer_number", "customer_number"),
            ("tier", "tier"),
            ("country", "country"),
            ("owner__last_name", "owner"),
            ("status", "status"),
            ("attractiveness", "attractiveness"),
            ("relative_strength", "relative_strength"),
        ],
        label=_("Sort by"),
    )

    class Meta:
        model = KeyAccount
        form = FilterForm
        fields = ["q", "tier", "country", "owner", "status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["owner"].queryset = get_user_model().objects.filter(role=Role.MANAGER)
        # Offer only the countries the user's accounts are in, not all 250.
        codes = self.queryset.order_by().values_list("country", flat=True).distinct()
        self.filters["country"].extra["choices"] = sorted(
            ((code, countries.name(code)) for code in codes), key=lambda c: c[1]
        )

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(customer_number__icontains=value))

    def filter_status(self, queryset, name, value):
        return queryset.filter(status=value)

    @property
    def qs(self):
        queryset = super().qs
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.not_archived()
        return queryset


class PortfolioFilter(django_filters.FilterSet):
    """The portfolio matrix's filters; choices come from the accounts the user may see."""

    tier = django_filters.ChoiceFilter(choices=Tier.choices, label=_("Tier"), empty_label=_("All"))
    country = django_filters.ChoiceFilter(choices=(), label=_("Country"), empty_label=_("All"))
    owner = django_filters.ModelChoiceFilter(
        queryset=None, label=_("Key account manager"), empty_label=_("All")
    )

    class Meta:
        model = KeyAccount
        form = FilterForm
        fields = ["tier", "country", "owner"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        visible = self.queryset.order_by()
        self.filters["owner"].queryset = (
            get_user_model()
            .objects.filter(pk__in=visible.values("owner_id"))
            .order_by("last_name", "first_name", "username")
        )
        codes = visible.values_list("country", flat=True).distinct()
        self.filters["country"].extra["choices"] = sorted(
            ((code, countries.name(code)) for code in codes), key=lambda c: c[1]
        )


class AuditFilterForm(FilterForm):
    """The audit page's filters: kind of object, who, from and until which day, account."""

    kind = forms.ChoiceField(label=_("Kind of object"), required=False)
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.order_by("last_name", "first_name", "username"),
        label=_("Changed by"),
        required=False,
        empty_label=_("All"),
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    account = forms.ModelChoiceField(
        queryset=KeyAccount.objects.order_by("name"),
        label=_("Key account"),
        required=False,
        empty_label=_("All"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("All"))] + [
            (source.key, capfirst(source.title)) for source in audit.sources()
        ]
        self.fields["kind"].choices = choices
        self.fields["kind"].widget.choices = choices

    def filters(self) -> dict:
        """The keyword arguments of `kam.audit.audit_rows` for the valid filters."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "keys": [data["kind"]] if data.get("kind") else None,
            "user_id": data["user"].pk if data.get("user") else None,
            "account_id": data["account"].pk if data.get("account") else None,
            "since": data.get("since"),
            "until": data.get("until"),
        }
