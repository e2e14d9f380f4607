"""Actuals imported from ERP files: upload, preview, confirm, list, detail, roll back."""

import datetime
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from controlling.access import (
    can_import_actuals,
    can_roll_back_import,
    get_import_for_user,
    imports_visible_to,
)
from controlling.forms.imports import ImportUploadForm
from controlling.services import imports as actual_imports
from kam.http import AuthenticatedRequest

IMPORT_SALT = "controlling.actuals-import"


IMPORT_TOKEN_MAX_AGE = 3600  # seconds between the preview and "Apply import"


IMPORT_MAX_BYTES = 5 * 1024 * 1024


IMPORT_PREVIEW_ROWS = 50


IMPORT_PAGE_SIZE = 25


def _token(file_name: str, rows: list[actual_imports.ParsedRow]) -> str:
    payload = {
        "file_name": file_name,
        "rows": [
            [
                row.row_number,
                row.customer_number,
                row.kpi_code,
                row.month.isoformat(),
                str(row.value),
            ]
            for row in rows
        ],
    }
    return signing.dumps(payload, salt=IMPORT_SALT, compress=True)


def _rows_from_token(token: str) -> tuple[str, list[actual_imports.ParsedRow]]:
    payload = signing.loads(token, salt=IMPORT_SALT, max_age=IMPORT_TOKEN_MAX_AGE)
    rows = [
        actual_imports.ParsedRow(
            row_number=number,
            customer_number=customer_number,
            kpi_code=kpi_code,
            month=datetime.date.fromisoformat(month),
            value=Decimal(value),
        )
        for number, customer_number, kpi_code, month, value in payload["rows"]
    ]
    return payload["file_name"], rows


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: AuthenticatedRequest) -> HttpResponse:
    """GET: the upload form. POST with a file: the preview, listing every bad row, or the
    rows to apply in a signed token. POST with that token: check again and apply."""
    if not can_import_actuals(request.user):
        raise PermissionDenied
    context: dict = {"form": ImportUploadForm()}
    if request.method == "POST" and "token" in request.POST:
        try:
            file_name, rows = _rows_from_token(request.POST["token"])
        except (signing.BadSignature, ValueError, KeyError, TypeError):
            return HttpResponseBadRequest(_("The import has expired or was altered; upload again."))
        # Accounts, KPIs and the user's rights may have changed since the preview.
        check = actual_imports.actuals_import_check(
            parsed=actual_imports.ParseResult(rows=rows), user=request.user
        )
        if not check.errors:
            actual_import = actual_imports.actuals_import_apply(
                file_name=file_name, rows=check.rows, user=request.user
            )
            messages.success(request, _("Import applied."))
            return redirect("controlling:import_detail", actual_import.pk)
        context.update(file_name=file_name, errors=check.errors)
    elif request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        context["form"] = form
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > IMPORT_MAX_BYTES:
                errors = [actual_imports.RowError(None, _("The file is larger than 5 MB."))]
                parsed = actual_imports.ParseResult(errors=errors)
            else:
                parsed = actual_imports.parse_actuals_file(name=upload.name, content=upload.read())
            check = actual_imports.actuals_import_check(parsed=parsed, user=request.user)
            context.update(file_name=upload.name, errors=check.errors)
            if not check.errors:
                if not check.rows:
                    context["errors"] = [actual_imports.RowError(None, _("The file has no rows."))]
                else:
                    plan = actual_imports.actuals_import_preview(rows=check.rows)
                    context.update(
                        preview=parsed.rows[:IMPORT_PREVIEW_ROWS],
                        row_count=len(parsed.rows),
                        created_count=len(plan.created),
                        updated_count=len(plan.updated),
                        unchanged_count=len(plan.unchanged),
                        token=_token(upload.name, parsed.rows),
                    )
    return render(request, "controlling/import_upload.html", context)


@login_required
def import_list(request: AuthenticatedRequest) -> HttpResponse:
    paginator = Paginator(imports_visible_to(request.user), IMPORT_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "controlling/import_list.html",
        {"page": page, "can_import": can_import_actuals(request.user)},
    )


@login_required
def import_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    actual_import = get_import_for_user(request.user, pk)
    changes = actual_import.changes.select_related("account", "kpi")
    return render(
        request,
        "controlling/import_detail.html",
        {
            "actual_import": actual_import,
            "changes": changes,
            "can_roll_back": can_roll_back_import(request.user, actual_import),
        },
    )


@login_required
@require_POST
def import_rollback(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    actual_import = get_import_for_user(request.user, pk)
    if not can_roll_back_import(request.user, actual_import):
        raise PermissionDenied
    try:
        actual_imports.actuals_import_rollback(actual_import=actual_import, user=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Import rolled back."))
    return redirect("controlling:import_detail", actual_import.pk)
