"""Exports: a plan's goals and deviations as XLSX, a plan as PDF, the leadership dashboard as
XLSX. Contents are read back with openpyxl and pypdf; texts that a spreadsheet would run as a
formula are neutralised while numbers stay numbers; visibility as on the pages."""

import datetime
import io
import time
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from controlling.models import (
    EXPORT_START_WITHIN,
    DashboardExport,
    Deviation,
    ExportState,
    GoalResult,
    GoalStatus,
)
from controlling.services import exports
from kam import workbooks
from kam.fiscal import fiscal_year_for
from tests import access, factories
from tests.controlling.dashboard_data import refresh_figures

pytestmark = pytest.mark.django_db

YEAR = 2027
EVIL_GOAL = '=HYPERLINK("http://evil.example/x","Click")'
EVIL_SWOT = "@SUM(1)"


@pytest.fixture(autouse=True)
def calendar_year(settings):
    settings.KAM_FISCAL_YEAR_START_MONTH = 1


def month(number: int) -> datetime.date:
    return datetime.date(YEAR, number, 1)


def result(goal, number: int, plan, actual, status=GoalStatus.ON_TRACK, **figures) -> GoalResult:
    return GoalResult.objects.create(
        goal=goal,
        month=month(number),
        plan=Decimal(plan),
        actual=None if actual is None else Decimal(actual),
        deviation=None if actual is None else Decimal(actual) - Decimal(plan),
        status=status,
        computed_at=timezone.now(),
        **figures,
    )


def open_deviation(goal, days_ago: int = 3, **kwargs) -> Deviation:
    opened = timezone.now() - datetime.timedelta(days=days_ago)
    return Deviation.objects.create(
        goal=goal,
        from_status=GoalStatus.ON_TRACK,
        to_status=GoalStatus.OFF_TRACK,
        opened_for=opened,
        opened_at=opened,
        as_of=month(2),
        **kwargs,
    )


@pytest.fixture
def plan(account):
    plan = factories.AccountPlanFactory(
        account=account,
        fiscal_year=YEAR,
        narrative="We supply the gear motors.",
        prior_year_revenue=Decimal("1234567.50"),
        budget=Decimal("20000"),
    )
    factories.SwotItemFactory(plan=plan, kind="threat", text=EVIL_SWOT, impact=4, probability=2)
    factories.SwotItemFactory(plan=plan, kind="strength", text="Local service", impact=5)
    goal = factories.GoalFactory(
        plan=plan,
        title=EVIL_GOAL,
        baseline=Decimal("1000000"),
        annual_target=Decimal("1200000"),
        weight=30,
        order=1,
    )
    for number in range(1, 13):
        factories.MonthlyTargetFactory(goal=goal, month=month(number), value=Decimal("100000"))
    factories.QualitativeGoalFactory(plan=plan, title="Trusted partner", target_rating=4, order=2)
    result(goal, 1, "100000", "90000", status=GoalStatus.AT_RISK, deviation_percent=Decimal(-10))
    result(goal, 2, "100000", None, status=GoalStatus.AT_RISK)
    open_deviation(goal)
    closed = open_deviation(goal, days_ago=30)
    Deviation.objects.filter(pk=closed.pk).update(
        opened_for=closed.opened_for - datetime.timedelta(days=1), closed_at=timezone.now()
    )
    factories.MeasureFactory(
        plan=plan, title="-5 % price for volume", planned_cost=Decimal("2500.5"), goals=[goal]
    )
    return plan


def sheets(content: bytes) -> dict[str, list[tuple]]:
    book = load_workbook(io.BytesIO(content))
    return {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)] for ws in book}


def cells(content: bytes):
    book = load_workbook(io.BytesIO(content))
    return {ws.title: ws for ws in book}


# --- plan workbook ------------------------------------------------------------------------------


