"""Portfolio scoring (McDonald): criteria, weighted results, history, and the portfolio matrix."""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from accounts.forms import KeyAccountForm
from accounts.models import (
    AccountStatus,
    KeyAccount,
    PortfolioCriterion,
    PortfolioQuadrant,
    PortfolioScore,
    PortfolioScoring,
)
from accounts.services import portfolio_result, portfolio_scoring_create
from kam.charts import ChartTable, Column, Row, bubble_radii
from tests import access, factories

PORTFOLIO_URL = reverse("accounts:portfolio")


def scoring_url(account) -> str:
    return reverse("accounts:scoring", args=[account.pk])


@pytest.fixture
def criteria(db):
    """Two attractiveness criteria weighted 3:1, one strength criterion, one inactive."""
    make = factories.PortfolioCriterionFactory
    return {
        "growth": make(name_en="Growth potential", axis="attractiveness", weight=3, order=1),
        "margin": make(name_en="Margin potential", axis="attractiveness", weight=1, order=2),
        "fit": make(name_en="Technical fit", axis="relative_strength", weight=2),
        "old": make(name_en="Retired factor", axis="attractiveness", weight=5, active=False),
    }


def form_data(criteria, note="", **scores) -> dict:
    data = {"note": note}
    for key, value in scores.items():
        data[f"criterion_{criteria[key].pk}"] = value
    return data


# --- the weighted result --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([(1, 10)], 100),
        ([(1, 1)], 0),
        ([(1, 1), (1, 10)], 50),  # mean 5.5 -> 4.5 / 9 = 50 %
        ([(3, 10), (1, 1)], 75),  # mean 31 / 4 = 7.75 -> 6.75 / 9 = 75 %
        ([(2, 5), (1, 8)], 56),  # mean 6 -> 5 / 9 = 55.56 %
        # mean 1.405 -> 4.5 exactly: half up, not to even
        ([(Decimal("59.5"), 1), (Decimal("40.5"), 2)], 5),
        ([], None),
    ],
)
def test_the_weighted_result_scales_the_mean_from_1_10_to_0_100(pairs, expected):
    assert portfolio_result(pairs) == expected


def test_a_scoring_sets_both_axes_to_the_weighted_results(owner, account, criteria):
    scoring = portfolio_scoring_create(
        account=account,
        scores={criteria["growth"].pk: 10, criteria["margin"].pk: 1, criteria["fit"].pk: 7},
        user=owner,
        note="After the annual review",
    )

    account.refresh_from_db()
    assert (account.attractiveness, account.relative_strength) == (75, 67)
    assert (scoring.attractiveness, scoring.relative_strength) == (75, 67)
    assert scoring.scored_by == owner
    assert scoring.note == "After the annual review"
    assert {(s.criterion.name_en, s.score, s.weight) for s in scoring.scores.all()} == {
        ("Growth potential", 10, Decimal("3.00")),
        ("Margin potential", 1, Decimal("1.00")),
        ("Technical fit", 7, Decimal("2.00")),
    }


def test_an_inactive_criterion_is_neither_asked_for_nor_counted(owner, account, criteria):
    portfolio_scoring_create(
        account=account,
        scores={criteria["growth"].pk: 4, criteria["margin"].pk: 4, criteria["fit"].pk: 4},
        user=owner,
    )
    account.refresh_from_db()
    # With the inactive weight-5 criterion counted, any other score would move the result.
    assert account.attractiveness == 33
    assert not PortfolioScore.objects.filter(criterion=criteria["old"]).exists()


def test_a_score_for_an_inactive_criterion_is_refused(owner, account, criteria):
    scores = {c.pk: 5 for c in criteria.values()}
    with pytest.raises(ValidationError):
        portfolio_scoring_create(account=account, scores=scores, user=owner)
    assert not PortfolioScoring.objects.exists()


def test_an_axis_without_criteria_keeps_the_hand_entered_value(owner, account):
    only = factories.PortfolioCriterionFactory(axis="attractiveness")
    account.relative_strength = 40
    account.save()

    scoring = portfolio_scoring_create(account=account, scores={only.pk: 10}, user=owner)

    account.refresh_from_db()
    assert (account.attractiveness, account.relative_strength) == (100, 40)
    assert scoring.relative_strength is None


