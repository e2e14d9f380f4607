"""Dimension metrics on hand-built accounts whose answers are known."""

from decimal import Decimal

import pytest

from goals.models import PathStage
from goals.selectors.selling import DimensionMetrics, dimension_metrics
from tests import factories

D = Decimal


@pytest.fixture
def catalogue(db):
    """Three product groups with active products, one group whose only product is retired
    (so not in the catalogue), a service and a solution bundling a drive and the service."""
    drives = factories.ProductGroupFactory(code="drives")
    automation = factories.ProductGroupFactory(code="automation")
    mechanics = factories.ProductGroupFactory(code="mechanics")
    retired_group = factories.ProductGroupFactory(code="hydraulics")
    c = {
        "gear": factories.OfferingFactory(code="gear", product_group=drives),
        "servo": factories.OfferingFactory(code="servo", product_group=drives),
        "inverter": factories.OfferingFactory(code="inverter", product_group=automation),
        "coupling": factories.OfferingFactory(code="coupling", product_group=mechanics),
        "pump": factories.OfferingFactory(code="pump", product_group=retired_group, active=False),
        "service": factories.OfferingFactory(code="service", kind="service", product_group=None),
        "package": factories.OfferingFactory(code="package", kind="solution", product_group=None),
    }
    c["package"].components.set([c["inverter"], c["service"]])
    return c


def position(account, offering, stage="sold", site=None, current=None, **fields):
    return factories.SellingPositionFactory(
        account=account,
        offering=offering,
        stage=stage,
        site=site,
        current_revenue=D(current) if current is not None else None,
        customer_spend=None,
        **fields,
    )


def metrics_of(account) -> DimensionMetrics:
    return dimension_metrics(account_ids=[account.pk])[account.pk]


def test_an_account_without_positions(account, catalogue):
    factories.SiteFactory(account=account)
    m = metrics_of(account)
    assert m.product_groups_sold == 0
    assert m.product_groups_total == 3  # hydraulics has no active product
    assert m.cross_selling_ratio == D("0.00")
    assert (m.sites_served, m.sites_total) == (0, 1)
    assert m.solution_revenue_share is None
    assert m.joint_developments == 0
    assert m.path_stage == PathStage.SINGLE


def test_an_empty_catalogue_has_no_ratio(account):
    m = metrics_of(account)
    assert m.product_groups_total == 0
    assert m.cross_selling_ratio is None


def test_dimension_1_counts_groups_sold_directly_and_inside_a_bundle(account, catalogue):
    position(account, catalogue["gear"])
    position(account, catalogue["servo"], stage="joint_development")  # same group as gear
    position(account, catalogue["coupling"], stage="potential")  # not sold
    position(account, catalogue["package"], stage="bundled")  # brings automation
    position(account, catalogue["pump"])  # its group is not in the catalogue any more
    m = metrics_of(account)
    assert m.product_groups_sold == 2  # drives, automation
    assert m.product_groups_total == 3
    assert m.cross_selling_ratio == D("66.67")
    assert m.products_sold == 4  # gear, servo, inverter (in the bundle), pump


@pytest.mark.parametrize("stage", ["not_sold", "potential", "offered"])
def test_open_and_lost_stages_do_not_count_as_sold(account, catalogue, stage):
    site = factories.SiteFactory(account=account)
    position(account, catalogue["gear"], stage=stage, site=site, current=1000)
    m = metrics_of(account)
    assert (m.product_groups_sold, m.products_sold, m.sites_served) == (0, 0, 0)


def test_dimension_2_counts_sites_regions_and_countries_served(account, catalogue):
    bremen = factories.SiteFactory(account=account, name="Bremen", region="North", country="DE")
    hamburg = factories.SiteFactory(account=account, name="Hamburg", region="north ", country="DE")
    leipzig = factories.SiteFactory(account=account, name="Leipzig", region="East", country="DE")
    graz = factories.SiteFactory(account=account, name="Graz", region="", country="AT")
    factories.SiteFactory(account=account, name="Cork", region="Munster", country="IE")  # unserved
    position(account, catalogue["gear"], site=bremen)
    position(account, catalogue["coupling"], site=bremen)  # the same site twice
    position(account, catalogue["gear"], site=hamburg)  # same region, spelt differently
    position(account, catalogue["gear"], site=graz)  # no region
    position(account, catalogue["gear"], site=leipzig, stage="offered")  # not served
    position(account, catalogue["servo"])  # whole account: no site
    m = metrics_of(account)
    assert (m.sites_served, m.sites_total) == (3, 5)
    assert m.regions_served == 1  # North (DE); Graz has no region
    assert m.countries_served == 2  # DE, AT
    assert m.site_coverage == D("60.00")


