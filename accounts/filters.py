import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries import countries

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
