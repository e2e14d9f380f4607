"""No page is wider than the window: every main page, in English and German, on a desktop
(1,440 px) and a phone (390 px), for leadership and for a key account manager, with data wide
enough to push tables and tab bars past the edge. Wide tables scroll in their own box, the
account tabs stay one row with the open tab in view, and the page never scrolls sideways.
A screenshot of each page for looking at what a run saw."""

from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page

from controlling.models import Actual
from tests import factories
from tests.controlling.dashboard_data import full_account, month, refresh_figures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "secret-pass-123"  # what tests.factories.UserFactory sets
WIDTHS = {"desktop": 1440, "phone": 390}
LANGUAGES = ["en", "de"]
# Long names as real customers have them: a word this long forces its cell wide unless it wraps.
NAMES = [
    "Nordwerk Antriebstechnik Vertriebsgesellschaft mbH & Co. KG",
    "Alpina Verpackungsmaschinenbau AG",
    "Meridian Foods Ltd",
    "Baltic Timber AB",
    "Cascade Automotive Inc",
    "Helvetia Pharma AG",
]


@pytest.fixture
def portfolio(settings, owner):
    settings.KAM_FISCAL_YEAR_START_MONTH = 1
    other = factories.UserFactory(username="ben", first_name="Ben", last_name="Carter")
    accounts = []
    for n, name in enumerate(NAMES):
        account = full_account(owner if n % 2 == 0 else other, n * 3)
        account.name = name
        account.save()
        accounts.append(account)
        plan = account.plans.get()
        # Twelve months of targets, most of a year of actuals.
        revenue = plan.goals.get(kpi__code="revenue")
        revenue.title = "Umsatzsteigerung Antriebskomponenten Bestandskunden"
        revenue.save()
        for number in range(2, 13):
            factories.MonthlyTargetFactory(
                goal=revenue, month=month(number), value=Decimal(1234567)
            )
            if number <= 9:
                Actual.objects.create(
                    account=account, kpi=revenue.kpi, month=month(number), value=1187654
                )
        factories.SwotItemFactory(plan=plan)
        factories.InteractionFactory(account=account)
        factories.MarketStageFactory(account=account)
        for _ in range(3):
            factories.SellingPositionFactory(account=account)
    refresh_figures()
    return accounts


def log_in(page: Page, user) -> None:
    page.goto("/auth/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/auth/login/" not in url)


def leadership_pages(accounts) -> list[tuple[str, str]]:
    return [
        ("dashboard", reverse("controlling:dashboard")),
        ("accounts", reverse("accounts:list")),
        ("portfolio", reverse("accounts:portfolio")),
        ("approvals", reverse("goals:approvals")),
        ("pipeline", reverse("goals:pipeline")),
        ("deviations", reverse("controlling:deviations")),
        ("runs", reverse("controlling:runs")),
    ]


def manager_pages(accounts) -> list[tuple[str, str]]:
    account = accounts[0]
    plan = account.plans.get()
    goal = plan.goals.get(kpi__code="revenue")
    pk = {"pk": account.pk}
    return [
        ("home", reverse("controlling:home")),
        ("accounts", reverse("accounts:list")),
        ("account-overview", reverse("accounts:detail", kwargs=pk)),
        ("account-team", reverse("accounts:team", kwargs=pk)),
        ("account-sites", reverse("accounts:sites", kwargs=pk)),
        ("account-stakeholders", reverse("accounts:stakeholders", kwargs=pk)),
        ("account-map", reverse("accounts:relationship_map", kwargs=pk)),
        ("account-interactions", reverse("accounts:interactions", kwargs=pk)),
        ("account-markets", reverse("accounts:market_stages", kwargs=pk)),
        ("account-scoring", reverse("accounts:scoring", kwargs=pk)),
        ("account-plans", reverse("goals:plan_list", kwargs={"account_pk": account.pk})),
        ("account-selling", reverse("goals:selling_positions", kwargs={"account_pk": account.pk})),
        ("account-changes", reverse("accounts:history", kwargs=pk)),
        ("plan-status-quo", reverse("goals:plan_detail", kwargs={"pk": plan.pk})),
        ("plan-goals", reverse("goals:goals", kwargs={"pk": plan.pk})),
        (
            "plan-targets",
            reverse("goals:goal_detail", kwargs={"pk": plan.pk, "goal_pk": goal.pk}),
        ),
        ("plan-measures", reverse("goals:measures", kwargs={"pk": plan.pk})),
        ("plan-actuals", reverse("controlling:plan_actuals", kwargs={"pk": plan.pk})),
        ("plan-controlling", reverse("controlling:plan_controlling", kwargs={"pk": plan.pk})),
        ("deviations", reverse("controlling:deviations")),
        ("pipeline", reverse("goals:pipeline")),
    ]


def overflowing_pages(browser: Browser, live_server, screenshot, user, pages, size: str):
    """Each page that scrolls sideways, with how wide it is; a screenshot of every page."""
    width = WIDTHS[size]
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": width, "height": 900},
        locale="en-GB",
        reduced_motion="reduce",
    )
    wide = []
    try:
        page = context.new_page()
        log_in(page, user)
        for language in LANGUAGES:
            context.add_cookies(
                [{"name": "django_language", "value": language, "url": live_server.url}]
            )
            for name, url in pages:
                response = page.goto(url)
                assert response is not None and response.ok, (url, response and response.status)
                assert page.evaluate("document.documentElement.lang") == language
                page.wait_for_load_state("load")
                scroll, inner = page.evaluate(
                    "[document.documentElement.scrollWidth, window.innerWidth]"
                )
                if scroll > inner:
                    wide.append(f"{name} ({language}): {scroll} px")
                # The account tabs are one row that scrolls; the open tab is in view.
                tab = page.locator(".account-tabs .nav-link.active")
                if tab.count():
                    box = tab.bounding_box()
                    assert box is not None
                    if box["x"] < 0 or box["x"] + box["width"] > inner:
                        wide.append(f"{name} ({language}): active tab out of view")
                    tabs = page.locator(".account-tabs").bounding_box()
                    if inner < 576 and (tabs is None or tabs["height"] > 60):
                        wide.append(f"{name} ({language}): account tabs wrap")
                screenshot(page, f"layout-{user.username}-{size}-{language}-{name}")
    finally:
        context.close()
    return wide


@pytest.mark.parametrize("size", WIDTHS)
def test_leadership_pages_fit_the_window(
    browser: Browser, live_server, screenshot, leadership, portfolio, size
):
    pages = leadership_pages(portfolio)
    assert overflowing_pages(browser, live_server, screenshot, leadership, pages, size) == []


@pytest.mark.parametrize("size", WIDTHS)
def test_manager_pages_fit_the_window(
    browser: Browser, live_server, screenshot, owner, portfolio, size
):
    pages = manager_pages(portfolio)
    assert overflowing_pages(browser, live_server, screenshot, owner, pages, size) == []