def test_the_plan_workbook_has_goals_with_targets_results_and_open_deviations(plan):
    content = exports.plan_workbook(plan=plan)

    book = sheets(content)
    assert list(book) == [
        "Goals",
        "Monthly results",
        "Open deviations",
        "Opportunities and risks",
        "Action plan",
    ]
    goals = book["Goals"]
    assert goals[0][:11] == (
        "Goal",
        "Kind",
        "KPI",
        "Unit",
        "Scorecard perspective",
        "KAM goal area",
        "Owner",
        "Weight",
        "Baseline",
        "Annual target",
        "Target rating",
    )
    assert goals[0][11] == "Jan 2027" and goals[0][22] == "Dec 2027" and goals[0][23] == "Year"
    quantitative, qualitative = goals[1], goals[2]
    assert quantitative[0] == "'" + EVIL_GOAL  # neutralised
    assert quantitative[1:4] == ("Quantitative", "Revenue", "Currency")
    assert quantitative[7:11] == (30, 1000000, 1200000, None)
    assert quantitative[11:23] == (100000,) * 12
    assert quantitative[23] == 1200000  # the months summed, as revenue rolls up
    assert qualitative[0] == "Trusted partner"
    assert qualitative[9:12] == (None, 4, None)

    results = book["Monthly results"]
    assert results[0] == (
        "Goal",
        "Month",
        "Plan",
        "Actual",
        "Deviation",
        "Deviation (%)",
        "Plan year to date",
        "Actual year to date",
        "Year-end forecast",
        "Attainment (%)",
        "Status",
    )
    january, february = results[1], results[2]
    assert january[:6] == (
        "'" + EVIL_GOAL,
        datetime.datetime(YEAR, 1, 1),
        100000,
        90000,
        -10000,
        -10,
    )
    assert january[10] == "At risk"
    assert february[3] is None and february[10] is None  # no actual: no status shown

    deviations = book["Open deviations"]
    assert len(deviations) == 2  # the closed one is left out
    assert deviations[1][:4] == (
        "'" + EVIL_GOAL,
        "On track",
        "Off track",
        datetime.datetime(YEAR, 2, 1),
    )
    assert deviations[1][5] == 3

    swot = book["Opportunities and risks"]
    assert swot[1] == ("Strength", "Local service", 5, 3, 15)
    assert swot[2] == ("Threat", "'" + EVIL_SWOT, 4, 2, 8)

    measures = book["Action plan"]
    assert measures[1][0] == "'-5 % price for volume"
    assert measures[1][2] == "'" + EVIL_GOAL
    assert measures[1][6] == 2500.5


def test_numbers_stay_numeric_cells_and_formulas_never_appear(plan):
    book = cells(exports.plan_workbook(plan=plan))

    deviation = book["Monthly results"]["E2"]
    assert deviation.data_type == "n" and deviation.value == -10000
    assert deviation.number_format == "#,##0.00"
    assert book["Monthly results"]["B2"].is_date
    for ws in book.values():
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@")), cell.value


def test_the_plan_workbook_costs_the_same_queries_for_more_goals(account):
    def build(goals: int) -> int:
        plan = factories.AccountPlanFactory(account=account)
        for _ in range(goals):
            goal = factories.GoalFactory(plan=plan)
            factories.MonthlyTargetFactory(goal=goal, month=month(1))
            result(goal, 1, "10", "9")
            open_deviation(goal)
            factories.SwotItemFactory(plan=plan)
            factories.MeasureFactory(plan=plan, goals=[goal])
        with CaptureQueriesContext(connection) as captured:
            exports.plan_workbook(plan=plan)
        return len(captured)

    assert build(2) == build(20) <= 7


