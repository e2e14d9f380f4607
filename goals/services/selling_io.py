"""Import and export of selling positions as CSV or Excel: one row per position, keyed by
customer number, site name (empty = whole account) and offering code.

An import is checked row by row; every bad row is reported with its row number and reason,
and nothing is written unless the whole file is valid. A valid file is upserted in one
transaction on (account, offering, site), in a fixed number of queries."""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from accounts.models import KeyAccount, Site, customer_number_key
from kam.tabular import (
    NumberError,
    RowError,
    TableError,
    body_rows,
    cell_text,
    header_positions,
    parse_month,
    parse_number,
    read_table,
    unquote,
    write_csv,
    write_xlsx,
)

from ..models import (
    BUNDLE_NEEDS_SOLUTION,
    REVENUE_ABOVE_SPEND,
    Offering,
    SellingPosition,
    SellingStage,
)
from .selling import JOINT_DEVELOPMENT_ELSEWHERE, _changed, joint_development_where

COLUMNS = [
    "customer_number",
    "site",
    "offering_code",
    "stage",
    "current_revenue",
    "customer_spend",
    "potential_revenue",
    "probability",
    "expected_month",
    "main_competitor",
    "next_step",
]
REQUIRED = ["customer_number", "site", "offering_code", "stage"]
# Lower-case header names accepted per column, English and German.
ALIASES = {
    "customer_number": {"customer number", "kundennummer"},
    "site": {"standort"},
    "offering_code": {"offering", "offering code", "angebot", "angebotscode"},
    "stage": {"stufe", "phase"},
    "current_revenue": {"current revenue", "umsatz", "aktueller umsatz"},
    "customer_spend": {"customer spend", "kundenbedarf", "bedarf"},
    "potential_revenue": {"potential revenue", "potenzial", "umsatzpotenzial"},
    "probability": {"wahrscheinlichkeit"},
    "expected_month": {"expected month", "erwarteter monat", "monat"},
    "main_competitor": {"main competitor", "hauptwettbewerber", "wettbewerber"},
    "next_step": {"next step", "nächster schritt", "naechster schritt"},
}
MONEY = ["current_revenue", "customer_spend", "potential_revenue"]
TEXT_LENGTHS = {"main_competitor": 200, "next_step": 300}
EDITABLE = [*MONEY, "stage", "probability", "expected_month", "main_competitor", "next_step"]


# --- export -----------------------------------------------------------------------------------


def export_rows(positions: QuerySet[SellingPosition]) -> Iterator[list]:
    positions = positions.select_related("account", "site", "offering").order_by(
        "account__customer_number", "offering__code", "site__name", "pk"
    )
    for p in positions.iterator(chunk_size=2000):
        yield [
            p.account.customer_number,
            p.site.name if p.site else "",
            p.offering.code,
            p.stage,
            p.current_revenue,
            p.customer_spend,
            p.potential_revenue,
            p.probability,
            p.expected_month.strftime("%Y-%m") if p.expected_month else "",
            p.main_competitor,
            p.next_step,
        ]


def selling_positions_export(
    *, positions: QuerySet[SellingPosition], file_format: str
) -> tuple[bytes, str]:
    """The positions in the import's columns, as (content, content type). Texts that a
    spreadsheet would run as a formula are quoted (kam.tabular.neutralise)."""
    if file_format == "xlsx":
        content = write_xlsx(COLUMNS, export_rows(positions), title="selling positions")
        return content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return write_csv(COLUMNS, export_rows(positions)), "text/csv; charset=utf-8"


# --- import -----------------------------------------------------------------------------------


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    written: bool = False

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class _Row:
    number: int
    account: KeyAccount
    offering: Offering
    site: Site | None
    values: dict
    position: SellingPosition | None


def _stage_lookup() -> dict[str, str]:
    """Stage codes and their labels in English and German, case-insensitive."""
    lookup = {value: value for value in SellingStage.values}
    for language in ("en", "de"):
        with translation.override(language):
            lookup.update({str(label).casefold(): value for value, label in SellingStage.choices})
    return lookup


def _money(raw, column: str, errors: list[str]) -> Decimal | None:
    if not cell_text(raw):
        return None
    try:
        value = parse_number(raw)  # money_field: 14 digits, 2 of them decimals
    except NumberError as error:
        errors.append(_("%(column)s: %(reason)s") % {"column": column, "reason": error})
        return None
    if value < 0:
        errors.append(_("%(column)s cannot be negative.") % {"column": column})
        return None
    return value


