"""Goal attainment of accounts and scorecard groups, its bands, and the heatmap of the
leadership dashboard.

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

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    FloatField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Lower, NullIf

from accounts.models import (
    KeyAccount,
)
from controlling.models import (
    DEFAULT_AT_RISK_PERCENT,
    DEFAULT_OFF_TRACK_PERCENT,
    AccountFigures,
    GoalStatus,
    Threshold,
)
from goals.models import AccountPlan, Goal, GoalArea, Perspective

REVENUE = "revenue"


CONTRIBUTION_MARGIN = "contribution_margin"


TENTH = Decimal("0.1")


ATTAINMENT_CAP = Decimal(150)


def _capped(prefix: str = "state__") -> Case:
    attainment = f"{prefix}attainment_percent"
    return Case(
        When(**{f"{attainment}__gt": ATTAINMENT_CAP}, then=Value(ATTAINMENT_CAP)),
        When(**{f"{attainment}__lt": 0}, then=Value(Decimal(0))),
        default=F(attainment),
        output_field=DecimalField(max_digits=20, decimal_places=2),
    )


def attainment_aggregates() -> dict:
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
    def of(cls, row: Mapping[str, Any]) -> "Attainment":
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
        .annotate(**attainment_aggregates())
        .order_by()
    )
    return {row["plan__account_id"]: Attainment.of(row) for row in rows}


def attainment_by(*, accounts, fiscal_year: int, group: str) -> dict[tuple[int, str], Attainment]:
    """(account id, perspective or goal area) -> attainment of that group's goals. One query.

    group: "perspective" or "goal_area"."""
    rows = (
        _plan_goals(accounts, fiscal_year)
        .values("plan__account_id", group)
        .annotate(**attainment_aggregates())
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


def band_aggregates(bands: Bands) -> dict:
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


def bands_of(row: dict, total: int) -> dict[str, int]:
    on, risk, off = row["band_on"], row["band_risk"], row["band_off"]
    return {
        GoalStatus.ON_TRACK: on,
        GoalStatus.AT_RISK: risk,
        GoalStatus.OFF_TRACK: off,
        GoalStatus.NO_DATA: total - on - risk - off,
    }


def year_figures(accounts, fiscal_year: int) -> QuerySet[AccountFigures]:
    """The figures of the accounts' plans of the fiscal year (`accounts`: ids or a queryset)."""
    return AccountFigures.objects.filter(
        fiscal_year=fiscal_year, plan__isnull=False, account__in=accounts
    )


def with_year(accounts: QuerySet[KeyAccount], fiscal_year: int) -> QuerySet[KeyAccount]:
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
        with_year(accounts, fiscal_year)
        .annotate(attainment_rank=percent)
        .order_by(F("attainment_rank").asc(nulls_last=True), Lower("name"), "pk")
    )


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
