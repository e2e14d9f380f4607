"""The leadership dashboard kept rendered under the versions of the tables it reads (kam.kept):
a second request reads the page; any write to what it shows, and only such a write, shows at
once; every filter, page, sort, language, viewer and day has a page of its own, and nothing
else of the query string makes one."""

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
from controlling.models import Deviation, Notification
from goals.models import AccountPlan, Measure, PlanTransition
from kam import kept
from tests import factories
from tests.conftest import TEST_BROKER_URL, redis_reachable, require_service
from tests.controlling.dashboard_data import full_account

pytestmark = pytest.mark.django_db

URL = reverse("controlling:dashboard")
HTMX = {"HTTP_HX_REQUEST": "true"}


def tables_of(captured: CaptureQueriesContext) -> set[str]:
    return {
        table
        for query in captured.captured_queries
        for table in re.findall(r'(?:FROM|JOIN)\s+"(\w+)"', query["sql"])
    }


def tables_read(client, params: dict) -> set[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL, params).status_code == 200
    return tables_of(captured)


def test_every_kept_value_reads_only_the_tables_it_is_kept_on(
    client, leadership_portfolio, owner, leadership, monkeypatch
):
    """A kept value that read a table outside its key (an unkept one for the page, any other
    for the figures) would stay stale after a write there: every variant of the page,
    computing, must read only its tables, and outside them only the session, the user and the
    header's unread count."""
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
    read_by: dict[str, set[str]] = {}
    value = kept.value

    def reading(name, compute, *, tables=kept.ALL, **kwargs):
        def captured():
            with CaptureQueriesContext(connection) as queries:
                result = compute()
            read_by.setdefault(name, set()).update(tables_of(queries))
            allowed = set(kept.table_names(tables))
            assert tables_of(queries) <= allowed, (name, tables_of(queries) - allowed)
            return result

        return value(name, captured, tables=tables, **kwargs)

    monkeypatch.setattr(kept, "value", reading)
    read = set()
    for viewer in (leadership, owner):
        client.force_login(viewer)
        for params in variants:
            kept.raise_versions(kept.ALL)
            read |= tables_read(client, params)
    assert set(read_by) == {"dashboard-choices", "dashboard", "dashboard-figures"}
    assert {"accounts_keyaccount", "controlling_accountfigures", "goals_framerule"} <= read
    assert read_by["dashboard-figures"] >= {"accounts_site", "controlling_sellingfigures"}
    assert read - kept.watched_tables() == {"django_session", "controlling_notification"}


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
    # The whole page: the session, the user, the versions (of the choices and of the page)
    # and the header's unread count; no table of the dashboard's own.
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

    before = request(client)[1]
    AccountPlan.objects.filter(account=leadership_portfolio[1]).update(status="submitted")
    assert request(client)[1] != before  # the plan's status in the costs table, the queue


def test_writes_to_tables_no_kept_page_reads_keep_the_page(client, leadership_portfolio, owner):
    account = leadership_portfolio[0]
    computing, page = request(client)
    kept_count = request(client)[0]
    goal = account.plans.get().goals.first()
    # Actuals and targets reach the page through the run; contacts and notes never.
    factories.ActualFactory(account=account, kpi=goal.kpi)
    factories.StakeholderFactory(account=account)
    Notification.objects.filter(recipient=owner).update(read_at=timezone.now())
    assert request(client) == (kept_count, page)


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


class KeysSet:
    """The cache kam.kept writes to, recording the keys of the pages it keeps."""

    def __init__(self, cache):
        self.cache, self.keys = cache, []

    def get(self, key):
        return self.cache.get(key)

    def set(self, key, value, timeout):
        if isinstance(value, str):  # the rendered page, not the choices or figures
            self.keys.append(key)
        self.cache.set(key, value, timeout)


def test_only_known_parameters_normalised_make_the_key(client, leadership_portfolio, monkeypatch):
    """The query string never reaches the key as it is: unknown parameters, their order,
    invalid values, defaults and pages beyond the last share the entry of the page they show."""
    recorded = KeysSet(kept.cache)
    monkeypatch.setattr(kept, "cache", recorded)
    year = str(timezone.localdate().year)
    computing, page = request(client, tier="key", region="DE")
    alike = [
        {"region": "DE", "tier": "key", "utm_source": "mail"},
        {"tier": "key", "region": "DE", "fiscal_year": year, "heatmap_sort": "name"},
        {"tier": "key", "region": "DE", "heatmap_page": "99", "costs_page": "1"},
        {"tier": "key", "region": "DE", "costs_sort": "nonsense", "heatmap_page": "x"},
    ]
    for params in alike:
        queries, same = request(client, **params)
        assert same == page, params
        assert queries < computing / 4, params
    assert len(recorded.keys) == 1

    for n in range(30):
        request(client, **{f"junk{n}": n, "heatmap_page": str(1000 + n), "x": "y" * n})
    assert len(recorded.keys) == 2  # the page without filters, once


def test_invalid_filters_are_reported_by_name_and_ignored(client, leadership_portfolio):
    computing, page = request(client, tier="nonsense", owner="<script>")
    assert 'id="invalid-filters"' in page
    assert "Tier, Key account manager" in page
    assert "nonsense" not in page and "&lt;script&gt;" not in page
    assert page != request(client)[1]
    # Other invalid values of the same filters read the same page.
    queries, same = request(client, tier="other", owner="0")
    assert same == page
    assert queries < computing / 4


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
    kept_count = request(client)[0]

    settings.KAM_DEVIATION_ESCALATION_DAYS = 99
    assert request(client)[0] > kept_count

    monkeypatch.setattr(kept, "_code", lambda: "the next release")
    kept.release.cache_clear()
    assert request(client)[0] > kept_count
    kept.release.cache_clear()


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
