"""The approval workflow: draft -> submitted -> approved, or returned with a comment.

Every transition claims the plan with a conditional UPDATE on its expected status and checks
the row count, so a double click or two people at once cannot apply it twice; it is then
recorded as a `PlanTransition` row (who, when, from, to, revision, comment) and as a record
of the plan's django-simple-history, so the next field-level diff starts from the new status.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.models import User

from ..access import can_decide_plan, can_work_on_plan, plans_visible_to
from ..models import AccountPlan, PlanStatus, PlanTransition
from ..signals import figures_changed, plan_transitioned
from .frame import Violation, frame_violations

# The history record a transition writes carries this reason; the audit history shows the
# transition row instead of that record's status diff.
WORKFLOW_CHANGE_REASON = "workflow"

COMMENT_REQUIRED = gettext_lazy(
    "Please write a comment: tell the account team what to change before resubmitting."
)


class FrameViolationError(ValidationError):
    """Approval refused: the messages name every violation of the strategic frame."""


def _may_work_on(user: User, plan: AccountPlan) -> bool:
    """`can_work_on_plan` for a plan the caller may not have read through the gate."""
    visible = plans_visible_to(user).filter(pk=plan.pk).exists()
    return visible and can_work_on_plan(user, plan)


def plan_submit(*, plan: AccountPlan, user: User) -> list[Violation]:
    """Hand a draft or returned plan to leadership; returns the frame violations it has.

    A plan with violations may be submitted, so leadership sees them; it cannot be approved.
    """
    if not _may_work_on(user, plan):
        raise PermissionDenied
    _transition(
        plan=plan,
        user=user,
        expected=(PlanStatus.DRAFT, PlanStatus.RETURNED),
        to_status=PlanStatus.SUBMITTED,
        error=_("Only a draft or returned plan can be submitted."),
    )
    return frame_violations(plan=plan)


def plan_approve(*, plan: AccountPlan, user: User) -> None:
    """Approve a submitted plan; refused while it violates the strategic frame."""
    if not can_decide_plan(user):
        raise PermissionDenied
    if plan.status != PlanStatus.SUBMITTED:
        raise ValidationError(_("Only a submitted plan can be approved."), code="wrong_status")
    violations = frame_violations(plan=plan)
    if violations:
        raise FrameViolationError(
            [_("The plan violates the strategic frame and cannot be approved.")]
            + [violation.message for violation in violations]
        )
    _transition(
        plan=plan,
        user=user,
        expected=(PlanStatus.SUBMITTED,),
        to_status=PlanStatus.APPROVED,
        error=_("Only a submitted plan can be approved."),
    )


def plan_return(*, plan: AccountPlan, user: User, comment: str) -> None:
    """Send a submitted plan back to the account team with a comment on what to change."""
    if not can_decide_plan(user):
        raise PermissionDenied
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": COMMENT_REQUIRED}, code="required")
    _transition(
        plan=plan,
        user=user,
        expected=(PlanStatus.SUBMITTED,),
        to_status=PlanStatus.RETURNED,
        error=_("Only a submitted plan can be returned."),
        comment=comment,
    )


def plan_reopen(*, plan: AccountPlan, user: User) -> None:
    """Open a new revision of an approved plan as a draft; the history stays."""
    if not _may_work_on(user, plan):
        raise PermissionDenied
    _transition(
        plan=plan,
        user=user,
        expected=(PlanStatus.APPROVED,),
        to_status=PlanStatus.DRAFT,
        error=_("Only an approved plan can be reopened."),
        new_revision=True,
    )


def _transition(
    *,
    plan: AccountPlan,
    user: User,
    expected: tuple[str, ...],
    to_status: str,
    error: str,
    comment: str = "",
    new_revision: bool = False,
) -> PlanTransition:
    from_status = plan.status
    if from_status not in expected:
        raise ValidationError(error, code="wrong_status")
    changes: dict = {"status": to_status, "updated_at": timezone.now()}
    if new_revision:
        changes["revision"] = F("revision") + 1
    with transaction.atomic():
        # The claim: only one request finds the plan still in the status it was read in.
        claimed = AccountPlan.objects.filter(pk=plan.pk, status=from_status).update(**changes)
        if claimed != 1:
            raise ValidationError(
                _("The plan was changed in the meantime; please reload the page."),
                code="stale_status",
            )
        plan.refresh_from_db(fields=["status", "revision", "updated_at"])
        AccountPlan.history.bulk_history_create(
            [plan],
            update=True,
            default_user=user,
            default_change_reason=WORKFLOW_CHANGE_REASON,
        )
        if to_status == PlanStatus.APPROVED:
            # What leadership reviews from now on; its deviations must be current.
            figures_changed.send(AccountPlan, account_ids=[plan.account_id], reason="plan approved")
        transition = PlanTransition.objects.create(
            plan=plan,
            from_status=from_status,
            to_status=to_status,
            revision=plan.revision,
            actor=user,
            comment=comment,
        )
        plan_transitioned.send(
            AccountPlan,
            plan_id=plan.pk,
            from_status=from_status,
            to_status=to_status,
            actor_id=user.pk,
            comment=comment,
            transition_id=transition.pk,
        )
        return transition
