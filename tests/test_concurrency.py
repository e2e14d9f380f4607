"""Conflicting edits (kam.concurrency): two people load the same form, the first saves, the
second's save is refused with what changed and by whom, keeps their input and goes through
when saved again. Grids compare per cell."""

import datetime
import html
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from controlling.models import Actual, GoalRating
from goals.models import MonthlyTarget
from kam.concurrency import cells_merge
from kam.fiscal import fiscal_year_for, month_label
from tests import factories
from tests.forms_html import HtmlForm, form_with, forms_of


@pytest.fixture(autouse=True)
def calendar_fiscal_year(settings):
    settings.KAM_FISCAL_YEAR_START_MONTH = 1


@pytest.fixture
def plan(account):
    return factories.AccountPlanFactory(account=account, fiscal_year=2027)


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text_of(response) -> str:
    return html.unescape(response.content.decode())


@dataclass(frozen=True)
class Surface:
    """One edit form: where it is, what it edits, and what each of the two users changes."""

    name: str
    make: Callable[..., tuple[str, str, models.Model]]  # (page url, post url, record)
    first: tuple[str, str]  # field and value the first user saves
    second: tuple[str, str]  # field and value the second user tries to save
    htmx: bool = False


def _account_edit(account, plan):
    url = reverse("accounts:edit", args=[account.pk])
    return url, url, account


def _interaction(account):
    stakeholder = factories.StakeholderFactory(account=account)
    return factories.InteractionFactory(account=account, stakeholders=[stakeholder])


def _child(kind: str, factory):
    def make(account, plan):
        record = factory(account=account)
        url = reverse(f"accounts:{kind}_edit", args=[account.pk, record.pk])
        return url, url, record

    return make


def _status_quo(account, plan):
    url = reverse("goals:status_quo_edit", args=[plan.pk])
    return url, url, plan


def _swot(account, plan):
    item = factories.SwotItemFactory(plan=plan)
    url = reverse("goals:swot_edit", args=[plan.pk, item.pk])
    return url, url, item


def _goal(account, plan):
    goal = factories.GoalFactory(plan=plan)
    url = reverse("goals:goal_edit", args=[plan.pk, goal.pk])
    return url, url, goal


def _measure(account, plan):
    measure = factories.MeasureFactory(plan=plan)
    url = reverse("goals:measure_edit", args=[plan.pk, measure.pk])
    return url, url, measure


def _progress(account, plan):
    measure = factories.MeasureFactory(plan=plan)
    page = reverse("goals:measures", args=[plan.pk])
    return page, reverse("goals:measure_progress", args=[plan.pk, measure.pk]), measure


def _budget(account, plan):
    url = reverse("goals:frame", args=[plan.pk])
    return url, url, plan


def _position(account, plan):
    position = factories.SellingPositionFactory(account=account)
    url = reverse("goals:selling_position_edit", args=[account.pk, position.pk])
    return url, url, position


def _whitespace_cell(account, plan):
    site = factories.SiteFactory(account=account)
    position = factories.SellingPositionFactory(account=account, site=site)
    url = reverse("goals:whitespace_cell", args=[account.pk, position.offering_id, site.pk])
    return url, url, position


SURFACES = [
    Surface("account", _account_edit, ("name", "Nordwerk Antriebe GmbH"), ("industry", "Pumps")),
    Surface(
        "site",
        _child("site", factories.SiteFactory),
        ("name", "Plant North"),
        ("city", "Hamburg"),
    ),
    Surface(
        "stakeholder",
        _child("stakeholder", factories.StakeholderFactory),
        ("title", "Chief Procurement Officer"),
        ("department", "Procurement"),
    ),
    Surface(
        "interaction",
        _child("interaction", _interaction),
        ("summary", "Talked about prices."),
        ("date", "2027-05-04"),
    ),
    Surface(
        "market stage",
        _child("market_stage", factories.MarketStageFactory),
        ("name", "Food machinery"),
        ("description", "Packaging lines"),
    ),
    Surface(
        "status quo",
        _status_quo,
        ("relationship_summary", "Trusted supplier."),
        ("prior_year_revenue", "500000.00"),
    ),
    Surface("SWOT item", _swot, ("text", "Strong service network"), ("impact", "5")),
    Surface("goal", _goal, ("title", "Grow revenue in the north"), ("weight", "20")),
    Surface("measure", _measure, ("title", "Plant tour"), ("description", "With the CPO")),
    Surface("measure progress", _progress, ("progress", "40"), ("actual_cost", "1500.00")),
    Surface(
        "measure progress inline",
        _progress,
        ("progress", "40"),
        ("actual_cost", "1500.00"),
        htmx=True,
    ),
    Surface("plan budget", _budget, ("budget", "10000.00"), ("budget", "20000.00")),
    Surface(
        "selling position",
        _position,
        ("current_revenue", "50000.00"),
        ("main_competitor", "Rival AG"),
    ),
    Surface(
        "whitespace cell",
        _whitespace_cell,
        ("current_revenue", "45000.00"),
        ("next_step", "Call the plant manager"),
        htmx=True,
    ),
]


