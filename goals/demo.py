"""Demo planning data for `load_demo`: templates, a strategic frame, plans at each status, an
offerings catalogue and selling positions that put the accounts at every stage of the path of
the three selling dimensions.

Built through the same services the pages use, so the demo shows what a user would get.
Idempotent: what exists already (by name, or plan per account and year) is left alone.
"""

import datetime
from decimal import Decimal

from django.utils import timezone

from accounts.models import KeyAccount, Tier
from kam.fiscal import fiscal_year_bounds, fiscal_year_for

from .models import (
    AccountPlan,
    FrameRule,
    FrameRuleKind,
    GoalKind,
    GoalTemplate,
    GoalTemplateSet,
    KPIDefinition,
    Offering,
    ProductGroup,
    SeasonalProfile,
    SwotItem,
)
from .services.goals import targets_spread
from .services.measures import measure_create, measure_progress_update
from .services.plans import plan_create
from .services.selling import selling_position_create
from .services.templates import plan_copy, plan_create_from_templates
from .services.workflow import plan_approve, plan_submit

# title, kind, kpi code, growth %, target rating, perspective, area, relationship cell, dimension
TEMPLATES = {
    Tier.STRATEGIC: [
        (
            "Grow revenue",
            "quantitative",
            "revenue",
            "6",
            None,
            "finance",
            "competitive_position",
            ("supplier", "operative"),
            None,
        ),
        (
            "Raise contribution margin",
            "quantitative",
            "contribution_margin",
            "4",
            None,
            "finance",
            "competitive_position",
            ("supplier", "strategic"),
            None,
        ),
        (
            "Grow solution and service share",
            "quantitative",
            "solution_revenue_share",
            "10",
            None,
            "customer",
            "customer_value",
            None,
            3,
        ),
        (
            "Customer satisfaction",
            "qualitative",
            None,
            None,
            4,
            "customer",
            "customer_satisfaction",
            None,
            None,
        ),
        (
            "Joint innovation roadmap",
            "qualitative",
            None,
            None,
            4,
            "process",
            "business_relationship",
            ("mutual", "strategic"),
            3,
        ),
    ],
    Tier.KEY: [
        (
            "Grow revenue",
            "quantitative",
            "revenue",
            "5",
            None,
            "finance",
            "competitive_position",
            ("supplier", "operative"),
            None,
        ),
        (
            "Sell more product groups",
            "quantitative",
            "product_groups_sold",
            "10",
            None,
            "customer",
            "customer_value",
            None,
            1,
        ),
        ("Care quality", "qualitative", None, None, 4, "people", "care_quality", None, None),
    ],
    Tier.DEVELOPMENT: [
        (
            "Grow revenue",
            "quantitative",
            "revenue",
            "10",
            None,
            "finance",
            "competitive_position",
            None,
            None,
        ),
        (
            "Serve more sites",
            "quantitative",
            "sites_served",
            "25",
            None,
            "customer",
            "market_position",
            None,
            2,
        ),
    ],
}

# Baselines the managers entered for their first plan (last year had none).
BASELINES = {
    "revenue": Decimal("2400000"),
    "contribution_margin": Decimal("610000"),
    "solution_revenue_share": Decimal("12"),
    "product_groups_sold": Decimal("4"),
    "sites_served": Decimal("2"),
}


