"""The plan controlling page: plan against actual per goal and month, as the controlling run
stored it, with the ratings of qualitative goals, measure costs and open deviations."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from controlling.access import can_rate
from controlling.forms.plan import RatingForm
from controlling.models import RecomputeMark
from controlling.selectors import plan as plan_selectors
from controlling.services import ratings
from goals.access import get_plan_for_user
from goals.models import AccountPlan, GoalKind
from goals.views.plans import plan_context
from kam.concurrency import StaleEdit, refuse
from kam.http import AuthenticatedRequest


def _rating_form(plan_data: plan_selectors.PlanControlling, row, data=None) -> RatingForm:
    months = plan_data.rating_months
    initial = {"month": months[-1].isoformat()} if months else {}
    latest = next((m.rating for m in reversed(row.months) if m.rating is not None), None)
    if latest is not None:
        initial["rating"] = latest.rating
    initial["seen"] = ratings.ratings_seen({m.month: m.rating for m in row.months})
    return RatingForm(data, months=months, initial=initial, prefix=f"goal-{row.goal.pk}")


@login_required
def plan_controlling(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request.user, pk)
    return _render(request, plan)


def _render(request: AuthenticatedRequest, plan: AccountPlan, *, bound=None) -> HttpResponse:
    data = plan_selectors.plan_controlling(plan=plan)
    rateable = can_rate(request.user, plan) and bool(data.rating_months)
    forms = {}
    for row in data.goals:
        if not rateable or row.is_quantitative:
            continue
        if bound is not None and bound[0] == row.goal.pk:
            forms[row.goal.pk] = bound[1]
        else:
            forms[row.goal.pk] = _rating_form(data, row)
    quantitative = data.quantitative
    selected = data.goal(request.GET.get("goal")) if request.GET.get("goal") else None
    if selected is None or not selected.is_quantitative:
        selected = next((g for g in quantitative if g.has_results), None) or next(
            iter(quantitative), None
        )
    chart = table = None
    if selected is not None:
        chart, table = plan_selectors.goal_chart(selected)
    context = plan_context(
        request,
        plan,
        data=data,
        rows=[(row, forms.get(row.goal.pk)) for row in data.goals],
        selected=selected,
        chart=chart,
        chart_table=table,
        waiting=RecomputeMark.objects.filter(account_id=plan.account_id).exists(),
    )
    return render(request, "controlling/plan_controlling.html", context)


@login_required
@require_POST
def goal_rate(request: AuthenticatedRequest, pk: int, goal_pk: int) -> HttpResponse:
    plan = get_plan_for_user(request.user, pk)
    if not can_rate(request.user, plan):
        raise PermissionDenied
    goal = get_object_or_404(plan.goals.filter(kind=GoalKind.QUALITATIVE), pk=goal_pk)
    months = plan_selectors.rating_months(plan, timezone.localdate())
    form = RatingForm(request.POST, months=months, prefix=f"goal-{goal.pk}")
    if form.is_valid():
        try:
            ratings.goal_rating_save(
                goal=goal,
                month=form.cleaned_data["month"],
                rating=form.cleaned_data["rating"],
                note=form.cleaned_data["note"],
                user=request.user,
                seen=form.cleaned_data["seen"],
            )
        except StaleEdit as error:
            refuse(form, error)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Rating of “%s” saved.") % goal.title)
            url = reverse("controlling:plan_controlling", args=[plan.pk])
            return redirect(f"{url}#goal-{goal.pk}")
    response = _render(request, plan, bound=(goal.pk, form))
    response.status_code = 400
    return response
