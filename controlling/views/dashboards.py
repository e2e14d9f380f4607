"""The manager home and the leadership dashboard (read models in controlling.selectors)."""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from accounts.models import KeyAccount, PortfolioQuadrant
from controlling import charts
from controlling.filters import DashboardFilter, kept_choices, viewer_of
from controlling.selectors import attainment, dashboard_cache, portfolio
from controlling.selectors import dashboard as leadership
from controlling.selectors import home as my_home
from controlling.selectors.costs import COST_ORDERS, PlanPages, cost_caps, cost_lines_for
from goals.models import GoalArea, Perspective
from kam import changes
from kam.fiscal import current_fiscal_year
from kam.http import AuthenticatedRequest

HOME_ACCOUNTS_PAGE_SIZE = 20
HOME_LIST_PAGE_SIZE = 10
HEATMAP_PAGE_SIZE = 20
COSTS_PAGE_SIZE = 20


# The heatmap's orders (attainment.heatmap_accounts): by name, or worst attainment first.
HEATMAP_SORTS = ("name", "attainment")


@dataclass
class Section:
    """A paginated list of a page with several: its own page parameter, the others kept."""

    page: Page
    param: str
    anchor: str
    request: AuthenticatedRequest

    def _url(self, number: int) -> str:
        query = self.request.GET.copy()
        query[self.param] = str(number)
        return f"?{query.urlencode()}#{self.anchor}"

    @property
    def previous_url(self) -> str:
        return self._url(self.page.previous_page_number()) if self.page.has_previous() else ""

    @property
    def next_url(self) -> str:
        return self._url(self.page.next_page_number()) if self.page.has_next() else ""


def _section(request, items, size: int, param: str, anchor: str) -> Section:
    page = Paginator(items, size).get_page(request.GET.get(param))
    return Section(page=page, param=param, anchor=anchor, request=request)


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
        request,
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
            request,
            my_home.my_open_deviations(user=user),
            HOME_LIST_PAGE_SIZE,
            "deviations_page",
            "my-deviations",
        ),
        "measures": _section(
            request, measures, HOME_LIST_PAGE_SIZE, "measures_page", "my-measures"
        ),
        "measure_counts": measure_counts,
        "due_days": my_home.DUE_WITHIN_DAYS,
        "contacts": _section(
            request, contacts, HOME_LIST_PAGE_SIZE, "contacts_page", "my-contacts"
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

    The page is kept, rendered, until the change number (kam.changes) goes up: any write to
    what it shows, a controlling run included. It is kept per filter, page and sort, per
    language and day (deviation ages and waiting times are in days), and per viewer:
    everyone who sees all accounts shares one, a manager has their own. Computing it takes a
    fixed number of queries for any number of accounts (`_dashboard_context`)."""
    leadership.without_jit()
    user = request.user
    version = str(changes.current())
    visible, current_year, choices = kept_choices(user, version)
    dashboard_filter = DashboardFilter(
        request.GET, queryset=visible, current_year=current_year, choices=choices
    )
    html = changes.remembered(
        "dashboard",
        version,
        lambda: render_to_string(
            "controlling/dashboard_body.html",
            _dashboard_context(request, dashboard_filter, choices),
            request,
        ),
        viewer_of(user),
        sorted(request.GET.lists()),
        timezone.localdate(),
    )
    if request.htmx:
        return HttpResponse(html)
    context = {
        "filter": dashboard_filter,
        "sees_all": user.sees_all_accounts,
        "dashboard": mark_safe(html),  # noqa: S308 -- rendered by the template engine
    }
    return render(request, "controlling/dashboard.html", context)


def _dashboard_context(
    request: AuthenticatedRequest, dashboard_filter: DashboardFilter, choices
) -> dict:
    """What the dashboard shows. Figures over the whole filtered set are added up in the
    database (and kept under a stamp of their inputs, controlling.selectors.dashboard_cache),
    and only the accounts shown (a page of each table, the largest accounts in the portfolio
    chart) are loaded."""
    user = request.user
    if not user.sees_all_accounts:
        # A manager's accounts are few; as a list of ids they let the database plan each
        # aggregate for those few, where "owner or team member" makes it expect thousands.
        ids = list(dashboard_filter.queryset.values_list("pk", flat=True))
        dashboard_filter = DashboardFilter(
            request.GET,
            queryset=KeyAccount.objects.filter(pk__in=ids),
            current_year=dashboard_filter.current_year,
            choices=choices,
        )
    fiscal_year = dashboard_filter.year
    selected = dashboard_filter.qs.order_by()
    stamp = dashboard_cache.stamp(selected)
    accounts_count = stamp.accounts

    bands = attainment.attainment_bands()
    caps = cost_caps()
    matrix = portfolio.portfolio_of(
        stamp.remembered(
            "portfolio",
            lambda: portfolio.portfolio_ranks(
                accounts=selected, fiscal_year=fiscal_year, limit=portfolio.PORTFOLIO_BUBBLES
            ),
            fiscal_year,
            portfolio.PORTFOLIO_BUBBLES,
        )
    )
    size_label = _("Revenue FY %(year)s") % {"year": fiscal_year}
    portfolio_config, portfolio_table = charts.portfolio_chart(
        matrix,
        attainment=matrix.attainment,
        bands=bands,
        size_label=size_label,
    )

    heatmap_sort = request.GET.get("heatmap_sort")
    heatmap_sort = heatmap_sort if heatmap_sort in HEATMAP_SORTS else "name"
    heatmap = _section(
        request,
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

    totals = stamp.remembered(
        "year_totals",
        lambda: leadership.year_totals(
            accounts=selected, fiscal_year=fiscal_year, bands=bands, total=accounts_count, caps=caps
        ),
        fiscal_year,
        bands,
        sorted(caps.items()),
    )
    costs_sort = request.GET.get("costs_sort")
    costs_sort = costs_sort if costs_sort in COST_ORDERS else "name"
    plans = PlanPages(
        accounts=selected, fiscal_year=fiscal_year, sort=costs_sort, count=totals.plans
    )
    costs = _section(request, plans, COSTS_PAGE_SIZE, "costs_page", "costs")
    cost_lines = cost_lines_for(list(costs.page.object_list), caps)

    funnel, whitespace = stamp.remembered(
        "selling",
        lambda: leadership.selling_summary(accounts=selected.values("pk"), total=accounts_count),
    )
    funnel_config, funnel_table = charts.funnel_chart(funnel)
    return {
        "filter": dashboard_filter,
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
        "funnel": funnel,
        "funnel_config": funnel_config,
        "funnel_table": funnel_table,
        "whitespace": whitespace,
        "series": [(s, *charts.cumulative_chart(s)) for s in totals.series],
        "currencies": stamp.remembered("currencies", lambda: leadership.currencies(selected)),
    }
