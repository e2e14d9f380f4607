"""Conflicting edits: every save is conditional on what the user saw.

A form carries, in a signed hidden field `seen`, a fingerprint of the values its fields
showed (one hash per model field, plus the record's id). The service that writes locks the
row inside its transaction (`edit_guard`), compares the stored values with the fingerprint
and refuses with `StaleEdit` when a field the form shows was changed by someone else since;
the message names the fields, when and by whom. The view keeps the user's input, puts the
current fingerprint into the form (`refuse`) and shows it again: a second save goes through.

Grids (monthly targets, actuals) compare per cell (`cells_merge`): each cell carries the value
it showed; a cell is a conflict only when both the other person and this user changed it, so
two people entering different months both succeed.
"""

import datetime
import hashlib
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django import forms
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.utils import formats, timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from kam.models import LastEdit, User

SALT = "kam.concurrency.seen"
FIELD = "seen"

K = TypeVar("K", bound=Hashable)


def _canonical(instance: models.Model, name: str) -> str:
    field = instance._meta.get_field(name)
    if field.many_to_many:
        if instance.pk is None:
            return ""
        return ",".join(
            sorted(str(pk) for pk in getattr(instance, name).values_list("pk", flat=True))
        )
    value = field.value_from_object(instance)  # type: ignore[union-attr]
    return "" if value is None else str(value)


def _fingerprint(instance: models.Model, names: Iterable[str]) -> dict[str, str]:
    return {
        name: hashlib.sha256(_canonical(instance, name).encode()).hexdigest()[:16] for name in names
    }


def seen_token(instance: models.Model, names: Iterable[str]) -> str:
    """The signed fingerprint of what a form on `instance` shows in the fields `names`."""
    return signing.dumps(
        {"m": instance._meta.label_lower, "pk": instance.pk, "f": _fingerprint(instance, names)},
        salt=SALT,
        compress=True,
    )


def model_field_names(model: type[models.Model], names: Iterable[str]) -> list[str]:
    """Those of `names` that are fields of `model` (a form's extra fields are not compared)."""
    own = {field.name for field in model._meta.get_fields() if field.concrete or field.many_to_many}
    return [name for name in names if name in own]


def _when(at: datetime.datetime | None) -> str:
    return formats.date_format(timezone.localtime(at), "SHORT_DATETIME_FORMAT") if at else ""


class StaleEdit(ValidationError):
    """A save refused because someone else changed what the user saw.

    changed: the labels of the changed fields or cells; who: the name of the last editor,
    when known; at: when they saved; fresh: what the form must now carry as seen (a token
    for forms, the stored cell values for grids).
    """

    def __init__(
        self,
        *,
        changed: list[str],
        who: str | None,
        at: datetime.datetime | None,
        fresh: Any = None,
    ) -> None:
        self.changed = changed
        self.who = who
        self.at = at
        self.fresh = fresh
        values = {"fields": get_text_list(changed, _("and")), "who": who, "at": _when(at)}
        if who and at:
            text = _(
                "%(who)s changed %(fields)s at %(at)s while you were editing; your input is "
                "below: review it and save again."
            )
        elif who:
            text = _(
                "%(who)s changed %(fields)s while you were editing; your input is below: "
                "review it and save again."
            )
        else:
            text = _(
                "Someone else changed %(fields)s while you were editing; your input is below: "
                "review it and save again."
            )
        super().__init__({NON_FIELD_ERRORS: [text % values]}, code="stale")


def last_editor(instance: models.Model) -> tuple[str | None, datetime.datetime | None]:
    """Who saved `instance` last, and when: the later of its LastEdit row and, where the
    model has simple-history, its latest history record."""
    candidates: list[tuple[datetime.datetime, str | None]] = []
    stamp = (
        LastEdit.objects.filter(
            content_type=ContentType.objects.get_for_model(type(instance)),
            object_id=instance.pk,
        )
        .select_related("user")
        .first()
    )
    if stamp is not None:
        candidates.append((stamp.at, str(stamp.user) if stamp.user else None))
    history = getattr(type(instance), "history", None)
    if history is not None:
        record = (
            history.filter(id=instance.pk)
            .select_related("history_user")
            .order_by("-history_date")
            .first()
        )
        if record is not None:
            user = record.history_user
            candidates.append((record.history_date, str(user) if user else None))
    if not candidates:
        return None, None
    at, who = max(candidates, key=lambda candidate: candidate[0])
    return who, at


def _stamp(instance: models.Model, user: User | None) -> None:
    LastEdit.objects.update_or_create(
        content_type=ContentType.objects.get_for_model(type(instance)),
        object_id=instance.pk,
        defaults={"user": user if user is not None and user.pk else None, "at": timezone.now()},
    )


@contextmanager
def edit_guard(*, instance: models.Model, seen: str | None, user: User | None) -> Iterator[None]:
    """Run a save of `instance` only if what the form showed (`seen`) is still stored.

    Inside one transaction: lock the stored row, compare it with the fingerprint and raise
    StaleEdit when a shown field changed (or the record was created meanwhile, where the
    form showed none); then run the body and record `user` as the last editor. seen None
    (a caller without a form: imports, the shell) saves unconditionally.
    """
    with transaction.atomic():
        if seen:
            _check(instance, seen)
        yield
        if instance.pk is not None:
            _stamp(instance, user)


