"""The key-account pages as a user works with them: list, forms, tabs, messages."""

import re
from datetime import date

import pytest
from django.urls import reverse

from accounts.models import (
    AccountStatus,
    Interaction,
    KeyAccount,
    MarketStage,
    Site,
    Stakeholder,
)
from tests import factories

LIST_URL = reverse("accounts:list")


def listed(response) -> list[str]:
    return [account.name for account in response.context["page"].object_list]


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def portfolio(owner, outsider):
    """Accounts of two managers with distinct tiers, countries, statuses and scores."""
    owner.last_name, outsider.last_name = "Zimmer", "Albers"
    owner.save()
    outsider.save()
    make = factories.KeyAccountFactory
    return {
        "alpina": make(
            name="Alpina Pack AG",
            customer_number="K-10002",
            owner=owner,
            tier="key",
            country="CH",
            attractiveness=65,
        ),
        "baltic": make(
            name="Baltic Timber AB",
            customer_number="K-20003",
            owner=outsider,
            tier="development",
            country="SE",
            attractiveness=40,
            status=AccountStatus.ON_HOLD,
        ),
        "cascade": make(
            name="Cascade Automotive",
            customer_number="K-20002",
            owner=outsider,
            tier="strategic",
            country="US",
            attractiveness=90,
        ),
        "nordwerk": make(
            name="Nordwerk Group",
            customer_number="K-10000",
            owner=owner,
            tier="strategic",
            country="DE",
            attractiveness=85,
        ),
        "old": make(
            name="Old Mills Ltd",
            customer_number="K-99999",
            owner=owner,
            tier="key",
            country="GB",
            attractiveness=10,
            status=AccountStatus.ARCHIVED,
        ),
    }


# The account list: search, filters, sorting, pages


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("alpina", ["Alpina Pack AG"]),
        ("  Timber ", ["Baltic Timber AB"]),
        ("K-1000", ["Alpina Pack AG", "Nordwerk Group"]),
        ("K-20003", ["Baltic Timber AB"]),
    ],
)
def test_the_list_searches_names_and_customer_numbers(
    client, leadership, portfolio, query, expected
):
    client.force_login(leadership)

    response = client.get(LIST_URL, {"q": query})

    assert listed(response) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"tier": "strategic"}, ["Cascade Automotive", "Nordwerk Group"]),
        ({"country": "SE"}, ["Baltic Timber AB"]),
        ({"status": "on_hold"}, ["Baltic Timber AB"]),
        ({"status": "active"}, ["Alpina Pack AG", "Cascade Automotive", "Nordwerk Group"]),
        ({"tier": "key", "country": "CH"}, ["Alpina Pack AG"]),
    ],
)
def test_the_list_filters(client, leadership, portfolio, params, expected):
    client.force_login(leadership)

    assert listed(client.get(LIST_URL, params)) == expected


def test_the_list_filters_by_owner(client, leadership, portfolio, outsider):
    client.force_login(leadership)

    response = client.get(LIST_URL, {"owner": outsider.pk})

    assert listed(response) == ["Baltic Timber AB", "Cascade Automotive"]


def test_archived_accounts_are_hidden_by_default(client, leadership, portfolio):
    client.force_login(leadership)

    response = client.get(LIST_URL)

    assert "Old Mills Ltd" not in listed(response)
    assert listed(response) == [
        "Alpina Pack AG",
        "Baltic Timber AB",
        "Cascade Automotive",
        "Nordwerk Group",
    ]


def test_archived_accounts_are_listed_with_status_archived(client, owner, portfolio):
    client.force_login(owner)

    response = client.get(LIST_URL, {"status": "archived"})

    assert listed(response) == ["Old Mills Ltd"]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("name", ["Alpina", "Baltic", "Cascade", "Nordwerk"]),
        ("-name", ["Nordwerk", "Cascade", "Baltic", "Alpina"]),
        ("attractiveness", ["Baltic", "Alpina", "Nordwerk", "Cascade"]),
        ("-attractiveness", ["Cascade", "Nordwerk", "Alpina", "Baltic"]),
    ],
)
def test_the_list_sorts(client, leadership, portfolio, ordering, expected):
    client.force_login(leadership)

    response = client.get(LIST_URL, {"ordering": ordering})

    assert [name.split()[0] for name in listed(response)] == expected


