"""Downloads: a plan's goals and deviations (XLSX), a plan as a PDF, the leadership dashboard
(XLSX, written in the background). Reading only, so leadership may download; the plan comes
through the access gate (404 for anyone who may not see its account), a dashboard export is
its requester's alone."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_safe

from controlling.filters import filter_labels
from controlling.models import DashboardExport, ExportState
from controlling.services import exports
from goals.access import get_plan_for_user
from kam import workbooks
from kam.http import AuthenticatedRequest

EXPORTS_SHOWN = 10


def _download(content: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, name)
    # Plans and figures are confidential: no shared caches, no stale copies.
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_safe
def plan_export_xlsx(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request.user, pk)
    return _download(
        exports.plan_workbook(plan=plan), workbooks.XLSX_TYPE, exports.plan_file_name(plan, "xlsx")
    )


@login_required
@require_safe
def plan_export_pdf(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request.user, pk)
    return _download(
        exports.plan_pdf(plan=plan), workbooks.PDF_TYPE, exports.plan_file_name(plan, "pdf")
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def dashboard_export(request: AuthenticatedRequest) -> HttpResponse:
    """The dashboard's tables for the same filters (the query string the dashboard links with),
    over the accounts the user may see, as a workbook written in the background: POST asks
    for it, the page lists the user's exports and refreshes itself while one is prepared."""
    if request.method == "POST":
        # Re-encoded: whatever was posted becomes a well-formed query string.
        query = QueryDict(request.POST.get("query", "")).urlencode()
        exports.dashboard_export_request(
            user=request.user, query=query, language=translation.get_language()
        )
        return redirect(f"{reverse('controlling:dashboard_export')}?{query}")
    user = request.user
    mine = list(DashboardExport.objects.filter(user=user).defer("content")[:EXPORTS_SHOWN])
    describe = filter_labels(user)
    context = {
        "query": request.GET.urlencode(),
        "filters": describe(request.GET),
        "exports": [(export, describe(QueryDict(export.query))) for export in mine],
        "preparing": any(e.state == ExportState.QUEUED and not e.not_started for e in mine),
        "keep_hours": int(exports.EXPORT_KEEP.total_seconds() // 3600),
    }
    template = "controlling/dashboard_export.html"
    if request.htmx:
        template += "#exports"
    return render(request, template, context)


@login_required
@require_safe
def dashboard_export_download(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A finished export, to the user who asked for it only (404 for anyone else)."""
    export = get_object_or_404(
        DashboardExport.objects.filter(user=request.user, state=ExportState.DONE), pk=pk
    )
    assert export.content is not None  # a finished export holds its workbook
    return _download(bytes(export.content), workbooks.XLSX_TYPE, export.file_name)
