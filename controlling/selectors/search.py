"""The global search: accounts, stakeholders, plans, goals and measures the user may see,
matched case-insensitively on their names, titles and customer numbers (docs/architecture.md,
"Global search"). Everything goes through the one visibility rule,
`KeyAccount.objects.visible_to`; two queries a kind (the first rows and the count)."""

from dataclasses import dataclass, field

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import KeyAccount, Stakeholder
from goals.access import plans_visible_to
from goals.models import Goal, Measure

# The rows shown of each kind; the count says how many matched in all.
SEARCH_LIMIT = 10
# Shorter queries match too much to be useful and are not run.
MIN_QUERY_LENGTH = 2


@dataclass
class SearchGroup:
    """The matches of one kind: the first `SEARCH_LIMIT` rows and how many matched."""

    kind: str
    label: str
    rows: list[Model] = field(default_factory=list)
    count: int = 0

    @property
    def more(self) -> int:
        return self.count - len(self.rows)


def _group(kind: str, label, queryset: QuerySet) -> SearchGroup:
    rows = list(queryset[:SEARCH_LIMIT])
    count = len(rows) if len(rows) < SEARCH_LIMIT else queryset.count()
    return SearchGroup(kind=kind, label=str(label), rows=rows, count=count)


def search(*, user, query: str) -> list[SearchGroup]:
    """The groups of matches for `query` (empty when the query is too short)."""
    query = query.strip()
    if len(query) < MIN_QUERY_LENGTH:
        return []
    accounts = KeyAccount.objects.visible_to(user)
    plans = plans_visible_to(user)
    groups = [
        _group(
            "accounts",
            _("Key accounts"),
            accounts.filter(Q(name__icontains=query) | Q(customer_number__icontains=query))
            .select_related("owner")
            .order_by("name", "pk"),
        ),
        _group(
            "stakeholders",
            _("Stakeholders"),
            Stakeholder.objects.filter(account__in=accounts)
            .filter(Q(name__icontains=query) | Q(title__icontains=query))
            .select_related("account")
            .order_by("name", "pk"),
        ),
        _group(
            "plans",
            _("Account plans"),
            plans.filter(
                Q(account__name__icontains=query) | Q(account__customer_number__icontains=query)
            )
            .select_related("account")
            .order_by("account__name", "-fiscal_year", "pk"),
        ),
        _group(
            "goals",
            _("Goals"),
            Goal.objects.filter(plan__in=plans, title__icontains=query)
            .select_related("plan__account")
            .order_by("title", "pk"),
        ),
        _group(
            "measures",
            _("Measures"),
            Measure.objects.filter(plan__in=plans, title__icontains=query)
            .select_related("plan__account")
            .order_by("title", "pk"),
        ),
    ]
    return groups
