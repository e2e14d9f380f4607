"""The account's selling positions: the three selling dimensions as a whitespace table."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import ModelForm
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, retarget

from accounts.access import get_account_for_user, get_rw_account_for_user
from accounts.models import KeyAccount
from accounts.views import account_context
from kam.concurrency import FIELD as SEEN
from kam.concurrency import StaleEdit, refuse
from kam.http import AuthenticatedRequest

from ..forms.selling import (
    SellingPositionForm,
    StageFilterForm,
    WhitespaceCellForm,
    WhitespaceFilterForm,
)
from ..models import Offering, SellingPosition
from ..selectors import selling as selectors
from ..services import selling as services


def _context(request: AuthenticatedRequest, account: KeyAccount, **extra) -> dict:
    return account_context(request, account, "selling", **extra)


def _save(
    form: ModelForm,
    *,
    account: KeyAccount,
    position: SellingPosition | None,
    user,
    **placement,
) -> bool:
    """Create the position from the valid form (at `placement`: its offering and site where the
    form has none) or update it; a refused save lands on the form as its error."""
    fields = dict(form.cleaned_data)
    seen = fields.pop(SEEN, None)
    try:
        if position is None:
            services.selling_position_create(account=account, user=user, **placement, **fields)
        else:
            services.selling_position_update(position=position, user=user, seen=seen, **fields)
    except StaleEdit as error:
        refuse(form, error)
        return False
    except ValidationError as error:
        form.add_error(None, error)
        return False
    return True


@login_required
def selling_positions(request: AuthenticatedRequest, account_pk: int) -> HttpResponse:
    account = get_account_for_user(request.user, account_pk)
    filter_form = StageFilterForm(request.GET)
    table = selectors.selling_table(account=account, stage=filter_form.stage_value())
    context = _context(request, account, filter_form=filter_form, table=table)
    return render(request, "goals/selling_positions.html", context)


@login_required
def selling_position_edit(
    request: AuthenticatedRequest, account_pk: int, position_pk: int | None = None
) -> HttpResponse:
    account = get_rw_account_for_user(request.user, account_pk)
    position = None
    if position_pk is not None:
        position = get_object_or_404(account.selling_positions, pk=position_pk)
    form = SellingPositionForm(request.POST or None, instance=position, account=account)
    if form.is_valid() and _save(form, account=account, position=position, user=request.user):
        messages.success(request, _("Selling position saved."))
        return redirect("goals:selling_positions", account_pk=account.pk)
    title = _("Edit selling position") if position else _("New selling position")
    context = _context(request, account, form=form, title=title)
    return render(request, "goals/selling_position_form.html", context)


@login_required
@require_POST
def selling_position_delete(
    request: AuthenticatedRequest, account_pk: int, position_pk: int
) -> HttpResponse:
    account = get_rw_account_for_user(request.user, account_pk)
    position = get_object_or_404(account.selling_positions, pk=position_pk)
    services.selling_position_delete(position=position, user=request.user)
    messages.success(request, _("Selling position deleted."))
    return redirect("goals:selling_positions", account_pk=account.pk)


# --- whitespace matrix ----------------------------------------------------------------------


def _whitespace(request: AuthenticatedRequest, account: KeyAccount) -> dict:
    """The matrix under the request's filters; the cell editor rebuilds it after a save so the
    totals it sends back follow the same filters as the page."""
    offerings = selectors.matrix_offerings(account=account)
    sites = list(account.sites.all())
    choices = selectors.filter_choices(offerings=offerings, sites=sites)
    form = WhitespaceFilterForm(request.GET, choices=choices)
    filters = selectors.WhitespaceFilter(
        country=form.value("country"), region=form.value("region"), group=form.value("group")
    )
    matrix = selectors.whitespace_matrix(
        account=account, filters=filters, offerings=offerings, sites=sites
    )
    metrics = selectors.dimension_metrics(account_ids=[account.pk])[account.pk]
    query = {
        name: value
        for name, value in (
            ("country", filters.country),
            ("region", filters.region),
            ("group", filters.group),
        )
        if value
    }
    return _context(
        request,
        account,
        filter_form=form,
        matrix=matrix,
        metrics=metrics,
        legend=selectors.stage_legend(),
        filter_query=urlencode(query),
    )


@login_required
def whitespace(request: AuthenticatedRequest, account_pk: int) -> HttpResponse:
    account = get_account_for_user(request.user, account_pk)
    context = _whitespace(request, account)
    template = "goals/whitespace.html"
    if request.htmx and request.htmx.target == "whitespace-matrix":
        template += "#matrix"
    return render(request, template, context)


def _cell_objects(account: KeyAccount, offering_pk: int, site_pk: int):
    site = None
    if site_pk != selectors.WHOLE_ACCOUNT:
        site = get_object_or_404(account.sites, pk=site_pk)
    offering = get_object_or_404(Offering.objects.select_related("product_group"), pk=offering_pk)
    position = account.selling_positions.filter(offering=offering, site=site).first()
    if position is None and not offering.active:
        # A retired offering shows only where a position keeps it; no new cell may use it.
        raise Http404
    return offering, site, position


@login_required
def whitespace_cell(
    request: AuthenticatedRequest, account_pk: int, offering_pk: int, site_pk: int
) -> HttpResponse:
    """Edit one cell of the matrix. With htmx the form opens in the page's editor panel and a
    save sends back the cell plus, out of band, its row and column totals, the grand total
    and the dimension metrics; without, it is a page of its own."""
    account = get_rw_account_for_user(request.user, account_pk)
    offering, site, position = _cell_objects(account, offering_pk, site_pk)
    back = reverse("goals:whitespace", args=[account.pk])
    if request.GET:
        back += "?" + request.GET.urlencode()
    form = WhitespaceCellForm(
        request.POST or None, instance=position, account=account, offering=offering, site=site
    )
    saved = cleared = False
    if request.method == "POST" and request.POST.get("action") == "clear":
        if position is not None:
            services.selling_position_delete(position=position, user=request.user)
        saved = cleared = True
    elif form.is_valid():
        saved = _save(
            form,
            account=account,
            position=position,
            user=request.user,
            offering=offering,
            site=site,
        )
    if saved and not request.htmx:
        messages.success(request, _("Cell cleared.") if cleared else _("Selling position saved."))
        return redirect(back)
    cell_id = f"cell-{offering.pk}-{site_pk}"
    context = _context(
        request,
        account,
        form=form,
        offering=offering,
        site=site,
        position=position,
        cell_id=cell_id,
        back=back,
        query=request.GET.urlencode(),
    )
    if not request.htmx:
        return render(request, "goals/whitespace_cell.html", context)
    if not saved:
        response = render(request, "goals/whitespace_cell.html#editor", context)
        if request.method == "POST":
            # The form aims its answer at the cell; an invalid form goes back to the editor.
            retarget(response, "#cell-editor")
            reswap(response, "innerHTML")
        return response
    context = _whitespace(request, account)
    matrix = context["matrix"]
    # Under a filter that hides the cell's row or column, only the totals that show change.
    row = next((r for r in matrix.rows if r.offering.pk == offering.pk), None)
    column = next((c for c in matrix.columns if c.key == site_pk), None)
    cell = None
    if row is not None and column is not None:
        cell = next(c for c in row.cells if c.column is column)
    context.update(
        row=row,
        column=column,
        cell=cell,
        offering=offering,
        site=site,
        cleared=cleared,
        oob=True,
        flash=True,
    )
    response = render(request, "goals/whitespace_cell_saved.html", context)
    if cell is None:
        reswap(response, "none")  # nothing to replace; the out-of-band parts still apply
    return response
