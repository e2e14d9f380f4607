"""Who may manage users (the logins, not key accounts). One predicate per permission, as in
each app's access.py; views, services and templates ask it."""

from django.contrib.auth.models import AnonymousUser

from .models import User


def can_manage_users(user: User | AnonymousUser) -> bool:
    """List, create, deactivate and reactivate users, set their role and send them a password
    reset: administrators."""
    return user.is_authenticated and user.is_active and user.is_administrator


def can_change_user(user: User | AnonymousUser, subject: User) -> bool:
    """Change this user (details, role, active, password reset): who manages users, but a
    superuser only by a superuser, since a changed e-mail and a reset mail would hand over
    the superuser's login."""
    return can_manage_users(user) and (user.is_superuser or not subject.is_superuser)
