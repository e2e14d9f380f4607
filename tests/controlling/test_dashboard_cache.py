"""The leadership dashboard's whole-portfolio figures kept under the versions of the tables
they read (`controlling.views.dashboards.FIGURE_TABLES`, kam.kept): a second request reads
them, a write the page shows but they do not (a plan, a measure) leaves them kept, and every
input that moves them (a run's figures, an account, the filter, the threshold, the frame's
caps, the language) makes the page compute them again. That they read no other table:
test_dashboard_kept.test_every_kept_value_reads_only_the_tables_it_is_kept_on."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import KeyAccount
from controlling.models import Threshold
from controlling.views import dashboards as views_dashboards
from goals.models import AccountPlan, FrameRule
from kam import kept
from tests import factories
from tests.controlling.dashboard_data import YEAR, full_account, refresh_figures

pytestmark = pytest.mark.django_db

URL = reverse("controlling:dashboard")


@pytest.fixture(autouse=True)
def calendar_year(settings):
    settings.KAM_FISCAL_YEAR_START_MONTH = 1


@pytest.fixture
def portfolio(leadership_portfolio):
    return leadership_portfolio


def queries(client, **params) -> tuple[int, object]:
    """One request computing the page, as after a plan was edited (the page itself is kept under
    every watched table, tests/test_kept.py), so the kept figures are what it reads."""
    kept.raise_versions([AccountPlan])
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL, params)
    assert response.status_code == 200
    return len(captured), response.context


def test_the_second_request_reads_the_totals_kept_by_the_first(client, portfolio):
    first, context = queries(client)
    second, kept = queries(client)

    assert second <= first - 5  # totals, portfolio ranks, funnel, whitespace, currencies
    assert kept["accounts_count"] == context["accounts_count"] == 3
    assert kept["band_counts"] == context["band_counts"]
    assert kept["cost_totals"] == context["cost_totals"]
    assert kept["matrix"].counts == context["matrix"].counts
    assert [p.account for p in kept["matrix"].positions] == [
        p.account for p in context["matrix"].positions
    ]


def test_a_refresh_of_the_figures_shows_at_once(client, portfolio):
    before = queries(client)[1]["cost_totals"].actual_cost
    measures = portfolio[0].plans.get().measures
    old = sum((m.actual_cost for m in measures.all()), Decimal(0))
    measures.update(actual_cost=Decimal(5000))

    refresh_figures()  # as the run does after a measure changed

    after = queries(client)[1]["cost_totals"].actual_cost
    assert after == before - old + Decimal(5000) * measures.count()
    assert after != before


def test_an_edited_account_moves_the_filtered_totals(client, portfolio):
    assert queries(client, tier="strategic")[1]["accounts_count"] == 0
    account = portfolio[0]
    account.tier = "strategic"
    account.save()

    _queries, context = queries(client, tier="strategic")
    assert context["accounts_count"] == 1
    assert [p.account for p in context["matrix"].positions] == [account]


def test_an_archived_account_leaves_the_totals(client, portfolio):
    assert queries(client)[1]["accounts_count"] == 3
    KeyAccount.objects.filter(pk=portfolio[0].pk).update(status="archived")  # no updated_at
    assert queries(client)[1]["accounts_count"] == 2


def test_a_changed_threshold_recolours_the_bands(client, portfolio):
    before = queries(client)[1]["band_counts"]
    Threshold.objects.update_or_create(
        kpi=None, defaults={"at_risk_percent": Decimal(50), "off_track_percent": Decimal(60)}
    )
    after = queries(client)[1]["band_counts"]
    assert after["on_track"] == 3
    assert after != before


def test_a_new_cost_cap_binds_at_once(client, portfolio):
    assert queries(client)[1]["cost_totals"].budget == Decimal(27000)
    FrameRule.objects.create(kind="cost_cap", tier="", cost_cap=Decimal(100), active=True)
    assert queries(client)[1]["cost_totals"].budget == Decimal(300)


def test_each_language_gets_its_own_labels(client, portfolio):
    english = client.get(URL).context["series"][0][0].label
    german = client.get(URL, headers={"accept-language": "de"}).context["series"][0][0].label
    assert (english, german) == ("Revenue", "Umsatz")


def test_a_plan_edit_recomputes_the_page_but_reads_the_figures_kept(client, portfolio, monkeypatch):
    computed = []
    compute = views_dashboards._portfolio_figures
    monkeypatch.setattr(
        views_dashboards,
        "_portfolio_figures",
        lambda *args: computed.append(args) or compute(*args),
    )
    page = client.get(URL).content
    plan = portfolio[0].plans.get()
    AccountPlan.objects.filter(pk=plan.pk).update(status="submitted")

    assert client.get(URL).content != page
    assert len(computed) == 1


def test_every_refresh_of_the_figures_computes_them_again(client, portfolio, monkeypatch):
    computed = []
    compute = views_dashboards._portfolio_figures
    monkeypatch.setattr(
        views_dashboards,
        "_portfolio_figures",
        lambda *args: computed.append(args) or compute(*args),
    )
    queries(client)
    queries(client)
    refresh_figures()
    queries(client)
    assert len(computed) == 2


def test_a_manager_never_reads_what_leadership_kept(client, portfolio, owner, leadership):
    other = full_account(factories.UserFactory(), 4)
    refresh_figures()
    assert queries(client)[1]["accounts_count"] == 4

    client.force_login(owner)
    _queries, context = queries(client)
    assert context["accounts_count"] == 3
    assert other.name not in client.get(URL).content.decode()
    assert context["fiscal_year"] == YEAR
