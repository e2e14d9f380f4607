from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from kam.audit import audit_entries, audit_rows
from kam.concurrency import StaleEdit, form_save, refuse
from kam.http import AuthenticatedRequest

from . import selectors, services
from .access import (
    can_create_account,
    can_edit_account,
    can_manage_team,
    can_read_audit,
    get_account_for_user,
    get_rw_account_for_user,
)
from .charts import legend_numbers, portfolio_chart
from .filters import AuditFilterForm, KeyAccountFilter, PortfolioFilter
from .forms import (
    InteractionForm,
    KeyAccountForm,
    MarketStageForm,
    PortfolioScoringForm,
    SiteForm,
    StakeholderForm,
    TeamMemberForm,
)
from .models import PORTFOLIO_MIDPOINT, KeyAccount, PortfolioQuadrant

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PAGE_SIZE = 25
AUDIT_PAGE_SIZE = 50


def account_context(request: AuthenticatedRequest, account: KeyAccount, tab: str, **extra) -> dict:
    """The context of every page below an account's header (its tabs), for every app."""
    return {
        "account": account,
        "tab": tab,
        "can_edit": can_edit_account(request.user, account),
        **extra,
    }


@login_required
def account_list(request: AuthenticatedRequest) -> HttpResponse:
    account_filter = KeyAccountFilter(
        request.GET, queryset=selectors.account_list(user=request.user)
    )
    page = Paginator(account_filter.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter": account_filter,
        "page": page,
        "query": query.urlencode(),
        "ordering": request.GET.get("ordering", ""),
        "can_create": can_create_account(request.user),
    }
    template = "accounts/account_list.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context)


@login_required
def account_create(request: AuthenticatedRequest) -> HttpResponse:
    if not can_create_account(request.user):
        raise PermissionDenied
    form = KeyAccountForm(request.POST or None, user=request.user)
    if form.is_valid():
        account = form.save()
        messages.success(request, _("Key account “%s” created.") % account.name)
        return redirect(account)
    return render(request, "accounts/account_form.html", {"form": form})


@login_required
def account_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    account = get_account_for_user(request.user, pk)
    context = account_context(
        request,
        account,
        "overview",
        overview=selectors.account_overview(account=account, user=request.user),
    )
    return render(request, "accounts/account_detail.html", context)


@login_required
def account_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    account = get_rw_account_for_user(request.user, pk)
    form = KeyAccountForm(request.POST or None, instance=account, user=request.user)
    if form.is_valid():
        try:
            form_save(form, user=request.user)
        except StaleEdit as error:
            refuse(form, error)
        else:
            messages.success(request, _("Key account saved."))
            return redirect(account)
    return render(request, "accounts/account_form.html", {"form": form, "account": account})


