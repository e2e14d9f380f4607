from dataclasses import dataclass

from django import template

from ..access import can_decide_plan, can_work_on_plan
from ..models import AccountPlan, PlanStatus, PlanTransition
from ..services.frame import MissingPart, plan_gaps

register = template.Library()


@dataclass(frozen=True)
class WorkflowActions:
    can_submit: bool
    can_decide: bool  # approve or return
    can_reopen: bool
    last_return: PlanTransition | None
    missing: list[MissingPart]  # what the plan lacks, while it is open or under review


@register.simple_tag
def workflow_actions(plan: AccountPlan, user) -> WorkflowActions:
    """Which workflow buttons the user gets on this plan, and the comment of its return.

    The plan header shows this on every plan page, behind the access gate: a manager who
    sees the plan is on its account team. At most four queries (the latest return, and the
    completeness check while the plan is a draft, returned or submitted).
    """
    works_on_plan = can_work_on_plan(user, plan)
    last_return = None
    if plan.status == PlanStatus.RETURNED:
        last_return = (
            plan.transitions.filter(to_status=PlanStatus.RETURNED).select_related("actor").first()
        )
    missing = plan_gaps(plan=plan) if plan.status != PlanStatus.APPROVED else []
    return WorkflowActions(
        can_submit=works_on_plan and plan.status in (PlanStatus.DRAFT, PlanStatus.RETURNED),
        can_decide=can_decide_plan(user) and plan.status == PlanStatus.SUBMITTED,
        can_reopen=works_on_plan and plan.status == PlanStatus.APPROVED,
        last_return=last_return,
        missing=missing,
    )
