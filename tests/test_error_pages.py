"""The 403, 404 and 500 pages: translated, with the navigation (403 and 404); the 500 page
renders without the request or the database."""

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def german(client, owner):
    client.force_login(owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    return client


def test_404_in_german_with_the_navigation(german, outsider):
    hidden = factories.KeyAccountFactory(owner=outsider)
    response = german.get(reverse("accounts:detail", args=[hidden.pk]))
    assert response.status_code == 404
    html = response.content.decode()
    assert "Seite nicht gefunden" in html
    assert "Zurück zur Startseite" in html
    assert 'href="{}"'.format(reverse("accounts:list")) in html  # the navigation
    assert 'id="search-q"' in html


def test_404_in_english(client, owner):
    client.force_login(owner)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_403_in_german_with_the_navigation(german, leadership, account):
    german.force_login(leadership)
    # Leadership reads an account but may not open its edit form.
    response = german.get(reverse("accounts:edit", args=[account.pk]))
    assert response.status_code == 403
    html = response.content.decode()
    assert "Das dürfen Sie nicht" in html
    assert 'href="{}"'.format(reverse("accounts:list")) in html


def test_403_page_renders_in_english():
    with translation.override("en"):
        html = render_to_string("403.html", {"exception": PermissionDenied()})
    assert "You may not do this" in html


@pytest.mark.urls("tests.error_urls")
def test_500_page_renders_without_the_request(settings, owner):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    response = client.get("/broken/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Etwas ist schiefgelaufen" in html
    assert 'href="/"' in html


def test_500_page_needs_no_database(django_assert_num_queries):
    with django_assert_num_queries(0), translation.override("en"):
        html = render_to_string("500.html")
    assert "Something went wrong" in html
