"""The unread-notification count for the navigation bar of every page."""

from functools import partial

from django.http import HttpRequest

from controlling.selectors.alerts import unread_count
from kam.models import User

CACHE_ATTRIBUTE = "_kam_unread_notifications"
# The badge says "99+" beyond this: counting further reads every unread row of a leader
# with tens of thousands of escalations, on every page.
UNREAD_SHOWN = 99


def _cached_count(request: HttpRequest, user: User) -> int:
    # Several renders of one request (a page and its partials) share one COUNT query.
    if not hasattr(request, CACHE_ATTRIBUTE):
        setattr(request, CACHE_ATTRIBUTE, unread_count(user, up_to=UNREAD_SHOWN + 1))
    return getattr(request, CACHE_ATTRIBUTE)


def notifications(request: HttpRequest) -> dict:
    """`unread_notifications`: a callable, which templates call when they use it, so a page
    that does not show the count costs no query, and one that shows it twice costs one. It
    counts up to `unread_shown` + 1: more than `unread_shown` shows as "99+"."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notifications": partial(_cached_count, request, user),
        "unread_shown": UNREAD_SHOWN,
    }
