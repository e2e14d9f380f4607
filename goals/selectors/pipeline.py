"""The potential pipeline: open potential (positions at potential identified or offered) by
selling dimension and expected month, weighted by probability; and the leadership view across
accounts (where they stand on the path, where the largest whitespace is).

Which dimension an open position opens up:
- 3 (up-selling): the offering is a service or a solution;
- 2 (cross-selling to other sites, regions, countries): a product the account already buys
  somewhere (at a site, for the whole account, or inside a sold solution), so the position
  takes it to another part of the customer's organisation;
- 1 (product cross-selling): any other product, i.e. one the account does not buy yet.
"""

import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.paginator import Page, Paginator
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from accounts.models import KeyAccount

from ..models import (
    OPEN_STAGES,
    SOLD_STAGES,
    OfferingKind,
    PathStage,
    SellingDimension,
    SellingPosition,
)
from .selling import DimensionMetrics, dimension_metrics

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

CENT = Decimal("0.01")
MONTHS_AHEAD = 12
PAGE_SIZE = 25
TOP_CELLS = 10


def weighted(potential: Decimal | None, probability: int) -> Decimal:
    if not potential:
        return Decimal(0)
    return (potential * probability / 100).quantize(CENT)


def sold_offerings(*, account_ids: Iterable[int]) -> dict[int, set[int]]:
    """Per account, the offerings it buys: sold positions and the components of sold
    solutions. Two queries."""
    sold = SellingPosition.objects.filter(account_id__in=account_ids, stage__in=SOLD_STAGES)
    result: dict[int, set[int]] = defaultdict(set)
    for account_id, offering_id in sold.values_list("account_id", "offering_id").order_by():
        result[account_id].add(offering_id)
    components = sold.filter(offering__components__isnull=False).values_list(
        "account_id", "offering__components__id"
    )
    for account_id, offering_id in components.order_by():
        result[account_id].add(offering_id)
    return result


def dimension_of(*, kind: str, offering_id: int, sold: set[int]) -> int:
    if kind in (OfferingKind.SERVICE, OfferingKind.SOLUTION):
        return SellingDimension.SOLUTION
    if offering_id in sold:
        return SellingDimension.ORGANISATION
    return SellingDimension.PRODUCT


@dataclass
class Amount:
    potential: Decimal = Decimal(0)
    weighted: Decimal = Decimal(0)
    count: int = 0

    def add(self, potential: Decimal | None, probability: int) -> None:
        self.potential += potential or 0
        self.weighted += weighted(potential, probability)
        self.count += 1


@dataclass
class Bucket:
    key: str
    label: str


@dataclass
class PipelineRow:
    dimension: int
    label: "StrOrPromise"
    cells: list[Amount]
    total: Amount = field(default_factory=Amount)


@dataclass
class PipelineTable:
    buckets: list[Bucket]
    rows: list[PipelineRow]
    totals: list[Amount]
    total: Amount


