"""Reads for the user management pages."""

from django.db.models import Q, QuerySet

from .models import User


def user_list(*, query: str = "", role: str = "", active: bool | None = None) -> QuerySet[User]:
    """Users by name, matching `query` in username, names or e-mail, of a role, active or not."""
    users = User.objects.order_by("last_name", "first_name", "username")
    if query:
        users = users.filter(
            Q(username__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(email__icontains=query)
        )
    if role:
        users = users.filter(role=role)
    if active is not None:
        users = users.filter(is_active=active)
    return users
