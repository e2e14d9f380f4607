"""Read models of the manager home: my accounts, my open deviations, my measures coming due,
my overdue contacts, my latest alerts."""

import datetime
from dataclasses import dataclass

from django.db.models import (
    Case,
    Count,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)

from accounts.models import (
    AccountTeamMember,
    KeyAccount,
    Stakeholder,
)
from controlling.access import deviations_visible_to
from controlling.models import (
    Deviation,
    GoalStatus,
    Notification,
)
from controlling.selectors.attainment import Attainment, Bands, account_attainment
from goals.models import (
    AccountPlan,
    Goal,
    Measure,
    MeasureStatus,
)
from kam.fiscal import fiscal_year_for

DUE_WITHIN_DAYS = 14


OPEN_MEASURE = (MeasureStatus.PLANNED, MeasureStatus.IN_PROGRESS)


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


def severity_order() -> Case:
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
        .annotate(severity_rank=severity_order())
        .order_by("-severity_rank", "opened_at", "pk")
    )


def my_due_measures(*, user, today: datetime.date) -> QuerySet[Measure]:
    """Open measures (planned or in progress) due within DUE_WITHIN_DAYS days or overdue, that
    the user owns or that belong to the user's accounts; earliest due first. Only measures of
    open plans: a plan is open while its fiscal year is the current one (of `today`) or a
    later one, so last year's closed plans do not fill the list with old measures."""
    visible = KeyAccount.objects.visible_to(user).not_archived()
    return (
        Measure.objects.filter(
            plan__account__in=visible,
            plan__fiscal_year__gte=fiscal_year_for(today),
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
