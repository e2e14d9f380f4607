"""Read models of the manager home and the leadership dashboard.

Both pages read what the controlling run stored (`GoalState`, `GoalResult`, `Deviation`) and
never recompute it. Every function here costs a fixed number of queries whatever the number
of accounts, goals or months: figures are grouped in the database (one row per account, or
per account and perspective) and only the accounts of the page being shown are detailed.

**Goal attainment** of an account in a fiscal year is the weighted mean of the attainment
(`GoalState.attainment_percent`) of the goals of its plan for that year, each goal weighing
its `weight` (1-100). Each goal's attainment is first clamped to 0-150 %, so one goal far
above plan cannot hide others below it, and a negative attainment counts as nothing. Goals
without an attainment yet (no actual or rating, or a zero plan) are left out; an account
without any such goal has no attainment ("no data"), not 0 %. The same rule gives the
attainment per scorecard perspective and per KAM goal area (the goals of that group only).

**Bands** colour attainment like goal statuses, from the global threshold: at least
100 − at-risk % is on track, at least 100 − off-track % at risk, below that off track.
"""

import datetime
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    FloatField,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Lower, NullIf
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import (
    PORTFOLIO_MIDPOINT,
    AccountTeamMember,
    KeyAccount,
    PortfolioQuadrant,
    Stakeholder,
    Tier,
)
from accounts.selectors import PortfolioPosition
from goals.models import (
    AccountPlan,
    FrameRule,
    FrameRuleKind,
    Goal,
    GoalArea,
    GoalKind,
    Measure,
    MeasureStatus,
    PathStage,
    Perspective,
    Rollup,
    fiscal_year_bounds,
    fiscal_year_for,
)
from goals.selectors.workflow import QueuedPlan, approval_queue, queued_plans
from goals.services.goals import month_label, plan_months

from .access import deviations_visible_to
from .models import (
    DEFAULT_AT_RISK_PERCENT,
    DEFAULT_OFF_TRACK_PERCENT,
    AccountFigures,
    Actual,
    Deviation,
    GoalResult,
    GoalStatus,
    Notification,
    SellingFigures,
    Threshold,
    series_field,
)

ATTAINMENT_CAP = Decimal(150)
REVENUE = "revenue"
CONTRIBUTION_MARGIN = "contribution_margin"
DUE_WITHIN_DAYS = 14
TENTH = Decimal("0.1")
OPEN_MEASURE = (MeasureStatus.PLANNED, MeasureStatus.IN_PROGRESS)


def current_fiscal_year(today: datetime.date | None = None) -> int:
    return fiscal_year_for(today or timezone.localdate())


