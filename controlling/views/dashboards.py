"""The manager home and the leadership dashboard (read models in controlling.selectors)."""

import math
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from accounts.models import AccountTeamMember, KeyAccount, PortfolioQuadrant, Site
from controlling import charts
from controlling.filters import DashboardFilter, kept_choices, viewer_of
from controlling.models import AccountFigures, SellingFigures
from controlling.selectors import attainment, portfolio
from controlling.selectors import dashboard as leadership
from controlling.selectors import home as my_home
from controlling.selectors.costs import COST_ORDERS, PlanPages, cost_caps, cost_lines_for
from goals.models import GoalArea, Perspective
from kam import kept
from kam.fiscal import current_fiscal_year
from kam.http import AuthenticatedRequest

HOME_ACCOUNTS_PAGE_SIZE = 20
HOME_LIST_PAGE_SIZE = 10
HEATMAP_PAGE_SIZE = 20
COSTS_PAGE_SIZE = 20


# The heatmap's orders (attainment.heatmap_accounts): by name, or worst attainment first.
HEATMAP_SORTS = ("name", "attainment")
# The dashboard's parameters besides its filters: sorts (the first is the default) and pages.
SORTS = {"heatmap_sort": HEATMAP_SORTS, "costs_sort": tuple(COST_ORDERS)}
PAGES = {"heatmap_page": HEATMAP_PAGE_SIZE, "costs_page": COSTS_PAGE_SIZE}
# What the whole-portfolio figures read (tests/controlling/test_dashboard_kept.py holds them
# to it): the filtered accounts, as visible (teams) and by region (sites), and the figures of
# the run. A plan, measure or deviation edited recomputes the page, which reads these kept.
FIGURE_TABLES = [KeyAccount, AccountTeamMember, Site, AccountFigures, SellingFigures]


@dataclass
class Section:
    """A paginated list of a page with several: its own page parameter, the others kept."""

    page: Page
    param: str
    anchor: str
    query: QueryDict

    def _url(self, number: int) -> str:
        query = self.query.copy()
        query[self.param] = str(number)
        return f"?{query.urlencode()}#{self.anchor}"

    @property
    def previous_url(self) -> str:
        return self._url(self.page.previous_page_number()) if self.page.has_previous() else ""

    @property
    def next_url(self) -> str:
        return self._url(self.page.next_page_number()) if self.page.has_next() else ""


def _section(query: QueryDict, items, size: int, param: str, anchor: str) -> Section:
    page = Paginator(items, size).get_page(query.get(param))
    return Section(page=page, param=param, anchor=anchor, query=query)


@login_required
@require_safe
def home(request: AuthenticatedRequest) -> HttpResponse:
    """The manager's start of the day: their accounts with plan status and attainment, their
    open deviations, measures due, contacts overdue and unread alerts."""
    leadership.without_jit()
    user = request.user
    today = timezone.localdate()
    fiscal_year = current_fiscal_year(today)
    accounts = _section(
        request.GET,
        my_home.my_accounts(user),
        HOME_ACCOUNTS_PAGE_SIZE,
        "accounts_page",
        "my-accounts",
    )
    measures = my_home.my_due_measures(user=user, today=today)
    measure_counts = measures.aggregate(
        overdue=Count("pk", filter=Q(due_date__lt=today)),
        due=Count("pk", filter=Q(due_date__gte=today)),
    )
    contacts = my_home.my_overdue_contacts(user=user, today=today)
    bands = attainment.attainment_bands()
    context = {
        "today": today,
        "fiscal_year": fiscal_year,
        "accounts": accounts,
        "lines": my_home.account_lines(
            accounts=list(accounts.page.object_list), fiscal_year=fiscal_year, bands=bands
        ),
        "deviations": _section(
            request.GET,
            my_home.my_open_deviations(user=user),
            HOME_LIST_PAGE_SIZE,
            "deviations_page",
            "my-deviations",
        ),
        "measures": _section(
            request.GET, measures, HOME_LIST_PAGE_SIZE, "measures_page", "my-measures"
        ),
        "measure_counts": measure_counts,
        "due_days": my_home.DUE_WITHIN_DAYS,
        "contacts": _section(
            request.GET, contacts, HOME_LIST_PAGE_SIZE, "contacts_page", "my-contacts"
        ),
        "alerts": my_home.my_alerts(user=user),
        "now": timezone.now(),
    }
    return render(request, "controlling/home.html", context)


