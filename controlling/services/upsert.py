"""The one write of actuals, with history, that hand entry, the import, its rollback and the
computed actuals share."""

import datetime
from collections.abc import Mapping
from decimal import Decimal

from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from controlling.models import Actual
from kam.models import User

# An actual's place: key account id, KPI id, first day of the month.
ActualKey = tuple[int, int, datetime.date]

# The change reasons of bulk writes: the audit shows the history rows of one reason as one
# entry (controlling.selectors.audit). simple_history keeps at most 100 characters.
REASON_LENGTH = 100


def import_reason(*, import_id: int, file_name: str) -> str:
    return f"import {import_id}: {file_name}"[:REASON_LENGTH]


def rollback_reason(*, import_id: int, file_name: str) -> str:
    return f"rollback of import {import_id}: {file_name}"[:REASON_LENGTH]


def run_reason(*, run_id: int) -> str:
    return f"run {run_id}"


def actuals_write(
    *,
    values: Mapping[ActualKey, Decimal | None],
    existing: Mapping[ActualKey, Actual],
    source: str | None,
    user: User | None,
    now: datetime.datetime,
    batch_size: int | None = None,
    reason: str | None = None,
) -> tuple[list[Actual], list[Actual], list[Actual]]:
    """Write `values` over the `existing` actuals of their keys (locked by the caller, inside
    its transaction): a value creates or changes the actual, None deletes it, and an actual
    that has its value already is left alone, so a repeat writes nothing. Written actuals get
    `source` (None keeps theirs) and `user` as who entered them. Every write has its history
    row, by `user` at `now`, written in bulk: a fixed number of queries for any number of
    actuals; `reason` (an import, a rollback, a run) marks the rows as one batch for the
    audit. Returns the created, changed and deleted actuals."""
    created: list[Actual] = []
    changed: list[Actual] = []
    deleted: list[Actual] = []
    for (account_id, kpi_id, month), value in values.items():
        actual = existing.get((account_id, kpi_id, month))
        if value is None:
            if actual is not None:
                deleted.append(actual)
        elif actual is None:
            assert source is not None, "a new actual needs its source"
            created.append(
                Actual(
                    account_id=account_id,
                    kpi_id=kpi_id,
                    month=month,
                    value=value,
                    source=source,
                    entered_by=user,
                )
            )
        elif actual.value != value or (source is not None and actual.source != source):
            actual.value = value
            actual.source = source or actual.source
            actual.entered_by = user
            actual.updated_at = now  # bulk_update skips auto_now
            changed.append(actual)
    history = {
        "default_user": user,
        "default_date": now,
        "batch_size": batch_size,
        "default_change_reason": reason,
    }
    if created:
        bulk_create_with_history(created, Actual, **history)
    if changed:
        fields = ["value", "source", "entered_by", "updated_at"]
        bulk_update_with_history(changed, Actual, fields, **history)
    if deleted:
        _delete_with_history(
            deleted, user=user, now=now, batch_size=batch_size, reason=reason or ""
        )
    return created, changed, deleted


def _delete_with_history(
    actuals: list[Actual],
    *,
    user: User | None,
    now: datetime.datetime,
    batch_size: int | None,
    reason: str,
) -> None:
    """Delete in one query and record the deletions in bulk (simple_history would write one
    history row per deleted object from its signal, which a raw delete does not send)."""
    History = Actual.history.model
    History.objects.bulk_create(
        [
            History(
                history_date=now,
                history_type="-",
                history_user=user,
                history_change_reason=reason,
                **{
                    field.attname: getattr(actual, field.attname)
                    for field in History.tracked_fields
                },
            )
            for actual in actuals
        ],
        batch_size=batch_size,
    )
    Actual.objects.filter(pk__in=[actual.pk for actual in actuals])._raw_delete(Actual.objects.db)
