"""The leadership dashboard kept rendered under the change number (kam.changes): a second
request reads the page; any write to what it shows, and only such a write, shows at once;
every filter, page, sort, language, viewer and day has a page of its own."""

import datetime
import os
import re
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import KeyAccount
from controlling.models import Deviation
from goals.models import Measure, PlanTransition
from kam import changes
from tests import factories
from tests.conftest import TEST_BROKER_URL, redis_reachable, require_service
from tests.controlling.dashboard_data import full_account

pytestmark = pytest.mark.django_db

URL = reverse("controlling:dashboard")
HTMX = {"HTTP_HX_REQUEST": "true"}


def tables_read(client, params: dict) -> set[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL, params).status_code == 200
    return {
        table
        for query in captured.captured_queries
        for table in re.findall(r'(?:FROM|JOIN)\s+"(\w+)"', query["sql"])
    }


def test_the_dashboard_reads_no_table_whose_writes_leave_the_number(
    client, leadership_portfolio, owner, leadership
):
    """A table in IGNORED that a kept page reads would leave that page stale after a write:
    every variant of the page, computing, must read none."""
    plan = leadership_portfolio[0].plans.get()
    plan_for_next_year = factories.AccountPlanFactory(
        account=leadership_portfolio[1], fiscal_year=plan.fiscal_year + 1, status="submitted"
    )
    PlanTransition.objects.create(
        plan=plan_for_next_year,
        from_status="draft",
        to_status="submitted",
        revision=1,
        actor=owner,
    )
    factories.FrameRuleFactory()
    factories.FrameRuleFactory(kind="cost_cap", kpi=None, cost_cap=Decimal(5000))
    factories.FrameRuleFactory(kind="mandatory_goal")
    variants = [
        {},
        {"tier": "key", "region": "DE", "owner": owner.pk},
        {"region": "DE:North", "fiscal_year": plan.fiscal_year - 1},
        {"heatmap_sort": "attainment", "heatmap_page": 2},
        {"costs_sort": "return"},
        {"costs_sort": "cost", "costs_page": 2},
        {"fiscal_year": "not a year", "tier": "nonsense"},
    ]
    read = set()
    for viewer in (leadership, owner):
        client.force_login(viewer)
        for params in variants:
            changes.bump()
            read |= tables_read(client, params)
    assert {"accounts_keyaccount", "controlling_accountfigures", "goals_framerule"} <= read
    assert read & changes.IGNORED <= {"django_session", "controlling_notification"}


def request(client, **params):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL, params, **HTMX)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def test_the_second_request_reads_the_kept_page(client, leadership_portfolio):
    computing, page = request(client)
    kept, again = request(client)

    assert again == page
    assert "Customer" in page
    assert kept < computing / 4
    # The whole page: the session, the user, the change number and the header's unread
    # count; no table of the dashboard's own.
    assert tables_read(client, {}) == {"django_session", "kam_user", "controlling_notification"}


def test_any_write_shows_on_the_next_request(client, leadership_portfolio):
    account = leadership_portfolio[0]
    request(client)

    # Writes outside any service, as the Django admin or a data fix would make them.
    KeyAccount.objects.filter(pk=account.pk).update(name="Renamed Key Account AG")
    assert "Renamed Key Account AG" in request(client)[1]

    Measure.objects.filter(plan__account=account).update(actual_cost=Decimal("777777"))
    assert "777,777" in request(client)[1]

    Deviation.objects.filter(goal__plan__account=account).update(closed_at=timezone.now())
    assert (
        f'data-deviation="{Deviation.objects.get(goal__plan__account=account).pk}"'
        not in (request(client)[1])
    )


def test_each_filter_page_sort_and_language_is_kept_apart(client, leadership_portfolio):
    everything = request(client)[1]
    strategic = request(client, tier="strategic")[1]
    assert strategic != everything
    assert request(client, heatmap_sort="attainment")[1] != everything
    client.cookies.load({"django_language": "de"})
    german = client.get(URL, **HTMX).content.decode()
    assert "Zielerreichung" in german
    assert "Zielerreichung" not in everything
    del client.cookies["django_language"]
    assert request(client)[1] == everything  # the English page is still kept


def test_a_manager_never_reads_the_page_kept_for_leadership(client, leadership_portfolio):
    other = factories.UserFactory(username="other")
    mine = full_account(other, 9)
    managers_client = Client()
    managers_client.force_login(other)  # a login writes last_login: before, not between
    leaders_page = request(client)[1]
    assert mine.name in leaders_page

    managers_page = request(managers_client)[1]
    assert mine.name in managers_page
    assert all(account.name not in managers_page for account in leadership_portfolio)


def test_a_new_day_computes_the_page_again(client, leadership_portfolio, monkeypatch):
    deviation = Deviation.objects.filter(closed_at__isnull=True).order_by("pk").first()
    today = timezone.localdate()
    age = (today - timezone.localdate(deviation.opened_at)).days
    page = request(client)[1]
    assert f'data-deviation="{deviation.pk}"' in page

    tomorrow = timezone.now() + datetime.timedelta(days=1)
    monkeypatch.setattr(timezone, "now", lambda: tomorrow)
    later = request(client)[1]
    assert later != page
    row = later.split(f'data-deviation="{deviation.pk}"')[1].split("</tr>")[0]
    assert f'<td class="text-end" data-age>{age + 1}</td>' in row


def test_another_release_or_setting_never_reads_the_page(
    client, leadership_portfolio, settings, monkeypatch
):
    """A cache shared by several processes outlives a deploy: its pages are not read."""
    request(client)
    kept = request(client)[0]

    settings.KAM_DEVIATION_ESCALATION_DAYS = 99
    assert request(client)[0] > kept

    monkeypatch.setattr(changes, "_code", lambda: "the next release")
    changes.release.cache_clear()
    assert request(client)[0] > kept
    changes.release.cache_clear()


@pytest.mark.services
def test_web_processes_share_the_kept_page_through_redis(client, leadership_portfolio, settings):
    """CACHE_URL=rediscache://...: the page and the figures go through Redis (pickled, as
    every process reads them) and come back whole."""
    require_service("Redis", redis_reachable(TEST_BROKER_URL), f"no Redis at {TEST_BROKER_URL}")
    prefix = f"kam-test-{os.getpid()}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            # Not the broker's database, and only this run's keys: other runs may share Redis.
            "LOCATION": TEST_BROKER_URL.rsplit("/", 1)[0] + "/14",
            "KEY_PREFIX": prefix,
        }
    }
    redis = caches["default"]._cache.get_client()
    try:
        computing, page = request(client)
        assert redis.keys(f"{prefix}:*")  # the entries are in Redis
        kept, again = request(client)
        assert again == page
        assert kept < computing / 4
    finally:
        for key in redis.scan_iter(f"{prefix}:*"):
            redis.delete(key)
