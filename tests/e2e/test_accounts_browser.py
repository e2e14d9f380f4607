"""An account manager's first walk through the app in a real browser."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "secret-pass-123"  # what tests.factories.UserFactory sets


@pytest.fixture
def portfolio(account, owner):
    """The owner's accounts: the fixture's Nordwerk Antriebe plus two more to filter away."""
    factories.SiteFactory(account=account, name="Bremen plant", city="Bremen")
    coo = factories.StakeholderFactory(
        account=account, name="Dr. Karin Vogt", title="COO", buying_role="decider", influence=5
    )
    factories.StakeholderFactory(account=account, name="Jens Albrecht")
    factories.InteractionFactory(
        account=account, stakeholders=[coo], summary="Account review with Dr. Karin Vogt."
    )
    others = [
        factories.KeyAccountFactory(owner=owner, name="Alpina Pack AG", country="CH"),
        factories.KeyAccountFactory(owner=owner, name="Meridian Foods Ltd", country="GB"),
    ]
    return [account, *others]


def test_an_owner_logs_in_filters_adds_a_site_switches_to_german_and_logs_out(
    page: Page, console_errors, screenshot, owner, portfolio
):
    account = portfolio[0]

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/auth/login/"))
    page.get_by_label("Username").fill(owner.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="My day")).to_be_visible()
    page.get_by_role("link", name="Key accounts", exact=True).click()
    expect(page.get_by_role("heading", name="Key accounts")).to_be_visible()
    results = page.locator("#results")
    for name in ("Nordwerk Antriebe", "Alpina Pack AG", "Meridian Foods Ltd"):
        expect(results.get_by_role("link", name=name)).to_be_visible()
    screenshot(page, "account-list")

    # The search refreshes only #results through htmx: a marker set on the window survives,
    # which a full page load would wipe out.
    page.evaluate("window.kamNoReload = true")
    page.get_by_label("Search by name or customer number").press_sequentially("Nordwerk")
    expect(results.get_by_role("link", name="Alpina Pack AG")).to_have_count(0)
    expect(results.get_by_role("link", name="Meridian Foods Ltd")).to_have_count(0)
    expect(results.get_by_role("link", name="Nordwerk Antriebe")).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]q=Nordwerk"))
    assert page.evaluate("window.kamNoReload") is True
    # The refresh replaces the results, it does not nest a second #results inside.
    expect(page.locator("#results")).to_have_count(1)

    results.get_by_role("link", name="Nordwerk Antriebe").click()
    expect(page.get_by_role("heading", name="Nordwerk Antriebe")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/accounts/{account.pk}/$"))
    screenshot(page, "account-detail")

    page.get_by_role("link", name="Sites", exact=True).click()
    expect(page.get_by_role("cell", name="Bremen plant")).to_be_visible()
    page.get_by_role("link", name="New site").click()
    page.get_by_label("Name").fill("Leipzig plant")
    page.get_by_label("City").fill("Leipzig")
    page.get_by_label("Region").fill("Saxony")
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(re.compile(rf"/accounts/{account.pk}/sites/$"))
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.get_by_role("cell", name="Leipzig plant")).to_be_visible()
    assert account.sites.filter(name="Leipzig plant", city="Leipzig", country="DE").exists()

    html = page.locator("html")
    expect(html).to_have_attribute("lang", "en")
    page.locator("#language-select").select_option("de")
    expect(html).to_have_attribute("lang", "de")
    expect(page).to_have_url(re.compile(rf"/accounts/{account.pk}/sites/$"))
    owner.refresh_from_db()
    assert owner.language == "de"

    # Selectors by structure, not by label: the labels are German now.
    page.locator("nav [data-bs-toggle='dropdown']").click()
    page.locator("form[action$='/auth/logout/'] button[type='submit']").click()
    expect(page).to_have_url(re.compile(r"/auth/login/"))
    page.goto(f"/accounts/{account.pk}/")
    expect(page).to_have_url(re.compile(r"/auth/login/\?next="))

    assert console_errors == []
