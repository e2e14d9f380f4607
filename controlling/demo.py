"""Demo figures for `load_demo`: actuals and ratings for this year's plans, then a full
controlling run, so results, deviations and alerts are there to look at.

Nordwerk Antriebe's revenue runs a little behind its seasonal targets from the summer on (a
gap worth steering against); Cascade Packaging's revenue falls clearly short, which opens a
deviation with a comment from its manager. Idempotent: actuals and ratings are upserts and
the run recomputes the same rows.
"""

import datetime
from decimal import Decimal

from django.utils import timezone

from accounts.models import KeyAccount
from controlling.models import Deviation, RunKind
from controlling.services import runs
from controlling.services.actuals import actuals_save
from controlling.services.alerts import alerts_raise, deviation_comment_add
from controlling.services.engine import compute_goals
from controlling.services.ratings import goal_rating_save
from goals.models import AccountPlan, GoalKind
from kam.fiscal import fiscal_year_for, plan_months

# Actual as a share of the month's target, first fiscal month first, per account and KPI.
PACES = {
    "K-10001": {
        "revenue": ["1.04", "1.01", "0.99", "1.02", "0.97", "0.95", "0.93", "0.92", "0.94", "0.90"],
        "contribution_margin": [
            "1.02", "1.00", "0.98", "1.00", "0.96", "0.96", "0.95", "0.94", "0.93", "0.92",
        ],
    },
    "K-20002": {
        "revenue": ["0.92", "0.86", "0.84", "0.81", "0.80", "0.79", "0.78", "0.80", "0.77", "0.76"],
        "contribution_margin": [
            "1.01", "0.99", "1.00", "0.98", "1.00", "0.97", "0.99", "0.98", "0.97", "0.99",
        ],
    },
}  # fmt: skip
# Latest rating of each qualitative goal, by the goal's title.
RATINGS = {
    "K-10001": {"Customer satisfaction": 4, "Joint innovation roadmap": 3},
    "K-20002": {"Customer satisfaction": 2, "Joint innovation roadmap": 4},
}
COMMENT = (
    "Two filling lines were moved to the competitor's trial in spring; volume returns only "
    "after the trial ends. Price talk with purchasing is scheduled."
)


def load(*, users) -> None:
    today = timezone.localdate()
    year = fiscal_year_for(today)
    # Only months that are over can have been reported.
    reported = [m for m in plan_months(year) if m < today.replace(day=1)]
    plans = AccountPlan.objects.filter(
        account__customer_number__in=PACES, fiscal_year=year
    ).select_related("account")
    for plan in plans:
        number = plan.account.customer_number
        user = users["anna"] if plan.account.owner == users["anna"] else users["ben"]
        _actuals(plan, PACES[number], reported, user)
        if reported:
            _ratings(plan, RATINGS[number], reported[-1], user)
    # Computed here rather than only by the queued run (which waits for the commit), so the
    # deviation exists to comment on; the full run then recomputes the same rows.
    account_ids = [plan.account_id for plan in plans]
    compute_goals(account_ids=account_ids)
    alerts_raise(account_ids=account_ids)
    _comment(users["ben"])
    runs.run_start(kind=RunKind.FULL)


def _actuals(plan: AccountPlan, paces: dict, months: list[datetime.date], user) -> None:
    values: dict[tuple[int, datetime.date], Decimal] = {}
    for goal in plan.goals.filter(kpi__code__in=paces).select_related("kpi"):
        kpi = goal.kpi
        assert kpi is not None  # kpi__code__in above
        targets = {t.month: t.value for t in goal.targets.all()}
        for month, share in zip(months, paces[kpi.code], strict=False):
            value = targets[month] * Decimal(share)
            values[(kpi.pk, month)] = value.quantize(Decimal("0.01"))
    actuals_save(
        account=KeyAccount.objects.get(pk=plan.account_id),
        values=values,
        user=user,
        fiscal_year=plan.fiscal_year,
    )


def _ratings(plan: AccountPlan, ratings: dict, month: datetime.date, user) -> None:
    for goal in plan.goals.filter(kind=GoalKind.QUALITATIVE, title__in=ratings):
        goal_rating_save(goal=goal, month=month, rating=ratings[goal.title], user=user)


def _comment(user) -> None:
    deviation = (
        Deviation.objects.filter(
            goal__plan__account__customer_number="K-20002", goal__kpi__code="revenue"
        )
        .order_by("-opened_at")
        .first()
    )
    if deviation is not None and not deviation.comments.exists():
        deviation_comment_add(deviation=deviation, author=user, text=COMMENT)
