"""Step 4, the action plan (Maßnahmenplan), and step 5, the controlling frame."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.concurrency import FIELD as SEEN
from kam.concurrency import StaleEdit, refuse
from kam.http import AuthenticatedRequest

from ..access import can_record_progress, get_plan_for_user, get_rw_plan_for_user
from ..forms.measures import (
    BudgetForm,
    CountermeasureForm,
    MeasureFilterForm,
    MeasureForm,
    MeasureProgressForm,
)
from ..models import AccountPlan, Measure
from ..selectors import measures as selectors
from ..services import measures as services
from .plans import plan_context


def get_progress_plan_for_user(user, pk: int) -> AccountPlan:
    plan = get_plan_for_user(user, pk)
    if not can_record_progress(user, plan):
        raise PermissionDenied
    return plan


def _context(request: AuthenticatedRequest, plan: AccountPlan, **extra) -> dict:
    return plan_context(
        request, plan, can_record_progress=can_record_progress(request.user, plan), **extra
    )


def _measures_url(plan: AccountPlan) -> str:
    return reverse("goals:measures", args=[plan.pk])


@login_required
def measures(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request.user, pk)
    filter_form = MeasureFilterForm(request.GET)
    filters = filter_form.filters()
    table = selectors.measure_table(plan=plan, **filters)
    context = _context(request, plan, filter_form=filter_form, filters=filters, table=table)
    if context["can_record_progress"]:
        context["rows"] = [(m, MeasureProgressForm(instance=m)) for m in table.measures]
    else:
        context["rows"] = [(m, None) for m in table.measures]
    template = "goals/measures.html"
    if request.htmx and not request.htmx.boosted:
        template += "#measure-table"
    return render(request, template, context)


def _measure_fields(form: MeasureForm) -> dict:
    data = dict(form.cleaned_data)
    data.pop("goals")
    data.pop(SEEN, None)
    return data


@login_required
def measure_edit(
    request: AuthenticatedRequest, pk: int, measure_pk: int | None = None
) -> HttpResponse:
    plan = get_rw_plan_for_user(request.user, pk)
    measure = get_object_or_404(plan.measures, pk=measure_pk) if measure_pk is not None else None
    form = MeasureForm(request.POST or None, instance=measure, plan=plan, user=request.user)
    if form.is_valid():
        try:
            if measure is None:
                services.measure_create(
                    plan=plan,
                    goals=form.cleaned_data["goals"],
                    user=request.user,
                    **_measure_fields(form),
                )
            else:
                services.measure_update(
                    measure=measure,
                    goals=form.cleaned_data["goals"],
                    user=request.user,
                    seen=form.seen,
                    **_measure_fields(form),
                )
        except StaleEdit as error:
            refuse(form, error)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Measure saved."))
            return redirect(_measures_url(plan))
    title = _("Edit measure") if measure else _("New measure")
    return render(
        request, "goals/measure_form.html", _context(request, plan, form=form, title=title)
    )


@login_required
def countermeasure_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A deviation needs an answer during the year, when the plan is usually approved: like
    progress, a countermeasure may be added in every plan status by whoever may record
    progress. `?goal=<id>` preselects the goal it answers."""
    plan = get_progress_plan_for_user(request.user, pk)
    initial = {"goals": [g for g in request.GET.getlist("goal") if g.isdigit()]}
    form = CountermeasureForm(request.POST or None, plan=plan, user=request.user, initial=initial)
    if form.is_valid():
        try:
            services.measure_create(
                plan=plan,
                goals=form.cleaned_data["goals"],
                user=request.user,
                is_countermeasure=True,
                **_measure_fields(form),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Countermeasure saved."))
            return redirect(_measures_url(plan))
    return render(
        request,
        "goals/measure_form.html",
        _context(request, plan, form=form, title=_("New countermeasure")),
    )


@login_required
@require_POST
def measure_delete(request: AuthenticatedRequest, pk: int, measure_pk: int) -> HttpResponse:
    plan = get_rw_plan_for_user(request.user, pk)
    measure = get_object_or_404(plan.measures, pk=measure_pk)
    services.measure_delete(measure=measure, user=request.user)
    messages.success(request, _("Measure deleted."))
    return redirect(_measures_url(plan))


@login_required
def measure_progress(request: AuthenticatedRequest, pk: int, measure_pk: int) -> HttpResponse:
    """Record status, progress and actual cost; with htmx the table row is re-rendered."""
    plan = get_progress_plan_for_user(request.user, pk)
    measure: Measure = get_object_or_404(selectors.plan_measures(plan=plan), pk=measure_pk)
    form = MeasureProgressForm(request.POST or None, instance=measure)
    saved = form.is_valid()
    if saved:
        try:
            services.measure_progress_update(
                measure=measure,
                status=form.cleaned_data["status"],
                progress=form.cleaned_data["progress"],
                actual_cost=form.cleaned_data["actual_cost"],
                user=request.user,
                seen=form.seen,
            )
        except StaleEdit as error:
            refuse(form, error)
            saved = False
    if saved:
        if request.htmx:
            form = MeasureProgressForm(instance=measure)
        else:
            messages.success(request, _("Progress of “%s” saved.") % measure.title)
            return redirect(_measures_url(plan))
    elif form.is_bound:
        # The model instance took the invalid values; show the row as stored.
        measure.refresh_from_db(fields=["status", "progress", "actual_cost"])
    context = _context(request, plan, measure=measure, progress_form=form, saved=saved)
    if request.htmx:
        return render(request, "goals/measures.html#measure-row", context)
    context["title"] = _("Record progress: %s") % measure.title
    return render(request, "goals/measure_progress.html", context)


@login_required
def measure_timeline(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request.user, pk)
    timeline = selectors.measure_timeline(plan=plan, today=timezone.localdate())
    return render(
        request, "goals/measure_timeline.html", _context(request, plan, timeline=timeline)
    )


@login_required
def frame(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Step 5: planned and actual cost against the expense limit, and progress control."""
    if request.method == "POST":
        plan = get_rw_plan_for_user(request.user, pk)
    else:
        plan = get_plan_for_user(request.user, pk)
    context = _context(request, plan)
    form = None
    if context["can_edit_plan"]:
        form = BudgetForm(request.POST or None, instance=plan)
        if form.is_valid():
            try:
                services.plan_budget_set(
                    plan=plan, budget=form.cleaned_data["budget"], user=request.user, seen=form.seen
                )
            except StaleEdit as error:
                refuse(form, error)
            else:
                messages.success(request, _("Expense limit saved."))
                return redirect(reverse("goals:frame", args=[plan.pk]))
        if form.is_bound:
            plan.refresh_from_db(fields=["budget"])
    context["budget_form"] = form
    context["summary"] = selectors.frame_summary(plan=plan, today=timezone.localdate())
    return render(request, "goals/frame.html", context)
