"""The whitespace matrix: offerings by sites, coloured by stage, with totals and inline edit."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from goals.models import SellingPosition
from goals.selectors.selling import WhitespaceFilter, compact, whitespace_matrix
from tests import factories

D = Decimal
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def setup(account):
    """Two product groups, a service and a solution; sites in two countries and regions."""
    drives = factories.ProductGroupFactory(code="drives", name_en="Drives", order=1)
    mechanics = factories.ProductGroupFactory(code="mechanics", name_en="Mechanics", order=2)
    o = {
        "solution": factories.OfferingFactory(
            code="package", name_en="Drive package", kind="solution", product_group=None
        ),
        "service": factories.OfferingFactory(
            code="service", name_en="Field service", kind="service", product_group=None
        ),
        "coupling": factories.OfferingFactory(
            code="coupling", name_en="Couplings", product_group=mechanics
        ),
        "gear": factories.OfferingFactory(code="gear", name_en="Gear motors", product_group=drives),
        "old": factories.OfferingFactory(code="old", product_group=drives, active=False),
    }
    s = {
        "bremen": factories.SiteFactory(
            account=account, name="Bremen", region="North", country="DE"
        ),
        "hamburg": factories.SiteFactory(
            account=account, name="Hamburg", region="North", country="DE"
        ),
        "leipzig": factories.SiteFactory(
            account=account, name="Leipzig", region="East", country="DE"
        ),
        "graz": factories.SiteFactory(account=account, name="Graz", region="Styria", country="AT"),
    }
    return o, s


def sell(account, offering, site=None, stage="sold", current="0", potential="0"):
    return factories.SellingPositionFactory(
        account=account,
        offering=offering,
        site=site,
        stage=stage,
        current_revenue=D(current),
        customer_spend=None,
        potential_revenue=D(potential),
    )


def cell_of(matrix, offering, key):
    row = next(r for r in matrix.rows if r.offering == offering)
    return next(c for c in row.cells if c.column.key == key)


# --- the matrix -------------------------------------------------------------------------------


def test_rows_are_grouped_and_columns_follow_country_and_region(account, setup):
    o, s = setup
    matrix = whitespace_matrix(account=account)
    assert [(sec.label, [r.offering.code for r in sec.rows]) for sec in matrix.sections] == [
        ("Drives", ["gear"]),  # the retired offering has no position here
        ("Mechanics", ["coupling"]),
        ("Services", ["service"]),
        ("Solutions", ["package"]),
    ]
    assert [c.label for c in matrix.columns] == [
        "Whole account",
        "Graz",
        "Leipzig",
        "Bremen",
        "Hamburg",
    ]
    assert [(x.label, x.span) for x in matrix.countries] == [("Austria", 1), ("Germany", 3)]
    assert [(x.label, x.span) for x in matrix.regions] == [("Styria", 1), ("East", 1), ("North", 2)]


def test_totals_per_row_column_and_in_all(account, setup):
    o, s = setup
    sell(account, o["gear"], s["bremen"], current="100", potential="10")
    sell(account, o["gear"], s["graz"], stage="potential", potential="50")
    sell(account, o["coupling"], s["bremen"], current="30")
    sell(account, o["service"], None, current="7", potential="3")
    matrix = whitespace_matrix(account=account)
    rows = {r.offering.code: (r.totals.current, r.totals.potential) for r in matrix.rows}
    assert rows == {
        "gear": (D(100), D(60)),
        "coupling": (D(30), D(0)),
        "service": (D(7), D(3)),
        "package": (D(0), D(0)),
    }
    columns = {c.label: (c.totals.current, c.totals.potential) for c in matrix.columns}
    assert columns["Bremen"] == (D(130), D(10))
    assert columns["Graz"] == (D(0), D(50))
    assert columns["Whole account"] == (D(7), D(3))
    assert columns["Leipzig"] == (D(0), D(0))
    assert (matrix.totals.current, matrix.totals.potential) == (D(137), D(63))
    assert matrix.positions == 4
    assert cell_of(matrix, o["gear"], s["graz"].pk).stage == "potential"
    assert cell_of(matrix, o["gear"], s["leipzig"].pk).position is None  # whitespace


def test_a_retired_offering_stays_where_a_position_keeps_it(account, setup):
    o, s = setup
    sell(account, o["old"], s["graz"])
    codes = [r.offering.code for r in whitespace_matrix(account=account).rows]
    assert "old" in codes


def test_filters_by_country_region_and_product_group(account, setup):
    o, s = setup
    sell(account, o["gear"], s["bremen"], current="100")
    sell(account, o["gear"], s["graz"], current="5")
    sell(account, o["gear"], None, current="1000")
    by_country = whitespace_matrix(account=account, filters=WhitespaceFilter(country="AT"))
    assert [c.label for c in by_country.columns] == ["Graz"]
    assert not by_country.whole_account_shown
    assert by_country.totals.current == D(5)
    by_region = whitespace_matrix(account=account, filters=WhitespaceFilter(region="North"))
    assert [c.label for c in by_region.columns] == ["Bremen", "Hamburg"]
    by_group = whitespace_matrix(account=account, filters=WhitespaceFilter(group="service"))
    assert [r.offering.code for r in by_group.rows] == ["service"]
    assert by_group.whole_account_shown
    assert by_group.totals.current == D(0)
    drives = whitespace_matrix(
        account=account, filters=WhitespaceFilter(group=str(o["gear"].product_group_id))
    )
    assert [r.offering.code for r in drives.rows] == ["gear"]
    assert drives.totals.current == D(1105)


def test_compact_figures():
    assert [compact(D(v)) for v in ("950", "1000", "12400", "1250000", "20000000")] == [
        "950",
        "1k",
        "12k",
        "1.2M",
        "20M",
    ]


# --- the page ---------------------------------------------------------------------------------


def page(client, account, **params):
    return client.get(reverse("goals:whitespace", args=[account.pk]), params)


def test_the_page_colours_cells_and_says_the_stage_in_text(client, owner, account, setup):
    o, s = setup
    sell(account, o["gear"], s["bremen"], current="40000")
    client.force_login(owner)
    html = page(client, account).content.decode()
    gear_bremen = f'id="cell-{o["gear"].pk}-{s["bremen"].pk}" class="ws-cell ws-sold"'
    assert gear_bremen in html
    assert '<abbr title="Sold">S</abbr><span class="ws-figure">40k</span>' in html
    assert f'id="cell-{o["gear"].pk}-{s["graz"].pk}" class="ws-cell ws-empty"' in html
    assert "Whitespace: no position yet" in html  # the legend
    assert 'class="ws-link"' in html


def test_leadership_sees_the_matrix_without_edit_links(client, leadership, account, setup):
    o, s = setup
    sell(account, o["gear"], s["bremen"])
    client.force_login(leadership)
    response = page(client, account)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="ws-link"' not in html
    assert 'class="ws-static"' in html
    assert 'id="cell-editor"' not in html


def test_the_filter_form_returns_only_the_matrix_to_htmx(client, owner, account, setup):
    client.force_login(owner)
    response = client.get(
        reverse("goals:whitespace", args=[account.pk]),
        {"country": "AT", "region": "", "group": "nonsense"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="whitespace-matrix",
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="whitespace-matrix">')
    assert "<nav" not in html
    # The cells carry the filter to the editor; the unknown group is dropped.
    assert '/?country=AT"' in html
    assert "nonsense" not in html


def test_an_empty_catalogue_says_so(client, owner, account):
    client.force_login(owner)
    assert "The offerings catalogue is empty" in page(client, account).content.decode()


def matrix_url(owner, offerings: int, sites: int) -> str:
    """An account with the given numbers of offerings and sites, a position at one site and
    one for the whole account per offering."""
    account = factories.KeyAccountFactory(owner=owner)
    group = factories.ProductGroupFactory()
    site_list = [factories.SiteFactory(account=account) for _ in range(sites)]
    for index in range(offerings):
        offering = factories.OfferingFactory(product_group=group)
        sell(account, offering, site_list[index % sites], current="10")
        sell(account, offering, None, stage="potential", potential="5")
    return reverse("goals:whitespace", args=[account.pk])


def test_the_page_query_count_does_not_grow_with_offerings_and_sites(
    client, owner, django_assert_max_num_queries
):
    small = matrix_url(owner, 5, 2)
    client.force_login(owner)
    client.get(small)  # warm the session
    with CaptureQueriesContext(connection) as queries:
        client.get(small)
    large = matrix_url(owner, 50, 20)
    with django_assert_max_num_queries(len(queries)):
        response = client.get(large)
    matrix = response.context["matrix"]
    assert len(matrix.rows) == 55  # the catalogue holds the small account's offerings too
    assert len(matrix.site_columns) == 20
    assert matrix.positions == 100
    assert len(queries) <= 20  # the layout's own queries included


# --- inline cell edit -------------------------------------------------------------------------


def cell_url(account, offering, site=None, query=""):
    url = reverse("goals:whitespace_cell", args=[account.pk, offering.pk, site.pk if site else 0])
    return f"{url}?{query}" if query else url


def oob(dom_id: str, figure: str) -> str:
    """An out-of-band total cell as the response sends it, starting with its current revenue."""
    return f'<td id="{dom_id}" class="ws-total ws-updated" hx-swap-oob="true">{figure}'


def cell_data(**overrides):
    data = {
        "stage": "offered",
        "current_revenue": "",
        "customer_spend": "",
        "potential_revenue": "80000",
        "probability": "40",
        "expected_month": "2027-05",
        "main_competitor": "Antriebstechnik Süd",
        "next_step": "Send the offer",
    }
    data.update(overrides)
    return data


def test_the_editor_opens_with_the_cells_values(client, owner, account, setup):
    o, s = setup
    sell(account, o["gear"], s["bremen"], current="40000")
    client.force_login(owner)
    response = client.get(cell_url(account, o["gear"], s["bremen"]), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<nav" not in html  # only the editor
    assert 'value="40,000.00"' in html  # grouped, as English writes it
    assert f'hx-target="#cell-{o["gear"].pk}-{s["bremen"].pk}"' in html
    assert "Clear cell" in html


def test_saving_a_cell_returns_it_with_its_totals_and_the_metrics(client, owner, account, setup):
    o, s = setup
    sell(account, o["gear"], s["bremen"], current="100")
    sell(account, o["coupling"], s["graz"], current="7")
    client.force_login(owner)
    response = client.post(
        cell_url(account, o["gear"], s["graz"]),
        cell_data(stage="sold", current_revenue="1234.56"),
        **HTMX,
    )
    assert response.status_code == 200
    position = SellingPosition.objects.get(account=account, offering=o["gear"], site=s["graz"])
    assert position.stage == "sold"
    assert position.current_revenue == D("1234.56")
    assert position.expected_month == datetime.date(2027, 5, 1)
    assert position.next_step == "Send the offer"
    html = response.content.decode()
    cell_id = f"cell-{o['gear'].pk}-{s['graz'].pk}"
    assert html.lstrip().startswith(f'<td id="{cell_id}" class="ws-cell ws-sold')
    assert (
        f'<td id="row-total-{o["gear"].pk}" class="ws-total ws-updated" hx-swap-oob="true">1,335'
        in html
    )
    assert (
        f'<td id="column-total-{s["graz"].pk}" class="ws-total ws-updated" hx-swap-oob="true">1,242'
        in html
    )
    assert '<td id="grand-total" class="ws-total ws-updated" hx-swap-oob="true">1,342' in html
    assert '<div id="dimension-metrics" class="card mb-3" hx-swap-oob="true">' in html
    assert 'data-metric="sites">2 / 4' in html
    assert 'id="cell-editor"' in html


def test_a_filtered_page_gets_totals_under_its_filter(client, owner, account, setup):
    o, s = setup
    sell(account, o["gear"], None, current="1000")
    client.force_login(owner)
    response = client.post(
        cell_url(account, o["gear"], s["graz"], "country=AT"), cell_data(stage="sold"), **HTMX
    )
    html = response.content.decode()
    # The whole-account 1,000 is not in the Austrian view's row total.
    assert (
        f'<td id="row-total-{o["gear"].pk}" class="ws-total ws-updated" hx-swap-oob="true">0<'
        in html
    )


def test_an_invalid_cell_goes_back_to_the_editor(client, owner, account, setup):
    o, s = setup
    client.force_login(owner)
    response = client.post(
        cell_url(account, o["gear"], s["graz"]),
        cell_data(stage="bundled", probability="140", expected_month="May"),
        **HTMX,
    )
    assert response.headers["HX-Retarget"] == "#cell-editor"
    assert response.headers["HX-Reswap"] == "innerHTML"
    html = response.content.decode()
    assert "A position in a solution bundle needs a solution offering." in html
    assert "The probability must be from 0 to 100." in html
    assert "Enter a month as YYYY-MM." in html
    assert not SellingPosition.objects.exists()


def test_a_second_joint_development_is_refused_in_the_editor(client, owner, account, setup):
    o, s = setup
    sell(account, o["gear"], None, stage="joint_development")
    client.force_login(owner)
    response = client.post(
        cell_url(account, o["gear"], s["graz"]), cell_data(stage="joint_development"), **HTMX
    )
    assert "already in joint development with this account (whole account)" in (
        response.content.decode()
    )
    assert SellingPosition.objects.count() == 1


def test_clearing_a_cell_makes_it_whitespace_again(client, owner, account, setup):
    o, s = setup
    sell(account, o["gear"], s["graz"], current="10")
    client.force_login(owner)
    response = client.post(cell_url(account, o["gear"], s["graz"]), {"action": "clear"}, **HTMX)
    assert not SellingPosition.objects.exists()
    html = response.content.decode()
    assert 'class="ws-cell ws-empty' in html
    assert oob("grand-total", "0<") in html


def test_without_htmx_the_editor_is_a_page_that_redirects_back(client, owner, account, setup):
    o, s = setup
    client.force_login(owner)
    url = cell_url(account, o["service"], None, "group=service")
    assert "<nav" in client.get(url).content.decode()
    response = client.post(url, cell_data())
    assert response.status_code == 302
    assert response.url == reverse("goals:whitespace", args=[account.pk]) + "?group=service"
    assert SellingPosition.objects.get().site is None


def test_cells_of_other_accounts_sites_and_retired_offerings_are_404(client, owner, account, setup):
    o, s = setup
    foreign_site = factories.SiteFactory()
    client.force_login(owner)
    assert client.get(cell_url(account, o["gear"], foreign_site)).status_code == 404
    assert client.get(cell_url(account, o["old"], s["graz"])).status_code == 404
    assert client.post(cell_url(account, o["old"], s["graz"]), cell_data()).status_code == 404
    missing = reverse("goals:whitespace_cell", args=[account.pk, 999999, 0])
    assert client.get(missing).status_code == 404
    # A retired offering can still be edited where a position keeps it.
    sell(account, o["old"], s["graz"])
    assert client.get(cell_url(account, o["old"], s["graz"])).status_code == 200
