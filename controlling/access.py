"""The access gate for deviations and notifications.

A deviation is visible exactly when its goal's account is; a notification only to its
recipient. Both answer 404 otherwise, so their existence is not revealed."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.access import can_edit
from accounts.models import KeyAccount
from controlling.models import ControllingRun, Deviation, Notification
from kam.models import User


def deviations_visible_to(user) -> QuerySet:
    return Deviation.objects.filter(goal__plan__account__in=KeyAccount.objects.visible_to(user))


def get_deviation_for_user(user, pk: int) -> Deviation:
    return get_object_or_404(
        deviations_visible_to(user).select_related(
            "goal__owner",
            "goal__kpi",
            "goal__state",
            "goal__plan__account__owner",
            "countermeasure",
        ),
        pk=pk,
    )


def can_comment(user, deviation: Deviation) -> bool:
    """The account's team and administrators; not read-only leadership, not archived accounts."""
    return can_edit(user, deviation.goal.plan.account)


def get_rw_deviation_for_user(user, pk: int) -> Deviation:
    deviation = get_deviation_for_user(user, pk)
    if not can_comment(user, deviation):
        raise PermissionDenied
    return deviation


def get_notification_for_user(user, pk: int) -> Notification:
    return get_object_or_404(Notification.objects.filter(recipient=user), pk=pk)


def runs_visible_to(user: User) -> QuerySet:
    """Leadership and administrators see every run; anyone else the runs they asked for."""
    runs = ControllingRun.objects.select_related("requested_by")
    if user.sees_all_accounts:
        return runs
    return runs.filter(requested_by=user)
