"""Who may see and do what with account plans: the gate (a plan is visible exactly when its
account is) and one predicate per permission.

Predicates decide on a plan the user can already see (it came through the gate, which
answers 404 for any other); they never query."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from accounts.access import can_edit_account
from accounts.models import KeyAccount

from .models import AccountPlan


def get_plan_for_user(user, pk: int) -> AccountPlan:
    """The plan if the user may see its account; 404 otherwise, so its existence is not revealed."""
    return get_object_or_404(
        plans_visible_to(user).select_related("account__owner", "account__parent", "created_by"),
        pk=pk,
    )


def plans_visible_to(user):
    return AccountPlan.objects.filter(account__in=KeyAccount.objects.visible_to(user))


def get_rw_plan_for_user(user, pk: int) -> AccountPlan:
    """The plan if the user may change it: 403 for read-only roles, archived accounts and
    plans that are submitted or approved."""
    plan = get_plan_for_user(user, pk)
    if not can_edit_plan(user, plan):
        raise PermissionDenied
    return plan


def can_create_plan(user, account: KeyAccount) -> bool:
    """Open, copy or build a plan from templates for an account: whoever may change it."""
    return can_edit_account(user, account)


def can_edit_plan(user, plan: AccountPlan) -> bool:
    """Change a plan's content (status quo, SWOT, goals, targets, measures): the account's
    team and administrators, while the plan is a draft or returned."""
    return can_edit_account(user, plan.account) and plan.is_editable


def can_record_progress(user, plan: AccountPlan) -> bool:
    """Record progress of measures and countermeasures, on plans in every status, approved
    ones included, by whoever may change the account: never by read-only leadership, never on
    archived accounts."""
    return can_edit_account(user, plan.account)


def can_work_on_plan(user, plan: AccountPlan) -> bool:
    """Submit a draft or returned plan, reopen an approved one: the account's team and
    administrators. Leadership reviews plans and does not move them back into work; plans of
    archived accounts stay as they are."""
    return can_edit_account(user, plan.account)


def can_decide_plan(user) -> bool:
    """Approve or return a submitted plan: sales leadership and administrators."""
    return user.is_leadership or user.is_administrator


def can_import_selling_positions(user) -> bool:
    """Import selling positions from a file: anyone who may change accounts; each row is
    checked against the accounts the user may change."""
    return not user.is_read_only
