"""Administrators manage users in the app: list, create, edit, set the role, deactivate and
reactivate, send a password reset mail. Nobody else may; users are never deleted."""

import re

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.urls import reverse

from kam import services
from kam.access import can_manage_users
from kam.models import Role, User
from kam.roles import ADMINISTRATORS_GROUP
from tests import access, factories

PASSWORD = "secret-pass-123"  # tests.factories.UserFactory's password
NEW_PASSWORD = "Kundenplan-2031-Retrofit"


@pytest.fixture
def subject(db):
    return factories.UserFactory(username="subject", first_name="Quirinus", last_name="Subject")


def user_urls(subject) -> list[tuple[str, str]]:
    return [
        ("get", reverse("users:list")),
        ("get", reverse("users:create")),
        ("post", reverse("users:create")),
        ("get", reverse("users:edit", args=[subject.pk])),
        ("post", reverse("users:edit", args=[subject.pk])),
        ("post", reverse("users:deactivate", args=[subject.pk])),
        ("post", reverse("users:reactivate", args=[subject.pk])),
        ("post", reverse("users:password_reset", args=[subject.pk])),
    ]


@pytest.mark.parametrize("persona", access.PERSONAS)
def test_only_administrators_reach_the_user_pages(client, login_as, persona, subject):
    login_as(persona)
    before = list(User.objects.order_by("pk").values())
    answers = {
        access.answer(getattr(client, method)(url, {"username": "x"}))
        for method, url in user_urls(subject)
    }
    if persona == "administrator":
        assert 403 not in answers and access.LOGIN not in answers
    else:
        assert answers == ({access.LOGIN} if persona == "anonymous" else {403})
        assert list(User.objects.order_by("pk").values()) == before
        assert mail.outbox == []


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [("owner", False), ("leadership", False), ("administrator", True), ("anonymous", False)],
)
def test_can_manage_users_is_the_administrators(request, persona, allowed):
    from django.contrib.auth.models import AnonymousUser

    user = AnonymousUser() if persona == "anonymous" else request.getfixturevalue(persona)
    assert can_manage_users(user) is allowed


def test_a_deactivated_administrator_manages_no_users(administrator):
    administrator.is_active = False
    assert not can_manage_users(administrator)


def test_the_list_searches_and_filters_by_role_and_status(
    client, administrator, leadership, subject, django_assert_max_num_queries
):
    gone = factories.UserFactory(username="gone", is_active=False)
    client.force_login(administrator)

    def listed(**params) -> set[str]:
        response = client.get(reverse("users:list"), params)
        assert response.status_code == 200
        return {u.username for u in response.context["page"].object_list}

    assert {"subject", "leader", "administrator", "gone"} <= listed()
    assert listed(q="QUIRIN") == {"subject"}  # a name no generated user has
    assert listed(q="gone@example") == {"gone"}
    assert listed(role=Role.LEADERSHIP) == {"leader"}
    assert listed(active="no") == {gone.username}
    assert "gone" not in listed(active="yes")
    for n in range(30):
        factories.UserFactory(username=f"bulk{n}")
    with django_assert_max_num_queries(8):
        page = client.get(reverse("users:list"))
    assert len(page.context["page"].object_list) == 25
    assert client.get(reverse("users:list"), {"page": 2}).context["page"].number == 2


def test_an_administrator_creates_a_user_who_gets_the_mail_to_choose_a_password(
    client, administrator
):
    client.force_login(administrator)
    data = {
        "username": "newbie",
        "first_name": "Nora",
        "last_name": "Neu",
        "email": "nora@example.com",
        "role": Role.LEADERSHIP,
        "language": "de",
    }
    response = client.post(reverse("users:create"), data)
    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    assert (user.role, user.language, user.is_active, user.is_staff) == (
        Role.LEADERSHIP,
        "de",
        True,
        False,
    )
    assert not user.has_usable_password()
    assert [m.to for m in mail.outbox] == [["nora@example.com"]]
    # In the user's language, with a link that lets them set the password and log in.
    assert "Passwort" in mail.outbox[0].subject
    link = re.search(r"https?://[^/\s]+(/auth/reset/\S+)", mail.outbox[0].body).group(1)
    client.logout()
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert client.login(request=HttpRequest(), username="newbie", password=NEW_PASSWORD)


def test_a_duplicate_username_or_email_is_refused(client, administrator, subject):
    client.force_login(administrator)
    base = {"first_name": "", "last_name": "", "role": Role.MANAGER, "language": "en"}
    response = client.post(
        reverse("users:create"), {**base, "username": "subject", "email": "new@example.com"}
    )
    assert "username" in response.context["form"].errors
    response = client.post(
        reverse("users:create"), {**base, "username": "other", "email": "SUBJECT@example.com"}
    )
    assert "email" in response.context["form"].errors
    assert not User.objects.filter(username="other").exists()


