from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from django.views.i18n import set_language as django_set_language

from . import health as health_checks
from . import selectors, services
from .access import can_change_user, can_manage_users
from .forms import UserFilterForm, UserForm
from .http import AuthenticatedRequest
from .models import User

USERS_PAGE_SIZE = 25


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    """Each role's start page, by URL name (kam does not import the apps): the dashboard for
    leadership and administrators, the manager home for managers. Login lands here."""
    user = request.user
    if user.sees_all_accounts:
        return redirect("controlling:dashboard")
    return redirect("controlling:home")


@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    """503 only when the database or the cache fails (kam.health says why); a missing broker
    or worker is "degraded" with 200."""
    status, checks = health_checks.report()
    return JsonResponse(
        {"status": status, "checks": checks}, status=503 if status == "unavailable" else 200
    )


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's switcher, plus the user's stored language for mails and background work."""
    response = django_set_language(request)
    language = request.POST.get("language")
    user = request.user
    if (
        user.is_authenticated
        and language is not None
        and language in dict(user._meta.get_field("language").choices or ())
    ):
        user.language = language
        user.save(update_fields=["language"])
    return response


# --- managing users (administrators) ---------------------------------------------------------


def _user_for_manager(request: AuthenticatedRequest, pk: int) -> User:
    if not can_manage_users(request.user):
        raise PermissionDenied
    subject = get_object_or_404(User, pk=pk)
    if not can_change_user(request.user, subject):
        raise PermissionDenied
    return subject


@login_required
@require_safe
def user_list(request: AuthenticatedRequest) -> HttpResponse:
    if not can_manage_users(request.user):
        raise PermissionDenied
    form = UserFilterForm(request.GET)
    users = selectors.user_list(**form.filters())
    page = Paginator(users, USERS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "kam/user_list.html", {"form": form, "page": page})


@login_required
def user_create(request: AuthenticatedRequest) -> HttpResponse:
    """A new user; with an e-mail address they get the mail to choose their password."""
    if not can_manage_users(request.user):
        raise PermissionDenied
    form = UserForm(request.POST or None)
    if form.is_valid():
        try:
            user = services.user_create(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            services.user_password_reset_send(by=request.user, user=user)
            messages.success(
                request,
                _("User %(user)s created; a mail to choose a password went to %(email)s.")
                % {"user": user, "email": user.email},
            )
            return redirect("users:list")
    return render(request, "kam/user_form.html", {"form": form, "subject": None})


@login_required
def user_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    subject = _user_for_manager(request, pk)
    form = UserForm(request.POST or None, instance=subject)
    if form.is_valid():
        data = form.cleaned_data
        try:
            # The role first: it is what may be refused (an administrator's own).
            services.user_role_set(by=request.user, user=subject, role=data["role"])
            services.user_update(
                by=request.user,
                user=subject,
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                language=data["language"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("User %(user)s saved.") % {"user": subject})
            return redirect("users:list")
    return render(request, "kam/user_form.html", {"form": form, "subject": subject})


@login_required
@require_POST
def user_deactivate(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    subject = _user_for_manager(request, pk)
    try:
        services.user_deactivate(by=request.user, user=subject)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(user)s can no longer log in.") % {"user": subject})
    return redirect("users:edit", pk=subject.pk)


@login_required
@require_POST
def user_reactivate(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    subject = _user_for_manager(request, pk)
    services.user_reactivate(by=request.user, user=subject)
    messages.success(request, _("%(user)s can log in again.") % {"user": subject})
    return redirect("users:edit", pk=subject.pk)


@login_required
@require_POST
def user_password_reset(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    subject = _user_for_manager(request, pk)
    try:
        services.user_password_reset_send(by=request.user, user=subject)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("A mail to choose a new password went to %(email)s.") % {"email": subject.email},
        )
    return redirect("users:edit", pk=subject.pk)