def test_dimension_3_share_of_revenue_from_services_and_solutions(account, catalogue):
    position(account, catalogue["gear"], current="600000")
    position(account, catalogue["service"], current="100000")
    position(account, catalogue["package"], stage="bundled", current="200000")
    position(account, catalogue["coupling"], stage="potential", current=None)
    position(account, catalogue["servo"], stage="joint_development")
    m = metrics_of(account)
    assert m.current_revenue == D("900000")
    assert m.solution_revenue == D("300000")
    assert m.solution_revenue_share == D("33.33")
    assert m.joint_developments == 1


def test_no_revenue_means_no_share(account, catalogue):
    position(account, catalogue["service"], current=None)
    assert metrics_of(account).solution_revenue_share is None


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda a, c, s: [position(a, c["gear"], site=s[0])], PathStage.SINGLE),
        (
            lambda a, c, s: [
                position(a, c["gear"], site=s[0]),
                position(a, c["servo"], site=s[0]),
            ],
            PathStage.CROSS_PRODUCT,
        ),
        (
            lambda a, c, s: [position(a, c["gear"], site=s[0]), position(a, c["gear"], site=s[1])],
            PathStage.CROSS_ORGANISATION,
        ),
        (
            lambda a, c, s: [position(a, c["gear"]), position(a, c["service"])],
            PathStage.UP_SELLING,
        ),
        (
            lambda a, c, s: [position(a, c["package"], stage="bundled")],
            PathStage.UP_SELLING,
        ),
        (
            lambda a, c, s: [
                position(a, c["gear"], site=s[0]),
                position(a, c["gear"], site=s[1]),
                position(a, c["servo"], stage="joint_development"),
            ],
            PathStage.JOINT_DEVELOPMENT,
        ),
        # A potential service is not up-selling yet.
        (
            lambda a, c, s: [position(a, c["gear"]), position(a, c["service"], stage="offered")],
            PathStage.SINGLE,
        ),
    ],
    ids=["single", "cross-product", "cross-organisation", "service", "bundle", "joint", "open"],
)
def test_path_stage_is_the_highest_step_reached(account, catalogue, build, expected):
    sites = [factories.SiteFactory(account=account), factories.SiteFactory(account=account)]
    build(account, catalogue, sites)
    m = metrics_of(account)
    assert m.path_stage == expected
    assert m.path_steps[m.path_index - 1] == (PathStage(expected).label, True, True)


def test_each_account_gets_its_own_metrics_in_a_fixed_number_of_queries(
    catalogue, django_assert_max_num_queries
):
    accounts = [factories.KeyAccountFactory() for _ in range(12)]
    for index, account in enumerate(accounts):
        site = factories.SiteFactory(account=account)
        position(account, catalogue["gear"], site=site, current="100")
        if index % 2:
            position(account, catalogue["service"], current="100")
    with django_assert_max_num_queries(6):
        result = dimension_metrics(account_ids=[a.pk for a in accounts])
    assert len(result) == 12
    assert [result[a.pk].solution_revenue_share for a in accounts[:2]] == [D("0.00"), D("50.00")]
    assert result[accounts[1].pk].path_stage == PathStage.UP_SELLING
    assert dimension_metrics(account_ids=[]) == {}


def test_the_account_page_shows_the_metrics(client, owner, account, catalogue):
    position(account, catalogue["gear"], current="100")
    position(account, catalogue["service"], current="300")
    client.force_login(owner)
    response = client.get(account.get_absolute_url())
    html = response.content.decode()
    assert 'data-metric="solution-share">75.0 %' in html
    assert 'data-metric="path-stage">Up-selling (solutions)' in html
