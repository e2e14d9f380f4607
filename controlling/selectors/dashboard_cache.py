"""What the leadership dashboard adds up over the whole filtered portfolio, kept until one of
its inputs changes.

The totals, the funnel and whitespace, the portfolio's quadrant counts and largest accounts
and the currencies read one figures row per filtered account (`AccountFigures`,
`SellingFigures`) and the accounts themselves. Between two controlling runs they stay the
same unless an account does, so they are kept in Django's cache under a **stamp** of those
inputs, read on every request in two small queries:

- the filtered accounts: how many, a hash of their ids (which accounts), and the latest
  `updated_at` among them (an edited name, tier, owner, score or currency);
- `FiguresVersion.number`, which every figures refresh raises in its own transaction.

With the fiscal year, the bands of the threshold, the strategic frame's cost caps and the
language in the key as well, an entry can only be read for exactly the inputs it was computed
from: nothing is invalidated, a new stamp just misses, and entries nobody asks for expire.
Per-request parts (deviation lists, approvals, the heatmap and costs pages) are never kept.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Count, F, Max, QuerySet, Sum

from accounts.models import KeyAccount
from controlling.models import FiguresVersion
from kam import changes

# The ids are summed through a hash, so that one account leaving and another joining leaves
# a trace: a linear one (id x constant mod prime) would keep {1, 4} and {2, 3} equal, its
# square modulo the prime does not. Every term stays below 2^62 on every database.
_SPREAD, _PRIME = 48271, 2147483647

T = TypeVar("T")


def figures_version() -> int:
    return FiguresVersion.objects.filter(pk=1).values_list("number", flat=True).first() or 0


def figures_version_raise() -> None:
    """Called last in a figures refresh, inside its transaction: readers see the new number
    only together with the new figures. Concurrent refreshes queue on the row for the
    moment until each commits."""
    if not FiguresVersion.objects.filter(pk=1).update(number=F("number") + 1):
        FiguresVersion.objects.bulk_create([FiguresVersion(pk=1, number=1)], ignore_conflicts=True)


@dataclass(frozen=True)
class Stamp:
    accounts: int  # how many accounts the filter selects
    key: str

    def remembered(self, name: str, compute: Callable[[], T], *inputs) -> T:
        """`compute()`, or what it returned before for this stamp, name and inputs."""
        return changes.remembered(name, self.key, compute, *inputs)


def stamp(accounts: QuerySet[KeyAccount]) -> Stamp:
    """The stamp of the filtered accounts and of the figures. Two queries."""
    spread = F("pk") * _SPREAD % _PRIME
    row = accounts.order_by().aggregate(
        n=Count("pk"),
        ids=Sum(spread * spread % _PRIME),
        changed=Max("updated_at"),
    )
    changed = row["changed"].isoformat() if row["changed"] else ""
    return Stamp(
        accounts=row["n"], key=f"{row['n']}:{row['ids'] or 0}:{changed}:{figures_version()}"
    )