@login_required
@require_safe
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    """Leadership's view across the portfolio. Everyone may open it; it covers the accounts
    the user may see, so a manager gets the same page over their own accounts.

    The page is kept, rendered, until a watched table is written (kam.kept: any write to what
    it shows, a controlling run included). It is kept per filter, page and sort as
    `kept_query` normalises them, per language and day (deviation ages and waiting times are
    in days), and per viewer: everyone who sees all accounts shares one, a manager has their
    own. Computing it takes a fixed number of queries for any number of accounts
    (`_dashboard_context`)."""
    leadership.without_jit()
    user = request.user
    visible, current_year, choices, accounts = kept_choices(user)
    requested = DashboardFilter(
        request.GET, queryset=visible, current_year=current_year, choices=choices
    )
    query = kept_query(requested, request.GET, accounts=accounts)
    invalid = [name for name in requested.form.fields if name in requested.form.errors]

    def render_body() -> str:
        shown = DashboardFilter(query, queryset=visible, current_year=current_year, choices=choices)
        context = _dashboard_context(request, shown, choices, query)
        context["invalid_filters"] = [str(shown.form.fields[name].label) for name in invalid]
        return render_to_string("controlling/dashboard_body.html", context, request)

    html = kept.value(
        "dashboard",
        render_body,
        inputs={
            "viewer": viewer_of(user),
            "query": query.urlencode(),
            "invalid": invalid,
            "day": timezone.localdate().isoformat(),
        },
    )
    if request.htmx:
        return HttpResponse(html)
    context = {
        "filter": requested,
        "sees_all": user.sees_all_accounts,
        "dashboard": mark_safe(html),  # noqa: S308 -- rendered by the template engine
    }
    return render(request, "controlling/dashboard.html", context)


def kept_query(dashboard_filter: DashboardFilter, data: QueryDict, *, accounts: int) -> QueryDict:
    """What a dashboard request asks for, as its page is kept and rendered: the filters' valid
    choices but the current year, the known sorts but the default, page numbers up to the last
    that `accounts` fill but the first; in one order. Nothing else of `data` (unknown
    parameters, invalid values, their order) reaches the key, so they cannot multiply the
    entries."""
    dashboard_filter.form.is_valid()
    valid = getattr(dashboard_filter.form, "cleaned_data", {})
    query = QueryDict(mutable=True)
    for name in dashboard_filter.form.fields:
        value = str(valid.get(name) or "")
        if value and not (name == "fiscal_year" and value == str(dashboard_filter.current_year)):
            query[name] = value
    for name, orders in SORTS.items():
        sort = data.get(name, "")
        if sort in orders[1:]:
            query[name] = sort
    for name, size in PAGES.items():
        text = data.get(name, "")
        number = int(text) if text.isascii() and text.isdigit() and len(text) < 10 else 1
        number = min(number, math.ceil(accounts / size))
        if number > 1:
            query[name] = str(number)
    return query


@dataclass(frozen=True)
class PortfolioFigures:
    """What the dashboard adds up over the whole filtered portfolio, from the run's figures."""

    accounts: int
    ranks: portfolio.PortfolioRanks
    totals: leadership.YearTotals
    funnel: list[leadership.FunnelStep]
    whitespace: leadership.Whitespace
    currencies: list[str]


def _portfolio_figures(selected, fiscal_year: int, bands, caps) -> PortfolioFigures:
    accounts = selected.count()
    funnel, whitespace = leadership.selling_summary(accounts=selected.values("pk"), total=accounts)
    return PortfolioFigures(
        accounts=accounts,
        ranks=portfolio.portfolio_ranks(
            accounts=selected, fiscal_year=fiscal_year, limit=portfolio.PORTFOLIO_BUBBLES
        ),
        totals=leadership.year_totals(
            accounts=selected, fiscal_year=fiscal_year, bands=bands, total=accounts, caps=caps
        ),
        funnel=funnel,
        whitespace=whitespace,
        currencies=leadership.currencies(selected),
    )


