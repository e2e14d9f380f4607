"""Read models for the key-account pages; each costs a fixed number of queries."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from kam.audit import AuditSource
from kam.models import User

from .models import (
    AccountTeamMember,
    Attitude,
    Interaction,
    KeyAccount,
    MarketStage,
    PortfolioCriterion,
    PortfolioQuadrant,
    PortfolioScore,
    PortfolioScoring,
    Site,
    Stakeholder,
)


def visible_parent(user) -> QuerySet[KeyAccount]:
    """The customer group of the outer account, if the user may see it: its name is its data."""
    return KeyAccount.objects.visible_to(user).filter(pk=OuterRef("parent_id"))


def account_list(*, user) -> QuerySet[KeyAccount]:
    return (
        KeyAccount.objects.visible_to(user)
        .select_related("owner", "parent")
        .annotate(parent_visible=Exists(visible_parent(user)))
        .annotate(site_count=Count("sites", distinct=True))
        # Meta.ordering does not apply to a GROUP BY query, so the annotation needs its own.
        .order_by("name", "pk")
    )


def owner_choices(*, account: KeyAccount, current_owner_id: int | None = None) -> QuerySet[User]:
    """Who may own a measure or selling position of the account: its key account manager and
    its active team. A current owner stays selectable after leaving the team, so editing the
    record does not force a new owner."""
    team = account.team_members.values("user_id")
    allowed = Q(pk=account.owner_id) | Q(is_active=True, pk__in=team)
    if current_owner_id:
        allowed |= Q(pk=current_owner_id)
    return User.objects.filter(allowed).order_by("first_name", "last_name", "username")


def stakeholder_list(*, account: KeyAccount) -> list[Stakeholder]:
    return list(account.stakeholders.with_last_contact().select_related("relationship_owner"))


def interaction_list(*, account: KeyAccount) -> QuerySet[Interaction]:
    return account.interactions.select_related("author").prefetch_related(
        Prefetch("stakeholders", queryset=Stakeholder.objects.only("id", "name", "account_id"))
    )


@dataclass
class AccountOverview:
    site_count: int
    country_count: int
    stakeholder_count: int
    overdue_stakeholders: list[Stakeholder]
    recent_interactions: list[Interaction]
    market_stage_count: int
    team_size: int
    group_members: list[KeyAccount]


def account_overview(*, account: KeyAccount, user) -> AccountOverview:
    stakeholders = stakeholder_list(account=account)
    sites = account.sites.aggregate(total=Count("id"), countries=Count("country", distinct=True))
    return AccountOverview(
        site_count=sites["total"],
        country_count=sites["countries"],
        stakeholder_count=len(stakeholders),
        overdue_stakeholders=[s for s in stakeholders if s.is_contact_overdue],
        recent_interactions=list(interaction_list(account=account)[:5]),
        market_stage_count=account.market_stages.count(),
        team_size=account.team_members.count(),
        group_members=list(account.children.visible_to(user).only("id", "name")),
    )


@dataclass
class MapCell:
    influence: int
    attitude: str
    stakeholders: list[Stakeholder]


def relationship_map(*, account: KeyAccount) -> list[list[MapCell]]:
    """Rows: influence 5 (top) to 1; columns: opponent, neutral, supporter."""
    attitudes = [Attitude.OPPONENT, Attitude.NEUTRAL, Attitude.SUPPORTER]
    cells: dict[tuple[int, str], list[Stakeholder]] = defaultdict(list)
    for stakeholder in stakeholder_list(account=account):
        cells[(stakeholder.influence, stakeholder.attitude)].append(stakeholder)
    return [
        [MapCell(level, attitude, cells[(level, attitude)]) for attitude in attitudes]
        for level in range(5, 0, -1)
    ]


def overdue_contacts(*, today=None) -> list[Stakeholder]:
    """Every stakeholder whose contact interval has passed, for the daily reminder."""
    today = today or timezone.localdate()
    stakeholders = (
        Stakeholder.objects.filter(account__status__in=["active", "on_hold"])
        .with_last_contact()
        .select_related("account", "account__owner", "relationship_owner")
    )
    return [s for s in stakeholders if s.contact_overdue(s.last_contact, today)]


def active_criteria() -> list[PortfolioCriterion]:
    return list(PortfolioCriterion.objects.filter(active=True))


def latest_scores(*, account: KeyAccount) -> dict[int, int]:
    """The account's most recent score per criterion, to start the next scoring from."""
    latest = account.portfolio_scorings.first()
    if latest is None:
        return {}
    return dict(latest.scores.values_list("criterion_id", "score"))


