"""The account's selling positions: the three selling dimensions as a whitespace table."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import can_edit, get_account_for_user, get_rw_account_for_user
from accounts.models import KeyAccount

from ..forms.selling import SellingPositionForm, StageFilterForm
from ..selectors import selling as selectors
from ..services import selling as services


def _context(request: HttpRequest, account: KeyAccount, **extra) -> dict:
    return {
        "account": account,
        "tab": "selling",
        "can_edit": can_edit(request.user, account),
        **extra,
    }


@login_required
def selling_positions(request: HttpRequest, account_pk: int) -> HttpResponse:
    account = get_account_for_user(request.user, account_pk)
    filter_form = StageFilterForm(request.GET)
    table = selectors.selling_table(account=account, stage=filter_form.stage_value())
    context = _context(request, account, filter_form=filter_form, table=table)
    return render(request, "goals/selling_positions.html", context)


@login_required
def selling_position_edit(
    request: HttpRequest, account_pk: int, position_pk: int | None = None
) -> HttpResponse:
    account = get_rw_account_for_user(request.user, account_pk)
    position = None
    if position_pk is not None:
        position = get_object_or_404(account.selling_positions, pk=position_pk)
    form = SellingPositionForm(request.POST or None, instance=position, account=account)
    if form.is_valid():
        try:
            if position is None:
                services.selling_position_create(
                    account=account, user=request.user, **form.cleaned_data
                )
            else:
                services.selling_position_update(
                    position=position, user=request.user, **form.cleaned_data
                )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Selling position saved."))
            return redirect("goals:selling_positions", account_pk=account.pk)
    title = _("Edit selling position") if position else _("New selling position")
    context = _context(request, account, form=form, title=title)
    return render(request, "goals/selling_position_form.html", context)


@login_required
@require_POST
def selling_position_delete(
    request: HttpRequest, account_pk: int, position_pk: int
) -> HttpResponse:
    account = get_rw_account_for_user(request.user, account_pk)
    position = get_object_or_404(account.selling_positions, pk=position_pk)
    services.selling_position_delete(position=position, user=request.user)
    messages.success(request, _("Selling position deleted."))
    return redirect("goals:selling_positions", account_pk=account.pk)
