"""Writes on key accounts that carry business rules. Views, commands and tasks call these."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from .access import can_archive_account, can_edit_account, can_manage_team
from .models import (
    AccountStatus,
    AccountTeamMember,
    KeyAccount,
    PortfolioAxis,
    PortfolioCriterion,
    PortfolioScore,
    PortfolioScoring,
)
from .selectors import overdue_contacts


def account_archive(*, account: KeyAccount, user) -> KeyAccount:
    """Archive instead of delete: plans, actuals and history keep their account."""
    return _status_set(account=account, user=user, status=AccountStatus.ARCHIVED)


def account_restore(*, account: KeyAccount, user) -> KeyAccount:
    return _status_set(account=account, user=user, status=AccountStatus.ACTIVE)


def _status_set(*, account: KeyAccount, user, status: AccountStatus) -> KeyAccount:
    """Archiving and restoring: whoever may archive the account sets its status."""
    if not can_archive_account(user, account):
        raise PermissionDenied
    account.status = status
    account.save(update_fields=["status", "updated_at"])
    return account


def team_member_remove(*, member: AccountTeamMember, user) -> None:
    if not can_manage_team(user, member.account):
        raise PermissionDenied
    member.delete()


def contact_reminders_send(*, today=None) -> int:
    """Mail each relationship owner the stakeholders whose contact is overdue.

    Runs daily; sending twice on one day only repeats a reminder, it changes no data.
    Returns the number of mails sent.
    """
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


SCORE_MIN, SCORE_MAX = 1, 10


def portfolio_result(pairs: Iterable[tuple[Decimal, int]]) -> int | None:
    """The weighted mean of (weight, score 1-10) pairs on the account's 0-100 scale.

    (mean - 1) / 9 * 100, so 1 maps to 0 and 10 to 100; rounded half up to a whole number,
    because the account's fields are whole numbers. None without pairs.
    """
    pairs = list(pairs)
    total = sum((Decimal(weight) for weight, _score in pairs), Decimal(0))
    if not pairs or total <= 0:
        return None
    mean = sum((Decimal(weight) * score for weight, score in pairs), Decimal(0)) / total
    scaled = (mean - SCORE_MIN) * 100 / (SCORE_MAX - SCORE_MIN)
    return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def portfolio_scoring_create(
    *, account: KeyAccount, scores: Mapping[int, int | None], user, note: str = ""
) -> PortfolioScoring:
    """Record a scoring of every active criterion and set the account's two axes from it.

    `scores` maps criterion ids to 1-10. All or nothing: a missing, out-of-range or unknown
    score raises a ValidationError naming the criterion, and nothing is saved. An axis
    without active criteria keeps the account's hand-entered value.
    """
    if not can_edit_account(user, account):
        raise PermissionDenied
    criteria = list(PortfolioCriterion.objects.filter(active=True))
    if not criteria:
        raise ValidationError(_("No portfolio criteria are active; an administrator sets them."))
    errors = {}
    valid: dict[int, int] = {}
    known = {c.pk for c in criteria}
    for criterion_id in set(scores) - known:
        errors[f"criterion_{criterion_id}"] = _(
            "Criterion %(id)s is not an active portfolio criterion."
        ) % {"id": criterion_id}
    for criterion in criteria:
        value = scores.get(criterion.pk)
        if value is None:
            errors[f"criterion_{criterion.pk}"] = _("“%(name)s”: a score is missing.") % {
                "name": criterion.name
            }
        elif not SCORE_MIN <= value <= SCORE_MAX:
            errors[f"criterion_{criterion.pk}"] = _(
                "“%(name)s”: the score must be between 1 and 10."
            ) % {"name": criterion.name}
        else:
            valid[criterion.pk] = value
    if errors:
        raise ValidationError(errors)

    results = {
        axis: portfolio_result((c.weight, valid[c.pk]) for c in criteria if c.axis == axis)
        for axis in PortfolioAxis.values
    }
    with transaction.atomic():
        scoring = PortfolioScoring.objects.create(
            account=account, scored_by=user, note=note.strip(), **results
        )
        PortfolioScore.objects.bulk_create(
            PortfolioScore(scoring=scoring, criterion=c, score=valid[c.pk], weight=c.weight)
            for c in criteria
        )
        changed = {axis: value for axis, value in results.items() if value is not None}
        for axis, value in changed.items():
            setattr(account, axis, value)
        account.save(update_fields=[*changed, "updated_at"])
    return scoring