def test_the_plan_export_downloads_with_a_proper_file_name(client, owner, plan):
    client.force_login(owner)

    response = client.get(reverse("controlling:plan_export_xlsx", args=[plan.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == workbooks.XLSX_TYPE
    number = plan.account.customer_number.lower()
    assert response["Content-Disposition"] == (
        f'attachment; filename="account-plan-{number}-{YEAR}.xlsx"'
    )
    assert "no-store" in response["Cache-Control"]
    assert sheets(response.content)["Goals"][1][0] == "'" + EVIL_GOAL


def test_the_plan_page_links_to_both_exports(client, owner, plan):
    client.force_login(owner)

    html = client.get(plan.get_absolute_url()).content.decode()

    assert reverse("controlling:plan_export_xlsx", args=[plan.pk]) in html
    assert reverse("controlling:plan_export_pdf", args=[plan.pk]) in html


# --- plan PDF -----------------------------------------------------------------------------------


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_plan_pdf_has_all_five_steps(client, owner, plan):
    client.force_login(owner)

    response = client.get(reverse("controlling:plan_export_pdf", args=[plan.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    number = plan.account.customer_number.lower()
    assert response["Content-Disposition"] == (
        f'attachment; filename="account-plan-{number}-{YEAR}.pdf"'
    )
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    assert f"Account plan {plan.account.name}" in text
    for heading in (
        "1. Status quo",
        "2. Opportunities and risks",
        "3. Goals",
        "4. Action plan",
        "5. Controlling frame",
    ):
        assert heading in text
    assert "We supply the gear motors." in text
    assert EVIL_SWOT in text and "HYPERLINK" in text  # in a PDF they are mere text
    assert "1,234,567.50" in text  # prior-year revenue, English format
    assert "Monthly targets" in text and "1,200,000.00" in text
    assert "-5 % price for volume" in text and "2,500.50" in text
    assert "The plan is inside the strategic frame." in text


def test_the_plan_pdf_is_german_for_a_german_user(client, owner, plan, settings):
    client.force_login(owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"

    response = client.get(reverse("controlling:plan_export_pdf", args=[plan.pk]))

    text = pdf_text(response.content)
    assert "1.234.567,50" in text
    assert "2.500,50" in text
    assert "Jan. 27" in text or "Jan 27" in text  # German month abbreviation of the targets


def test_the_plan_pdf_lists_frame_violations(client, leadership, plan):
    factories.FrameRuleFactory(
        kind="cost_cap", kpi=None, min_change_percent=None, cost_cap=Decimal(1000)
    )
    client.force_login(leadership)

    text = pdf_text(client.get(reverse("controlling:plan_export_pdf", args=[plan.pk])).content)

    assert "exceed the cap" in text
    assert "inside the strategic frame" not in text


def test_an_empty_plan_still_renders(client, owner, account):
    empty = factories.AccountPlanFactory(account=account, fiscal_year=YEAR + 1)
    client.force_login(owner)

    response = client.get(reverse("controlling:plan_export_pdf", args=[empty.pk]))

    text = pdf_text(response.content)
    assert "No goals yet." in text and "No measures yet." in text


# --- visibility ---------------------------------------------------------------------------------


PLAN_EXPORTS = ["controlling:plan_export_xlsx", "controlling:plan_export_pdf"]
# For the registry of covered URLs (tests/controlling/test_actuals.py).
URLS = [
    ("plan_export_xlsx", "get"),
    ("plan_export_pdf", "get"),
    ("dashboard_export", "get"),
    ("dashboard_export", "post"),
    ("dashboard_export_download", "get"),
]


@pytest.mark.parametrize("name", PLAN_EXPORTS)
@pytest.mark.parametrize(
    ("persona", "status"),
    access.account_page_answers(method="get", read=True),
)
def test_who_may_download_a_plan(client, login_as, plan, name, persona, status):
    login_as(persona)

    assert access.answer(client.get(reverse(name, args=[plan.pk]))) == status


@pytest.mark.parametrize("name", PLAN_EXPORTS)
def test_an_unknown_plan_is_404(client, outsider, plan, name):
    client.force_login(outsider)
    assert client.get(reverse(name, args=[plan.pk + 999])).status_code == 404


@pytest.mark.parametrize("name", PLAN_EXPORTS)
def test_exports_only_answer_get(client, owner, plan, name):
    client.force_login(owner)

    assert client.post(reverse(name, args=[plan.pk])).status_code == 405


# --- leadership dashboard workbook --------------------------------------------------------------


DASHBOARD = reverse("controlling:dashboard_export")


def state(goal, percent, status=GoalStatus.ON_TRACK, **figures):
    from controlling.models import GoalState

    return GoalState.objects.create(
        goal=goal,
        status=status,
        attainment_percent=Decimal(percent),
        computed_at=timezone.now(),
        **figures,
    )


@pytest.fixture
def portfolio(account, outsider):
    """Two accounts in FY 2027: the persona's (key tier, two goals, deviations, costs, two
    products sold) and a strategic one of another manager with nothing but a plan."""
    plan = factories.AccountPlanFactory(
        account=account, fiscal_year=YEAR, status="approved", budget=Decimal(9000)
    )
    revenue = factories.GoalFactory(plan=plan, title=EVIL_GOAL, weight=10, perspective="finance")
    care = factories.QualitativeGoalFactory(plan=plan, title="Trusted partner", weight=30)
    state(revenue, 100, ytd_plan=Decimal(300), ytd_actual=Decimal(300))
    state(care, 60, status=GoalStatus.OFF_TRACK)
    countermeasure = factories.MeasureFactory(
        plan=plan, planned_cost=Decimal(5000), actual_cost=Decimal(1000), is_countermeasure=True
    )
    worst = open_deviation(revenue, days_ago=3)
    answered = open_deviation(care, days_ago=10, countermeasure=countermeasure)
    Deviation.objects.filter(pk=answered.pk).update(to_status=GoalStatus.AT_RISK)
    for _ in range(2):
        factories.SellingPositionFactory(account=account)
    factories.SellingPositionFactory(
        account=account, stage="potential", potential_revenue=Decimal(1000), probability=40
    )
    other = factories.KeyAccountFactory(name="Zeta Strategic AG", tier="strategic", country="CH")
    factories.AccountPlanFactory(account=other, fiscal_year=YEAR)
    refresh_figures()
    return {"worst": worst, "other": other}


def export(client, user, **params) -> DashboardExport:
    """Ask for the dashboard workbook of these filters as `user`; eager Celery writes it when
    the request's transaction commits."""
    client.force_login(user)
    query = urlencode(params)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(DASHBOARD, {"query": query})
    assert response.status_code == 302
    assert response["Location"] == f"{DASHBOARD}?{query}"
    return DashboardExport.objects.filter(user=user).latest("created_at", "pk")


def download(client, user, year: int = YEAR, **params) -> dict[str, list[tuple]]:
    finished = export(client, user, fiscal_year=YEAR, **params)
    assert finished.state == ExportState.DONE
    response = client.get(finished.get_absolute_url())
    assert response.status_code == 200
    assert response["Content-Type"] == workbooks.XLSX_TYPE
    assert response["Content-Disposition"] == (
        f'attachment; filename="leadership-dashboard-{year}.xlsx"'
    )
    return sheets(response.content)


def test_the_dashboard_workbook_has_every_table_of_the_dashboard(
    client, leadership, account, portfolio
):
    book = download(client, leadership)

    assert list(book) == [
        "Filters",
        "Attainment",
        "Worst deviations",
        "Without countermeasure",
        "Costs and return",
        "Selling funnel",
        "Whitespace",
    ]
    assert book["Filters"][1:6] == (
        [("Fiscal year", YEAR), ("Region", "All"), ("Tier", "All")]
        + [("Key account manager", "All"), ("Accounts", 2)]
    )

    attainment = book["Attainment"]
    header = attainment[0]
    assert header[:9] == (
        "Key account",
        "Customer number",
        "Key account manager",
        "Tier",
        "Plan status",
        "Attainment (%)",
        "Band",
        "Goals measured",
        "Health score",
    )
    row = dict(zip(header, attainment[1], strict=True))
    assert row["Key account"] == account.name
    assert row["Plan status"] == "Approved"
    assert row["Attainment (%)"] == 70  # (100 x 10 + 60 x 30) / 40
    assert row["Band"] == "Off track"
    assert row["Finance"] == 100 and row["Customer and market"] == 60
    assert row["Care quality"] == 60 and row["Process"] is None
    assert isinstance(row["Health score"], int)
    assert attainment[2][0] == "Zeta Strategic AG" and attainment[2][5] is None

    worst = book["Worst deviations"]
    assert [(r[1], r[4]) for r in worst[1:]] == [
        ("'" + EVIL_GOAL, "Off track"),
        ("Trusted partner", "At risk"),
    ]
    assert worst[1][4] == "Off track" and worst[1][7] == 3
    without = book["Without countermeasure"]
    assert len(without) == 2 and without[1][1] == "'" + EVIL_GOAL

    costs = book["Costs and return"]
    mine = dict(zip(costs[0], costs[1], strict=True))
    assert (mine["Planned cost"], mine["Actual cost"], mine["Budget"]) == (5000, 1000, 9000)
    assert mine["Budget used (%)"] == 11.1
    assert mine["Revenue actual year to date"] == 300
    assert costs[-1][0] == "Total" and costs[-1][2:4] == (5000, 1000)

    funnel = {r[0]: r[1:] for r in book["Selling funnel"][1:]}
    assert funnel["Cross-selling (products)"] == (1, 1)
    assert funnel["Single product"] == (1, 2)

    whitespace = book["Whitespace"]
    assert whitespace[1] == (account.name, 1000, 400)
    assert whitespace[-1] == ("Total", 1000, 400)


def test_the_dashboard_workbook_applies_the_filters(client, leadership, account, portfolio):
    book = download(client, leadership, tier="strategic")

    assert [r[0] for r in book["Attainment"][1:]] == ["Zeta Strategic AG"]
    assert len(book["Worst deviations"]) == 1
    assert ("Tier", "Strategic account") in book["Filters"]

    book = download(client, leadership, owner=account.owner.pk)
    assert [r[0] for r in book["Attainment"][1:]] == [account.name]


def test_a_manager_exports_only_the_accounts_they_may_see(
    client, owner, outsider, account, portfolio
):
    mine = download(client, owner)
    assert [r[0] for r in mine["Attainment"][1:]] == [account.name]

    # No plan of FY 2027 among the outsider's accounts: the dashboard falls back to this year.
    theirs = download(client, outsider, year=fiscal_year_for(timezone.localdate()))
    assert len(theirs["Attainment"]) == 1  # the header only
    assert len(theirs["Worst deviations"]) == 1
    assert ("Accounts", 0) in theirs["Filters"]


def test_the_dashboard_page_links_to_its_export_with_the_same_filters(
    client, leadership, portfolio
):
    client.force_login(leadership)

    html = client.get(reverse("controlling:dashboard"), {"tier": "key"}).content.decode()

    assert f'href="{DASHBOARD}?tier=key"' in html
    partial = client.get(
        reverse("controlling:dashboard"), {"tier": "strategic"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert f'href="{DASHBOARD}?tier=strategic"' in partial


def test_anonymous_visitors_are_sent_to_the_login(client):
    assert access.answer(client.get(DASHBOARD)) == access.LOGIN


def test_the_dashboard_workbook_costs_the_same_queries_for_5_and_50_accounts(leadership):
    def build(count: int) -> int:
        for n in range(count):
            plan = factories.AccountPlanFactory(fiscal_year=YEAR, budget=Decimal(1000))
            goal = factories.GoalFactory(plan=plan)
            state(goal, 80 + n % 30, ytd_plan=Decimal(10), ytd_actual=Decimal(9))
            open_deviation(goal)
            factories.MeasureFactory(plan=plan)
            factories.SellingPositionFactory(account=plan.account)
            factories.StakeholderFactory(account=plan.account)
        with CaptureQueriesContext(connection) as captured:
            exports.dashboard_export(user=leadership, data={"fiscal_year": str(YEAR)})
        return len(captured)

    assert build(5) == build(45)


# --- the dashboard workbook in the background ---------------------------------------------------


def test_the_export_page_names_the_filters_and_lists_the_finished_workbook(
    client, leadership, portfolio
):
    finished = export(client, leadership, fiscal_year=YEAR, tier="key", region="DE")
    assert (finished.state, finished.language, finished.query) == (
        ExportState.DONE,
        "en",
        f"fiscal_year={YEAR}&tier=key&region=DE",
    )
    assert finished.file_name == f"leadership-dashboard-{YEAR}.xlsx"
    assert finished.size == len(finished.content) > 0

    page = client.get(DASHBOARD, {"fiscal_year": YEAR, "tier": "key", "region": "DE"})
    page = page.content.decode()
    filters = page.split('id="export-filters"')[1].split("</dl>")[0]
    assert "Tier</dt>" in filters and "Key account</dd>" in filters
    assert "Germany</dd>" in filters
    row = page.split(f'data-export="{finished.pk}"')[1].split("</tr>")[0]
    assert f'href="{finished.get_absolute_url()}"' in row
    assert f"Fiscal year: FY {YEAR} · Region: Germany · Tier: Key account" in row
    assert "hx-trigger" not in page  # nothing being prepared


def test_an_export_is_written_in_the_language_it_was_asked_in(client, leadership, portfolio):
    client.cookies.load({"django_language": "de"})
    finished = export(client, leadership)
    assert finished.language == "de"
    assert finished.file_name.startswith("leadership-dashboard") is False
    book = sheets(client.get(finished.get_absolute_url()).content)
    assert "Zielerreichung" in book


def test_only_its_requester_may_see_or_download_an_export(
    client, leadership, administrator, portfolio
):
    finished = export(client, leadership)

    client.force_login(administrator)
    assert client.get(finished.get_absolute_url()).status_code == 404
    assert f'data-export="{finished.pk}"' not in client.get(DASHBOARD).content.decode()
    client.logout()
    assert access.answer(client.get(finished.get_absolute_url())) == access.LOGIN


def test_a_failed_export_says_so_and_offers_nothing_to_download(
    client, leadership, portfolio, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(exports, "dashboard_export", broken)
    failed = export(client, leadership)

    assert failed.state == ExportState.FAILED and failed.content is None
    assert failed.finished_at is not None
    assert client.get(failed.get_absolute_url()).status_code == 404
    row = client.get(DASHBOARD).content.decode().split(f'data-export="{failed.pk}"')[1]
    assert row.startswith(' data-state="failed"') and "Failed" in row.split("</tr>")[0]


def test_the_page_refreshes_its_list_while_an_export_is_prepared(client, leadership):
    queued = DashboardExport.objects.create(user=leadership, query="tier=key", language="en")
    client.force_login(leadership)

    page = client.get(DASHBOARD).content.decode()
    assert 'hx-trigger="every 2s"' in page
    assert 'data-state="queued"' in page
    partial = client.get(DASHBOARD, headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<section id="exports"')
    assert "<html" not in partial

    assert exports.dashboard_export_build(queued.pk) == ExportState.DONE
    assert exports.dashboard_export_build(queued.pk) == "gone"  # a second delivery
    partial = client.get(DASHBOARD, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in partial
    assert 'data-state="done"' in partial


def test_exports_older_than_a_day_go_when_the_next_is_asked_for(client, leadership, owner):
    old = DashboardExport.objects.create(
        user=leadership,
        language="en",
        created_at=timezone.now() - exports.EXPORT_KEEP - datetime.timedelta(minutes=1),
    )
    recent = DashboardExport.objects.create(user=leadership, language="en")
    others = DashboardExport.objects.create(user=owner, language="en", created_at=old.created_at)

    export(client, leadership)

    remaining = set(DashboardExport.objects.values_list("pk", flat=True))
    assert old.pk not in remaining
    assert {recent.pk, others.pk} <= remaining


@pytest.mark.services
def test_a_real_worker_on_redis_writes_the_dashboard_workbook(celery_worker, client, leadership):
    factories.AccountPlanFactory(fiscal_year=YEAR)
    client.force_login(leadership)

    # No transaction around the request (transactional_db): the task is queued on commit.
    assert client.post(DASHBOARD, {"query": f"fiscal_year={YEAR}"}).status_code == 302

    asked = DashboardExport.objects.get(user=leadership)
    deadline = time.monotonic() + 30
    while asked.state == ExportState.QUEUED and time.monotonic() < deadline:
        time.sleep(0.2)
        asked.refresh_from_db()
    assert asked.state == ExportState.DONE
    book = sheets(client.get(asked.get_absolute_url()).content)
    assert ("Fiscal year", YEAR) in book["Filters"]


def test_an_export_no_worker_took_shows_as_not_started(client, leadership):
    DashboardExport.objects.create(
        user=leadership,
        language="en",
        created_at=timezone.now() - EXPORT_START_WITHIN - datetime.timedelta(minutes=1),
    )
    client.force_login(leadership)
    page = client.get(DASHBOARD).content.decode()
    assert "Not started" in page
    assert "hx-trigger" not in page  # no endless polling


def test_a_posted_query_is_stored_well_formed(client, leadership):
    client.force_login(leadership)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(DASHBOARD, {"query": "tier=key\r\nSet-Cookie: x=1&region=D E"})
    asked = DashboardExport.objects.get(user=leadership)
    assert asked.query == "tier=key%0D%0ASet-Cookie%3A+x%3D1&region=D+E"
    assert response["Location"] == f"{DASHBOARD}?{asked.query}"
