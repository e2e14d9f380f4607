"""The three selling dimensions: the offerings catalogue and the account's selling positions.

Every account URL served by goals.views.selling, .pipeline and .selling_io is listed in URLS
below, the URLs across accounts in tests.goals.test_selling_access.GLOBAL_URLS;
`test_every_selling_url_is_covered` fails when one is added without being listed.
"""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AccountStatus
from goals import urls as goal_urls
from goals.admin import OfferingAdminForm
from goals.models import Offering, SellingPosition
from goals.services.selling import (
    selling_position_create,
    selling_position_delete,
    selling_position_update,
)
from goals.signals import figures_changed
from tests import access, factories

D = Decimal


@pytest.fixture
def product(db):
    return factories.OfferingFactory(code="gear_motors", name_en="Gear motors")


@pytest.fixture
def service(db):
    return factories.OfferingFactory(
        code="field_service", kind="service", product_group=None, name_en="Field service"
    )


@pytest.fixture
def solution(db):
    return factories.OfferingFactory(
        code="drive_package", kind="solution", product_group=None, name_en="Drive package"
    )


def snapshot() -> list:
    return [list(SellingPosition.objects.order_by("pk").values())]


# --- offerings ------------------------------------------------------------------------------


def test_a_product_needs_a_product_group(db):
    offering = Offering(code="bearings", name_en="Bearings", name_de="Lager", kind="product")
    with pytest.raises(ValidationError) as error:
        offering.full_clean()
    assert "A product needs a product group." in error.value.message_dict["product_group"]
    with pytest.raises(IntegrityError), transaction.atomic():
        offering.save()


def test_a_service_needs_no_product_group(db):
    Offering(code="repairs", name_en="Repairs", name_de="Reparatur", kind="service").full_clean()


def test_only_a_solution_has_components(product, service):
    with pytest.raises(ValidationError) as error:
        product.clean_components([service])
    assert error.value.message_dict == {"components": ["Only a solution can have components."]}


def test_a_component_cannot_be_a_solution(solution):
    other = factories.OfferingFactory(code="line_package", kind="solution", product_group=None)
    with pytest.raises(ValidationError) as error:
        solution.clean_components([other])
    assert error.value.message_dict == {
        "components": ["A component must be a product or a service, not a solution."]
    }


def test_a_solution_bundles_products_and_services(solution, product, service):
    solution.clean_components([product, service])
    solution.components.set([product, service])
    assert set(product.solutions.all()) == {solution}


def test_a_product_with_components_cannot_be_saved_by_the_admin_form(product, service):
    data = {
        "code": product.code,
        "name_en": product.name_en,
        "name_de": product.name_de,
        "kind": "product",
        "product_group": str(product.product_group_id),
        "components": [str(service.pk)],
        "order": "0",
        "active": "on",
    }
    form = OfferingAdminForm(data, instance=product)
    assert not form.is_valid()
    assert "Only a solution can have components." in form.errors["components"]
    form = OfferingAdminForm({**data, "kind": "solution"}, instance=product)
    assert form.is_valid(), form.errors


def test_a_component_cannot_become_a_solution(solution, product):
    solution.components.set([product])
    product.kind = "solution"
    with pytest.raises(ValidationError) as error:
        product.full_clean()
    assert "kind" in error.value.message_dict


def test_offering_name_follows_the_language(product):
    from django.utils import translation

    with translation.override("de"):
        assert product.name == product.name_de
    with translation.override("en"):
        assert product.name == "Gear motors"


# --- selling positions ----------------------------------------------------------------------


def test_a_bundle_position_needs_a_solution(account, product, solution):
    position = SellingPosition(account=account, offering=product, stage="bundled")
    with pytest.raises(ValidationError) as error:
        position.full_clean()
    assert error.value.message_dict["stage"] == [
        "A position in a solution bundle needs a solution offering."
    ]
    SellingPosition(account=account, offering=solution, stage="bundled").full_clean()


