"""The potential pipeline: open potential by dimension and month, per account and across."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AccountStatus
from goals.models import PathStage
from goals.selectors.pipeline import pipeline_table, portfolio_pipeline
from tests import factories

D = Decimal
TODAY = datetime.date(2027, 3, 15)


@pytest.fixture
def catalogue(db):
    return {
        "gear": factories.OfferingFactory(code="gear"),
        "servo": factories.OfferingFactory(code="servo"),
        "inverter": factories.OfferingFactory(code="inverter"),
        "service": factories.OfferingFactory(code="service", kind="service", product_group=None),
        "package": factories.OfferingFactory(code="package", kind="solution", product_group=None),
    }


def position(
    account, offering, stage="potential", site=None, potential="0", probability=0, month=None
):
    return factories.SellingPositionFactory(
        account=account,
        offering=offering,
        site=site,
        stage=stage,
        current_revenue=None,
        customer_spend=None,
        potential_revenue=D(potential),
        probability=probability,
        expected_month=month,
    )


def weighted_by_dimension(table) -> dict[int, Decimal]:
    return {row.dimension: row.total.weighted for row in table.rows}


def test_each_open_position_falls_into_one_dimension(account, catalogue):
    bremen = factories.SiteFactory(account=account)
    graz = factories.SiteFactory(account=account)
    catalogue["package"].components.set([catalogue["inverter"], catalogue["service"]])
    position(account, catalogue["gear"], stage="sold", site=bremen)
    position(account, catalogue["package"], stage="bundled")
    # A product sold at Bremen, offered at Graz: the organisation dimension.
    position(account, catalogue["gear"], site=graz, potential="1000", probability=50)
    # A product sold inside the bundle, now offered on its own at a site: organisation too.
    position(account, catalogue["inverter"], site=graz, potential="100", probability=100)
    # A product the account does not buy: product cross-selling.
    position(account, catalogue["servo"], stage="offered", potential="400", probability=25)
    # A service: up-selling, even where the account buys it already inside the bundle.
    position(account, catalogue["service"], site=bremen, potential="80", probability=50)
    table = pipeline_table(account_ids=[account.pk], today=TODAY)
    assert weighted_by_dimension(table) == {1: D(100), 2: D(600), 3: D(40)}
    assert table.total.potential == D(1580)
    assert table.total.count == 4


def test_only_open_stages_count(account, catalogue):
    for stage in ["not_sold", "sold", "bundled", "joint_development"]:
        for kind in ["product", "solution"]:
            offering = factories.OfferingFactory(kind=kind)
            position(account, offering, stage=stage, potential="999", probability=99)
    position(account, catalogue["gear"], stage="offered", potential="10", probability=10)
    table = pipeline_table(account_ids=[account.pk], today=TODAY)
    assert (table.total.count, table.total.weighted) == (1, D(1))


def test_months_run_from_overdue_through_twelve_months_to_later(account, catalogue):
    months = [
        datetime.date(2027, 2, 1),  # overdue
        datetime.date(2027, 3, 1),  # this month
        datetime.date(2028, 2, 1),  # the twelfth month
        datetime.date(2028, 3, 1),  # later
        None,
    ]
    for index, month in enumerate(months):
        position(
            account,
            factories.OfferingFactory(),
            potential=str(1000 * (index + 1)),
            probability=10,
            month=month,
        )
    table = pipeline_table(account_ids=[account.pk], today=TODAY)
    keys = [b.key for b in table.buckets]
    assert keys[0] == "overdue"
    assert keys[1] == "2027-03"
    assert keys[12] == "2028-02"
    assert keys[13:] == ["later", "none"]
    product = table.rows[0]
    filled = {table.buckets[i].key: c.weighted for i, c in enumerate(product.cells) if c.count}
    assert filled == {
        "overdue": D(100),
        "2027-03": D(200),
        "2028-02": D(300),
        "later": D(400),
        "none": D(500),
    }
    assert [t.weighted for t in table.totals if t.count] == [D(100), D(200), D(300), D(400), D(500)]


def test_the_account_pipeline_lists_open_positions_by_weighted_potential(
    client, owner, account, catalogue
):
    position(account, catalogue["gear"], potential="1000", probability=10)  # 100
    position(account, catalogue["servo"], potential="300", probability=50)  # 150
    position(account, catalogue["service"], potential="2000", probability=0)  # 0
    client.force_login(owner)
    response = client.get(reverse("goals:account_pipeline", args=[account.pk]))
    codes = [p.offering.code for p in response.context["positions"]]
    assert codes == ["servo", "gear", "service"]
    assert [p.dimension for p in response.context["positions"]] == [1, 1, 3]
    assert 'id="pipeline-total">250' in response.content.decode()


def test_the_account_pipeline_pages_and_has_an_empty_state(client, owner, account):
    client.force_login(owner)
    url = reverse("goals:account_pipeline", args=[account.pk])
    assert "No open potential yet." in client.get(url).content.decode()
    for _ in range(27):
        position(account, factories.OfferingFactory(), potential="10", probability=10)
    response = client.get(url, {"page": 2})
    assert len(response.context["positions"]) == 2
    assert "Page 2 of 2" in response.content.decode()


# --- across accounts ----------------------------------------------------------------------------


def test_leadership_sees_accounts_per_stage_and_the_largest_potential(leadership, owner, catalogue):
    single = factories.KeyAccountFactory(owner=owner, name="Alpha")
    up = factories.KeyAccountFactory(owner=owner, name="Beta")
    archived = factories.KeyAccountFactory(owner=owner, status=AccountStatus.ARCHIVED)
    position(single, catalogue["gear"], stage="sold")
    position(single, catalogue["servo"], potential="5000", probability=10)
    position(up, catalogue["service"], stage="sold")
    big = position(up, catalogue["gear"], stage="offered", potential="9000", probability=50)
    position(archived, catalogue["gear"], potential="99999", probability=90)

    data = portfolio_pipeline(user=leadership)
    counts = {value: count for value, _label, count in data.stage_counts}
    assert counts == {
        PathStage.SINGLE: 1,
        PathStage.CROSS_PRODUCT: 0,
        PathStage.CROSS_ORGANISATION: 0,
        PathStage.UP_SELLING: 1,
        PathStage.JOINT_DEVELOPMENT: 0,
    }
    lines = data.page.object_list
    assert [(x.account.name, x.open_potential, x.weighted_potential) for x in lines] == [
        ("Beta", D(9000), D(4500)),
        ("Alpha", D(5000), D(500)),
    ]
    assert data.top_cells[0] == big
    assert archived.pk not in {p.account_id for p in data.top_cells}
    assert data.accounts == 2

    by_name = portfolio_pipeline(user=leadership, sort="name").page.object_list
    assert [x.account.name for x in by_name] == ["Alpha", "Beta"]
    by_stage = portfolio_pipeline(user=leadership, sort="stage").page.object_list
    assert [x.account.name for x in by_stage] == ["Beta", "Alpha"]
    only_single = portfolio_pipeline(user=leadership, stage="single").page.object_list
    assert [x.account.name for x in only_single] == ["Alpha"]


def test_a_manager_sees_only_their_accounts(owner, outsider, catalogue):
    mine = factories.KeyAccountFactory(owner=owner)
    theirs = factories.KeyAccountFactory(owner=outsider)
    position(mine, catalogue["gear"], potential="10", probability=10)
    position(theirs, catalogue["gear"], potential="99", probability=99)
    data = portfolio_pipeline(user=owner)
    assert [x.account for x in data.page.object_list] == [mine]
    assert [p.account for p in data.top_cells] == [mine]
    assert data.table.total.potential == D(10)


def test_the_page_links_the_largest_cells_to_the_matrix(client, leadership, account, catalogue):
    site = factories.SiteFactory(account=account)
    position(account, catalogue["gear"], site=site, potential="5000", probability=10)
    client.force_login(leadership)
    html = client.get(reverse("goals:pipeline")).content.decode()
    matrix = reverse("goals:whitespace", args=[account.pk])
    assert f'href="{matrix}#cell-{catalogue["gear"].pk}-{site.pk}"' in html


def test_the_page_sorts_pages_and_ignores_unknown_parameters(client, leadership, catalogue):
    for index in range(27):
        account = factories.KeyAccountFactory(name=f"Account {index:02}")
        position(account, catalogue["gear"], potential=str(index), probability=10)
    client.force_login(leadership)
    url = reverse("goals:pipeline")
    response = client.get(url, {"sort": "nonsense", "stage": "nonsense", "page": "2"})
    assert response.context["sort"] == "potential"
    lines = response.context["data"].page.object_list
    assert [x.account.name for x in lines] == ["Account 01", "Account 00"]
    assert "sort=potential&amp;page=1" in response.content.decode()


def pipeline_queries(client, user, accounts: int, catalogue) -> int:
    for index in range(accounts):
        account = factories.KeyAccountFactory()
        site = factories.SiteFactory(account=account)
        position(account, catalogue["gear"], stage="sold", site=site)
        position(account, catalogue["service"], potential="100", probability=10)
        if index % 2:
            position(account, catalogue["servo"], stage="joint_development")
    client.force_login(user)
    client.get(reverse("goals:pipeline"))
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("goals:pipeline"))
    return len(queries)


def test_the_page_query_count_does_not_grow_with_accounts(client, leadership, catalogue):
    few = pipeline_queries(client, leadership, 3, catalogue)
    many = pipeline_queries(client, leadership, 40, catalogue)
    assert few == many
    assert many <= 22  # the layout's own queries included


def test_the_account_page_query_count_does_not_grow(
    client, owner, account, catalogue, django_assert_max_num_queries
):
    position(account, catalogue["gear"], potential="10", probability=10)
    client.force_login(owner)
    url = reverse("goals:account_pipeline", args=[account.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(30):
        position(account, factories.OfferingFactory(), potential="10", probability=10)
    with django_assert_max_num_queries(len(few)):
        client.get(url)
