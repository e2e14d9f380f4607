"""Planning a goal's months in a real browser: the htmx grid keeps its total honest."""

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "secret-pass-123"  # what tests.factories.UserFactory sets


def log_in(page: Page, user) -> None:
    page.goto("/auth/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_an_owner_spreads_and_edits_monthly_targets_inline(
    page: Page, console_errors, screenshot, owner, account
):
    plan = factories.AccountPlanFactory(account=account, fiscal_year=2027)
    goal = factories.GoalFactory(
        plan=plan, title="Grow revenue", annual_target=Decimal("1200000.00")
    )
    log_in(page, owner)

    page.goto(goal.get_absolute_url())
    expect(page.locator("#targets-difference")).to_contain_text("No monthly targets yet")

    page.get_by_role("button", name="Spread evenly").click()
    expect(page.locator("#targets-total")).to_have_text("1,200,000.00")
    expect(page.locator("#targets-difference")).to_contain_text("add up to the annual target")

    # Typing a month away from the spread shows the gap at once, without a page load.
    page.evaluate("window.__still_here = true")
    january = page.locator("#targets-form td[data-month] input").first
    january.fill("150000")
    january.dispatch_event("change")
    expect(page.locator("#targets-total")).to_have_text("1,250,000.00")
    expect(page.locator("[data-targets-off]")).to_contain_text("50,000.00")
    assert page.evaluate("window.__still_here") is True
    screenshot(page, "goal-monthly-targets")

    assert goal.targets.count() == 12
    assert goal.targets.get(month="2027-01-01").value == Decimal("150000.00")
    assert console_errors == []
