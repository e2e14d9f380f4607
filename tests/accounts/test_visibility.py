"""The security core: who may see and change which key account, URL by URL.

Every URL in accounts/urls.py is listed below as a read page, a write form or a write POST;
`test_every_account_url_is_covered` fails when a URL is added without being listed here.
Refused writes are checked against a snapshot of every account table, so a refusal that
still changed data fails the test.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import reverse

from accounts import urls as account_urls
from accounts.models import (
    AccountStatus,
    AccountTeamMember,
    Interaction,
    KeyAccount,
    MarketStage,
    PortfolioCriterion,
    PortfolioScore,
    PortfolioScoring,
    Site,
    Stakeholder,
)
from kam.models import User
from tests import access, factories

CHILD_KINDS = ["site", "stakeholder", "interaction", "market_stage"]


@dataclass
class World:
    """Account A (owner, team_member on its team) and account B (the outsider's), with children."""

    account: KeyAccount
    member: AccountTeamMember
    site: Site
    stakeholder: Stakeholder
    interaction: Interaction
    market_stage: MarketStage
    newcomer: User
    other: KeyAccount
    other_member: AccountTeamMember
    other_site: Site
    other_stakeholder: Stakeholder
    other_interaction: Interaction
    other_market_stage: MarketStage


@pytest.fixture
def world(account, outsider) -> World:
    other = factories.KeyAccountFactory(owner=outsider, name="Meridian Foods")
    stakeholder = factories.StakeholderFactory(account=account, name="Karin Vogt")
    other_stakeholder = factories.StakeholderFactory(account=other, name="Linda Park")
    return World(
        account=account,
        member=account.team_members.get(),
        site=factories.SiteFactory(account=account, name="Bremen plant"),
        stakeholder=stakeholder,
        interaction=factories.InteractionFactory(account=account, stakeholders=[stakeholder]),
        market_stage=factories.MarketStageFactory(account=account, name="Machine builders"),
        newcomer=factories.UserFactory(username="newcomer"),
        other=other,
        other_member=factories.TeamMemberFactory(
            account=other, user=factories.UserFactory(username="other-teammate")
        ),
        other_site=factories.SiteFactory(account=other, name="Manchester"),
        other_stakeholder=other_stakeholder,
        other_interaction=factories.InteractionFactory(
            account=other, stakeholders=[other_stakeholder]
        ),
        other_market_stage=factories.MarketStageFactory(account=other, name="Retail chains"),
    )


def snapshot() -> dict:
    """Every row of every table a key-account view can write."""
    tables = [
        KeyAccount,
        AccountTeamMember,
        Site,
        Stakeholder,
        Interaction,
        Interaction.stakeholders.through,
        MarketStage,
        PortfolioScoring,
        PortfolioScore,
    ]
    return {table._meta.label: list(table.objects.order_by("pk").values()) for table in tables}


def archive(world: World) -> None:
    world.account.status = AccountStatus.ARCHIVED
    world.account.save()


# The endpoints


@dataclass(frozen=True)
class Endpoint:
    name: str
    args: Callable[[World], tuple]
    data: Callable[[World], dict] = lambda world: {}
    prepare: Callable[[World], None] | None = None

    def url(self, world: World) -> str:
        return reverse(f"accounts:{self.name}", args=self.args(world))

    @property
    def account_scoped(self) -> bool:
        return self.name not in {"list", "create", "portfolio"}


def no_args(world: World) -> tuple:
    return ()


def account_args(world: World) -> tuple:
    return (world.account.pk,)


def child_args(kind: str) -> Callable[[World], tuple]:
    return lambda world: (world.account.pk, getattr(world, kind).pk)


def foreign_child_args(kind: str) -> Callable[[World], tuple]:
    """Account A's URL with a child of account B."""
    return lambda world: (world.account.pk, getattr(world, f"other_{kind}").pk)


def account_data(world: World) -> dict:
    return {
        "name": "Nordwerk Antriebe GmbH",
        "customer_number": world.account.customer_number,
        "industry": "Drive technology",
        "tier": "strategic",
        "owner": world.account.owner_id,
        "parent": "",
        "country": "DE",
        "currency": "EUR",
        "status": "on_hold",
        "attractiveness": "80",
        "relative_strength": "70",
    }


def new_account_data(world: World) -> dict:
    return {**account_data(world), "name": "Alpina Pack AG", "customer_number": "K-NEW-1"}


CHILD_DATA: dict[str, Callable[[World], dict]] = {
    "site": lambda world: {
        "name": "Leipzig plant",
        "city": "Leipzig",
        "region": "East",
        "country": "DE",
    },
    "stakeholder": lambda world: {
        "name": "Marta Nowak",
        "buying_role": "user",
        "influence": "2",
        "attitude": "supporter",
        "interaction_level": "operative",
        "relationship_owner": "",
        "contact_interval_days": "30",
    },
    "interaction": lambda world: {
        "date": "2026-04-14",
        "kind": "call",
        "stakeholders": [world.stakeholder.pk],
        "summary": "Follow-up call on the retrofit offer.",
    },
    "market_stage": lambda world: {"position": "2", "name": "Logistics centres"},
}


def add_criteria(world: World) -> None:
    factories.PortfolioCriterionFactory(axis="attractiveness")
    factories.PortfolioCriterionFactory(axis="relative_strength")


def scoring_data(world: World) -> dict:
    return {f"criterion_{c.pk}": "7" for c in PortfolioCriterion.objects.filter(active=True)}


LIST = Endpoint("list", no_args)
# Not of one account: its visibility is tested in tests/accounts/test_portfolio.py.
PORTFOLIO = Endpoint("portfolio", no_args)

READS = [
    Endpoint("detail", account_args),
    Endpoint("team", account_args),
    Endpoint("sites", account_args),
    Endpoint("stakeholders", account_args),
    Endpoint("stakeholder_detail", child_args("stakeholder")),
    Endpoint("relationship_map", account_args),
    Endpoint("interactions", account_args),
    Endpoint("market_stages", account_args),
    Endpoint("scoring", account_args),
    Endpoint("history", account_args),
]

FORMS = [
    Endpoint("create", no_args),
    Endpoint("edit", account_args),
    *(Endpoint(f"{kind}_create", account_args) for kind in CHILD_KINDS),
    *(Endpoint(f"{kind}_edit", child_args(kind)) for kind in CHILD_KINDS),
]

POSTS = [
    Endpoint("create", no_args, new_account_data),
    Endpoint("edit", account_args, account_data),
    Endpoint("archive", account_args),
    Endpoint("restore", account_args, prepare=archive),
    Endpoint("team", account_args, lambda world: {"user": world.newcomer.pk, "role": "sales"}),
    Endpoint("team_remove", lambda world: (world.account.pk, world.member.pk)),
    *(Endpoint(f"{kind}_create", account_args, CHILD_DATA[kind]) for kind in CHILD_KINDS),
    *(Endpoint(f"{kind}_edit", child_args(kind), CHILD_DATA[kind]) for kind in CHILD_KINDS),
    *(Endpoint(f"{kind}_delete", child_args(kind)) for kind in CHILD_KINDS),
    Endpoint("scoring", account_args, scoring_data, prepare=add_criteria),
]

# A child of account B under account A's URL.
FOREIGN_GETS = [
    Endpoint("stakeholder_detail", foreign_child_args("stakeholder")),
    *(Endpoint(f"{kind}_edit", foreign_child_args(kind)) for kind in CHILD_KINDS),
]
FOREIGN_POSTS = [
    Endpoint("team_remove", foreign_child_args("member")),
    *(Endpoint(f"{kind}_edit", foreign_child_args(kind), CHILD_DATA[kind]) for kind in CHILD_KINDS),
    *(Endpoint(f"{kind}_delete", foreign_child_args(kind)) for kind in CHILD_KINDS),
]

SCOPED_READS = [e for e in READS if e.account_scoped]
SCOPED_FORMS = [e for e in FORMS if e.account_scoped]
SCOPED_POSTS = [e for e in POSTS if e.account_scoped]


def ids(endpoint: Endpoint) -> str:
    return endpoint.name


def post(client, endpoint: Endpoint, world: World):
    return client.post(endpoint.url(world), endpoint.data(world))


def test_every_account_url_is_covered():
    names = {pattern.name for pattern in account_urls.urlpatterns}
    covered = {LIST.name, PORTFOLIO.name} | {e.name for e in READS + FORMS + POSTS}

    assert names == covered


# Anonymous


@pytest.mark.parametrize("endpoint", [LIST, *READS, *FORMS], ids=ids)
def test_anonymous_visitors_are_sent_to_login(client, world, endpoint):
    url = endpoint.url(world)

    response = client.get(url)

    assert access.answer(response) == access.LOGIN
    assert response.url == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("endpoint", POSTS, ids=ids)
def test_anonymous_posts_are_sent_to_login_and_change_nothing(client, world, endpoint):
    if endpoint.prepare:
        endpoint.prepare(world)
    before = snapshot()

    response = post(client, endpoint, world)

    assert access.answer(response) == access.LOGIN
    assert response.url.startswith(f"{reverse('login')}?next=")
    assert snapshot() == before


# Outsider: another key account manager


@pytest.mark.parametrize("endpoint", SCOPED_READS + SCOPED_FORMS, ids=ids)
def test_an_outsider_gets_404_for_every_page_of_the_account(client, world, outsider, endpoint):
    client.force_login(outsider)

    assert client.get(endpoint.url(world)).status_code == 404


@pytest.mark.parametrize("endpoint", SCOPED_POSTS, ids=ids)
def test_an_outsider_gets_404_for_every_change_and_nothing_changes(
    client, world, outsider, endpoint
):
    if endpoint.prepare:
        endpoint.prepare(world)
    client.force_login(outsider)
    before = snapshot()

    response = post(client, endpoint, world)

    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("query", ["", "?q=Nordwerk", "?status=archived", "?status=active"])
def test_an_outsider_never_sees_the_account_in_the_list(client, world, outsider, query):
    if query == "?status=archived":
        archive(world)
        world.other.status = AccountStatus.ARCHIVED
        world.other.save()
    client.force_login(outsider)

    response = client.get(reverse("accounts:list") + query)

    assert response.status_code == 200
    listed = list(response.context["page"].object_list)
    assert world.account not in listed
    assert world.account.name not in response.content.decode()
    if query != "?q=Nordwerk":
        assert listed == [world.other]


# Owner, team member, administrator: full access


@pytest.mark.parametrize("persona", access.EDITORS)
@pytest.mark.parametrize("endpoint", [LIST, *READS, *FORMS], ids=ids)
def test_editors_open_every_page(client, login_as, world, persona, endpoint):
    login_as(persona)

    assert client.get(endpoint.url(world)).status_code == 200


@pytest.mark.parametrize("persona", access.EDITORS)
@pytest.mark.parametrize("endpoint", POSTS, ids=ids)
def test_editors_make_every_change(client, login_as, world, persona, endpoint):
    if endpoint.prepare:
        endpoint.prepare(world)
    login_as(persona)
    before = snapshot()

    response = post(client, endpoint, world)

    assert response.status_code == 302, response.context and response.context.get("form")
    assert snapshot() != before


@pytest.mark.parametrize("persona", ["owner", "team_member"])
def test_a_manager_lists_owned_and_team_accounts_only(client, login_as, world, persona):
    login_as(persona)

    response = client.get(reverse("accounts:list"))

    assert list(response.context["page"].object_list) == [world.account]


def test_the_administrator_sees_every_account_in_the_list(client, world, administrator):
    client.force_login(administrator)

    response = client.get(reverse("accounts:list"))

    assert set(response.context["page"].object_list) == {world.account, world.other}


# Leadership: reads everything, writes nothing


@pytest.mark.parametrize("endpoint", [LIST, *READS], ids=ids)
def test_leadership_reads_every_account_page(client, world, leadership, endpoint):
    client.force_login(leadership)

    assert client.get(endpoint.url(world)).status_code == 200


def test_leadership_sees_every_account_in_the_list(client, world, leadership):
    client.force_login(leadership)

    response = client.get(reverse("accounts:list"))

    assert set(response.context["page"].object_list) == {world.account, world.other}


@pytest.mark.parametrize("endpoint", FORMS, ids=ids)
def test_leadership_gets_403_on_every_write_form(client, world, leadership, endpoint):
    client.force_login(leadership)

    assert client.get(endpoint.url(world)).status_code == 403


@pytest.mark.parametrize("endpoint", POSTS, ids=ids)
def test_leadership_gets_403_on_every_change_and_nothing_changes(
    client, world, leadership, endpoint
):
    if endpoint.prepare:
        endpoint.prepare(world)
    client.force_login(leadership)
    before = snapshot()

    response = post(client, endpoint, world)

    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("endpoint", READS, ids=ids)
def test_leadership_is_offered_no_write_links(client, world, leadership, owner, endpoint):
    edit_url = reverse("accounts:edit", args=[world.account.pk])
    client.force_login(owner)
    assert edit_url in client.get(endpoint.url(world)).content.decode()

    client.force_login(leadership)
    content = client.get(endpoint.url(world)).content.decode()

    assert edit_url not in content
    assert "/new/" not in content
    assert "/delete/" not in content


def test_leadership_is_not_offered_to_create_an_account(client, leadership, owner):
    create_url = reverse("accounts:create")
    client.force_login(owner)
    assert create_url in client.get(reverse("accounts:list")).content.decode()

    client.force_login(leadership)

    assert create_url not in client.get(reverse("accounts:list")).content.decode()


# A child of account B under account A's URL


@pytest.mark.parametrize("persona", ["owner", "administrator"])
@pytest.mark.parametrize("endpoint", FOREIGN_GETS, ids=ids)
def test_a_child_of_another_account_is_not_found_under_this_account(
    client, login_as, world, persona, endpoint
):
    login_as(persona)

    assert client.get(endpoint.url(world)).status_code == 404


@pytest.mark.parametrize("persona", ["owner", "administrator"])
@pytest.mark.parametrize("endpoint", FOREIGN_POSTS, ids=ids)
def test_a_child_of_another_account_cannot_be_changed_under_this_account(
    client, login_as, world, persona, endpoint
):
    login_as(persona)
    before = snapshot()

    response = post(client, endpoint, world)

    assert response.status_code == 404
    assert snapshot() == before


# Archived accounts: readable, not writable until restored

ARCHIVED_REFUSED_POSTS = [e for e in SCOPED_POSTS if e.name != "restore"]


@pytest.mark.parametrize("persona", access.EDITORS)
@pytest.mark.parametrize("endpoint", SCOPED_FORMS, ids=ids)
def test_it_refuses_write_forms_of_an_archived_account(client, login_as, world, persona, endpoint):
    archive(world)
    login_as(persona)

    assert client.get(endpoint.url(world)).status_code == 403


@pytest.mark.parametrize("persona", access.EDITORS)
@pytest.mark.parametrize("endpoint", ARCHIVED_REFUSED_POSTS, ids=ids)
def test_it_refuses_changes_to_an_archived_account(client, login_as, world, persona, endpoint):
    archive(world)
    login_as(persona)
    before = snapshot()

    response = post(client, endpoint, world)

    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("endpoint", READS, ids=ids)
def test_an_archived_account_stays_readable(client, world, owner, endpoint):
    archive(world)
    client.force_login(owner)

    response = client.get(endpoint.url(world))

    assert response.status_code == 200
    assert reverse("accounts:edit", args=[world.account.pk]) not in response.content.decode()


def test_the_owner_restores_an_archived_account_and_may_edit_it_again(client, world, owner):
    archive(world)
    client.force_login(owner)
    edit = Endpoint("edit", account_args, account_data)
    assert post(client, edit, world).status_code == 403

    response = client.post(reverse("accounts:restore", args=[world.account.pk]))

    assert response.status_code == 302
    world.account.refresh_from_db()
    assert world.account.status == AccountStatus.ACTIVE
    assert post(client, edit, world).status_code == 302
    world.account.refresh_from_db()
    assert world.account.name == "Nordwerk Antriebe GmbH"


def test_the_archived_account_page_offers_restore_to_the_owner_only(
    client, world, owner, leadership
):
    archive(world)
    restore_url = reverse("accounts:restore", args=[world.account.pk])
    client.force_login(owner)
    assert restore_url in client.get(world.account.get_absolute_url()).content.decode()

    client.force_login(leadership)

    assert restore_url not in client.get(world.account.get_absolute_url()).content.decode()


# POST-only URLs


@pytest.mark.parametrize(
    "endpoint",
    [e for e in POSTS if e.name.endswith(("archive", "restore", "remove", "delete"))],
    ids=ids,
)
def test_post_only_urls_refuse_get_and_change_nothing(client, world, owner, endpoint):
    if endpoint.prepare:
        endpoint.prepare(world)
    client.force_login(owner)
    before = snapshot()

    assert client.get(endpoint.url(world)).status_code == 405
    assert snapshot() == before
