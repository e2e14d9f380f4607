"""Alerts: a goal whose status worsens opens a deviation, which notifies people and stays
open until a countermeasure is recorded; deviations left open too long escalate.

- `alerts_raise(account_ids=...)` runs right after the controlling run computed those
  accounts (controlling.services.runs.chunk_run). It opens one `Deviation` per worsening that
  GoalState recorded (status worse than previous status), keyed by the time of that change,
  so re-runs never open a second one; then notifies the goal's owner and the account's
  owner (one notification each, one if they are the same person). A fixed number of queries,
  however many goals the accounts have.
- A deviation closes when a countermeasure (a measure flagged `is_countermeasure`) linked to
  its goal is recorded at or after the worsening. goals must not import controlling, so its
  measure services send `goals.signals.measures_changed`, and the receiver below (connected
  in ControllingConfig.ready) closes: a link made now at once; a save is judged by the
  measure's history (`deviations_close`), which `alerts_raise` also applies to catch what
  the signal could not see (a deviation being opened in another transaction at the time, or
  a measure written outside goals' services).
- `deviations_escalate()` (daily task) escalates deviations open longer than
  KAM_DEVIATION_ESCALATION_DAYS once, to every active leadership user.
- `measures_remind()` (daily task) notifies the owners of open measures due soon or overdue,
  once per measure, kind and due date.
- Mails go out after the transaction commits (`notifications_email`), one per recipient and
  kind, in the recipient's language; a notification is mailed once (`emailed_at`), and
  mails that failed are sent by the next daily task.
"""

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable
from functools import partial

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import (
    Case,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import AccountStatus, AccountTeamMember, KeyAccount
from controlling.models import (
    Deviation,
    DeviationComment,
    GoalState,
    GoalStatus,
    Notification,
    NotificationKind,
    NotificationMode,
)
from controlling.services.notifications import (
    KIND_BY_STATUS,
    MAIL_RELATED,
    plan_message,
    with_mode,
)
from goals.models import Measure, MeasureStatus
from kam.fiscal import current_fiscal_year
from kam.models import Role, User

logger = logging.getLogger(__name__)

# Long before any history: the start of a countermeasure's record when it never had a gap.
DAWN = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)

COMMENT_MAX_LENGTH = 4000


# --- closing by countermeasure ----------------------------------------------------------------


def _countermeasures(*, goal: str = "goal_id", since: str = "opened_for") -> QuerySet:
    """Measures that are countermeasures of the deviation's goal now and have been recorded
    as such at or after the deviation's worsening (`goal` and `since` name the deviation's
    fields; this is a subquery of a Deviation query).

    "Recorded" is read from the measure's history (django-simple-history keeps a snapshot of
    its goals with every change): the start of the latest unbroken stretch of history records
    in which the measure was a countermeasure linked to the goal. So a countermeasure that
    answered an earlier worsening, and is merely updated since (progress, cost), does not
    close a new deviation; unlinking and linking it again, or flagging it again, does.
    """
    history = Measure.history.model
    snapshot = apps.get_model("goals", "HistoricalMeasure_goals")
    # Subqueries of the measure's history records: their goal snapshot reaches the
    # deviation's goal three levels up (snapshot -> record -> measure -> deviation).
    deviation_goal = OuterRef(OuterRef(OuterRef(goal)))
    linked = Q(is_countermeasure=True) & Q(
        Exists(snapshot.objects.filter(history=OuterRef("pk"), goal=deviation_goal))
    )
    records = history.objects.filter(id=OuterRef("pk")).exclude(history_type="-").order_by()
    gap = records.exclude(linked).values("id").annotate(last=Max("history_date")).values("last")
    start = (
        records.filter(linked, history_date__gt=Coalesce(OuterRef("gap"), Value(DAWN)))
        .values("id")
        .annotate(first=Min("history_date"))
        .values("first")
    )
    return (
        Measure.objects.filter(goals=OuterRef(goal), is_countermeasure=True)
        .annotate(gap=Subquery(gap))
        .annotate(recorded=Subquery(start))
        .filter(recorded__gte=OuterRef(since))
    )


