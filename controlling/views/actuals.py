"""The actuals grid of a plan: KPI x month, entered by hand."""

import datetime
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from controlling.access import can_enter_actuals, can_run_account
from controlling.models import RecomputeMark
from controlling.selectors import actuals as selectors
from controlling.services import actuals
from controlling.views.runs import run_for_page
from goals.access import get_plan_for_user
from goals.views.plans import plan_context
from kam.concurrency import seen_cells
from kam.http import AuthenticatedRequest
from kam.numbers import LocalizedDecimalField

# Parses one cell; its errors are replaced by the service's message naming KPI and month.
AMOUNT = LocalizedDecimalField(required=False)


def _posted_values(
    request: AuthenticatedRequest, grid: selectors.ActualGrid
) -> dict[tuple[int, datetime.date], Decimal | str | None]:
    """The posted cells of the grid; text that is no number is passed on for the service to
    refuse with the KPI and month in its message."""
    values: dict[tuple[int, datetime.date], Decimal | str | None] = {}
    for row in grid.rows:
        for cell in row.cells:
            if cell.key not in request.POST:
                continue
            text = request.POST[cell.key].strip()
            try:
                values[(row.kpi.pk, cell.month)] = AMOUNT.clean(text)
            except ValidationError:
                values[(row.kpi.pk, cell.month)] = text
    return values


def _seen_values(
    request: AuthenticatedRequest, grid: selectors.ActualGrid
) -> dict[tuple[int, datetime.date], Decimal | None]:
    """What the posted cells showed (kam.concurrency): (KPI id, month) -> actual."""
    cells = {cell.key: (row.kpi.pk, cell.month) for row in grid.rows for cell in row.cells}
    return {cells[key]: value for key, value in seen_cells(request.POST, cells).items()}


@login_required
@require_http_methods(["GET", "POST"])
def plan_actuals(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """GET shows the grid; POST saves the posted cells, all or none.

    With htmx only the grid is sent back; without, a saved grid redirects to the page.
    """
    plan = get_plan_for_user(request.user, pk)
    editable = can_enter_actuals(request.user, plan)
    errors: dict[str, list[str]] = {}
    entered: dict[str, str] = {}
    saved = False
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        grid = selectors.actuals_grid(plan=plan)
        values = _posted_values(request, grid)
        try:
            actuals.actuals_save(
                account=plan.account,
                values=values,
                user=request.user,
                fiscal_year=plan.fiscal_year,
                seen=_seen_values(request, grid),
            )
        except ValidationError as error:
            # A stale cell (StaleEdit) too: the grid shows the stored actuals as seen now, and
            # the user's input, so saving again goes through.
            errors = error.message_dict
            entered = {key: request.POST[key] for key in request.POST if key in grid.keys}
        else:
            saved = True
            if not request.htmx:
                messages.success(request, _("Actuals saved."))
                return redirect("controlling:plan_actuals", plan.pk)
    context = plan_context(
        request,
        plan,
        editable=editable,
        grid=selectors.actuals_grid(plan=plan, entered=entered),
        errors=[message for messages_ in errors.values() for message in messages_],
        error_keys=set(errors),
        entered=entered,
        saved=saved,
        can_run=can_run_account(request.user, plan),
        run=run_for_page(request),
        waiting=RecomputeMark.objects.filter(account_id=plan.account_id).exists(),
    )
    template = "controlling/plan_actuals.html"
    if request.htmx:
        template += "#actuals-grid"
    return render(request, template, context)
