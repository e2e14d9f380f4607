"""Ratings of qualitative goals, entered on the plan controlling page."""

import datetime
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from controlling.models import GoalRating
from controlling.services import runs
from goals.models import Goal, GoalKind
from kam.concurrency import StaleEdit, cells_from_token, cells_token
from kam.fiscal import month_label, plan_months
from kam.models import User


def rating_shown(rating: GoalRating | None) -> str:
    """How a month's rating is compared for conflicting edits: rating and note."""
    return "" if rating is None else f"{rating.rating}|{rating.note.strip()}"


def ratings_seen(ratings: Mapping[datetime.date, GoalRating | None]) -> str:
    """What a rating form shows, month -> rating (kam.concurrency.cells_token)."""
    return cells_token({month.isoformat(): rating_shown(r) for month, r in ratings.items()})


def goal_rating_save(
    *,
    goal: Goal,
    month: datetime.date,
    rating: int,
    note: str = "",
    user: User,
    seen: str | None = None,
) -> GoalRating:
    """Set a qualitative goal's rating for a month of its plan's fiscal year up to this one
    (again for a month already rated), and have the controlling run recompute the account
    once this commits. Allowed on plans of any status; the caller checks who.

    seen (ratings_seen of what the form showed) makes the save conditional: when someone else
    rated that month since, differently, StaleEdit names the month and them; its fresh holds
    what the form must now carry."""
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
        shown = cells_from_token(seen)
        if shown is not None:
            _check(goal, month, shown, f"{rating}|{note.strip()}")
        saved, _created = GoalRating.objects.update_or_create(
            goal=goal,
            month=month,
            defaults={"rating": rating, "note": note.strip(), "rated_by": user},
        )
        runs.recompute_request(account_ids=[goal.plan.account_id], reason="goal rated")
    return saved


def _check(goal: Goal, month: datetime.date, shown: Mapping[str, str], posted: str) -> None:
    """A save of one month is the user's answer to what it showed: when the month's stored
    rating is no longer that (and not already what is posted), someone else rated it since,
    and saving would silently undo their rating even if this user kept the shown value."""
    stored = GoalRating.objects.select_for_update().filter(goal=goal, month=month).first()
    key = month.isoformat()
    if key not in shown or rating_shown(stored) in (shown[key], posted) or stored is None:
        return
    ratings = {r.month: r for r in goal.ratings.all()}
    raise StaleEdit(
        changed=[month_label(month)],
        who=str(stored.rated_by) if stored.rated_by else None,
        at=stored.updated_at,
        fresh=ratings_seen({m: ratings.get(m) for m in plan_months(goal.plan.fiscal_year)}),
    )
