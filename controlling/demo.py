"""Demo actuals for `load_demo`: this year's reported months of the approved drives plan.

Revenue runs a little behind its seasonal targets from the summer on, so the plan shows a
gap worth steering against. Idempotent: actuals_save upserts per account, KPI and month.
"""

from decimal import Decimal

from django.utils import timezone

from accounts.models import KeyAccount
from goals.models import AccountPlan, fiscal_year_for
from goals.services.goals import plan_months

from .services import actuals_save

# Actual as a share of the month's target, first fiscal month first; None: not reported yet.
REVENUE_PACE = ["1.04", "1.01", "0.99", "1.02", "0.97", "0.95", "0.93", "0.92", "0.94", "0.90"]
MARGIN_PACE = ["1.02", "1.00", "0.98", "1.00", "0.96", "0.96", "0.95", "0.94", "0.93", "0.92"]


def load(*, users) -> None:
    year = fiscal_year_for(timezone.localdate())
    plan = AccountPlan.objects.filter(account__customer_number="K-10001", fiscal_year=year).first()
    if plan is None:
        return
    months = plan_months(year)
    values = {}
    for code, pace in (("revenue", REVENUE_PACE), ("contribution_margin", MARGIN_PACE)):
        goal = plan.goals.filter(kpi__code=code).first()
        if goal is None:
            continue
        targets = {t.month: t.value for t in goal.targets.all()}
        for month, share in zip(months, pace, strict=False):
            values[(goal.kpi_id, month)] = (targets[month] * Decimal(share)).quantize(
                Decimal("0.01")
            )
    actuals_save(
        account=KeyAccount.objects.get(pk=plan.account_id),
        values=values,
        user=users["anna"],
        fiscal_year=year,
    )