@login_required
@require_POST
def account_archive(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    account = get_rw_account_for_user(request.user, pk)
    services.account_archive(account=account, user=request.user)
    messages.success(request, _("Key account “%s” archived.") % account.name)
    return redirect(account)


@login_required
@require_POST
def account_restore(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    account = get_rw_account_for_user(request.user, pk, allow_archived=True)
    services.account_restore(account=account, user=request.user)
    messages.success(request, _("Key account “%s” restored.") % account.name)
    return redirect(account)


@login_required
def team(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    account = get_account_for_user(request.user, pk)
    form = None
    if can_manage_team(request.user, account):
        form = TeamMemberForm(request.POST or None, account=account)
        if request.method == "POST" and form.is_valid():
            form.save()
            messages.success(request, _("Team member added."))
            return redirect("accounts:team", pk=account.pk)
    elif request.method == "POST":
        raise PermissionDenied
    members = account.team_members.select_related("user")
    context = account_context(request, account, "team", members=members, form=form)
    return render(request, "accounts/team.html", context)


@login_required
@require_POST
def team_remove(request: AuthenticatedRequest, pk: int, member_pk: int) -> HttpResponse:
    account = get_rw_account_for_user(request.user, pk)
    member = get_object_or_404(account.team_members, pk=member_pk)
    services.team_member_remove(member=member, user=request.user)
    messages.success(request, _("Team member removed."))
    return redirect("accounts:team", pk=account.pk)


@login_required
def sites(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    account = get_account_for_user(request.user, pk)
    context = account_context(request, account, "sites", sites=account.sites.all())
    return render(request, "accounts/sites.html", context)


@login_required
def stakeholders(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    account = get_account_for_user(request.user, pk)
    context = account_context(
        request,
        account,
        "stakeholders",
        stakeholders=selectors.stakeholder_list(account=account),
    )
    return render(request, "accounts/stakeholders.html", context)


@login_required
def stakeholder_detail(request: AuthenticatedRequest, pk: int, child_pk: int) -> HttpResponse:
    account = get_account_for_user(request.user, pk)
    stakeholder = get_object_or_404(
        account.stakeholders.with_last_contact().select_related("relationship_owner"),
        pk=child_pk,
    )
    interactions = selectors.interaction_list(account=account).filter(stakeholders=stakeholder)
    context = account_context(
        request, account, "stakeholders", stakeholder=stakeholder, interactions=interactions
    )
    return render(request, "accounts/stakeholder_detail.html", context)


@login_required
def relationship_map(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    account = get_account_for_user(request.user, pk)
    context = account_context(
        request, account, "map", grid=selectors.relationship_map(account=account)
    )
    return render(request, "accounts/relationship_map.html", context)


@login_required
def interactions(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    account = get_account_for_user(request.user, pk)
    page = Paginator(selectors.interaction_list(account=account), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = account_context(request, account, "interactions", page=page)
    return render(request, "accounts/interactions.html", context)


@login_required
def market_stages(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    account = get_account_for_user(request.user, pk)
    context = account_context(request, account, "market_stages", stages=account.market_stages.all())
    return render(request, "accounts/market_stages.html", context)


SCORING_PAGE_SIZE = 10


@login_required
def scoring(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Score the account on every active portfolio criterion; the history below."""
    account = get_account_for_user(request.user, pk)
    editable = can_edit_account(request.user, account)
    if request.method == "POST" and not editable:
        raise PermissionDenied
    criteria = selectors.active_criteria()
    form = None
    if editable and criteria:
        form = PortfolioScoringForm(
            request.POST or None,
            criteria=criteria,
            initial_scores=selectors.latest_scores(account=account),
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.portfolio_scoring_create(
                    account=account,
                    scores=form.scores(),
                    user=request.user,
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(request, _("Portfolio scoring saved."))
                return redirect("accounts:scoring", pk=account.pk)
    page = Paginator(selectors.scoring_history(account=account), SCORING_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = account_context(
        request,
        account,
        "scoring",
        form=form,
        criteria=criteria,
        page=page,
        quadrant=PortfolioQuadrant.of(account.attractiveness, account.relative_strength),
    )
    return render(request, "accounts/scoring.html", context)


@login_required
def portfolio(request: AuthenticatedRequest) -> HttpResponse:
    """McDonald's key account portfolio: every visible account on attractiveness x strength."""
    portfolio_filter = PortfolioFilter(
        request.GET, queryset=KeyAccount.objects.visible_to(request.user).not_archived()
    )
    matrix = selectors.portfolio_matrix(accounts=portfolio_filter.qs)
    config, table = portfolio_chart(matrix)
    context = {
        "filter": portfolio_filter,
        "matrix": matrix,
        "config": config,
        "table": table,
        "legend": legend_numbers(matrix.positions),
        "quadrants": [(q, matrix.counts[q]) for q in PortfolioQuadrant],
        "midpoint": PORTFOLIO_MIDPOINT,
    }
    template = "accounts/portfolio.html"
    if request.htmx:
        template += "#matrix"
    return render(request, template, context)


@dataclass(frozen=True)
class Child:
    """A kind of record that hangs off an account, with its own texts (German needs gender)."""

    form_class: type
    related_name: str
    new_title: "StrOrPromise"
    edit_title: "StrOrPromise"
    saved: "StrOrPromise"
    deleted: "StrOrPromise"

    @property
    def tab(self) -> str:
        return self.related_name


# Children of an account share one create/edit/delete flow: the account comes through the
# gate, the child from the account's related set, so a foreign id is a 404.
CHILDREN: dict[str, Child] = {
    "site": Child(
        SiteForm, "sites", _l("New site"), _l("Edit site"), _l("Site saved."), _l("Site deleted.")
    ),
    "stakeholder": Child(
        StakeholderForm,
        "stakeholders",
        _l("New stakeholder"),
        _l("Edit stakeholder"),
        _l("Stakeholder saved."),
        _l("Stakeholder deleted."),
    ),
    "interaction": Child(
        InteractionForm,
        "interactions",
        _l("Record an interaction"),
        _l("Edit interaction"),
        _l("Interaction saved."),
        _l("Interaction deleted."),
    ),
    "market_stage": Child(
        MarketStageForm,
        "market_stages",
        _l("New market stage"),
        _l("Edit market stage"),
        _l("Market stage saved."),
        _l("Market stage deleted."),
    ),
}


def _form_kwargs(kind: str, request: AuthenticatedRequest, account: KeyAccount) -> dict:
    kwargs: dict[str, object] = {"account": account}
    if kind == "interaction":
        kwargs["author"] = request.user
    return kwargs


@login_required
def child_edit(
    request: AuthenticatedRequest, pk: int, kind: str, child_pk: int | None = None
) -> HttpResponse:
    child = CHILDREN[kind]
    account = get_rw_account_for_user(request.user, pk)
    instance = None
    if child_pk is not None:
        instance = get_object_or_404(getattr(account, child.related_name), pk=child_pk)
    form = child.form_class(
        request.POST or None, instance=instance, **_form_kwargs(kind, request, account)
    )
    if form.is_valid():
        try:
            saved = form_save(form, user=request.user)
        except StaleEdit as error:
            refuse(form, error)
        else:
            messages.success(request, child.saved)
            return redirect(saved)
    context = account_context(
        request,
        account,
        child.tab,
        form=form,
        title=child.edit_title if instance else child.new_title,
        cancel_url=reverse(f"accounts:{child.tab}", args=[account.pk]),
    )
    return render(request, "accounts/child_form.html", context)


@login_required
@require_POST
def child_delete(request: AuthenticatedRequest, pk: int, kind: str, child_pk: int) -> HttpResponse:
    child = CHILDREN[kind]
    account = get_rw_account_for_user(request.user, pk)
    get_object_or_404(getattr(account, child.related_name), pk=child_pk).delete()
    messages.success(request, child.deleted)
    return redirect(f"accounts:{child.tab}", pk=account.pk)


@login_required
def account_history(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Who changed what of the account and everything on it, for whoever sees the account."""
    account = get_account_for_user(request.user, pk)
    page = Paginator(audit_rows(account_id=account.pk), AUDIT_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = account_context(
        request, account, "history", page=page, entries=audit_entries(list(page.object_list))
    )
    return render(request, "accounts/history.html", context)


@login_required
def audit(request: AuthenticatedRequest) -> HttpResponse:
    """Every change of every audited object, filtered: leadership and administrators."""
    if not can_read_audit(request.user):
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None)
    page = Paginator(audit_rows(**form.filters()), AUDIT_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"form": form, "page": page, "entries": audit_entries(list(page.object_list))}
    return render(request, "accounts/audit.html", context)