def _load(client: Client, page: str, post: str, field: str) -> HtmlForm:
    response = client.get(page)
    assert response.status_code == 200
    return form_with(response.content.decode(), field, action=post)


def _stored(record: models.Model, field: str) -> str:
    record = type(record)._default_manager.get(pk=record.pk)
    value = getattr(record, field)
    return "" if value is None else str(value)


def _post(client: Client, url: str, data: dict, htmx: bool):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(url, data, headers=headers)


def _saved(response, htmx: bool) -> bool:
    return response.status_code == 302 or (htmx and "Nothing was saved" not in text_of(response))


@pytest.mark.parametrize("surface", SURFACES, ids=lambda surface: surface.name)
def test_a_stale_save_is_refused_naming_the_change_and_its_author_and_keeps_the_input(
    surface, account, plan, owner, team_member
):
    page, post, record = surface.make(account, plan)
    (first_field, first_value), (second_field, second_value) = surface.first, surface.second
    before = _stored(record, second_field)
    first, second = client_of(owner), client_of(team_member)
    first_form = _load(first, page, post, first_field)
    second_form = _load(second, page, post, second_field)
    assert "seen" in second_form.names()

    saved = _post(first, post, first_form.data(**{first_field: first_value}), surface.htmx)
    assert saved.status_code in (200, 302)
    assert _stored(record, first_field) == first_value

    refused = _post(second, post, second_form.data(**{second_field: second_value}), surface.htmx)
    assert refused.status_code == 200
    page_text = text_of(refused)
    label = str(type(record)._meta.get_field(first_field).verbose_name)
    assert f"{owner} changed {label}" in page_text
    assert "your input is below" in page_text
    assert _stored(record, first_field) == first_value  # the first save stands
    if second_field != first_field:
        assert _stored(record, second_field) == before  # nothing of the second was saved
    again = form_with(refused.content.decode(), second_field, action=post)
    assert again.data()[second_field] == second_value  # the input is on the page

    resaved = _post(second, post, again.data(), surface.htmx)
    assert resaved.status_code in (200, 302)
    assert "your input is below" not in text_of(resaved)
    assert _stored(record, second_field) == second_value


def test_the_refusal_is_in_the_users_language(settings, account, owner, team_member):
    url = reverse(
        "accounts:site_edit", args=[account.pk, factories.SiteFactory(account=account).pk]
    )
    first, second = client_of(owner), client_of(team_member)
    second.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    first_form = _load(first, url, url, "name")
    second_form = _load(second, url, url, "name")
    first.post(url, first_form.data(name="Werk Nord"))
    refused = second.post(url, second_form.data(city="Hamburg"))
    assert f"{owner} hat Name um " in text_of(refused)
    assert "Ihre Eingabe steht unten" in text_of(refused)


def test_a_save_without_a_change_by_anyone_else_goes_through(account, owner):
    url = reverse("accounts:edit", args=[account.pk])
    client = client_of(owner)
    form = _load(client, url, url, "name")
    assert client.post(url, form.data(name="Nordwerk AG")).status_code == 302
    form = _load(client, url, url, "name")
    assert client.post(url, form.data(industry="Pumps")).status_code == 302
    account.refresh_from_db()
    assert (account.name, account.industry) == ("Nordwerk AG", "Pumps")


def test_a_form_whose_record_someone_else_created_meanwhile_is_refused(account, owner, team_member):
    """Two people open the same empty whitespace cell; the second would overwrite the first."""
    site = factories.SiteFactory(account=account)
    offering = factories.OfferingFactory()
    url = reverse("goals:whitespace_cell", args=[account.pk, offering.pk, site.pk])
    first, second = client_of(owner), client_of(team_member)
    first_form = _load(first, url, url, "stage")
    second_form = _load(second, url, url, "stage")
    first.post(url, first_form.data(current_revenue="1000.00"))
    refused = second.post(url, second_form.data(current_revenue="2000.00"))
    assert refused.status_code == 200
    assert f"{owner} changed" in text_of(refused)
    position = account.selling_positions.get()
    assert position.current_revenue == Decimal("1000.00")


# --- grids: per cell --------------------------------------------------------------------------


@pytest.fixture
def goal(plan):
    goal = factories.GoalFactory(plan=plan)
    for month in range(1, 13):
        factories.MonthlyTargetFactory(
            goal=goal, month=datetime.date(2027, month, 1), value=Decimal("100000.00")
        )
    return goal