def test_every_scoring_is_kept_and_the_latest_sets_the_account(owner, account, criteria):
    first = portfolio_scoring_create(
        account=account,
        scores={criteria["growth"].pk: 2, criteria["margin"].pk: 2, criteria["fit"].pk: 2},
        user=owner,
    )
    second = portfolio_scoring_create(
        account=account,
        scores={criteria["growth"].pk: 9, criteria["margin"].pk: 9, criteria["fit"].pk: 9},
        user=owner,
    )

    assert list(account.portfolio_scorings.all()) == [second, first]
    first.refresh_from_db()
    assert (first.attractiveness, first.relative_strength) == (11, 11)
    assert PortfolioScore.objects.count() == 6
    account.refresh_from_db()
    assert (account.attractiveness, account.relative_strength) == (89, 89)


def test_a_missing_or_out_of_range_score_saves_nothing_and_names_the_criterion(
    owner, account, criteria
):
    with pytest.raises(ValidationError) as error:
        portfolio_scoring_create(
            account=account,
            scores={criteria["growth"].pk: 11, criteria["fit"].pk: 0},
            user=owner,
        )
    messages = " ".join(m for ms in error.value.message_dict.values() for m in ms)
    assert "“Growth potential”: the score must be between 1 and 10." in messages
    assert "“Technical fit”: the score must be between 1 and 10." in messages
    assert "“Margin potential”: a score is missing." in messages
    assert not PortfolioScoring.objects.exists()
    account.refresh_from_db()
    assert (account.attractiveness, account.relative_strength) == (60, 40)


def test_the_database_refuses_a_score_outside_1_to_10(owner, account, criteria):
    from django.db import IntegrityError, transaction

    scoring = PortfolioScoring.objects.create(account=account, scored_by=owner)
    for bad in (0, 11):
        with pytest.raises(IntegrityError), transaction.atomic():
            PortfolioScore.objects.create(
                scoring=scoring, criterion=criteria["growth"], score=bad, weight=1
            )


def test_the_database_refuses_a_weight_of_zero(db):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        factories.PortfolioCriterionFactory(weight=0)


def test_the_service_refuses_read_only_users_and_archived_accounts(
    leadership, owner, account, criteria
):
    scores = {criteria["growth"].pk: 5, criteria["margin"].pk: 5, criteria["fit"].pk: 5}
    with pytest.raises(PermissionDenied):
        portfolio_scoring_create(account=account, scores=scores, user=leadership)
    account.status = AccountStatus.ARCHIVED
    account.save()
    with pytest.raises(PermissionDenied):
        portfolio_scoring_create(account=account, scores=scores, user=owner)


def test_a_quadrant_follows_the_midpoint_which_counts_as_high():
    assert PortfolioQuadrant.of(50, 50) == PortfolioQuadrant.STRATEGIC
    assert PortfolioQuadrant.of(80, 49) == PortfolioQuadrant.DEVELOPMENT
    assert PortfolioQuadrant.of(49, 80) == PortfolioQuadrant.STATUS
    assert PortfolioQuadrant.of(0, 0) == PortfolioQuadrant.STREAMLINE
    assert PortfolioQuadrant.of(None, 50) is None


# --- the scoring page ------------------------------------------------------------------------


def test_the_owner_scores_on_the_page_and_sees_the_result(client, owner, account, criteria):
    client.force_login(owner)
    response = client.post(
        scoring_url(account), form_data(criteria, "Q3 review", growth=10, margin=1, fit=7)
    )

    assert response.status_code == 302
    assert response.url == scoring_url(account)
    account.refresh_from_db()
    assert (account.attractiveness, account.relative_strength) == (75, 67)
    page = client.get(scoring_url(account))
    html = page.content.decode()
    assert "Portfolio scoring saved." in html
    assert "Q3 review" in html
    assert page.context["quadrant"] == PortfolioQuadrant.STRATEGIC
    # The next scoring starts from the last one's scores.
    assert page.context["form"][f"criterion_{criteria['growth'].pk}"].value() == 10


