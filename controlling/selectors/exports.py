"""The sheets of the exports: an account plan's goals and deviations, and the leadership
dashboard. Headers and labels are written in the active language (the request's, or the
requester's in the background). Each builder costs a fixed number of queries.
"""

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Tier
from controlling.models import Deviation, GoalResult, GoalStatus
from controlling.selectors import attainment, dashboard
from controlling.selectors.costs import cost_lines, cost_totals
from controlling.selectors.health import account_health
from goals.models import AccountPlan, Goal, GoalArea, GoalKind, Perspective, SwotKind
from kam.fiscal import month_label, plan_months
from kam.tabular import MAX_ROWS
from kam.workbooks import AMOUNT, DAY, MOMENT, MONTH, PERCENT, Column, Sheet

SWOT_ORDER = {kind: index for index, kind in enumerate(SwotKind.values)}

if TYPE_CHECKING:  # the filter is bound by the caller (services.exports)
    from controlling.filters import DashboardFilter


def _status_label(status: str) -> str:
    return str(GoalStatus(status).label)


def _deviation_columns() -> list[Column]:
    """The columns every deviation sheet ends with: the worsening, its month and its age."""
    return [
        Column(_("From")),
        Column(_("To")),
        Column(_("As of"), MONTH, width=10),
        Column(_("Opened"), MOMENT, width=17),
        Column(_("Age (days)"), width=10),
        Column(_("Escalated"), MOMENT, width=17),
    ]


def _deviation_cells(deviation: Deviation, now: datetime.datetime) -> list:
    """A deviation's cells under `_deviation_columns`."""
    return [
        _status_label(deviation.from_status),
        _status_label(deviation.to_status),
        deviation.as_of,
        deviation.opened_at,
        deviation.age_days(now),
        deviation.escalated_at,
    ]