def load(*, users) -> None:
    kpis = {kpi.code: kpi for kpi in KPIDefinition.objects.all()}
    profile, _ = SeasonalProfile.objects.get_or_create(
        name="Year-end peak", defaults={"weights": [6, 7, 8, 8, 8, 8, 7, 7, 9, 10, 11, 11]}
    )
    sets = {tier: _template_set(tier, rows, kpis, profile) for tier, rows in TEMPLATES.items()}
    _frame(kpis)

    this_year = fiscal_year_for(timezone.localdate())
    anna, ben, lea = users["anna"], users["ben"], users["lea"]
    drives = KeyAccount.objects.get(customer_number="K-10001")
    cascade = KeyAccount.objects.get(customer_number="K-20002")
    meridian = KeyAccount.objects.get(customer_number="K-20001")

    # Nordwerk Antriebe: last year's plan approved, this year's copied from it and approved,
    # next year's opened as a draft copy.
    approved = _plan_from_templates(drives, this_year - 1, sets[Tier.STRATEGIC], anna)
    if approved.status == "draft":
        _fill_plan(approved, anna)
        plan_submit(plan=approved, user=anna)
        plan_approve(plan=approved, user=lea)
    current = AccountPlan.objects.filter(account=drives, fiscal_year=this_year).first()
    if current is None:
        current = plan_copy(plan=approved, user=anna)
        # A copy starts at last year's targets; the manager plans growth on top.
        revenue = current.goals.get(kpi__code="revenue")
        revenue.annual_target = revenue.baseline * Decimal("1.06")
        revenue.save(update_fields=["annual_target"])
        targets_spread(goal=revenue, profile=profile)
        plan_submit(plan=current, user=anna)
        plan_approve(plan=current, user=lea)
        # Approved plans still record how far their measures have got.
        first, second, *_ = current.measures.order_by("start_date")
        measure_progress_update(
            measure=first, status="done", progress=100, actual_cost=Decimal("7400"), user=anna
        )
        measure_progress_update(
            measure=second,
            status="in_progress",
            progress=60,
            actual_cost=Decimal("5200"),
            user=anna,
        )

    # Cascade: submitted with a revenue target below the frame's minimum growth, so the
    # approval queue shows a violation.
    cascade_plan = _plan_from_templates(cascade, this_year, sets[Tier.STRATEGIC], ben)
    if cascade_plan.status == "draft":
        revenue = cascade_plan.goals.get(kpi__code="revenue")
        revenue.annual_target = revenue.baseline * Decimal("1.02")
        revenue.save(update_fields=["annual_target"])
        targets_spread(goal=revenue, profile=profile)
        _fill_plan(cascade_plan, ben)
        plan_submit(plan=cascade_plan, user=ben)

    # Meridian: a draft the manager has only started.
    if not AccountPlan.objects.filter(account=meridian, fiscal_year=this_year).exists():
        draft = plan_create(account=meridian, fiscal_year=this_year, user=ben)
        draft.narrative = "Volume is stable; the new Cork site is still supplied by a competitor."
        draft.save(update_fields=["narrative"])

    _catalogue()
    _selling_positions()


def _template_set(tier, rows, kpis, profile) -> GoalTemplateSet:
    template_set, created = GoalTemplateSet.objects.get_or_create(
        tier=tier, name=f"{Tier(tier).label} standard"
    )
    if not created:
        return template_set
    for order, (title, kind, code, growth, rating, perspective, area, cell, dim) in enumerate(rows):
        GoalTemplate.objects.create(
            template_set=template_set,
            order=order,
            title=title,
            kind=kind,
            kpi=kpis.get(code),
            growth_percent=Decimal(growth) if growth else None,
            target_rating=rating,
            criteria="Annual customer survey and account review." if rating else "",
            perspective=perspective,
            goal_area=area,
            relationship_perspective=cell[0] if cell else "",
            horizon=cell[1] if cell else "",
            selling_dimension=dim,
            seasonal_profile=profile if code == "revenue" else None,
        )
    return template_set


def _frame(kpis) -> None:
    FrameRule.objects.get_or_create(
        kind=FrameRuleKind.TARGET_BOUNDS,
        kpi=kpis["revenue"],
        defaults={"min_change_percent": Decimal("3"), "note": "Corporate growth target."},
    )
    FrameRule.objects.get_or_create(
        kind=FrameRuleKind.TARGET_BOUNDS,
        kpi=kpis["price_realisation"],
        defaults={"min_change_percent": Decimal("-2"), "note": "At most 2 % price reduction."},
    )
    FrameRule.objects.get_or_create(
        kind=FrameRuleKind.COST_CAP, tier=Tier.STRATEGIC, defaults={"cost_cap": Decimal("80000")}
    )
    FrameRule.objects.get_or_create(
        kind=FrameRuleKind.MANDATORY_GOAL, tier=Tier.STRATEGIC, kpi=kpis["revenue"]
    )


def _plan_from_templates(account, year, template_set, user) -> AccountPlan:
    plan = AccountPlan.objects.filter(account=account, fiscal_year=year).first()
    if plan is not None:
        return plan
    baselines = {
        t.pk: BASELINES[t.kpi.code]
        for t in template_set.templates.select_related("kpi")
        if t.kind == GoalKind.QUANTITATIVE
    }
    return plan_create_from_templates(
        account=account,
        fiscal_year=year,
        template_set=template_set,
        user=user,
        baselines=baselines,
    )