def deviations_close(*, goal_ids: Iterable[int] | None = None, scope: Q | None = None) -> int:
    """Close the open deviations (of these goals, or matching `scope`) for which a
    countermeasure has been recorded since they opened; returns how many. Two queries: the
    answered deviations with their first countermeasure, then one UPDATE of them all."""
    open_ = Deviation.objects.filter(closed_at__isnull=True)
    if goal_ids is not None:
        open_ = open_.filter(goal_id__in=list(goal_ids))
    if scope is not None:
        open_ = open_.filter(scope)
    # The oldest measure when several answer; not ordered by "recorded", because SQLite
    # cannot resolve the deviation's columns in a subquery's ORDER BY that deep.
    answers = _countermeasures().order_by("pk").values("pk")[:1]
    answered = dict(
        open_.annotate(answer=Subquery(answers))
        .filter(answer__isnull=False)
        .values_list("pk", "answer")
    )
    return _close(answered)


def _close(answered: dict[int, int]) -> int:
    """Close these deviations (id -> countermeasure id) unless closed meanwhile; one UPDATE."""
    if not answered:
        return 0
    return Deviation.objects.filter(pk__in=answered, closed_at__isnull=True).update(
        closed_at=Greatest(Value(timezone.now()), F("opened_at")),
        countermeasure=Case(
            *(When(pk=pk, then=Value(measure)) for pk, measure in answered.items()),
        ),
    )


def _close_linked(*, goal_ids: Iterable[int], measure_ids: Iterable[int]) -> int:
    """These measures have just been linked to these goals: a countermeasure among them
    answers every open deviation of the goals it is linked to (the oldest one when several
    are). Needs no history, as the link is made now."""
    goal_ids = list(goal_ids)
    if not goal_ids:
        return 0
    links = Measure.goals.through.objects.filter(
        goal_id__in=goal_ids, measure_id__in=list(measure_ids), measure__is_countermeasure=True
    )
    answers = {
        row["goal_id"]: row["first"]
        for row in links.values("goal_id").annotate(first=Min("measure_id"))
    }
    if not answers:
        return 0
    open_ = Deviation.objects.filter(goal_id__in=answers, closed_at__isnull=True)
    return _close({pk: answers[goal] for pk, goal in open_.values_list("pk", "goal_id")})


def measures_changed_receiver(
    sender, measure_ids: list[int], goal_ids: list[int], **kwargs
) -> None:
    """goals.signals.measures_changed, sent inside goals' writing transaction once the
    measures, their links and their history are written: the countermeasures among them
    close the deviations of the goals just linked to them at once, and are judged by their
    history for the goals they were linked to before (a measure newly flagged closes, one
    merely updated does not). Deleted measures close nothing."""
    _close_linked(goal_ids=goal_ids, measure_ids=measure_ids)
    linked_before = set(
        Measure.goals.through.objects.filter(
            measure_id__in=list(measure_ids), measure__is_countermeasure=True
        ).values_list("goal_id", flat=True)
    ) - set(goal_ids)
    if linked_before:
        deviations_close(goal_ids=linked_before)


# --- raising ----------------------------------------------------------------------------------


# Statuses that need an answer; "on track" after "no data" is no worsening.
ALERT_STATUSES = (GoalStatus.AT_RISK, GoalStatus.OFF_TRACK)