def test_the_list_sorts_by_owner_last_name(client, leadership, portfolio):
    client.force_login(leadership)

    owners = [
        a.owner.last_name for a in client.get(LIST_URL, {"ordering": "owner"}).context["page"]
    ]
    reverse_owners = [
        a.owner.last_name for a in client.get(LIST_URL, {"ordering": "-owner"}).context["page"]
    ]

    assert owners == ["Albers", "Albers", "Zimmer", "Zimmer"]
    assert reverse_owners == ["Zimmer", "Zimmer", "Albers", "Albers"]


def test_the_column_header_toggles_the_sort_direction(client, leadership, portfolio):
    client.force_login(leadership)

    content = client.get(LIST_URL, {"ordering": "name"}).content.decode()

    assert 'href="?ordering=-name"' in content
    assert 'aria-sort="ascending"' in content


def test_the_list_pages_by_25(client, owner):
    factories.KeyAccountFactory.create_batch(30, owner=owner)
    client.force_login(owner)

    first = client.get(LIST_URL)
    second = client.get(LIST_URL, {"page": 2})

    assert len(first.context["page"].object_list) == 25
    assert first.context["page"].paginator.num_pages == 2
    assert "Page 1 of 2" in first.content.decode()
    assert "30 key accounts" in first.content.decode()
    assert len(second.context["page"].object_list) == 5
    assert "Page 2 of 2" in second.content.decode()
    assert not set(listed(first)) & set(listed(second))


def test_the_page_links_keep_the_filters(client, owner):
    factories.KeyAccountFactory.create_batch(30, owner=owner, tier="strategic")
    client.force_login(owner)

    content = client.get(LIST_URL, {"tier": "strategic", "page": 1}).content.decode()

    assert 'href="?tier=strategic&amp;page=2"' in content


def test_an_htmx_request_gets_only_the_results(client, owner, account):
    client.force_login(owner)

    full = client.get(LIST_URL).content.decode()
    partial = client.get(LIST_URL, {"q": "Nordwerk"}, headers={"HX-Request": "true"})

    assert '<nav class="navbar' in full
    content = partial.content.decode()
    assert partial.status_code == 200
    assert content.lstrip().startswith('<div id="results">')
    assert '<nav class="navbar' not in content
    assert "<form" not in content
    assert "Nordwerk Antriebe" in content


def test_the_list_explains_when_there_is_nothing_to_see(client, owner):
    client.force_login(owner)

    content = client.get(LIST_URL).content.decode()

    assert "There are no key accounts you may see yet." in content


def test_the_list_explains_when_no_account_matches(client, owner, account):
    client.force_login(owner)

    content = client.get(LIST_URL, {"q": "no such customer"}).content.decode()

    assert "No key account matches these filters." in content
    assert "Nordwerk Antriebe" not in content


@pytest.mark.parametrize(
    ("tab", "text"),
    [
        ("sites", "No sites recorded."),
        ("stakeholders", "No stakeholders recorded."),
        ("interactions", "No interactions recorded."),
        ("market_stages", "No downstream market stages recorded yet."),
        ("team", "No one besides the key account manager is on the team yet."),
        ("detail", "No interactions recorded yet."),
    ],
)
def test_empty_tabs_say_so(client, owner, tab, text):
    account = factories.KeyAccountFactory(owner=owner)
    client.force_login(owner)

    response = client.get(reverse(f"accounts:{tab}", args=[account.pk]))

    assert text in response.content.decode()


# Creating, editing, archiving, restoring


def account_data(**changes) -> dict:
    data = {
        "name": "Alpina Pack AG",
        "customer_number": "K-10002",
        "industry": "Packaging machines",
        "tier": "key",
        "parent": "",
        "country": "CH",
        "currency": "CHF",
        "status": "active",
        "attractiveness": "65",
        "relative_strength": "45",
    }
    data.update(changes)
    return data


