"""The leadership dashboard's filters: fiscal year, region, tier and key account manager.

A **region** is where an account does business: its own country (where it is registered)
or the country of any of its sites, or a named region of a site (the site's free-text
region within its country, compared without regard to case). Choosing a country therefore
finds accounts registered there and accounts with a site there; choosing "Germany – North"
finds accounts with a site in Germany whose region is "North".

The fiscal year does not narrow the accounts: it chooses which plans, goals, deviations and
actuals are read. Without one the current fiscal year is shown.
"""

from typing import NamedTuple

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from accounts.filters import FilterForm
from accounts.models import KeyAccount, Site, Tier
from goals.models import AccountPlan
from kam import kept
from kam.fiscal import current_fiscal_year

REGION_SEPARATOR = ":"


def region_choices(accounts: QuerySet[KeyAccount]) -> list[tuple[str, str]]:
    """Every country of the accounts and their sites, each followed by its sites' regions.
    Two queries."""
    codes = set(accounts.order_by().values_list("country", flat=True).distinct())
    regions: dict[str, dict[str, str]] = {}
    for code, region in (
        Site.objects.filter(account__in=accounts)
        .values_list("country", "region")
        .distinct()
        .order_by()
    ):
        codes.add(code)
        region = region.strip()
        if region:
            # One entry per region whatever its spelling's case; the first spelling names it.
            regions.setdefault(code, {}).setdefault(region.casefold(), region)
    choices = []
    for code in sorted(codes, key=lambda c: str(countries.name(c))):
        name = str(countries.name(code))
        choices.append((code, name))
        for region in sorted(regions.get(code, {}).values(), key=str.casefold):
            choices.append((f"{code}{REGION_SEPARATOR}{region}", f"{name} – {region}"))
    return choices


def fiscal_year_choices(accounts: QuerySet[KeyAccount], current: int) -> list[tuple[str, str]]:
    years = set(
        AccountPlan.objects.filter(account__in=accounts)
        .order_by()
        .values_list("fiscal_year", flat=True)
        .distinct()
    )
    years.add(current)
    return [(str(year), _("FY %(year)s") % {"year": year}) for year in sorted(years, reverse=True)]


def owner_choices(accounts: QuerySet[KeyAccount]) -> list[tuple[str, str]]:
    """The owners of the accounts, by name. One query, without a user object for each of the
    hundreds of managers a large sales organisation has."""
    user = get_user_model()
    rows = (
        user.objects.filter(pk__in=accounts.values("owner_id"))
        .order_by("last_name", "first_name", "username")
        .values_list("pk", "first_name", "last_name", "username")
    )
    return [(str(pk), user.name_of(first, last, username)) for pk, first, last, username in rows]


def filter_choices(accounts: QuerySet[KeyAccount], current_year: int) -> dict[str, list]:
    """The choices of the filters over the accounts a user may see. Four queries."""
    visible = accounts.order_by()
    return {
        "fiscal_year": fiscal_year_choices(visible, current_year),
        "region": region_choices(visible),
        "owner": owner_choices(visible),
    }


class DashboardFilter(django_filters.FilterSet):
    fiscal_year = django_filters.ChoiceFilter(
        choices=(), label=_("Fiscal year"), empty_label=None, method="keep"
    )
    region = django_filters.ChoiceFilter(
        choices=(), label=_("Region"), empty_label=_("All"), method="filter_region"
    )
    tier = django_filters.ChoiceFilter(choices=Tier.choices, label=_("Tier"), empty_label=_("All"))
    owner = django_filters.ChoiceFilter(
        choices=(), label=_("Key account manager"), empty_label=_("All"), field_name="owner_id"
    )

    class Meta:
        model = KeyAccount
        form = FilterForm
        fields = ["fiscal_year", "region", "tier", "owner"]

    def __init__(self, data=None, *args, current_year: int, choices: dict | None = None, **kwargs):
        # The select shows the year that is read, so a page without one shows the current.
        data = data.copy() if data is not None else None
        if data is not None and not data.get("fiscal_year"):
            data["fiscal_year"] = str(current_year)
        super().__init__(data, *args, **kwargs)
        self.current_year = current_year
        # `choices`: what `filter_choices` returned for this queryset, when it was kept.
        choices = choices or filter_choices(self.queryset, current_year)
        for name, options in choices.items():
            self.filters[name].extra["choices"] = options

    @property
    def year(self) -> int:
        """The chosen year, or the current one when the choice is missing or invalid."""
        self.form.is_valid()  # cleaned_data keeps the valid fields when another one is not
        year = getattr(self.form, "cleaned_data", {}).get("fiscal_year")
        return int(year) if year else self.current_year

    def keep(self, queryset, name, value):
        return queryset

    def filter_region(self, queryset, name, value):
        country, _sep, region = value.partition(REGION_SEPARATOR)
        sites = Site.objects.filter(account=OuterRef("pk"), country=country)
        if region:
            return queryset.filter(Exists(sites.filter(region__iexact=region)))
        return queryset.filter(Q(country=country) | Exists(sites))


def viewer_of(user) -> str | int:
    """Whose kept dashboard a user reads: everyone who sees all accounts sees the same one."""
    return "all" if user.sees_all_accounts else user.pk


class KeptChoices(NamedTuple):
    visible: QuerySet[KeyAccount]  # the accounts the user may see
    current_year: int
    choices: dict[str, list]  # the filters' choices over those accounts
    accounts: int  # how many


def kept_choices(user) -> KeptChoices:
    """The accounts the user may see, the current fiscal year and the filters' choices over
    those accounts and how many they are, kept until a watched table is written (kam.kept; one
    set for everyone who sees all accounts, one per manager)."""
    visible = KeyAccount.objects.visible_to(user).not_archived()
    current_year = current_fiscal_year()
    choices, accounts = kept.value(
        "dashboard-choices",
        lambda: (filter_choices(visible, current_year), visible.count()),
        inputs={"viewer": viewer_of(user), "year": current_year},
    )
    return KeptChoices(visible, current_year, choices, accounts)


def filter_labels(user):
    """A function from a dashboard query string to its chosen filters in words, as (label,
    choice) pairs, over the accounts `user` may see."""
    visible, current_year, choices, _accounts = kept_choices(user)

    def describe(data) -> list[tuple[str, str]]:
        chosen = DashboardFilter(data, queryset=visible, current_year=current_year, choices=choices)
        chosen.form.is_valid()  # invalid choices are ignored, as by the dashboard
        valid = getattr(chosen.form, "cleaned_data", {})
        return [
            (str(field.label), str(dict(field.field.choices)[field.value()]))
            for field in chosen.form
            if valid.get(field.name)
        ]

    return describe
