"""Downloads: a plan's goals and deviations (XLSX), a plan as a PDF, the leadership dashboard
(XLSX). Reading only, so leadership may download; the plan comes through the access gate
(404 for anyone who may not see its account)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from goals.access import get_plan_for_user

from . import exports


def _download(content: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, name)
    # Plans and figures are confidential: no shared caches, no stale copies.
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_safe
def plan_export_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request.user, pk)
    return _download(
        exports.plan_workbook(plan=plan), exports.XLSX_TYPE, exports.plan_file_name(plan, "xlsx")
    )


@login_required
@require_safe
def plan_export_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request.user, pk)
    return _download(
        exports.plan_pdf(plan=plan), exports.PDF_TYPE, exports.plan_file_name(plan, "pdf")
    )


@login_required
@require_safe
def dashboard_export_xlsx(request: HttpRequest) -> HttpResponse:
    """The dashboard's tables for the same filters (its query string), over the accounts the
    user may see, as the dashboard itself covers them."""
    content, name = exports.dashboard_export(user=request.user, data=request.GET)
    return _download(content, exports.XLSX_TYPE, name)
