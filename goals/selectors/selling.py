"""Reads for the selling positions tab: the account's whitespace, grouped and totalled."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import KeyAccount, Site

from ..models import (
    SOLD_STAGES,
    Offering,
    OfferingKind,
    PathStage,
    ProductGroup,
    SellingPosition,
    SellingStage,
)

if TYPE_CHECKING:
    from django_countries.fields import Country
    from django_stubs_ext import StrOrPromise


def account_positions(*, account: KeyAccount) -> QuerySet[SellingPosition]:
    return account.selling_positions.select_related(
        "offering__product_group", "site", "owner"
    ).order_by(
        # Services and solutions without a product group come last on every database.
        F("offering__product_group__order").asc(nulls_last=True),
        F("offering__product_group__code").asc(nulls_last=True),
        "offering__order",
        "offering__code",
        "site__name",
        "pk",
    )


def _add(total: Decimal, value: Decimal | None) -> Decimal:
    return total + value if value is not None else total


@dataclass
class Totals:
    current_revenue: Decimal = Decimal(0)
    customer_spend: Decimal = Decimal(0)
    potential_revenue: Decimal = Decimal(0)
    weighted_potential: Decimal = Decimal(0)

    def add(self, position: SellingPosition) -> None:
        self.current_revenue = _add(self.current_revenue, position.current_revenue)
        self.customer_spend = _add(self.customer_spend, position.customer_spend)
        self.potential_revenue = _add(self.potential_revenue, position.potential_revenue)
        self.weighted_potential = _add(self.weighted_potential, position.weighted_potential)

    @property
    def share_of_wallet(self) -> Decimal | None:
        if not self.customer_spend:
            return None
        return self.current_revenue / self.customer_spend * 100


@dataclass
class OfferingGroup:
    offering: Offering
    positions: list[SellingPosition] = field(default_factory=list)


@dataclass
class ProductGroupSection:
    """Positions under one product group; services and solutions without a group share one."""

    product_group: object
    offerings: list[OfferingGroup] = field(default_factory=list)


@dataclass
class SellingTable:
    sections: list[ProductGroupSection]
    totals: Totals
    count: int


def selling_table(*, account: KeyAccount, stage: str = "") -> SellingTable:
    positions = account_positions(account=account)
    if stage:
        positions = positions.filter(stage=stage)
    sections: list[ProductGroupSection] = []
    totals = Totals()
    count = 0
    for position in positions:
        count += 1
        totals.add(position)
        group = position.offering.product_group
        if not sections or sections[-1].product_group != group:
            sections.append(ProductGroupSection(product_group=group))
        offerings = sections[-1].offerings
        if not offerings or offerings[-1].offering.pk != position.offering_id:
            offerings.append(OfferingGroup(offering=position.offering))
        offerings[-1].positions.append(position)
    return SellingTable(sections=sections, totals=totals, count=count)


# --- dimension metrics ------------------------------------------------------------------------

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def _percent(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class DimensionMetrics:
    """The progress of one account in the three selling dimensions.

    "Sold" means a position at stage sold, part of a solution bundle or joint development.

    - Dimension 1: `product_groups_sold` counts the product groups of the catalogue
      (`product_groups_total`: groups with at least one active product) in which the account
      buys a product, directly or as a component of a sold solution; `cross_selling_ratio`
      is their share in percent, None while the catalogue is empty.
    - Dimension 2: `sites_served` counts the account's sites with at least one sold position
      (a whole-account position names no site, so it serves none); `regions_served` counts
      distinct (country, region) pairs of those sites with a region; `countries_served`
      their distinct countries.
    - Dimension 3: `solution_revenue_share` is the current revenue of services and solutions
      in percent of all current revenue of the account's positions (None without revenue);
      `joint_developments` counts positions at stage joint development.

    `path_stage` is the highest step reached, checked from the top:
    joint development when any position is at joint development; up-selling when a service
    or solution is sold (or a position is part of a bundle); cross-selling (organisation)
    when sold positions sit at two or more sites; cross-selling (products) when two or more
    distinct products are sold; single otherwise, including an account that buys nothing yet.
    """

    product_groups_sold: int = 0
    product_groups_total: int = 0
    products_sold: int = 0
    sites_served: int = 0
    sites_total: int = 0
    regions_served: int = 0
    countries_served: int = 0
    current_revenue: Decimal = Decimal(0)
    solution_revenue: Decimal = Decimal(0)
    joint_developments: int = 0
    solutions_sold: int = 0
    path_stage: str = PathStage.SINGLE
    cross_selling_ratio: Decimal | None = None
    site_coverage: Decimal | None = None
    solution_revenue_share: Decimal | None = None

    @property
    def path_stage_label(self) -> "StrOrPromise":
        return PathStage(self.path_stage).label

    @property
    def path_index(self) -> int:
        """The stage's position on the path, 1 (single) to 5 (joint development)."""
        return PathStage.values.index(self.path_stage) + 1

    @property
    def path_steps(self) -> list[tuple["StrOrPromise", bool, bool]]:
        """Each step of the path as (label, reached, current), for the path display."""
        return [
            (label, index < self.path_index, index + 1 == self.path_index)
            for index, label in enumerate(PathStage.labels)
        ]


