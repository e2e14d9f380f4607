"""Step 4, the action plan (measures, timeline, progress) and step 5, the controlling frame.

Every URL served by goals.views.measures is listed in URLS below as a read page, a write form,
a write POST or a progress write; `test_every_measures_url_is_covered` fails when one is added
without being listed.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountStatus
from goals import urls as goal_urls
from goals.models import AccountPlan, Goal, Measure, MeasureStatus
from goals.selectors.measures import bar_position, frame_summary, measure_timeline
from goals.services.goals import goal_delete
from goals.services.measures import (
    measure_create,
    measure_delete,
    measure_progress_update,
    measure_update,
)
from goals.signals import measures_changed
from tests import access, factories

DUE_BEFORE_START = "The due date cannot be before the start date."
D = Decimal


@pytest.fixture(autouse=True)
def calendar_fiscal_year(settings):
    settings.KAM_FISCAL_YEAR_START_MONTH = 1


@pytest.fixture
def plan(account):
    return factories.AccountPlanFactory(account=account, fiscal_year=2027)


def snapshot() -> list:
    return [
        list(AccountPlan.objects.order_by("pk").values()),
        list(Measure.objects.order_by("pk").values()),
        list(Measure.goals.through.objects.order_by("pk").values()),
    ]


def measure_data(plan, **overrides) -> dict:
    data = {
        "title": "Application day at the Bremen plant",
        "description": "",
        "instrument": "communication",
        "owner": str(plan.account.owner_id),
        "start_date": "2027-02-01",
        "due_date": "2027-03-15",
        "planned_cost": "4000.00",
        "actual_cost": "0",
        "status": "planned",
        "progress": "0",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def progress_data(**overrides) -> dict:
    return {"status": "in_progress", "progress": "40", "actual_cost": "1500.00", **overrides}


# --- the model rule: overdue ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "due_offset", "overdue"),
    [
        ("planned", -1, True),
        ("in_progress", -1, True),
        ("planned", 0, False),  # due today is not overdue yet
        ("in_progress", 1, False),
        ("done", -1, False),
        ("cancelled", -1, False),
    ],
)
def test_open_measure_is_overdue_only_after_its_due_date(plan, status, due_offset, overdue):
    today = timezone.localdate()
    measure = factories.MeasureFactory(
        plan=plan,
        status=status,
        start_date=today - datetime.timedelta(days=30),
        due_date=today + datetime.timedelta(days=due_offset),
    )
    assert measure.is_overdue is overdue


def test_measures_page_flags_overdue_but_not_due_today(client, owner, plan):
    today = timezone.localdate()
    start = today - datetime.timedelta(days=20)
    late = factories.MeasureFactory(
        plan=plan, title="Late one", start_date=start, due_date=today - datetime.timedelta(days=1)
    )
    due_today = factories.MeasureFactory(
        plan=plan, title="Due today", start_date=start, due_date=today
    )
    client.force_login(owner)
    html = client.get(reverse("goals:measures", args=[plan.pk])).content.decode()
    row = html[html.index(f'id="measure-{late.pk}"') :]
    assert "data-overdue" in row[: row.index("</tr>")]
    row = html[html.index(f'id="measure-{due_today.pk}"') :]
    assert "data-overdue" not in row[: row.index("</tr>")]
    assert "1 overdue" in html


# --- the measures table ---------------------------------------------------------------------


def test_measures_page_lists_sorts_filters_and_totals(client, owner, plan):
    goal = factories.GoalFactory(plan=plan, title="Grow gear motor revenue")
    cheap_late = factories.MeasureFactory(
        plan=plan,
        title="Price workshop",
        instrument="pricing",
        due_date=datetime.date(2027, 6, 30),
        planned_cost=D("1000"),
        actual_cost=D("250.50"),
        goals=[goal],
    )
    dear_early = factories.MeasureFactory(
        plan=plan,
        title="Trade fair",
        instrument="communication",
        status="in_progress",
        due_date=datetime.date(2027, 2, 28),
        planned_cost=D("9000"),
        actual_cost=D("100"),
    )
    client.force_login(owner)
    url = reverse("goals:measures", args=[plan.pk])
    response = client.get(url)
    assert response.context["table"].measures == [dear_early, cheap_late]
    assert response.context["table"].planned_total == D("10000")
    assert response.context["table"].actual_total == D("350.50")
    html = response.content.decode()
    for text in ("Grow gear motor revenue", "Pricing and contract policy", "10,000.00", "350.50"):
        assert text in html
    response = client.get(url, {"sort": "cost"})
    assert response.context["table"].measures == [dear_early, cheap_late]
    factories.MeasureFactory(
        plan=plan, planned_cost=D("20000"), due_date=datetime.date(2027, 12, 1)
    )
    assert client.get(url, {"sort": "cost"}).context["table"].measures[0].planned_cost == 20000
    assert client.get(url).context["table"].measures[-1].planned_cost == 20000
    response = client.get(url, {"instrument": "pricing"})
    assert response.context["table"].measures == [cheap_late]
    assert response.context["table"].planned_total == D("1000")
    response = client.get(url, {"status": "in_progress"})
    assert response.context["table"].measures == [dear_early]
    response = client.get(url, {"status": "done"})
    assert response.context["table"].measures == []
    assert "No measure matches these filters." in response.content.decode()
    # An unknown filter value is ignored rather than failing the page.
    assert len(client.get(url, {"status": "bogus"}).context["table"].measures) == 3


def test_measures_filter_with_htmx_renders_only_the_table(client, owner, plan):
    factories.MeasureFactory(plan=plan, title="Trade fair")
    client.force_login(owner)
    response = client.get(
        reverse("goals:measures", args=[plan.pk]), {"status": "planned"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert html.strip().startswith('<div id="measure-table">')
    assert "Trade fair" in html
    assert "<html" not in html


def test_measures_page_empty_state(client, owner, plan):
    client.force_login(owner)
    html = client.get(reverse("goals:measures", args=[plan.pk])).content.decode()
    assert "No measures yet." in html
    assert reverse("goals:measure_create", args=[plan.pk]) in html


def test_measures_page_shows_countermeasure_badge(client, owner, plan):
    factories.MeasureFactory(plan=plan, is_countermeasure=True)
    client.force_login(owner)
    html = client.get(reverse("goals:measures", args=[plan.pk])).content.decode()
    assert "Countermeasure" in html


# --- create, edit, delete -------------------------------------------------------------------


def test_it_creates_a_measure_linked_to_goals(client, owner, team_member, plan):
    goal = factories.GoalFactory(plan=plan)
    client.force_login(owner)
    data = measure_data(
        plan, goals=[str(goal.pk)], owner=str(team_member.pk), is_countermeasure="on"
    )
    response = client.post(reverse("goals:measure_create", args=[plan.pk]), data)
    assert response.status_code == 302
    assert response.url == reverse("goals:measures", args=[plan.pk])
    measure = Measure.objects.get()
    assert (measure.plan, measure.owner, measure.is_countermeasure) == (plan, team_member, True)
    assert list(measure.goals.all()) == [goal]
    assert measure.history.first().history_user == owner


def test_it_edits_a_measure(client, owner, plan):
    measure = factories.MeasureFactory(plan=plan)
    client.force_login(owner)
    url = reverse("goals:measure_edit", args=[plan.pk, measure.pk])
    assert client.get(url).context["form"].instance == measure
    response = client.post(url, measure_data(plan, title="Renamed", status="done", progress="30"))
    assert response.status_code == 302
    measure.refresh_from_db()
    assert measure.title == "Renamed"
    assert measure.progress == 100  # done means done


def test_it_deletes_a_measure(client, owner, plan):
    measure = factories.MeasureFactory(plan=plan)
    client.force_login(owner)
    response = client.post(reverse("goals:measure_delete", args=[plan.pk, measure.pk]))
    assert response.status_code == 302
    assert not Measure.objects.exists()


NEGATIVE_PLANNED = "The planned cost cannot be negative."
NEGATIVE_ACTUAL = "The actual cost cannot be negative."
PROGRESS_RANGE = "The progress must be a percentage from 0 to 100."


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"planned_cost": "-1"}, "planned_cost", NEGATIVE_PLANNED),
        ({"actual_cost": "-0.01"}, "actual_cost", NEGATIVE_ACTUAL),
        ({"progress": "101"}, "progress", PROGRESS_RANGE),
        ({"progress": "-1"}, "progress", PROGRESS_RANGE),
        ({"start_date": "2027-03-16", "due_date": "2027-03-15"}, "due_date", DUE_BEFORE_START),
        ({"title": ""}, "title", "This field is required."),
        ({"instrument": "guerrilla"}, "instrument", None),
    ],
)
def test_it_refuses_bad_input_with_a_field_error(client, owner, plan, overrides, field, message):
    client.force_login(owner)
    response = client.post(
        reverse("goals:measure_create", args=[plan.pk]), measure_data(plan, **overrides)
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    if message:
        assert errors[field] == [message]
        assert message in response.content.decode()
    assert not Measure.objects.exists()


def test_due_date_before_start_names_the_due_date(client, owner, plan):
    measure = factories.MeasureFactory(plan=plan)
    client.force_login(owner)
    before = snapshot()
    response = client.post(
        reverse("goals:measure_edit", args=[plan.pk, measure.pk]),
        measure_data(plan, start_date="2027-05-02", due_date="2027-05-01"),
    )
    assert response.context["form"].errors == {"due_date": [DUE_BEFORE_START]}
    assert DUE_BEFORE_START in response.content.decode()
    assert snapshot() == before


def test_same_start_and_due_date_is_allowed(client, owner, plan):
    client.force_login(owner)
    data = measure_data(plan, start_date="2027-05-02", due_date="2027-05-02")
    assert client.post(reverse("goals:measure_create", args=[plan.pk]), data).status_code == 302


def test_it_refuses_a_goal_of_another_plan(client, owner, plan):
    other_plan = factories.AccountPlanFactory(account=plan.account, fiscal_year=2026)
    foreign = factories.GoalFactory(plan=other_plan)
    client.force_login(owner)
    response = client.post(
        reverse("goals:measure_create", args=[plan.pk]),
        measure_data(plan, goals=[str(foreign.pk)]),
    )
    assert response.status_code == 200
    assert "goals" in response.context["form"].errors
    assert not Measure.objects.exists()


def test_service_refuses_a_goal_of_another_plan(plan, owner):
    foreign = factories.GoalFactory(
        plan=factories.AccountPlanFactory(account=plan.account, fiscal_year=2026)
    )
    with pytest.raises(ValidationError) as error:
        measure_create(
            plan=plan,
            goals=[foreign],
            user=owner,
            title="x",
            instrument="product",
            owner=owner,
            start_date=datetime.date(2027, 1, 1),
            due_date=datetime.date(2027, 2, 1),
        )
    assert "goals" in error.value.message_dict
    assert not Measure.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_measure_writes_announce_the_measures_and_the_goals_just_linked(plan, owner):
    """controlling closes deviations from `measures_changed`; every service writing measures
    or their links sends it, inside its own transaction (no test transaction around here)."""
    first, second = factories.GoalFactory.create_batch(2, plan=plan)
    goal_ids = [first.pk, second.pk]
    received = []

    def receiver(sender, measure_ids, goal_ids, **kwargs):
        assert connection.in_atomic_block
        received.append((sender, measure_ids, goal_ids))

    measures_changed.connect(receiver)
    try:
        measure = measure_create(
            plan=plan,
            goals=[first],
            user=owner,
            title="x",
            instrument="product",
            owner=owner,
            start_date=datetime.date(2027, 1, 1),
            due_date=datetime.date(2027, 2, 1),
        )
        ids = [measure.pk]
        measure_update(measure=measure, goals=[first, second], user=owner, title="y")
        measure_update(measure=measure, goals=[second], user=owner)
        measure_progress_update(
            measure=measure, status="in_progress", progress=10, actual_cost=D("0"), user=owner
        )
        goal_delete(goal=second)
        measure_delete(measure=measure, user=owner)
    finally:
        measures_changed.disconnect(receiver)
    assert received == [
        (Measure, ids, goal_ids[:1]),
        (Measure, ids, goal_ids[1:]),
        (Measure, ids, []),
        (Measure, ids, []),
        (Goal, ids, []),
        (Measure, ids, []),
    ]


def test_owner_is_limited_to_account_owner_and_team(client, owner, team_member, outsider, plan):
    client.force_login(owner)
    url = reverse("goals:measure_create", args=[plan.pk])
    choices = set(client.get(url).context["form"].fields["owner"].queryset)
    assert choices == {owner, team_member}
    response = client.post(url, measure_data(plan, owner=str(outsider.pk)))
    assert "owner" in response.context["form"].errors
    assert not Measure.objects.exists()


def test_goal_choices_are_this_plans_goals(client, owner, plan):
    mine = factories.GoalFactory(plan=plan)
    factories.GoalFactory(plan=factories.AccountPlanFactory(account=plan.account, fiscal_year=2026))
    client.force_login(owner)
    form = client.get(reverse("goals:measure_create", args=[plan.pk])).context["form"]
    assert list(form.fields["goals"].queryset) == [mine]
    assert "is_countermeasure" in form.fields


# --- progress on approved plans -------------------------------------------------------------


@pytest.mark.parametrize("status", ["approved", "submitted", "draft"])
@pytest.mark.parametrize("persona", access.EDITORS)
def test_progress_may_be_recorded_on_any_plan(client, plan, login_as, persona, status):
    measure = factories.MeasureFactory(plan=plan, title="Trade fair", planned_cost=D("7000"))
    AccountPlan.objects.filter(pk=plan.pk).update(status=status)
    login_as(persona)
    url = reverse("goals:measure_progress", args=[plan.pk, measure.pk])
    response = client.post(url, progress_data())
    assert response.status_code == 302
    measure.refresh_from_db()
    assert (measure.status, measure.progress, measure.actual_cost) == ("in_progress", 40, 1500)
    assert measure.planned_cost == 7000 and measure.title == "Trade fair"


def test_progress_ignores_other_fields(client, owner, plan):
    measure = factories.MeasureFactory(plan=plan, title="Trade fair", planned_cost=D("7000"))
    AccountPlan.objects.filter(pk=plan.pk).update(status="approved")
    client.force_login(owner)
    url = reverse("goals:measure_progress", args=[plan.pk, measure.pk])
    client.post(url, progress_data(title="Changed", planned_cost="1"))
    measure.refresh_from_db()
    assert (measure.title, measure.planned_cost) == ("Trade fair", 7000)


def test_leadership_may_not_record_progress(client, leadership, plan):
    measure = factories.MeasureFactory(plan=plan)
    AccountPlan.objects.filter(pk=plan.pk).update(status="approved")
    client.force_login(leadership)
    before = snapshot()
    url = reverse("goals:measure_progress", args=[plan.pk, measure.pk])
    assert client.post(url, progress_data()).status_code == 403
    assert client.get(url).status_code == 403
    assert snapshot() == before


def test_no_progress_on_archived_account(client, owner, plan):
    measure = factories.MeasureFactory(plan=plan)
    AccountPlan.objects.filter(pk=plan.pk).update(status="approved")
    plan.account.status = AccountStatus.ARCHIVED
    plan.account.save()
    client.force_login(owner)
    before = snapshot()
    url = reverse("goals:measure_progress", args=[plan.pk, measure.pk])
    assert client.post(url, progress_data()).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("status", ["approved", "submitted"])
def test_edit_form_on_frozen_plan_is_refused_while_progress_is_offered(client, owner, plan, status):
    measure = factories.MeasureFactory(plan=plan)
    AccountPlan.objects.filter(pk=plan.pk).update(status=status)
    client.force_login(owner)
    before = snapshot()
    url = reverse("goals:measure_edit", args=[plan.pk, measure.pk])
    assert client.post(url, measure_data(plan, title="Changed")).status_code == 403
    assert snapshot() == before
    html = client.get(reverse("goals:measures", args=[plan.pk])).content.decode()
    assert url not in html
    assert reverse("goals:measure_create", args=[plan.pk]) not in html
    assert reverse("goals:measure_progress", args=[plan.pk, measure.pk]) in html


@pytest.mark.parametrize("status", ["draft", "submitted", "approved"])
def test_a_countermeasure_may_be_added_to_a_plan_in_any_status(client, owner, plan, status):
    goal = factories.GoalFactory(plan=plan, title="Revenue")
    AccountPlan.objects.filter(pk=plan.pk).update(status=status)
    client.force_login(owner)
    url = reverse("goals:countermeasure_create", args=[plan.pk])
    form = client.get(url, {"goal": goal.pk}).context["form"]
    assert form["goals"].value() == [str(goal.pk)]
    assert "is_countermeasure" not in form.fields
    response = client.post(url, measure_data(plan, title="Price talks", goals=[goal.pk]))
    assert response.status_code == 302
    measure = plan.measures.get(title="Price talks")
    assert measure.is_countermeasure is True
    assert list(measure.goals.all()) == [goal]


def test_a_countermeasure_needs_a_goal(client, owner, plan):
    AccountPlan.objects.filter(pk=plan.pk).update(status="approved")
    client.force_login(owner)
    before = snapshot()
    url = reverse("goals:countermeasure_create", args=[plan.pk])
    response = client.post(url, measure_data(plan))
    assert response.status_code == 200
    assert response.context["form"].errors["goals"] == [
        "Choose the goal whose deviation this measure answers."
    ]
    assert snapshot() == before


def test_a_countermeasure_refuses_a_goal_of_another_plan(client, owner, plan):
    other = factories.GoalFactory(plan=factories.AccountPlanFactory(account=plan.account))
    client.force_login(owner)
    before = snapshot()
    url = reverse("goals:countermeasure_create", args=[plan.pk])
    response = client.post(url, measure_data(plan, goals=[other.pk]))
    assert response.status_code == 200 and "goals" in response.context["form"].errors
    assert snapshot() == before


def test_leadership_sees_no_progress_forms(client, leadership, plan):
    measure = factories.MeasureFactory(plan=plan)
    client.force_login(leadership)
    html = client.get(reverse("goals:measures", args=[plan.pk])).content.decode()
    assert measure.title in html
    assert reverse("goals:measure_progress", args=[plan.pk, measure.pk]) not in html


def test_done_sets_progress_to_100(plan, owner):
    measure = factories.MeasureFactory(plan=plan, progress=20)
    measure_progress_update(
        measure=measure, status="done", progress=60, actual_cost=D("10"), user=owner
    )
    measure.refresh_from_db()
    assert (measure.status, measure.progress) == ("done", 100)
    assert measure.history.first().history_user == owner


def test_done_through_the_progress_form_sets_100(client, owner, plan):
    measure = factories.MeasureFactory(plan=plan)
    client.force_login(owner)
    url = reverse("goals:measure_progress", args=[plan.pk, measure.pk])
    client.post(url, progress_data(status="done", progress="10"))
    measure.refresh_from_db()
    assert measure.progress == 100


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"progress": "101"}, "progress", PROGRESS_RANGE),
        ({"progress": "-5"}, "progress", PROGRESS_RANGE),
        ({"actual_cost": "-1"}, "actual_cost", NEGATIVE_ACTUAL),
        ({"status": "forgotten"}, "status", None),
    ],
)
def test_progress_form_refuses_bad_input(client, owner, plan, overrides, field, message):
    measure = factories.MeasureFactory(plan=plan)
    AccountPlan.objects.filter(pk=plan.pk).update(status="approved")
    client.force_login(owner)
    before = snapshot()
    url = reverse("goals:measure_progress", args=[plan.pk, measure.pk])
    response = client.post(url, progress_data(**overrides))
    assert response.status_code == 200
    errors = response.context["progress_form"].errors
    assert list(errors) == [field]
    if message:
        assert errors[field] == [message]
    assert snapshot() == before


def test_progress_with_htmx_re_renders_the_row(client, owner, plan):
    measure = factories.MeasureFactory(plan=plan, title="Trade fair")
    AccountPlan.objects.filter(pk=plan.pk).update(status="approved")
    client.force_login(owner)
    url = reverse("goals:measure_progress", args=[plan.pk, measure.pk])
    response = client.post(url, progress_data(progress="65"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith(f'<tr id="measure-{measure.pk}"')
    assert 'aria-valuenow="65"' in html
    assert "Saved" in html
    assert "<html" not in html
    response = client.post(url, progress_data(progress="150"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.strip().startswith("<tr")
    assert f"Progress (%): {PROGRESS_RANGE}" in html  # the error names the field
    assert 'aria-valuenow="65"' in html  # the stored value, not the rejected one
    measure.refresh_from_db()
    assert measure.progress == 65


# --- the timeline ---------------------------------------------------------------------------


def test_bar_from_first_day_to_the_middle_of_the_year(plan):
    factories.MeasureFactory(
        plan=plan, start_date=datetime.date(2027, 1, 1), due_date=datetime.date(2027, 7, 1)
    )
    timeline = measure_timeline(plan=plan, today=datetime.date(2027, 4, 1))
    bar = timeline.bars[0]
    assert bar.left == "0.00"
    assert bar.width == "49.86"  # 182 of 365 days, both ends included
    assert timeline.today_left == "24.66"  # 1 April is day 90
    assert (timeline.start, timeline.end) == (
        datetime.date(2027, 1, 1),
        datetime.date(2027, 12, 31),
    )
    assert [m.day.month for m in timeline.months] == list(range(1, 13))
    assert timeline.months[0].left == "0.00"
    assert timeline.months[1].left == "8.49"  # 31 / 365


def test_bars_are_clipped_to_the_fiscal_year(settings):
    start, end = datetime.date(2027, 1, 1), datetime.date(2028, 1, 1)
    assert bar_position(datetime.date(2026, 12, 1), datetime.date(2027, 1, 31), start, end) == (
        0,
        pytest.approx(31 / 365 * 100),
    )
    left, width = bar_position(datetime.date(2027, 12, 1), datetime.date(2028, 2, 1), start, end)
    assert left == pytest.approx(334 / 365 * 100)
    assert left + width == pytest.approx(100)
    assert bar_position(datetime.date(2026, 1, 1), datetime.date(2026, 12, 31), start, end) is None
    assert bar_position(datetime.date(2027, 12, 31), datetime.date(2027, 12, 31), start, end) == (
        pytest.approx(364 / 365 * 100),
        pytest.approx(1 / 365 * 100),
    )


def test_timeline_follows_a_fiscal_year_starting_in_april(settings, plan):
    settings.KAM_FISCAL_YEAR_START_MONTH = 4  # FY 2027 = 1 Apr 2026 .. 31 Mar 2027
    factories.MeasureFactory(
        plan=plan, start_date=datetime.date(2026, 10, 1), due_date=datetime.date(2027, 3, 31)
    )
    timeline = measure_timeline(plan=plan, today=datetime.date(2027, 6, 1))
    assert (timeline.bars[0].left, timeline.bars[0].width) == ("50.14", "49.86")
    assert timeline.months[0].day == datetime.date(2026, 4, 1)
    assert timeline.today_left is None  # today outside the year: no marker


def test_timeline_colours_by_status_and_overdue_in_red(plan):
    day = datetime.date(2027, 1, 10)
    kinds = {}
    for status in MeasureStatus.values:
        kinds[status] = factories.MeasureFactory(
            plan=plan, status=status, start_date=day, due_date=datetime.date(2027, 6, 1)
        )
    late = factories.MeasureFactory(plan=plan, start_date=day, due_date=datetime.date(2027, 2, 1))
    timeline = measure_timeline(plan=plan, today=datetime.date(2027, 3, 1))
    colours = {bar.measure.pk: bar.colour for bar in timeline.bars}
    assert colours[kinds["planned"].pk] == "bg-secondary"
    assert colours[kinds["in_progress"].pk] == "bg-primary"
    assert colours[kinds["done"].pk] == "bg-success"
    assert colours[late.pk] == "bg-danger"
    assert [bar.overdue for bar in timeline.bars].count(True) == 1


def test_timeline_page_renders_bars_with_dates_for_screen_readers(client, owner, plan, settings):
    settings.LANGUAGE_CODE = "en"
    factories.MeasureFactory(
        plan=plan,
        title="Trade fair",
        start_date=datetime.date(2027, 1, 1),
        due_date=datetime.date(2027, 7, 1),
    )
    factories.MeasureFactory(
        plan=plan,
        title="Last year's visit",
        start_date=datetime.date(2026, 3, 1),
        due_date=datetime.date(2026, 4, 1),
    )
    client.force_login(owner)
    html = client.get(reverse("goals:measure_timeline", args=[plan.pk])).content.decode()
    assert 'style="left: 0.00%; width: 49.86%' in html
    assert '<span class="visually-hidden">Trade fair: ' in html
    assert "Outside this fiscal year" in html
    assert ">Jan<" in html and ">Dec<" in html


def test_inline_css_is_not_localised_in_german(client, owner, plan, settings):
    factories.MeasureFactory(
        plan=plan, start_date=datetime.date(2027, 1, 1), due_date=datetime.date(2027, 7, 1)
    )
    AccountPlan.objects.filter(pk=plan.pk).update(budget=D("3000"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    client.force_login(owner)
    html = client.get(reverse("goals:measure_timeline", args=[plan.pk])).content.decode()
    assert "width: 49.86%" in html
    assert "49,86%" not in html
    html = client.get(reverse("goals:frame", args=[plan.pk])).content.decode()
    assert "width: 100%" in html  # planned 5,000 of 3,000: the bar is full, not "166,7%"


def test_timeline_empty_state(client, owner, plan):
    client.force_login(owner)
    html = client.get(reverse("goals:measure_timeline", args=[plan.pk])).content.decode()
    assert "nothing to show on the timeline" in html


# --- the controlling frame ------------------------------------------------------------------


@pytest.fixture
def costed_plan(plan):
    """Budget 10,000; planned 12,000 (1,000 of it cancelled), actual 1,700."""
    AccountPlan.objects.filter(pk=plan.pk).update(budget=D("10000"))
    plan.refresh_from_db()
    today = datetime.date(2027, 5, 1)
    day = datetime.date(2027, 1, 1)
    factories.MeasureFactory(
        plan=plan,
        title="New gearbox line",
        instrument="product",
        start_date=day,
        due_date=today + datetime.timedelta(days=30),  # due soon, boundary included
        planned_cost=D("6000"),
        actual_cost=D("1000"),
        status="in_progress",
        progress=50,
    )
    factories.MeasureFactory(
        plan=plan,
        title="Frame contract",
        instrument="pricing",
        start_date=day,
        due_date=today - datetime.timedelta(days=1),
        planned_cost=D("5000"),
        actual_cost=D("500"),
        status="done",
        progress=100,
    )
    factories.MeasureFactory(
        plan=plan,
        title="Cancelled mailing",
        instrument="communication",
        start_date=day,
        due_date=today + datetime.timedelta(days=3),
        planned_cost=D("1000"),
        actual_cost=D("200"),
        status="cancelled",
    )
    factories.MeasureFactory(
        plan=plan,
        title="Late visit",
        instrument="communication",
        start_date=day,
        due_date=today - datetime.timedelta(days=2),
        planned_cost=D("0"),
        status="planned",
        progress=10,
    )
    factories.MeasureFactory(
        plan=plan,
        title="Autumn fair",
        instrument="communication",
        start_date=day,
        due_date=today + datetime.timedelta(days=31),  # just outside the 30 days
        planned_cost=D("0"),
    )
    return plan


def test_frame_totals_and_warning(costed_plan):
    summary = frame_summary(plan=costed_plan, today=datetime.date(2027, 5, 1))
    assert summary.planned_total == D("12000")
    assert summary.actual_total == D("1700")
    assert summary.planned_percent == D("120.0")
    assert summary.actual_percent == D("17.0")
    assert summary.over_budget is True
    assert summary.actual_over_budget is False
    assert summary.remaining == D("-2000")
    assert [(r.instrument, r.count, r.planned, r.actual) for r in summary.by_instrument] == [
        ("product", 1, D("6000"), D("1000")),
        ("pricing", 1, D("5000"), D("500")),
        ("communication", 3, D("1000"), D("200")),
    ]
    assert {r.status: r.count for r in summary.by_status} == {
        "planned": 2,
        "in_progress": 1,
        "done": 1,
        "cancelled": 1,
    }
    # (6000 × 50 + 5000 × 100 + 0 × 10 + 0 × 0) / 11000; cancelled left out
    assert summary.weighted_progress == D("72.7")
    assert summary.overdue_count == 1
    assert [m.title for m in summary.due_soon] == ["New gearbox line"]


def test_frame_without_planned_costs_averages_progress_evenly(plan):
    for progress in (20, 60):
        factories.MeasureFactory(plan=plan, planned_cost=D("0"), progress=progress)
    summary = frame_summary(plan=plan, today=datetime.date(2027, 1, 1))
    assert summary.weighted_progress == D("40.0")
    assert summary.planned_percent is None
    assert summary.over_budget is False


def test_frame_within_budget_has_no_warning(client, owner, plan):
    AccountPlan.objects.filter(pk=plan.pk).update(budget=D("10000"))
    factories.MeasureFactory(plan=plan, planned_cost=D("10000"))
    client.force_login(owner)
    response = client.get(reverse("goals:frame", args=[plan.pk]))
    assert response.context["summary"].planned_percent == D("100.0")
    assert 'data-warning="over-budget"' not in response.content.decode()


def test_frame_page_shows_the_warning_and_costs(client, owner, costed_plan):
    client.force_login(owner)
    html = client.get(reverse("goals:frame", args=[costed_plan.pk])).content.decode()
    assert 'data-warning="over-budget"' in html
    assert "exceeds the expense limit" in html
    assert "12,000.00" in html and "10,000.00" in html
    assert "Product policy" in html


def test_frame_empty_state(client, owner, plan):
    client.force_login(owner)
    html = client.get(reverse("goals:frame", args=[plan.pk])).content.decode()
    assert "No measures yet" in html
    assert "not set" in html


def test_it_sets_the_expense_limit(client, owner, plan):
    client.force_login(owner)
    url = reverse("goals:frame", args=[plan.pk])
    response = client.post(url, {"budget": "25000"})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.budget == D("25000")
    assert client.post(url, {"budget": ""}).status_code == 302
    plan.refresh_from_db()
    assert plan.budget is None


def test_it_refuses_a_negative_expense_limit(client, owner, plan):
    client.force_login(owner)
    before = snapshot()
    response = client.post(reverse("goals:frame", args=[plan.pk]), {"budget": "-1"})
    assert response.status_code == 200
    assert response.context["budget_form"].errors == {
        "budget": ["The expense limit cannot be negative."]
    }
    assert snapshot() == before


def test_frozen_plan_shows_no_budget_form(client, owner, plan):
    AccountPlan.objects.filter(pk=plan.pk).update(status="approved")
    client.force_login(owner)
    response = client.get(reverse("goals:frame", args=[plan.pk]))
    assert response.context["budget_form"] is None


# --- who may see and change what ------------------------------------------------------------


@dataclass
class World:
    plan: AccountPlan
    measure: Measure
    other_measure: Measure  # on another plan of the same account
    goal: Goal


@pytest.fixture
def world(plan, outsider) -> World:
    factories.KeyAccountFactory(owner=outsider, name="Meridian Foods")
    other_plan = factories.AccountPlanFactory(account=plan.account, fiscal_year=2026)
    return World(
        plan=plan,
        measure=factories.MeasureFactory(plan=plan),
        other_measure=factories.MeasureFactory(plan=other_plan),
        goal=factories.GoalFactory(plan=plan),
    )


def _m(w):
    return [w.plan.pk, w.measure.pk]


def _p(w):
    return [w.plan.pk]


# (url name, arguments, method, POST data from the world); reads first.
URLS = [
    ("measures", _p, "get", None),
    ("measure_timeline", _p, "get", None),
    ("frame", _p, "get", None),
    ("frame", _p, "post", lambda w: {"budget": "12000"}),
    ("measure_create", _p, "get", None),
    ("measure_create", _p, "post", lambda w: measure_data(w.plan)),
    ("measure_edit", _m, "get", None),
    ("measure_edit", _m, "post", lambda w: measure_data(w.plan, title="Changed")),
    ("measure_delete", _m, "post", lambda w: {}),
    ("measure_progress", _m, "get", None),
    ("measure_progress", _m, "post", lambda w: progress_data()),
    ("countermeasure_create", _p, "get", None),
    ("countermeasure_create", _p, "post", lambda w: measure_data(w.plan, goals=[w.goal.pk])),
]
READS = {("measures", "get"), ("measure_timeline", "get"), ("frame", "get")}
PROGRESS = {"measure_progress", "countermeasure_create"}
IDS = [f"{name}-{method}" for name, _, method, _ in URLS]


def test_every_measures_url_is_covered():
    served = {
        p.name for p in goal_urls.urlpatterns if p.callback.__module__ == "goals.views.measures"
    }
    assert served == {name for name, *_ in URLS}
    assert served == {
        "measures",
        "measure_create",
        "measure_edit",
        "measure_delete",
        "measure_progress",
        "countermeasure_create",
        "measure_timeline",
        "frame",
    }


def request(client, world, name, args, method, data):
    url = reverse(f"goals:{name}", args=args(world))
    return client.post(url, data(world)) if method == "post" else client.get(url)


@pytest.mark.parametrize("persona", access.PERSONAS)
@pytest.mark.parametrize(("name", "args", "method", "data"), URLS, ids=IDS)
def test_every_url_answers_each_persona(client, world, login_as, persona, name, args, method, data):
    login_as(persona)
    access.check_account_page(
        persona,
        lambda: request(client, world, name, args, method, data),
        method=method,
        read=(name, method) in READS,
        snapshot=snapshot,
    )


WRITES = [u for u in URLS if (u[0], u[2]) not in READS]
PLAN_WRITES = [u for u in WRITES if u[0] not in PROGRESS]


@pytest.mark.parametrize(
    ("name", "args", "method", "data"), WRITES, ids=[f"{n}-{m}" for n, _, m, _ in WRITES]
)
def test_it_refuses_writes_on_archived_account(client, world, owner, name, args, method, data):
    world.plan.account.status = AccountStatus.ARCHIVED
    world.plan.account.save()
    client.force_login(owner)
    before = snapshot()
    assert request(client, world, name, args, method, data).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("status", ["submitted", "approved"])
@pytest.mark.parametrize(
    ("name", "args", "method", "data"), PLAN_WRITES, ids=[f"{n}-{m}" for n, _, m, _ in PLAN_WRITES]
)
def test_it_refuses_edit_of_submitted_or_approved_plan(
    client, world, owner, status, name, args, method, data
):
    AccountPlan.objects.filter(pk=world.plan.pk).update(status=status)
    client.force_login(owner)
    before = snapshot()
    assert request(client, world, name, args, method, data).status_code == 403
    assert snapshot() == before


MEASURE_URLS = [u for u in URLS if u[1] is _m]


@pytest.mark.parametrize(
    ("name", "args", "method", "data"),
    MEASURE_URLS,
    ids=[f"{n}-{m}" for n, _, m, _ in MEASURE_URLS],
)
def test_measure_of_another_plan_is_404(client, world, owner, name, args, method, data):
    client.force_login(owner)
    before = snapshot()
    url = reverse(f"goals:{name}", args=[world.plan.pk, world.other_measure.pk])
    response = client.post(url, data(world)) if method == "post" else client.get(url)
    assert response.status_code == 404
    assert snapshot() == before


def test_returned_plan_can_be_edited_again(client, world, owner):
    AccountPlan.objects.filter(pk=world.plan.pk).update(status="returned")
    client.force_login(owner)
    url = reverse("goals:measure_edit", args=[world.plan.pk, world.measure.pk])
    assert client.post(url, measure_data(world.plan, title="Reworked")).status_code == 302
    world.measure.refresh_from_db()
    assert world.measure.title == "Reworked"


def test_step_navigation_shows_action_plan_and_frame(client, owner, plan):
    client.force_login(owner)
    html = client.get(plan.get_absolute_url()).content.decode()
    assert reverse("goals:measures", args=[plan.pk]) in html
    assert reverse("goals:frame", args=[plan.pk]) in html


# --- query counts ---------------------------------------------------------------------------


def add_measures(plan, count: int) -> None:
    goals = [factories.GoalFactory(plan=plan) for _ in range(2)]
    today = timezone.localdate()
    for index in range(count):
        factories.MeasureFactory(
            plan=plan,
            instrument=["product", "pricing", "communication"][index % 3],
            status=MeasureStatus.values[index % 4],
            start_date=today - datetime.timedelta(days=10),
            due_date=today + datetime.timedelta(days=index - 2),
            goals=goals[: index % 3],
        )


@pytest.mark.parametrize("name", ["measures", "measure_timeline", "frame"])
def test_query_count_does_not_grow_with_measures(
    client, owner, plan, name, django_assert_max_num_queries
):
    AccountPlan.objects.filter(pk=plan.pk).update(budget=D("50000"))
    client.force_login(owner)
    url = reverse(f"goals:{name}", args=[plan.pk])
    add_measures(plan, 3)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    add_measures(plan, 27)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert Measure.objects.filter(plan=plan).count() == 30
    assert response.content.decode().count('data-measure="') in (0, 30)