def _fill_plan(plan: AccountPlan, user) -> None:
    plan.prior_year_revenue = BASELINES["revenue"]
    plan.contribution_margin = BASELINES["contribution_margin"]
    plan.share_of_wallet = Decimal("35")
    plan.budget = Decimal("60000")
    plan.narrative = "Main supplier for drives; services and other plants are still open."
    plan.save()
    for kind, text, impact, probability in [
        ("strength", "Trusted by the COO; preferred supplier for drives.", 4, 5),
        ("weakness", "No local service team at the Polish plant.", 3, 4),
        ("opportunity", "Retrofit programme across all plants from next year.", 5, 3),
        ("threat", "Low-cost competitor courting purchasing.", 4, 3),
    ]:
        SwotItem.objects.create(
            plan=plan, kind=kind, text=text, impact=impact, probability=probability
        )
    start, _end = fiscal_year_bounds(plan.fiscal_year)
    revenue = plan.goals.filter(kpi__code="revenue").first()
    for title, instrument, month, months, cost, goals in [
        ("Application day with plant engineers", "communication", 1, 1, "8000", [revenue]),
        ("Service contract offer for all plants", "pricing", 2, 4, "12000", [revenue]),
        ("Retrofit pilot at the Leipzig plant", "product", 4, 6, "30000", [revenue]),
    ]:
        begin = _add_months(start, month - 1)
        measure_create(
            plan=plan,
            goals=[g for g in goals if g],
            user=user,
            title=title,
            instrument=instrument,
            owner=plan.account.owner,
            start_date=begin,
            due_date=_add_months(begin, months) - datetime.timedelta(days=1),
            planned_cost=Decimal(cost),
        )


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    return day.replace(year=day.year + month // 12, month=month % 12 + 1)


# --- offerings and selling positions ----------------------------------------------------------

# code: (English, German)
PRODUCT_GROUPS = {
    "drives": ("Drives", "Antriebe"),
    "automation": ("Automation", "Automatisierung"),
    "mechanics": ("Mechanical components", "Mechanische Komponenten"),
    "sensors": ("Sensors", "Sensorik"),
}
# code: (English, German, kind, product group or components)
OFFERINGS = {
    "gear_motors": ("Gear motors", "Getriebemotoren", "product", "drives"),
    "servo_motors": ("Servo motors", "Servomotoren", "product", "drives"),
    "frequency_inverters": ("Frequency inverters", "Frequenzumrichter", "product", "automation"),
    "motion_controllers": ("Motion controllers", "Bewegungssteuerungen", "product", "automation"),
    "couplings": ("Couplings", "Kupplungen", "product", "mechanics"),
    "bearings": ("Bearings", "Lager", "product", "mechanics"),
    "vibration_sensors": ("Vibration sensors", "Schwingungssensoren", "product", "sensors"),
    "field_service": ("Field service", "Außendienst-Service", "service", None),
    "condition_monitoring": ("Condition monitoring", "Zustandsüberwachung", "service", None),
    "training": ("Operator training", "Bedienerschulung", "service", None),
    "drive_package": (
        "Drive package",
        "Antriebspaket",
        "solution",
        ["gear_motors", "frequency_inverters", "field_service"],
    ),
    "smart_line": (
        "Smart line retrofit",
        "Smart-Line-Modernisierung",
        "solution",
        ["servo_motors", "motion_controllers", "condition_monitoring"],
    ),
}

# customer number: (offering, site or None, stage, current, spend, potential, probability,
# months until expected, competitor, next step). The comment names the stage on the path the
# account reaches.
Position = tuple[
    str, str | None, str, int | None, int | None, int | None, int, int | None, str, str
]
POSITIONS: dict[str, list[Position]] = {
    # Joint development: a servo motor developed together, on top of bundles and services.
    "K-10001": [
        ("gear_motors", "Bremen plant", "sold", 420000, 600000, None, 0, None, "", ""),
        ("gear_motors", "Leipzig plant", "sold", 310000, 500000, None, 0, None, "", ""),
        ("frequency_inverters", "Bremen plant", "sold", 150000, 300000, None, 0, None, "", ""),
        ("drive_package", None, "bundled", 220000, 260000, None, 0, None, "", ""),
        ("field_service", "Bremen plant", "sold", 60000, 90000, None, 0, None, "", ""),
        (
            "servo_motors",
            None,
            "joint_development",
            None,
            None,
            400000,
            60,
            9,
            "",
            "Prototype review with Dr. Vogt",
        ),
        (
            "gear_motors",
            "Wrocław plant",
            "potential",
            None,
            450000,
            250000,
            40,
            4,
            "Antriebstechnik Süd",
            "Plant tour with the maintenance lead",
        ),
        (
            "condition_monitoring",
            "Leipzig plant",
            "offered",
            None,
            None,
            80000,
            50,
            2,
            "",
            "Follow up on the offer",
        ),
    ],
    # Cross-selling (products): two product groups at the one site.
    "K-10002": [
        ("gear_motors", "Headquarters Zug", "sold", 120000, 400000, None, 0, None, "", ""),
        ("couplings", "Headquarters Zug", "sold", 40000, 90000, None, 0, None, "", ""),
        (
            "motion_controllers",
            None,
            "potential",
            None,
            None,
            90000,
            30,
            6,
            "Beckhoff",
            "Application day",
        ),
    ],
    # Single: one product at one site; Cork is still supplied by a competitor.
    "K-20001": [
        ("gear_motors", "Manchester", "sold", 200000, 350000, None, 0, None, "", ""),
        ("gear_motors", "Cork", "offered", None, 180000, 150000, 50, 3, "Leeson", "Trial order"),
        ("field_service", None, "potential", None, None, 40000, 25, 8, "", ""),
    ],
    # Cross-selling (organisation): gear motors at two plants in two countries.
    "K-20002": [
        ("gear_motors", "Detroit", "sold", 500000, 900000, None, 0, None, "", ""),
        ("gear_motors", "Puebla", "sold", 260000, 400000, None, 0, None, "", ""),
        ("bearings", "Detroit", "sold", 80000, 200000, None, 0, None, "SKF", ""),
        ("gear_motors", "Graz", "potential", None, 300000, 300000, 20, 14, "SEW", ""),
        ("smart_line", None, "potential", None, None, 600000, 15, 11, "", "Workshop with VP"),
    ],
    # Up-selling: gear motors plus field service for the whole account.
    "K-20003": [
        ("gear_motors", None, "sold", 90000, 150000, None, 0, None, "", ""),
        ("field_service", None, "sold", 25000, 30000, None, 0, None, "", ""),
        ("condition_monitoring", None, "not_sold", None, None, None, 0, None, "", ""),
    ],
}


def _catalogue() -> None:
    groups = {}
    for order, (code, (name_en, name_de)) in enumerate(PRODUCT_GROUPS.items()):
        groups[code], _ = ProductGroup.objects.get_or_create(
            code=code, defaults={"name_en": name_en, "name_de": name_de, "order": order * 10}
        )
    offerings = {}
    for order, (code, (name_en, name_de, kind, extra)) in enumerate(OFFERINGS.items()):
        offering, created = Offering.objects.get_or_create(
            code=code,
            defaults={
                "name_en": name_en,
                "name_de": name_de,
                "kind": kind,
                "product_group": (
                    groups[extra] if kind == "product" and isinstance(extra, str) else None
                ),
                "order": order * 10,
            },
        )
        offerings[code] = offering
        if created and kind == "solution" and isinstance(extra, list):
            offering.components.set([offerings[c] for c in extra])


def _selling_positions() -> None:
    offerings = {o.code: o for o in Offering.objects.all()}
    first = timezone.localdate().replace(day=1)
    for number, rows in POSITIONS.items():
        account = KeyAccount.objects.get(customer_number=number)
        sites = {site.name: site for site in account.sites.all()}
        existing = set(account.selling_positions.values_list("offering__code", "site__name"))
        for code, site, stage, current, spend, potential, probability, months, rival, step in rows:
            if (code, site) in existing:
                continue
            selling_position_create(
                account=account,
                user=account.owner,
                offering=offerings[code],
                site=sites[site] if site else None,
                stage=stage,
                current_revenue=Decimal(current) if current is not None else None,
                customer_spend=Decimal(spend) if spend is not None else None,
                potential_revenue=Decimal(potential) if potential is not None else None,
                probability=probability,
                expected_month=_add_months(first, months) if months is not None else None,
                main_competitor=rival,
                next_step=step,
                owner=account.owner,
            )