def test_the_page_names_the_criterion_of_each_error_and_saves_nothing(
    client, team_member, account, criteria
):
    client.force_login(team_member)
    response = client.post(scoring_url(account), form_data(criteria, growth=0, margin=11))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing was saved." in html
    assert "“Growth potential”: the score must be between 1 and 10." in html
    assert "“Margin potential”: the score must be between 1 and 10." in html
    assert "“Technical fit”: a score is missing." in html
    assert not PortfolioScoring.objects.exists()


def test_a_criterion_name_with_a_percent_sign_survives_the_error_message(client, owner, account):
    share = factories.PortfolioCriterionFactory(name_en="Share > 50 % of spend")
    client.force_login(owner)
    response = client.post(scoring_url(account), {f"criterion_{share.pk}": "12"})
    assert "“Share &gt; 50 % of spend”: the score must be between 1 and 10." in (
        response.content.decode()
    )


def test_the_criteria_show_in_german_when_german_is_active(client, owner, account, criteria):
    client.force_login(owner)
    response = client.get(scoring_url(account), HTTP_ACCEPT_LANGUAGE="de")
    assert criteria["growth"].name_de in response.content.decode()
    assert criteria["growth"].name_en not in response.content.decode()


def test_without_criteria_the_page_says_how_the_scores_are_set(client, owner, account):
    client.force_login(owner)
    response = client.get(scoring_url(account))
    assert response.status_code == 200
    assert response.context["form"] is None
    assert "No portfolio criteria are configured yet." in response.content.decode()
    assert client.post(scoring_url(account), {}).status_code == 200
    assert not PortfolioScoring.objects.exists()


@pytest.mark.parametrize("persona", ["owner", "team_member", "leadership", "administrator"])
def test_everyone_who_sees_the_account_sees_its_scorings(
    client, login_as, persona, owner, account, criteria
):
    portfolio_scoring_create(
        account=account,
        scores={criteria["growth"].pk: 6, criteria["margin"].pk: 6, criteria["fit"].pk: 6},
        user=owner,
        note="Visible history",
    )
    login_as(persona)
    response = client.get(scoring_url(account))
    assert response.status_code == 200
    assert "Visible history" in response.content.decode()
    assert (response.context["form"] is None) == (persona == "leadership")


def test_leadership_reads_scorings_but_may_not_score(client, leadership, account, criteria):
    client.force_login(leadership)
    response = client.post(scoring_url(account), form_data(criteria, growth=5, margin=5, fit=5))
    assert response.status_code == 403
    assert not PortfolioScoring.objects.exists()


def test_an_outsider_gets_404_and_an_anonymous_visitor_the_login(
    client, outsider, account, criteria
):
    url = scoring_url(account)
    assert access.answer(client.get(url)) == access.LOGIN
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.post(url, form_data(criteria, growth=5, margin=5, fit=5)).status_code == 404
    assert not PortfolioScoring.objects.exists()


def test_an_archived_account_is_not_scored(client, owner, account, criteria):
    account.status = AccountStatus.ARCHIVED
    account.save()
    client.force_login(owner)
    assert client.get(scoring_url(account)).context["form"] is None
    response = client.post(scoring_url(account), form_data(criteria, growth=5, margin=5, fit=5))
    assert response.status_code == 403


def test_the_scoring_page_costs_the_same_for_12_scorings_as_for_2(
    client, owner, account, django_assert_max_num_queries
):
    criteria = factories.PortfolioCriterionFactory.create_batch(6)
    scores = {c.pk: 5 for c in criteria}

    def score(times):
        for _ in range(times):
            portfolio_scoring_create(account=account, scores=scores, user=owner)

    client.force_login(owner)
    score(2)
    client.get(scoring_url(account))
    with CaptureQueriesContext(connection) as small:
        client.get(scoring_url(account))

    score(10)
    with django_assert_max_num_queries(len(small)):
        response = client.get(scoring_url(account))
    assert len(response.context["page"].object_list) == 10
    assert response.context["page"].paginator.num_pages == 2