def path_stage_for(
    *, joint_developments: int, solutions_sold: int, sites_served: int, products_sold: int
) -> str:
    if joint_developments:
        return PathStage.JOINT_DEVELOPMENT
    if solutions_sold:
        return PathStage.UP_SELLING
    if sites_served >= 2:
        return PathStage.CROSS_ORGANISATION
    if products_sold >= 2:
        return PathStage.CROSS_PRODUCT
    return PathStage.SINGLE


SERVICE_KINDS = (OfferingKind.SERVICE, OfferingKind.SOLUTION)


def dimension_metrics(*, account_ids: Iterable[int]) -> dict[int, DimensionMetrics]:
    """The dimension metrics of each given account, in six queries for any number of accounts.

    Accounts without positions get zeros (and stage single); unknown ids get the same, so the
    caller decides which accounts exist and who may see them."""
    ids = list(dict.fromkeys(account_ids))
    if not ids:
        return {}
    catalogue = set(
        ProductGroup.objects.filter(
            offerings__kind=OfferingKind.PRODUCT, offerings__active=True
        ).values_list("pk", flat=True)
    )
    sold = SellingPosition.objects.filter(account_id__in=ids, stage__in=SOLD_STAGES)

    totals = {
        row["account_id"]: row
        for row in SellingPosition.objects.filter(account_id__in=ids)
        .values("account_id")
        .annotate(
            revenue=Sum("current_revenue"),
            solution_revenue=Sum("current_revenue", filter=Q(offering__kind__in=SERVICE_KINDS)),
            joint=Count("pk", filter=Q(stage=SellingStage.JOINT_DEVELOPMENT)),
            solutions=Count(
                "pk",
                filter=Q(stage__in=SOLD_STAGES)
                & (Q(offering__kind__in=SERVICE_KINDS) | Q(stage=SellingStage.BUNDLED)),
            ),
        )
        .order_by()
    }

    products: dict[int, set[int]] = defaultdict(set)
    groups: dict[int, set[int]] = defaultdict(set)
    direct = (
        sold.filter(offering__kind=OfferingKind.PRODUCT)
        .values_list("account_id", "offering_id", "offering__product_group_id")
        .distinct()
        .order_by()
    )
    # A product bought inside a solution is sold as well: it counts for dimension 1.
    bundled = (
        sold.filter(
            offering__kind=OfferingKind.SOLUTION,
            offering__components__kind=OfferingKind.PRODUCT,
        )
        .values_list(
            "account_id", "offering__components__id", "offering__components__product_group_id"
        )
        .distinct()
        .order_by()
    )
    for rows in (direct, bundled):
        for account_id, product_id, group_id in rows:
            products[account_id].add(product_id)
            if group_id in catalogue:
                groups[account_id].add(group_id)

    sites: dict[int, set] = defaultdict(set)
    for account_id, site_id, country, region in (
        sold.filter(site__isnull=False)
        .values_list("account_id", "site_id", "site__country", "site__region")
        .distinct()
        .order_by()
    ):
        sites[account_id].add((site_id, country, region.strip().casefold()))

    site_totals = dict(
        Site.objects.filter(account_id__in=ids)
        .values("account_id")
        .annotate(n=Count("pk"))
        .values_list("account_id", "n")
        .order_by()
    )

    result = {}
    for pk in ids:
        row: Mapping[str, Any] = totals.get(pk, {})
        served = sites[pk]
        metrics = {
            "product_groups_sold": len(groups[pk]),
            "product_groups_total": len(catalogue),
            "products_sold": len(products[pk]),
            "sites_served": len(served),
            "sites_total": site_totals.get(pk, 0),
            "regions_served": len({(c, r) for _site, c, r in served if r}),
            "countries_served": len({c for _site, c, _region in served}),
            "current_revenue": row.get("revenue") or Decimal(0),
            "solution_revenue": row.get("solution_revenue") or Decimal(0),
            "joint_developments": row.get("joint", 0),
            "solutions_sold": row.get("solutions", 0),
        }
        stage = path_stage_for(
            joint_developments=metrics["joint_developments"],
            solutions_sold=metrics["solutions_sold"],
            sites_served=metrics["sites_served"],
            products_sold=metrics["products_sold"],
        )
        result[pk] = DimensionMetrics(
            **metrics,
            path_stage=stage,
            cross_selling_ratio=_percent(len(groups[pk]), len(catalogue)),
            site_coverage=_percent(metrics["sites_served"], metrics["sites_total"]),
            solution_revenue_share=_percent(
                metrics["solution_revenue"], metrics["current_revenue"]
            ),
        )
    return result


