"""The Content-Security-Policy in a real browser: the page's own behaviours work under it,
and a script that is not one of our files is refused."""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "secret-pass-123"  # what tests.factories.UserFactory sets


def log_in(page: Page, username: str) -> None:
    page.goto("/auth/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_archiving_asks_first_and_cancel_keeps_the_account(
    page: Page, console_errors, owner, account
):
    log_in(page, owner.username)
    page.goto(f"/accounts/{account.pk}/")
    questions: list[str] = []

    def answer(dialog, accept: bool) -> None:
        questions.append(dialog.message)
        if accept:
            dialog.accept()
        else:
            dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    page.get_by_role("button", name="Archive").click()
    expect(page.get_by_role("button", name="Archive")).to_be_visible()
    account.refresh_from_db()
    assert not account.is_archived

    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    page.get_by_role("button", name="Archive").click()
    expect(page.get_by_role("button", name="Archive")).to_have_count(0)
    account.refresh_from_db()
    assert account.is_archived
    assert questions == ["Archive this key account? It stays readable and can be restored."] * 2
    assert console_errors == []


def test_the_browser_refuses_an_inline_script(page: Page, console_errors, owner):
    log_in(page, owner.username)

    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "document.body.dataset.injected = 'yes'";
            document.body.append(script);
        }"""
    )

    expect(page.locator("body")).not_to_have_attribute("data-injected", "yes")
    assert any(re.search(r"Content Security Policy", error) for error in console_errors)
