"""Demo figures for `load_demo`: actuals and ratings for this year's plans, then a full
controlling run, so results, deviations and alerts are there to look at.

Nordwerk Antriebe's revenue runs a little behind its seasonal targets from the summer on (a
gap worth steering against); Cascade Packaging's revenue falls clearly short, which opens a
deviation with a comment from its manager. Idempotent: actuals and ratings are upserts and
the run recomputes the same rows.
"""

import datetime
import random
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from accounts.models import KeyAccount
from controlling.models import Deviation, RunKind
from controlling.services import runs
from controlling.services.actuals import actuals_save
from controlling.services.alerts import (
    alerts_raise,
    deviation_comment_add,
    deviations_escalate,
)
from controlling.services.engine import compute_goals
from controlling.services.ratings import goal_rating_save
from goals.demo import bilingual, language_of
from goals.models import AccountPlan, GoalKind
from goals.services.measures import measure_create
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
# Latest rating of each qualitative goal, by the English part of the goal's title.
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
    generated = list(
        AccountPlan.objects.filter(
            account__customer_number__startswith="K-3", fiscal_year=year, status="approved"
        ).select_related("account__owner")
    )
    paces = generated_paces(generated, len(reported))
    for plan in generated:
        _actuals(plan, paces[plan.pk], reported, plan.account.owner)
    # Computed here rather than only by the queued run (which waits for the commit), so the
    # deviations exist to comment on, escalate and close; the full run then recomputes the
    # same rows and opens none.
    account_ids = list(KeyAccount.objects.values_list("pk", flat=True))
    compute_goals(account_ids=account_ids)
    alerts_raise(account_ids=account_ids)
    _comment(users["ben"])
    _fates()
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
    titles = {bilingual(title): rating for title, rating in ratings.items()}
    for goal in plan.goals.filter(kind=GoalKind.QUALITATIVE, title__in=titles):
        goal_rating_save(goal=goal, month=month, rating=titles[goal.title], user=user)


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


# --- the wider portfolio ------------------------------------------------------------------------

# The generated accounts' revenue runs at one of these shares of its targets, chosen per
# account from a fixed seed; the contribution margin stays on track.
GENERATED_PACES = [("1.03", "0.99"), ("0.97", "0.93"), ("0.90", "0.82"), ("0.88", "0.80")]
# What becomes of the generated accounts' deviations, in turn: left open, commented,
# escalated to leadership, closed by a countermeasure.
FATES = ["open", "commented", "escalated", "closed"]
COMMENTS = {
    "de": "Ein Großauftrag hat sich ins nächste Quartal verschoben; wir holen ihn nach.",
    "en": "A large order moved to next quarter; we will make it up.",
}
COUNTERMEASURES = {
    "de": "Gegenmaßnahme: Preisgespräch und Musterlieferung",
    "en": "Countermeasure: price talk and sample delivery",
}


def generated_paces(plans, months: int) -> dict[int, dict[str, list[str]]]:
    """Per plan id, the monthly shares of target for revenue and margin (same on every run)."""
    rng = random.Random(17)
    paces = {}
    for plan in sorted(plans, key=lambda p: p.account.customer_number):
        start, end = (Decimal(x) for x in rng.choice(GENERATED_PACES))
        step = (end - start) / max(months - 1, 1)
        paces[plan.pk] = {
            "revenue": [str((start + step * i).quantize(Decimal("0.01"))) for i in range(months)],
            "contribution_margin": ["1.01"] * months,
        }
    return paces


def _fates() -> None:
    """Give the generated accounts' revenue deviations (the ones their actuals opened above)
    their fates: the n-th by account the n-th fate. Running again changes nothing: what has a
    fate keeps it."""
    deviations = (
        Deviation.objects.filter(
            goal__plan__account__customer_number__startswith="K-3", goal__kpi__code="revenue"
        )
        .select_related("goal__plan__account__owner")
        .order_by("goal__plan__account__customer_number", "goal__order", "goal_id", "opened_for")
    )
    now = timezone.now()
    escalate = []
    for n, deviation in enumerate(deviations):
        fate = FATES[n % len(FATES)]
        plan = deviation.goal.plan
        owner = plan.account.owner
        language = language_of(plan.account)
        if fate == "commented" and not deviation.comments.exists():
            deviation_comment_add(deviation=deviation, author=owner, text=COMMENTS[language])
        elif fate == "escalated" and deviation.escalated_at is None and deviation.is_open:
            escalate.append(deviation.pk)
        elif fate == "closed" and deviation.is_open:
            today = timezone.localdate()
            measure_create(
                plan=plan,
                goals=[deviation.goal],
                user=owner,
                title=COUNTERMEASURES[language],
                instrument="pricing",
                owner=owner,
                start_date=today,
                due_date=today + datetime.timedelta(days=30),
                planned_cost=Decimal("2000"),
                is_countermeasure=True,
            )
    if escalate:
        # Open for longer than the escalation period, so the daily escalation takes them.
        days = settings.KAM_DEVIATION_ESCALATION_DAYS + 1
        Deviation.objects.filter(pk__in=escalate).update(
            opened_at=now - datetime.timedelta(days=days)
        )
        deviations_escalate(now=now)


def summary() -> str:
    deviations = Deviation.objects.all()
    open_ = deviations.filter(closed_at__isnull=True)
    return (
        f"Deviations: {open_.filter(escalated_at__isnull=True).count()} open, "
        f"{open_.filter(escalated_at__isnull=False).count()} escalated, "
        f"{deviations.filter(closed_at__isnull=False).count()} closed by a countermeasure"
    )