# --- whitespace matrix ------------------------------------------------------------------------

WHOLE_ACCOUNT = 0  # the column key of positions without a site; site keys are primary keys


@dataclass
class Money:
    """Current and potential revenue added up over positions."""

    current: Decimal = Decimal(0)
    potential: Decimal = Decimal(0)

    def add(self, position: SellingPosition) -> None:
        self.current = _add(self.current, position.current_revenue)
        self.potential = _add(self.potential, position.potential_revenue)


@dataclass
class Column:
    key: int
    site: Site | None
    totals: Money = field(default_factory=Money)

    @property
    def label(self) -> str:
        return self.site.name if self.site else str(_("Whole account"))


@dataclass
class Span:
    """A header cell over several site columns: a country, or a region within it."""

    label: str
    span: int


@dataclass
class Cell:
    offering: Offering
    column: Column
    position: SellingPosition | None

    @property
    def dom_id(self) -> str:
        return f"cell-{self.offering.pk}-{self.column.key}"

    @property
    def stage(self) -> str:
        return self.position.stage if self.position else ""

    @property
    def stage_abbreviation(self) -> str:
        return str(STAGE_ABBREVIATIONS[self.position.stage]) if self.position else ""

    @property
    def figure(self) -> str:
        """The cell's one number: current revenue once something is sold, else the potential."""
        if self.position is None:
            return ""
        value = self.position.current_revenue or self.position.potential_revenue
        return compact(value) if value else ""


@dataclass
class Row:
    offering: Offering
    cells: list[Cell]
    totals: Money = field(default_factory=Money)


@dataclass
class Section:
    key: str
    label: str
    rows: list[Row] = field(default_factory=list)


@dataclass
class Matrix:
    sections: list[Section]
    columns: list[Column]
    countries: list[Span]
    regions: list[Span]
    totals: Money
    whole_account_shown: bool
    positions: int

    @property
    def site_columns(self) -> list[Column]:
        return [c for c in self.columns if c.site is not None]

    @property
    def rows(self) -> list[Row]:
        return [row for section in self.sections for row in section.rows]


STAGE_ABBREVIATIONS: dict[str, "StrOrPromise"] = {
    SellingStage.NOT_SOLD: pgettext_lazy("abbreviation of selling stage not sold", "N"),
    SellingStage.POTENTIAL: pgettext_lazy("abbreviation of selling stage potential", "P"),
    SellingStage.OFFERED: pgettext_lazy("abbreviation of selling stage offered", "O"),
    SellingStage.SOLD: pgettext_lazy("abbreviation of selling stage sold", "S"),
    SellingStage.BUNDLED: pgettext_lazy("abbreviation of selling stage bundled", "B"),
    SellingStage.JOINT_DEVELOPMENT: pgettext_lazy(
        "abbreviation of selling stage joint development", "J"
    ),
}


def stage_legend() -> list[tuple[str, str, "StrOrPromise"]]:
    return [
        (stage, str(STAGE_ABBREVIATIONS[stage]), label) for stage, label in SellingStage.choices
    ]


def compact(value: Decimal) -> str:
    """12 400 -> 12k, 1 250 000 -> 1.3M: a figure that fits a narrow matrix cell."""
    for size, suffix in ((Decimal(1_000_000), "M"), (Decimal(1000), "k")):
        if value >= size:
            scaled = value / size
            digits = 1 if scaled < 10 else 0
            text = f"{scaled:.{digits}f}".removesuffix(".0")
            return f"{text}{suffix}"
    return f"{value:.0f}"


@dataclass(frozen=True)
class WhitespaceFilter:
    """The page's filters; empty strings mean no filter. `group` is a product group's primary
    key, or "service" / "solution" for the offerings without a group."""

    country: str = ""
    region: str = ""
    group: str = ""

    @property
    def on_sites(self) -> bool:
        return bool(self.country or self.region)


