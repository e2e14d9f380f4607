from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from django.views.i18n import set_language as django_set_language

from .health import broker_ok, database_ok
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
    checks = {}
    for name, check in (("database", database_ok), ("broker", broker_ok)):
        ok, detail = check()
        checks[name] = {"ok": ok, "detail": detail}
    healthy = all(c["ok"] for c in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
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
