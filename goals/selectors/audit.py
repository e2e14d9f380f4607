"""What goals audits (kam.audit): plans and their parts, selling positions, and what
administrators configure (KPIs, goal templates and their sets, the strategic frame)."""

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kam.audit import AuditSource, short

from ..models import (
    AccountPlan,
    FrameRule,
    Goal,
    GoalTemplate,
    GoalTemplateSet,
    KPIDefinition,
    Measure,
    MonthlyTarget,
    SellingPosition,
    SwotItem,
)


def audit_sources() -> list[AuditSource]:
    return [
        AuditSource(
            "goals.accountplan",
            AccountPlan,
            lambda record: _("Plan %(year)s") % {"year": record.fiscal_year},
            account="account_id",
        ),
        AuditSource(
            "goals.swotitem",
            SwotItem,
            lambda record: _("SWOT item “%(text)s”") % {"text": short(record.text)},
            account="plan__account_id",
        ),
        AuditSource(
            "goals.goal",
            Goal,
            lambda record: _("Goal “%(title)s”") % {"title": record.title},
            account="plan__account_id",
        ),
        AuditSource(
            "goals.monthlytarget",
            MonthlyTarget,
            _target_label,
            account="goal__plan__account_id",
            related=("goal",),
        ),
        AuditSource(
            "goals.measure",
            Measure,
            lambda record: _("Measure “%(title)s”") % {"title": record.title},
            account="plan__account_id",
        ),
        AuditSource(
            "goals.sellingposition",
            SellingPosition,
            _position_label,
            account="account_id",
            related=("offering", "site"),
            batch=_position_batch_label,
        ),
        AuditSource(
            "goals.kpidefinition",
            KPIDefinition,
            lambda record: _("KPI “%(code)s”") % {"code": record.code},
        ),
        AuditSource(
            "goals.goaltemplateset",
            GoalTemplateSet,
            lambda record: _("Goal template set “%(name)s”") % {"name": record.name},
        ),
        AuditSource(
            "goals.goaltemplate",
            GoalTemplate,
            lambda record: _("Goal template “%(title)s”") % {"title": record.title},
        ),
        AuditSource(
            "goals.framerule",
            FrameRule,
            lambda record: _("Frame rule “%(kind)s”") % {"kind": record.get_kind_display()},
        ),
    ]


def _target_label(record) -> str:
    goal = record.goal.title if record.goal is not None else f"#{record.goal_id}"
    return _("Target for %(month)s of goal “%(goal)s”") % {
        "month": date_format(record.month, "M Y"),
        "goal": goal,
    }


def _position_label(record) -> str:
    offering = record.offering if record.offering is not None else f"#{record.offering_id}"
    if record.site_id is None:
        return _("Selling position “%(offering)s” (whole account)") % {"offering": offering}
    site = record.site.name if record.site is not None else f"#{record.site_id}"
    return _("Selling position “%(offering)s” at %(site)s") % {"offering": offering, "site": site}


def _position_batch_label(reason: str, count: int) -> str:
    """The positions of one import (goals.services.selling_io.import_reason)."""
    return ngettext(
        "Import of selling positions (%(file)s): %(count)s position",
        "Import of selling positions (%(file)s): %(count)s positions",
        count,
    ) % {
        "file": reason.removeprefix("selling positions import: "),
        "count": number_format(count, force_grouping=True),
    }