def test_a_manager_creates_an_account_they_own(client, owner):
    client.force_login(owner)

    response = client.post(reverse("accounts:create"), account_data(), follow=True)

    account = KeyAccount.objects.get(customer_number="K-10002")
    assert account.owner == owner
    assert response.redirect_chain == [(account.get_absolute_url(), 302)]
    assert messages_of(response) == ["Key account “Alpina Pack AG” created."]


def test_an_invalid_account_is_shown_again_with_errors(client, owner, account):
    client.force_login(owner)

    response = client.post(
        reverse("accounts:create"), account_data(customer_number=account.customer_number)
    )

    assert response.status_code == 200
    assert "This customer number cannot be used." in response.content.decode()
    assert KeyAccount.objects.count() == 1


def test_the_number_of_an_account_the_user_cannot_see_gets_the_same_answer(
    client, outsider, account
):
    client.force_login(outsider)
    hidden = client.post(
        reverse("accounts:create"), account_data(customer_number=f" {account.customer_number} ")
    )
    own = factories.KeyAccountFactory(owner=outsider)
    visible = client.post(
        reverse("accounts:create"), account_data(customer_number=own.customer_number)
    )

    assert hidden.context["form"].errors == visible.context["form"].errors
    assert hidden.context["form"].errors["customer_number"] == [
        "This customer number cannot be used."
    ]


def test_the_owner_edits_an_account(client, owner, account):
    client.force_login(owner)
    data = account_data(
        name="Nordwerk Antriebe GmbH", customer_number=account.customer_number, status="on_hold"
    )

    response = client.post(reverse("accounts:edit", args=[account.pk]), data, follow=True)

    account.refresh_from_db()
    assert account.name == "Nordwerk Antriebe GmbH"
    assert account.status == AccountStatus.ON_HOLD
    assert response.redirect_chain == [(account.get_absolute_url(), 302)]
    assert messages_of(response) == ["Key account saved."]


def test_the_edit_form_shows_the_current_values(client, owner, account):
    client.force_login(owner)

    content = client.get(reverse("accounts:edit", args=[account.pk])).content.decode()

    assert f'value="{account.customer_number}"' in content
    assert 'value="Nordwerk Antriebe"' in content


def test_the_owner_archives_and_restores_an_account(client, owner, account):
    client.force_login(owner)

    archived = client.post(reverse("accounts:archive", args=[account.pk]), follow=True)
    account.refresh_from_db()
    assert account.status == AccountStatus.ARCHIVED
    assert messages_of(archived) == ["Key account “Nordwerk Antriebe” archived."]
    assert listed(client.get(LIST_URL)) == []

    restored = client.post(reverse("accounts:restore", args=[account.pk]), follow=True)
    account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE
    assert messages_of(restored) == ["Key account “Nordwerk Antriebe” restored."]
    assert listed(client.get(LIST_URL)) == ["Nordwerk Antriebe"]


def test_restoring_makes_an_on_hold_account_active(client, owner, account):
    account.status = AccountStatus.ARCHIVED
    account.save()
    client.force_login(owner)

    client.post(reverse("accounts:restore", args=[account.pk]))

    account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE


# Children: sites, stakeholders, interactions, market stages


CHILD_CASES = [
    (
        "site",
        Site,
        {"name": "Leipzig plant", "city": "Leipzig", "region": "East", "country": "DE"},
        "sites",
        "Site saved.",
    ),
    (
        "stakeholder",
        Stakeholder,
        {
            "name": "Marta Nowak",
            "buying_role": "user",
            "influence": "2",
            "attitude": "supporter",
            "interaction_level": "operative",
            "relationship_owner": "",
            "contact_interval_days": "30",
        },
        "stakeholders",
        "Stakeholder saved.",
    ),
    (
        "interaction",
        Interaction,
        {"date": "2026-04-14", "kind": "call", "summary": "Marta Nowak called about spares."},
        "interactions",
        "Interaction saved.",
    ),
    (
        "market_stage",
        MarketStage,
        {"position": "2", "name": "Logistics centres", "pull_activities": "Energy audits"},
        "market_stages",
        "Market stage saved.",
    ),
]


