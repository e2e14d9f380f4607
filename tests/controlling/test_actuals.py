"""Actuals: the model, entering them by hand, the grid of a plan, and their roll-up per year.

Every URL of the controlling app is listed in URLS below, test_import.URLS or
test_run_views.URLS;
`test_every_controlling_url_is_covered` fails when one is added without being listed.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AccountStatus
from controlling import urls as controlling_urls
from controlling.models import Actual, ActualSource
from controlling.selectors.actuals import actual_totals, cell_key, cell_status
from controlling.services.actuals import actuals_save
from goals.models import AccountPlan, KPIDefinition, MonthlyTarget, PlanStatus
from goals.services.templates import plan_copy
from tests import access, factories

D = Decimal
MONTHS_2027 = [datetime.date(2027, month, 1) for month in range(1, 13)]
APR = datetime.date(2027, 4, 1)


@pytest.fixture(autouse=True)
def calendar_fiscal_year(settings):
    settings.KAM_FISCAL_YEAR_START_MONTH = 1


@pytest.fixture
def plan(account):
    return factories.AccountPlanFactory(account=account, fiscal_year=2027)


@pytest.fixture
def revenue(db):
    return factories.revenue_kpi()


@pytest.fixture
def goal(plan, revenue):
    goal = factories.GoalFactory(plan=plan, kpi=revenue, annual_target=D("1200.00"))
    MonthlyTarget.objects.bulk_create(
        MonthlyTarget(goal=goal, month=month, value=D("100.00")) for month in MONTHS_2027
    )
    return goal


def make_kpi(code: str, rollup: str = "sum", source: str = "entered", order: int = 0):
    return KPIDefinition.objects.create(
        code=code,
        name_en=code.replace("_", " ").title(),
        name_de=code,
        unit="count",
        rollup=rollup,
        source=source,
        order=order,
    )


def snapshot() -> list:
    return list(Actual.objects.order_by("pk").values())


def saved(account, kpi) -> dict[datetime.date, Decimal]:
    return dict(Actual.objects.filter(account=account, kpi=kpi).values_list("month", "value"))


# --- the model ------------------------------------------------------------------------------


def test_it_refuses_a_second_actual_for_the_same_account_kpi_and_month(account, revenue):
    factories.ActualFactory(account=account, kpi=revenue, month=APR)
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.ActualFactory(account=account, kpi=revenue, month=APR)
    # Another month, KPI or account is fine.
    factories.ActualFactory(account=account, kpi=revenue, month=datetime.date(2027, 5, 1))
    factories.ActualFactory(account=account, kpi=make_kpi("orders"), month=APR)
    factories.ActualFactory(kpi=revenue, month=APR)


def test_it_refuses_a_month_that_is_not_the_first_day(account, revenue):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.ActualFactory(account=account, kpi=revenue, month=datetime.date(2027, 4, 2))
    assert not Actual.objects.exists()


def test_entering_actuals_keeps_their_history(account, revenue, owner):
    actuals_save(account=account, values={(revenue.pk, APR): D("5.00")}, user=owner)
    actuals_save(account=account, values={(revenue.pk, APR): D("6.00")}, user=owner)
    actuals_save(account=account, values={(revenue.pk, APR): D("6.00")}, user=owner)
    actuals_save(account=account, values={(revenue.pk, APR): None}, user=owner)
    history = Actual.history.order_by("history_id")
    assert list(history.values_list("history_type", "value", "history_user")) == [
        ("+", D("5.00"), owner.pk),
        ("~", D("6.00"), owner.pk),
        ("-", D("6.00"), owner.pk),  # who emptied the cell, too
    ]


# --- the service ----------------------------------------------------------------------------


def test_actuals_save_creates_and_updates(account, revenue, owner, team_member):
    actuals_save(account=account, values={(revenue.pk, APR): D("10.50")}, user=owner)
    actual = Actual.objects.get()
    assert (actual.value, actual.source, actual.entered_by) == (
        D("10.50"),
        ActualSource.ENTERED,
        owner,
    )
    actuals_save(
        account=account,
        values={(revenue.pk, APR): D("11.00"), (revenue.pk, MONTHS_2027[4]): D("-3.00")},
        user=team_member,
    )
    assert saved(account, revenue) == {APR: D("11.00"), MONTHS_2027[4]: D("-3.00")}
    actual.refresh_from_db()
    assert (actual.value, actual.entered_by) == (D("11.00"), team_member)


def test_actuals_save_marks_an_imported_actual_as_entered_when_changed(account, revenue, owner):
    factories.ActualFactory(account=account, kpi=revenue, month=APR, source="imported")
    actuals_save(account=account, values={(revenue.pk, APR): D("7.00")}, user=owner)
    actual = Actual.objects.get()
    assert (actual.value, actual.source, actual.entered_by) == (D("7.00"), "entered", owner)


def test_an_empty_cell_deletes_the_actual(account, revenue, owner):
    factories.ActualFactory(account=account, kpi=revenue, month=APR)
    factories.ActualFactory(account=account, kpi=revenue, month=MONTHS_2027[4])
    actuals_save(
        account=account,
        values={(revenue.pk, APR): None, (revenue.pk, MONTHS_2027[6]): None},
        user=owner,
    )
    assert list(saved(account, revenue)) == [MONTHS_2027[4]]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "Revenue, Apr 2027: enter a number."),
        (D("NaN"), "Revenue, Apr 2027: enter a number."),
        (D("1.234"), "Revenue, Apr 2027: use at most 2 decimal places."),
        (D("1000000000000"), "Revenue, Apr 2027: the number is too large."),
    ],
)
def test_a_bad_cell_writes_nothing_and_names_kpi_and_month(account, revenue, owner, value, message):
    factories.ActualFactory(account=account, kpi=revenue, month=MONTHS_2027[0], value=D("1"))
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        actuals_save(
            account=account,
            values={
                (revenue.pk, MONTHS_2027[0]): D("2.00"),
                (revenue.pk, MONTHS_2027[1]): D("3.00"),
                (revenue.pk, APR): value,
            },
            user=owner,
        )
    assert error.value.message_dict == {cell_key(revenue.pk, APR): [message]}
    assert snapshot() == before


def test_it_refuses_a_kpi_the_app_computes(account, owner):
    computed = make_kpi("contacts_covered", source="computed")
    with pytest.raises(ValidationError) as error:
        actuals_save(account=account, values={(computed.pk, APR): D("3")}, user=owner)
    assert error.value.messages == [
        "Contacts Covered, Apr 2027: computed by the app; not entered by hand."
    ]
    assert not Actual.objects.exists()


def test_it_refuses_a_month_outside_the_plans_fiscal_year(account, revenue, owner):
    values = {(revenue.pk, APR): D("1"), (revenue.pk, datetime.date(2028, 1, 1)): D("2")}
    with pytest.raises(ValidationError) as error:
        actuals_save(account=account, values=values, user=owner, fiscal_year=2027)
    assert error.value.messages == ["Revenue, Jan 2028: not a month of this plan's fiscal year."]
    # Without a fiscal year given, all months must lie in the year of the first one.
    with pytest.raises(ValidationError):
        actuals_save(account=account, values=values, user=owner)
    with pytest.raises(ValidationError):
        actuals_save(
            account=account, values={(revenue.pk, APR): D("1")}, user=owner, fiscal_year=2028
        )
    assert not Actual.objects.exists()


def test_it_follows_a_fiscal_year_starting_in_april(settings, account, revenue, owner):
    settings.KAM_FISCAL_YEAR_START_MONTH = 4
    # FY 2027 runs from Apr 2026 to Mar 2027.
    values = {(revenue.pk, datetime.date(2026, 4, 1)): D("1"), (revenue.pk, APR): D("2")}
    with pytest.raises(ValidationError) as error:
        actuals_save(account=account, values=values, user=owner, fiscal_year=2027)
    assert error.value.messages == ["Revenue, Apr 2027: not a month of this plan's fiscal year."]


# --- actual_totals: one year's actuals rolled up per KPI ------------------------------------


def test_actual_totals_roll_up_each_kpi_by_its_rule(account, revenue, django_assert_num_queries):
    average = make_kpi("satisfaction", rollup="average")
    last = make_kpi("share", rollup="last")
    make_kpi("unreported")
    rows = [
        (revenue, 1, "100.10"),
        (revenue, 6, "200.20"),
        (revenue, 12, "300.30"),
        (average, 2, "70"),
        (average, 3, "80"),
        (average, 9, "85"),
        (last, 11, "31"),
        (last, 3, "25"),
    ]
    for kpi, month, value in rows:
        factories.ActualFactory(
            account=account, kpi=kpi, month=datetime.date(2027, month, 1), value=D(value)
        )
    # Other years and other accounts do not count.
    factories.ActualFactory(account=account, kpi=revenue, month=datetime.date(2026, 12, 1))
    factories.ActualFactory(account=account, kpi=last, month=datetime.date(2028, 1, 1), value=1)
    factories.ActualFactory(kpi=revenue, month=APR, value=D("5000"))
    with django_assert_num_queries(1):
        totals = actual_totals(account=account, fiscal_year=2027)
    assert totals == {
        revenue.pk: D("600.60"),  # 100.10 + 200.20 + 300.30
        average.pk: (D("70") + D("80") + D("85")) / 3,  # 78.33..
        last.pk: D("31.00"),  # November is the last month reported
    }


def test_actual_totals_follow_the_fiscal_year(settings, account, revenue):
    settings.KAM_FISCAL_YEAR_START_MONTH = 4
    for day in (datetime.date(2026, 3, 1), datetime.date(2026, 4, 1), datetime.date(2027, 3, 1)):
        factories.ActualFactory(account=account, kpi=revenue, month=day, value=D("10"))
    assert actual_totals(account=account, fiscal_year=2027) == {revenue.pk: D("20.00")}


def test_the_setting_points_goals_at_actual_totals(settings):
    from django.utils.module_loading import import_string

    assert import_string(settings.KAM_ACTUALS_PROVIDER) is actual_totals


def test_plan_copy_takes_the_actuals_as_new_baselines(plan, goal, owner):
    actuals_save(
        account=plan.account,
        values={(goal.kpi_id, month): D("150.00") for month in MONTHS_2027[:10]},
        user=owner,
    )
    new = plan_copy(plan=plan, user=owner)
    copied = new.goals.get()
    assert (copied.baseline, copied.annual_target) == (D("1500.00"), D("1500.00"))


# --- the page -------------------------------------------------------------------------------


def url(plan) -> str:
    return reverse("controlling:plan_actuals", args=[plan.pk])


def test_it_shows_actuals_with_targets_below_and_rolled_up_totals(client, owner, plan, goal):
    average = make_kpi("satisfaction", rollup="average", order=999)
    second = factories.GoalFactory(plan=plan, kpi=average, annual_target=D("80"))
    third = factories.GoalFactory(plan=plan, kpi=average, annual_target=D("10"))
    for g, value in ((second, "80"), (third, "10")):
        MonthlyTarget.objects.bulk_create(
            MonthlyTarget(goal=g, month=month, value=D(value)) for month in MONTHS_2027
        )
    factories.QualitativeGoalFactory(plan=plan)
    for month, value in ((1, "70"), (2, "90")):
        factories.ActualFactory(
            account=plan.account, kpi=average, month=datetime.date(2027, month, 1), value=value
        )
    factories.ActualFactory(account=plan.account, kpi=goal.kpi, month=APR, value=D("1234.50"))
    client.force_login(owner)
    response = client.get(url(plan))
    assert response.status_code == 200
    grid = response.context["grid"]
    assert [row.kpi.code for row in grid.rows] == ["revenue", "satisfaction"]
    revenue_row, average_row = grid.rows
    assert (revenue_row.actual_total, revenue_row.target_total) == (D("1234.50"), D("1200.00"))
    # Two goals on one KPI: the targets are added up (80 + 10 = 90 every month).
    assert average_row.cells[0].target == D("90.00")
    assert (average_row.actual_total, average_row.target_total) == (D("80"), D("90"))
    html = response.content.decode()
    assert f'name="{cell_key(goal.kpi_id, APR)}"' in html
    assert 'value="1234.50"' in html
    assert "1,234.50" in html  # the row total
    assert 'class="nav-link active" href="' + url(plan) + '">Actuals</a>' in html


def test_a_computed_kpi_is_read_only_with_a_note(client, owner, plan):
    computed = make_kpi("contacts_covered", source="computed")
    factories.GoalFactory(plan=plan, kpi=computed, annual_target=D("12"))
    factories.ActualFactory(account=plan.account, kpi=computed, month=APR, value=D("3"))
    client.force_login(owner)
    html = client.get(url(plan)).content.decode()
    assert "Computed by the app; not entered by hand." in html
    assert f'name="{cell_key(computed.pk, APR)}"' not in html
    assert "<form" not in html.split('id="actuals-grid"')[1]
    # A forged post is refused and changes nothing.
    response = client.post(url(plan), {cell_key(computed.pk, APR): "9"})
    assert "Contacts Covered, Apr 2027: computed by the app; not entered by hand." in (
        response.content.decode()
    )
    assert Actual.objects.get().value == D("3.00")


def test_a_plan_without_quantitative_goals_shows_the_empty_state(client, owner, plan):
    factories.QualitativeGoalFactory(plan=plan)
    client.force_login(owner)
    html = client.get(url(plan)).content.decode()
    assert 'id="actuals-empty"' in html
    assert "no quantitative goal yet" in html


def test_post_without_htmx_saves_and_redirects(client, owner, plan, goal):
    client.force_login(owner)
    data = {cell_key(goal.kpi_id, month): "" for month in MONTHS_2027}
    data[cell_key(goal.kpi_id, APR)] = "1234.5"
    response = client.post(url(plan), data)
    assert response.status_code == 302
    assert response.url == url(plan)
    assert saved(plan.account, goal.kpi) == {APR: D("1234.50")}


def test_htmx_post_returns_only_the_grid(client, owner, plan, goal):
    client.force_login(owner)
    response = client.post(
        url(plan), {cell_key(goal.kpi_id, APR): "50"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="actuals-grid">')
    assert "<html" not in html
    assert "Planning steps" not in html
    assert 'value="50.00"' in html
    assert saved(plan.account, goal.kpi) == {APR: D("50.00")}


def test_an_htmx_save_shows_that_it_saved_and_a_refused_one_does_not(client, owner, plan, goal):
    client.force_login(owner)
    hx = {"HX-Request": "true"}
    html = client.post(url(plan), {cell_key(goal.kpi_id, APR): "50"}, headers=hx).content
    assert b'id="actuals-saved"' in html
    html = client.post(url(plan), {cell_key(goal.kpi_id, APR): "abc"}, headers=hx).content
    assert b'id="actuals-saved"' not in html
    assert b'id="actuals-errors"' in html
    assert b'id="actuals-saved"' not in client.get(url(plan)).content


@pytest.mark.parametrize(
    ("direction", "actual", "target", "status"),
    [
        ("higher", "100", "100", "on_track"),
        ("higher", "95", "100", "on_track"),  # 5 % short: less than the 10 % of "at risk"
        ("higher", "85", "100", "at_risk"),
        ("higher", "50", "100", "off_track"),
        ("lower", "80", "100", "on_track"),
        ("lower", "200", "100", "off_track"),
        ("higher", None, "100", ""),
        ("higher", "10", None, ""),
    ],
)
def test_a_cell_status_follows_the_threshold_bands(direction, actual, target, status):
    assert (
        cell_status(
            direction=direction,
            actual=None if actual is None else D(actual),
            target=None if target is None else D(target),
            at_risk=D("10"),
            off_track=D("20"),
        )
        == status
    )


def test_the_grid_colours_cells_against_their_target(client, owner, plan, goal):
    factories.ActualFactory(account=plan.account, kpi=goal.kpi, month=MONTHS_2027[0], value=100)
    factories.ActualFactory(account=plan.account, kpi=goal.kpi, month=MONTHS_2027[1], value=10)
    client.force_login(owner)
    html = client.get(url(plan)).content.decode()
    jan = cell_key(goal.kpi_id, MONTHS_2027[0])
    feb = cell_key(goal.kpi_id, MONTHS_2027[1])
    mar = cell_key(goal.kpi_id, MONTHS_2027[2])
    assert f'class="actual-on_track" data-cell="{jan}" data-status="on_track"' in html
    assert f'class="actual-off_track" data-cell="{feb}" data-status="off_track"' in html
    assert f'class="" data-cell="{mar}">' in html


def test_a_bad_cell_on_the_page_saves_nothing_and_keeps_what_was_typed(client, owner, plan, goal):
    factories.ActualFactory(account=plan.account, kpi=goal.kpi, month=MONTHS_2027[0], value=1)
    before = snapshot()
    client.force_login(owner)
    data = {cell_key(goal.kpi_id, MONTHS_2027[0]): "2", cell_key(goal.kpi_id, APR): "12x"}
    response = client.post(url(plan), data, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was saved" in html
    assert "Revenue, Apr 2027: enter a number." in html
    assert 'value="12x"' in html
    assert f'class="table-danger" data-cell="{cell_key(goal.kpi_id, APR)}"' in html
    assert snapshot() == before


@pytest.mark.parametrize("status", [PlanStatus.SUBMITTED, PlanStatus.APPROVED])
def test_a_submitted_or_approved_plan_still_takes_actuals(client, owner, plan, goal, status):
    AccountPlan.objects.filter(pk=plan.pk).update(status=status)
    client.force_login(owner)
    html = client.get(url(plan)).content.decode()
    assert "Actuals can still be entered while the plan is submitted or approved." in html
    response = client.post(url(plan), {cell_key(goal.kpi_id, APR): "7"})
    assert response.status_code == 302
    assert saved(plan.account, goal.kpi) == {APR: D("7.00")}


def test_an_archived_account_refuses_actuals(client, owner, plan, goal):
    plan.account.status = AccountStatus.ARCHIVED
    plan.account.save()
    client.force_login(owner)
    response = client.get(url(plan))
    assert response.status_code == 200
    assert "actual-input" not in response.content.decode()
    assert client.post(url(plan), {cell_key(goal.kpi_id, APR): "7"}).status_code == 403
    assert not Actual.objects.exists()


def test_leadership_sees_the_grid_without_inputs(client, leadership, plan, goal):
    factories.ActualFactory(account=plan.account, kpi=goal.kpi, month=APR, value=D("1234.50"))
    client.force_login(leadership)
    html = client.get(url(plan)).content.decode()
    assert "actual-input" not in html
    assert "1,234.50" in html


def add_kpis(plan, count: int, start: int) -> None:
    for index in range(start, start + count):
        kpi = make_kpi(f"kpi_{index}", rollup=["sum", "average", "last"][index % 3], order=index)
        for _ in range(2):
            goal = factories.GoalFactory(plan=plan, kpi=kpi, annual_target=D("12"))
            MonthlyTarget.objects.bulk_create(
                MonthlyTarget(goal=goal, month=month, value=D("1")) for month in MONTHS_2027
            )
        Actual.objects.bulk_create(
            Actual(account=plan.account, kpi=kpi, month=month, value=D("2"))
            for month in MONTHS_2027
        )


@pytest.mark.parametrize("method", ["get", "post"])
def test_query_count_does_not_grow_with_kpis(
    client, owner, plan, method, django_assert_max_num_queries
):
    client.force_login(owner)

    def load():
        if method == "get":
            return client.get(url(plan))
        data = {cell_key(row.kpi.pk, APR): "3" for row in response.context["grid"].rows}
        return client.post(url(plan), data, headers={"HX-Request": "true"})

    add_kpis(plan, 2, 0)
    response = client.get(url(plan))
    with CaptureQueriesContext(connection) as two_kpis:
        assert load().status_code == 200
    # Counted now: the next request resets the connection's query log.
    two_kpis_count = len(two_kpis.captured_queries)
    add_kpis(plan, 8, 2)
    response = client.get(url(plan))
    with django_assert_max_num_queries(two_kpis_count):
        response = load()
    assert response.content.decode().count("data-kpi=") == 10
    if method == "post":
        assert Actual.objects.filter(month=APR, value=D("3")).count() == 10


# --- who may see and change what ------------------------------------------------------------

URLS = [("plan_actuals", "get"), ("plan_actuals", "post")]


def test_every_controlling_url_is_covered():
    from tests.controlling import (
        test_alerts,
        test_dashboards,
        test_exports,
        test_import,
        test_plan_controlling,
        test_run_views,
    )

    listed = {name for name, _ in URLS}
    for module in (
        test_alerts,
        test_dashboards,
        test_exports,
        test_import,
        test_plan_controlling,
        test_run_views,
    ):
        listed |= {name for name, _ in module.URLS}
    assert {p.name for p in controlling_urls.urlpatterns} == listed


def post_data(goal) -> dict:
    return {cell_key(goal.kpi_id, APR): "42"}


@pytest.fixture
def world(plan, goal, outsider):
    factories.KeyAccountFactory(owner=outsider, name="Meridian Foods")
    return plan


@pytest.mark.parametrize("persona", access.PERSONAS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_the_actuals_page_answers_each_persona(client, world, goal, login_as, persona, method):
    login_as(persona)
    access.check_account_page(
        persona,
        lambda: (
            client.post(url(world), post_data(goal)) if method == "post" else client.get(url(world))
        ),
        method=method,
        read=method == "get",
        snapshot=snapshot,
    )
    if persona not in access.EDITORS:
        assert not Actual.objects.exists()
    elif method == "post":
        assert saved(world.account, goal.kpi) == {APR: D("42.00")}


def test_other_methods_are_refused(client, world, owner):
    client.force_login(owner)
    assert client.put(url(world)).status_code == 405


def test_admin_lists_and_searches_actuals(client, administrator, account, revenue):
    factories.ActualFactory(account=account, kpi=revenue, month=APR)
    client.force_login(administrator)
    changelist = reverse("admin:controlling_actual_changelist")
    for query in ({}, {"q": account.customer_number}, {"source__exact": "entered"}):
        response = client.get(changelist, query)
        assert response.status_code == 200
        assert response.context["cl"].result_count == 1
    assert client.get(changelist, {"q": "no such customer"}).context["cl"].result_count == 0
