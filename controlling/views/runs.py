"""Controlling runs: the overview with "run now", a run's page, its live progress, and the
recomputation of one account from its plan's actuals page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from controlling.access import (
    can_oversee_runs,
    can_run_account,
    get_run_for_user,
    runs_visible_to,
)
from controlling.models import ControllingRun, RecomputeMark, RunKind
from controlling.services import runs
from goals.access import get_plan_for_user
from kam.http import AuthenticatedRequest

RUN_PAGE_SIZE = 25


def run_for_page(request: AuthenticatedRequest) -> ControllingRun | None:
    """The run named by ?run= when the user may see it, for pages that show its progress."""
    pk = request.GET.get("run", "")
    if not pk.isdigit():
        return None
    return runs_visible_to(request.user).filter(pk=pk).first()


@login_required
def run_list(request: AuthenticatedRequest) -> HttpResponse:
    if not can_oversee_runs(request.user):
        raise PermissionDenied
    page = Paginator(runs_visible_to(request.user), RUN_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "controlling/run_list.html",
        {"page": page, "waiting": RecomputeMark.objects.count()},
    )


@login_required
@require_POST
def run_start(request: AuthenticatedRequest) -> HttpResponse:
    """Run now: a full run, or the one already under way."""
    if not can_oversee_runs(request.user):
        raise PermissionDenied
    asked = timezone.now()
    run = runs.run_start(kind=RunKind.FULL, user=request.user)
    if run.created_at < asked:
        messages.info(request, _("A run of all accounts is already under way; here it is."))
    else:
        messages.success(request, _("Controlling run started."))
    return redirect(run)


@login_required
def run_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = get_run_for_user(request.user, pk)
    return render(
        request,
        "controlling/run_detail.html",
        {
            "run": run,
            # Error details may name other accounts' chunks; managers see how many failed.
            "show_errors": can_oversee_runs(request.user),
        },
    )


@login_required
def run_progress(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The progress partial, polled by htmx every second while the run is under way."""
    run = get_run_for_user(request.user, pk)
    return render(request, "controlling/_run_progress.html", {"run": run})


@login_required
@require_POST
def plan_run(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Recompute the plan's account (and every marked one) now."""
    plan = get_plan_for_user(request.user, pk)
    if not can_run_account(request.user, plan):
        raise PermissionDenied
    run = runs.run_start(kind=RunKind.ACCOUNTS, user=request.user, account_ids=[plan.account_id])
    if request.htmx:
        return render(request, "controlling/_run_progress.html", {"run": run})
    return redirect(f"{reverse('controlling:plan_actuals', args=[plan.pk])}?run={run.pk}")
