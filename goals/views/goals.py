"""Step 3 of the plan: goals, their monthly targets and the goal matrices."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.concurrency import StaleEdit, refuse
from kam.fiscal import plan_months
from kam.http import AuthenticatedRequest

from ..access import can_edit_plan, get_plan_for_user, get_rw_plan_for_user
from ..forms.goals import GoalForm, MonthlyTargetsForm, SpreadForm
from ..models import AccountPlan, Goal
from ..selectors import goals as selectors
from ..services import goals as services
from .plans import plan_context


def _get_goal(plan: AccountPlan, goal_pk: int) -> Goal:
    """A goal of this plan only: another plan's goal id is a 404."""
    goal = get_object_or_404(selectors.goal_queryset(plan=plan), pk=goal_pk)
    goal.plan = plan
    return goal


@login_required
def goals(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request.user, pk)
    context = plan_context(request, plan, goal_list=selectors.goal_list(plan=plan))
    return render(request, "goals/goals.html", context)


@login_required
def goal_matrix(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request.user, pk)
    context = plan_context(request, plan, matrix=selectors.goal_matrix(plan=plan))
    return render(request, "goals/goals_matrix.html", context)


@login_required
def goal_detail(request: AuthenticatedRequest, pk: int, goal_pk: int) -> HttpResponse:
    plan = get_plan_for_user(request.user, pk)
    goal = _get_goal(plan, goal_pk)
    return _render_detail(request, plan, goal)


def _render_detail(
    request: AuthenticatedRequest,
    plan: AccountPlan,
    goal: Goal,
    form: MonthlyTargetsForm | None = None,
    spread_form: SpreadForm | None = None,
    status: int = 200,
) -> HttpResponse:
    editable = can_edit_plan(request.user, plan)
    grid = None
    if goal.is_quantitative:
        months = plan_months(plan.fiscal_year)
        if form is not None and form.errors:
            grid = selectors.target_grid(goal=goal, values=form.posted_values())
        else:
            grid = selectors.target_grid(goal=goal)
            if editable:
                initial: dict[str, object] = {
                    cell.month.isoformat(): cell.value for cell in grid.cells
                }
                initial |= MonthlyTargetsForm.seen_initial(
                    {cell.month: cell.value for cell in grid.cells}
                )
                form = MonthlyTargetsForm(months=months, initial=initial)
        if editable and spread_form is None:
            spread_form = SpreadForm()
    context = plan_context(
        request,
        plan,
        goal=goal,
        grid=grid,
        form=form if editable else None,
        spread_form=spread_form if editable else None,
        measures=list(goal.measures.all()),
    )
    template = "goals/goal_detail.html"
    if request.htmx:
        template += "#targets-grid"
    return render(request, template, context, status=status)


@login_required
def goal_edit(request: AuthenticatedRequest, pk: int, goal_pk: int | None = None) -> HttpResponse:
    plan = get_rw_plan_for_user(request.user, pk)
    goal = _get_goal(plan, goal_pk) if goal_pk is not None else None
    form = GoalForm(request.POST or None, instance=goal, plan=plan)
    if form.is_valid():
        try:
            goal = services.goal_save(
                goal=form.save(commit=False),
                stakeholders=form.cleaned_data["stakeholders"],
                seen=form.seen,
                user=request.user,
            )
        except StaleEdit as error:
            refuse(form, error)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Goal saved."))
            return redirect(goal)
    title = _("Edit goal") if goal else _("New goal")
    context = plan_context(request, plan, form=form, title=title, goal=goal)
    return render(request, "goals/goal_form.html", context)


@login_required
@require_POST
def goal_delete(request: AuthenticatedRequest, pk: int, goal_pk: int) -> HttpResponse:
    plan = get_rw_plan_for_user(request.user, pk)
    services.goal_delete(goal=_get_goal(plan, goal_pk))
    messages.success(request, _("Goal deleted."))
    return redirect("goals:goals", plan.pk)


@login_required
@require_POST
def goal_targets(request: AuthenticatedRequest, pk: int, goal_pk: int) -> HttpResponse:
    """Save the month grid, or fill it evenly or by a seasonal profile (action=spread_*).

    With htmx only the grid is sent back; without, a saved grid redirects to the goal.
    """
    plan = get_rw_plan_for_user(request.user, pk)
    goal = _get_goal(plan, goal_pk)
    if not goal.is_quantitative:
        raise Http404("A qualitative goal has no monthly targets.")
    months = plan_months(plan.fiscal_year)
    action = request.POST.get("action", "save")
    spread_form = None
    if action in ("spread_even", "spread_profile"):
        spread_form = SpreadForm(request.POST)
        form = None
        if spread_form.is_valid():
            profile = spread_form.cleaned_data["profile"]
            if action == "spread_profile" and profile is None:
                spread_form.add_error("profile", _("Choose a seasonal profile to spread by."))
            else:
                try:
                    services.targets_spread(
                        goal=goal, profile=profile if action == "spread_profile" else None
                    )
                except ValidationError as error:
                    spread_form.add_error(None, error.messages)
    else:
        form = MonthlyTargetsForm(request.POST, months=months)
        if form.is_valid():
            try:
                services.targets_save(
                    goal=goal, values=form.values(), seen=form.seen(), user=request.user
                )
            except StaleEdit as error:
                refuse(form, error, fresh=MonthlyTargetsForm.seen_initial(error.fresh))
            except ValidationError as error:
                form.add_error(None, error)
    failed = (form is not None and form.errors) or (spread_form is not None and spread_form.errors)
    if not failed:
        goal = _get_goal(plan, goal_pk)  # the saved targets
        if not request.htmx:
            messages.success(request, _("Monthly targets saved."))
            return redirect(goal)
        form = None
    # The spread form stays bound, so the chosen profile stays selected.
    return _render_detail(request, plan, goal, form=form, spread_form=spread_form)
