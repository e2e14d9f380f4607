"""The access gate for key accounts: every view, export and API reads accounts through here."""

from django.core.exceptions import PermissionDenied
from django.db.models import Exists
from django.shortcuts import get_object_or_404

from .models import KeyAccount
from .selectors import visible_parent


def get_account_for_user(user, pk: int) -> KeyAccount:
    """The account if the user may see it; 404 otherwise, so its existence is not revealed."""
    return get_object_or_404(
        KeyAccount.objects.visible_to(user)
        .select_related("owner", "parent")
        .annotate(parent_visible=Exists(visible_parent(user))),
        pk=pk,
    )


def get_rw_account_for_user(user, pk: int, *, allow_archived: bool = False) -> KeyAccount:
    """The account if the user may change it; read-only roles get 403 for what they can see."""
    account = get_account_for_user(user, pk)
    if user.is_read_only:
        raise PermissionDenied
    if account.is_archived and not allow_archived:
        raise PermissionDenied
    return account


def can_edit(user, account: KeyAccount) -> bool:
    return not user.is_read_only and not account.is_archived
