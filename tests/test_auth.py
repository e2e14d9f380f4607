"""Logging in and out, changing the password, switching the language."""

from django.conf import settings
from django.urls import reverse

from kam.models import User
from tests import access

PASSWORD = "secret-pass-123"  # tests.factories.UserFactory's password
NEW_PASSWORD = "Kundenplan-2031-Retrofit"


def test_a_manager_logs_in_and_lands_on_the_manager_home(client, owner):
    response = client.post(reverse("login"), {"username": "owner", "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.get(reverse("home")).url == reverse("controlling:home")
    assert client.get(reverse("accounts:list")).status_code == 200


def test_leadership_starts_on_the_dashboard(client, leadership):
    client.force_login(leadership)
    assert client.get(reverse("home")).url == reverse("controlling:dashboard")


def test_an_anonymous_visitor_of_the_start_page_is_sent_to_the_login(client, db):
    response = client.get(reverse("home"))
    assert response.url == f"{reverse('login')}?next=/"


def test_a_wrong_password_does_not_log_in(client, owner):
    response = client.post(reverse("login"), {"username": "owner", "password": "wrong"})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert client.get(reverse("accounts:list")).status_code == 302


def test_login_returns_to_the_page_asked_for(client, owner, account):
    response = client.post(
        reverse("login"),
        {"username": "owner", "password": PASSWORD, "next": account.get_absolute_url()},
    )

    assert response.url == account.get_absolute_url()


def test_an_inactive_user_cannot_log_in(client, owner):
    owner.is_active = False
    owner.save()

    response = client.post(reverse("login"), {"username": "owner", "password": PASSWORD})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post_and_ends_the_session(client, owner):
    client.force_login(owner)

    assert client.get(reverse("logout")).status_code == 405
    assert "_auth_user_id" in client.session

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response.url == reverse("login")
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("accounts:list")).status_code == 302


def test_the_password_change_page_needs_a_login(client, db):
    assert access.answer(client.get(reverse("password_change"))) == access.LOGIN


def test_a_wrong_old_password_is_refused(client, owner):
    client.force_login(owner)

    response = client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_a_weak_new_password_is_refused(client, owner):
    client.force_login(owner)

    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )

    assert response.status_code == 200
    assert "new_password2" in response.context["form"].errors
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_a_password_change_takes_effect_and_keeps_the_user_logged_in(client, owner):
    client.force_login(owner)

    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )

    assert response.redirect_chain == [(reverse("password_change_done"), 302)]
    assert "Your password has been changed." in response.content.decode()
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)
    assert not owner.check_password(PASSWORD)
    assert client.get(reverse("accounts:list")).status_code == 200


def test_the_language_switcher_sets_the_cookie_and_stores_the_user_language(client, owner):
    client.force_login(owner)

    response = client.post(
        reverse("set_language"), {"language": "de", "next": reverse("accounts:list")}
    )

    assert response.status_code == 302
    assert response.url == reverse("accounts:list")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    owner.refresh_from_db()
    assert owner.language == "de"


def test_the_language_switcher_ignores_an_unknown_language(client, owner):
    client.force_login(owner)

    response = client.post(reverse("set_language"), {"language": "xx", "next": "/"})

    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    owner.refresh_from_db()
    assert owner.language == "en"


def test_the_language_switcher_works_for_anonymous_visitors(client, db):
    response = client.post(reverse("set_language"), {"language": "de", "next": reverse("login")})

    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    assert not User.objects.exists()


def test_the_language_switcher_needs_a_post(client, owner):
    client.force_login(owner)

    assert client.get(reverse("set_language"), {"language": "de"}).status_code == 405
    owner.refresh_from_db()
    assert owner.language == "en"