def test_joint_development_is_allowed_on_the_account_and_at_a_site(account, owner, product):
    site = factories.SiteFactory(account=account)
    other = factories.OfferingFactory()
    selling_position_create(
        account=account, user=owner, offering=product, stage="joint_development"
    )
    selling_position_create(
        account=account, user=owner, offering=other, site=site, stage="joint_development"
    )
    assert SellingPosition.objects.filter(stage="joint_development").count() == 2


def test_joint_development_sits_once_per_offering(account, owner, product):
    bremen = factories.SiteFactory(account=account, name="Bremen plant")
    leipzig = factories.SiteFactory(account=account, name="Leipzig plant")
    selling_position_create(
        account=account, user=owner, offering=product, site=bremen, stage="joint_development"
    )
    for site in (None, leipzig):
        with pytest.raises(ValidationError) as error:
            selling_position_create(
                account=account, user=owner, offering=product, site=site, stage="joint_development"
            )
        assert error.value.message_dict["stage"] == [
            "This offering is already in joint development with this account (Bremen plant). "
            "A joint development sits either on the account level or at one site."
        ]
    # Other stages at other sites, and the same offering with another account, are fine.
    selling_position_create(account=account, user=owner, offering=product, site=leipzig)
    factories.SellingPositionFactory(offering=product, stage="joint_development")
    assert SellingPosition.objects.filter(stage="joint_development").count() == 2


def test_moving_a_joint_development_to_the_account_level(account, owner, product):
    site = factories.SiteFactory(account=account)
    position = selling_position_create(
        account=account, user=owner, offering=product, site=site, stage="joint_development"
    )
    # Updating the one position itself is not a conflict.
    selling_position_update(position=position, user=owner, next_step="Prototype review")
    selling_position_update(position=position, user=owner, stage="sold")
    selling_position_create(
        account=account, user=owner, offering=product, stage="joint_development"
    )


def test_it_refuses_a_site_of_another_account(account, owner, product):
    foreign_site = factories.SiteFactory()
    position = SellingPosition(account=account, offering=product, site=foreign_site)
    with pytest.raises(ValidationError) as error:
        position.full_clean()
    assert error.value.message_dict["site"] == ["The site must belong to this key account."]
    with pytest.raises(ValidationError):
        selling_position_create(account=account, user=owner, offering=product, site=foreign_site)
    assert not SellingPosition.objects.exists()


def test_it_refuses_revenue_above_the_customers_spend(account, product):
    position = SellingPosition(
        account=account, offering=product, current_revenue=D(10), customer_spend=D(5)
    )
    with pytest.raises(ValidationError) as error:
        position.full_clean()
    assert error.value.message_dict["current_revenue"] == [
        "The current revenue cannot exceed the customer's total spend."
    ]


def test_the_expected_month_is_kept_as_its_first_day(account, product):
    import datetime

    position = SellingPosition(
        account=account, offering=product, expected_month=datetime.date(2027, 5, 17)
    )
    position.full_clean()
    assert position.expected_month == datetime.date(2027, 5, 1)


