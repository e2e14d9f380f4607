"""Notifications about plans' workflow, each person's mail preference, and the daily digest.

- goals sends `goals.signals.plan_transitioned` from its workflow (goals must not import
  controlling); `alerts.plan_transitioned_receiver` (connected in ControllingConfig.ready)
  notifies:
  a submission every active leadership user, a return or an approval the account's owner and
  its team (with the comment the plan was returned with). The person who moved the plan is
  not told of their own step. Mails go out after the commit (`alerts.notifications_email`).
- Each person chooses per kind how it is mailed (`NotificationPreference`, no row meaning
  immediately): immediately, in the daily digest, or off. In the app every notification is
  shown whatever the choice.
- `notifications_digest_send` (a daily beat task) mails each person one digest with all
  their unread notifications of digest kinds not mailed yet. The rows are claimed with a
  conditional UPDATE first, so a second run (or a concurrent one) mails nothing twice; if
  sending fails, the claim is undone and the next run sends them.
"""

import logging
from collections import defaultdict

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from controlling.models import (
    Notification,
    NotificationKind,
    NotificationMode,
    NotificationPreference,
)
from goals.models import PlanStatus
from kam.models import User

logger = logging.getLogger(__name__)

KIND_BY_STATUS: dict[str, str] = {
    PlanStatus.SUBMITTED: NotificationKind.PLAN_SUBMITTED,
    PlanStatus.RETURNED: NotificationKind.PLAN_RETURNED,
    PlanStatus.APPROVED: NotificationKind.PLAN_APPROVED,
}


# --- preferences ------------------------------------------------------------------------------


def with_mode(notifications: QuerySet) -> QuerySet:
    """The notifications annotated with `mode`: their recipient's choice for their kind."""
    chosen = NotificationPreference.objects.filter(
        user_id=OuterRef("recipient_id"), kind=OuterRef("kind")
    ).values("mode")[:1]
    return notifications.annotate(
        mode=Coalesce(Subquery(chosen), Value(NotificationMode.IMMEDIATELY.value))
    )


def notification_preferences(*, user: User) -> dict[str, str]:
    """Every kind with the user's choice for it (immediately where none was made)."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "mode"))
    default = NotificationMode.IMMEDIATELY
    return {kind: chosen.get(kind, default) for kind in NotificationKind.values}


def notification_preferences_save(*, user: User, modes: dict[str, str]) -> None:
    """Record the user's choice for these kinds (unknown kinds or modes are refused)."""
    for kind, mode in modes.items():
        if kind not in NotificationKind.values or mode not in NotificationMode.values:
            raise ValueError(f"{kind}: {mode}")
    with transaction.atomic():
        for kind, mode in modes.items():
            NotificationPreference.objects.update_or_create(
                user=user, kind=kind, defaults={"mode": mode}
            )


# --- mail -------------------------------------------------------------------------------------


def absolute(path: str) -> str:
    return settings.KAM_BASE_URL.rstrip("/") + path


def notification_line(notification: Notification) -> str:
    """One line about the notification in the active language, for mails."""
    transition = notification.transition
    deviation = notification.deviation
    if deviation is not None:
        escalated = notification.kind == NotificationKind.ESCALATED
        label = _("Escalated") if escalated else _("Status worsened")
        return _("%(label)s: %(account)s, %(goal)s: %(from)s → %(to)s") % {
            "label": label,
            "account": deviation.goal.plan.account.name,
            "goal": deviation.goal.title,
            "from": deviation.get_from_status_display(),
            "to": deviation.get_to_status_display(),
        }
    measure = notification.measure
    if measure is not None:
        due = notification.due_date or measure.due_date
        values = {
            "measure": measure.title,
            "account": measure.plan.account.name,
            "date": formats.date_format(due, "SHORT_DATE_FORMAT"),
        }
        if notification.kind == NotificationKind.MEASURE_OVERDUE:
            return _("“%(measure)s” (%(account)s) was due on %(date)s and is still open.") % values
        return _("“%(measure)s” (%(account)s) is due on %(date)s.") % values
    if transition is None:
        raise ValueError(notification.pk)
    plan = transition.plan
    texts: dict[str, str] = {
        NotificationKind.PLAN_SUBMITTED: _("%(actor)s submitted the plan %(year)s of %(account)s."),
        NotificationKind.PLAN_RETURNED: _(
            "%(actor)s returned the plan %(year)s of %(account)s: “%(comment)s”"
        ),
        NotificationKind.PLAN_APPROVED: _("%(actor)s approved the plan %(year)s of %(account)s."),
    }
    return texts[notification.kind] % {
        "actor": transition.actor,
        "year": plan.fiscal_year,
        "account": plan.account.name,
        "comment": transition.comment,
    }