def _targets(client: Client, goal) -> tuple[str, HtmlForm]:
    page = reverse("goals:goal_detail", args=[goal.plan_id, goal.pk])
    post = reverse("goals:goal_targets", args=[goal.plan_id, goal.pk])
    return post, _load(client, page, post, "2027-01-01")


def _target(goal, month: int) -> Decimal:
    return MonthlyTarget.objects.get(goal=goal, month=datetime.date(2027, month, 1)).value


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_two_people_entering_different_months_of_targets_both_succeed(
    goal, owner, team_member, htmx
):
    first, second = client_of(owner), client_of(team_member)
    post, first_form = _targets(first, goal)
    _post_, second_form = _targets(second, goal)
    assert _saved(_post(first, post, first_form.data(**{"2027-01-01": "111.00"}), htmx), htmx)
    assert _saved(_post(second, post, second_form.data(**{"2027-02-01": "222.00"}), htmx), htmx)
    assert (_target(goal, 1), _target(goal, 2)) == (Decimal("111.00"), Decimal("222.00"))
    assert _target(goal, 3) == Decimal("100000.00")


def test_the_same_target_month_changed_by_two_people_refuses_the_second(goal, owner, team_member):
    first, second = client_of(owner), client_of(team_member)
    post, first_form = _targets(first, goal)
    _post_, second_form = _targets(second, goal)
    first.post(post, first_form.data(**{"2027-01-01": "111.00"}))
    refused = second.post(post, second_form.data(**{"2027-01-01": "999.00", "2027-03-01": "3.00"}))
    assert refused.status_code == 200
    text = text_of(refused)
    assert f"{owner} changed Jan 2027" in text
    assert _target(goal, 1) == Decimal("111.00")
    assert _target(goal, 3) == Decimal("100000.00")  # nothing of the refused save
    again = form_with(refused.content.decode(), "2027-01-01", action=post)
    assert again.data()["2027-01-01"] == "999.00"
    assert second.post(post, again.data()).status_code == 302
    assert (_target(goal, 1), _target(goal, 3)) == (Decimal("999.00"), Decimal("3.00"))


@pytest.fixture
def kpi_goal(plan):
    return factories.GoalFactory(plan=plan)


def _grid_form(response) -> HtmlForm:
    forms = forms_of(response.content.decode())
    return next(form for form in forms if any(name.startswith("seen-") for name in form.names()))


def _actuals(client: Client, plan) -> tuple[str, HtmlForm]:
    url = reverse("controlling:plan_actuals", args=[plan.pk])
    return url, _grid_form(client.get(url))


def _actual(account, kpi, month: int) -> Decimal | None:
    actual = Actual.objects.filter(
        account=account, kpi=kpi, month=datetime.date(2027, month, 1)
    ).first()
    return actual.value if actual else None


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_two_people_entering_different_months_of_actuals_both_succeed(
    plan, kpi_goal, owner, team_member, htmx
):
    kpi = kpi_goal.kpi
    first, second = client_of(owner), client_of(team_member)
    url, first_form = _actuals(first, plan)
    _url, second_form = _actuals(second, plan)
    jan, feb = f"{kpi.pk}:2027-01-01", f"{kpi.pk}:2027-02-01"
    assert _saved(_post(first, url, first_form.data(**{jan: "10.00"}), htmx), htmx)
    assert _saved(_post(second, url, second_form.data(**{feb: "20.00"}), htmx), htmx)
    assert _actual(plan.account, kpi, 1) == Decimal("10.00")
    assert _actual(plan.account, kpi, 2) == Decimal("20.00")


def test_the_same_actual_changed_by_two_people_refuses_the_second(
    plan, kpi_goal, owner, team_member
):
    kpi = kpi_goal.kpi
    factories.ActualFactory(
        account=plan.account, kpi=kpi, month=datetime.date(2027, 1, 1), value=Decimal("5.00")
    )
    first, second = client_of(owner), client_of(team_member)
    url, first_form = _actuals(first, plan)
    _url, second_form = _actuals(second, plan)
    jan, mar = f"{kpi.pk}:2027-01-01", f"{kpi.pk}:2027-03-01"
    first.post(url, first_form.data(**{jan: "10.00"}))
    refused = second.post(url, second_form.data(**{jan: "99.00", mar: "3.00"}))
    assert refused.status_code == 200
    text = text_of(refused)
    assert f"{owner} changed {kpi.name}, Jan 2027" in text
    assert _actual(plan.account, kpi, 1) == Decimal("10.00")
    assert _actual(plan.account, kpi, 3) is None
    again = _grid_form(refused)
    assert again.data()[jan] == "99.00"
    assert second.post(url, again.data()).status_code == 302
    assert _actual(plan.account, kpi, 1) == Decimal("99.00")
    assert _actual(plan.account, kpi, 3) == Decimal("3.00")


