"""The potential pipeline: per account, and across the accounts a user may see."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from accounts.access import get_account_for_user
from accounts.views import account_context
from kam.http import AuthenticatedRequest

from ..models import PathStage
from ..selectors import pipeline as selectors

SORT_CHOICES = ["potential", "weighted", "name", "stage", "groups", "sites"]


@login_required
def account_pipeline(request: AuthenticatedRequest, account_pk: int) -> HttpResponse:
    account = get_account_for_user(request.user, account_pk)
    table = selectors.pipeline_table(account_ids=[account.pk])
    page = Paginator(selectors.open_positions(account=account), selectors.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    sold = selectors.sold_offerings(account_ids=[account.pk])[account.pk]
    context = account_context(
        request,
        account,
        "selling",
        table=table,
        page=page,
        positions=selectors.with_dimensions(page.object_list, sold=sold),
    )
    return render(request, "goals/pipeline_account.html", context)


@login_required
def pipeline(request: AuthenticatedRequest) -> HttpResponse:
    sort = request.GET.get("sort", "")
    sort = sort if sort in SORT_CHOICES else "potential"
    stage = request.GET.get("stage", "")
    stage = stage if stage in PathStage.values else ""
    data = selectors.portfolio_pipeline(
        user=request.user, sort=sort, stage=stage, page=request.GET.get("page") or 1
    )
    context = {
        "data": data,
        "table": data.table,
        "sort": sort,
        "stage": stage,
        "stage_label": PathStage(stage).label if stage else "",
        "query": urlencode({"sort": sort, **({"stage": stage} if stage else {})}),
    }
    return render(request, "goals/pipeline.html", context)
