"""Who reaches the selling URLs that span accounts: the pipeline, the export of all positions
and the import. The account URLs are covered persona by persona in test_selling.py."""

import io

import pytest
from django.urls import reverse

from goals.models import SellingPosition
from tests import access, factories

# (name, method); test_selling.test_every_selling_url_is_covered checks the list is complete.
GLOBAL_URLS = [
    ("pipeline", "get"),
    ("selling_export", "get"),
    ("selling_import", "get"),
    ("selling_import", "post"),
]
IDS = [f"{n}-{m}" for n, m in GLOBAL_URLS]


@pytest.fixture
def positions(account, outsider):
    """One position on the account of owner/team member, one on the outsider's account."""
    mine = factories.SellingPositionFactory(
        account=account, offering__code="gear_motors", stage="potential"
    )
    theirs = factories.SellingPositionFactory(
        account=factories.KeyAccountFactory(owner=outsider, customer_number="K-OUT"),
        offering__code="couplings",
        stage="potential",
    )
    return mine, theirs


def upload(account) -> dict:
    content = (
        "customer_number,site,offering_code,stage\n"
        f"{account.customer_number},,gear_motors,offered\n"
    ).encode()
    return {"file": io.BytesIO(content)}


def call(client, name, method, account):
    url = reverse(f"goals:{name}")
    if method == "post":
        data = upload(account)
        data["file"].name = "positions.csv"
        return client.post(url, data)
    return client.get(url)


def stages() -> list:
    return list(SellingPosition.objects.order_by("pk").values_list("stage", flat=True))


@pytest.mark.parametrize(("name", "method"), GLOBAL_URLS, ids=IDS)
def test_anonymous_is_sent_to_login(client, positions, account, name, method):
    assert access.answer(call(client, name, method, account)) == access.LOGIN
    assert stages() == ["potential", "potential"]


@pytest.mark.parametrize(("name", "method"), GLOBAL_URLS, ids=IDS)
def test_leadership_reads_but_may_not_import(client, leadership, positions, account, name, method):
    client.force_login(leadership)
    response = call(client, name, method, account)
    assert response.status_code == (403 if name == "selling_import" else 200)
    assert stages() == ["potential", "potential"]


@pytest.mark.parametrize("persona", access.EDITORS)
def test_the_account_team_and_administrator_import(client, login_as, positions, account, persona):
    login_as(persona)
    response = call(client, "selling_import", "post", account)
    assert response.status_code == 200
    assert stages() == ["offered", "potential"]


def test_an_outsider_cannot_import_into_an_account_they_cannot_see(
    client, outsider, positions, account
):
    client.force_login(outsider)
    response = call(client, "selling_import", "post", account)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Unknown customer number “{account.customer_number}”" in html
    assert stages() == ["potential", "potential"]


@pytest.mark.parametrize(
    ("persona", "sees_own", "sees_outsiders"),
    [
        ("owner", True, False),
        ("team_member", True, False),
        ("outsider", False, True),
        ("leadership", True, True),
        ("administrator", True, True),
    ],
)
def test_pipeline_and_export_show_only_visible_accounts(
    client, login_as, positions, account, persona, sees_own, sees_outsiders
):
    login_as(persona)
    pipeline = client.get(reverse("goals:pipeline")).content.decode()
    export = client.get(reverse("goals:selling_export")).content.decode()
    assert (account.name in pipeline) is sees_own
    assert (f"{account.customer_number},,gear_motors" in export) is sees_own
    assert ("K-OUT" in pipeline) is sees_outsiders
    assert ("K-OUT,,couplings" in export) is sees_outsiders
