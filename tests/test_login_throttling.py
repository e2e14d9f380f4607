"""Login throttling (django-axes): repeated failures lock logins out per user name and per
client address, on the app's login and the admin's; administrators lift the lock."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse

from kam.login import client_address
from tests import factories

PASSWORD = "secret-pass-123"  # tests.factories.UserFactory's password
LIMIT = settings.AXES_FAILURE_LIMIT


def log_in(client, username, password=PASSWORD, *, address="10.0.0.1", url=None, **headers):
    return client.post(
        url or reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        **headers,
    )


def fail(client, username, *, times=LIMIT, address="10.0.0.1", url=None):
    for _ in range(times):
        response = log_in(client, username, "wrong", address=address, url=url)
    return response


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_limit_of_failures_locks_the_user_out_even_with_the_right_password(client, owner):
    assert fail(client, "owner", times=LIMIT - 1).status_code == 200  # the form, again

    locked = fail(client, "owner", times=1)
    response = log_in(client, "owner")

    assert locked.status_code == response.status_code == 429
    assert not logged_in(client)
    assert "Too many failed logins." in response.content.decode()
    assert "Logging in is locked until" in response.content.decode()
    assert "registration/locked_out.html" in [t.name for t in response.templates]


def test_fewer_failures_than_the_limit_do_not_lock(client, owner):
    fail(client, "owner", times=LIMIT - 1)

    response = log_in(client, "owner")

    assert response.status_code == 302
    assert logged_in(client)


def test_the_admin_login_locks_out_too(client, administrator):
    url = reverse("admin:login")
    fail(client, "administrator", url=url)

    response = log_in(client, "administrator", url=url)

    assert response.status_code == 429
    assert not logged_in(client)
    assert "Too many failed logins." in response.content.decode()


def test_failures_on_the_app_login_lock_the_admin_login(client, administrator):
    fail(client, "administrator")

    response = log_in(client, "administrator", url=reverse("admin:login"))

    assert response.status_code == 429
    assert not logged_in(client)


def test_another_user_from_another_address_is_not_locked(client, owner, team_member):
    fail(client, "owner", address="10.0.0.1")

    response = log_in(client, "teammate", address="10.0.0.2")

    assert response.status_code == 302
    assert logged_in(client)


def test_one_password_tried_on_many_users_from_one_address_locks_that_address(
    client, owner, team_member
):
    for n in range(LIMIT):
        log_in(client, f"guess-{n}", "Summer2026!", address="10.0.0.9")

    assert log_in(client, "teammate", address="10.0.0.9").status_code == 429
    assert log_in(client, "teammate", address="10.0.0.10").status_code == 302


def test_one_user_attacked_from_many_addresses_is_locked_everywhere(client, owner):
    for n in range(LIMIT):
        log_in(client, "owner", "wrong", address=f"10.1.0.{n}")

    response = log_in(client, "owner", address="10.2.0.1")

    assert response.status_code == 429
    assert not logged_in(client)


def test_the_lock_lifts_itself_after_the_cool_off(client, owner):
    fail(client, "owner")
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time
        - settings.AXES_COOLOFF_TIME
        - timedelta(seconds=1)
    )

    assert log_in(client, "owner").status_code == 302


def test_without_a_cool_off_the_page_sends_to_an_administrator(client, owner, settings):
    settings.AXES_COOLOFF_TIME = None
    fail(client, "owner")

    response = log_in(client, "owner")

    assert response.status_code == 429
    html = response.content.decode()
    assert "Please ask an administrator to lift the lock." in html
    assert "locked until" not in html


def test_the_message_is_german_for_a_german_browser(client, owner):
    fail(client, "owner")

    response = log_in(client, "owner", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")

    html = response.content.decode()
    assert 'lang="de"' in html
    assert "Zu viele fehlgeschlagene Anmeldungen." in html
    assert "Die Anmeldung ist gesperrt bis" in html
    assert "Too many failed logins." not in html


def test_an_administrator_lifts_the_lock_in_the_admin(client, owner):
    # The role, not a superuser flag nor model permissions, opens the lock-outs to them.
    admin = factories.AdminFactory(username="role-admin", is_superuser=False)
    fail(client, "owner")
    changelist = reverse("admin:axes_accessattempt_changelist")

    client.force_login(admin)
    listing = client.get(changelist)
    assert listing.status_code == 200
    assert "owner" in listing.content.decode()
    attempts = list(AccessAttempt.objects.values_list("pk", flat=True))
    client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": attempts, "post": "yes"},
    )
    client.logout()

    assert not AccessAttempt.objects.exists()
    assert log_in(client, "owner").status_code == 302


@pytest.mark.parametrize("persona", ["owner", "leadership"])
def test_only_administrators_see_the_lock_outs(client, persona, request):
    user = request.getfixturevalue(persona)
    user.is_staff = True  # even a staff flag set by mistake opens nothing
    user.save()
    client.force_login(user)

    response = client.get(reverse("admin:axes_accessattempt_changelist"))

    assert response.status_code == 403


def test_the_reset_command_lifts_every_lock(client, owner):
    fail(client, "owner")

    call_command("axes_reset", verbosity=0)

    assert log_in(client, "owner").status_code == 302


@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "expected"),
    [
        (0, "203.0.113.7", "10.0.0.1"),  # no proxy trusted: the header is the client's
        (1, "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # a forged entry left of the proxy's
        (2, "198.51.100.1, 203.0.113.7, 10.0.0.5", "203.0.113.7"),
        (2, "203.0.113.7", "10.0.0.1"),  # fewer entries than proxies: not through them
    ],
)
def test_the_client_address_is_what_the_outermost_trusted_proxy_saw(
    settings, proxies, forwarded_for, expected
):
    settings.KAM_TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().post(
        "/auth/login/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded_for
    )

    assert client_address(request) == expected


def test_behind_a_proxy_a_forged_address_does_not_escape_the_lock(client, owner, settings):
    settings.KAM_TRUSTED_PROXY_COUNT = 1
    for _ in range(LIMIT):
        log_in(client, "owner", "wrong", address="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert AccessAttempt.objects.get().ip_address == "203.0.113.7"

    response = log_in(
        client,
        "teammate",
        address="10.0.0.5",
        HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.7",
    )

    assert response.status_code == 429
