from django.core.exceptions import ValidationError

from accounts.models import KeyAccount
from kam.models import User

from ..models import PLAN_EXISTS_MESSAGE, AccountPlan


def plan_create(*, account: KeyAccount, fiscal_year: int, user: User) -> AccountPlan:
    """Start a draft plan; one plan per account and fiscal year."""
    if AccountPlan.objects.filter(account=account, fiscal_year=fiscal_year).exists():
        raise ValidationError(PLAN_EXISTS_MESSAGE, code="plan_exists")
    plan = AccountPlan(account=account, fiscal_year=fiscal_year, created_by=user)
    plan.full_clean()
    plan.save()
    return plan
