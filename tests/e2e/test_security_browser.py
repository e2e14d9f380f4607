"""The Content-Security-Policy in a real browser: the page's own behaviours work under it,
and a script that is not one of our files is refused."""

import re

import pytest
from django_celery_beat.models import CrontabSchedule
from playwright.sync_api import Page, expect

from tests import factories

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


def test_the_admin_periodic_task_form_explains_the_crontab(page: Page, console_errors):
    admin = factories.AdminFactory(username="admin")
    schedule = CrontabSchedule.objects.create(minute="30", hour="6")
    # The admin's pages name no icon, so the browser asks for /favicon.ico, which is not ours.
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    log_in(page, admin.username)

    page.goto("/admin/django_celery_beat/periodictask/add/")
    page.locator("#id_crontab").select_option(str(schedule.pk))

    expect(page.locator(".field-crontab .help")).to_contain_text("Translation: At 06:30")
    expect(page.locator(".field-crontab_translation")).to_be_hidden()
    assert console_errors == []
