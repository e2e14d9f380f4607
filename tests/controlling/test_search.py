"""The global search: matches of each kind the user may see, grouped with counts and links;
never another manager's objects (leadership sees all); a bounded number of queries; German."""

import pytest
from django.conf import settings
from django.urls import reverse

from controlling.selectors import search as finder
from tests import factories

pytestmark = pytest.mark.django_db

URL = reverse("search:results")


@pytest.fixture
def findable(account):
    """One match of every kind on the owner's account, all with "Zeta" in them."""
    account.name = "Zeta Werke"
    account.customer_number = "ZW-100"
    account.save()
    plan = factories.AccountPlanFactory(account=account)
    return {
        "account": account,
        "stakeholder": factories.StakeholderFactory(account=account, name="Petra Zetamann"),
        "plan": plan,
        "goal": factories.GoalFactory(plan=plan, title="Zeta revenue growth"),
        "measure": factories.MeasureFactory(plan=plan, title="Zeta workshop"),
    }


@pytest.fixture
def foreign(outsider):
    """An outsider's account with matches of every kind the owner must never see."""
    account = factories.KeyAccountFactory(owner=outsider, name="Zeta Fremd", customer_number="ZF-1")
    plan = factories.AccountPlanFactory(account=account)
    factories.StakeholderFactory(account=account, name="Zeta Fremdling")
    factories.GoalFactory(plan=plan, title="Zeta foreign goal")
    factories.MeasureFactory(plan=plan, title="Zeta foreign measure")
    return account


def counts(groups):
    return {group.kind: group.count for group in groups}


def test_search_finds_each_kind_with_links(client, owner, findable):
    client.force_login(owner)
    html = client.get(URL, {"q": "zeta"}).content.decode()
    for kind in ("accounts", "stakeholders", "plans", "goals", "measures"):
        assert f'id="search-{kind}"' in html
    for key in ("account", "stakeholder", "plan", "goal"):
        assert f'href="{findable[key].get_absolute_url()}"' in html
    assert "Petra Zetamann" in html
    assert "Zeta workshop" in html


def test_search_matches_customer_numbers_regardless_of_case(owner, findable):
    groups = finder.search(user=owner, query="zw-1")
    assert counts(groups) == {
        "accounts": 1, "stakeholders": 0, "plans": 1, "goals": 0, "measures": 0,
    }  # fmt: skip


def test_search_never_shows_another_managers_objects(client, owner, findable, foreign):
    assert counts(finder.search(user=owner, query="zeta")) == {
        "accounts": 1, "stakeholders": 1, "plans": 1, "goals": 1, "measures": 1,
    }  # fmt: skip
    client.force_login(owner)
    html = client.get(URL, {"q": "zeta"}).content.decode()
    assert "Fremd" not in html
    assert "foreign" not in html


def test_search_shows_leadership_every_account(leadership, findable, foreign):
    assert counts(finder.search(user=leadership, query="zeta")) == {
        "accounts": 2, "stakeholders": 2, "plans": 2, "goals": 2, "measures": 2,
    }  # fmt: skip


def test_search_lists_at_most_the_limit_per_kind_with_the_full_count(
    client, owner, account, django_assert_max_num_queries
):
    for n in range(finder.SEARCH_LIMIT + 3):
        factories.StakeholderFactory(account=account, name=f"Zeta person {n:02}")
    groups = {g.kind: g for g in finder.search(user=owner, query="zeta person")}
    assert len(groups["stakeholders"].rows) == finder.SEARCH_LIMIT
    assert groups["stakeholders"].count == finder.SEARCH_LIMIT + 3
    client.force_login(owner)
    # The session, the user, the unread notifications, then two queries a kind at most.
    with django_assert_max_num_queries(20):
        html = client.get(URL, {"q": "zeta person"}).content.decode()
    assert "3 more" in html


def test_search_query_count_does_not_grow_with_the_matches(
    client, owner, findable, django_assert_max_num_queries
):
    client.force_login(owner)
    with django_assert_max_num_queries(20):
        client.get(URL, {"q": "zeta"})


def test_empty_search_runs_no_search_and_says_what_to_enter(client, owner, findable):
    assert finder.search(user=owner, query="  ") == []
    client.force_login(owner)
    html = client.get(URL, {"q": ""}).content.decode()
    assert 'id="search-empty"' in html
    assert 'id="search-accounts"' not in html


def test_search_says_when_nothing_matched(client, owner, findable):
    client.force_login(owner)
    html = client.get(URL, {"q": "nothing like this"}).content.decode()
    assert 'id="search-none"' in html


def test_search_needs_a_login(client):
    response = client.get(URL, {"q": "zeta"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_search_in_german(client, owner, findable):
    client.force_login(owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    html = client.get(URL, {"q": "zeta"}).content.decode()
    assert "Suche" in html
    assert "Stakeholder" in html
    assert "Maßnahmen" in html
    html = client.get(URL, {"q": "nichts dergleichen"}).content.decode()
    assert "Nichts gefunden" in html


def test_header_has_the_search_field_focused_by_slash(client, owner):
    client.force_login(owner)
    html = client.get(reverse("accounts:list")).content.decode()
    assert 'id="search-q"' in html
    assert "data-search-shortcut" in html
    script = (settings.BASE_DIR / "static" / "js" / "behaviours.js").read_text()
    assert "[data-search-shortcut]" in script