def test_an_administrator_sets_a_users_role_and_with_it_the_admin_access(
    client, administrator, subject
):
    client.force_login(administrator)
    data = {
        "username": "ignored",
        "first_name": "Sam",
        "last_name": "Subject",
        "email": "sam@example.com",
        "role": Role.ADMIN,
        "language": "de",
    }
    assert client.post(reverse("users:edit", args=[subject.pk]), data).status_code == 302
    subject.refresh_from_db()
    assert (subject.username, subject.role, subject.email, subject.language) == (
        "subject",
        Role.ADMIN,
        "sam@example.com",
        "de",
    )
    assert subject.is_staff
    assert subject.groups.filter(name=ADMINISTRATORS_GROUP).exists()

    client.post(reverse("users:edit", args=[subject.pk]), {**data, "role": Role.MANAGER})
    subject.refresh_from_db()
    assert not subject.is_staff
    assert not subject.groups.exists()


def test_an_administrator_keeps_their_own_role(client, administrator):
    client.force_login(administrator)
    data = {
        "first_name": "A",
        "last_name": "B",
        "email": "administrator@example.com",
        "role": Role.MANAGER,
        "language": "en",
    }
    response = client.post(reverse("users:edit", args=[administrator.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    administrator.refresh_from_db()
    assert administrator.role == Role.ADMIN
    assert administrator.first_name != "A"


def test_a_deactivated_user_cannot_log_in_and_loses_their_session(client, administrator, subject):
    other = client.__class__()
    assert other.login(request=HttpRequest(), username="subject", password=PASSWORD)
    assert other.get(reverse("accounts:list")).status_code == 200

    client.force_login(administrator)
    response = client.post(reverse("users:deactivate", args=[subject.pk]))
    assert response.status_code == 302
    subject.refresh_from_db()
    assert not subject.is_active
    assert User.objects.filter(pk=subject.pk).exists()  # never deleted

    assert access.answer(other.get(reverse("accounts:list"))) == access.LOGIN
    login = other.post(reverse("login"), {"username": "subject", "password": PASSWORD})
    assert login.status_code == 200 and login.context["form"].errors

    client.post(reverse("users:reactivate", args=[subject.pk]))
    subject.refresh_from_db()
    assert subject.is_active
    assert other.login(request=HttpRequest(), username="subject", password=PASSWORD)


def test_an_administrator_cannot_deactivate_themselves(client, administrator):
    client.force_login(administrator)
    client.post(reverse("users:deactivate", args=[administrator.pk]))
    administrator.refresh_from_db()
    assert administrator.is_active


def test_the_reset_link_sends_the_user_the_password_reset_mail(client, administrator, subject):
    client.force_login(administrator)
    response = client.post(reverse("users:password_reset", args=[subject.pk]))
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [[subject.email]]
    assert reverse("password_reset_confirm", args=["x", "y"]).split("x/")[0] in mail.outbox[0].body


def test_no_reset_mail_for_a_deactivated_user_or_one_without_address(administrator, subject):
    subject.email = ""
    with pytest.raises(ValidationError):
        services.user_password_reset_send(by=administrator, user=subject)
    subject.email = "s@example.com"
    subject.is_active = False
    with pytest.raises(ValidationError):
        services.user_password_reset_send(by=administrator, user=subject)
    assert mail.outbox == []


@pytest.mark.parametrize(
    "call",
    [
        lambda by, user: services.user_create(by=by, username="sneaky"),
        lambda by, user: services.user_role_set(by=by, user=user, role=Role.ADMIN),
        lambda by, user: services.user_deactivate(by=by, user=user),
        lambda by, user: services.user_reactivate(by=by, user=user),
        lambda by, user: services.user_password_reset_send(by=by, user=user),
    ],
)
def test_the_services_refuse_whoever_may_not_manage_users(leadership, subject, call):
    with pytest.raises(PermissionDenied):
        call(leadership, subject)
    assert not Group.objects.get(name=ADMINISTRATORS_GROUP).user_set.filter(pk=subject.pk).exists()


def test_the_self_service_password_reset_pages_are_the_apps(client, subject):
    page = client.get(reverse("password_reset"))
    assert page.status_code == 200
    assert "base.html" in [t.name for t in page.templates]
    client.post(reverse("password_reset"), {"email": subject.email})
    assert [m.to for m in mail.outbox] == [[subject.email]]
    assert reverse("password_reset") in client.get(reverse("login")).content.decode()


def test_an_administrator_changes_no_superuser(client, administrator):
    root = factories.SuperuserFactory(username="root", email="root@example.com")
    client.force_login(administrator)
    assert client.get(reverse("users:edit", args=[root.pk])).status_code == 403
    assert client.post(reverse("users:password_reset", args=[root.pk])).status_code == 403
    assert client.post(reverse("users:deactivate", args=[root.pk])).status_code == 403
    with pytest.raises(PermissionDenied):
        services.user_update(
            by=administrator,
            user=root,
            first_name="",
            last_name="",
            email="me@x.org",
            language="en",
        )
    root.refresh_from_db()
    assert root.is_active and root.email == "root@example.com"
    assert mail.outbox == []
