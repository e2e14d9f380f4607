from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from kam.http import AuthenticatedRequest

from ..access import can_decide_plan, get_plan_for_user
from ..forms.workflow import ReturnForm
from ..models import AccountPlan
from ..selectors import workflow as selectors
from ..services import workflow as services
from ..services.frame import frame_violations, plan_gaps
from .plans import plan_context


def _frame_check_url(plan: AccountPlan) -> str:
    return reverse("goals:frame_check", args=[plan.pk])


def _error(request: AuthenticatedRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
@require_POST
def plan_submit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request.user, pk)
    try:
        violations = services.plan_submit(plan=plan, user=request.user)
    except ValidationError as error:
        _error(request, error)
        return redirect(plan)
    missing = plan_gaps(plan=plan)
    if missing:
        messages.warning(
            request,
            _("Submitted with missing parts, leadership sees them: %(missing)s")
            % {"missing": " ".join(gap.message for gap in missing)},
        )
    if violations:
        messages.warning(
            request,
            ngettext(
                "Plan submitted with %(count)d violation of the strategic frame: leadership "
                "cannot approve it until it is resolved.",
                "Plan submitted with %(count)d violations of the strategic frame: leadership "
                "cannot approve it until they are resolved.",
                len(violations),
            )
            % {"count": len(violations)},
        )
        return redirect(_frame_check_url(plan))
    messages.success(request, _("Plan submitted for approval."))
    if missing:
        return redirect(_frame_check_url(plan))
    return redirect(plan)


@login_required
@require_POST
def plan_approve(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request.user, pk)
    try:
        services.plan_approve(plan=plan, user=request.user)
    except ValidationError as error:
        _error(request, error)
        if isinstance(error, services.FrameViolationError):
            return redirect(_frame_check_url(plan))
        return redirect(plan)
    messages.success(request, _("Plan approved."))
    return redirect(plan)


@login_required
@require_POST
def plan_return(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request.user, pk)
    if not can_decide_plan(request.user):
        raise PermissionDenied
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            services.plan_return(plan=plan, user=request.user, comment=form.cleaned_data["comment"])
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                form.add_error(None, error)
            else:
                _error(request, error)
                return redirect(plan)
        else:
            messages.success(request, _("Plan returned to the account team."))
            return redirect(plan)
    return render(request, "goals/approval_return.html", plan_context(request, plan, form=form))


@login_required
@require_POST
def plan_reopen(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request.user, pk)
    try:
        services.plan_reopen(plan=plan, user=request.user)
    except ValidationError as error:
        _error(request, error)
        return redirect(plan)
    messages.success(
        request,
        _("Revision %(number)s opened as a draft.") % {"number": plan.revision},
    )
    return redirect(plan)


@login_required
@require_GET
def frame_check(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request.user, pk)
    missing = plan_gaps(plan=plan)
    context = plan_context(request, plan, violations=frame_violations(plan=plan), missing=missing)
    return render(request, "goals/approval_frame_check.html", context)


@login_required
@require_GET
def history(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request.user, pk)
    paginator = Paginator(selectors.plan_history(plan=plan), selectors.HISTORY_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    selectors.history_page_resolve(page.object_list)
    return render(request, "goals/history.html", plan_context(request, plan, page=page))


@login_required
@require_GET
def approvals(request: AuthenticatedRequest) -> HttpResponse:
    queue = selectors.approval_queue(user=request.user)
    return render(request, "goals/approvals.html", {"queue": queue})