# --- the account form ------------------------------------------------------------------------


def account_form_data(account, **changes) -> dict:
    data = {
        "name": account.name,
        "customer_number": account.customer_number,
        "industry": account.industry,
        "tier": account.tier,
        "owner": account.owner_id,
        "country": account.country.code,
        "currency": account.currency,
        "status": account.status,
        "attractiveness": account.attractiveness,
        "relative_strength": account.relative_strength,
    }
    return {**data, **changes}


def test_a_scored_axis_cannot_be_entered_by_hand_the_other_can(owner, account):
    factories.PortfolioCriterionFactory(axis="attractiveness")
    form = KeyAccountForm(
        account_form_data(account, attractiveness=99, relative_strength=77),
        instance=account,
        user=owner,
    )

    assert form.fields["attractiveness"].disabled
    assert "portfolio scoring" in str(form.fields["attractiveness"].help_text)
    assert not form.fields["relative_strength"].disabled
    assert form.is_valid(), form.errors
    form.save()
    account.refresh_from_db()
    assert (account.attractiveness, account.relative_strength) == (60, 77)


def test_an_inactive_criterion_leaves_hand_entry_open(owner, account):
    factories.PortfolioCriterionFactory(axis="relative_strength", active=False)
    form = KeyAccountForm(instance=account, user=owner)
    assert not form.fields["relative_strength"].disabled


# --- the portfolio matrix --------------------------------------------------------------------


REVENUE: dict[int, Decimal] = {}


def revenue_sizes(*, account_ids):
    """A stand-in for the controlling app's revenue provider."""
    return {pk: REVENUE[pk] for pk in account_ids if pk in REVENUE}


revenue_sizes.label = "Revenue"


@pytest.fixture
def matrix_accounts(owner, outsider, account):
    """One account per quadrant for owner, one unscored, one archived, one of another manager."""
    make = factories.KeyAccountFactory
    account.attractiveness, account.relative_strength = 80, 70  # key strategic
    account.save()
    return {
        "strategic": account,
        "development": make(
            owner=owner, name="Alpina", attractiveness=90, relative_strength=20, country="CH"
        ),
        "status": make(
            owner=owner, name="Meridian", attractiveness=30, relative_strength=60, tier="strategic"
        ),
        "streamline": make(owner=owner, name="Baltic", attractiveness=10, relative_strength=10),
        "unscored": make(owner=owner, name="Fresh", attractiveness=None, relative_strength=None),
        "archived": make(owner=owner, name="Gone", status=AccountStatus.ARCHIVED),
        "foreign": make(owner=outsider, name="Foreign", attractiveness=50, relative_strength=50),
    }


def chart_points(response) -> dict[str, tuple]:
    return {
        point["label"]: (dataset["label"], point["x"], point["y"], point["r"])
        for dataset in response.context["config"]["data"]["datasets"]
        for point in dataset["data"]
    }


def test_the_matrix_places_each_visible_account_in_its_quadrant(
    client, owner, matrix_accounts, settings
):
    settings.KAM_ACCOUNT_SIZE_PROVIDER = "accounts.selectors.equal_account_sizes"
    client.force_login(owner)
    response = client.get(PORTFOLIO_URL)

    assert response.status_code == 200
    points = chart_points(response)
    assert {name: p[:3] for name, p in points.items()} == {
        "Nordwerk Antriebe": ("Key strategic accounts", 70, 80),
        "Alpina": ("Key development accounts", 20, 90),
        "Meridian": ("Key status accounts", 60, 30),
        "Baltic": ("Key streamline accounts", 10, 10),
    }
    # Equal sizes by default: one radius for all, and no size column in the table.
    assert len({p[3] for p in points.values()}) == 1
    assert [c.label for c in response.context["table"].columns] == [
        "Key account",
        "Quadrant",
        "Key account manager",
        "Account attractiveness",
        "Relative strength",
    ]
    assert [a.name for a in response.context["matrix"].unscored] == ["Fresh"]
    html = response.content.decode()
    assert 'data-chart="portfolio-chart"' in html
    assert '<script id="portfolio-chart" type="application/json">' in html
    assert matrix_accounts["strategic"].get_absolute_url() in html
    assert "All bubbles have the same size." in html