def _probability(raw, errors: list[str]) -> int:
    text = cell_text(raw).removesuffix("%").strip()
    if not text:
        return 0
    try:
        value = parse_number(text, max_digits=3, decimal_places=0)
    except NumberError:
        value = None
    if value is None or not 0 <= value <= 100:
        errors.append(
            _("probability: “%(value)s” is not a whole number from 0 to 100.") % {"value": text}
        )
        return 0
    return int(value)


def _month(raw, errors: list[str]) -> datetime.date | None:
    if not cell_text(raw):
        return None
    value = parse_month(raw)
    if value is None:
        errors.append(
            _("expected_month: “%(value)s” is not a month (YYYY-MM).") % {"value": cell_text(raw)}
        )
    return value


def selling_positions_import(
    *, name: str, content: bytes, user, dry_run: bool = False
) -> ImportResult:
    """Check the file and, when every row is valid and not `dry_run`, upsert it atomically.

    Columns other than customer_number, site, offering_code and stage may be left out; a
    missing column keeps the existing positions' values (and the defaults for new ones),
    while an empty cell in a present column clears the value."""
    result = ImportResult()
    try:
        table = read_table(name=name, content=content)
        positions_in_header, _missing = header_positions(
            table[0], {c: {c, *ALIASES[c]} for c in COLUMNS}
        )
        missing = [c for c in REQUIRED if c not in positions_in_header]
        if missing:
            raise TableError(
                _("Missing columns: %(columns)s. Expected %(expected)s.")
                % {"columns": ", ".join(missing), "expected": ", ".join(COLUMNS)}
            )
        body = body_rows(table)
    except TableError as error:
        result.errors.append(RowError(None, str(error)))
        return result
    if not body:
        result.errors.append(RowError(None, _("The file has no rows.")))
        return result

    def cell(row: list, column: str):
        index = positions_in_header.get(column)
        return row[index] if index is not None and index < len(row) else None

    present = [c for c in EDITABLE if c in positions_in_header]
    numbers = {cell_text(cell(row, "customer_number")) for _n, row in body}
    accounts = {
        customer_number_key(a.customer_number): a
        for a in KeyAccount.objects.editable_by(user).not_archived().with_customer_numbers(numbers)
    }
    sites = {
        (s.account_id, s.name.strip().casefold()): s
        for s in Site.objects.filter(account__in=accounts.values())
    }
    codes = {cell_text(cell(row, "offering_code")) for _n, row in body}
    offerings = {o.code: o for o in Offering.objects.filter(code__in=codes)}
    existing = {
        (p.account_id, p.offering_id, p.site_id): p
        for p in SellingPosition.objects.filter(account__in=accounts.values()).select_related(
            "site"
        )
    }
    stages = _stage_lookup()

    rows: list[_Row] = []
    seen: dict[tuple, int] = {}
    for number, raw in body:
        errors: list[str] = []
        customer_number = cell_text(cell(raw, "customer_number"))
        account = accounts.get(customer_number_key(customer_number))
        if account is None:
            errors.append(
                _("Unknown customer number “%(number)s”, or an account you may not edit.")
                % {"number": customer_number}
            )
        site_name = unquote(cell_text(cell(raw, "site")))
        site = None
        if site_name and account is not None:
            site = sites.get((account.pk, site_name.casefold()))
            if site is None:
                errors.append(
                    _("Unknown site “%(site)s” for customer %(number)s.")
                    % {"site": site_name, "number": customer_number}
                )
        code = cell_text(cell(raw, "offering_code"))
        offering = offerings.get(code)
        if offering is None:
            errors.append(_("Unknown offering code “%(code)s”.") % {"code": code})
        position = None
        if account is not None and offering is not None and (site or not site_name):
            position = existing.get((account.pk, offering.pk, site.pk if site else None))
            if not offering.active and position is None:
                errors.append(
                    _("The offering “%(code)s” is no longer active; it cannot be added.")
                    % {"code": code}
                )
        stage_text = cell_text(cell(raw, "stage"))
        stage = stages.get(stage_text.casefold().replace(" ", "_")) or stages.get(
            stage_text.casefold()
        )
        if stage is None:
            errors.append(
                _("Unknown stage “%(stage)s”; use one of %(stages)s.")
                % {"stage": stage_text, "stages": ", ".join(SellingStage.values)}
            )

        values: dict = {"stage": stage}
        for column in MONEY:
            if column in present:
                values[column] = _money(cell(raw, column), column, errors)
        if "probability" in present:
            values["probability"] = _probability(cell(raw, "probability"), errors)
        if "expected_month" in present:
            values["expected_month"] = _month(cell(raw, "expected_month"), errors)
        for column, length in TEXT_LENGTHS.items():
            if column in present:
                text = unquote(cell_text(cell(raw, column)))
                if len(text) > length:
                    errors.append(
                        _("%(column)s is longer than %(max)d characters.")
                        % {"column": column, "max": length}
                    )
                values[column] = text

        if offering is not None and stage == SellingStage.BUNDLED and not offering.is_solution:
            errors.append(str(BUNDLE_NEEDS_SOLUTION))
        merged = {c: values.get(c, getattr(position, c, None)) for c in MONEY}
        if (
            merged["current_revenue"] is not None
            and merged["customer_spend"] is not None
            and merged["current_revenue"] > merged["customer_spend"]
        ):
            errors.append(str(REVENUE_ABOVE_SPEND))

        if account is not None and offering is not None:
            key = (account.pk, offering.pk, site.pk if site else None)
            if key in seen:
                errors.append(
                    _("Duplicate of row %(row)d (same customer, site and offering).")
                    % {"row": seen[key]}
                )
            else:
                seen[key] = number
        if errors:
            result.errors.extend(RowError(number, reason) for reason in errors)
        else:
            assert account is not None and offering is not None  # each is an error when None
            rows.append(_Row(number, account, offering, site, values, position))

    result.errors.extend(_joint_development_errors(rows, existing.values()))
    result.errors.sort(key=lambda e: e.row_number or 0)
    if result.errors:
        return result
    return _apply(rows, result, dry_run=dry_run, user=user, name=name)


