"""The access gate for account plans: a plan is visible exactly when its account is."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from accounts.models import KeyAccount

from .models import AccountPlan


def get_plan_for_user(user, pk: int) -> AccountPlan:
    """The plan if the user may see its account; 404 otherwise, so its existence is not revealed."""
    plans = AccountPlan.objects.filter(account__in=KeyAccount.objects.visible_to(user))
    return get_object_or_404(
        plans.select_related("account__owner", "account__parent", "created_by"), pk=pk
    )


def get_rw_plan_for_user(user, pk: int) -> AccountPlan:
    """The plan if the user may change it: 403 for read-only roles, archived accounts and
    plans that are submitted or approved."""
    plan = get_plan_for_user(user, pk)
    if not can_edit_plan(user, plan):
        raise PermissionDenied
    return plan


def can_edit_plan(user, plan: AccountPlan) -> bool:
    return not user.is_read_only and not plan.account.is_archived and plan.is_editable


def can_record_progress(user, plan: AccountPlan) -> bool:
    """Progress of measures and countermeasures may be recorded on plans in every status,
    approved ones included, by whoever may edit the account: never by read-only leadership,
    never on archived accounts."""
    return not user.is_read_only and not plan.account.is_archived
