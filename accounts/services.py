"""Writes on key accounts that carry business rules. Views, commands and tasks call these."""

from django.core.exceptions import PermissionDenied

from .models import AccountStatus, AccountTeamMember, KeyAccount


def account_archive(*, account: KeyAccount, user) -> KeyAccount:
    """Archive instead of delete: plans, actuals and history keep their account."""
    if user.is_read_only:
        raise PermissionDenied
    account.status = AccountStatus.ARCHIVED
    account.save(update_fields=["status", "updated_at"])
    return account


def account_restore(*, account: KeyAccount, user) -> KeyAccount:
    if user.is_read_only:
        raise PermissionDenied
    account.status = AccountStatus.ACTIVE
    account.save(update_fields=["status", "updated_at"])
    return account


def team_member_remove(*, member: AccountTeamMember, user) -> None:
    if user.is_read_only:
        raise PermissionDenied
    member.delete()


def contact_reminders_send(*, today=None) -> int:
    """Mail each relationship owner the stakeholders whose contact is overdue.

    Runs daily; sending twice on one day only repeats a reminder, it changes no data.
    Returns the number of mails sent.
    """
    from collections import defaultdict

    from django.core.mail import send_mail
    from django.template.loader import render_to_string
    from django.utils import translation

    from .selectors import overdue_contacts

    by_recipient = defaultdict(list)
    for stakeholder in overdue_contacts(today=today):
        recipient = stakeholder.relationship_owner
        if recipient is None or not (recipient.is_active and recipient.email):
            # Nobody reachable owns the relationship (unset, or they left): the account's owner.
            recipient = stakeholder.account.owner
        if recipient.email and recipient.is_active:
            by_recipient[recipient].append(stakeholder)
    for recipient, stakeholders in by_recipient.items():
        with translation.override(recipient.language):
            context = {"recipient": recipient, "stakeholders": stakeholders}
            send_mail(
                subject=render_to_string(
                    "accounts/email/contact_reminder_subject.txt", context
                ).strip(),
                message=render_to_string("accounts/email/contact_reminder.txt", context),
                from_email=None,
                recipient_list=[recipient.email],
            )
    return len(by_recipient)
