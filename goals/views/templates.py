"""New plan from templates, copy of last year's plan, comparison of two plans, print view."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.access import get_account_for_user, get_rw_account_for_user
from accounts.models import KeyAccount
from accounts.views import account_context
from kam.fiscal import fiscal_year_for
from kam.http import AuthenticatedRequest

from ..access import can_create_plan, get_plan_for_user
from ..forms.templates import BaselinesForm, PlanCompareForm, TemplateSetChoiceForm
from ..models import AccountPlan
from ..selectors import templates as selectors
from ..services import templates as services


@login_required
def plan_from_template(request: AuthenticatedRequest, account_pk: int) -> HttpResponse:
    """Step 1 (GET): choose a template set and a fiscal year. Step 2 (GET with both, then
    POST): confirm or enter the baseline of every quantitative template, then create."""
    account = get_rw_account_for_user(request.user, account_pk)
    template_sets = selectors.template_sets_for(account=account)
    data = request.POST if request.method == "POST" else request.GET
    next_year = fiscal_year_for(timezone.localdate()) + 1
    initial = {"fiscal_year": next_year}
    if len(template_sets) == 1:
        initial["template_set"] = template_sets[0].pk
    choice = TemplateSetChoiceForm(
        data if "template_set" in data else None, account=account, initial=initial
    )
    baselines = template_set = None
    if choice.is_bound and choice.is_valid():
        template_set = next(s for s in template_sets if s == choice.cleaned_data["template_set"])
        fiscal_year = choice.cleaned_data["fiscal_year"]
        baselines = BaselinesForm(
            request.POST if request.method == "POST" else None,
            templates=list(template_set.templates.all()),
            last_year=services.previous_baselines(account=account, fiscal_year=fiscal_year),
        )
        if baselines.is_valid():
            try:
                plan = services.plan_create_from_templates(
                    account=account,
                    fiscal_year=fiscal_year,
                    template_set=template_set,
                    user=request.user,
                    baselines=baselines.baselines(),
                )
            except ValidationError as error:
                choice.add_error("fiscal_year" if error.code == "plan_exists" else None, error)
            else:
                messages.success(request, _("Account plan created from the template set."))
                return redirect(plan)
    context = account_context(
        request,
        account,
        "plans",
        template_sets=template_sets,
        choice=choice,
        baselines=baselines,
        template_set=template_set,
    )
    return render(request, "goals/plan_new_from_template.html", context)


@login_required
@require_POST
def plan_copy(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Copy a plan (any status: usually last year's approved one) into the next fiscal year."""
    plan = get_plan_for_user(request.user, pk)
    if not can_create_plan(request.user, plan.account):
        raise PermissionDenied
    try:
        new = services.plan_copy(plan=plan, user=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("goals:plan_list", plan.account_id)
    messages.success(
        request,
        _("Plan copied to fiscal year %(year)s: check the baselines and raise the targets.")
        % {"year": new.fiscal_year},
    )
    return redirect(new)


def _account_plan(account: KeyAccount, value: str) -> AccountPlan:
    try:
        pk = int(value)
    except ValueError:
        raise Http404 from None
    return get_object_or_404(account.plans.select_related("account", "created_by"), pk=pk)


@login_required
@require_GET
def plan_compare(request: AuthenticatedRequest, account_pk: int) -> HttpResponse:
    account = get_account_for_user(request.user, account_pk)
    comparison = None
    has_plans = True
    if request.GET.get("a") and request.GET.get("b"):
        plan_a = _account_plan(account, request.GET["a"])
        plan_b = _account_plan(account, request.GET["b"])
        comparison = selectors.compare_plans(a=plan_a, b=plan_b)
        initial = {"a": plan_a.pk, "b": plan_b.pk}
    else:
        # The two newest plans: last year on the left, this year on the right.
        newest = list(account.plans.order_by("-fiscal_year").values_list("pk", flat=True)[:2])
        initial = {"a": newest[-1], "b": newest[0]} if newest else {}
        has_plans = bool(newest)
    context = account_context(
        request,
        account,
        "plans",
        form=PlanCompareForm(initial=initial, account=account),
        comparison=comparison,
        has_plans=has_plans,
    )
    return render(request, "goals/compare.html", context)


@login_required
@require_GET
def plan_print(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request.user, pk)
    context = {"plan": plan, "account": plan.account, "doc": selectors.plan_print(plan=plan)}
    return render(request, "goals/print.html", context)
