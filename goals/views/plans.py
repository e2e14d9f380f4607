from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import get_account_for_user, get_rw_account_for_user
from accounts.models import KeyAccount
from accounts.views import account_context
from kam.concurrency import StaleEdit, form_save, refuse
from kam.fiscal import fiscal_year_for
from kam.http import AuthenticatedRequest

from ..access import can_create_plan, can_edit_plan, get_plan_for_user, get_rw_plan_for_user
from ..forms.plans import PlanCreateForm, StatusQuoForm, SwotItemForm
from ..models import AccountPlan
from ..selectors import plans as selectors
from ..services import plans as services


def plan_context(request: AuthenticatedRequest, plan: AccountPlan, **extra) -> dict:
    """The context of every page below a plan's header, for goals' and controlling's pages."""
    return account_context(
        request,
        plan.account,
        "plans",
        plan=plan,
        can_edit_plan=can_edit_plan(request.user, plan),
        **extra,
    )


@login_required
def plan_list(request: AuthenticatedRequest, account_pk: int) -> HttpResponse:
    account: KeyAccount
    if request.method == "POST":
        account = get_rw_account_for_user(request.user, account_pk)
    else:
        account = get_account_for_user(request.user, account_pk)
    form = None
    if can_create_plan(request.user, account):
        next_year = fiscal_year_for(timezone.localdate()) + 1
        form = PlanCreateForm(request.POST or None, initial={"fiscal_year": next_year})
        if form.is_valid():
            try:
                plan = services.plan_create(
                    account=account,
                    fiscal_year=form.cleaned_data["fiscal_year"],
                    user=request.user,
                )
            except ValidationError as error:
                form.add_error("fiscal_year", error)
            else:
                messages.success(request, _("Account plan created."))
                return redirect(plan)
    context = account_context(
        request, account, "plans", plans=account.plans.order_by("-fiscal_year"), form=form
    )
    return render(request, "goals/plan_list.html", context)


@login_required
def plan_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request.user, pk)
    context = plan_context(request, plan, swot=selectors.swot_grid(plan=plan))
    return render(request, "goals/plan_detail.html", context)


@login_required
def status_quo_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    plan = get_rw_plan_for_user(request.user, pk)
    form = StatusQuoForm(request.POST or None, instance=plan)
    if form.is_valid():
        try:
            form_save(form, user=request.user)
        except StaleEdit as error:
            refuse(form, error)
        else:
            messages.success(request, _("Status quo saved."))
            return redirect(plan)
    context = plan_context(request, plan, form=form, title=_("Status quo – where are we?"))
    return render(request, "goals/plan_form.html", context)


@login_required
def swot_edit(request: AuthenticatedRequest, pk: int, item_pk: int | None = None) -> HttpResponse:
    plan = get_rw_plan_for_user(request.user, pk)
    item = get_object_or_404(plan.swot_items, pk=item_pk) if item_pk is not None else None
    form = SwotItemForm(request.POST or None, instance=item, plan=plan)
    if form.is_valid():
        try:
            form_save(form, user=request.user)
        except StaleEdit as error:
            refuse(form, error)
        else:
            messages.success(request, _("SWOT item saved."))
            return redirect(plan)
    title = _("Edit SWOT item") if item else _("New SWOT item")
    return render(
        request, "goals/plan_form.html", plan_context(request, plan, form=form, title=title)
    )


@login_required
@require_POST
def swot_delete(request: AuthenticatedRequest, pk: int, item_pk: int) -> HttpResponse:
    plan = get_rw_plan_for_user(request.user, pk)
    get_object_or_404(plan.swot_items, pk=item_pk).delete()
    messages.success(request, _("SWOT item deleted."))
    return redirect(plan)