def _dashboard_context(
    request: AuthenticatedRequest, dashboard_filter: DashboardFilter, choices, query: QueryDict
) -> dict:
    """What the dashboard shows for the normalised `query`. Figures over the whole filtered
    set are added up in the database and kept until a table they read is written
    (`FIGURE_TABLES`), and only the accounts shown (a page of each table, the largest
    accounts in the portfolio chart) are loaded."""
    user = request.user
    if not user.sees_all_accounts:
        # A manager's accounts are few; as a list of ids they let the database plan each
        # aggregate for those few, where "owner or team member" makes it expect thousands.
        ids = list(dashboard_filter.queryset.values_list("pk", flat=True))
        dashboard_filter = DashboardFilter(
            query,
            queryset=KeyAccount.objects.filter(pk__in=ids),
            current_year=dashboard_filter.current_year,
            choices=choices,
        )
    fiscal_year = dashboard_filter.year
    selected = dashboard_filter.qs.order_by()

    bands = attainment.attainment_bands()
    caps = cost_caps()
    filters = [(name, query[name]) for name in dashboard_filter.form.fields if name in query]
    figures = kept.value(
        "dashboard-figures",
        lambda: _portfolio_figures(selected, fiscal_year, bands, caps),
        tables=FIGURE_TABLES,
        inputs={
            "viewer": viewer_of(user),
            "filters": filters,
            "year": fiscal_year,
            "bands": bands,
            "caps": sorted(caps.items()),
        },
    )
    accounts_count = figures.accounts
    totals = figures.totals

    matrix = portfolio.portfolio_of(figures.ranks)
    size_label = _("Revenue FY %(year)s") % {"year": fiscal_year}
    portfolio_config, portfolio_table = charts.portfolio_chart(
        matrix,
        attainment=matrix.attainment,
        bands=bands,
        size_label=size_label,
    )

    heatmap_sort = query.get("heatmap_sort", HEATMAP_SORTS[0])
    heatmap = _section(
        query,
        attainment.heatmap_accounts(accounts=selected, fiscal_year=fiscal_year, sort=heatmap_sort),
        HEATMAP_PAGE_SIZE,
        "heatmap_page",
        "heatmap",
    )
    shown = list(heatmap.page.object_list)
    heatmap_rows = attainment.heatmap_rows(
        accounts=shown,
        fiscal_year=fiscal_year,
        overall=attainment.account_attainment(
            accounts=[a.pk for a in shown], fiscal_year=fiscal_year
        ),
        bands=bands,
    )

    costs_sort = query.get("costs_sort", SORTS["costs_sort"][0])
    plans = PlanPages(
        accounts=selected, fiscal_year=fiscal_year, sort=costs_sort, count=totals.plans
    )
    costs = _section(query, plans, COSTS_PAGE_SIZE, "costs_page", "costs")
    cost_lines = cost_lines_for(list(costs.page.object_list), caps)

    funnel_config, funnel_table = charts.funnel_chart(figures.funnel)
    return {
        "filter": dashboard_filter,
        "query": query,
        "fiscal_year": fiscal_year,
        "accounts_count": accounts_count,
        "sees_all": user.sees_all_accounts,
        "matrix": matrix,
        "quadrants": [(q, matrix.counts[q]) for q in PortfolioQuadrant],
        "portfolio_config": portfolio_config,
        "portfolio_table": portfolio_table,
        "size_label": size_label,
        "bands": bands,
        "band_labels": charts.band_labels(bands),
        "band_counts": totals.bands,
        "heatmap": heatmap,
        "heatmap_rows": heatmap_rows,
        "heatmap_sort": heatmap_sort,
        "perspectives": Perspective.choices,
        "goal_areas": GoalArea.choices,
        "deviations": leadership.deviation_summary(
            accounts=selected,
            fiscal_year=fiscal_year,
            counts=(totals.open_deviations, totals.uncountered_deviations),
        ),
        "approvals": leadership.approvals(user=user, accounts=selected),
        "costs": costs,
        "cost_lines": cost_lines,
        "costs_sort": costs_sort,
        "cost_totals": totals.costs,
        "funnel": figures.funnel,
        "funnel_config": funnel_config,
        "funnel_table": funnel_table,
        "whitespace": figures.whitespace,
        "series": [(s, *charts.cumulative_chart(s)) for s in totals.series],
        "currencies": figures.currencies,
    }