def _worsened_states(account_ids: list[int]) -> QuerySet:
    """States of these accounts' goals that are at risk or off track, worse than before, and
    have no deviation for that change yet. A goal computed for the first time was "no data"
    before."""
    previous = Coalesce(GoalStatus.severity_expression("previous_status"), Value(0))
    opened = Deviation.objects.filter(
        goal_id=OuterRef("goal_id"), opened_for=OuterRef("status_changed_at")
    )
    return (
        GoalState.objects.filter(
            goal__plan__account_id__in=account_ids,
            status__in=ALERT_STATUSES,
            status_changed_at__isnull=False,
        )
        # Not "severity": GoalState has a property of that name.
        .alias(status_severity=GoalStatus.severity_expression("status"), before=previous)
        .filter(status_severity__gt=F("before"))
        .exclude(Exists(opened))
    )


def alerts_raise(*, account_ids: Iterable[int]) -> int:
    """Open a deviation for every worsening of a goal of these accounts not raised yet,
    close the deviations of these accounts that countermeasures answered (the signals' catch-
    up), notify the goal's owner and the account's owner, and mail them once the transaction
    commits. Returns the number of deviations opened.

    Six queries at most (plus savepoints), whatever the number of goals. Safe to run again
    and concurrently: the unique (goal, opened_for) makes a second opening of a worsening a
    no-op, and only the deviations this call inserted (stamped with its own `opened_at`) are
    notified."""
    ids = sorted(set(account_ids))
    if not ids:
        return 0
    now = timezone.now()
    with transaction.atomic():
        rows = _worsened_states(ids).values_list(
            "goal_id", "status", "previous_status", "status_changed_at", "as_of"
        )
        new = [
            Deviation(
                goal_id=goal_id,
                from_status=previous or GoalStatus.NO_DATA,
                to_status=status,
                opened_for=changed_at,
                as_of=as_of,
                opened_at=now,
            )
            for goal_id, status, previous, changed_at, as_of in rows
        ]
        # Also the new ones: a countermeasure may have been recorded since the worsening.
        scope = Q(goal__plan__account_id__in=ids)
        if not new:
            deviations_close(scope=scope)
            return 0
        Deviation.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
        deviations_close(scope=scope)
        opened = list(
            Deviation.objects.filter(goal__plan__account_id__in=ids, opened_at=now).values_list(
                "pk",
                "goal__owner_id",
                "goal__owner__is_active",
                "goal__plan__account__owner_id",
                "goal__plan__account__owner__is_active",
            )
        )
        notifications = []
        for pk, goal_owner, goal_owner_active, account_owner, account_owner_active in opened:
            # A set: one notification when the goal's owner is the account's owner.
            recipients = set()
            if goal_owner_active:
                recipients.add(goal_owner)
            if account_owner_active:
                recipients.add(account_owner)
            notifications += [
                Notification(
                    recipient_id=user_id,
                    kind=NotificationKind.WORSENED,
                    deviation_id=pk,
                    created_at=now,
                )
                for user_id in sorted(recipients)
            ]
        Notification.objects.bulk_create(notifications, ignore_conflicts=True, batch_size=500)
        opened_ids = [row[0] for row in opened]
        transaction.on_commit(
            partial(notifications_email, deviation_ids=opened_ids, kind=NotificationKind.WORSENED),
            robust=True,
        )
    return len(opened)


# --- escalation -------------------------------------------------------------------------------


