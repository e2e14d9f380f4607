"""The leadership dashboard's whole-portfolio figures kept under a stamp of their inputs
(controlling.selectors.dashboard_cache): a second request reads them, and every input that
moves them
(a run's figures, an account, the filter, the threshold, the frame's caps, the language)
makes the page compute them again."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import KeyAccount
from controlling.models import FiguresVersion, Threshold
from controlling.selectors import dashboard_cache
from goals.models import FrameRule
from kam import changes
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
    """One request computing the page, as after a write elsewhere (the page itself is kept
    under the change number, tests/test_changes.py), so the kept figures are what it reads."""
    changes.bump()
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


def test_the_stamp_tells_apart_sets_of_equal_size_and_id_sum():
    accounts = [factories.KeyAccountFactory() for _n in range(4)]
    KeyAccount.objects.update(updated_at=accounts[0].updated_at)
    a, b, c, d = (account.pk for account in accounts)
    # Same count, same id sum (a + d == b + c for consecutive ids), same newest change.
    first = dashboard_cache.stamp(KeyAccount.objects.filter(pk__in=[a, d]))
    second = dashboard_cache.stamp(KeyAccount.objects.filter(pk__in=[b, c]))
    assert first.accounts == second.accounts == 2
    assert first.key != second.key


def test_every_refresh_raises_the_figures_version(owner):
    full_account(owner, 1)
    refresh_figures()
    version = dashboard_cache.figures_version()
    refresh_figures()
    assert dashboard_cache.figures_version() == version + 1
    assert FiguresVersion.objects.count() == 1


def test_a_manager_never_reads_what_leadership_kept(client, portfolio, owner, leadership):
    other = full_account(factories.UserFactory(), 4)
    refresh_figures()
    assert queries(client)[1]["accounts_count"] == 4

    client.force_login(owner)
    _queries, context = queries(client)
    assert context["accounts_count"] == 3
    assert other.name not in client.get(URL).content.decode()
    assert context["fiscal_year"] == YEAR
