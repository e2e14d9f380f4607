"""What the dashboards read beyond bench/data.py's accounts, plans, goals, targets and actuals,
generated inside PostgreSQL the same way (one `INSERT ... SELECT` or `UPDATE` per table).

`enrich(fiscal_year=...)` runs after `data.generate()` and before the controlling run:

- accounts get a tier, a country and portfolio scores (a few stay unscored);
- two sites per account, each with a named region, half of the second ones abroad;
- the benchmark's revenue and margin goals and actuals move onto the catalogue's `revenue`
  and `contribution_margin` KPIs, which the dashboard's plan-vs-actual and return read;
- goals spread over the four scorecard perspectives and seven KAM goal areas, with weights;
- plans get an expense limit, four measures each (planned and actual costs, due dates
  around today, some overdue), and the strategic frame caps costs per tier;
- some accounts already have next year's plan, submitted (in the approval queue) or draft;
- an offering catalogue and six selling positions per account, at every stage;
- four stakeholders per account, most with a last contact, and some account teams.

`age(fiscal_year=...)` runs after the controlling run raised its deviations: it spreads the
deviations' opening over the year (one run at year end opens them all at once; a year of
monthly runs opens them month by month), closes about a third with a countermeasure, lets
`alerts.deviations_escalate()` escalate the old open ones, and marks most notifications
read.

`reset()` removes what `data.reset()` does not (the catalogue rows written here).
"""

import datetime
import time

from django.db import connection
from django.utils import timezone

from accounts.models import (
    AccountTeamMember,
    Interaction,
    KeyAccount,
    Site,
    Stakeholder,
)
from bench import data
from bench.data import insert_select
from controlling.models import Actual, Deviation, Notification
from goals.models import (
    AccountPlan,
    FrameRule,
    FrameRuleKind,
    Goal,
    GoalArea,
    KPIDefinition,
    Measure,
    Offering,
    OfferingKind,
    Perspective,
    PlanStatus,
    PlanTransition,
    ProductGroup,
    SellingPosition,
)
from kam.fiscal import fiscal_year_bounds
from kam.models import Role, User

PREFIX = data.PREFIX
COUNTRIES = ("DE", "DE", "DE", "AT", "CH", "FR", "NL", "PL", "IT", "ES")
REGIONS = ("North", "South", "East", "West")
FRAME_NOTE = "bench"


def _sql_array(values) -> str:
    return "ARRAY[" + ", ".join(f"'{v}'" for v in values) + "]"


def reset() -> None:
    FrameRule.objects.filter(note=FRAME_NOTE).delete()
    # Positions went with the accounts (data.reset truncates users and what hangs off them).
    Offering.components.through.objects.filter(from_offering__code__startswith=PREFIX).delete()
    Offering.objects.filter(code__startswith=PREFIX).delete()
    ProductGroup.objects.filter(code__startswith=PREFIX).delete()


