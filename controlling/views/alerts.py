"""Deviations (list, page with comments) and the user's notifications."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from controlling.access import can_comment, get_deviation_for_user, get_notification_for_user
from controlling.forms.alerts import CommentForm, DeviationFilterForm, NotificationPreferencesForm
from controlling.selectors import alerts as alert_lists
from controlling.services import alerts, notifications
from goals.access import can_record_progress
from kam.http import AuthenticatedRequest

PAGE_SIZE = 25


@login_required
def deviation_list(request: AuthenticatedRequest) -> HttpResponse:
    accounts = list(alert_lists.deviation_accounts(user=request.user))
    form = DeviationFilterForm(request.GET, accounts=accounts)
    filters = form.filters()
    deviations = alert_lists.deviation_list(user=request.user, filters=filters)
    page = Paginator(deviations, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "controlling/deviation_list.html",
        {"form": form, "filters": filters, "page": page, "now": timezone.now()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def deviation_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The deviation, its goal's figures and the comments; POST adds a comment (the account
    team and administrators). Opening it writes nothing: the user's notifications about it are
    marked read by a button here (`deviation_read`) or by opening it from the notifications."""
    deviation = get_deviation_for_user(request.user, pk)
    commentable = can_comment(request.user, deviation)
    form = CommentForm(request.POST or None)
    if request.method == "POST":
        if not commentable:
            raise PermissionDenied
        if form.is_valid():
            try:
                alerts.deviation_comment_add(
                    deviation=deviation, author=request.user, text=form.cleaned_data["text"]
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Comment saved."))
                return redirect(deviation)
    plan = deviation.goal.plan
    context = {
        "deviation": deviation,
        "goal": deviation.goal,
        "plan": plan,
        "account": plan.account,
        "state": getattr(deviation.goal, "state", None),
        "comments": alert_lists.deviation_comments(deviation=deviation),
        "form": form if commentable else None,
        "can_add_measure": can_record_progress(request.user, plan),
        "now": timezone.now(),
        "unread_here": alert_lists.unread_about(user=request.user, deviation=deviation),
    }
    return render(request, "controlling/deviation_detail.html", context)


@login_required
@require_POST
def deviation_read(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Mark the user's notifications about this deviation read (a button on its page)."""
    deviation = get_deviation_for_user(request.user, pk)
    alerts.notifications_mark_read(user=request.user, deviation=deviation)
    return redirect(deviation)


@login_required
def notification_list(request: AuthenticatedRequest) -> HttpResponse:
    page = Paginator(alert_lists.notification_list(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "controlling/notification_list.html", {"page": page})


def _back(request: AuthenticatedRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("controlling:notifications")
    return redirect(target)


@login_required
@require_POST
def notification_read(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    notification = get_notification_for_user(request.user, pk)
    alerts.notifications_mark_read(user=request.user, notification_ids=[notification.pk])
    return _back(request)


@login_required
@require_POST
def notifications_read_all(request: AuthenticatedRequest) -> HttpResponse:
    count = alerts.notifications_mark_read(user=request.user)
    if count:
        messages.success(request, _("All notifications marked as read."))
    return _back(request)


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: AuthenticatedRequest) -> HttpResponse:
    """The user's own choice, per kind, of how notifications are mailed."""
    modes = notifications.notification_preferences(user=request.user)
    form = NotificationPreferencesForm(request.POST or None, initial_modes=modes)
    if request.method == "POST" and form.is_valid():
        notifications.notification_preferences_save(user=request.user, modes=form.cleaned_data)
        messages.success(request, _("Your notification settings are saved."))
        return redirect("controlling:notification_settings")
    return render(request, "controlling/notification_settings.html", {"form": form})
