"""Reads for the selling positions tab: the account's whitespace, grouped and totalled."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, QuerySet

from accounts.models import KeyAccount

from ..models import Offering, SellingPosition


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