def enrich(*, fiscal_year: int, seed: float = 0.43) -> dict[str, float]:
    """Everything the dashboards read besides goals, targets and actuals. Returns seconds per
    step."""
    seconds: dict[str, float] = {}
    accounts = KeyAccount._meta.db_table
    plans = AccountPlan._meta.db_table
    goals = Goal._meta.db_table
    first_month, _last = fiscal_year_bounds(fiscal_year)
    today = timezone.localdate()

    def run(name: str, function, *args) -> None:
        started = time.perf_counter()
        function(*args)
        seconds[name] = time.perf_counter() - started

    def execute(sql: str, params=()) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [seed])

    # Tiers 10 % strategic, 50 % key, 40 % development; 8 % of accounts not yet scored.
    run(
        "account profiles",
        execute,
        f"""UPDATE {accounts} SET
              tier = CASE WHEN mod(id, 10) = 0 THEN 'strategic'
                          WHEN mod(id, 10) < 6 THEN 'key' ELSE 'development' END,
              country = ({_sql_array(COUNTRIES)})[1 + mod(id * 7, {len(COUNTRIES)})],
              attractiveness = CASE WHEN mod(id, 25) < 23 THEN floor(random() * 101) END,
              relative_strength = CASE WHEN mod(id, 25) < 23 THEN floor(random() * 101) END""",
    )

    def sites() -> None:
        insert_select(
            Site,
            {
                "account_id": "a.id",
                "name": "'Site ' || n",
                "city": "'Bench city ' || n",
                "region": f"({_sql_array(REGIONS)})[1 + mod(a.id + n, {len(REGIONS)})]",
                # The second site of every other account is abroad.
                "country": f"CASE WHEN n = 2 AND mod(a.id, 2) = 0 THEN "
                f"({_sql_array(COUNTRIES)})[1 + mod(a.id * 3 + 1, {len(COUNTRIES)})] "
                "ELSE a.country END",
            },
            f"{accounts} a CROSS JOIN generate_series(1, 2) AS n",
        )

    run("sites", sites)

    def real_kpis() -> None:
        for bench_code, code in (("revenue", "revenue"), ("margin", "contribution_margin")):
            source = KPIDefinition.objects.get(code=PREFIX + bench_code).pk
            target = KPIDefinition.objects.get(code=code).pk
            execute(f"UPDATE {goals} SET kpi_id = %s WHERE kpi_id = %s", [target, source])
            execute(
                f"UPDATE {Actual._meta.db_table} SET kpi_id = %s WHERE kpi_id = %s",
                [target, source],
            )

    run("revenue and margin KPIs", real_kpis)

    run(
        "goal perspectives",
        execute,
        f"""UPDATE {goals} SET
              perspective = ({_sql_array(Perspective.values)})[1 + mod("order", 4)],
              goal_area = ({_sql_array(GoalArea.values)})[1 + mod("order" * 3 + plan_id, 7)],
              weight = 1 + mod("order" * 37 + plan_id, 10) * 10""",
    )

    # Budgets on 80 % of plans; about one plan in eight spends over it.
    run(
        "budgets",
        execute,
        f"""UPDATE {plans} SET budget = CASE WHEN mod(id, 5) <> 0
                                       THEN round((20000 + random() * 30000)::numeric, -2) END""",
    )

    def measures() -> None:
        statuses = _sql_array(("done", "in_progress", "planned", "done", "cancelled"))
        insert_select(
            Measure,
            {
                "plan_id": "s.plan_id",
                "title": "'Bench measure ' || s.m",
                "description": "''",
                "instrument": "(ARRAY['product', 'pricing', 'distribution', 'communication',"
                " 'personnel'])[1 + mod(s.plan_id + s.m, 5)]",
                "owner_id": "s.owner_id",
                "start_date": "s.start_date",
                "due_date": "s.start_date + s.days",
                "planned_cost": "s.planned",
                "actual_cost": "CASE WHEN s.status IN ('done', 'in_progress') "
                "THEN round(s.planned * (0.5 + random() * 0.9)::numeric, 2) ELSE 0 END",
                "status": "s.status",
                "progress": "CASE s.status WHEN 'done' THEN 100 WHEN 'in_progress' "
                "THEN 50 ELSE 0 END",
                "is_countermeasure": "s.m = 3",
            },
            f"""(SELECT p.id AS plan_id, p.created_by_id AS owner_id, m,
                        (DATE '{first_month.isoformat()}'
                         + make_interval(months => (m * 3 + mod(p.id, 3))::int))::date
                          AS start_date,
                        (30 + floor(random() * 150))::int AS days,
                        round((2000 + random() * 12000)::numeric, 2) AS planned,
                        CASE WHEN m = 3 THEN 'in_progress'
                             ELSE ({statuses})[1 + mod(p.id + m, 5)] END AS status
                 FROM {plans} p CROSS JOIN generate_series(0, 3) AS m
                 WHERE p.fiscal_year = {fiscal_year}) s""",
        )

    run("measures", measures)

    def frame() -> None:
        FrameRule.objects.bulk_create(
            [
                FrameRule(kind=FrameRuleKind.COST_CAP, tier=tier, cost_cap=cap, note=FRAME_NOTE)
                for tier, cap in (("strategic", 60000), ("key", 40000), ("development", 25000))
            ]
            + [
                FrameRule(
                    kind=FrameRuleKind.MANDATORY_GOAL,
                    kpi=KPIDefinition.objects.get(code="revenue"),
                    note=FRAME_NOTE,
                )
            ]
        )

    run("strategic frame", frame)

    def next_year() -> None:
        # 3 % of accounts submitted next year's plan (the approval queue), 10 % drafted it.
        insert_select(
            AccountPlan,
            {
                "account_id": "a.id",
                "fiscal_year": str(fiscal_year + 1),
                "status": f"CASE WHEN mod(a.id, 33) = 0 THEN '{PlanStatus.SUBMITTED}' "
                f"ELSE '{PlanStatus.DRAFT}' END",
                "created_by_id": "a.owner_id",
                "budget": "30000",
            },
            f"{accounts} a WHERE mod(a.id, 33) = 0 OR mod(a.id, 10) = 1",
        )
        insert_select(
            PlanTransition,
            {
                "plan_id": "p.id",
                "from_status": f"'{PlanStatus.DRAFT}'",
                "to_status": f"'{PlanStatus.SUBMITTED}'",
                "revision": "1",
                "actor_id": "p.created_by_id",
                "at": "now() - make_interval(hours => floor(random() * 480)::int)",
                "comment": "''",
            },
            f"{plans} p WHERE p.status = '{PlanStatus.SUBMITTED}'",
        )

    run("next year's plans", next_year)

    def positions() -> None:
        groups = ProductGroup.objects.bulk_create(
            ProductGroup(code=f"{PREFIX}group_{n}", name_en=f"Group {n}", name_de=f"Gruppe {n}")
            for n in range(1, 5)
        )
        offerings = Offering.objects.bulk_create(
            [
                Offering(
                    code=f"{PREFIX}product_{n}",
                    name_en=f"Product {n}",
                    name_de=f"Produkt {n}",
                    kind=OfferingKind.PRODUCT,
                    product_group=groups[n % 4],
                    order=n,
                )
                for n in range(1, 9)
            ]
            + [
                Offering(
                    code=f"{PREFIX}service_{n}",
                    name_en=f"Service {n}",
                    name_de=f"Dienstleistung {n}",
                    kind=OfferingKind.SERVICE,
                    order=10 + n,
                )
                for n in range(1, 4)
            ]
            + [
                Offering(
                    code=f"{PREFIX}solution_{n}",
                    name_en=f"Solution {n}",
                    name_de=f"Lösung {n}",
                    kind=OfferingKind.SOLUTION,
                    order=20 + n,
                )
                for n in range(1, 3)
            ]
        )
        products = [o for o in offerings if o.kind == OfferingKind.PRODUCT]
        services = [o for o in offerings if o.kind == OfferingKind.SERVICE]
        for number, solution in enumerate(o for o in offerings if o.kind == OfferingKind.SOLUTION):
            solution.components.set([products[number], products[number + 1], services[number]])
        catalogue = ", ".join(f"({n}, {o.pk}, '{o.kind}')" for n, o in enumerate(offerings))
        stages = {
            OfferingKind.PRODUCT: ("not_sold", "potential", "offered", "sold", "sold", "potential"),
            OfferingKind.SERVICE: ("not_sold", "potential", "offered", "sold", "not_sold", "sold"),
            OfferingKind.SOLUTION: (
                "potential",
                "offered",
                "bundled",
                "sold",
                "joint_development",
                "potential",
            ),
        }
        stage = "CASE o.kind " + " ".join(
            f"WHEN '{kind}' THEN ({_sql_array(values)})[1 + mod(a.id * 7 + k * 5, 6)]"
            for kind, values in stages.items()
        )
        insert_select(
            SellingPosition,
            {
                "account_id": "s.account_id",
                "offering_id": "s.offering_id",
                "site_id": "s.site_id",
                "stage": "s.stage",
                "current_revenue": "CASE WHEN s.stage IN ('sold', 'bundled', 'joint_development')"
                " THEN round((5000 + random() * 95000)::numeric, 2) END",
                "potential_revenue": "CASE WHEN s.stage IN ('potential', 'offered')"
                " THEN round((10000 + random() * 190000)::numeric, 2) END",
                "probability": "CASE s.stage WHEN 'potential' THEN 10 + mod(s.account_id, 30)"
                " WHEN 'offered' THEN 40 + mod(s.account_id, 50) ELSE 0 END",
                "owner_id": "s.owner_id",
                "main_competitor": "''",
                "next_step": "''",
            },
            f"""(SELECT a.id AS account_id, a.owner_id, o.id AS offering_id, {stage} END AS stage,
                        CASE WHEN k = 0 THEN (SELECT min(x.id) FROM {Site._meta.db_table} x
                                              WHERE x.account_id = a.id) END AS site_id
                 FROM {accounts} a CROSS JOIN generate_series(0, 5) AS k
                 JOIN (VALUES {catalogue}) AS o(n, id, kind)
                   ON o.n = mod(a.id + k, {len(offerings)})) s""",
        )

    run("selling positions", positions)

    def stakeholders() -> None:
        roles = _sql_array(("decider", "influencer", "user", "buyer", "gatekeeper"))
        insert_select(
            Stakeholder,
            {
                "account_id": "a.id",
                "name": "'Stakeholder ' || a.id || '-' || n",
                "title": "''",
                "department": "''",
                "email": "''",
                "phone": "''",
                "buying_role": f"({roles})[1 + mod(a.id + n, 5)]",
                "influence": "1 + mod(a.id + n * 2, 5)",
                "relationship_owner_id": "a.owner_id",
                "contact_interval_days": "(ARRAY[30, 45, 60, 90])[n]",
                "notes": "''",
            },
            f"{accounts} a CROSS JOIN generate_series(1, 4) AS n",
        )
        # Three in four have been contacted within the last 150 days; the others never.
        stakeholder_table = Stakeholder._meta.db_table
        insert_select(
            Interaction,
            {
                "account_id": "s.account_id",
                "date": f"DATE '{today.isoformat()}' - floor(random() * 150)::int",
                "kind": "'meeting'",
                "summary": "'Bench contact ' || s.id",
                "author_id": "s.relationship_owner_id",
            },
            f"{stakeholder_table} s WHERE mod(s.id, 4) <> 0",
        )
        insert_select(
            Interaction.stakeholders.through,
            {
                "interaction_id": "i.id",
                "stakeholder_id": "substr(i.summary, 15)::bigint",
            },
            f"{Interaction._meta.db_table} i WHERE i.summary LIKE 'Bench contact %%'",
        )

    run("stakeholders", stakeholders)

    def teams() -> None:
        managers = f"""(SELECT id, row_number() OVER (ORDER BY id) - 1 AS k
                        FROM {User._meta.db_table} WHERE role = '{Role.MANAGER}') m"""
        count = User.objects.filter(role=Role.MANAGER).count()
        # Every tenth account has a second manager on its team (sales support).
        insert_select(
            AccountTeamMember,
            {"account_id": "a.id", "user_id": "m.id", "role": "'sales'"},
            f"{accounts} a JOIN {managers} ON m.k = mod(a.id * 7 + 3, {count}) "
            "WHERE mod(a.id, 10) = 0 AND m.id <> a.owner_id",
        )

    run("account teams", teams)
    _analyze(
        KeyAccount,
        Site,
        Goal,
        Actual,
        AccountPlan,
        Measure,
        SellingPosition,
        Stakeholder,
        Interaction,
        AccountTeamMember,
        PlanTransition,
    )
    return seconds