def _joint_development_errors(
    rows: list[_Row], existing: Iterable[SellingPosition]
) -> list[RowError]:
    """One joint development per account and offering, judged on the state after the import:
    the file's rows over the positions they do not replace."""
    in_file = {(r.account.pk, r.offering.pk, r.site.pk if r.site else None) for r in rows}
    where: dict[tuple, list[str]] = defaultdict(list)
    for p in existing:
        if p.stage == SellingStage.JOINT_DEVELOPMENT and (
            (p.account_id, p.offering_id, p.site_id) not in in_file
        ):
            where[(p.account_id, p.offering_id)].append(joint_development_where(p.site))
    file_rows: dict[tuple, list[_Row]] = defaultdict(list)
    for r in rows:
        if r.values["stage"] == SellingStage.JOINT_DEVELOPMENT:
            file_rows[(r.account.pk, r.offering.pk)].append(r)
    errors = []
    for pair, found in file_rows.items():
        if len(found) + len(where[pair]) < 2:
            continue
        places = where[pair] + [joint_development_where(r.site) for r in found]
        for r in found:
            others = list(places)
            others.remove(joint_development_where(r.site))
            errors.append(
                RowError(r.number, str(JOINT_DEVELOPMENT_ELSEWHERE % {"where": ", ".join(others)}))
            )
    return errors


def import_reason(name: str) -> str:
    """The change reason of an import's history rows: the audit shows them as one entry."""
    return f"selling positions import: {name}"[:100]


def _apply(
    rows: list[_Row], result: ImportResult, *, dry_run: bool, user, name: str
) -> ImportResult:
    new: list[SellingPosition] = []
    changed: list[SellingPosition] = []
    fields: set[str] = set()
    for r in rows:
        if r.position is None:
            new.append(
                SellingPosition(account=r.account, offering=r.offering, site=r.site, **r.values)
            )
            continue
        diff = {c: v for c, v in r.values.items() if getattr(r.position, c) != v}
        if not diff:
            result.unchanged += 1
            continue
        for column, value in diff.items():
            setattr(r.position, column, value)
        fields.update(diff)
        changed.append(r.position)
    result.created, result.updated = len(new), len(changed)
    if dry_run or not (new or changed):
        return result
    try:
        with transaction.atomic():
            history = {"default_user": user, "default_change_reason": import_reason(name)}
            if new:
                bulk_create_with_history(new, SellingPosition, batch_size=500, **history)
            if changed:
                bulk_update_with_history(
                    changed, SellingPosition, sorted(fields), batch_size=500, **history
                )
            _changed({r.account.pk for r in rows})
    except IntegrityError:
        # Someone saved one of these positions between the check and the write.
        result.errors.append(
            RowError(None, _("Positions changed while importing; nothing was written. Try again."))
        )
        result.created = result.updated = result.unchanged = 0
        return result
    result.written = True
    return result