# --- the rule per cell ------------------------------------------------------------------------


def test_cells_merge_writes_own_changes_keeps_others_and_finds_conflicts():
    seen = {"a": 1, "b": 1, "c": 1, "d": 1}
    stored = {"a": 1, "b": 2, "c": 2, "d": 5}
    posted = {"a": 3, "b": 1, "c": 4, "d": 5, "e": 7}
    write, conflicts = cells_merge(seen=seen, posted=posted, stored=stored)
    # a: only this user changed it; b: only the other; c: both; d: both, to the same value;
    # e: showed nothing, so written as posted.
    assert write == {"a": 3, "d": 5, "e": 7}
    assert conflicts == ["c"]


# --- ratings of qualitative goals: one month of many --------------------------------------------


@pytest.fixture
def qualitative(account):
    this_year = fiscal_year_for(timezone.localdate())
    plan = factories.AccountPlanFactory(account=account, fiscal_year=this_year)
    return factories.QualitativeGoalFactory(plan=plan, target_rating=4)


def _rating_form(client: Client, goal) -> tuple[str, HtmlForm]:
    page = reverse("controlling:plan_controlling", args=[goal.plan_id])
    post = reverse("controlling:goal_rate", args=[goal.plan_id, goal.pk])
    return post, _load(client, page, post, f"goal-{goal.pk}-rating")


def test_a_rating_of_a_month_someone_else_rated_meanwhile_is_refused(
    qualitative, owner, team_member
):
    prefix = f"goal-{qualitative.pk}-"
    month = timezone.localdate().replace(day=1)
    first, second = client_of(owner), client_of(team_member)
    post, first_form = _rating_form(first, qualitative)
    _post_, second_form = _rating_form(second, qualitative)
    first.post(post, first_form.data(**{prefix + "rating": "3", prefix + "note": "Late"}))
    refused = second.post(
        post, second_form.data(**{prefix + "rating": "5", prefix + "note": "Fine"})
    )
    assert refused.status_code == 400
    assert f"{owner} changed {month_label(month)}" in text_of(refused)
    rating = GoalRating.objects.get(goal=qualitative, month=month)
    assert (rating.rating, rating.note) == (3, "Late")
    again = form_with(refused.content.decode(), prefix + "rating", action=post)
    assert again.data()[prefix + "note"] == "Fine"
    assert second.post(post, again.data()).status_code == 302
    rating.refresh_from_db()
    assert (rating.rating, rating.note, rating.rated_by) == (5, "Fine", team_member)


def test_a_rating_kept_as_shown_of_a_month_someone_else_rated_meanwhile_is_refused(
    qualitative, owner, team_member
):
    prefix = f"goal-{qualitative.pk}-"
    month = timezone.localdate().replace(day=1)
    GoalRating.objects.create(goal=qualitative, month=month, rating=2, rated_by=owner)
    first, second = client_of(owner), client_of(team_member)
    post, first_form = _rating_form(first, qualitative)
    _post_, second_form = _rating_form(second, qualitative)
    first.post(post, first_form.data(**{prefix + "rating": "3"}))
    # Saving the shown rating again would undo the first person's rating unseen.
    refused = second.post(post, second_form.data(**{prefix + "rating": "2"}))
    assert refused.status_code == 400
    assert GoalRating.objects.get(goal=qualitative, month=month).rating == 3


def test_ratings_of_different_months_by_two_people_both_succeed(
    settings, account, owner, team_member
):
    today = timezone.localdate()
    previous = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    settings.KAM_FISCAL_YEAR_START_MONTH = previous.month  # two months to rate
    plan = factories.AccountPlanFactory(account=account, fiscal_year=fiscal_year_for(today))
    goal = factories.QualitativeGoalFactory(plan=plan, target_rating=4)
    prefix = f"goal-{goal.pk}-"
    first, second = client_of(owner), client_of(team_member)
    post, first_form = _rating_form(first, goal)
    _post_, second_form = _rating_form(second, goal)
    this = today.replace(day=1).isoformat()
    saved = first.post(post, first_form.data(**{prefix + "month": this, prefix + "rating": "3"}))
    assert saved.status_code == 302
    response = second.post(
        post, second_form.data(**{prefix + "month": previous.isoformat(), prefix + "rating": "4"})
    )
    assert response.status_code == 302
    assert dict(goal.ratings.values_list("month", "rating")) == {
        today.replace(day=1): 3,
        previous: 4,
    }