def _buckets(today: datetime.date) -> tuple[list[Bucket], list[datetime.date]]:
    first = today.replace(day=1)
    months = []
    for offset in range(MONTHS_AHEAD):
        month = first.month - 1 + offset
        months.append(first.replace(year=first.year + month // 12, month=month % 12 + 1))
    buckets = [Bucket("overdue", str(_("Overdue")))]
    buckets += [Bucket(m.strftime("%Y-%m"), date_format(m, "YEAR_MONTH_FORMAT")) for m in months]
    buckets += [Bucket("later", str(_("Later"))), Bucket("none", str(_("No month")))]
    return buckets, months


def _bucket_key(month: datetime.date | None, months: list[datetime.date]) -> str:
    if month is None:
        return "none"
    if month < months[0]:
        return "overdue"
    if month > months[-1]:
        return "later"
    return month.strftime("%Y-%m")


def pipeline_table(
    *, account_ids: Iterable[int], today: datetime.date | None = None
) -> PipelineTable:
    """Open potential of the accounts by dimension (rows) and expected month (columns: overdue,
    the next twelve months from this one, later, none). Three queries for any number of
    accounts and positions."""
    ids = list(account_ids)
    buckets, months = _buckets(today or timezone.localdate())
    index = {b.key: i for i, b in enumerate(buckets)}
    rows = [
        PipelineRow(dimension=value, label=label, cells=[Amount() for _b in buckets])
        for value, label in SellingDimension.choices
    ]
    totals = [Amount() for _b in buckets]
    total = Amount()
    sold = sold_offerings(account_ids=ids)
    open_positions = SellingPosition.objects.filter(
        account_id__in=ids, stage__in=OPEN_STAGES
    ).values_list(
        "account_id",
        "offering_id",
        "offering__kind",
        "potential_revenue",
        "probability",
        "expected_month",
    )
    for account_id, offering_id, kind, potential, probability, month in open_positions.order_by():
        dimension = dimension_of(kind=kind, offering_id=offering_id, sold=sold[account_id])
        row = rows[dimension - 1]
        column = index[_bucket_key(month, months)]
        for amount in (row.cells[column], row.total, totals[column], total):
            amount.add(potential, probability)
    return PipelineTable(buckets=buckets, rows=rows, totals=totals, total=total)


def open_positions(*, account: KeyAccount) -> QuerySet[SellingPosition]:
    """The account's open positions, largest weighted potential first."""
    return (
        account.selling_positions.filter(stage__in=OPEN_STAGES)
        .select_related("offering", "site", "owner")
        .annotate(
            weighted_sort=ExpressionWrapper(
                F("potential_revenue") * F("probability"),
                output_field=DecimalField(max_digits=20, decimal_places=2),
            )
        )
        .order_by(F("weighted_sort").desc(nulls_last=True), "offering__code", "pk")
    )


def with_dimensions(positions: Iterable[SellingPosition], *, sold: set[int]) -> list:
    """The positions of one page, each with its `dimension` (no further query)."""
    positions = list(positions)
    for p in positions:
        p.dimension = dimension_of(kind=p.offering.kind, offering_id=p.offering_id, sold=sold)
        p.dimension_label = SellingDimension(p.dimension).label
    return positions


# --- across accounts ----------------------------------------------------------------------------


@dataclass
class AccountLine:
    account: KeyAccount
    metrics: DimensionMetrics
    open_potential: Decimal
    weighted_potential: Decimal
    open_count: int


SORTS = {
    "potential": lambda line: (-line.open_potential, line.account.name.casefold()),
    "weighted": lambda line: (-line.weighted_potential, line.account.name.casefold()),
    "name": lambda line: line.account.name.casefold(),
    "stage": lambda line: (-line.metrics.path_index, line.account.name.casefold()),
    "groups": lambda line: (
        -(line.metrics.cross_selling_ratio or 0),
        line.account.name.casefold(),
    ),
    "sites": lambda line: (-line.metrics.sites_served, line.account.name.casefold()),
}


@dataclass
class PortfolioPipeline:
    stage_counts: list[tuple[str, "StrOrPromise", int]]
    page: Page
    top_cells: list[SellingPosition]
    table: PipelineTable
    accounts: int


def portfolio_pipeline(
    *, user, sort: str = "potential", stage: str = "", page: int | str = 1
) -> PortfolioPipeline:
    """Every account the user may see (not archived): how many stand at each stage of the
    path, the accounts with their open potential (sortable, filterable by stage, paginated),
    the cells with the largest open potential, and the pipeline by dimension and month.
    A fixed number of queries however many accounts and positions there are."""
    accounts = KeyAccount.objects.visible_to(user).not_archived()
    open_filter = Q(selling_positions__stage__in=OPEN_STAGES)
    annotated = list(
        accounts.select_related("owner")
        .annotate(
            open_potential=Sum("selling_positions__potential_revenue", filter=open_filter),
            weighted_sum=Sum(
                ExpressionWrapper(
                    F("selling_positions__potential_revenue") * F("selling_positions__probability"),
                    output_field=DecimalField(max_digits=20, decimal_places=2),
                ),
                filter=open_filter,
            ),
            open_count=Count("selling_positions", filter=open_filter),
        )
        .order_by("name")
    )
    metrics = dimension_metrics(account_ids=[a.pk for a in annotated])
    lines = [
        AccountLine(
            account=a,
            metrics=metrics[a.pk],
            open_potential=Decimal(a.open_potential or 0).quantize(CENT),
            weighted_potential=(Decimal(a.weighted_sum or 0) / 100).quantize(CENT),
            open_count=int(a.open_count or 0),
        )
        for a in annotated
    ]
    counts = Counter(line.metrics.path_stage for line in lines)
    stage_counts: list[tuple[str, StrOrPromise, int]] = [
        (value, label, counts[value]) for value, label in PathStage.choices
    ]
    if stage in PathStage.values:
        lines = [line for line in lines if line.metrics.path_stage == stage]
    lines.sort(key=SORTS.get(sort, SORTS["potential"]))
    top_cells = list(
        SellingPosition.objects.filter(
            account__in=accounts, stage__in=OPEN_STAGES, potential_revenue__gt=0
        )
        .select_related("account", "offering", "site")
        .order_by("-potential_revenue", "account__name", "pk")[:TOP_CELLS]
    )
    return PortfolioPipeline(
        stage_counts=stage_counts,
        page=Paginator(lines, PAGE_SIZE).get_page(page),
        top_cells=top_cells,
        table=pipeline_table(account_ids=[a.pk for a in annotated]),
        accounts=len(annotated),
    )