def test_the_matrix_config_is_valid_json_with_the_four_quadrants(client, owner, matrix_accounts):
    client.force_login(owner)
    html = client.get(PORTFOLIO_URL).content.decode()
    raw = html.split('<script id="portfolio-chart" type="application/json">')[1]
    config = json.loads(raw.split("</script>")[0])
    assert config["type"] == "bubble"
    assert [q["label"] for q in config["kam"]["quadrants"]] == [
        "Key strategic accounts",
        "Key development accounts",
        "Key status accounts",
        "Key streamline accounts",
    ]
    assert config["kam"]["quadrants"][1] == {
        "label": "Key development accounts",
        "x": [0, 50],
        "y": [50, 100],
        "color": "rgba(13, 110, 253, 0.06)",
    }


def test_leadership_sees_every_account_a_manager_only_theirs(
    client, owner, team_member, leadership, outsider, matrix_accounts
):
    client.force_login(leadership)
    assert "Foreign" in chart_points(client.get(PORTFOLIO_URL))
    client.force_login(team_member)
    assert set(chart_points(client.get(PORTFOLIO_URL))) == {"Nordwerk Antriebe"}
    client.force_login(outsider)
    assert set(chart_points(client.get(PORTFOLIO_URL))) == {"Foreign"}


def test_the_owner_filter_offers_only_owners_of_visible_accounts(
    client, team_member, owner, outsider, matrix_accounts
):
    client.force_login(team_member)
    owners = list(client.get(PORTFOLIO_URL).context["filter"].form.fields["owner"].queryset)
    assert owners == [owner]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"tier": "strategic"}, {"Meridian"}),
        ({"country": "CH"}, {"Alpina"}),
        ({"owner": "outsider"}, {"Foreign"}),
    ],
)
def test_the_matrix_filters_by_tier_country_and_owner(
    client, leadership, owner, outsider, matrix_accounts, query, expected
):
    if "owner" in query:
        query = {"owner": {"outsider": outsider, "owner": owner}[query["owner"]].pk}
    client.force_login(leadership)
    response = client.get(PORTFOLIO_URL, query)
    assert set(chart_points(response)) == expected


