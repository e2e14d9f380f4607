"""The audit history: every change of an audited model as an entry (who, when, which object,
field, old -> new), read from django-simple-history's records a page at a time.

kam imports no app, so each app registers the models it audits (`register`, from its
`AppConfig.ready()`) with how to name a record and how to reach its key account. A page
costs a fixed number of queries however long the history is: one union over the history
tables gives the page's rows (newest first), then per model on the page one query for its
records (each with the id of its predecessor) and one for those predecessors, one for the
users of batch entries and one per model that changed foreign keys point to.

Bulk writes (an import of actuals, the run's computed actuals) set a change reason on their
history rows; a source with `batch` shows all rows of one reason as one entry.
"""

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import models
from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from kam.models import User

HISTORY_ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
BATCH = "batch"
# The reason of the records written for the rows that existed when a model's history began
# (`history_baseline`): only the predecessors of the first changes, never entries.
BASELINE_REASON = "baseline"
COLUMNS = (
    "audit_src",
    "audit_hid",
    "audit_at",
    "audit_uid",
    "audit_kind",
    "audit_reason",
    "audit_n",
)


@dataclass(frozen=True)
class AuditSource:
    """An audited model. `account` is the lookup from a history record to its key account's
    id ("id" for the account itself, "account_id", "plan__account_id"), None for what
    belongs to no account (templates, KPIs, thresholds). `related`: what `label` reads
    through foreign keys, fetched with the records. `batch`: rows with a change reason are one
    entry per reason, named by batch(reason, count)."""

    key: str
    model: type[models.Model]
    label: Callable[[Any], str]
    account: str | None = None
    related: tuple[str, ...] = ()
    batch: Callable[[str, int], str] | None = None
    # Rows with this change reason are left out: something else records them better.
    skip_reason: str | None = None

    @property
    def title(self) -> str | Promise:
        return self.model._meta.verbose_name_plural  # type: ignore[return-value]

    @property
    def account_path(self) -> str | None:
        """The relation to the account for select_related, None for the account itself."""
        if self.account in (None, "id"):
            return None
        return self.account.removesuffix("_id")  # type: ignore[union-attr]


_SOURCES: dict[str, AuditSource] = {}


def register(*sources: AuditSource) -> None:
    for source in sources:
        _SOURCES[source.key] = source


def sources() -> list[AuditSource]:
    return list(_SOURCES.values())


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


class HasChanges(Protocol):
    raw_changes: list[tuple[models.Field, object, object]]
    changes: list[FieldChange]


@dataclass
class AuditEntry:
    """One line of the audit: a created, changed or deleted object, or a batch of rows."""

    at: datetime.datetime
    user: User | None
    action: str  # "created", "changed", "deleted" or "batch"
    source: AuditSource
    object_label: str
    account_id: int | None = None
    account_name: str = ""
    count: int = 1
    changes: list[FieldChange] = field(default_factory=list)
    raw_changes: list[tuple[models.Field, object, object]] = field(default_factory=list)


def record_changes(record, previous) -> list[tuple[models.Field, object, object]]:
    """The (field, old, new) of a history record against its predecessor. Links to other
    rows (m2m) are left out: they would cost a query per record."""
    m2m = [f.name for f in getattr(record, "_history_m2m_fields", [])]
    delta = record.diff_against(previous, excluded_fields=m2m)
    return [
        (record._meta.get_field(change.field), change.old, change.new) for change in delta.changes
    ]


def audit_rows(
    *,
    keys: Iterable[str] | None = None,
    account_id: int | None = None,
    user_id: int | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
) -> QuerySet:
    """One row per entry (a history record, or a batch) of the chosen sources, newest first,
    as a union query to page through. With `account_id`, only sources that belong to an
    account, and only that account's rows."""
    chosen = [_SOURCES[key] for key in keys] if keys is not None else sources()
    if account_id is not None:
        chosen = [source for source in chosen if source.account is not None]
    parts: list[QuerySet] = []
    for source in chosen:
        records = source.model.history.all().order_by()  # type: ignore[attr-defined]
        if account_id is not None and source.account is not None:
            records = records.filter(**{source.account: account_id})
        if user_id is not None:
            records = records.filter(history_user_id=user_id)
        if since is not None:
            records = records.filter(history_date__date__gte=since)
        if until is not None:
            records = records.filter(history_date__date__lte=until)
        skipped = [BASELINE_REASON, *([source.skip_reason] if source.skip_reason else [])]
        records = records.exclude(history_change_reason__in=skipped)
        key = Value(source.key, output_field=models.CharField())
        single = records
        if source.batch is not None:
            no_reason = Q(history_change_reason__isnull=True) | Q(history_change_reason="")
            single = records.filter(no_reason)
            parts.append(
                records.exclude(no_reason)
                .annotate(audit_reason=F("history_change_reason"))
                .values("audit_reason")
                .annotate(
                    audit_src=key,
                    audit_hid=Max("history_id"),
                    audit_at=Max("history_date"),
                    audit_uid=Max("history_user_id"),
                    audit_kind=Value(BATCH, output_field=models.CharField()),
                    audit_n=Count("history_id"),
                )
                .values(*COLUMNS)
            )
        parts.append(
            single.annotate(
                audit_src=key,
                audit_hid=F("history_id"),
                audit_at=F("history_date"),
                audit_uid=F("history_user_id"),
                audit_kind=F("history_type"),
                audit_reason=F("history_change_reason"),
                audit_n=Value(1, output_field=models.IntegerField()),
            ).values(*COLUMNS)
        )
    if not parts:
        return User.objects.none().values()
    return parts[0].union(*parts[1:], all=True).order_by("-audit_at", "-audit_src", "-audit_hid")


