"""Reads for the deviation list, a deviation's page and the notification list."""

from dataclasses import dataclass

from django.db.models import Case, IntegerField, QuerySet, Value, When

from accounts.models import KeyAccount
from controlling.access import deviations_visible_to
from controlling.models import STATUS_SEVERITY, Deviation, DeviationComment, Notification
from kam.models import User


class DeviationState:
    OPEN = "open"
    CLOSED = "closed"
    ESCALATED = "escalated"
    ALL = "all"


@dataclass(frozen=True)
class DeviationFilters:
    state: str = DeviationState.OPEN
    account_id: int | None = None
    status: str = ""


def severity_order() -> Case:
    return Case(
        *(When(to_status=status, then=Value(rank)) for status, rank in STATUS_SEVERITY.items()),
        output_field=IntegerField(),
    )


def deviation_list(*, user, filters: DeviationFilters) -> QuerySet:
    """The user's visible deviations, worst first, then oldest first. Two queries per page
    (count and rows), whatever the number of deviations."""
    deviations = deviations_visible_to(user).select_related(
        "goal__plan__account", "goal__owner", "countermeasure"
    )
    if filters.state == DeviationState.OPEN:
        deviations = deviations.filter(closed_at__isnull=True)
    elif filters.state == DeviationState.CLOSED:
        deviations = deviations.filter(closed_at__isnull=False)
    elif filters.state == DeviationState.ESCALATED:
        deviations = deviations.filter(escalated_at__isnull=False)
    if filters.account_id is not None:
        deviations = deviations.filter(goal__plan__account_id=filters.account_id)
    if filters.status:
        deviations = deviations.filter(to_status=filters.status)
    return deviations.annotate(severity_rank=severity_order()).order_by(
        "-severity_rank", "opened_at", "pk"
    )


def deviation_accounts(*, user) -> QuerySet:
    """The visible accounts that have a deviation, for the account filter."""
    return (
        KeyAccount.objects.visible_to(user)
        .filter(pk__in=Deviation.objects.values("goal__plan__account_id"))
        .order_by("name")
    )


def deviation_comments(*, deviation: Deviation) -> QuerySet:
    return DeviationComment.objects.filter(deviation=deviation).select_related("author")


def notification_list(*, user) -> QuerySet:
    """The user's own notifications, unread first, newest first."""
    return (
        Notification.objects.filter(recipient=user)
        .select_related(
            "deviation__goal__plan__account",
            "transition__plan__account",
            "transition__actor",
            "measure__plan__account",
        )
        .annotate(
            unread=Case(
                When(read_at__isnull=True, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("unread", "-created_at", "-pk")
    )


def unread_count(user: User, up_to: int) -> int:
    """The user's unread notifications, or `up_to` when there are as many or more."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    return unread.order_by()[:up_to].count()


def unread_about(*, user: User, deviation: Deviation) -> int:
    """How many of the user's notifications about this deviation are unread."""
    return Notification.objects.filter(
        recipient=user, deviation=deviation, read_at__isnull=True
    ).count()