def test_an_htmx_filter_returns_only_the_matrix(client, owner, matrix_accounts):
    client.force_login(owner)
    response = client.get(PORTFOLIO_URL, {"country": "CH"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="matrix">')
    assert "<nav" not in html
    assert "Alpina" in html


def test_bubbles_are_sized_by_the_configured_provider(
    client, owner, settings, monkeypatch, matrix_accounts
):
    settings.KAM_ACCOUNT_SIZE_PROVIDER = "tests.accounts.test_portfolio.revenue_sizes"
    revenue = {"strategic": 400, "development": 100, "streamline": 100}  # status: none
    monkeypatch.setattr(
        f"{__name__}.REVENUE",
        {matrix_accounts[key].pk: Decimal(value) for key, value in revenue.items()},
    )
    client.force_login(owner)
    response = client.get(PORTFOLIO_URL)

    radius = {name: p[3] for name, p in chart_points(response).items()}
    # Areas follow revenue: a quarter of the revenue, half the radius above the minimum.
    assert radius == {"Nordwerk Antriebe": 30, "Alpina": 18, "Baltic": 18, "Meridian": 6}
    table = response.context["table"]
    assert table.columns[-1].label == "Revenue"
    assert [row.cells[-1] for row in table.rows] == [
        Decimal(400),
        Decimal(100),
        Decimal(0),
        Decimal(100),
    ]
    assert "Bubble size: Revenue." in response.content.decode()


def test_the_matrix_explains_an_empty_portfolio(client, outsider, account):
    client.force_login(outsider)
    response = client.get(PORTFOLIO_URL)
    assert response.status_code == 200
    assert "No key account you may see has both" in response.content.decode()
    assert "<canvas" not in response.content.decode()


def test_anonymous_visitors_are_sent_to_the_login(client, db):
    assert access.answer(client.get(PORTFOLIO_URL)) == access.LOGIN


def test_the_matrix_costs_the_same_for_50_accounts_as_for_5(
    client, leadership, django_assert_max_num_queries
):
    def add(count):
        for n in range(count):
            factories.KeyAccountFactory(
                attractiveness=n * 7 % 101,
                relative_strength=n * 13 % 101,
                country=["DE", "CH", "GB"][n % 3],
            )

    client.force_login(leadership)
    add(5)
    client.get(PORTFOLIO_URL)
    with CaptureQueriesContext(connection) as small:
        client.get(PORTFOLIO_URL)

    add(45)
    with django_assert_max_num_queries(len(small)):
        response = client.get(PORTFOLIO_URL)
    assert len(response.context["matrix"].positions) == 50


# --- chart helpers and the include ------------------------------------------------------------


def test_bubble_radii_follow_area_and_are_equal_for_equal_sizes():
    assert bubble_radii([5, 5, 5]) == [18, 18, 18]
    assert bubble_radii([]) == []
    assert bubble_radii([0, None]) == [18, 18]
    assert bubble_radii([100, 25, 0, -10]) == [30, 18, 6, 6]


def test_the_chart_include_renders_a_localised_table_fallback():
    table = ChartTable(
        [Column("Account"), Column("Revenue", decimals=2)],
        [Row(["Nordwerk", Decimal("1234.56")], url="/accounts/1/"), Row(["Alpina", None])],
    )
    context = {"chart_id": "demo-chart", "title": "Revenue", "table": table, "config": {"a": 1}}
    with translation.override("de"):
        html = render_to_string("includes/chart.html", context)
    assert '<canvas data-chart="demo-chart" role="img" aria-label="Revenue"' in html
    assert "<summary" in html and "<table" in html
    assert '<a href="/accounts/1/">Nordwerk</a>' in html
    assert "1.234,56" in html
    assert "–" in html  # the missing figure
    assert '<script id="demo-chart" type="application/json">{"a": 1}</script>' in html
    with translation.override("en"):
        assert "1,234.56" in render_to_string("includes/chart.html", context)


# --- demo data -------------------------------------------------------------------------------


def test_the_demo_scores_its_accounts_into_all_four_quadrants_once(db):
    for _ in range(2):
        call_command("load_demo", stdout=StringIO())

    assert PortfolioCriterion.objects.filter(axis="attractiveness", active=True).count() == 5
    assert PortfolioCriterion.objects.filter(axis="relative_strength", active=True).count() == 5
    named = PortfolioScoring.objects.exclude(account__customer_number__startswith="K-3")
    assert named.count() == 8  # six named accounts, two of them scored twice
    # The 34 generated accounts, scored once each.
    assert PortfolioScoring.objects.count() == 8 + 34
    quadrants = {
        PortfolioQuadrant.of(a.attractiveness, a.relative_strength)
        for a in KeyAccount.objects.filter(customer_number__startswith="K-")
    }
    assert quadrants == set(PortfolioQuadrant)
    cascade = KeyAccount.objects.get(customer_number="K-20002")
    assert (cascade.attractiveness, cascade.relative_strength) == (88, 29)
    latest = cascade.portfolio_scorings.first()
    assert (latest.attractiveness, latest.relative_strength) == (88, 29)


def test_the_matrix_numbers_its_bubbles_and_names_them_in_a_legend(client, owner):
    for name, attractiveness, strength in (("Zinnober", 80, 70), ("Albatros", 20, 30)):
        factories.KeyAccountFactory(
            owner=owner, name=name, attractiveness=attractiveness, relative_strength=strength
        )
    client.force_login(owner)

    response = client.get(PORTFOLIO_URL)

    html = response.content.decode()
    legend = html[html.index('id="portfolio-legend"') :]
    assert legend.index("Albatros") < legend.index("Zinnober")
    assert '<li value="1"><a' in legend and '<li value="2"><a' in legend
    bubbles = {
        point["label"]: point["number"]
        for dataset in response.context["config"]["data"]["datasets"]
        for point in dataset["data"]
    }
    assert bubbles == {"Albatros": 1, "Zinnober": 2}
