"""The whitespace matrix in a real browser: an inline stage change updates the totals and the
dimension metrics without a page load."""

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from goals.models import SellingPosition
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "secret-pass-123"  # what tests.factories.UserFactory sets


def log_in(page: Page, user) -> None:
    page.goto("/auth/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_an_owner_changes_a_cell_inline(page: Page, console_errors, screenshot, owner, account):
    drives = factories.ProductGroupFactory(code="drives", name_en="Drives")
    gear = factories.OfferingFactory(code="gear", name_en="Gear motors", product_group=drives)
    factories.OfferingFactory(
        code="service", name_en="Field service", kind="service", product_group=None
    )
    bremen = factories.SiteFactory(account=account, name="Bremen", region="North", country="DE")
    graz = factories.SiteFactory(account=account, name="Graz", region="Styria", country="AT")
    factories.SellingPositionFactory(
        account=account,
        offering=gear,
        site=bremen,
        stage="sold",
        current_revenue=Decimal("40000"),
        customer_spend=None,
        potential_revenue=None,
    )
    log_in(page, owner)

    page.goto(f"/plans/selling/account/{account.pk}/whitespace/")
    cell = page.locator(f"#cell-{gear.pk}-{graz.pk}")
    expect(cell).to_have_class("ws-cell ws-empty")
    expect(page.locator(f"#row-total-{gear.pk}")).to_contain_text("40,000")
    expect(page.locator('[data-metric="sites"]')).to_have_text("1 / 2")
    expect(page.locator('[data-metric="path-stage"]')).to_have_text("Single product")

    page.evaluate("window.__still_here = true")
    page.get_by_role("link", name="Edit Gear motors at Graz").click()
    editor = page.locator("#cell-editor")
    editor.get_by_label("Stage").select_option("sold")
    editor.get_by_label("Current revenue").fill("25000")
    editor.get_by_role("button", name="Save").click()

    expect(cell).to_contain_text("S")
    expect(cell).to_have_attribute("data-stage", "sold")
    expect(page.locator(f"#row-total-{gear.pk}")).to_contain_text("65,000")
    expect(page.locator(f"#column-total-{graz.pk}")).to_contain_text("25,000")
    expect(page.locator("#grand-total")).to_contain_text("65,000")
    expect(page.locator('[data-metric="sites"]')).to_have_text("2 / 2")
    expect(page.locator('[data-metric="path-stage"]')).to_have_text("Cross-selling (organisation)")
    expect(editor).to_contain_text("Saved: Gear motors at Graz.")
    assert page.evaluate("window.__still_here") is True
    screenshot(page, "whitespace-matrix")

    # An invalid stage keeps the editor open with the reason, and changes nothing.
    page.get_by_role("link", name="Edit Gear motors for the whole account").click()
    editor.get_by_label("Stage").select_option("bundled")
    editor.get_by_role("button", name="Save").click()
    expect(editor).to_contain_text("A position in a solution bundle needs a solution offering.")
    expect(page.locator("#grand-total")).to_contain_text("65,000")

    assert SellingPosition.objects.get(site=graz).current_revenue == Decimal("25000")
    assert SellingPosition.objects.count() == 2
    assert console_errors == []