def age(*, fiscal_year: int, seed: float = 0.44) -> dict[str, float]:
    """After the controlling run: deviations opened over the year, a third closed by a
    countermeasure, the old open ones escalated, most notifications read."""
    from controlling.services import alerts

    seconds: dict[str, float] = {}
    deviations = Deviation._meta.db_table
    first_month = fiscal_year_bounds(fiscal_year)[0]
    start = timezone.make_aware(datetime.datetime.combine(first_month, datetime.time(6)))
    days = max(1, (timezone.now() - start).days)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [seed])
        # Opened on some day of the year so far (the deviation's age), not all at run time.
        cursor.execute(
            f"""UPDATE {deviations} SET opened_at = %s
                                              + make_interval(days => floor(random() * %s)::int)""",
            [start, days],
        )
        cursor.execute(
            f"""UPDATE {Notification._meta.db_table} n SET created_at = d.opened_at,
                       read_at = CASE WHEN random() < 0.6 THEN d.opened_at + interval '2 days' END
                FROM {deviations} d WHERE d.id = n.deviation_id"""
        )
        # A third answered by the plan's countermeasure within 40 days of opening.
        cursor.execute(
            f"""UPDATE {deviations} d SET
                       countermeasure_id = m.id,
                       closed_at = LEAST(now(), d.opened_at
                                         + make_interval(days => 1 + floor(random() * 40)::int))
                FROM {Goal._meta.db_table} g, {Measure._meta.db_table} m
                WHERE g.id = d.goal_id AND m.plan_id = g.plan_id AND m.is_countermeasure
                  AND mod(d.id, 3) = 0"""
        )
    seconds["deviation ages"] = time.perf_counter() - started
    started = time.perf_counter()
    escalated = alerts.deviations_escalate()
    seconds["escalation"] = time.perf_counter() - started
    started = time.perf_counter()
    # Statistics as autovacuum would have them after the run, which wrote results and states.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    seconds["vacuum analyze"] = time.perf_counter() - started
    seconds["escalated"] = escalated
    return seconds


def _analyze(*models) -> None:
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
