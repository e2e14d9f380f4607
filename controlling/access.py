"""Who may see and do what in controlling: the gates for deviations, notifications, imports
and runs, and one predicate per permission.

A deviation is visible exactly when its goal's account is; a notification only to its
recipient; an import to its importer (all of them to leadership and administrators); a run
to whoever asked for it (all of them to leadership and administrators). Gates answer 404
otherwise, so existence is not revealed. Predicates decide on an object the user can already
see; they never query."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.access import can_edit_account
from accounts.models import KeyAccount
from goals.models import AccountPlan
from kam.models import User

from .models import ActualImport, ControllingRun, Deviation, Notification

# --- gates ------------------------------------------------------------------------------------


def deviations_visible_to(user) -> QuerySet[Deviation]:
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


def get_rw_deviation_for_user(user, pk: int) -> Deviation:
    deviation = get_deviation_for_user(user, pk)
    if not can_comment(user, deviation):
        raise PermissionDenied
    return deviation


def get_notification_for_user(user, pk: int) -> Notification:
    return get_object_or_404(Notification.objects.filter(recipient=user), pk=pk)


def _own_unless_overseer(records: QuerySet, user, started_by: str) -> QuerySet:
    """Records a user started (`started_by` names the field): their own, every one for
    leadership and administrators."""
    if user.sees_all_accounts:
        return records
    return records.filter(**{started_by: user})


def imports_visible_to(user) -> QuerySet[ActualImport]:
    imports = ActualImport.objects.select_related("user", "rolled_back_by")
    return _own_unless_overseer(imports, user, "user")


def get_import_for_user(user, pk: int) -> ActualImport:
    return get_object_or_404(imports_visible_to(user), pk=pk)


def runs_visible_to(user: User) -> QuerySet[ControllingRun]:
    runs = ControllingRun.objects.select_related("requested_by")
    return _own_unless_overseer(runs, user, "requested_by")


def get_run_for_user(user, pk: int) -> ControllingRun:
    return get_object_or_404(runs_visible_to(user), pk=pk)


# --- permissions ------------------------------------------------------------------------------


def can_enter_actuals(user, plan: AccountPlan) -> bool:
    """Enter actuals in a plan's grid: the account's team and administrators, on plans of any
    status (an approved plan is read-only except progress and actuals). Not leadership, not
    archived accounts."""
    return can_edit_account(user, plan.account)


def can_rate(user, plan: AccountPlan) -> bool:
    """Rate a qualitative goal for a month: as for entering actuals."""
    return can_enter_actuals(user, plan)


def can_import_actuals(user) -> bool:
    """Import actuals from an ERP file: managers (for the accounts they may change, checked
    row by row) and administrators; not read-only leadership."""
    return not user.is_read_only


def can_roll_back_import(user, actual_import: ActualImport) -> bool:
    """Roll back an import: its importer and administrators, not read-only leadership. (That
    it is not rolled back already is the service's check, with its own message.)"""
    if user.is_read_only:
        return False
    return user.is_administrator or actual_import.user_id == user.pk


def can_run_account(user, plan: AccountPlan) -> bool:
    """Recompute one account now: whoever may enter its actuals, and leadership and
    administrators, who may run every account anyway."""
    return user.sees_all_accounts or can_enter_actuals(user, plan)


def can_oversee_runs(user) -> bool:
    """List every run, read its errors, start a run of all accounts: leadership and
    administrators."""
    return user.sees_all_accounts


def can_comment(user, deviation: Deviation) -> bool:
    """Comment on a deviation: the account's team and administrators; not read-only
    leadership, not archived accounts."""
    return can_edit_account(user, deviation.goal.plan.account)
