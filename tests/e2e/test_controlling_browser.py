"""The plan controlling page and an alert, followed from the bell to a comment, in a browser."""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from controlling.models import Actual, DeviationComment
from controlling.services.alerts import alerts_raise
from controlling.services.engine import compute_goals
from goals.models import MonthlyTarget
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "secret-pass-123"  # what tests.factories.UserFactory sets
YEAR = 2027


@pytest.fixture
def worsened(account, settings):
    """A revenue goal on plan in January and far off plan by February, with its alert."""
    settings.KAM_FISCAL_YEAR_START_MONTH = 1
    plan = factories.AccountPlanFactory(account=account, fiscal_year=YEAR)
    goal = factories.GoalFactory(plan=plan, title="Grow revenue with drives")
    MonthlyTarget.objects.bulk_create(
        MonthlyTarget(goal=goal, month=datetime.date(YEAR, m, 1), value=Decimal(10000))
        for m in range(1, 13)
    )
    factories.MeasureFactory(plan=plan, planned_cost=Decimal(4000), actual_cost=Decimal(1500))
    kpi = factories.revenue_kpi()
    Actual.objects.create(
        account=account, kpi=kpi, month=datetime.date(YEAR, 1, 1), value=Decimal(10500)
    )
    compute_goals(account_ids=[account.pk])
    Actual.objects.create(
        account=account, kpi=kpi, month=datetime.date(YEAR, 2, 1), value=Decimal(4000)
    )
    compute_goals(account_ids=[account.pk])
    alerts_raise(account_ids=[account.pk])
    return goal


def log_in(page: Page, user) -> None:
    page.goto("/auth/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_manager_reads_plan_against_actual_and_answers_an_alert(
    page: Page, console_errors, screenshot, owner, worsened
):
    log_in(page, owner)
    page.goto(f"/plans/{worsened.plan_id}/frame/")
    page.locator("#plan-controlling-link").click()

    expect(page.locator("canvas[data-chart='plan-chart']")).to_have_attribute(
        "data-chart-ready", "true"
    )
    datasets = page.evaluate(
        """() => Chart.getChart(document.querySelector("canvas[data-chart='plan-chart']"))
            .data.datasets.map((d) => d.data.slice(0, 3))"""
    )
    assert datasets == [[10000, 20000, 30000], [10500, 14500, None]]
    section = page.locator(f"#goal-{worsened.pk}")
    expect(section.locator("tr[data-row='status'] td").nth(1)).to_have_text("Off track")
    expect(page.locator("#plan-deviations")).to_contain_text("Grow revenue with drives")
    screenshot(page, "plan-controlling")

    expect(page.locator("#unread-count")).to_have_text("1")
    page.locator("#notifications-link").click()
    # A button: opening it from the notifications marks it read (a POST).
    page.get_by_role("button", name="Open the deviation").click()
    expect(page.locator("#deviation-state")).to_have_text("Open")
    page.get_by_label("Comment").fill("Customer shifted the February call-offs to March.")
    page.get_by_role("button", name="Add comment").click()

    expect(page.locator(".alert-success")).to_contain_text("Comment saved.")
    expect(page.locator("#comments")).to_contain_text("February call-offs")
    expect(page.locator("#unread-count")).to_have_count(0)
    assert DeviationComment.objects.get().author == owner
    screenshot(page, "deviation")
    assert console_errors == []
