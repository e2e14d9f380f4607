"""The leadership dashboard and the manager home in a real browser: charts drawn, a filter
applied through htmx, no console errors; screenshots of both pages for the docs."""

import re

import pytest
from playwright.sync_api import Page, expect

from controlling.models import Actual
from tests import factories
from tests.controlling.dashboard_data import full_account, month, refresh_figures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "secret-pass-123"  # what tests.factories.UserFactory sets
CHARTS = ["dashboard-portfolio", "dashboard-funnel", "dashboard-revenue"]
NAMES = [
    ("Nordwerk Antriebe GmbH", "strategic"),
    ("Alpina Pack AG", "key"),
    ("Meridian Foods Ltd", "key"),
    ("Baltic Timber AB", "development"),
    ("Cascade Automotive Inc", "strategic"),
    ("Helvetia Pharma AG", "key"),
]


@pytest.fixture
def portfolio(settings, owner):
    settings.KAM_FISCAL_YEAR_START_MONTH = 1
    other = factories.UserFactory(username="ben", first_name="Ben", last_name="Carter")
    accounts = []
    for n, (name, tier) in enumerate(NAMES):
        account = full_account(owner if n % 2 == 0 else other, n * 3)
        account.name, account.tier = name, tier
        account.save()
        accounts.append(account)
        # A year of revenue targets and most of a year of actuals, for a telling line chart.
        revenue = account.plans.get().goals.get(kpi__code="revenue")
        for number in range(2, 13):
            factories.MonthlyTargetFactory(goal=revenue, month=month(number), value=100 + n * 10)
            if number <= 9:
                Actual.objects.create(
                    account=account, kpi=revenue.kpi, month=month(number), value=90 + n * 12
                )
    refresh_figures()
    return accounts


def log_in(page: Page, user) -> None:
    page.goto("/auth/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def chart_points(page: Page, chart_id: str) -> int:
    """How many points the Chart.js instance on the canvas draws."""
    return page.evaluate(
        """(id) => {
            const chart = Chart.getChart(document.querySelector(`canvas[data-chart="${id}"]`));
            return chart ? chart.data.datasets.flatMap((d) => d.data).length : -1;
        }""",
        chart_id,
    )


def test_leadership_filters_the_dashboard_and_the_charts_render(
    page: Page, console_errors, screenshot, leadership, portfolio
):
    page.emulate_media(reduced_motion="reduce")
    log_in(page, leadership)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/controlling/dashboard/$"))
    expect(page.get_by_role("heading", name="Leadership dashboard")).to_be_visible()

    for chart in CHARTS:
        expect(page.locator(f"canvas[data-chart='{chart}'][data-chart-ready]")).to_be_visible()
    assert chart_points(page, "dashboard-portfolio") == 6
    heatmap = page.locator("#heatmap-table")
    for name, _tier in NAMES:
        expect(heatmap.get_by_role("link", name=name)).to_be_visible()
    screenshot(page, "leadership-dashboard")

    # The filter swaps only the dashboard through htmx, and the charts are drawn again.
    page.evaluate("window.kamNoReload = true")
    page.get_by_label("Tier").select_option("strategic")
    expect(page).to_have_url(re.compile(r"[?&]tier=strategic"))
    page.wait_for_function(
        """() => {
            const canvas = document.querySelector('canvas[data-chart="dashboard-portfolio"]');
            const chart = canvas && Chart.getChart(canvas);
            return chart && chart.data.datasets.flatMap((d) => d.data).length === 2;
        }"""
    )
    for chart in CHARTS:
        expect(page.locator(f"canvas[data-chart='{chart}'][data-chart-ready]")).to_be_visible()
    expect(heatmap.get_by_role("link", name="Alpina Pack AG")).to_have_count(0)
    expect(
        page.locator("#heatmap-table").get_by_role("link", name="Cascade Automotive Inc")
    ).to_be_visible()
    expect(page.locator("#dashboard")).to_have_count(1)
    assert page.evaluate("window.kamNoReload") is True

    # The tables behind the charts carry the same figures, with links to their sources.
    page.locator("#dashboard-funnel-figure").get_by_text("Table", exact=True).click()
    expect(page.locator("#dashboard-funnel-table").get_by_role("link").first).to_be_visible()
    assert console_errors == []


def test_a_manager_starts_the_day_at_home(page: Page, console_errors, screenshot, owner, portfolio):
    log_in(page, owner)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/controlling/home/$"))
    expect(page.get_by_role("heading", name="My day")).to_be_visible()
    accounts = page.locator("#home-accounts")
    for name, _tier in NAMES[::2]:
        expect(accounts.get_by_role("link", name=name)).to_be_visible()
    for name, _tier in NAMES[1::2]:
        expect(accounts.get_by_role("link", name=name)).to_have_count(0)
    expect(page.locator("#home-deviations tbody tr")).to_have_count(3)
    screenshot(page, "manager-home")

    page.locator("#home-deviations").get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/controlling/deviations/\d+/$"))
    assert console_errors == []