def edit_check(*, instance: models.Model, seen: str | None, user: User | None) -> None:
    """edit_guard for a service already inside its transaction: check now and record `user`
    as the last editor (undone with the transaction if the save then fails)."""
    if seen:
        _check(instance, seen)
    if instance.pk is not None:
        _stamp(instance, user)


def _check(instance: models.Model, seen: str) -> None:
    model = type(instance)
    try:
        payload = signing.loads(seen, salt=SALT)
        names = list(payload["f"])
    except (signing.BadSignature, KeyError, TypeError):
        payload, names = None, []
    if payload is not None and payload.get("m") != model._meta.label_lower:
        payload = None
    if instance.pk is None:
        return  # a new record: nobody else can have changed it
    stored = model._default_manager.select_for_update().get(pk=instance.pk)
    if payload is not None and payload.get("pk") == stored.pk:
        current = _fingerprint(stored, names)
        changed = [name for name in names if current[name] != payload["f"][name]]
    else:
        # The form showed no record (someone created it meanwhile) or was tampered with.
        changed = names or [field.name for field in model._meta.concrete_fields if field.editable]
    if not changed:
        return
    who, at = last_editor(stored)
    raise StaleEdit(
        changed=[
            str(getattr(model._meta.get_field(name), "verbose_name", name)) for name in changed
        ],
        who=who,
        at=at,
        fresh=seen_token(stored, names),
    )


def refuse(
    form: forms.BaseForm, error: StaleEdit, *, fresh: Mapping[str, str] | None = None
) -> None:
    """Show a refused stale save on `form`: the user's input stays, the form now carries what
    is stored as seen (so saving again goes through), and the message says what changed."""
    data = form.data.copy()  # type: ignore[attr-defined]
    if fresh is None:
        fresh = {FIELD: error.fresh}
    for name, value in fresh.items():
        data[form.add_prefix(name)] = value
    form.data = data
    form.add_error(None, error)


def form_save(form: forms.ModelForm, *, user: User | None) -> Any:
    """Save a model form that has no service of its own, conditional on what it showed."""
    with edit_guard(instance=form.instance, seen=getattr(form, "seen", None), user=user):
        return form.save()


class SeenFormMixin:
    """A model form that carries what it showed, for `edit_guard` (put before the form class)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields[FIELD] = forms.CharField(widget=forms.HiddenInput, required=False)  # type: ignore[attr-defined]
        instance = self.instance  # type: ignore[attr-defined]
        names = model_field_names(type(instance), self.fields)  # type: ignore[attr-defined]
        self.initial[FIELD] = seen_token(instance, names)  # type: ignore[attr-defined]
        helper = getattr(self, "helper", None)
        if helper is not None:
            helper.render_hidden_fields = True

    @property
    def seen(self) -> str | None:
        return self.cleaned_data.get(FIELD) or None  # type: ignore[attr-defined]


def cells_merge(
    *,
    seen: Mapping[K, Any],
    posted: Mapping[K, Any],
    stored: Mapping[K, Any],
) -> tuple[dict[K, Any], list[K]]:
    """Per cell of a grid: what to write and which cells conflict.

    A posted cell equal to what it showed is left as stored (the user did not touch it,
    someone else may have); a changed cell is written when the stored value is still what
    it showed (or already what is posted); otherwise both changed it: a conflict. A cell
    without a seen value is written as posted.
    """
    write: dict[K, Any] = {}
    conflicts: list[K] = []
    for key, value in posted.items():
        if key not in seen:
            write[key] = value
            continue
        before, now = seen[key], stored.get(key)
        if value == before:
            continue
        if now in (before, value):
            write[key] = value
        else:
            conflicts.append(key)
    return write, conflicts


def seen_cells(data: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Decimal | None]:
    """The values a grid's cells showed, from their hidden inputs `seen-<key>`: cell key ->
    amount (None for an empty cell). A cell without one (or with text that is no number) is
    left out, so it is saved as posted."""
    values: dict[str, Decimal | None] = {}
    for key in keys:
        text = data.get(f"{FIELD}-{key}")
        if text is None:
            continue
        try:
            values[key] = Decimal(text) if text.strip() else None
        except InvalidOperation:
            continue
    return values


def cells_token(values: Mapping[str, str]) -> str:
    """A signed map of cell -> the value it showed, for a form that edits one cell of many
    (a goal's rating of a chosen month)."""
    return signing.dumps(dict(values), salt=SALT, compress=True)


def cells_from_token(token: str | None) -> dict[str, str] | None:
    """The cells a cells_token showed; None without one (or when it was tampered with)."""
    if not token:
        return None
    try:
        values = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    return values if isinstance(values, dict) else None


def history_last(records: models.QuerySet) -> tuple[str | None, datetime.datetime | None]:
    """Who made the latest of some simple-history records, and when."""
    record = records.select_related("history_user").order_by("-history_date").first()
    if record is None:
        return None, None
    user = record.history_user
    return (str(user) if user else None), record.history_date


def cells_refuse(
    *,
    conflicts: list[K],
    label: Callable[[K], str],
    last: tuple[str | None, datetime.datetime | None],
    stored: Mapping[K, Any],
) -> StaleEdit:
    """The StaleEdit for conflicting grid cells; fresh holds the stored values."""
    who, at = last
    return StaleEdit(changed=[label(key) for key in conflicts], who=who, at=at, fresh=dict(stored))
