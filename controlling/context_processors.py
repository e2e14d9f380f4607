"""The unread-notification count for the navigation bar of every page."""

from functools import partial

from django.http import HttpRequest

from .alerts import unread_count

CACHE_ATTRIBUTE = "_kam_unread_notifications"


def _cached_count(request: HttpRequest) -> int:
    # Several renders of one request (a page and its partials) share one COUNT query.
    if not hasattr(request, CACHE_ATTRIBUTE):
        setattr(request, CACHE_ATTRIBUTE, unread_count(request.user))
    return getattr(request, CACHE_ATTRIBUTE)


def notifications(request: HttpRequest) -> dict:
    """`unread_notifications`: a callable, which templates call when they use it, so a page
    that does not show the count costs no query, and one that shows it twice costs one."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": partial(_cached_count, request)}
