"""Export and import of selling positions (CSV and Excel)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import get_account_for_user
from accounts.models import KeyAccount
from kam.http import AuthenticatedRequest
from kam.tabular import RowError

from ..access import can_import_selling_positions
from ..forms.selling import SellingImportForm
from ..models import SellingPosition
from ..services.selling_io import (
    COLUMNS,
    ImportResult,
    selling_positions_export,
    selling_positions_import,
)

IMPORT_MAX_BYTES = 5 * 1024 * 1024


def _download(positions, request: AuthenticatedRequest, name: str) -> HttpResponse:
    file_format = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    content, content_type = selling_positions_export(positions=positions, file_format=file_format)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}.{file_format}"'
    return response


@login_required
def selling_export_account(request: AuthenticatedRequest, account_pk: int) -> HttpResponse:
    account = get_account_for_user(request.user, account_pk)
    # The customer number is free text; keep the file name to safe characters.
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in account.customer_number)
    return _download(account.selling_positions.all(), request, f"selling-positions-{safe}")


@login_required
def selling_export(request: AuthenticatedRequest) -> HttpResponse:
    """Every position of every account the user may see."""
    positions = SellingPosition.objects.filter(
        account__in=KeyAccount.objects.visible_to(request.user)
    )
    stamp = timezone.localdate().isoformat()
    return _download(positions, request, f"selling-positions-{stamp}")


@login_required
def selling_import(request: AuthenticatedRequest) -> HttpResponse:
    """Upload a file; it is written only when every row is valid (or just checked)."""
    if not can_import_selling_positions(request.user):
        raise PermissionDenied
    form = SellingImportForm(request.POST or None, request.FILES or None)
    result: ImportResult | None = None
    file_name = ""
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        file_name = upload.name
        if upload.size > IMPORT_MAX_BYTES:
            result = ImportResult(errors=[RowError(None, _("The file is larger than 5 MB."))])
        else:
            result = selling_positions_import(
                name=upload.name,
                content=upload.read(),
                user=request.user,
                dry_run=form.cleaned_data["dry_run"],
            )
    context = {"form": form, "result": result, "file_name": file_name, "columns": COLUMNS}
    return render(request, "goals/selling_import.html", context)
