"""Empty states of the account overview: a new account says it has no stakeholders yet, not
that every stakeholder has been contacted."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def overview(client, account) -> str:
    return client.get(reverse("accounts:detail", args=[account.pk])).content.decode()


def test_new_account_says_it_has_no_stakeholders_yet(client, owner, account):
    client.force_login(owner)
    html = overview(client, account)
    assert 'id="no-stakeholders"' in html
    assert "No stakeholders recorded yet." in html
    assert "Every stakeholder has been contacted" not in html


def test_new_account_says_so_in_german(client, owner, account):
    client.force_login(owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    assert "Noch keine Stakeholder erfasst." in overview(client, account)


def test_account_with_stakeholders_all_contacted_says_so(client, owner, account):
    stakeholder = factories.StakeholderFactory(account=account, contact_interval_days=30)
    interaction = factories.InteractionFactory(account=account, date=datetime.date.today())
    interaction.stakeholders.add(stakeholder)
    client.force_login(owner)
    html = overview(client, account)
    assert "Every stakeholder has been contacted" in html
    assert 'id="no-stakeholders"' not in html