@pytest.mark.parametrize(
    ("kind", "model", "data", "tab", "message"), CHILD_CASES, ids=[c[0] for c in CHILD_CASES]
)
def test_a_team_member_adds_a_child_and_sees_it_on_its_tab(
    client, team_member, account, kind, model, data, tab, message
):
    if kind == "interaction":
        data = {**data, "stakeholders": [factories.StakeholderFactory(account=account).pk]}
    client.force_login(team_member)

    response = client.post(reverse(f"accounts:{kind}_create", args=[account.pk]), data, follow=True)

    created = model.objects.get(account=account)
    assert response.redirect_chain == [(created.get_absolute_url(), 302)]
    assert messages_of(response) == [message]
    tab_page = client.get(reverse(f"accounts:{tab}", args=[account.pk])).content.decode()
    assert str(data.get("name", data.get("summary"))) in tab_page


@pytest.mark.parametrize(
    ("kind", "model", "data", "tab", "message"), CHILD_CASES, ids=[c[0] for c in CHILD_CASES]
)
def test_the_owner_deletes_a_child(client, owner, account, kind, model, data, tab, message):
    factory = {
        "site": factories.SiteFactory,
        "stakeholder": factories.StakeholderFactory,
        "interaction": factories.InteractionFactory,
        "market_stage": factories.MarketStageFactory,
    }[kind]
    child = factory(account=account)
    client.force_login(owner)

    response = client.post(
        reverse(f"accounts:{kind}_delete", args=[account.pk, child.pk]), follow=True
    )

    assert not model.objects.filter(pk=child.pk).exists()
    assert response.redirect_chain == [(reverse(f"accounts:{tab}", args=[account.pk]), 302)]
    assert messages_of(response) == [message.replace("saved", "deleted")]


def test_the_owner_edits_a_stakeholder(client, owner, team_member, account):
    stakeholder = factories.StakeholderFactory(account=account, name="Jens Albrecht")
    client.force_login(owner)
    data = {
        "name": "Jens Albrecht",
        "title": "Chief procurement officer",
        "buying_role": "decider",
        "influence": "5",
        "attitude": "supporter",
        "interaction_level": "strategic",
        "relationship_owner": team_member.pk,
        "contact_interval_days": "14",
    }

    response = client.post(
        reverse("accounts:stakeholder_edit", args=[account.pk, stakeholder.pk]), data
    )

    assert response.status_code == 302
    stakeholder.refresh_from_db()
    assert stakeholder.influence == 5
    assert stakeholder.relationship_owner == team_member
    assert stakeholder.title == "Chief procurement officer"


def test_an_invalid_child_is_shown_again_with_errors(client, owner, account):
    factories.SiteFactory(account=account, name="Bremen plant")
    client.force_login(owner)

    response = client.post(
        reverse("accounts:site_create", args=[account.pk]),
        {"name": "Bremen plant", "country": "DE"},
    )

    assert response.status_code == 200
    assert "This account already has a site with this name." in response.content.decode()
    assert account.sites.count() == 1


def test_a_recorded_interaction_is_authored_by_the_user_who_recorded_it(
    client, team_member, account
):
    stakeholder = factories.StakeholderFactory(account=account)
    client.force_login(team_member)

    client.post(
        reverse("accounts:interaction_create", args=[account.pk]),
        {"date": "2026-04-14", "kind": "visit", "stakeholders": [stakeholder.pk], "summary": "x"},
    )

    interaction = account.interactions.get()
    assert interaction.author == team_member
    assert list(interaction.stakeholders.all()) == [stakeholder]


# The account team


def test_the_owner_adds_and_removes_a_team_member(client, owner, account, outsider):
    client.force_login(owner)
    team_url = reverse("accounts:team", args=[account.pk])

    added = client.post(team_url, {"user": outsider.pk, "role": "service"}, follow=True)

    member = account.team_members.get(user=outsider)
    assert member.role == "service"
    assert messages_of(added) == ["Team member added."]
    assert str(outsider) in added.content.decode()

    removed = client.post(
        reverse("accounts:team_remove", args=[account.pk, member.pk]), follow=True
    )

    assert not account.team_members.filter(user=outsider).exists()
    assert messages_of(removed) == ["Team member removed."]
    assert removed.redirect_chain == [(team_url, 302)]