def plan_sheets(*, plan: AccountPlan, now: datetime.datetime | None = None) -> list[Sheet]:
    """Goals with their monthly targets, the run's monthly results, the open deviations, the
    SWOT items and the measures. Seven queries for any number of rows."""
    now = now or timezone.now()
    months = plan_months(plan.fiscal_year)
    goals = list(
        Goal.objects.filter(plan=plan)
        .select_related("kpi", "owner")
        .prefetch_related("targets")
        .order_by("order", "pk")
    )
    goal_columns = [
        Column(_("Goal"), width=36),
        Column(_("Kind")),
        Column(_("KPI"), width=24),
        Column(_("Unit")),
        Column(_("Scorecard perspective"), width=20),
        Column(_("KAM goal area"), width=24),
        Column(_("Owner"), width=20),
        Column(_("Weight"), width=8),
        Column(_("Baseline"), AMOUNT),
        Column(_("Annual target"), AMOUNT),
        Column(_("Target rating"), width=10),
        *(Column(month_label(month), AMOUNT) for month in months),
        Column(_("Year"), AMOUNT),
    ]
    goal_rows = []
    for goal in goals:
        by_month: dict[datetime.date, Decimal] = {
            target.month: target.value for target in goal.targets.all()
        }
        values: list[Decimal | None] = [by_month.get(month) for month in months]
        quantitative = goal.kind == GoalKind.QUANTITATIVE
        goal_rows.append(
            [
                goal.title,
                goal.get_kind_display(),
                goal.kpi.name if goal.kpi is not None else "",
                goal.kpi.get_unit_display() if goal.kpi is not None else "",
                goal.get_perspective_display(),
                goal.get_goal_area_display(),
                str(goal.owner),
                goal.weight,
                goal.baseline,
                goal.annual_target,
                goal.target_rating,
                *values,
                goal.kpi.roll_up(values) if quantitative and goal.kpi is not None else None,
            ]
        )

    results = (
        GoalResult.objects.filter(goal__plan=plan)
        .select_related("goal")
        .order_by("goal__order", "goal__pk", "month")
    )
    result_rows = [
        [
            result.goal.title,
            result.month,
            result.plan,
            result.actual,
            result.deviation,
            result.deviation_percent,
            result.ytd_plan,
            result.ytd_actual,
            result.forecast,
            result.attainment_percent,
            # The run carries the status forward; like the plan controlling page, a month
            # shows it only where it has an actual.
            _status_label(result.status) if result.actual is not None else "",
        ]
        for result in results
    ]

    deviations = (
        Deviation.objects.filter(goal__plan=plan, closed_at__isnull=True)
        .select_related("goal")
        .order_by("goal__order", "goal__pk", "opened_at")
    )
    deviation_rows = [
        [deviation.goal.title, *_deviation_cells(deviation, now)] for deviation in deviations
    ]
    swot_rows = [
        [item.get_kind_display(), item.text, item.impact, item.probability, item.score]
        for item in sorted(
            plan.swot_items.all(), key=lambda i: (SWOT_ORDER[i.kind], -i.score, -i.impact, i.pk)
        )
    ]
    measure_rows = [
        [
            measure.title,
            measure.get_instrument_display(),
            "; ".join(goal.title for goal in measure.goals.all()),
            str(measure.owner),
            measure.start_date,
            measure.due_date,
            measure.planned_cost,
            measure.actual_cost,
            measure.get_status_display(),
            measure.progress,
            _("yes") if measure.is_countermeasure else _("no"),
        ]
        for measure in plan.measures.select_related("owner").prefetch_related(
            Prefetch("goals", queryset=Goal.objects.order_by("order", "pk").only("pk", "title"))
        )
    ]
    return [
        Sheet(_("Goals"), goal_columns, goal_rows),
        Sheet(
            _("Monthly results"),
            [
                Column(_("Goal"), width=36),
                Column(_("Month"), MONTH, width=10),
                Column(_("Plan"), AMOUNT),
                Column(_("Actual"), AMOUNT),
                Column(_("Deviation"), AMOUNT),
                Column(_("Deviation (%)"), PERCENT),
                Column(_("Plan year to date"), AMOUNT),
                Column(_("Actual year to date"), AMOUNT),
                Column(_("Year-end forecast"), AMOUNT),
                Column(_("Attainment (%)"), PERCENT),
                Column(_("Status")),
            ],
            result_rows,
        ),
        Sheet(
            _("Open deviations"),
            [Column(_("Goal"), width=36), *_deviation_columns()],
            deviation_rows,
        ),
        Sheet(
            _("Opportunities and risks"),
            [
                Column(_("Kind")),
                Column(_("Description"), width=60),
                Column(_("Impact"), width=8),
                Column(_("Probability"), width=8),
                Column(_("Score"), width=8),
            ],
            swot_rows,
        ),
        Sheet(
            _("Action plan"),
            [
                Column(_("Measure"), width=36),
                Column(_("Instrument"), width=20),
                Column(_("Goals"), width=36),
                Column(_("Owner"), width=20),
                Column(_("Start"), DAY, width=11),
                Column(_("Due"), DAY, width=11),
                Column(_("Planned cost"), AMOUNT),
                Column(_("Actual cost"), AMOUNT),
                Column(_("Status")),
                Column(_("Progress (%)"), width=8),
                Column(_("Countermeasure"), width=8),
            ],
            measure_rows,
        ),
    ]


