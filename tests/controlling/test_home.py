"""The manager home: my accounts with plan status and attainment, my open deviations, measures
due, overdue contacts and unread alerts; never another manager's account; constant queries."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from controlling.models import Notification
from controlling.selectors import home
from tests import access, factories
from tests.controlling.dashboard_data import YEAR, deviation, full_account, state

pytestmark = pytest.mark.django_db

URL = reverse("controlling:home")


@pytest.fixture(autouse=True)
def calendar_year(settings):
    settings.KAM_FISCAL_YEAR_START_MONTH = 1


@pytest.fixture
def today():
    return timezone.localdate()


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def measure(plan, due_in: int, **kwargs):
    return factories.MeasureFactory(
        plan=plan, start_date=days(min(due_in, 0) - 30), due_date=days(due_in), **kwargs
    )


def test_my_accounts_are_those_i_own_first_then_those_i_am_on_the_team_of(
    client, owner, team_member, account
):
    own = factories.KeyAccountFactory(owner=team_member, name="Zeta Own GmbH")
    factories.KeyAccountFactory(owner=team_member, name="Archived", status="archived")
    factories.KeyAccountFactory(name="Stranger AG")
    client.force_login(team_member)

    response = client.get(URL)

    lines = response.context["lines"]
    assert [(line.account, line.is_owner) for line in lines] == [
        (own, True),
        (account, False),
    ]
    assert "Stranger AG" not in response.content.decode()


def test_each_account_shows_its_plan_status_attainment_and_open_deviations(client, owner, account):
    plan = factories.AccountPlanFactory(account=account, fiscal_year=YEAR, status="approved")
    on = factories.GoalFactory(plan=plan, weight=10)
    off = factories.GoalFactory(plan=plan, weight=30)
    state(on, 100)
    state(off, 60)
    deviation(off)
    factories.AccountPlanFactory(
        account=factories.KeyAccountFactory(owner=owner, name="Later Plan"),
        fiscal_year=YEAR + 1,
    )
    client.force_login(owner)

    response = client.get(URL)

    by_name = {line.account.name: line for line in response.context["lines"]}
    line = by_name[account.name]
    assert line.plan == plan
    assert line.attainment.percent == Decimal("70.0")  # (100 x 10 + 60 x 30) / 40
    assert line.band == "off_track"
    assert (line.attainment.off_track, line.attainment.measured) == (1, 2)
    assert line.open_deviations == 1
    assert by_name["Later Plan"].plan is None  # only this fiscal year's plan counts
    html = response.content.decode()
    assert reverse("controlling:plan_controlling", args=[plan.pk]) in html
    assert f"{reverse('controlling:deviations')}?state=open&amp;account={account.pk}" in html
    assert reverse("goals:plan_list", args=[by_name["Later Plan"].account.pk]) in html


def test_my_open_deviations_are_worst_first_and_never_another_managers(
    client, owner, team_member, account
):
    plan = factories.AccountPlanFactory(account=account, fiscal_year=YEAR)
    risk = deviation(factories.GoalFactory(plan=plan), to_status="at_risk", days_ago=10)
    off = deviation(factories.GoalFactory(plan=plan), days_ago=1)
    deviation(factories.GoalFactory(plan=plan), days_ago=5, closed_at=timezone.now())
    stranger = factories.AccountPlanFactory(fiscal_year=YEAR)
    deviation(factories.GoalFactory(plan=stranger, title="Foreign goal"))

    for user in (owner, team_member):
        client.force_login(user)
        response = client.get(URL)
        assert list(response.context["deviations"].page.object_list) == [off, risk]
        assert "Foreign goal" not in response.content.decode()


def test_measures_due_within_14_days_or_overdue_mine_or_of_my_accounts(
    client, owner, team_member, account
):
    plan = factories.AccountPlanFactory(account=account, fiscal_year=YEAR)
    overdue = measure(plan, -3, title="Overdue")
    due = measure(plan, 14, title="Due in two weeks", owner=team_member)
    measure(plan, 15, title="Later")
    measure(plan, -1, title="Done", status="done")
    measure(plan, 2, title="Cancelled", status="cancelled")
    measure(factories.AccountPlanFactory(fiscal_year=YEAR), 1, title="Foreign")
    client.force_login(owner)

    response = client.get(URL)

    assert list(response.context["measures"].page.object_list) == [overdue, due]
    assert response.context["measure_counts"] == {"overdue": 1, "due": 1}
    html = response.content.decode()
    assert "Foreign" not in html and "Later" not in html
    assert reverse("goals:measures", args=[plan.pk]) in html


def test_measures_of_last_years_closed_plans_are_not_listed_as_overdue(client, owner, account):
    last_year = factories.AccountPlanFactory(account=account, fiscal_year=YEAR - 1)
    measure(last_year, -400, title="Last year's workshop")
    current = measure(factories.AccountPlanFactory(account=account, fiscal_year=YEAR), -3)
    next_year = factories.AccountPlanFactory(account=account, fiscal_year=YEAR + 1)
    early = measure(next_year, 5, title="Prepared early")
    client.force_login(owner)

    response = client.get(URL)

    assert list(response.context["measures"].page.object_list) == [current, early]
    assert response.context["measure_counts"] == {"overdue": 1, "due": 1}
    assert "Last year&#x27;s workshop" not in response.content.decode()


def test_overdue_contacts_of_my_accounts_never_contacted_first(client, owner, account, today):
    long_ago = factories.StakeholderFactory(account=account, name="Long Ago")
    factories.InteractionFactory(
        account=account, date=today - datetime.timedelta(days=60), stakeholders=[long_ago]
    )
    recent = factories.StakeholderFactory(account=account, name="Recent")
    factories.InteractionFactory(account=account, date=today, stakeholders=[recent])
    never = factories.StakeholderFactory(account=account, name="Never Met")
    factories.StakeholderFactory(account=factories.KeyAccountFactory(), name="Foreign Person")
    client.force_login(owner)

    response = client.get(URL)

    contacts = list(response.context["contacts"].page.object_list)
    assert [c.stakeholder for c in contacts] == [never, long_ago]
    assert contacts[1].due == today - datetime.timedelta(days=30)
    assert contacts[1].days_overdue(today) == 30
    assert "Foreign Person" not in response.content.decode()


def test_unread_alerts_count_and_latest_are_the_users_own(client, owner, team_member, account):
    plan = factories.AccountPlanFactory(account=account, fiscal_year=YEAR)
    first = deviation(factories.GoalFactory(plan=plan))
    second = deviation(factories.GoalFactory(plan=plan))
    Notification.objects.create(recipient=owner, kind="worsened", deviation=first)
    newest = Notification.objects.create(recipient=owner, kind="escalated", deviation=second)
    Notification.objects.create(
        recipient=owner, kind="escalated", deviation=first, read_at=timezone.now()
    )
    Notification.objects.create(recipient=team_member, kind="worsened", deviation=second)
    client.force_login(owner)

    alerts = client.get(URL).context["alerts"]

    assert alerts.unread == 2
    assert alerts.latest[0] == newest
    assert len(alerts.latest) == 2


def test_a_new_manager_sees_empty_states(client, outsider):
    client.force_login(outsider)
    html = client.get(URL).content.decode()
    for element in (
        "home-accounts-empty",
        "home-deviations-empty",
        "home-measures-empty",
        "home-contacts-empty",
        "home-alerts-empty",
    ):
        assert f'id="{element}"' in html, element


def test_every_figure_links_to_its_page(client, owner):
    account = full_account(owner, 1)
    plan = account.plans.get()
    client.force_login(owner)
    html = client.get(URL).content.decode()
    stakeholder = account.stakeholders.get()
    dev = plan.goals.get(kpi__code="revenue").deviations.get()
    for url in (
        account.get_absolute_url(),
        plan.get_absolute_url(),
        reverse("controlling:plan_controlling", args=[plan.pk]),
        dev.get_absolute_url(),
        reverse("goals:measures", args=[plan.pk]),
        stakeholder.get_absolute_url(),
        reverse("controlling:notifications"),
    ):
        assert url in html, url


def test_the_start_page_sends_managers_home_and_visitors_to_the_login(client, owner):
    assert client.get("/").url == f"{reverse('login')}?next=/"
    client.force_login(owner)
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == URL


def test_leadership_has_no_accounts_of_its_own_here(client, leadership, owner):
    full_account(owner, 1)
    client.force_login(leadership)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["lines"] == []


def test_anonymous_visitors_are_sent_to_the_login(client, db):
    assert access.answer(client.get(URL)) == access.LOGIN


def test_lists_paginate_each_on_its_own(client, owner):
    for n in range(23):
        factories.KeyAccountFactory(owner=owner, name=f"Account {n:02}")
    plan = factories.AccountPlanFactory(
        account=factories.KeyAccountFactory(owner=owner, name="Account 99"), fiscal_year=YEAR
    )
    for n in range(12):
        measure(plan, n)
    client.force_login(owner)

    response = client.get(URL, {"accounts_page": 2, "measures_page": 2})

    assert [line.account.name for line in response.context["lines"]] == [
        "Account 20",
        "Account 21",
        "Account 22",
        "Account 99",
    ]
    assert len(response.context["measures"].page.object_list) == 2
    assert "accounts_page=2" in response.context["measures"].previous_url
    assert response.context["measures"].previous_url.endswith("#my-measures")


def test_home_costs_the_same_for_50_accounts_as_for_5(client, owner, django_assert_max_num_queries):
    client.force_login(owner)
    for n in range(5):
        full_account(owner, n)
    client.get(URL)
    with CaptureQueriesContext(connection) as small:
        client.get(URL)

    for n in range(5, 50):
        full_account(owner, n)
    with django_assert_max_num_queries(len(small)):
        response = client.get(URL)
    assert response.context["accounts"].page.paginator.count == 50
    assert response.context["deviations"].page.paginator.count == 50
    assert response.context["alerts"].unread == 50


def test_the_home_is_read_only(client, owner):
    client.force_login(owner)
    assert client.post(URL).status_code == 405


def test_my_accounts_is_the_visibility_rule_for_managers(owner, team_member, account):
    factories.KeyAccountFactory()
    assert set(home.my_accounts(team_member)) == {account}
    assert set(home.my_accounts(owner)) == {account}
