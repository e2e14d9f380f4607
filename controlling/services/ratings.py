"""Ratings of qualitative goals, entered on the plan controlling page."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from controlling.models import GoalRating
from controlling.services import runs
from goals.models import Goal, GoalKind
from kam.fiscal import plan_months
from kam.models import User


def goal_rating_save(
    *, goal: Goal, month: datetime.date, rating: int, note: str = "", user: User
) -> GoalRating:
    """Set a qualitative goal's rating for a month of its plan's fiscal year up to this one
    (again for a month already rated), and have the controlling run recompute the account
    once this commits. Allowed on plans of any status; the caller checks who."""
    if goal.kind != GoalKind.QUALITATIVE:
        raise ValidationError(_("Only qualitative goals are rated."), code="not_qualitative")
    this_month = timezone.localdate().replace(day=1)
    if month not in plan_months(goal.plan.fiscal_year) or month > this_month:
        raise ValidationError(
            {"month": _("Choose a month of the plan's fiscal year up to this month.")},
            code="month",
        )
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": _("The rating must be from 1 to 5.")}, code="rating")
    with transaction.atomic():
        saved, _created = GoalRating.objects.update_or_create(
            goal=goal,
            month=month,
            defaults={"rating": rating, "note": note.strip(), "rated_by": user},
        )
        runs.recompute_request(account_ids=[goal.plan.account_id], reason="goal rated")
    return saved