def _sections_key(offering: Offering) -> tuple:
    group = offering.product_group
    kinds = list(OfferingKind.values)
    if group is not None:
        return (0, group.order, group.code, group.pk)
    return (1, kinds.index(offering.kind), "", 0)


def matrix_offerings(*, account: KeyAccount) -> list[Offering]:
    """Active offerings plus retired ones this account still has positions for, in section
    order (product groups, then services, then solutions)."""
    offerings = Offering.objects.filter(
        Q(active=True) | Q(pk__in=account.selling_positions.values("offering_id"))
    ).select_related("product_group")
    return sorted(offerings, key=lambda o: (_sections_key(o), o.order, o.code))


def _section_of(offering: Offering) -> tuple[str, str]:
    if offering.product_group is not None:
        return f"group-{offering.product_group.pk}", offering.product_group.name
    if offering.kind == OfferingKind.SERVICE:
        return "services", str(_("Services"))
    return "solutions", str(_("Solutions"))


def _spans(labels: list) -> list[Span]:
    spans: list[Span] = []
    previous = object()
    for label in labels:
        if spans and label == previous:
            spans[-1].span += 1
        else:
            spans.append(Span(label=label[-1], span=1))
        previous = label
    return spans


def whitespace_matrix(
    *,
    account: KeyAccount,
    filters: WhitespaceFilter = WhitespaceFilter(),  # noqa: B008 (frozen, so safe to share)
    offerings: list[Offering] | None = None,
    sites: list[Site] | None = None,
) -> Matrix:
    """The account's offerings (grouped) by its sites (grouped by country and region) plus a
    whole-account column, with current and potential revenue totalled per row, column and in
    all. Three queries for any number of offerings and sites (fewer when the caller passes the
    offerings and sites it has loaded already, e.g. for the filter choices).

    A country or region filter hides the whole-account column: its positions lie in no
    region. Totals cover the cells shown."""
    if offerings is None:
        offerings = matrix_offerings(account=account)
    if sites is None:
        sites = list(account.sites.all())
    if filters.group:
        offerings = [o for o in offerings if _group_value(o) == filters.group]
    sites = [
        s
        for s in sites
        if (not filters.country or _country(s).code == filters.country)
        and (not filters.region or s.region == filters.region)
    ]
    columns = [] if filters.on_sites else [Column(key=WHOLE_ACCOUNT, site=None)]
    columns += [Column(key=s.pk, site=s) for s in sites]
    by_key = {c.key: c for c in columns}
    positions = {
        (p.offering_id, p.site_id or WHOLE_ACCOUNT): p
        for p in account.selling_positions.filter(offering__in=[o.pk for o in offerings])
    }

    totals = Money()
    count = 0
    sections: list[Section] = []
    for offering in offerings:
        key, label = _section_of(offering)
        if not sections or sections[-1].key != key:
            sections.append(Section(key=key, label=label))
        row = Row(offering=offering, cells=[])
        for column in columns:
            position = positions.get((offering.pk, column.key))
            row.cells.append(Cell(offering=offering, column=column, position=position))
            if position is not None:
                count += 1
                row.totals.add(position)
                by_key[column.key].totals.add(position)
                totals.add(position)
        sections[-1].rows.append(row)

    return Matrix(
        sections=sections,
        columns=columns,
        countries=_spans([(_country(s).code, _country(s).name) for s in sites]),
        regions=_spans([(_country(s).code, s.region or "–") for s in sites]),
        totals=totals,
        whole_account_shown=not filters.on_sites,
        positions=count,
    )


def _country(site: Site) -> "Country":
    # django-stubs reads a CountryField as the CharField it extends (str); on an instance
    # django-countries gives a Country.
    return site.country  # type: ignore[return-value]


def _group_value(offering: Offering) -> str:
    if offering.product_group_id is not None:
        return str(offering.product_group_id)
    return offering.kind


def filter_choices(*, offerings: list[Offering], sites: list[Site]) -> dict[str, list]:
    """Choices for the page's filters from what the matrix would show: no extra query."""
    countries = {_country(s).code: _country(s).name for s in sites}
    regions = sorted({s.region for s in sites if s.region}, key=str.casefold)
    groups: dict[str, str] = {}
    for offering in offerings:
        groups.setdefault(_group_value(offering), _section_of(offering)[1])
    return {
        "country": sorted(countries.items(), key=lambda item: item[1]),
        "region": [(r, r) for r in regions],
        "group": list(groups.items()),
    }