def audit_entries(rows: Sequence[dict]) -> list[AuditEntry]:
    """The entries of a page of `audit_rows`, with their changes named for reading."""
    singles: dict[str, list[int]] = defaultdict(list)
    batch_users: set[int] = set()
    for row in rows:
        if row["audit_kind"] == BATCH:
            if row["audit_uid"] is not None:
                batch_users.add(row["audit_uid"])
        else:
            singles[row["audit_src"]].append(row["audit_hid"])
    records = {
        (key, record.history_id): record
        for key, ids in singles.items()
        for record in _records_with_previous(_SOURCES[key], ids)
    }
    users = User.objects.in_bulk(batch_users) if batch_users else {}
    entries = []
    for row in rows:
        source = _SOURCES[row["audit_src"]]
        if row["audit_kind"] == BATCH:
            label = source.batch(row["audit_reason"], row["audit_n"])  # type: ignore[misc]
            entries.append(
                AuditEntry(
                    at=row["audit_at"],
                    user=users.get(row["audit_uid"]),
                    action=BATCH,
                    source=source,
                    object_label=label,
                    count=row["audit_n"],
                )
            )
            continue
        record = records[row["audit_src"], row["audit_hid"]]
        entry = AuditEntry(
            at=record.history_date,
            user=record.history_user,
            action=HISTORY_ACTIONS[record.history_type],
            source=source,
            object_label=source.label(record),
        )
        if source.account == "id":
            entry.account_id, entry.account_name = record.id, record.name
        elif source.account_path:
            account = _follow(record, source.account_path)
            if account is not None:
                entry.account_id, entry.account_name = account.pk, account.name
        if record.history_type == "~" and record.audit_previous is not None:
            entry.raw_changes = record_changes(record, record.audit_previous)
        entries.append(entry)
    resolve_changes(entries)
    return entries


def _records_with_previous(source: AuditSource, history_ids: list[int]) -> list:
    """The records with these ids, each with `audit_previous` (the record of the same object
    before it, or None): two queries."""
    history = source.model.history  # type: ignore[attr-defined]
    before = (
        history.filter(id=OuterRef("id"))
        .filter(
            Q(history_date__lt=OuterRef("history_date"))
            | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
        )
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    related = [*source.related, *([source.account_path] if source.account_path else [])]
    records = list(
        history.filter(history_id__in=history_ids)
        .select_related("history_user", *related)
        .annotate(audit_previous_id=Subquery(before))
    )
    wanted = [r.audit_previous_id for r in records if r.audit_previous_id is not None]
    previous = history.model._default_manager.in_bulk(wanted) if wanted else {}
    for record in records:
        record.audit_previous = previous.get(record.audit_previous_id)
    return records


def _follow(record, path: str):
    for name in path.split("__"):
        record = getattr(record, name, None)
        if record is None:
            return None
    return record


def resolve_changes(entries: Iterable[HasChanges]) -> None:
    """Fill in `changes` from `raw_changes` with readable values, naming foreign keys with
    one query per model they point to."""
    entries = list(entries)
    wanted: dict[type[models.Model], set] = defaultdict(set)
    for entry in entries:
        for model_field, old, new in entry.raw_changes:
            if model_field.is_relation and model_field.related_model:
                wanted[model_field.related_model].update(v for v in (old, new) if v is not None)  # type: ignore[index]
    names = {
        model: model._default_manager.in_bulk(list(pks)) for model, pks in wanted.items() if pks
    }
    for entry in entries:
        entry.changes = [
            FieldChange(
                label=str(model_field.verbose_name),
                old=display(model_field, old, names),
                new=display(model_field, new, names),
            )
            for model_field, old, new in entry.raw_changes
        ]


def display(model_field: models.Field, value, names) -> str:
    if value is None or value == "":
        return "–"
    if model_field.is_relation and model_field.related_model:
        related = names.get(model_field.related_model, {}).get(value)
        return str(related) if related is not None else _("#%(id)s (deleted)") % {"id": value}
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime.date):
        return date_format(value)
    if isinstance(model_field, models.DecimalField):
        return number_format(value, use_l10n=True, force_grouping=True)
    return str(value)


def short(text: str, length: int = 60) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def history_baseline(app_label: str, *model_names: str):
    """A migration step recording every existing row of these models as it is now, so the
    first change after the history began shows old and new (`BASELINE_REASON`)."""

    def run(apps, schema_editor) -> None:
        now = timezone.now()
        for name in model_names:
            model = apps.get_model(app_label, name)
            history = apps.get_model(app_label, f"Historical{name}")
            fields = [
                f.attname
                for f in history._meta.concrete_fields
                if not f.name.startswith("history_")
            ]
            history.objects.bulk_create(
                (
                    history(
                        history_date=now,
                        history_type="+",
                        history_change_reason=BASELINE_REASON,
                        **{attname: getattr(row, attname) for attname in fields},
                    )
                    for row in model._default_manager.iterator()
                ),
                batch_size=500,
            )

    return run