def without_jit() -> None:
    """Switch PostgreSQL's JIT compilation off for the rest of the request's transaction.

    The planner compiles a query to machine code when it expects it to be expensive; for the
    aggregates of a large portfolio that compilation took 0.2 to 4 seconds per query in the
    dashboard benchmark (bench/dashboard.py), many times what the query itself takes. With
    ATOMIC_REQUESTS every request is one transaction, so SET LOCAL ends with it."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


# --- attainment --------------------------------------------------------------------------------


def _capped(prefix: str = "state__") -> Case:
    attainment = f"{prefix}attainment_percent"
    return Case(
        When(**{f"{attainment}__gt": ATTAINMENT_CAP}, then=Value(ATTAINMENT_CAP)),
        When(**{f"{attainment}__lt": 0}, then=Value(Decimal(0))),
        default=F(attainment),
        output_field=DecimalField(max_digits=20, decimal_places=2),
    )


def _attainment_aggregates() -> dict:
    measured = Q(state__attainment_percent__isnull=False)
    return {
        "weighted": Sum(
            ExpressionWrapper(
                _capped() * F("weight"), output_field=DecimalField(max_digits=24, decimal_places=2)
            ),
            filter=measured,
        ),
        "weights": Sum("weight", filter=measured),
        "measured": Count("pk", filter=measured),
        "goal_count": Count("pk"),
        "off_track": Count("pk", filter=Q(state__status=GoalStatus.OFF_TRACK)),
        "at_risk": Count("pk", filter=Q(state__status=GoalStatus.AT_RISK)),
    }


@dataclass(frozen=True)
class Attainment:
    """Goal attainment of a group of goals (an account's plan, or one perspective of it)."""

    percent: Decimal | None = None
    measured: int = 0  # goals with an attainment
    goals: int = 0
    off_track: int = 0
    at_risk: int = 0

    @staticmethod
    def percent_of(weighted, weights: int | None) -> Decimal | None:
        if not weights:
            return None
        return (Decimal(str(weighted)) / weights).quantize(TENTH, rounding=ROUND_HALF_UP)

    @classmethod
    def of(cls, row: dict) -> "Attainment":
        return cls(
            percent=cls.percent_of(row["weighted"], row.get("weights")),
            measured=row["measured"],
            goals=row["goal_count"],
            off_track=row["off_track"],
            at_risk=row["at_risk"],
        )


def _plan_goals(accounts, fiscal_year: int) -> QuerySet[Goal]:
    """`accounts`: ids or a KeyAccount queryset (then used as a subquery, not a long IN list)."""
    return Goal.objects.filter(plan__fiscal_year=fiscal_year, plan__account__in=accounts)


def account_attainment(*, accounts, fiscal_year: int) -> dict[int, Attainment]:
    """Account id -> attainment of its plan's goals for the fiscal year. One query; accounts
    without a goal in that year are missing."""
    rows = (
        _plan_goals(accounts, fiscal_year)
        .values("plan__account_id")
        .annotate(**_attainment_aggregates())
        .order_by()
    )
    return {row["plan__account_id"]: Attainment.of(row) for row in rows}


def attainment_by(*, accounts, fiscal_year: int, group: str) -> dict[tuple[int, str], Attainment]:
    """(account id, perspective or goal area) -> attainment of that group's goals. One query.

    group: "perspective" or "goal_area"."""
    rows = (
        _plan_goals(accounts, fiscal_year)
        .values("plan__account_id", group)
        .annotate(**_attainment_aggregates())
        .order_by()
    )
    return {(row["plan__account_id"], row[group]): Attainment.of(row) for row in rows}


@dataclass(frozen=True)
class Bands:
    """Where attainment turns from on track to at risk to off track (percent attained)."""

    on_track_from: Decimal
    at_risk_from: Decimal

    def status(self, percent: Decimal | None) -> str:
        if percent is None:
            return GoalStatus.NO_DATA
        if percent >= self.on_track_from:
            return GoalStatus.ON_TRACK
        if percent >= self.at_risk_from:
            return GoalStatus.AT_RISK
        return GoalStatus.OFF_TRACK


def attainment_bands() -> Bands:
    """The bands of the global threshold (the defaults when it is missing). One query."""
    threshold = Threshold.objects.filter(kpi__isnull=True).first()
    at_risk = threshold.at_risk_percent if threshold else DEFAULT_AT_RISK_PERCENT
    off_track = threshold.off_track_percent if threshold else DEFAULT_OFF_TRACK_PERCENT
    return Bands(on_track_from=100 - at_risk, at_risk_from=100 - off_track)


def _band_aggregates(bands: Bands) -> dict:
    """Aggregates over `AccountFigures` counting the plans in each attainment band.

    Compared by multiplying, as exact on every database as `Attainment.of`: its percent,
    rounded half up to a tenth, reaches a band's lower bound B exactly when the weighted sum
    reaches (B - 0.05) x the weights."""
    half = Decimal("0.05")
    weights = F("attainment_weights")
    measured = Q(attainment_weights__gt=0)
    on_track = Q(attainment_weighted__gte=weights * (bands.on_track_from - half))
    at_risk = Q(attainment_weighted__gte=weights * (bands.at_risk_from - half))
    return {
        "band_on": Count("pk", filter=measured & on_track),
        "band_risk": Count("pk", filter=measured & at_risk & ~on_track),
        "band_off": Count("pk", filter=measured & ~at_risk),
    }


def _bands_of(row: dict, total: int) -> dict[str, int]:
    on, risk, off = row["band_on"], row["band_risk"], row["band_off"]
    return {
        GoalStatus.ON_TRACK: on,
        GoalStatus.AT_RISK: risk,
        GoalStatus.OFF_TRACK: off,
        GoalStatus.NO_DATA: total - on - risk - off,
    }


def _year_figures(accounts, fiscal_year: int) -> QuerySet[AccountFigures]:
    """The figures of the accounts' plans of the fiscal year (`accounts`: ids or a queryset)."""
    return AccountFigures.objects.filter(
        fiscal_year=fiscal_year, plan__isnull=False, account__in=accounts
    )


def _with_year(accounts: QuerySet[KeyAccount], fiscal_year: int) -> QuerySet[KeyAccount]:
    """The accounts joined to their figures of the fiscal year as `year` (none: nulls)."""
    return accounts.annotate(
        year=FilteredRelation("figures", condition=Q(figures__fiscal_year=fiscal_year))
    )


def heatmap_accounts(*, accounts: QuerySet[KeyAccount], fiscal_year: int, sort: str) -> QuerySet:
    """The accounts in the heatmap's order, for the database to paginate: by name, or worst
    attainment first (accounts without one last, then by name), as of the last run."""
    if sort != "attainment":
        return accounts.order_by(Lower("name"), "pk")
    # A float is exact enough to order by, and divides alike on every database.
    percent = Cast("year__attainment_weighted", FloatField()) / Cast(
        NullIf("year__attainment_weights", 0), FloatField()
    )
    return (
        _with_year(accounts, fiscal_year)
        .annotate(attainment_rank=percent)
        .order_by(F("attainment_rank").asc(nulls_last=True), Lower("name"), "pk")
    )


# --- revenue (the portfolio matrix's bubble size) ------------------------------------------------


def _revenue_actuals(fiscal_year: int) -> QuerySet[Actual]:
    start, end = fiscal_year_bounds(fiscal_year)
    return Actual.objects.filter(kpi__code=REVENUE, month__gte=start, month__lte=end)


def account_revenue(*, account_ids: Iterable[int], fiscal_year: int | None = None) -> dict:
    """Account id -> the sum of its revenue actuals over the fiscal year's months (the current
    fiscal year by default, so year to date while it runs); accounts without any are missing.
    One query. The setting KAM_ACCOUNT_SIZE_PROVIDER points here, so the portfolio matrix
    sizes its bubbles by revenue without accounts importing controlling."""
    rows = (
        _revenue_actuals(fiscal_year or current_fiscal_year())
        .filter(account_id__in=list(account_ids))
        .values("account_id")
        .annotate(total=Sum("value"))
        .values_list("account_id", "total")
        .order_by()
    )
    return dict(rows)


account_revenue.label = _("Revenue, fiscal year to date")


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
    small enough to keep (kam.kept, controlling.views_dashboards)."""

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
    # revenue) only when fewer than `limit` have any, as `_with_year` ranks them.
    ranked = list(
        AccountFigures.objects.filter(
            fiscal_year=fiscal_year, revenue__gt=0, account__in=scored_accounts
        )
        .order_by("-revenue", Lower("account__name"), "account_id")
        .values_list("account_id", "revenue", "attainment_weighted", "attainment_weights")[:limit]
    )
    if len(ranked) < limit:
        ranked += (
            _with_year(scored_accounts.exclude(pk__in=[row[0] for row in ranked]), fiscal_year)
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
    positions = [
        PortfolioPosition(
            account=(account := loaded[pk]),
            quadrant=PortfolioQuadrant.of(account.attractiveness, account.relative_strength),
            size=revenue,
        )
        for pk, revenue, _weighted, _weights in ranks.ranked
    ]
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


# --- the manager home ----------------------------------------------------------------------------


def my_accounts(user) -> QuerySet[KeyAccount]:
    """The accounts the user owns or is on the team of (for a manager: every account they may
    see), not archived, through the visibility rule. Owned ones first, then by name."""
    team = AccountTeamMember.objects.filter(user=user).values("account_id")
    return (
        KeyAccount.objects.visible_to(user)
        .not_archived()
        .filter(Q(owner=user) | Q(pk__in=team))
        .annotate(
            owned=Case(
                When(owner=user, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("owned", "name", "pk")
    )


def _my_account_ids(user) -> list[int]:
    """The ids of `my_accounts`, as a list: a person's own accounts are few, and the database
    plans the home's queries well from a short list of ids, where the visibility rule's "owner
    or team member" leaves it guessing thousands of accounts (and scanning every goal)."""
    return list(my_accounts(user).values_list("pk", flat=True))


@dataclass
class AccountLine:
    account: KeyAccount
    plan: AccountPlan | None
    attainment: Attainment
    band: str = GoalStatus.NO_DATA
    open_deviations: int = 0

    @property
    def is_owner(self) -> bool:
        return getattr(self.account, "owned", 1) == 0


def account_lines(
    *, accounts: list[KeyAccount], fiscal_year: int, bands: Bands
) -> list[AccountLine]:
    """The home's account rows: the plan of the fiscal year, its attainment and the account's
    open deviations. Three queries for the accounts given (a page of them)."""
    ids = [a.pk for a in accounts]
    plans = {
        p.account_id: p
        for p in AccountPlan.objects.filter(account_id__in=ids, fiscal_year=fiscal_year)
    }
    attainment = account_attainment(accounts=ids, fiscal_year=fiscal_year)
    deviations = dict(
        Deviation.objects.filter(goal__plan__account_id__in=ids, closed_at__isnull=True)
        .values("goal__plan__account_id")
        .annotate(n=Count("pk"))
        .values_list("goal__plan__account_id", "n")
        .order_by()
    )
    return [
        AccountLine(
            account=a,
            plan=plans.get(a.pk),
            attainment=attainment.get(a.pk, Attainment()),
            band=bands.status(attainment[a.pk].percent if a.pk in attainment else None),
            open_deviations=deviations.get(a.pk, 0),
        )
        for a in accounts
    ]


def _severity() -> Case:
    # The expression of the index deviation_open_worst, so the database reads in its order.
    return GoalStatus.severity_expression("to_status")


def my_open_deviations(*, user) -> QuerySet[Deviation]:
    """Open deviations of goals the user owns or on the user's accounts, worst first, then
    oldest first."""
    # Two sets of goals united, each found through an index: "owner or account" as one
    # condition made the database walk every open deviation (80 ms at 10,000 accounts).
    goals = (
        Goal.objects.filter(owner=user)
        .values("pk")
        .order_by()
        .union(Goal.objects.filter(plan__account__in=_my_account_ids(user)).values("pk").order_by())
    )
    return (
        deviations_visible_to(user)
        .filter(closed_at__isnull=True, goal__in=goals)
        .select_related("goal__plan__account", "goal__owner")
        .annotate(severity_rank=_severity())
        .order_by("-severity_rank", "opened_at", "pk")
    )


def my_due_measures(*, user, today: datetime.date) -> QuerySet[Measure]:
    """Open measures (planned or in progress) due within DUE_WITHIN_DAYS days or overdue, that
    the user owns or that belong to the user's accounts; earliest due first."""
    visible = KeyAccount.objects.visible_to(user).not_archived()
    return (
        Measure.objects.filter(
            plan__account__in=visible,
            status__in=OPEN_MEASURE,
            due_date__lte=today + datetime.timedelta(days=DUE_WITHIN_DAYS),
        )
        .filter(Q(owner=user) | Q(plan__account__in=_my_account_ids(user)))
        .select_related("plan__account", "owner")
        .order_by("due_date", "pk")
    )


@dataclass(frozen=True)
class OverdueContact:
    stakeholder: Stakeholder
    due: datetime.date | None  # None: never contacted

    def days_overdue(self, today: datetime.date) -> int | None:
        return None if self.due is None else (today - self.due).days


def my_overdue_contacts(*, user, today: datetime.date) -> list[OverdueContact]:
    """Stakeholders of the user's accounts whose contact interval has passed (the rule of
    `Stakeholder.contact_overdue`, as in the daily reminder), never contacted first, then the
    longest overdue. One query; unlike accounts.selectors.overdue_contacts, which reads every
    account's stakeholders for the reminder, this reads only the user's accounts."""
    stakeholders = (
        Stakeholder.objects.filter(account__in=_my_account_ids(user))
        .with_last_contact()
        .select_related("account")
        .order_by("account__name", "name", "pk")
    )
    overdue = [
        OverdueContact(s, s.next_contact_due(s.last_contact))
        for s in stakeholders
        if s.contact_overdue(s.last_contact, today)
    ]
    overdue.sort(key=lambda c: (c.due is not None, c.due or today))
    return overdue


@dataclass
class Alerts:
    unread: int
    latest: list[Notification]


def my_alerts(*, user, latest: int = 5) -> Alerts:
    """The user's unread notifications: how many, and the newest few. Two queries."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    return Alerts(
        unread=unread.count(),
        latest=list(
            unread.select_related("deviation__goal__plan__account").order_by("-created_at", "-pk")[
                :latest
            ]
        ),
    )


# --- the leadership dashboard --------------------------------------------------------------------


@dataclass(frozen=True)
class HeatCell:
    attainment: Attainment
    band: str


@dataclass
class HeatmapRow:
    account: KeyAccount
    plan: AccountPlan | None
    overall: HeatCell
    perspectives: list[HeatCell]
    areas: list[HeatCell]


def heatmap_rows(
    *,
    accounts: list[KeyAccount],
    fiscal_year: int,
    overall: dict[int, Attainment],
    bands: Bands,
) -> list[HeatmapRow]:
    """One row per account given (a page): attainment overall, per perspective and per goal
    area, and the plan the cells link to. Three queries."""
    ids = [a.pk for a in accounts]
    plans = {
        p.account_id: p
        for p in AccountPlan.objects.filter(account_id__in=ids, fiscal_year=fiscal_year).only(
            "pk", "account_id", "fiscal_year", "status"
        )
    }
    perspectives = attainment_by(accounts=ids, fiscal_year=fiscal_year, group="perspective")
    areas = attainment_by(accounts=ids, fiscal_year=fiscal_year, group="goal_area")

    def cell(attainment: Attainment | None) -> HeatCell:
        attainment = attainment or Attainment()
        return HeatCell(attainment, bands.status(attainment.percent))

    return [
        HeatmapRow(
            account=a,
            plan=plans.get(a.pk),
            overall=cell(overall.get(a.pk)),
            perspectives=[cell(perspectives.get((a.pk, p))) for p in Perspective.values],
            areas=[cell(areas.get((a.pk, g))) for g in GoalArea.values],
        )
        for a in accounts
    ]


def _deviation_aggregates() -> dict:
    return {
        "open_deviations": Coalesce(Sum("open_deviations"), 0),
        "uncountered_deviations": Coalesce(Sum("uncountered_deviations"), 0),
    }


@dataclass
class DeviationSummary:
    worst: list[Deviation]
    without_countermeasure: list[Deviation]
    open_count: int
    without_count: int


def deviation_summary(
    *, accounts, fiscal_year: int, limit: int = 10, counts: tuple[int, int] | None = None
) -> DeviationSummary:
    """Open deviations of the accounts' goals of the fiscal year: the worst (then oldest), and
    those without a countermeasure, oldest first; counted from the last run's figures unless
    `counts` (open, without countermeasure) come from `year_totals`. Three queries."""
    open_ = Deviation.objects.filter(
        closed_at__isnull=True,
        goal__plan__fiscal_year=fiscal_year,
        goal__plan__account__in=accounts,
    ).select_related("goal__plan__account", "goal__owner")
    if counts is None:
        row = _year_figures(accounts, fiscal_year).aggregate(**_deviation_aggregates())
        counts = row["open_deviations"], row["uncountered_deviations"]
    worst = open_.annotate(severity_rank=_severity()).order_by("-severity_rank", "opened_at", "pk")
    without = open_.filter(countermeasure__isnull=True).order_by("opened_at", "pk")
    return DeviationSummary(
        worst=list(worst[:limit]),
        without_countermeasure=list(without[:limit]),
        open_count=counts[0],
        without_count=counts[1],
    )


@dataclass
class Approvals:
    count: int
    first: list[QueuedPlan]  # the longest waiting, with their frame check


def approvals(*, user, accounts: QuerySet[KeyAccount], limit: int = 10) -> Approvals:
    """The approval queue (goals.selectors.workflow) of the filtered accounts, of every fiscal
    year: plans for next year are submitted during this one. How many plans wait, and the
    frame check of the `limit` waiting longest only."""
    queued = queued_plans(user=user, accounts=accounts)
    return Approvals(count=queued.count(), first=approval_queue(user=user, plans=queued[:limit]))


# --- costs and return --------------------------------------------------------------------------


@dataclass
class KpiYearToDate:
    plan: Decimal | None = None
    actual: Decimal | None = None


@dataclass
class CostLine:
    """One account's plan of the fiscal year: measure costs against the budget, revenue year to
    date, and the return on the measures."""

    account: KeyAccount
    plan: AccountPlan
    planned_cost: Decimal = Decimal(0)
    actual_cost: Decimal = Decimal(0)
    budget: Decimal | None = None
    revenue: KpiYearToDate = field(default_factory=KpiYearToDate)
    margin_goal: Goal | None = None
    margin_gained: Decimal | None = None

    @property
    def used_percent(self) -> Decimal | None:
        """Actual cost in percent of the budget."""
        if not self.budget:
            return None
        return (self.actual_cost / self.budget * 100).quantize(TENTH, rounding=ROUND_HALF_UP)

    @property
    def planned_over(self) -> bool:
        return self.budget is not None and self.planned_cost > self.budget

    @property
    def actual_over(self) -> bool:
        return self.budget is not None and self.actual_cost > self.budget

    @property
    def return_ratio(self) -> Decimal | None:
        """Contribution margin gained per unit of actual measure cost."""
        if self.margin_gained is None or not self.actual_cost:
            return None
        return (self.margin_gained / self.actual_cost).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )

    @property
    def net_return(self) -> Decimal | None:
        if self.margin_gained is None:
            return None
        return self.margin_gained - self.actual_cost


def margin_gained(goal: Goal, months_reported: int) -> Decimal | None:
    """Contribution margin gained: the goal's actual year to date minus its baseline.

    For a summed KPI (contribution margin is a flow) the yearly baseline is taken pro rata for
    the months with an actual, so a year still running compares like with like: 9 months of
    margin against 9/12 of last year's. For an average or last-value roll-up the year-to-date
    figure already compares with the whole baseline. None without a baseline or an actual."""
    state = getattr(goal, "state", None)
    if goal.baseline is None or state is None or state.ytd_actual is None:
        return None
    baseline = goal.baseline
    if goal.kpi.rollup == Rollup.SUM:
        baseline = baseline * months_reported / 12
    return (state.ytd_actual - baseline).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def cost_caps() -> dict[str, Decimal]:
    """Tier -> the lowest active cost cap of the strategic frame for it ("" for every tier).
    One query."""
    caps: dict[str, Decimal] = {}
    for tier, cap in FrameRule.objects.filter(
        kind=FrameRuleKind.COST_CAP, active=True, cost_cap__isnull=False
    ).values_list("tier", "cost_cap"):
        caps[tier] = min(cap, caps.get(tier, cap))
    return caps


def binding_budget(
    expense_limit: Decimal | None, tier: str, caps: dict[str, Decimal]
) -> Decimal | None:
    """The plan's expense limit and the frame's cost caps for its tier: the lowest binds (as on
    the plan controlling page)."""
    limits = [x for x in (expense_limit, caps.get(""), caps.get(tier)) if x is not None]
    return min(limits) if limits else None


@dataclass
class CostTotals:
    planned_cost: Decimal = Decimal(0)
    actual_cost: Decimal = Decimal(0)
    budget: Decimal = Decimal(0)
    plans_with_budget: int = 0
    over_budget: int = 0
    margin_gained: Decimal = Decimal(0)
    plans_with_margin: int = 0
    # Costs of the plans whose margin gain is known, so the ratio compares like with like.
    cost_with_margin: Decimal = Decimal(0)

    @property
    def return_ratio(self) -> Decimal | None:
        if not self.cost_with_margin or not self.plans_with_margin:
            return None
        return (self.margin_gained / self.cost_with_margin).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )


def cost_lines(*, accounts, fiscal_year: int) -> list[CostLine]:
    """Every plan of the fiscal year of the accounts (ids or a queryset), with its costs and
    return, by account name. Five queries however many plans (see `cost_lines_for`)."""
    plans = list(
        AccountPlan.objects.filter(account__in=accounts, fiscal_year=fiscal_year)
        .select_related("account")
        .order_by("account__name", "pk")
    )
    return cost_lines_for(plans)


def cost_lines_for(
    plans: list[AccountPlan], caps: dict[str, Decimal] | None = None
) -> list[CostLine]:
    """The cost lines of these plans (their accounts loaded), in their order. Four queries
    however many plans: measure sums, the revenue and contribution margin goals with their
    states, months reported per margin goal, and the cost caps unless given (`cost_caps`)."""
    plan_ids = [p.pk for p in plans]
    costs = {
        row["plan_id"]: row
        for row in Measure.objects.filter(plan_id__in=plan_ids)
        .values("plan_id")
        .annotate(planned=Sum("planned_cost"), actual=Sum("actual_cost"))
        .order_by()
    }
    goals = list(
        Goal.objects.filter(
            plan_id__in=plan_ids,
            kind=GoalKind.QUANTITATIVE,
            kpi__code__in=[REVENUE, CONTRIBUTION_MARGIN],
        )
        .select_related("kpi", "state")
        .order_by("plan_id", "order", "pk")
    )
    reported = dict(
        GoalResult.objects.filter(
            goal__in=[g.pk for g in goals if g.kpi.code == CONTRIBUTION_MARGIN],
            actual__isnull=False,
        )
        .values("goal_id")
        .annotate(n=Count("pk"))
        .values_list("goal_id", "n")
        .order_by()
    )
    first: dict[tuple[int, str], Goal] = {}
    for goal in goals:
        # A plan with two goals on one KPI: the first in the plan's order stands for it.
        first.setdefault((goal.plan_id, goal.kpi.code), goal)
    caps = cost_caps() if caps is None else caps
    lines = []
    for plan in plans:
        account = plan.account
        row = costs.get(plan.pk, {})
        line = CostLine(
            account=account,
            plan=plan,
            planned_cost=row.get("planned") or Decimal(0),
            actual_cost=row.get("actual") or Decimal(0),
            budget=binding_budget(plan.budget, account.tier, caps),
        )
        revenue = first.get((plan.pk, REVENUE))
        if revenue is not None and getattr(revenue, "state", None) is not None:
            line.revenue = KpiYearToDate(revenue.state.ytd_plan, revenue.state.ytd_actual)
        margin = first.get((plan.pk, CONTRIBUTION_MARGIN))
        if margin is not None:
            line.margin_goal = margin
            line.margin_gained = margin_gained(margin, reported.get(margin.pk, 0))
        lines.append(line)
    return lines


def _with_binding(
    figures: QuerySet[AccountFigures], caps: dict[str, Decimal] | None = None
) -> QuerySet[AccountFigures]:
    """The figures with `binding`, the budget that binds their plan (`binding_budget`): the
    plan's expense limit or the frame's cap for the account's tier, whichever is lower. The
    caps (`cost_caps`) are read now unless given, so a changed frame shows at once."""
    money = DecimalField(max_digits=20, decimal_places=2)
    caps = cost_caps() if caps is None else caps
    tier_caps = [
        When(account__tier=tier, then=Value(cap))
        for tier in Tier.values
        if (cap := binding_budget(None, tier, caps)) is not None
    ]
    cap = Case(*tier_caps, default=Value(None), output_field=money)
    return figures.annotate(cap=cap).annotate(
        binding=Case(
            When(budget__isnull=True, then=F("cap")),
            When(Q(cap__isnull=True) | Q(budget__lte=F("cap")), then=F("budget")),
            default=F("cap"),
            output_field=money,
        )
    )


def _cost_aggregates() -> dict:
    """Aggregates over `_with_binding` figures giving `CostTotals`."""
    return {
        "planned": Sum("planned_cost"),
        "actual": Sum("actual_cost"),
        "budget": Sum("binding"),
        "budgets": Count("binding"),
        "over": Count("pk", filter=Q(actual_cost__gt=F("binding"))),
        "margin": Sum("margin_gained"),
        "margins": Count("margin_gained"),
        "margin_cost": Sum("actual_cost", filter=Q(margin_gained__isnull=False)),
    }


def _costs_of(row: dict) -> CostTotals:
    return CostTotals(
        planned_cost=_decimal(row["planned"]),
        actual_cost=_decimal(row["actual"]),
        budget=_decimal(row["budget"]),
        plans_with_budget=row["budgets"],
        over_budget=row["over"],
        margin_gained=_decimal(row["margin"]),
        plans_with_margin=row["margins"],
        cost_with_margin=_decimal(row["margin_cost"]),
    )


# The costs table's orders. A float ranks the return alike on every database.
COST_ORDERS = {
    "name": (Lower("account__name"), "account_id", "pk"),
    "cost": (F("actual_cost").desc(), Lower("account__name"), "account_id", "pk"),
    # Lowest return first: where money went without margin to show for it.
    "return": (F("rank").asc(nulls_last=True), Lower("account__name"), "account_id", "pk"),
}


class PlanPages:
    """The plans of the fiscal year of the accounts in one of the `COST_ORDERS`, for a
    Paginator: `count` is known (`YearTotals.plans`); a slice is ordered and cut by the
    database over the narrow ids only, then its plans are loaded with their accounts."""

    def __init__(self, *, accounts, fiscal_year: int, sort: str, count: int):
        figures = _year_figures(accounts, fiscal_year)
        if sort == "return":
            figures = figures.annotate(
                rank=Cast("margin_gained", FloatField())
                / Cast(NullIf("actual_cost", Value(Decimal(0))), FloatField())
            )
        self.ids = figures.order_by(*COST_ORDERS[sort]).values_list("plan_id", flat=True)
        self._count = count

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, key: slice) -> list[AccountPlan]:
        ids = list(self.ids[key])
        plans = AccountPlan.objects.select_related("account").in_bulk(ids)
        return [plans[pk] for pk in ids]


def cost_totals(lines: Iterable[CostLine]) -> CostTotals:
    totals = CostTotals()
    for line in lines:
        totals.planned_cost += line.planned_cost
        totals.actual_cost += line.actual_cost
        if line.budget is not None:
            totals.budget += line.budget
            totals.plans_with_budget += 1
            totals.over_budget += line.actual_over
        if line.margin_gained is not None:
            totals.margin_gained += line.margin_gained
            totals.plans_with_margin += 1
            totals.cost_with_margin += line.actual_cost
    return totals


# --- selling dimensions ----------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelStep:
    stage: str
    label: str
    accounts: int  # at this stage
    reached: int  # at this stage or further along the path


@dataclass
class Whitespace:
    open_potential: Decimal
    weighted_potential: Decimal
    positions: int
    top_accounts: list[tuple[KeyAccount, Decimal, Decimal]]  # account, open, weighted


def selling_summary(
    *, accounts, total: int | None = None, top: int = 5
) -> tuple[list[FunnelStep], Whitespace]:
    """From the last run's `SellingFigures` of the accounts (ids, or a queryset with `total`
    saying how many), in two queries however many accounts:

    - the funnel: accounts per stage of the path of the three selling dimensions (the highest
      stage each has reached, as goals.selectors.selling.path_stage_for defines it) and how
      many reached at least each stage; accounts without positions are at the first;
    - the whitespace: open potential (positions at potential identified or offered), also
      weighted by probability, and the `top` accounts with the largest."""
    figures = SellingFigures.objects.filter(account__in=accounts)
    counts: Counter = Counter()
    potential = weighted = Decimal(0)
    positions = 0
    for stage, n, stage_potential, stage_weighted, stage_positions in (
        figures.values("path_stage")
        .annotate(
            n=Count("pk"),
            potential=Sum("open_potential"),
            weighted=Sum("weighted_potential"),
            positions=Sum("open_positions"),
        )
        .values_list("path_stage", "n", "potential", "weighted", "positions")
        .order_by()
    ):
        counts[stage] = n
        potential += stage_potential
        weighted += stage_weighted
        positions += stage_positions
    if total is None:
        total = len(set(accounts))
    counts[PathStage.SINGLE] += total - sum(counts.values())
    steps, reached = [], 0
    for value, label in reversed(PathStage.choices):
        reached += counts[value]
        steps.append(FunnelStep(value, str(label), counts[value], reached))
    ranked = (
        figures.filter(open_potential__gt=0)
        .select_related("account")
        .order_by("-open_potential", "account__name", "account_id")[:top]
    )
    space = Whitespace(
        open_potential=_decimal(potential),
        weighted_potential=_decimal(weighted),
        positions=positions,
        top_accounts=[
            (row.account, _decimal(row.open_potential), _decimal(row.weighted_potential))
            for row in ranked
        ],
    )
    return steps[::-1], space


def selling_funnel(*, account_ids, total: int | None = None) -> list[FunnelStep]:
    return selling_summary(accounts=account_ids, total=total, top=0)[0]


def whitespace(*, accounts, top: int = 5) -> Whitespace:
    # total=0: the funnel is not asked for, so the accounts need not be counted.
    return selling_summary(accounts=accounts, total=0, top=top)[1]


def _decimal(value) -> Decimal:
    if value is None:
        return Decimal(0)
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- revenue and contribution margin plan vs actual, cumulative ----------------------------------


@dataclass
class CumulativeSeries:
    """One KPI's months of the fiscal year for a set of accounts: plan and actual per month
    and running totals; the actual line ends at the last month with an actual.

    Like with like: only accounts whose plan has a goal on the KPI and that reported at least
    one actual on it in the year count, for plan and actual alike, so an account that has
    not reported yet does not show as a shortfall."""

    code: str
    label: str
    months: list[datetime.date]
    plan: list[Decimal]
    actual: list[Decimal | None]
    accounts: int  # accounts counted: with a goal on the KPI and an actual
    planned: int  # accounts with a goal on the KPI

    @property
    def month_labels(self) -> list[str]:
        return [month_label(m) for m in self.months]

    @property
    def plan_cumulative(self) -> list[Decimal]:
        total, out = Decimal(0), []
        for value in self.plan:
            total += value
            out.append(total)
        return out

    @property
    def actual_cumulative(self) -> list[Decimal | None]:
        last = max((i for i, v in enumerate(self.actual) if v is not None), default=-1)
        total, out = Decimal(0), []
        for index, value in enumerate(self.actual):
            if index > last:
                out.append(None)
                continue
            total += value or 0
            out.append(total)
        return out

    @property
    def ytd(self) -> tuple[Decimal | None, Decimal | None]:
        """Cumulative plan and actual at the last month with an actual."""
        actuals = self.actual_cumulative
        last = max((i for i, v in enumerate(actuals) if v is not None), default=None)
        if last is None:
            return None, None
        return self.plan_cumulative[last], actuals[last]

    @property
    def ytd_percent(self) -> Decimal | None:
        plan, actual = self.ytd
        if not plan or actual is None:
            return None
        return (actual / plan * 100).quantize(TENTH, rounding=ROUND_HALF_UP)


KPI_LABELS = {REVENUE: _("Revenue"), CONTRIBUTION_MARGIN: _("Contribution margin")}


def _series_aggregates() -> dict:
    """Aggregates over `AccountFigures` giving `CumulativeSeries` (see `_series_of`)."""
    sums = {}
    for code in KPI_LABELS:
        goal = Q(**{f"{code}_goal": True})
        sums[f"{code}_planned"] = Count("pk", filter=goal)
        sums[f"{code}_accounts"] = Count("pk", filter=goal & Q(**{f"{code}_reported": True}))
        for index in range(1, 13):
            for kind in ("plan", "actual"):
                name = series_field(code, kind, index)
                sums[name] = Sum(name)
    return sums


def _from_cents(cents) -> Decimal:
    return _decimal(Decimal(cents) / 100)


def _series_of(row: dict, fiscal_year: int) -> list[CumulativeSeries]:
    """Revenue and contribution margin of the accounts' plans of the fiscal year, plan against
    actual by month: the last run's figures apply the like-with-like rule and add up two
    goals on one KPI in a plan (as the actuals grid does)."""
    months = plan_months(fiscal_year)
    return [
        CumulativeSeries(
            code=code,
            label=str(label),
            months=months,
            plan=[_from_cents(row[series_field(code, "plan", i)] or 0) for i in range(1, 13)],
            actual=[
                None
                if (cents := row[series_field(code, "actual", i)]) is None
                else _from_cents(cents)
                for i in range(1, 13)
            ],
            accounts=row[f"{code}_accounts"],
            planned=row[f"{code}_planned"],
        )
        for code, label in KPI_LABELS.items()
    ]


# --- the fiscal year's totals ------------------------------------------------------------------


@dataclass
class YearTotals:
    """Everything the leadership dashboard adds up over the filtered accounts' plans of a
    fiscal year, from the last run's figures in one query."""

    plans: int
    bands: dict[str, int]  # accounts per attainment band; the rest of `total` have no data
    costs: CostTotals
    open_deviations: int
    uncountered_deviations: int
    series: list[CumulativeSeries]


def year_totals(
    *, accounts, fiscal_year: int, bands: Bands, total: int, caps: dict[str, Decimal] | None = None
) -> YearTotals:
    """`accounts`: ids or a queryset, `total` of them; `caps` as `cost_caps` reads them (read
    here when not given). One query over one row per plan (two without `caps`)."""
    row = _with_binding(_year_figures(accounts, fiscal_year), caps).aggregate(
        plans=Count("pk"),
        **_band_aggregates(bands),
        **_cost_aggregates(),
        **_deviation_aggregates(),
        **_series_aggregates(),
    )
    return YearTotals(
        plans=row["plans"],
        bands=_bands_of(row, total),
        costs=_costs_of(row),
        open_deviations=row["open_deviations"],
        uncountered_deviations=row["uncountered_deviations"],
        series=_series_of(row, fiscal_year),
    )


def currencies(accounts) -> list[str]:
    """The distinct currencies of the accounts: sums across them are only meaningful in one."""
    return sorted(
        KeyAccount.objects.filter(pk__in=accounts.values("pk"))
        .values_list("currency", flat=True)
        .distinct()
        .order_by()
    )
