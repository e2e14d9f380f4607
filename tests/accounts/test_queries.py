"""A page's query count must not grow with the rows it shows.

Each test measures a page with 5 rows, then asserts that the same page with 50 rows costs
no more queries.
"""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests import factories


def count_queries(client, url: str) -> int:
    client.get(url)  # warm up: session, user and content-type caches are not per row
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def add_accounts(owner, helper, count: int) -> None:
    group = factories.KeyAccountFactory(owner=owner, name="Group")
    for _ in range(count):
        account = factories.KeyAccountFactory(owner=owner, parent=group)
        factories.SiteFactory.create_batch(2, account=account)
        factories.TeamMemberFactory(account=account, user=helper)


def add_stakeholders(account, owners, count: int) -> None:
    today = timezone.localdate()
    for n in range(count):
        stakeholder = factories.StakeholderFactory(
            account=account,
            relationship_owner=owners[n % len(owners)],
            influence=n % 5 + 1,
            attitude=["supporter", "neutral", "opponent"][n % 3],
        )
        factories.InteractionFactory(
            account=account, stakeholders=[stakeholder], date=today - timedelta(days=n)
        )


def add_interactions(account, count: int) -> None:
    for n in range(count):
        met = factories.StakeholderFactory.create_batch(2, account=account)
        factories.InteractionFactory(
            account=account, stakeholders=met, date=timezone.localdate() - timedelta(days=n)
        )


def test_the_account_list_costs_the_same_for_50_accounts_as_for_5(
    client, owner, team_member, django_assert_max_num_queries
):
    url = reverse("accounts:list")
    client.force_login(owner)
    add_accounts(owner, team_member, 5)
    queries_for_5 = count_queries(client, url)

    add_accounts(owner, team_member, 45)

    with django_assert_max_num_queries(queries_for_5):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 25


def test_the_account_list_costs_the_same_for_a_team_member(
    client, owner, team_member, django_assert_max_num_queries
):
    url = reverse("accounts:list")
    client.force_login(team_member)
    add_accounts(owner, team_member, 5)
    queries_for_5 = count_queries(client, url)

    add_accounts(owner, team_member, 45)

    with django_assert_max_num_queries(queries_for_5):
        response = client.get(url)
    assert response.context["page"].paginator.count == 50


def test_the_stakeholders_tab_costs_the_same_for_50_stakeholders_as_for_5(
    client, owner, team_member, account, django_assert_max_num_queries
):
    url = reverse("accounts:stakeholders", args=[account.pk])
    client.force_login(owner)
    add_stakeholders(account, [owner, team_member], 5)
    queries_for_5 = count_queries(client, url)

    add_stakeholders(account, [owner, team_member], 45)

    with django_assert_max_num_queries(queries_for_5):
        response = client.get(url)
    assert len(response.context["stakeholders"]) == 50


def test_the_relationship_map_costs_the_same_for_50_stakeholders_as_for_5(
    client, owner, team_member, account, django_assert_max_num_queries
):
    url = reverse("accounts:relationship_map", args=[account.pk])
    client.force_login(owner)
    add_stakeholders(account, [owner, team_member], 5)
    queries_for_5 = count_queries(client, url)

    add_stakeholders(account, [owner, team_member], 45)

    with django_assert_max_num_queries(queries_for_5):
        response = client.get(url)
    assert sum(len(cell.stakeholders) for row in response.context["grid"] for cell in row) == 50


def test_the_interactions_tab_costs_the_same_for_50_interactions_as_for_5(
    client, owner, account, django_assert_max_num_queries
):
    url = reverse("accounts:interactions", args=[account.pk])
    client.force_login(owner)
    add_interactions(account, 5)
    queries_for_5 = count_queries(client, url)

    add_interactions(account, 45)

    with django_assert_max_num_queries(queries_for_5):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 25


def test_the_overview_costs_the_same_for_50_stakeholders_as_for_5(
    client, owner, team_member, account, django_assert_max_num_queries
):
    url = account.get_absolute_url()
    client.force_login(owner)
    add_stakeholders(account, [owner, team_member], 5)
    add_interactions(account, 5)
    queries_for_5 = count_queries(client, url)

    add_stakeholders(account, [owner, team_member], 45)
    add_interactions(account, 45)

    with django_assert_max_num_queries(queries_for_5):
        client.get(url)