def test_adding_a_member_twice_shows_the_reason(client, owner, account, team_member):
    client.force_login(owner)

    response = client.post(
        reverse("accounts:team", args=[account.pk]), {"user": team_member.pk, "role": "sales"}
    )

    assert response.status_code == 200
    assert "This user is already on the account team." in response.content.decode()
    assert account.team_members.count() == 1


def test_a_new_team_member_sees_the_account(client, owner, account, outsider):
    client.force_login(owner)
    client.post(reverse("accounts:team", args=[account.pk]), {"user": outsider.pk, "role": "sales"})

    client.force_login(outsider)

    assert client.get(account.get_absolute_url()).status_code == 200
    assert listed(client.get(LIST_URL)) == ["Nordwerk Antriebe"]


# Relationship map and stakeholder detail


def map_cells(content: str) -> dict[tuple[int, str], str]:
    cells = re.findall(
        r'<td[^>]*data-influence="(\d)" data-attitude="(\w+)">(.*?)</td>', content, re.S
    )
    return {(int(influence), attitude): body for influence, attitude, body in cells}


def test_the_relationship_map_places_each_stakeholder_by_influence_and_attitude(
    client, owner, account
):
    placed = {
        "Karin Vogt": (5, "supporter"),
        "Thomas Reich": (3, "opponent"),
        "Jens Albrecht": (4, "neutral"),
        "Marta Nowak": (1, "supporter"),
    }
    for name, (influence, attitude) in placed.items():
        factories.StakeholderFactory(
            account=account, name=name, influence=influence, attitude=attitude
        )
    client.force_login(owner)

    cells = map_cells(
        client.get(reverse("accounts:relationship_map", args=[account.pk])).content.decode()
    )

    assert len(cells) == 15
    for name, cell in placed.items():
        holders = [key for key, body in cells.items() if name in body]
        assert holders == [cell], name


def test_the_relationship_map_shows_only_this_account_s_stakeholders(
    client, owner, account, outsider
):
    factories.StakeholderFactory(
        account=factories.KeyAccountFactory(owner=outsider), name="Linda Park"
    )
    client.force_login(owner)

    content = client.get(reverse("accounts:relationship_map", args=[account.pk])).content.decode()

    assert "Linda Park" not in content


def test_the_stakeholder_page_lists_only_their_interactions(client, owner, account):
    karin = factories.StakeholderFactory(account=account, name="Karin Vogt")
    jens = factories.StakeholderFactory(account=account, name="Jens Albrecht")
    factories.InteractionFactory(
        account=account, stakeholders=[karin], summary="Strategy talk", date=date(2026, 3, 2)
    )
    factories.InteractionFactory(
        account=account, stakeholders=[karin, jens], summary="Joint visit", date=date(2026, 4, 2)
    )
    factories.InteractionFactory(
        account=account, stakeholders=[jens], summary="Price negotiation", date=date(2026, 5, 2)
    )
    client.force_login(owner)

    response = client.get(reverse("accounts:stakeholder_detail", args=[account.pk, karin.pk]))

    content = response.content.decode()
    assert [i.summary for i in response.context["interactions"]] == [
        "Joint visit",
        "Strategy talk",
    ]
    assert "Price negotiation" not in content
    assert "Strategy talk" in content


def test_the_stakeholder_page_says_when_there_was_no_contact(client, owner, account):
    stakeholder = factories.StakeholderFactory(account=account)
    client.force_login(owner)

    content = client.get(stakeholder.get_absolute_url()).content.decode()

    assert "No interactions with this stakeholder yet." in content
    assert "Contact overdue" in content


def test_the_overview_lists_overdue_contacts(client, owner, account):
    factories.StakeholderFactory(account=account, name="Never Met")
    recent = factories.StakeholderFactory(account=account, name="Recently Met")
    factories.InteractionFactory(account=account, stakeholders=[recent])
    client.force_login(owner)

    response = client.get(account.get_absolute_url())

    assert [s.name for s in response.context["overview"].overdue_stakeholders] == ["Never Met"]