def scoring_history(*, account: KeyAccount) -> QuerySet[PortfolioScoring]:
    return account.portfolio_scorings.select_related("scored_by").prefetch_related(
        Prefetch("scores", queryset=PortfolioScore.objects.select_related("criterion"))
    )


def equal_account_sizes(*, account_ids: list[int]) -> dict[int, int]:
    """The default KAM_ACCOUNT_SIZE_PROVIDER: every bubble the same size."""
    return dict.fromkeys(account_ids, 1)


@dataclass
class PortfolioPosition:
    account: KeyAccount
    quadrant: PortfolioQuadrant
    size: Decimal | float  # what the size provider returned: revenue, or 1 by default


@dataclass
class PortfolioMatrix:
    positions: list[PortfolioPosition]
    unscored: list[KeyAccount]
    # The figure bubbles are sized by ("Revenue"), or "" when the provider sizes them equally.
    size_label: str
    counts: dict[str, int]


def portfolio_matrix(*, accounts: QuerySet[KeyAccount]) -> PortfolioMatrix:
    """Place the accounts on attractiveness x relative strength, sized by the provider.

    The provider named by KAM_ACCOUNT_SIZE_PROVIDER is a callable
    `(*, account_ids) -> {account_id: number}`; an app further down the dependency chain
    (controlling: revenue) plugs in there, so accounts imports none of them. Its optional
    attribute `label` names the figure.
    """
    rows = list(accounts.select_related("owner"))
    provider = import_string(settings.KAM_ACCOUNT_SIZE_PROVIDER)
    placed = [a for a in rows if _placed(a)]
    sizes = provider(account_ids=[a.pk for a in placed]) if placed else {}
    positions = [
        PortfolioPosition(account=a, quadrant=quadrant, size=sizes.get(a.pk) or 0)
        for a in placed
        if (quadrant := PortfolioQuadrant.of(a.attractiveness, a.relative_strength)) is not None
    ]
    counts = dict.fromkeys(PortfolioQuadrant.values, 0)
    for position in positions:
        counts[position.quadrant] += 1
    return PortfolioMatrix(
        positions=positions,
        unscored=[a for a in rows if not _placed(a)],
        size_label=str(getattr(provider, "label", "")),
        counts=counts,
    )


def _placed(account: KeyAccount) -> bool:
    return account.attractiveness is not None and account.relative_strength is not None


# --- the audit history (kam.audit) ----------------------------------------------------------


def audit_sources() -> list[AuditSource]:
    """What accounts audits: the account and everything a user changes on it."""
    return [
        AuditSource(
            "accounts.keyaccount",
            KeyAccount,
            lambda record: _("Key account “%(name)s”") % {"name": record.name},
            account="id",
        ),
        AuditSource(
            "accounts.accountteammember",
            AccountTeamMember,
            lambda record: _("Team member %(user)s") % {"user": record.user or "–"},
            account="account_id",
            related=("user",),
        ),
        AuditSource(
            "accounts.site",
            Site,
            lambda record: _("Site “%(name)s”") % {"name": record.name},
            account="account_id",
        ),
        AuditSource(
            "accounts.stakeholder",
            Stakeholder,
            lambda record: _("Stakeholder “%(name)s”") % {"name": record.name},
            account="account_id",
        ),
        AuditSource(
            "accounts.interaction",
            Interaction,
            lambda record: _("Interaction of %(date)s") % {"date": date_format(record.date)},
            account="account_id",
        ),
        AuditSource(
            "accounts.marketstage",
            MarketStage,
            lambda record: _("Market stage “%(name)s”") % {"name": record.name},
            account="account_id",
        ),
    ]