MAIL_RELATED = (
    "recipient",
    "deviation__goal__plan__account",
    "deviation__goal__kpi",
    "transition__plan__account",
    "transition__actor",
    "measure__plan__account",
)


def plan_message(items: list[Notification]) -> EmailMessage:
    """The immediate mail about plan steps or measures of one kind for one person."""
    recipient = items[0].recipient
    with translation.override(recipient.language):
        context = {
            "recipient": recipient,
            "items": [(notification_line(n), absolute(n.get_absolute_url())) for n in items],
            "kind": NotificationKind(items[0].kind).label,
            "measures": items[0].measure_id is not None,
        }
        subject = render_to_string("controlling/email/plan_subject.txt", context)
        body = render_to_string("controlling/email/notifications.txt", context)
    return EmailMessage(subject=" ".join(subject.split()), body=body, to=[recipient.email])


def digest_message(items: list[Notification]) -> EmailMessage:
    """The daily digest for one person: every item with its link."""
    recipient = items[0].recipient
    with translation.override(recipient.language):
        context = {
            "recipient": recipient,
            "items": [(notification_line(n), absolute(n.get_absolute_url())) for n in items],
            "list_url": absolute(reverse("controlling:notifications")),
            "digest": True,
        }
        subject = render_to_string("controlling/email/digest_subject.txt", context)
        body = render_to_string("controlling/email/notifications.txt", context)
    return EmailMessage(subject=" ".join(subject.split()), body=body, to=[recipient.email])


def notifications_digest_send(*, now=None) -> int:
    """Mail each person one digest of their unread, unmailed notifications of the kinds
    they want as a digest; returns the number of mails sent. Safe to run twice: the rows are
    claimed (stamped `emailed_at`) by a conditional UPDATE before the mails go out."""
    now = now or timezone.now()
    pending = with_mode(
        Notification.objects.filter(
            emailed_at__isnull=True,
            read_at__isnull=True,
            recipient__is_active=True,
            created_at__lte=now,
        ).exclude(recipient__email="")
    ).filter(mode=NotificationMode.DIGEST)
    ids = list(pending.values_list("pk", flat=True))
    if not ids:
        return 0
    # The claim: a concurrent run finds these rows stamped already and sends none of them.
    Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).update(emailed_at=now)
    claimed = list(
        Notification.objects.filter(pk__in=ids, emailed_at=now)
        .select_related(*MAIL_RELATED)
        .order_by("recipient_id", "created_at", "pk")
    )
    if not claimed:
        return 0
    groups: dict[int, list[Notification]] = defaultdict(list)
    for notification in claimed:
        groups[notification.recipient_id].append(notification)
    messages = [digest_message(items) for items in groups.values()]
    try:
        get_connection().send_messages(messages)
    except Exception:
        logger.exception("Could not mail %s digests; the next run sends them.", len(messages))
        Notification.objects.filter(pk__in=[n.pk for n in claimed], emailed_at=now).update(
            emailed_at=None
        )
        return 0
    return len(messages)
