from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..models import AccountPlan, SwotItem, SwotKind

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class SwotQuadrant:
    kind: str
    label: "StrOrPromise"
    items: list[SwotItem]


def swot_grid(*, plan: AccountPlan) -> list[SwotQuadrant]:
    """The four quadrants in reading order (strengths, weaknesses / opportunities, threats).

    Each quadrant is ranked by impact x probability, highest first; ties go to the higher
    impact, then to the older item. One query for all items.
    """
    items = sorted(plan.swot_items.all(), key=lambda i: (-i.score, -i.impact, i.pk))
    return [
        SwotQuadrant(kind, label, [item for item in items if item.kind == kind])
        for kind, label in SwotKind.choices
    ]