def test_one_position_per_offering_and_site(account, product):
    site = factories.SiteFactory(account=account)
    factories.SellingPositionFactory(account=account, offering=product, site=site)
    duplicate = SellingPosition(account=account, offering=product, site=site)
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "This account already has a position for this offering at this site." in str(error.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_one_whole_account_position_per_offering(account, product):
    # NULL sites never collide in a plain unique index; the partial constraint catches them,
    # on SQLite and PostgreSQL alike (the suite runs on both).
    factories.SellingPositionFactory(account=account, offering=product, site=None)
    duplicate = SellingPosition(account=account, offering=product)
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "for the whole account" in str(error.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_whole_account_and_site_positions_coexist(account, product):
    site = factories.SiteFactory(account=account)
    factories.SellingPositionFactory(account=account, offering=product, site=None)
    factories.SellingPositionFactory(account=account, offering=product, site=site)
    factories.SellingPositionFactory(offering=product, site=None)  # another account
    assert SellingPosition.objects.count() == 3


def test_whole_account_uniqueness_on_postgresql(postgresql, account, product):
    factories.SellingPositionFactory(account=account, offering=product, site=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        SellingPosition.objects.create(account=account, offering=product)


def test_it_refuses_negative_money_and_probability_out_of_range(account, product):
    for fields in ({"potential_revenue": D(-1)}, {"probability": 101}):
        with pytest.raises(IntegrityError), transaction.atomic():
            SellingPosition.objects.create(account=account, offering=product, **fields)


def test_share_of_wallet(account, product):
    position = SellingPosition(current_revenue=D(25000), customer_spend=D(100000))
    assert position.share_of_wallet == D(25)
    assert SellingPosition(current_revenue=D(1), customer_spend=D(0)).share_of_wallet is None
    assert SellingPosition(current_revenue=None, customer_spend=D(10)).share_of_wallet is None
    position = SellingPosition(potential_revenue=D(30000), probability=40)
    assert position.weighted_potential == D(12000)


# --- the tab --------------------------------------------------------------------------------


def test_the_tab_groups_and_totals(client, owner, account, product, service):
    site = factories.SiteFactory(account=account, name="Bremen plant")
    factories.SellingPositionFactory(account=account, offering=product, site=site)
    factories.SellingPositionFactory(account=account, offering=product, stage="potential")
    factories.SellingPositionFactory(account=account, offering=service, stage="not_sold")
    client.force_login(owner)
    response = client.get(reverse("goals:selling_positions", args=[account.pk]))
    table = response.context["table"]
    assert table.count == 3
    assert [s.product_group for s in table.sections] == [product.product_group, None]
    assert table.totals.current_revenue == D(120000)
    assert table.totals.share_of_wallet == D(40)
    assert table.totals.weighted_potential == D(45000)
    html = response.content.decode()
    assert "Bremen plant" in html and "Whole account" in html and "Selling positions" in html
    response = client.get(
        reverse("goals:selling_positions", args=[account.pk]), {"stage": "potential"}
    )
    assert response.context["table"].count == 1


def test_the_form_offers_only_the_accounts_sites_active_offerings_and_team(
    client, owner, team_member, outsider, account, product
):
    site = factories.SiteFactory(account=account)
    factories.SiteFactory()
    retired = factories.OfferingFactory(active=False)
    client.force_login(owner)
    form = client.get(reverse("goals:selling_position_create", args=[account.pk])).context["form"]
    assert list(form.fields["site"].queryset) == [site]
    assert product in form.fields["offering"].queryset
    assert retired not in form.fields["offering"].queryset
    assert set(form.fields["owner"].queryset) == {owner, team_member}


def test_it_creates_a_position_via_the_form(client, owner, account, solution):
    client.force_login(owner)
    response = client.post(
        reverse("goals:selling_position_create", args=[account.pk]),
        position_data(solution, stage="bundled", expected_month="2027-03-15"),
    )
    assert response.status_code == 302
    position = SellingPosition.objects.get()
    assert position.account == account and position.stage == "bundled"
    assert str(position.expected_month) == "2027-03-01"


def test_the_form_shows_the_bundle_rule_on_stage(client, owner, account, product):
    client.force_login(owner)
    response = client.post(
        reverse("goals:selling_position_create", args=[account.pk]),
        position_data(product, stage="bundled"),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["stage"] == [
        "A position in a solution bundle needs a solution offering."
    ]
    assert not SellingPosition.objects.exists()


def test_the_form_refuses_a_duplicate_whole_account_position(client, owner, account, product):
    factories.SellingPositionFactory(account=account, offering=product)
    client.force_login(owner)
    before = snapshot()
    response = client.post(
        reverse("goals:selling_position_create", args=[account.pk]), position_data(product)
    )
    assert response.status_code == 200
    assert "for the whole account" in str(response.context["form"].non_field_errors())
    assert snapshot() == before


def test_the_form_refuses_a_site_of_another_account(client, owner, account, product):
    foreign_site = factories.SiteFactory()
    client.force_login(owner)
    response = client.post(
        reverse("goals:selling_position_create", args=[account.pk]),
        position_data(product, site=str(foreign_site.pk)),
    )
    assert response.status_code == 200
    assert "site" in response.context["form"].errors
    assert not SellingPosition.objects.exists()


def tab_queries(client, account, owner, count: int) -> int:
    sites = [factories.SiteFactory(account=account) for _ in range(5)]
    for index in range(count):
        factories.SellingPositionFactory(
            account=account,
            site=sites[index % 5],
            owner=owner,
            offering__code=f"o_{account.pk}_{index}",
        )
    client.force_login(owner)
    url = reverse("goals:selling_positions", args=[account.pk])
    client.get(url)  # warm the session and the caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.context["table"].count == count
    return len(queries)


def test_the_tab_query_count_does_not_grow_with_positions(client, owner):
    small = factories.KeyAccountFactory(owner=owner)
    large = factories.KeyAccountFactory(owner=owner)
    few = tab_queries(client, small, owner, 5)
    many = tab_queries(client, large, owner, 50)
    assert few == many
    assert many <= 12


# --- who may see and change what ------------------------------------------------------------


def position_data(offering, **overrides) -> dict:
    data = {
        "offering": str(offering.pk),
        "site": "",
        "stage": "potential",
        "current_revenue": "",
        "customer_spend": "200000",
        "main_competitor": "Antriebstechnik Süd",
        "potential_revenue": "50000",
        "probability": "30",
        "expected_month": "",
        "next_step": "Visit the Bremen plant",
        "owner": "",
    }
    data.update(overrides)
    return data


@dataclass
class World:
    account: object
    position: SellingPosition
    other_position: SellingPosition  # on another account
    offering: Offering


@pytest.fixture
def world(account, outsider) -> World:
    factories.KeyAccountFactory(owner=outsider, name="Meridian Foods")
    offering = factories.OfferingFactory(code="couplings")
    return World(
        account=account,
        position=factories.SellingPositionFactory(account=account),
        other_position=factories.SellingPositionFactory(),
        offering=offering,
    )


def _a(w):
    return [w.account.pk]


def _p(w):
    return [w.account.pk, w.position.pk]


def _c(w):
    # The whitespace cell of the world's position: its offering for the whole account (site 0).
    return [w.account.pk, w.position.offering_id, 0]


def cell_data(**overrides) -> dict:
    data = {
        "stage": "potential",
        "current_revenue": "",
        "customer_spend": "",
        "potential_revenue": "50000",
        "probability": "30",
        "expected_month": "2027-05",
        "main_competitor": "",
        "next_step": "",
    }
    data.update(overrides)
    return data


URLS = [
    ("selling_positions", _a, "get", None),
    ("selling_position_create", _a, "get", None),
    ("selling_position_create", _a, "post", lambda w: position_data(w.offering)),
    ("selling_position_edit", _p, "get", None),
    (
        "selling_position_edit",
        _p,
        "post",
        lambda w: position_data(w.position.offering, next_step="Changed"),
    ),
    ("selling_position_delete", _p, "post", lambda w: {}),
    ("whitespace", _a, "get", None),
    ("whitespace_cell", _c, "get", None),
    ("whitespace_cell", _c, "post", lambda w: cell_data(stage="offered")),
    ("account_pipeline", _a, "get", None),
    ("selling_export_account", _a, "get", None),
]
READS = {
    ("selling_positions", "get"),
    ("whitespace", "get"),
    ("account_pipeline", "get"),
    ("selling_export_account", "get"),
}
IDS = [f"{name}-{method}" for name, _, method, _ in URLS]


SELLING_VIEWS = {"goals.views.selling", "goals.views.pipeline", "goals.views.selling_io"}


def test_every_selling_url_is_covered():
    from tests.goals.test_selling_access import GLOBAL_URLS

    served = {p.name for p in goal_urls.urlpatterns if p.callback.__module__ in SELLING_VIEWS}
    assert served == {name for name, *_ in URLS} | {name for name, *_ in GLOBAL_URLS}


def request(client, world, name, args, method, data):
    url = reverse(f"goals:{name}", args=args(world))
    return client.post(url, data(world)) if method == "post" else client.get(url)


@pytest.mark.parametrize("persona", access.PERSONAS)
@pytest.mark.parametrize(("name", "args", "method", "data"), URLS, ids=IDS)
def test_every_url_answers_each_persona(client, world, login_as, persona, name, args, method, data):
    login_as(persona)
    access.check_account_page(
        persona,
        lambda: request(client, world, name, args, method, data),
        method=method,
        read=(name, method) in READS,
        snapshot=snapshot,
    )


WRITES = [u for u in URLS if (u[0], u[2]) not in READS]


@pytest.mark.parametrize(
    ("name", "args", "method", "data"), WRITES, ids=[f"{n}-{m}" for n, _, m, _ in WRITES]
)
def test_it_refuses_writes_on_archived_account(client, world, owner, name, args, method, data):
    world.account.status = AccountStatus.ARCHIVED
    world.account.save()
    client.force_login(owner)
    before = snapshot()
    assert request(client, world, name, args, method, data).status_code == 403
    assert snapshot() == before


POSITION_URLS = [u for u in URLS if u[1] is _p]


@pytest.mark.parametrize(
    ("name", "args", "method", "data"),
    POSITION_URLS,
    ids=[f"{n}-{m}" for n, _, m, _ in POSITION_URLS],
)
def test_position_of_another_account_is_404(client, world, owner, name, args, method, data):
    client.force_login(owner)
    before = snapshot()
    url = reverse(f"goals:{name}", args=[world.account.pk, world.other_position.pk])
    response = client.post(url, data(world)) if method == "post" else client.get(url)
    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize(
    "url",
    [
        "admin:goals_offering_changelist",
        "admin:goals_offering_add",
        "admin:goals_productgroup_changelist",
        "admin:goals_productgroup_add",
    ],
)
def test_the_catalogue_is_kept_in_the_admin(client, administrator, product, url):
    client.force_login(administrator)
    assert client.get(reverse(url), {"q": "gear"}).status_code == 200


def test_the_admin_refuses_a_solution_as_component(client, administrator, solution):
    other = factories.OfferingFactory(kind="solution", product_group=None)
    client.force_login(administrator)
    response = client.post(
        reverse("admin:goals_offering_change", args=[solution.pk]),
        {
            "code": solution.code,
            "name_en": solution.name_en,
            "name_de": solution.name_de,
            "kind": "solution",
            "product_group": "",
            "components": [str(other.pk)],
            "order": "0",
            "active": "on",
        },
    )
    assert response.status_code == 200
    assert not solution.components.exists()


def test_selling_positions_are_corrected_in_the_admin_under_the_same_rules(
    client, administrator, account, product
):
    site = factories.SiteFactory(account=account)
    factories.SellingPositionFactory(account=account, offering=product, stage="joint_development")
    client.force_login(administrator)
    assert client.get(reverse("admin:goals_sellingposition_changelist")).status_code == 200
    data = {
        "account": str(account.pk),
        "offering": str(product.pk),
        "site": str(site.pk),
        "stage": "joint_development",
        "probability": "0",
    }
    response = client.post(reverse("admin:goals_sellingposition_add"), data)
    assert "already in joint development with this account (whole account)" in (
        response.content.decode()
    )
    response = client.post(reverse("admin:goals_sellingposition_add"), {**data, "stage": "sold"})
    assert response.status_code == 302
    assert SellingPosition.objects.filter(site=site, stage="sold").exists()


def test_writes_tell_controlling_the_accounts_figures_changed(account, owner, product):
    received = []

    def receiver(sender, account_ids, reason, **kwargs):
        received.append((sender, account_ids))

    figures_changed.connect(receiver)
    try:
        position = selling_position_create(account=account, user=owner, offering=product)
        selling_position_update(position=position, user=owner, stage="sold")
        selling_position_delete(position=position, user=owner)
    finally:
        figures_changed.disconnect(receiver)
    assert received == [(SellingPosition, [account.pk])] * 3
