"""The customer group (parent account) is another account's data: shown only to who may see it."""

import pytest
from django.urls import reverse

from tests import factories


@pytest.fixture
def group(db):
    return factories.KeyAccountFactory(name="Hidden Holding SE")


@pytest.fixture
def member(account, group):
    account.parent = group
    account.save()
    return account


def test_it_hides_an_invisible_parent_from_the_owner(client, owner, member):
    client.force_login(owner)
    for url in (reverse("accounts:list"), member.get_absolute_url()):
        assert "Hidden Holding SE" not in client.get(url).content.decode()


def test_it_shows_the_parent_to_who_may_see_it(client, leadership, member, group):
    client.force_login(leadership)
    detail = client.get(member.get_absolute_url()).content.decode()
    assert "Hidden Holding SE" in detail
    assert group.get_absolute_url() in detail
    assert "Hidden Holding SE" in client.get(reverse("accounts:list")).content.decode()
