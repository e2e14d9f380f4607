"""What controlling audits (kam.audit): actuals, with imports, their rollbacks and the run's
computed actuals as one entry each, and the thresholds."""

import re

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kam.audit import AuditSource

from ..models import Actual, Threshold

# The change reasons of controlling.services.upsert (import_reason, rollback_reason,
# run_reason).
_REASON = re.compile(r"^(?P<kind>import|rollback of import|run) (?P<id>\d+)(?:: (?P<file>.*))?$")


def audit_sources() -> list[AuditSource]:
    return [
        AuditSource(
            "controlling.actual",
            Actual,
            _actual_label,
            account="account_id",
            related=("kpi",),
            batch=batch_label,
        ),
        AuditSource("controlling.threshold", Threshold, _threshold_label, related=("kpi",)),
    ]


def batch_label(reason: str, count: int) -> str:
    """“Import 42 (file.csv): 1,200 actuals” for the history rows of one bulk write."""
    values = {"count": number_format(count, force_grouping=True), "file": "", "id": ""}
    match = _REASON.match(reason)
    if match is None:
        values["reason"] = reason
        return (
            ngettext("%(reason)s: %(count)s actual", "%(reason)s: %(count)s actuals", count)
            % values
        )
    values.update(id=match["id"], file=match["file"] or "")
    if match["kind"] == "import":
        text = ngettext(
            "Import %(id)s (%(file)s): %(count)s actual",
            "Import %(id)s (%(file)s): %(count)s actuals",
            count,
        )
    elif match["kind"] == "rollback of import":
        text = ngettext(
            "Rollback of import %(id)s (%(file)s): %(count)s actual",
            "Rollback of import %(id)s (%(file)s): %(count)s actuals",
            count,
        )
    else:
        text = ngettext(
            "Controlling run %(id)s: %(count)s computed actual",
            "Controlling run %(id)s: %(count)s computed actuals",
            count,
        )
    return text % values


def _actual_label(record) -> str:
    kpi = record.kpi.name if record.kpi is not None else f"#{record.kpi_id}"
    return _("Actual %(kpi)s, %(month)s") % {
        "kpi": kpi,
        "month": date_format(record.month, "M Y"),
    }


def _threshold_label(record) -> str:
    if record.kpi_id is None:
        return _("Default threshold")
    kpi = record.kpi.name if record.kpi is not None else f"#{record.kpi_id}"
    return _("Threshold for %(kpi)s") % {"kpi": kpi}
