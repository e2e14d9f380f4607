"""Who may see and do what with key accounts: the gate every view, export and API reads
accounts through, and one predicate per permission.

Predicates decide on an account the user can already see (it came through the gate, which
answers 404 for any other); they never query."""

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
    """The account if the user may change it; read-only roles get 403 for what they can see.
    `allow_archived`: for archiving and restoring, which act on the account's status itself."""
    account = get_account_for_user(user, pk)
    allowed = can_archive_account if allow_archived else can_edit_account
    if not allowed(user, account):
        raise PermissionDenied
    return account


def can_create_account(user) -> bool:
    """Create key accounts: managers and administrators, not read-only leadership."""
    return not user.is_read_only


def can_edit_account(user, account: KeyAccount) -> bool:
    """Change the account and what hangs on it (sites, buying centre, interactions, market
    stages, portfolio scores, selling positions, plans): its team and administrators, while
    it is not archived."""
    return not user.is_read_only and not account.is_archived


def can_archive_account(user, account: KeyAccount) -> bool:
    """Archive an account or restore an archived one: whoever may change accounts."""
    return not user.is_read_only


def can_manage_team(user, account: KeyAccount) -> bool:
    """Add and remove account team members: as for changing the account."""
    return can_edit_account(user, account)


def can_hand_over_account(user) -> bool:
    """Choose an account's owner (key account manager): administrators only; a manager
    creates accounts for themselves."""
    return user.is_administrator


def can_read_audit(user) -> bool:
    """Read the audit page, every change of every audited object: leadership and
    administrators, who see every account anyway. An account's own history tab follows the
    account's visibility."""
    return user.sees_all_accounts
