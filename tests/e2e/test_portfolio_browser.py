"""Scoring an account and reading the portfolio matrix in a real browser."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "secret-pass-123"  # what tests.factories.UserFactory sets
CHART = "canvas[data-chart='portfolio-chart']"


@pytest.fixture
def portfolio(account, owner):
    """Criteria on both axes; the fixture's account unscored, two more already placed."""
    factories.PortfolioCriterionFactory(name_en="Growth potential", weight=3)
    factories.PortfolioCriterionFactory(name_en="Margin potential", weight=1)
    factories.PortfolioCriterionFactory(name_en="Technical fit", axis="relative_strength")
    account.attractiveness = account.relative_strength = None
    account.save()
    return [
        account,
        factories.KeyAccountFactory(
            owner=owner,
            name="Alpina Pack AG",
            country="CH",
            attractiveness=80,
            relative_strength=20,
        ),
        factories.KeyAccountFactory(
            owner=owner,
            name="Baltic Timber AB",
            country="SE",
            attractiveness=20,
            relative_strength=30,
        ),
    ]


def log_in(page: Page, user) -> None:
    page.goto("/auth/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def datasets(page: Page) -> dict[str, list[str]]:
    """The chart's points by dataset, read from the Chart.js instance on the canvas."""
    return page.evaluate(
        """(selector) => {
            const chart = Chart.getChart(document.querySelector(selector));
            return Object.fromEntries(chart.data.datasets.map(
                (d) => [d.label, d.data.map((p) => p.label)]));
        }""",
        CHART,
    )


def test_an_owner_scores_an_account_and_finds_it_in_the_portfolio_matrix(
    page: Page, console_errors, screenshot, owner, portfolio
):
    account = portfolio[0]
    log_in(page, owner)

    page.goto(f"/accounts/{account.pk}/")
    page.get_by_role("link", name="Portfolio scoring").click()
    page.get_by_label("Growth potential").fill("10")
    page.get_by_label("Margin potential").fill("1")
    page.get_by_label("Technical fit").fill("7")
    page.get_by_label("Note").fill("After the plant visit")
    page.get_by_role("button", name="Save scoring").click()

    expect(page.locator(".alert-success")).to_contain_text("Portfolio scoring saved.")
    expect(page.get_by_text("After the plant visit")).to_be_visible()
    account.refresh_from_db()
    assert (account.attractiveness, account.relative_strength) == (75, 67)
    screenshot(page, "portfolio-scoring")

    # With reduced motion the chart is drawn at once, which also makes the screenshot sharp.
    page.emulate_media(reduced_motion="reduce")
    page.get_by_role("link", name="Portfolio", exact=True).click()
    expect(page).to_have_url(re.compile(r"/accounts/portfolio/$"))
    expect(page.locator(f"{CHART}[data-chart-ready]")).to_be_visible()
    animation = f"Chart.getChart(document.querySelector({CHART!r})).options.animation"
    assert page.evaluate(animation) is False
    assert datasets(page) == {
        "Key strategic accounts": ["Nordwerk Antriebe"],
        "Key development accounts": ["Alpina Pack AG"],
        "Key status accounts": [],
        "Key streamline accounts": ["Baltic Timber AB"],
    }
    box = page.locator(CHART).bounding_box()
    assert box["width"] > 300 and box["height"] > 300
    screenshot(page, "portfolio-matrix")

    # The filter swaps only the matrix through htmx; the chart is drawn again.
    page.evaluate("window.kamNoReload = true")
    page.get_by_label("Country").select_option("CH")
    expect(page).to_have_url(re.compile(r"[?&]country=CH"))
    expect(page.locator(f"{CHART}[data-chart-ready]")).to_be_visible()
    page.wait_for_function(
        """(selector) => {
            const chart = Chart.getChart(document.querySelector(selector));
            return chart && chart.data.datasets.flatMap((d) => d.data).length === 1;
        }""",
        arg=CHART,
    )
    assert datasets(page)["Key development accounts"] == ["Alpina Pack AG"]
    expect(page.locator("#matrix")).to_have_count(1)
    assert page.evaluate("window.kamNoReload") is True

    # The table fallback carries the same figures.
    page.get_by_text("Table", exact=True).click()
    table = page.locator("#portfolio-chart-table")
    expect(table.get_by_role("link", name="Alpina Pack AG")).to_be_visible()
    expect(table.get_by_role("cell", name="80", exact=True)).to_be_visible()

    assert console_errors == []


def test_chart_numbers_follow_the_page_language(page: Page, console_errors, owner, portfolio):
    log_in(page, owner)
    page.goto("/accounts/portfolio/")
    page.locator("#language-select").select_option("de")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator(f"{CHART}[data-chart-ready]")).to_be_visible()

    assert (
        page.evaluate(f"Chart.getChart(document.querySelector({CHART!r})).options.animation")
        is not False
    )  # no reduced-motion preference here: animated
    tick = page.evaluate(
        """(selector) => {
            const chart = Chart.getChart(document.querySelector(selector));
            return chart.options.scales.y.ticks.callback(1234.5);
        }""",
        CHART,
    )
    assert tick == "1.235"  # whole numbers on the 0-100 axes, grouped the German way
    assert console_errors == []