def dashboard_sheets(
    *, user, chosen: "DashboardFilter", now: datetime.datetime | None = None
) -> list[Sheet]:
    """The dashboard's tables for the bound dashboard filter `chosen` (over the accounts the
    user may see): every row, not a page of them. A fixed number of queries for any number of
    accounts (the funnel's metrics included)."""
    now = now or timezone.now()
    fiscal_year = chosen.year
    selected = chosen.qs
    accounts = list(selected.select_related("owner").order_by("name", "pk"))
    ids = [a.pk for a in accounts]

    cleaned = getattr(chosen.form, "cleaned_data", {})
    region = cleaned.get("region")
    tier = cleaned.get("tier")
    owner = cleaned.get("owner")
    filters = Sheet(
        _("Filters"),
        [Column(_("Filter"), width=24), Column(_("Value"), width=40)],
        [
            [_("Fiscal year"), fiscal_year],
            [_("Region"), dict(chosen.filters["region"].extra["choices"]).get(region, _("All"))],
            [_("Tier"), Tier(tier).label if tier else _("All")],
            [_("Key account manager"), str(owner) if owner else _("All")],
            [_("Accounts"), len(accounts)],
            [_("Exported"), now],
            [_("Exported by"), str(user)],
        ],
    )

    bands = attainment.attainment_bands()
    overall = attainment.account_attainment(accounts=selected, fiscal_year=fiscal_year)
    rows = attainment.heatmap_rows(
        accounts=accounts, fiscal_year=fiscal_year, overall=overall, bands=bands
    )
    health = account_health(account_ids=ids, fiscal_year=fiscal_year)
    heatmap = Sheet(
        _("Attainment"),
        [
            Column(_("Key account"), width=30),
            Column(_("Customer number")),
            Column(_("Key account manager"), width=20),
            Column(_("Tier")),
            Column(_("Plan status")),
            Column(_("Attainment (%)"), PERCENT),
            Column(_("Band"), width=12),
            Column(_("Goals measured"), width=10),
            Column(_("Health score"), width=10),
            *(Column(label, PERCENT, width=12) for _value, label in Perspective.choices),
            *(Column(label, PERCENT, width=12) for _value, label in GoalArea.choices),
        ],
        [
            [
                row.account.name,
                row.account.customer_number,
                str(row.account.owner),
                row.account.get_tier_display(),
                row.plan.get_status_display() if row.plan else "",
                row.overall.attainment.percent,
                _status_label(row.overall.band),
                row.overall.attainment.measured,
                health[row.account.pk].total,
                *(cell.attainment.percent for cell in row.perspectives),
                *(cell.attainment.percent for cell in row.areas),
            ]
            for row in rows
        ],
    )

    summary = dashboard.deviation_summary(
        accounts=selected, fiscal_year=fiscal_year, limit=MAX_ROWS
    )
    deviation_columns = [
        Column(_("Key account"), width=30),
        Column(_("Goal"), width=36),
        Column(_("Goal owner"), width=20),
        *_deviation_columns(),
    ]

    def deviation_row(deviation: Deviation) -> list:
        return [
            deviation.goal.plan.account.name,
            deviation.goal.title,
            str(deviation.goal.owner),
            *_deviation_cells(deviation, now),
        ]

    lines = cost_lines(accounts=selected, fiscal_year=fiscal_year)
    totals = cost_totals(lines)
    costs = Sheet(
        _("Costs and return"),
        [
            Column(_("Key account"), width=30),
            Column(_("Plan status")),
            Column(_("Planned cost"), AMOUNT),
            Column(_("Actual cost"), AMOUNT),
            Column(_("Budget"), AMOUNT),
            Column(_("Budget used (%)"), PERCENT),
            Column(_("Revenue plan year to date"), AMOUNT),
            Column(_("Revenue actual year to date"), AMOUNT),
            Column(_("Contribution margin gained"), AMOUNT),
            Column(_("Return per unit of cost"), AMOUNT),
            Column(_("Net return"), AMOUNT),
        ],
        [
            [
                line.account.name,
                line.plan.get_status_display(),
                line.planned_cost,
                line.actual_cost,
                line.budget,
                line.used_percent,
                line.revenue.plan,
                line.revenue.actual,
                line.margin_gained,
                line.return_ratio,
                line.net_return,
            ]
            for line in lines
        ]
        + [
            [
                _("Total"),
                "",
                totals.planned_cost,
                totals.actual_cost,
                totals.budget if totals.plans_with_budget else None,
                None,
                None,
                None,
                totals.margin_gained if totals.plans_with_margin else None,
                totals.return_ratio,
                None,
            ]
        ],
    )

    funnel = Sheet(
        _("Selling funnel"),
        [
            Column(_("Stage on the path"), width=40),
            Column(_("Accounts at this stage"), width=12),
            Column(_("Accounts at this stage or further"), width=12),
        ],
        [
            [step.label, step.accounts, step.reached]
            for step in dashboard.selling_funnel(account_ids=ids)
        ],
    )
    space = dashboard.whitespace(accounts=selected, top=MAX_ROWS)
    whitespace = Sheet(
        _("Whitespace"),
        [
            Column(_("Key account"), width=30),
            Column(_("Open potential"), AMOUNT),
            Column(_("Weighted potential"), AMOUNT),
        ],
        [[account.name, potential, weighted] for account, potential, weighted in space.top_accounts]
        + [[_("Total"), space.open_potential, space.weighted_potential]],
    )
    return [
        filters,
        heatmap,
        Sheet(
            _("Worst deviations"),
            deviation_columns,
            [deviation_row(d) for d in summary.worst],
        ),
        Sheet(
            _("Without countermeasure"),
            deviation_columns,
            [deviation_row(d) for d in summary.without_countermeasure],
        ),
        costs,
        funnel,
        whitespace,
    ]
