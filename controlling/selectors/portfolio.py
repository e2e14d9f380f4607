"""The portfolio matrix of the leadership dashboard: accounts sized by revenue, the largest
drawn, the quadrants counted."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Lower
from django.utils.translation import gettext_lazy as _

from accounts.models import (
    PORTFOLIO_MIDPOINT,
    KeyAccount,
    PortfolioQuadrant,
)
from accounts.selectors import PortfolioPosition
from controlling.models import (
    AccountFigures,
    Actual,
)
from controlling.selectors.attainment import REVENUE, Attainment, with_year
from kam.fiscal import current_fiscal_year, fiscal_year_bounds


def _revenue_actuals(fiscal_year: int) -> QuerySet[Actual]:
    start, end = fiscal_year_bounds(fiscal_year)
    return Actual.objects.filter(kpi__code=REVENUE, month__gte=start, month__lte=end)


class AccountRevenue:
    """A callable with a `label`, the figure's name, as the portfolio matrix's size provider
    may have (a class, since a function's attribute is unknown to type checkers)."""

    label = _("Revenue, fiscal year to date")

    def __call__(self, *, account_ids: Iterable[int], fiscal_year: int | None = None) -> dict:
        """Account id -> the sum of its revenue actuals over the fiscal year's months (the
        current fiscal year by default, so year to date while it runs); accounts without any
        are missing. One query. The setting KAM_ACCOUNT_SIZE_PROVIDER points here, so the
        portfolio matrix sizes its bubbles by revenue without accounts importing controlling."""
        rows = (
            _revenue_actuals(fiscal_year or current_fiscal_year())
            .filter(account_id__in=list(account_ids))
            .values("account_id")
            .annotate(total=Sum("value"))
            .values_list("account_id", "total")
            .order_by()
        )
        return dict(rows)


account_revenue = AccountRevenue()


# The portfolio chart draws the accounts with the largest revenue: a bubble chart of
# thousands of accounts is unreadable and would weigh megabytes; the quadrant counts cover all.
PORTFOLIO_BUBBLES = 100


@dataclass
class Portfolio:
    """The KAM portfolio matrix of a set of accounts (cf. accounts.selectors.PortfolioMatrix):
    every scored account counted per quadrant, and those with the largest revenue placed."""

    positions: list[PortfolioPosition]  # the largest `limit` scored accounts, by revenue
    counts: dict[str, int]  # per quadrant
    scored: int
    unscored: int
    # Of the placed accounts, as of the last run (percent only: the bubbles' colour).
    attainment: dict[int, "Attainment"] = field(default_factory=dict)


@dataclass
class PortfolioRanks:
    """What `portfolio` reads over the whole set of accounts, without the accounts themselves:
    small enough to keep (kam.kept, controlling.views.dashboards)."""

    counts: dict[str, int]  # per quadrant
    total: int
    # The placed accounts, largest first: id, revenue, attainment weighted and weights.
    ranked: list[tuple[int, Decimal, Decimal | None, int | None]]


def portfolio_ranks(
    *, accounts: QuerySet[KeyAccount], fiscal_year: int, limit: int
) -> PortfolioRanks:
    """Quadrant counts, and the `limit` scored accounts with the largest revenue in the fiscal
    year (as `account_revenue` sums it) with their attainment, largest first, from the last
    run's figures. Two queries (three when fewer than `limit` have revenue)."""
    money = DecimalField(max_digits=20, decimal_places=2)
    attractive, strong = (
        Q(attractiveness__gte=PORTFOLIO_MIDPOINT),
        Q(relative_strength__gte=PORTFOLIO_MIDPOINT),
    )
    unattractive, weak = (
        Q(attractiveness__lt=PORTFOLIO_MIDPOINT),
        Q(relative_strength__lt=PORTFOLIO_MIDPOINT),
    )
    counts = accounts.aggregate(
        **{
            PortfolioQuadrant.STRATEGIC: Count("pk", filter=attractive & strong),
            PortfolioQuadrant.DEVELOPMENT: Count("pk", filter=attractive & weak),
            PortfolioQuadrant.STATUS: Count("pk", filter=unattractive & strong),
            PortfolioQuadrant.STREAMLINE: Count("pk", filter=unattractive & weak),
            "all": Count("pk"),
        }
    )
    total = counts.pop("all")
    scored_accounts = accounts.filter(attractiveness__isnull=False, relative_strength__isnull=False)
    # Those with revenue, largest first, read down an index; the rest (none, zero or negative
    # revenue) only when fewer than `limit` have any, as `with_year` ranks them.
    ranked: list[tuple[int, Decimal, Decimal | None, int | None]] = list(
        AccountFigures.objects.filter(
            fiscal_year=fiscal_year, revenue__gt=0, account__in=scored_accounts
        )
        .order_by("-revenue", Lower("account__name"), "account_id")
        .values_list("account_id", "revenue", "attainment_weighted", "attainment_weights")[:limit]
    )
    if len(ranked) < limit:
        ranked += (
            with_year(scored_accounts.exclude(pk__in=[row[0] for row in ranked]), fiscal_year)
            .annotate(revenue=Coalesce("year__revenue", Value(Decimal(0)), output_field=money))
            .order_by("-revenue", Lower("name"), "pk")
            .values_list("pk", "revenue", "year__attainment_weighted", "year__attainment_weights")[
                : limit - len(ranked)
            ]
        )
    return PortfolioRanks(counts=counts, total=total, ranked=ranked)


def portfolio_of(ranks: PortfolioRanks) -> Portfolio:
    """The portfolio with its placed accounts and their owners loaded. One query."""
    loaded = KeyAccount.objects.select_related("owner").in_bulk([row[0] for row in ranks.ranked])
    positions = []
    for pk, revenue, _weighted, _weights in ranks.ranked:
        account = loaded[pk]
        quadrant = PortfolioQuadrant.of(account.attractiveness, account.relative_strength)
        assert quadrant is not None  # only scored accounts are ranked
        positions.append(PortfolioPosition(account=account, quadrant=quadrant, size=revenue))
    attainment = {
        pk: Attainment(percent=Attainment.percent_of(weighted, weights))
        for pk, _revenue, weighted, weights in ranks.ranked
    }
    scored = sum(ranks.counts.values())
    return Portfolio(
        positions=positions,
        counts=ranks.counts,
        scored=scored,
        unscored=ranks.total - scored,
        attainment=attainment,
    )


def portfolio(*, accounts: QuerySet[KeyAccount], fiscal_year: int, limit: int) -> Portfolio:
    """The KAM portfolio of the accounts (`portfolio_ranks`, `portfolio_of`). Three queries."""
    return portfolio_of(portfolio_ranks(accounts=accounts, fiscal_year=fiscal_year, limit=limit))
