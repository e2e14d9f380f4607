"""Login throttling with django-axes: the client's address, and the page a locked-out login
gets (settings `AXES_CLIENT_IP_CALLABLE` and `AXES_LOCKOUT_CALLABLE` in kam/settings/base.py).
"""

from axes.helpers import get_cool_off
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


def client_address(request: HttpRequest) -> str | None:
    """The address the login came from.

    Without trusted proxies (KAM_TRUSTED_PROXY_COUNT=0) it is the peer of the connection. With
    N of them, each appending the address it saw to X-Forwarded-For, it is the N-th entry from
    the right: what the outermost trusted proxy saw. Entries further left came from the
    client and could name any address, so they are never read.
    """
    count = settings.KAM_TRUSTED_PROXY_COUNT
    if count:
        forwarded = [
            entry.strip()
            for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if entry.strip()
        ]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR")


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """The login page's answer while logins are locked out: when to try again (each failure
    during the lock starts the cool-off anew, so it ends a cool-off from now), or, without a
    cool-off, to ask an administrator."""
    cool_off = get_cool_off(request)
    retry_at = timezone.now() + cool_off if cool_off else None
    return render(
        request,
        "registration/locked_out.html",
        {"retry_at": retry_at},
        status=429,  # Too Many Requests
    )
