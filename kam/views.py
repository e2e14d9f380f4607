from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from django.views.i18n import set_language as django_set_language

from . import health as health_checks
from .http import AuthenticatedRequest


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
