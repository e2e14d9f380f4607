"""The change number (kam.changes): every write to a watched table raises it, whatever path it
takes; reads and tables no kept page shows leave it. The leadership dashboard keeps its
rendering under it, so a second request reads the page and any write shows at once."""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import KeyAccount
from controlling.models import Deviation, Notification
from goals.models import Measure, PlanTransition
from kam import changes
from tests import factories
from tests.controlling.dashboard_data import full_account, refresh_figures

pytestmark = pytest.mark.django_db

URL = reverse("controlling:dashboard")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def calendar_year(settings):
    settings.KAM_FISCAL_YEAR_START_MONTH = 1


def test_a_save_raises_the_number():
    before = changes.current()
    factories.KeyAccountFactory()
    assert changes.current() > before


def test_a_queryset_update_a_bulk_insert_and_raw_sql_raise_it_too(owner):
    account = factories.KeyAccountFactory(owner=owner)
    factories.MeasureFactory(plan=factories.AccountPlanFactory(account=account))
    steps = [
        lambda: KeyAccount.objects.filter(pk=account.pk).update(name="Renamed"),
        lambda: KeyAccount.objects.bulk_create([factories.KeyAccountFactory.build(owner=owner)]),
        lambda: connection.cursor().execute(
            "UPDATE accounts_keyaccount SET name = %s WHERE id = %s", ["Raw", account.pk]
        ),
        lambda: Measure.objects.filter(plan__account=account).delete(),
    ]
    for step in steps:
        before = changes.current()
        step()
        assert changes.current() > before, step


def test_reads_and_tables_no_kept_page_reads_leave_it(owner):
    account = factories.KeyAccountFactory(owner=owner)
    goal = factories.GoalFactory(plan=factories.AccountPlanFactory(account=account))
    deviation = Deviation.objects.create(
        goal=goal, from_status="on_track", to_status="off_track", opened_for=timezone.now()
    )
    before = changes.current()
    list(KeyAccount.objects.all())
    Notification.objects.create(recipient=owner, kind="worsened", deviation=deviation)
    # Actuals reach the dashboard through the run, which writes results and states.
    factories.ActualFactory(account=account, kpi=goal.kpi)
    SessionStore().create()
    assert KeyAccount.objects.filter(pk=account.pk).exists()
    assert changes.current() == before


def test_a_transaction_raises_it_at_its_first_write_and_after_its_commit(
    django_capture_on_commit_callbacks,
):
    # No write before it in the test's own transaction, so this is the first.
    start = changes.current()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        owner = factories.UserFactory()
        first = changes.current()
        factories.KeyAccountFactory(owner=owner)  # after a read: raised again
        factories.KeyAccountFactory(owner=owner)  # no read in between: not again
        second = changes.current()
    assert start < first == second - 1
    assert changes.current() == second + 1  # after the commit


def test_a_rolled_back_transaction_raises_nothing_after_it(
    owner, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        factories.KeyAccountFactory(owner=owner)
        raise RuntimeError
    assert callbacks == []


# --- the leadership dashboard kept under it -------------------------------------------------


@pytest.fixture
def portfolio(client, leadership, owner):
    accounts = [full_account(owner, n) for n in (1, 2, 3)]
    refresh_figures()
    client.force_login(leadership)
    return accounts


def tables_read(client, params: dict) -> set[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL, params).status_code == 200
    return {
        table
        for query in captured.captured_queries
        for table in re.findall(r'(?:FROM|JOIN)\s+"(\w+)"', query["sql"])
    }


def test_the_dashboard_reads_no_table_whose_writes_leave_the_number(
    client, portfolio, owner, leadership
):
    """A table in IGNORED that a kept page reads would leave that page stale after a write:
    every variant of the page, computing, must read none."""
    plan = portfolio[0].plans.get()
    plan_for_next_year = factories.AccountPlanFactory(
        account=portfolio[1], fiscal_year=plan.fiscal_year + 1, status="submitted"
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


def test_the_second_request_reads_the_kept_page(client, portfolio):
    computing, page = request(client)
    kept, again = request(client)

    assert again == page
    assert "Customer" in page
    assert kept < computing / 4
    # The whole page: the session, the user, the change number and the header's unread
    # count; no table of the dashboard's own.
    assert tables_read(client, {}) == {"django_session", "kam_user", "controlling_notification"}


def test_any_write_shows_on_the_next_request(client, portfolio):
    account = portfolio[0]
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


def test_each_filter_page_sort_and_language_is_kept_apart(client, portfolio):
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


def test_a_manager_never_reads_the_page_kept_for_leadership(client, portfolio):
    other = factories.UserFactory(username="other")
    mine = full_account(other, 9)
    managers_client = Client()
    managers_client.force_login(other)  # a login writes last_login: before, not between
    leaders_page = request(client)[1]
    assert mine.name in leaders_page

    managers_page = request(managers_client)[1]
    assert mine.name in managers_page
    assert all(account.name not in managers_page for account in portfolio)


def test_a_new_day_computes_the_page_again(client, portfolio, monkeypatch):
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
