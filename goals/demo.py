"""Demo planning data for `load_demo`: templates, a strategic frame, plans at each status, an
offerings catalogue and selling positions that put the accounts at every stage of the path of
the three selling dimensions.

Built through the same services the pages use, so the demo shows what a user would get.
Idempotent: what exists already (by name, or plan per account and year) is left alone.
"""

import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count
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
    SellingPosition,
    SwotItem,
)
from .services.goals import targets_spread
from .services.measures import measure_create, measure_progress_update
from .services.plans import plan_create
from .services.selling import selling_position_create
from .services.templates import plan_copy, plan_create_from_templates
from .services.workflow import plan_approve, plan_return, plan_submit

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
MONEY_KPIS = {"revenue", "contribution_margin"}


def load(*, users) -> None:
    kpis = {kpi.code: kpi for kpi in KPIDefinition.objects.all()}
    profile, _ = SeasonalProfile.objects.get_or_create(
        name=bilingual("Year-end peak"),
        defaults={"weights": [6, 7, 8, 8, 8, 8, 7, 7, 9, 10, 11, 11]},
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

    _generated_plans(sets=sets, profile=profile, leaders=[lea, users["mark"]])
    _catalogue()
    _selling_positions()


# Templates, their set names and the seasonal profile have one text field each, shared by
# German and English users, and the goals copied from the templates keep their titles: so
# these texts name both, German first ("Umsatz steigern / Grow revenue").
GERMAN = {
    "Grow revenue": "Umsatz steigern",
    "Raise contribution margin": "Deckungsbeitrag erhöhen",
    "Grow solution and service share": "Lösungs- und Serviceanteil steigern",
    "Customer satisfaction": "Kundenzufriedenheit",
    "Joint innovation roadmap": "Gemeinsame Innovations-Roadmap",
    "Sell more product groups": "Mehr Produktgruppen verkaufen",
    "Care quality": "Betreuungsqualität",
    "Serve more sites": "Mehr Standorte beliefern",
    "Year-end peak": "Jahresendspitze",
    "Annual customer survey and account review.": ("Jährliche Kundenbefragung und Account-Review."),
    "strategic": "Strategischer Account",
    "key": "Key Account",
    "development": "Entwicklungs-Account",
}


def bilingual(english: str) -> str:
    """A demo text in German and English, for the fields that have one language."""
    return f"{GERMAN[english]} / {english}"


def _template_set(tier, rows, kpis, profile) -> GoalTemplateSet:
    template_set, created = GoalTemplateSet.objects.get_or_create(
        tier=tier, name=f"{GERMAN[tier]} Standard / {Tier(tier).label} standard"
    )
    if not created:
        return template_set
    for order, (title, kind, code, growth, rating, perspective, area, cell, dim) in enumerate(rows):
        GoalTemplate.objects.create(
            template_set=template_set,
            order=order,
            title=bilingual(title),
            kind=kind,
            kpi=kpis.get(code),
            growth_percent=Decimal(growth) if growth else None,
            target_rating=rating,
            criteria=bilingual("Annual customer survey and account review.") if rating else "",
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
    scale = CURRENCY_SCALE.get(account.currency, 1)
    baselines = {
        t.pk: BASELINES[t.kpi.code] * (scale if t.kpi.code in MONEY_KPIS else 1)
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
    german = language_of(plan.account) == "de"
    plan.narrative = (
        "Stammlieferant für Antriebe; Service und die übrigen Werke sind noch offen."
        if german
        else "Main supplier for drives; services and other plants are still open."
    )
    plan.save()
    swot = (
        [
            ("strength", "Vertrauen des COO; bevorzugter Lieferant für Antriebe.", 4, 5),
            ("weakness", "Kein Serviceteam vor Ort im polnischen Werk.", 3, 4),
            ("opportunity", "Modernisierungsprogramm in allen Werken ab nächstem Jahr.", 5, 3),
            ("threat", "Niedrigpreis-Wettbewerber wirbt um den Einkauf.", 4, 3),
        ]
        if german
        else [
            ("strength", "Trusted by the COO; preferred supplier for drives.", 4, 5),
            ("weakness", "No local service team at the Polish plant.", 3, 4),
            ("opportunity", "Retrofit programme across all plants from next year.", 5, 3),
            ("threat", "Low-cost competitor courting purchasing.", 4, 3),
        ]
    )
    for kind, text, impact, probability in swot:
        SwotItem.objects.create(
            plan=plan, kind=kind, text=text, impact=impact, probability=probability
        )
    start, _end = fiscal_year_bounds(plan.fiscal_year)
    revenue = plan.goals.filter(kpi__code="revenue").first()
    titles = (
        [
            "Anwendertag mit den Werksingenieuren",
            "Servicevertrag für alle Werke anbieten",
            "Modernisierungspilot im Werk Leipzig",
        ]
        if german
        else [
            "Application day with plant engineers",
            "Service contract offer for all plants",
            "Retrofit pilot at the Leipzig plant",
        ]
    )
    for title, (instrument, month, months, cost, goals) in zip(
        titles,
        [
            ("communication", 1, 1, "8000", [revenue]),
            ("pricing", 2, 4, "12000", [revenue]),
            ("product", 4, 6, "30000", [revenue]),
        ],
        strict=True,
    ):
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
        ("gear_motors", "Bremen", "sold", 420000, 600000, None, 0, None, "", ""),
        ("gear_motors", "Leipzig", "sold", 310000, 500000, None, 0, None, "", ""),
        ("frequency_inverters", "Bremen", "sold", 150000, 300000, None, 0, None, "", ""),
        ("drive_package", None, "bundled", 220000, 260000, None, 0, None, "", ""),
        ("field_service", "Bremen", "sold", 60000, 90000, None, 0, None, "", ""),
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
            "Wrocław",
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
            "Leipzig",
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
        ("gear_motors", "Zug", "sold", 120000, 400000, None, 0, None, "", ""),
        ("couplings", "Zug", "sold", 40000, 90000, None, 0, None, "", ""),
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
    for number, rows in (POSITIONS | _generated_positions()).items():
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


# --- the wider portfolio ------------------------------------------------------------------------

# Free-text fields have one language: the generated accounts' plans are written in the
# language of the account's country (German for DE, AT and CH, English elsewhere).
GERMAN_COUNTRIES = {"DE", "AT", "CH"}
PLAN_TEXTS: dict[str, dict[str, Any]] = {
    "de": {
        "narrative": "Stammlieferant für Antriebe; Service und weitere Werke sind noch offen.",
        "swot": [
            ("strength", "Langjährige Beziehung zur Technik; bevorzugter Lieferant.", 4, 4),
            ("weakness", "Kein Serviceteam vor Ort.", 3, 3),
            ("opportunity", "Modernisierungsprogramm in den Werken ab nächstem Jahr.", 4, 3),
            ("threat", "Wettbewerber mit Niedrigpreisangebot im Einkauf.", 3, 3),
        ],
        "measures": [
            ("Anwendertag mit den Werksingenieuren", "communication", 1, 1, "6000"),
            ("Servicevertrag für alle Werke anbieten", "pricing", 3, 3, "9000"),
        ],
        "return": "Bitte das Umsatzziel und die Maßnahmen für das zweite Halbjahr nachschärfen.",
    },
    "en": {
        "narrative": "Main supplier for drives; services and further plants are still open.",
        "swot": [
            ("strength", "Long relationship with engineering; preferred supplier.", 4, 4),
            ("weakness", "No local service team.", 3, 3),
            ("opportunity", "Plant modernisation programme from next year.", 4, 3),
            ("threat", "Low-cost competitor courting purchasing.", 3, 3),
        ],
        "measures": [
            ("Application day with the plant engineers", "communication", 1, 1, "6000"),
            ("Service contract offer for all plants", "pricing", 3, 3, "9000"),
        ],
        "return": "Please sharpen the revenue target and the second half's measures.",
    },
}
# This year's plan of the n-th generated account ends in THIS_YEAR[n % 5].
THIS_YEAR = ["approved", "draft", "approved", "submitted", "returned"]


def language_of(account: KeyAccount) -> str:
    return "de" if str(account.country) in GERMAN_COUNTRIES else "en"


def _generated_plans(*, sets, profile, leaders) -> None:
    this_year = fiscal_year_for(timezone.localdate())
    accounts = KeyAccount.objects.filter(customer_number__startswith="K-3").select_related("owner")
    for n, account in enumerate(accounts.order_by("customer_number")):
        owner, leader = account.owner, leaders[n % len(leaders)]
        texts = PLAN_TEXTS[language_of(account)]
        last = _plan_from_templates(account, this_year - 1, sets[account.tier], owner)
        if last.status == "draft":
            _fill_generated(last, owner, texts)
            plan_submit(plan=last, user=owner)
            plan_approve(plan=last, user=leader)
        if AccountPlan.objects.filter(account=account, fiscal_year=this_year).exists():
            continue
        current = plan_copy(plan=last, user=owner)
        revenue = current.goals.get(kpi__code="revenue")
        revenue.annual_target = revenue.baseline * Decimal("1.06")
        revenue.save(update_fields=["annual_target"])
        targets_spread(goal=revenue, profile=profile)
        state = THIS_YEAR[n % len(THIS_YEAR)]
        if state == "draft":
            continue
        plan_submit(plan=current, user=owner)
        if state == "approved":
            plan_approve(plan=current, user=leader)
        elif state == "returned":
            plan_return(plan=current, user=leader, comment=texts["return"])


def _fill_generated(plan: AccountPlan, user, texts: dict) -> None:
    plan.prior_year_revenue = BASELINES["revenue"] * CURRENCY_SCALE.get(plan.account.currency, 1)
    plan.narrative = texts["narrative"]
    plan.budget = Decimal("40000")
    plan.save()
    for kind, text, impact, probability in texts["swot"]:
        SwotItem.objects.create(
            plan=plan, kind=kind, text=text, impact=impact, probability=probability
        )
    start, _end = fiscal_year_bounds(plan.fiscal_year)
    revenue = plan.goals.filter(kpi__code="revenue").first()
    for title, instrument, month, months, cost in texts["measures"]:
        begin = _add_months(start, month - 1)
        measure_create(
            plan=plan,
            goals=[revenue] if revenue else [],
            user=user,
            title=title,
            instrument=instrument,
            owner=plan.account.owner,
            start_date=begin,
            due_date=_add_months(begin, months) - datetime.timedelta(days=1),
            planned_cost=Decimal(cost),
        )


# Money in the generated accounts' currencies: roughly the same business in each.
CURRENCY_SCALE = {"JPY": 150, "CNY": 8, "SEK": 11, "PLN": 4}
# The n-th generated account's second position, so every stage appears several times.
PIPELINE: list[tuple[str, str, int | None, int | None, int | None, int, int | None]] = [
    ("couplings", "potential", None, 90000, 60000, 30, 5),
    ("condition_monitoring", "offered", None, None, 80000, 50, 2),
    ("training", "not_sold", None, None, None, 0, None),
    ("frequency_inverters", "sold", 150000, 300000, None, 0, None),
    ("drive_package", "bundled", 220000, 260000, None, 0, None),
    ("servo_motors", "joint_development", None, None, 400000, 60, 9),
]


def _generated_positions() -> dict[str, list[Position]]:
    rows: dict[str, list[Position]] = {}
    accounts = KeyAccount.objects.filter(customer_number__startswith="K-3").order_by(
        "customer_number"
    )
    for n, account in enumerate(accounts.prefetch_related("sites")):
        scale = CURRENCY_SCALE.get(account.currency, 1)
        site = min(s.name for s in account.sites.all())
        code, stage, current, spend, potential, probability, months = PIPELINE[n % len(PIPELINE)]
        rows[account.customer_number] = [
            ("gear_motors", site, "sold", 300000 * scale, 500000 * scale, None, 0, None, "", ""),
            (
                code,
                None,
                stage,
                current * scale if current else None,
                spend * scale if spend else None,
                potential * scale if potential else None,
                probability,
                months,
                "",
                "",
            ),
        ]
    return rows


def summary() -> str:
    plans = AccountPlan.objects.values_list("fiscal_year", "status").annotate(n=Count("id"))
    by_year: dict[int, list[str]] = {}
    for year, status, n in plans.order_by("fiscal_year", "status"):
        by_year.setdefault(year, []).append(f"{n} {status}")
    stages = SellingPosition.objects.values_list("stage").annotate(n=Count("id"))
    return (
        "Plans: "
        + "; ".join(f"{year}: {', '.join(rows)}" for year, rows in by_year.items())
        + "\nSelling positions: "
        + ", ".join(f"{n} {stage}" for stage, n in stages.order_by("stage"))
    )
