"""Exports: an account plan as an Excel workbook and a PDF document, and the leadership
dashboard's workbook, written in the background for its requester.
"""

import datetime
import io
import logging

from django.db import transaction
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import KeyAccount
from controlling.filters import DashboardFilter
from controlling.models import DashboardExport, ExportState
from controlling.selectors.exports import dashboard_sheets, plan_sheets
from goals.models import AccountPlan
from goals.selectors.templates import plan_print
from goals.services.frame import frame_violations
from kam.celery import task
from kam.fiscal import current_fiscal_year
from kam.workbooks import file_name, workbook

logger = logging.getLogger(__name__)


def plan_workbook(*, plan: AccountPlan) -> bytes:
    return workbook(plan_sheets(plan=plan))


def plan_file_name(plan: AccountPlan, extension: str) -> str:
    return file_name(
        _("account plan"), plan.account.customer_number, plan.fiscal_year, extension=extension
    )


def plan_pdf(*, plan: AccountPlan) -> bytes:
    """The plan's five steps, its approval history and the frame check as a PDF (A4
    landscape), rendered by xhtml2pdf from templates/controlling/plan_pdf.html in the active
    language, numbers formatted by it."""
    from xhtml2pdf import pisa

    doc = plan_print(plan=plan)
    html = render_to_string(
        "controlling/plan_pdf.html",
        {
            "plan": plan,
            "account": plan.account,
            "doc": doc,
            "violations": frame_violations(plan=plan),
            "now": timezone.now(),
        },
    )
    out = io.BytesIO()
    status = pisa.CreatePDF(html, dest=out, encoding="utf-8")
    if status.err:
        raise RuntimeError(f"xhtml2pdf could not render plan {plan.pk}: {status.err} errors")
    return out.getvalue()


def dashboard_export(*, user, data) -> tuple[bytes, str]:
    """The dashboard workbook and its file name ("leadership-dashboard-2027.xlsx")."""
    visible = KeyAccount.objects.visible_to(user).not_archived()
    chosen = DashboardFilter(data, queryset=visible, current_year=current_fiscal_year())
    sheets = dashboard_sheets(user=user, chosen=chosen)
    fiscal_year = sheets[0].rows[0][1]
    name = file_name(_("leadership dashboard"), fiscal_year, extension="xlsx")
    return workbook(sheets), name


# A user's exports older than this are deleted when they ask for the next one.
EXPORT_KEEP = datetime.timedelta(days=1)


def dashboard_export_request(*, user, query: str, language: str) -> DashboardExport:
    """Queue the dashboard workbook of these filters (the dashboard's query string), written in
    `language` by a worker once this transaction commits."""
    DashboardExport.objects.filter(user=user, created_at__lt=timezone.now() - EXPORT_KEEP).delete()
    export = DashboardExport.objects.create(user=user, query=query[:2000], language=language)
    # robust: with the broker down the request still answers; the page then shows the
    # export as not started after a while (DashboardExport.not_started).
    transaction.on_commit(
        lambda: task("controlling.tasks.build_dashboard_export").delay(export.pk), robust=True
    )
    return export


def dashboard_export_build(export_id: int) -> str:
    """Write a queued export's workbook with its user's visibility; its state says how it
    ended. A second delivery of the task finds it no longer queued and does nothing."""
    export = (
        DashboardExport.objects.select_related("user")
        .filter(pk=export_id, state=ExportState.QUEUED)
        .first()
    )
    if export is None:
        return "gone"
    try:
        with translation.override(export.language):
            content, name = dashboard_export(user=export.user, data=QueryDict(export.query))
    except Exception:
        logger.exception("Dashboard export %s failed", export_id)
        export.state = ExportState.FAILED
    else:
        export.state = ExportState.DONE
        export.content, export.file_name, export.size = content, name, len(content)
    export.finished_at = timezone.now()
    export.save(update_fields=["state", "content", "file_name", "size", "finished_at"])
    return export.state