def deviations_escalate(*, now: datetime.datetime | None = None) -> int:
    """Escalate every deviation open longer than KAM_DEVIATION_ESCALATION_DAYS, once, to all
    active leadership users (a notification each, mailed after the commit). Returns how many
    deviations escalated. Concurrent callers claim disjoint rows (SELECT ... FOR UPDATE SKIP
    LOCKED, then a conditional UPDATE), so a deviation never escalates twice."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.KAM_DEVIATION_ESCALATION_DAYS)
    with transaction.atomic():
        due = list(
            Deviation.objects.filter(
                closed_at__isnull=True, escalated_at__isnull=True, opened_at__lte=cutoff
            )
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        if not due:
            return 0
        Deviation.objects.filter(pk__in=due, escalated_at__isnull=True).update(escalated_at=now)
        leaders = list(
            User.objects.filter(is_active=True, role=Role.LEADERSHIP).values_list("pk", flat=True)
        )
        Notification.objects.bulk_create(
            [
                Notification(
                    recipient_id=leader,
                    kind=NotificationKind.ESCALATED,
                    deviation_id=pk,
                    created_at=now,
                )
                for pk in due
                for leader in leaders
            ],
            ignore_conflicts=True,
            batch_size=500,
        )
        transaction.on_commit(
            partial(notifications_email, deviation_ids=due, kind=NotificationKind.ESCALATED),
            robust=True,
        )
    return len(due)


# --- mail -------------------------------------------------------------------------------------


def deviation_url(deviation: Deviation) -> str:
    return settings.KAM_BASE_URL.rstrip("/") + deviation.get_absolute_url()


def notifications_email(
    *,
    deviation_ids: Iterable[int] | None = None,
    transition_ids: Iterable[int] | None = None,
    measure_ids: Iterable[int] | None = None,
    kind: str | None = None,
) -> int:
    """Mail the unread notifications not mailed yet (of these deviations or plan status
    changes and kind, or all) that their recipients want mailed immediately: one mail per
    recipient and kind, in the recipient's language, listing each item with its link.
    Returns the number of mails sent. (Digest kinds go out with the daily digest, kinds
    switched off never; controlling.services.notifications.)

    The rows are claimed while the mails go out (FOR UPDATE SKIP LOCKED on PostgreSQL), so
    two senders never mail one notification twice; if sending fails, nothing is marked and
    the daily task tries again."""
    pending = Notification.objects.filter(
        emailed_at__isnull=True, read_at__isnull=True, recipient__is_active=True
    ).exclude(recipient__email="")
    if deviation_ids is not None:
        pending = pending.filter(deviation_id__in=list(deviation_ids))
    if transition_ids is not None:
        pending = pending.filter(transition_id__in=list(transition_ids))
    if measure_ids is not None:
        pending = pending.filter(measure_id__in=list(measure_ids))
    pending = with_mode(pending).filter(mode=NotificationMode.IMMEDIATELY)
    if kind is not None:
        pending = pending.filter(kind=kind)
    with transaction.atomic():
        claimed = list(
            pending.select_related(*MAIL_RELATED)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("recipient_id", "kind", "deviation__goal__plan__account__name", "pk")
        )
        if not claimed:
            return 0
        groups: dict[tuple[int, str], list[Notification]] = defaultdict(list)
        for notification in claimed:
            groups[(notification.recipient_id, notification.kind)].append(notification)
        messages = [
            _message(items) if items[0].deviation_id is not None else plan_message(items)
            for items in groups.values()
        ]
        try:
            get_connection().send_messages(messages)
        except Exception:
            logger.exception("Could not mail %s alert notifications; retried daily.", len(claimed))
            transaction.set_rollback(True)
            return 0
        Notification.objects.filter(pk__in=[n.pk for n in claimed]).update(
            emailed_at=timezone.now()
        )
    return len(messages)


def _message(items: list[Notification]) -> EmailMessage:
    recipient = items[0].recipient
    with translation.override(recipient.language):
        context = {
            "recipient": recipient,
            "kind": items[0].kind,
            "escalated": items[0].kind == NotificationKind.ESCALATED,
            "days": settings.KAM_DEVIATION_ESCALATION_DAYS,
            "items": [
                (n.deviation, settings.KAM_BASE_URL.rstrip("/") + n.get_absolute_url())
                for n in items
            ],
            "list_url": settings.KAM_BASE_URL.rstrip("/") + reverse("controlling:deviations"),
        }
        subject = render_to_string("controlling/email/alert_subject.txt", context)
        body = render_to_string("controlling/email/alert.txt", context)
    return EmailMessage(subject=" ".join(subject.split()), body=body, to=[recipient.email])


# --- plan workflow ---------------------------------------------------------------------------


def plan_transitioned_receiver(
    sender, *, plan_id: int, to_status: str, actor_id: int, transition_id: int, **kwargs
) -> int:
    """goals.signals.plan_transitioned: notify who needs to act on or know of the step.
    Returns the number of notifications created (reopening a plan notifies nobody)."""
    kind = KIND_BY_STATUS.get(to_status)
    if kind is None:
        return 0
    if kind == NotificationKind.PLAN_SUBMITTED:
        recipients = set(
            User.objects.filter(is_active=True, role=Role.LEADERSHIP).values_list("pk", flat=True)
        )
    else:
        account = KeyAccount.objects.filter(plans__pk=plan_id).values_list("pk", "owner_id")
        account_id, owner_id = account.get()
        recipients = set(
            AccountTeamMember.objects.filter(
                account_id=account_id, user__is_active=True
            ).values_list("user_id", flat=True)
        )
        if User.objects.filter(pk=owner_id, is_active=True).exists():
            recipients.add(owner_id)
    recipients.discard(actor_id)
    now = timezone.now()
    Notification.objects.bulk_create(
        [
            Notification(recipient_id=pk, kind=kind, transition_id=transition_id, created_at=now)
            for pk in sorted(recipients)
        ],
        ignore_conflicts=True,
    )
    transaction.on_commit(
        partial(notifications_email, transition_ids=[transition_id], kind=kind), robust=True
    )
    return len(recipients)


# --- measures due --------------------------------------------------------------------------


def measures_remind(*, today: datetime.date | None = None) -> int:
    """Notify the owner of every open measure due within KAM_MEASURE_DUE_DAYS (measure_due)
    or past its due date (measure_overdue), once per measure, kind and due date: moving the
    date reminds again. Only plans of the current fiscal year or later, of accounts not
    archived. Returns the number of notifications created; mails go out after the commit."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=settings.KAM_MEASURE_DUE_DAYS)
    open_ = Measure.objects.filter(
        status__in=(MeasureStatus.PLANNED, MeasureStatus.IN_PROGRESS),
        owner__is_active=True,
        plan__fiscal_year__gte=current_fiscal_year(today),
    ).exclude(plan__account__status=AccountStatus.ARCHIVED)
    now = timezone.now()
    with transaction.atomic():
        rows = open_.filter(due_date__lte=horizon).values_list("pk", "owner_id", "due_date")
        Notification.objects.bulk_create(
            [
                Notification(
                    recipient_id=owner_id,
                    kind=NotificationKind.MEASURE_OVERDUE
                    if due < today
                    else NotificationKind.MEASURE_DUE,
                    measure_id=pk,
                    due_date=due,
                    created_at=now,
                )
                for pk, owner_id, due in rows
            ],
            ignore_conflicts=True,
            batch_size=500,
        )
        created = list(
            Notification.objects.filter(created_at=now, measure__isnull=False).values_list(
                "measure_id", flat=True
            )
        )
        if created:
            transaction.on_commit(partial(notifications_email, measure_ids=created), robust=True)
    return len(created)


# --- comments and reading ---------------------------------------------------------------------


def deviation_comment_add(*, deviation: Deviation, author: User, text: str) -> DeviationComment:
    """Record why a deviation happened (or what is being done); the caller checks who."""
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write a comment first.")}, code="blank")
    if len(text) > COMMENT_MAX_LENGTH:
        raise ValidationError(
            {"text": _("A comment can be at most %(max)s characters long.")},
            code="max_length",
            params={"max": COMMENT_MAX_LENGTH},
        )
    return DeviationComment.objects.create(deviation=deviation, author=author, text=text)


def notifications_mark_read(
    *, user: User, notification_ids: Iterable[int] | None = None, deviation: Deviation | None = None
) -> int:
    """Mark the user's own unread notifications read: these, those about a deviation, or all."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    if deviation is not None:
        unread = unread.filter(deviation=deviation)
    return unread.update(read_at=timezone.now())
