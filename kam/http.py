"""The request a logged-in view receives, for type checkers.

`login_required` lets only authenticated users through, so `request.user` is a `User`, never
an `AnonymousUser`; django-htmx's middleware sets `request.htmx` on every request. Views
annotate `request` with this class; nothing creates one.
"""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from .models import User


class AuthenticatedRequest(HttpRequest):
    user: User
    htmx: HtmxDetails
