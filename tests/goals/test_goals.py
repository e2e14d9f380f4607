"""Step 3 of the plan: goals, the 12-month target grid and the goal matrices.

Every URL of this area is listed in URLS below; `test_every_goal_url_is_covered` fails when a
goals URL is added without being listed.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from goals import urls as goal_urls
from goals.forms.goals import GoalForm
from goals.models import AccountPlan, Goal, KPIDefinition, MonthlyTarget, PlanStatus
from goals.services.goals import goal_save, spread_amounts, targets_save, targets_spread
from kam.fiscal import plan_months
from tests import access, factories

D = Decimal
MONTHS_2027 = [datetime.date(2027, month, 1) for month in range(1, 13)]


@pytest.fixture(autouse=True)
def calendar_fiscal_year(settings):
    settings.KAM_FISCAL_YEAR_START_MONTH = 1


@pytest.fixture
def plan(account):
    return factories.AccountPlanFactory(account=account, fiscal_year=2027)


@pytest.fixture
def goal(plan):
    return factories.GoalFactory(plan=plan, annual_target=D("1200000.00"))


def make_kpi(code: str, rollup: str, unit: str = "percent", active: bool = True):
    return KPIDefinition.objects.create(
        code=code, name_en=code.title(), name_de=code, unit=unit, rollup=rollup, active=active
    )


def snapshot() -> list:
    return [
        list(Goal.objects.order_by("pk").values()),
        list(MonthlyTarget.objects.order_by("pk").values()),
        list(Goal.stakeholders.through.objects.order_by("pk").values()),
    ]


def saved_values(goal: Goal) -> list[Decimal]:
    return list(goal.targets.order_by("month").values_list("value", flat=True))


# --- spreading an annual target -------------------------------------------------------------


def test_even_spread_of_a_million_gives_the_remainder_to_the_last_month():
    amounts = spread_amounts(D("1000000.00"), [1] * 12)
    assert amounts == [D("83333.33")] * 11 + [D("83333.37")]
    assert sum(amounts) == D("1000000.00")


@pytest.mark.parametrize(
    "total", ["100.00", "0.05", "0.01", "0.00", "1000000.06", "999999999999.99", "12.34"]
)
@pytest.mark.parametrize(
    "weights",
    [
        [1] * 12,
        [2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2],
        [1] * 11 + [0],
        [3, 0, 7, 1, 1, 1, 1, 1, 1, 1, 9, 0.5],
    ],
    ids=["even", "ends-heavy", "last-zero", "ragged"],
)
def test_spread_always_sums_exactly_to_the_total_without_negative_months(total, weights):
    amounts = spread_amounts(D(total), weights)
    assert len(amounts) == 12
    assert sum(amounts) == D(total)
    assert all(amount >= 0 and amount == amount.quantize(D("0.01")) for amount in amounts)


def test_even_spread_of_awkward_amounts():
    assert spread_amounts(D("100.00"), [1] * 12) == [D("8.33")] * 11 + [D("8.37")]
    assert spread_amounts(D("0.05"), [1] * 12) == [D("0.00")] * 11 + [D("0.05")]


def test_seasonal_spread_follows_the_weights_hand_computed():
    # Weights sum to 14: 2/14 of 1000 = 142.857.. -> 142.85; 1/14 = 71.428.. -> 71.42;
    # the first eleven months make 142.85 + 10 x 71.42 = 857.05, the last takes 142.95.
    weights = [2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]
    assert spread_amounts(D("1000.00"), weights) == (
        [D("142.85")] + [D("71.42")] * 10 + [D("142.95")]
    )


def test_targets_spread_evenly_saves_twelve_months_of_the_fiscal_year(goal):
    goal.annual_target = D("1000000.00")
    goal.save()
    targets = targets_spread(goal=goal)
    assert [t.month for t in targets] == MONTHS_2027
    assert saved_values(goal) == [D("83333.33")] * 11 + [D("83333.37")]


def test_targets_spread_by_profile_starts_with_the_first_fiscal_month(settings, goal):
    settings.KAM_FISCAL_YEAR_START_MONTH = 4
    profile = factories.SeasonalProfileFactory(weights=[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
    goal.annual_target = D("600.00")
    goal.save()
    targets_spread(goal=goal, profile=profile)
    months = [t.month for t in goal.targets.order_by("month")]
    assert months[0] == datetime.date(2026, 4, 1)
    assert months[-1] == datetime.date(2027, 3, 1)
    assert goal.targets.get(month=datetime.date(2027, 3, 1)).value == D("600.00")
    assert sum(saved_values(goal)) == D("600.00")


def test_plan_months_span_the_fiscal_year(settings):
    settings.KAM_FISCAL_YEAR_START_MONTH = 10
    months = plan_months(2027)
    assert months[0] == datetime.date(2026, 10, 1)
    assert months[3] == datetime.date(2027, 1, 1)
    assert months[-1] == datetime.date(2027, 9, 1)


@pytest.mark.parametrize("rollup", ["average", "last"])
def test_non_sum_kpi_spread_sets_every_month_to_the_annual_target(plan, rollup):
    kpi = make_kpi("share_test", rollup)
    goal = factories.GoalFactory(plan=plan, kpi=kpi, baseline=D("30"), annual_target=D("35.50"))
    profile = factories.SeasonalProfileFactory(weights=[5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1])
    for chosen in (None, profile):
        targets_spread(goal=goal, profile=chosen)
        assert saved_values(goal) == [D("35.50")] * 12
        assert kpi.roll_up(saved_values(goal)) == D("35.50")


def test_spread_refuses_a_qualitative_goal(plan):
    goal = factories.QualitativeGoalFactory(plan=plan)
    with pytest.raises(ValidationError):
        targets_spread(goal=goal)
    assert not MonthlyTarget.objects.exists()


# --- saving the grid ------------------------------------------------------------------------


def test_targets_save_upserts_all_twelve_months(goal):
    targets_save(goal=goal, values=dict.fromkeys(MONTHS_2027, D("100000.00")))
    values = {month: D("100000.00") for month in MONTHS_2027}
    values[MONTHS_2027[5]] = D("50.25")
    targets_save(goal=goal, values=values)
    assert goal.targets.count() == 12
    assert goal.targets.get(month=MONTHS_2027[5]).value == D("50.25")


def test_targets_save_is_atomic_and_names_the_bad_month(goal):
    targets_save(goal=goal, values=dict.fromkeys(MONTHS_2027, D("100000.00")))
    before = snapshot()
    values = dict.fromkeys(MONTHS_2027, D("1.00"))
    values[datetime.date(2027, 3, 1)] = D("-5.00")
    with pytest.raises(ValidationError) as error:
        targets_save(goal=goal, values=values)
    assert error.value.message_dict == {"2027-03-01": ["Mar 2027: a target cannot be negative."]}
    assert snapshot() == before


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "Jun 2027: enter a target."),
        ("12", "Jun 2027: enter a number."),
        (D("NaN"), "Jun 2027: enter a number."),
        (D("1.005"), "Jun 2027: use at most 2 decimal places."),
        (D("1000000000000"), "Jun 2027: the target is too large."),
    ],
)
def test_targets_save_refuses_what_is_not_an_amount(goal, value, message):
    values = dict.fromkeys(MONTHS_2027, D("1.00"))
    values[datetime.date(2027, 6, 1)] = value
    with pytest.raises(ValidationError) as error:
        targets_save(goal=goal, values=values)
    assert error.value.message_dict == {"2027-06-01": [message]}
    assert not MonthlyTarget.objects.exists()


def test_targets_save_refuses_a_month_outside_the_fiscal_year(goal):
    values = dict.fromkeys(MONTHS_2027, D("1.00"))
    values[datetime.date(2028, 1, 1)] = D("1.00")
    with pytest.raises(ValidationError, match="Jan 2028 is not a month"):
        targets_save(goal=goal, values=values)
    assert not MonthlyTarget.objects.exists()


def test_targets_save_refuses_a_qualitative_goal(plan):
    goal = factories.QualitativeGoalFactory(plan=plan)
    with pytest.raises(ValidationError, match="no monthly targets"):
        targets_save(goal=goal, values=dict.fromkeys(MONTHS_2027, D("1.00")))
    assert not MonthlyTarget.objects.exists()


def test_goal_turned_qualitative_loses_its_monthly_targets(goal):
    targets_spread(goal=goal)
    goal.kind = "qualitative"
    goal.kpi = goal.annual_target = goal.baseline = None
    goal.target_rating = 4
    goal.criteria = "Survey"
    goal_save(goal=goal)
    assert not MonthlyTarget.objects.exists()


# --- the goal form --------------------------------------------------------------------------


def goal_data(**overrides) -> dict:
    data = {
        "title": "Grow revenue with gear motors",
        "kind": "quantitative",
        "kpi": str(factories.revenue_kpi().pk),
        "baseline": "1000000",
        "annual_target": "1200000",
        "target_rating": "",
        "criteria": "",
        "perspective": "finance",
        "goal_area": "competitive_position",
        "relationship_perspective": "",
        "horizon": "",
        "selling_dimension": "",
        "owner": "",
        "weight": "20",
    }
    data.update(overrides)
    return data


def bound_form(plan, instance=None, **overrides) -> GoalForm:
    data = goal_data(**{"owner": str(plan.account.owner_id), **overrides})
    return GoalForm(data, instance=instance, plan=plan)


def test_form_accepts_a_quantitative_goal(plan):
    form = bound_form(plan)
    assert form.is_valid(), form.errors


QUALITATIVE = {
    "kind": "qualitative",
    "kpi": "",
    "baseline": "",
    "annual_target": "",
    "target_rating": "4",
    "criteria": "Annual survey",
}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"kpi": ""}, "kpi", "A quantitative goal needs a KPI."),
        ({"annual_target": ""}, "annual_target", "A quantitative goal needs an annual target."),
        (
            {**QUALITATIVE, "target_rating": ""},
            "target_rating",
            "A qualitative goal needs a target rating from 1 to 5.",
        ),
        (
            {**QUALITATIVE, "target_rating": "0"},
            "target_rating",
            "The target rating must be between 1 and 5.",
        ),
        (
            {**QUALITATIVE, "target_rating": "6"},
            "target_rating",
            "The target rating must be between 1 and 5.",
        ),
        (
            {**QUALITATIVE, "criteria": "  "},
            "criteria",
            "A qualitative goal needs criteria: how is the rating judged?",
        ),
        (
            {"relationship_perspective": "mutual"},
            "horizon",
            "Choose a horizon too: a relationship goal needs both.",
        ),
        (
            {"horizon": "strategic"},
            "relationship_perspective",
            "Choose a relationship perspective too: a relationship goal needs both.",
        ),
    ],
    ids=[
        "no-kpi",
        "no-annual-target",
        "no-rating",
        "rating-0",
        "rating-6",
        "no-criteria",
        "perspective-without-horizon",
        "horizon-without-perspective",
    ],
)
def test_form_errors_name_the_field(plan, overrides, field, message):
    form = bound_form(plan, **overrides)
    assert not form.is_valid()
    assert form.errors[field] == [message]
    assert "__all__" not in form.errors


@pytest.mark.parametrize("weight", ["0", "101"])
def test_form_refuses_weight_outside_1_to_100(plan, weight):
    form = bound_form(plan, weight=weight)
    assert not form.is_valid()
    assert "weight" in form.errors


def test_form_offers_only_owner_and_team_as_goal_owner(plan, owner, team_member, outsider):
    form = bound_form(plan)
    assert set(form.fields["owner"].queryset) == {owner, team_member}
    assert bound_form(plan, owner=str(team_member.pk)).is_valid()
    form = GoalForm(goal_data(owner=str(outsider.pk)), plan=plan)
    assert not form.is_valid()
    assert "owner" in form.errors


def test_form_offers_only_the_accounts_stakeholders(plan):
    ours = factories.StakeholderFactory(account=plan.account)
    theirs = factories.StakeholderFactory()
    assert list(bound_form(plan).fields["stakeholders"].queryset) == [ours]
    form = bound_form(plan, stakeholders=[str(theirs.pk)])
    assert not form.is_valid()
    assert "stakeholders" in form.errors


def test_form_offers_only_active_kpis_but_keeps_a_goals_own(plan):
    retired = make_kpi("retired_kpi", "sum", unit="count", active=False)
    form = bound_form(plan, kpi=str(retired.pk))
    assert retired not in form.fields["kpi"].queryset
    assert not form.is_valid()
    assert "kpi" in form.errors
    goal = factories.GoalFactory(plan=plan, kpi=retired)
    form = bound_form(plan, instance=goal, kpi=str(retired.pk))
    assert form.is_valid(), form.errors


def test_qualitative_goal_drops_the_kpi_fields(plan):
    form = bound_form(plan, **{**QUALITATIVE, "kpi": str(factories.revenue_kpi().pk)})
    assert form.is_valid(), form.errors
    goal = goal_save(goal=form.save(commit=False), stakeholders=[])
    assert (goal.kpi, goal.annual_target, goal.target_rating) == (None, None, 4)


# --- pages ----------------------------------------------------------------------------------


def test_goals_page_empty_state(client, owner, plan):
    client.force_login(owner)
    html = client.get(reverse("goals:goals", args=[plan.pk])).content.decode()
    assert "No goals yet." in html
    assert reverse("goals:goal_create", args=[plan.pk]) in html


def test_goals_page_groups_goals_by_perspective_with_total_weight(client, owner, plan):
    stakeholder = factories.StakeholderFactory(account=plan.account, name="Dr. Vera Lang")
    finance = factories.GoalFactory(plan=plan, title="Revenue up", weight=30)
    finance.stakeholders.set([stakeholder])
    factories.QualitativeGoalFactory(
        plan=plan,
        title="Care quality",
        weight=15,
        relationship_perspective="mutual",
        horizon="strategic",
        selling_dimension=3,
    )
    client.force_login(owner)
    response = client.get(reverse("goals:goals", args=[plan.pk]))
    html = response.content.decode()
    groups = response.context["goal_list"].groups
    assert [g.perspective for g in groups] == ["finance", "customer"]
    assert [g.weight for g in groups] == [30, 15]
    assert response.context["goal_list"].total_weight == 45
    assert '<td class="text-end" id="total-weight">45</td>' in html
    for text in (
        'Revenue <span class="text-muted small">(Currency)</span>',
        "Rating 4 of 5",
        "Mutual · Strategic",
        "3: up-selling of solutions",
        "Dr. Vera Lang",
        "1,200,000.00",
    ):
        assert text in html


def test_goals_page_warns_when_months_do_not_add_up(client, owner, plan):
    off = factories.GoalFactory(plan=plan, annual_target=D("1200.00"))
    targets_save(goal=off, values=dict.fromkeys(MONTHS_2027, D("99.00")))
    balanced = factories.GoalFactory(plan=plan, annual_target=D("1200.00"))
    targets_spread(goal=balanced)
    average = factories.GoalFactory(
        plan=plan, kpi=make_kpi("avg_kpi", "average"), annual_target=D("50.00")
    )
    targets_spread(goal=average)
    client.force_login(owner)
    response = client.get(reverse("goals:goals", args=[plan.pk]))
    rows = {row.goal.pk: row for g in response.context["goal_list"].groups for row in g.rows}
    assert rows[off.pk].targets_off
    assert rows[off.pk].grid.total == D("1188.00")
    assert not rows[balanced.pk].targets_off
    assert not rows[average.pk].targets_off
    assert rows[average.pk].grid.total == D("50.00")
    assert response.content.decode().count("data-targets-off") == 1


def test_goal_detail_shows_the_twelve_month_grid(client, owner, goal):
    targets_spread(goal=goal)
    client.force_login(owner)
    response = client.get(goal.get_absolute_url())
    html = response.content.decode()
    assert [c.month for c in response.context["grid"].cells] == MONTHS_2027
    assert html.count('class="form-control form-control-sm text-end px-1 target-input"') == 12
    assert 'value="100000.00"' in html
    assert "The months add up to the annual target." in html
    assert "Spread evenly" in html
    assert "Spread by seasonal profile" in html


def test_leadership_sees_the_grid_without_inputs(client, leadership, goal):
    targets_spread(goal=goal)
    client.force_login(leadership)
    html = client.get(goal.get_absolute_url()).content.decode()
    assert "target-input" not in html
    assert "Spread evenly" not in html
    assert html.count('data-month="2027-') == 12


def test_qualitative_goal_has_no_grid(client, owner, plan):
    goal = factories.QualitativeGoalFactory(plan=plan)
    client.force_login(owner)
    html = client.get(goal.get_absolute_url()).content.decode()
    assert "targets-grid" not in html
    assert "Rating 4 of 5" in html
    url = reverse("goals:goal_targets", args=[plan.pk, goal.pk])
    assert client.post(url, {"action": "spread_even"}).status_code == 404
    assert not MonthlyTarget.objects.exists()


def test_it_creates_a_goal_with_stakeholders(client, owner, team_member, plan):
    stakeholder = factories.StakeholderFactory(account=plan.account)
    client.force_login(owner)
    data = goal_data(
        owner=str(team_member.pk),
        stakeholders=[str(stakeholder.pk)],
        relationship_perspective="supplier",
        horizon="operative",
    )
    response = client.post(reverse("goals:goal_create", args=[plan.pk]), data)
    goal = Goal.objects.get()
    assert response.status_code == 302
    assert response.url == goal.get_absolute_url()
    assert goal.owner == team_member
    assert list(goal.stakeholders.all()) == [stakeholder]
    assert (goal.relationship_perspective, goal.horizon) == ("supplier", "operative")


def test_it_shows_the_form_error_on_the_page(client, owner, plan):
    client.force_login(owner)
    response = client.post(
        reverse("goals:goal_create", args=[plan.pk]), goal_data(owner=str(owner.pk), kpi="")
    )
    assert response.status_code == 200
    assert "A quantitative goal needs a KPI." in response.content.decode()
    assert not Goal.objects.exists()


def test_it_edits_and_deletes_a_goal(client, owner, goal):
    targets_spread(goal=goal)
    client.force_login(owner)
    url = reverse("goals:goal_edit", args=[goal.plan_id, goal.pk])
    data = goal_data(owner=str(owner.pk), title="Renamed", weight="40")
    assert client.post(url, data).status_code == 302
    goal.refresh_from_db()
    assert (goal.title, goal.weight) == ("Renamed", 40)
    response = client.post(reverse("goals:goal_delete", args=[goal.plan_id, goal.pk]))
    assert response.url == reverse("goals:goals", args=[goal.plan_id])
    assert not Goal.objects.exists()
    assert not MonthlyTarget.objects.exists()


def grid_data(value: str = "100.00", **months) -> dict:
    data = {month.isoformat(): value for month in MONTHS_2027}
    data.update({key.replace("_", "-"): v for key, v in months.items()})
    return data


def test_htmx_grid_post_saves_and_returns_only_the_grid(client, owner, goal):
    client.force_login(owner)
    url = reverse("goals:goal_targets", args=[goal.plan_id, goal.pk])
    response = client.post(url, grid_data(), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="targets-grid">')
    assert "<html" not in html
    assert "goal-facts" not in html
    assert saved_values(goal) == [D("100.00")] * 12
    assert '<td class="text-end fw-semibold text-nowrap" id="targets-total">1,200.00</td>' in html
    assert "Difference to the annual target: -1,198,800.00" in html


def test_grid_post_without_htmx_redirects_to_the_goal(client, owner, goal):
    client.force_login(owner)
    url = reverse("goals:goal_targets", args=[goal.plan_id, goal.pk])
    response = client.post(url, grid_data(value="100000.00"))
    assert response.status_code == 302
    assert response.url == goal.get_absolute_url()
    assert sum(saved_values(goal)) == goal.annual_target


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "Apr 2027: a target cannot be negative."),
        ("abc", "Apr 2027: enter a number."),
        ("", "Apr 2027: enter a target."),
        ("1.234", "Apr 2027: use at most 2 decimal places."),
    ],
)
def test_grid_with_one_bad_month_saves_nothing_and_names_the_month(
    client, owner, goal, value, message
):
    targets_spread(goal=goal)
    before = snapshot()
    client.force_login(owner)
    url = reverse("goals:goal_targets", args=[goal.plan_id, goal.pk])
    response = client.post(url, grid_data(**{"2027_04_01": value}), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert "Nothing was saved" in html
    assert snapshot() == before
    assert 'class="table-danger" data-month="2027-04-01"' in html


def test_spread_buttons_fill_the_grid(client, owner, goal):
    profile = factories.SeasonalProfileFactory(weights=[2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2])
    goal.annual_target = D("1000.00")
    goal.save()
    client.force_login(owner)
    url = reverse("goals:goal_targets", args=[goal.plan_id, goal.pk])
    htmx = {"HX-Request": "true"}
    response = client.post(url, {"action": "spread_even", "profile": ""}, headers=htmx)
    assert response.status_code == 200
    assert saved_values(goal) == [D("83.33")] * 11 + [D("83.37")]
    assert 'value="83.37"' in response.content.decode()
    data = {"action": "spread_profile", "profile": str(profile.pk)}
    client.post(url, data, headers=htmx)
    assert saved_values(goal) == [D("142.85")] + [D("71.42")] * 10 + [D("142.95")]


def test_spread_by_profile_needs_a_profile(client, owner, goal):
    client.force_login(owner)
    url = reverse("goals:goal_targets", args=[goal.plan_id, goal.pk])
    response = client.post(url, {"action": "spread_profile", "profile": ""})
    assert response.status_code == 200
    assert "Choose a seasonal profile to spread by." in response.content.decode()
    assert not MonthlyTarget.objects.exists()


def test_grid_of_a_non_sum_kpi_shows_its_roll_up(client, owner, plan):
    goal = factories.GoalFactory(
        plan=plan, kpi=make_kpi("avg_kpi", "average"), annual_target=D("40.00")
    )
    client.force_login(owner)
    url = reverse("goals:goal_targets", args=[plan.pk, goal.pk])
    data = grid_data(value="40.00", **{"2027_01_01": "28.00", "2027_02_01": "52.00"})
    response = client.post(url, data, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert saved_values(goal)[:2] == [D("28.00"), D("52.00")]
    assert '<th scope="col" class="text-end small">Average</th>' in html
    assert 'id="targets-total">40.00</td>' in html
    assert "The months roll up to the annual target." in html
    assert "does not add up over the year" in html


# --- the goal matrix ------------------------------------------------------------------------


def cell_html(html: str, perspective: str, horizon: str) -> str:
    start = html.index(f'data-perspective="{perspective}" data-horizon="{horizon}"')
    return html[start : html.index("</td>", start)]


def test_matrix_places_goals_and_marks_empty_cells(client, owner, plan):
    factories.GoalFactory(
        plan=plan,
        title="Become preferred supplier",
        relationship_perspective="customer",
        horizon="operative",
        perspective="customer",
        goal_area="business_relationship",
        weight=25,
    )
    factories.GoalFactory(plan=plan, title="Plain revenue", weight=10)
    client.force_login(owner)
    response = client.get(reverse("goals:goal_matrix", args=[plan.pk]))
    html = response.content.decode()
    filled = cell_html(html, "customer", "operative")
    assert "Become preferred supplier" in filled
    assert "No goal yet" not in filled
    empty = cell_html(html, "mutual", "strategic")
    assert "No goal yet" in empty
    assert "synergy potential" in empty
    assert "reference potential" in cell_html(html, "supplier", "strategic")
    assert "supply shortages" not in filled  # the hint shows only where no goal is
    assert response.context["matrix"].empty_cells == 5
    assert "1 goal is not a relationship goal" in html
    tallies = {t.key: t for t in response.context["matrix"].perspectives}
    assert (tallies["finance"].count, tallies["finance"].weight) == (1, 10)
    assert (tallies["customer"].count, tallies["customer"].weight) == (1, 25)
    assert tallies["process"].count == tallies["people"].count == 0
    for key, empty_flag in (("finance", False), ("process", True), ("people", True)):
        start = html.index(f'data-perspective="{key}">')
        card = html[start : html.index("</div>\n      </div>", start)]
        assert ("data-empty" in card) is empty_flag
    areas = {t.key: t.count for t in response.context["matrix"].areas}
    assert areas["business_relationship"] == 1
    assert areas["care_quality"] == 0


def test_matrix_of_a_plan_without_goals_flags_everything(client, owner, plan):
    client.force_login(owner)
    response = client.get(reverse("goals:goal_matrix", args=[plan.pk]))
    html = response.content.decode()
    # 6 relationship cells, 4 perspectives, 7 goal areas
    assert html.count("data-empty") == 6 + 4 + 7
    assert response.context["matrix"].empty_cells == 6


# --- query counts ---------------------------------------------------------------------------


def add_goals(plan, count: int) -> None:
    stakeholders = [factories.StakeholderFactory(account=plan.account) for _ in range(2)]
    for index in range(count):
        if index % 3 == 2:
            goal = factories.QualitativeGoalFactory(
                plan=plan, relationship_perspective="mutual", horizon="operative"
            )
        else:
            goal = factories.GoalFactory(plan=plan, perspective=["finance", "process"][index % 2])
            MonthlyTarget.objects.bulk_create(
                MonthlyTarget(goal=goal, month=month, value=D("10.00")) for month in MONTHS_2027
            )
        goal.stakeholders.set(stakeholders)


@pytest.mark.parametrize("name", ["goals", "goal_matrix"])
def test_query_count_does_not_grow_with_goals(
    client, owner, plan, name, django_assert_max_num_queries
):
    client.force_login(owner)
    url = reverse(f"goals:{name}", args=[plan.pk])
    add_goals(plan, 3)
    with CaptureQueriesContext(connection) as three_goals:
        assert client.get(url).status_code == 200
    add_goals(plan, 27)
    with django_assert_max_num_queries(len(three_goals.captured_queries)):
        response = client.get(url)
    if name == "goals":
        assert response.content.decode().count("data-goal=") == 30
    else:
        assert sum(t.count for t in response.context["matrix"].perspectives) == 30


# --- who may see and change what ------------------------------------------------------------


@dataclass
class World:
    plan: AccountPlan
    goal: Goal
    other_goal: Goal  # on another plan of the same account


@pytest.fixture
def world(plan, outsider) -> World:
    factories.KeyAccountFactory(owner=outsider, name="Meridian Foods")
    other_plan = factories.AccountPlanFactory(account=plan.account, fiscal_year=2026)
    return World(
        plan=plan,
        goal=factories.GoalFactory(plan=plan),
        other_goal=factories.GoalFactory(plan=other_plan),
    )


def form_data(world: World) -> dict:
    return goal_data(owner=str(world.plan.account.owner_id))


# (url name, arguments from the world, method, POST data); read pages first.
URLS = [
    ("goals", lambda w: [w.plan.pk], "get", None),
    ("goal_matrix", lambda w: [w.plan.pk], "get", None),
    ("goal_detail", lambda w: [w.plan.pk, w.goal.pk], "get", None),
    ("goal_create", lambda w: [w.plan.pk], "get", None),
    ("goal_create", lambda w: [w.plan.pk], "post", form_data),
    ("goal_edit", lambda w: [w.plan.pk, w.goal.pk], "get", None),
    ("goal_edit", lambda w: [w.plan.pk, w.goal.pk], "post", form_data),
    ("goal_delete", lambda w: [w.plan.pk, w.goal.pk], "post", lambda w: {}),
    ("goal_targets", lambda w: [w.plan.pk, w.goal.pk], "post", lambda w: grid_data()),
    ("goal_targets", lambda w: [w.plan.pk, w.goal.pk], "post", lambda w: {"action": "spread_even"}),
]
READS = {("goals", "get"), ("goal_matrix", "get"), ("goal_detail", "get")}
IDS = [f"{name}-{method}-{index}" for index, (name, _, method, _) in enumerate(URLS)]


def test_every_goal_url_is_covered():
    routed = {p.name for p in goal_urls.urlpatterns if "goals/" in str(p.pattern)}
    assert routed == {name for name, *_ in URLS}


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


WRITES = [(n, a, m, d) for n, a, m, d in URLS if (n, m) not in READS]
WRITE_IDS = [f"{n}-{m}-{i}" for i, (n, _, m, _) in enumerate(WRITES)]


@pytest.mark.parametrize("status", [PlanStatus.SUBMITTED, PlanStatus.APPROVED])
@pytest.mark.parametrize(("name", "args", "method", "data"), WRITES, ids=WRITE_IDS)
def test_it_refuses_goal_edits_on_a_submitted_or_approved_plan(
    client, world, owner, status, name, args, method, data
):
    targets_spread(goal=world.goal)
    AccountPlan.objects.filter(pk=world.plan.pk).update(status=status)
    client.force_login(owner)
    before = snapshot()
    assert request(client, world, name, args, method, data).status_code == 403
    assert snapshot() == before


def test_approved_plan_shows_goals_without_edit_controls(client, world, owner):
    AccountPlan.objects.filter(pk=world.plan.pk).update(status=PlanStatus.APPROVED)
    client.force_login(owner)
    html = client.get(reverse("goals:goals", args=[world.plan.pk])).content.decode()
    assert reverse("goals:goal_create", args=[world.plan.pk]) not in html
    assert reverse("goals:goal_edit", args=[world.plan.pk, world.goal.pk]) not in html
    html = client.get(world.goal.get_absolute_url()).content.decode()
    assert "target-input" not in html


@pytest.mark.parametrize(
    ("name", "method", "data"),
    [
        ("goal_detail", "get", None),
        ("goal_edit", "get", None),
        ("goal_edit", "post", form_data),
        ("goal_delete", "post", lambda w: {}),
        ("goal_targets", "post", lambda w: grid_data()),
    ],
)
def test_goal_of_another_plan_is_404(client, world, owner, name, method, data):
    client.force_login(owner)
    before = snapshot()
    args = lambda w: [w.plan.pk, w.other_goal.pk]  # noqa: E731
    assert request(client, world, name, args, method, data).status_code == 404
    assert snapshot() == before


def test_goals_step_appears_in_the_plan_header(client, owner, plan):
    client.force_login(owner)
    html = client.get(plan.get_absolute_url()).content.decode()
    assert reverse("goals:goals", args=[plan.pk]) in html
