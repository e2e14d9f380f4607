"""The account health score: each component and the total on hand-built data with known
answers, renormalisation when components have no data, the admin's weights, the panel on the
account overview, and a constant number of queries for 5 and 50 accounts."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from controlling.models import GoalState, GoalStatus, HealthWeights
from controlling.selectors.health import account_health
from goals.models import KPIDefinition
from kam.fiscal import fiscal_year_for
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2027, 6, 15)
YEAR = 2027


@pytest.fixture(autouse=True)
def calendar_year(settings):
    settings.KAM_FISCAL_YEAR_START_MONTH = 1


def satisfaction_kpi() -> KPIDefinition:
    kpi, _ = KPIDefinition.objects.get_or_create(
        code="customer_satisfaction",
        defaults={
            "name_en": "Customer satisfaction",
            "name_de": "Kundenzufriedenheit",
            "unit": "rating",
            "direction": "higher",
            "rollup": "average",
            "source": "entered",
        },
    )
    return kpi


def state(goal, percent) -> GoalState:
    return GoalState.objects.create(
        goal=goal,
        status=GoalStatus.ON_TRACK if percent is not None else GoalStatus.NO_DATA,
        attainment_percent=None if percent is None else Decimal(str(percent)),
        computed_at=timezone.now(),
    )


def stakeholder(account, role: str, last_contact_days_ago: int | None, interval: int = 30):
    person = factories.StakeholderFactory(
        account=account, buying_role=role, contact_interval_days=interval
    )
    if last_contact_days_ago is not None:
        factories.InteractionFactory(
            account=account,
            date=TODAY - datetime.timedelta(days=last_contact_days_ago),
            stakeholders=[person],
        )
    return person


def rating(account, month: datetime.date, value: str):
    return factories.ActualFactory(
        account=account, kpi=satisfaction_kpi(), month=month, value=Decimal(value)
    )


def health_of(account, year: int = YEAR):
    return account_health(account_ids=[account.pk], fiscal_year=year, today=TODAY)[account.pk]


@pytest.fixture
def full(account):
    """An account with data for every component (answers worked out in the test)."""
    plan = factories.AccountPlanFactory(
        account=account, fiscal_year=YEAR, narrative="We supply the drives.", budget=10000
    )
    factories.SwotItemFactory(plan=plan)
    state(factories.GoalFactory(plan=plan, weight=10), 120)  # capped at 100
    state(factories.GoalFactory(plan=plan, weight=30), 60)
    state(factories.GoalFactory(plan=plan, weight=20), None)  # not measured: left out
    state(factories.GoalFactory(plan=plan, weight=10), -20)  # counts as 0
    factories.MeasureFactory(plan=plan, status="cancelled")  # cancelled: step 4 not filled
    stakeholder(account, "decider", 10)  # fresh
    stakeholder(account, "buyer", 40)  # overdue: 40 days > 30
    stakeholder(account, "buyer", None)  # never contacted: overdue
    rating(account, datetime.date(YEAR, 1, 1), "2")
    rating(account, datetime.date(YEAR, 3, 1), "4")  # the latest in the year
    rating(account, datetime.date(YEAR + 1, 1, 1), "1")  # next fiscal year: not seen
    return account


def test_each_component_and_the_weighted_total(full):
    health = health_of(full)

    assert health.goal_attainment == Decimal("56.0")  # (100x10 + 60x30 + 0x10) / 50
    assert (health.goals_measured, health.goals_total) == (3, 4)
    # Status quo, SWOT, goals, frame (budget, no rule broken); no measure that counts.
    assert [done for _code, _label, done in health.plan_steps] == [True, True, True, False, True]
    assert health.plan_completeness == Decimal("80.0")
    assert health.roles_covered == ["decider", "buyer"]
    assert health.stakeholder_coverage == Decimal("40.0")  # 2 of 5 roles
    assert (health.stakeholders_fresh, health.stakeholders) == (1, 3)
    assert health.contact_freshness == Decimal("33.3")
    assert health.satisfaction_rating == Decimal("4")
    assert health.satisfaction_month == datetime.date(YEAR, 3, 1)
    assert health.customer_satisfaction == Decimal("75.0")  # (4 - 1) / 4
    # Default weights 35/20/15/15/15:
    # (56 x 35 + 80 x 20 + 40 x 15 + 33.3 x 15 + 75 x 15) / 100 = 57.845
    assert health.total == 58
    assert [c.share for c in health.components] == [Decimal(v) for v in (35, 20, 15, 15, 15)]


def test_components_without_data_are_left_out_and_the_weights_renormalised(account):
    factories.AccountPlanFactory(account=account, fiscal_year=YEAR, narrative="Where we are.")

    health = health_of(account)

    assert health.goal_attainment is None
    assert health.plan_completeness == Decimal("20.0")  # the status quo only
    assert health.stakeholder_coverage == Decimal("0.0")  # no stakeholder: no role covered
    assert health.contact_freshness is None
    assert health.customer_satisfaction is None
    # Only plan completeness (20) and coverage (15) count: (20 x 20 + 0 x 15) / 35 = 11.43
    assert health.total == 11
    shares = {c.code: c.share for c in health.components}
    assert shares == {
        "goal_attainment": None,
        "plan_completeness": Decimal("57.1"),
        "stakeholder_coverage": Decimal("42.9"),
        "contact_freshness": None,
        "customer_satisfaction": None,
    }


def test_the_admins_weights_change_the_total(full):
    HealthWeights.objects.filter(pk=1).update(
        goal_attainment=1,
        plan_completeness=0,
        stakeholder_coverage=0,
        contact_freshness=0,
        customer_satisfaction=3,
    )

    # (56 x 1 + 75 x 3) / 4 = 70.25
    assert health_of(full).total == 70


def test_no_total_when_only_zero_weighted_components_have_data(account):
    HealthWeights.objects.filter(pk=1).update(
        goal_attainment=1,
        plan_completeness=0,
        stakeholder_coverage=0,
        contact_freshness=0,
        customer_satisfaction=0,
    )

    health = health_of(account)

    assert health.plan_completeness == Decimal(0)
    assert health.total is None


def test_an_account_without_a_plan_for_the_year_has_no_step_filled(full):
    health = health_of(full, year=YEAR + 1)

    assert health.plan is None
    assert health.plan_completeness == Decimal(0)
    assert [done for _code, _label, done in health.plan_steps] == [False] * 5
    assert health.goal_attainment is None
    # The rating of the next year is now the latest one up to that year's end.
    assert health.customer_satisfaction == Decimal("0.0")


def test_step_five_needs_approval_or_a_clean_frame_with_an_expense_limit(owner):
    factories.FrameRuleFactory(kind="cost_cap", kpi=None, min_change_percent=None, cost_cap=100)
    over = factories.AccountPlanFactory(account__owner=owner, fiscal_year=YEAR, budget=9000)
    factories.MeasureFactory(plan=over, planned_cost=500)  # above the cap of 100
    no_limit = factories.AccountPlanFactory(account__owner=owner, fiscal_year=YEAR)
    approved = factories.AccountPlanFactory(
        account__owner=owner, fiscal_year=YEAR, status="approved"
    )
    clean = factories.AccountPlanFactory(account__owner=owner, fiscal_year=YEAR, budget=50)

    result = account_health(
        account_ids=[p.account_id for p in (over, no_limit, approved, clean)],
        fiscal_year=YEAR,
        today=TODAY,
    )

    def frame(plan):
        steps = result[plan.account_id].plan_steps
        return {code: done for code, _label, done in steps}["frame"]

    assert (frame(over), frame(no_limit), frame(approved), frame(clean)) == (
        False,
        False,
        True,
        True,
    )
    assert result[over.account_id].plan_steps[3][2] is True  # a measure that is not cancelled


def test_status_quo_counts_with_a_figure_and_without_a_narrative(account):
    factories.AccountPlanFactory(account=account, fiscal_year=YEAR, share_of_wallet=Decimal(12))

    assert health_of(account).plan_steps[0][2] is True


def test_satisfaction_is_scaled_from_one_to_five(account):
    rating(account, datetime.date(YEAR, 2, 1), "1")
    assert health_of(account).customer_satisfaction == Decimal("0.0")
    rating(account, datetime.date(YEAR, 5, 1), "5")
    assert health_of(account).customer_satisfaction == Decimal("100.0")
    rating(account, datetime.date(YEAR, 6, 1), "3.5")
    assert health_of(account).customer_satisfaction == Decimal("62.5")


def test_every_account_asked_for_gets_an_answer_even_without_any_data(account):
    other = factories.KeyAccountFactory()

    result = account_health(account_ids=[account.pk, other.pk], fiscal_year=YEAR, today=TODAY)

    assert set(result) == {account.pk, other.pk}
    assert account_health(account_ids=[], fiscal_year=YEAR) == {}


def _portfolio(count: int) -> list[int]:
    factories.FrameRuleFactory(kind="cost_cap", kpi=None, min_change_percent=None, cost_cap=10**6)
    satisfaction = satisfaction_kpi()
    ids = []
    for number in range(count):
        account = factories.KeyAccountFactory()
        plan = factories.AccountPlanFactory(
            account=account, fiscal_year=YEAR, budget=1000, narrative="x"
        )
        factories.SwotItemFactory(plan=plan)
        state(factories.GoalFactory(plan=plan), 80 + number % 30)
        factories.MeasureFactory(plan=plan)
        stakeholder(account, "user", number % 60)
        factories.ActualFactory(
            account=account, kpi=satisfaction, month=datetime.date(YEAR, 2, 1), value=4
        )
        ids.append(account.pk)
    return ids


def _queries(ids) -> int:
    with CaptureQueriesContext(connection) as captured:
        result = account_health(account_ids=ids, fiscal_year=YEAR, today=TODAY)
    assert all(health.total is not None for health in result.values())
    return len(captured)


def test_the_query_count_does_not_grow_with_the_accounts():
    few = _queries(_portfolio(5))
    many = _queries(_portfolio(50))

    assert few == many
    assert few <= 8


# --- weights ------------------------------------------------------------------------------------


def test_the_migration_created_the_default_weights():
    weights = HealthWeights.objects.get()
    assert weights.pk == 1
    assert [
        weights.goal_attainment,
        weights.plan_completeness,
        weights.stakeholder_coverage,
        weights.contact_freshness,
        weights.customer_satisfaction,
    ] == [35, 20, 15, 15, 15]


def test_without_the_row_the_defaults_apply(full):
    HealthWeights.objects.all().delete()

    assert health_of(full).total == 58


def test_the_database_refuses_a_second_row_negative_weights_and_all_zero():
    with pytest.raises(IntegrityError), transaction.atomic():
        HealthWeights.objects.create(id=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        HealthWeights.objects.filter(pk=1).update(goal_attainment=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        HealthWeights.objects.filter(pk=1).update(
            goal_attainment=0,
            plan_completeness=0,
            stakeholder_coverage=0,
            contact_freshness=0,
            customer_satisfaction=0,
        )


def test_validation_names_the_problem():
    weights = HealthWeights.objects.get()
    weights.goal_attainment = weights.plan_completeness = weights.stakeholder_coverage = 0
    weights.contact_freshness = weights.customer_satisfaction = 0
    with pytest.raises(ValidationError, match="At least one weight must be above zero"):
        weights.full_clean()
    weights.goal_attainment = -5
    with pytest.raises(ValidationError) as error:
        weights.full_clean()
    assert "goal_attainment" in error.value.message_dict


def test_administrators_edit_the_weights_in_the_admin_but_neither_add_nor_delete(
    client, administrator
):
    client.force_login(administrator)
    url = reverse("admin:controlling_healthweights_change", args=[1])
    data = {
        "goal_attainment": "50",
        "plan_completeness": "10",
        "stakeholder_coverage": "10",
        "contact_freshness": "10",
        "customer_satisfaction": "20",
    }

    assert client.post(url, data).status_code == 302
    assert HealthWeights.objects.get().goal_attainment == 50
    zero = dict.fromkeys(data, "0")
    response = client.post(url, zero)
    assert response.status_code == 200
    assert "At least one weight must be above zero" in response.content.decode()
    assert client.get(reverse("admin:controlling_healthweights_add")).status_code == 403
    assert client.get(reverse("admin:controlling_healthweights_delete", args=[1])).status_code == (
        403
    )
    assert HealthWeights.objects.get().get_absolute_url() == url


# --- the panel on the account overview ----------------------------------------------------------


@pytest.fixture
def this_year(settings):
    """The panel shows the current fiscal year; move the test data there."""
    return fiscal_year_for(timezone.localdate(), 1)


def test_the_account_overview_explains_the_score(client, owner, account, this_year):
    plan = factories.AccountPlanFactory(account=account, fiscal_year=this_year, narrative="x")
    state(factories.GoalFactory(plan=plan, weight=10), 50)
    stakeholder(account, "decider", None)
    client.force_login(owner)

    response = client.get(account.get_absolute_url())

    html = response.content.decode()
    assert 'id="account-health"' in html
    # Attainment 50, completeness 40 (status quo, goals), coverage 20, freshness 0:
    # (50 x 35 + 40 x 20 + 20 x 15 + 0 x 15) / 85 = 33.5 -> 34
    assert '<div class="fs-3 fw-semibold" data-health="total">34<' in html
    assert "1 of 1 goals measured" in html
    assert "Missing: Influencer, User, Buyer, Gatekeeper." in html
    assert "0 of 1 stakeholders contacted within their interval." in html
    assert "No customer satisfaction rating recorded." in html
    assert reverse("controlling:plan_controlling", args=[plan.pk]) in html


def test_the_panel_without_any_data_says_so(client, leadership, account):
    HealthWeights.objects.filter(pk=1).update(
        goal_attainment=1, plan_completeness=0, stakeholder_coverage=0
    )
    client.force_login(leadership)

    html = client.get(account.get_absolute_url()).content.decode()

    assert "No health score yet" in html
    assert "No plan for FY" in html


def test_outsiders_do_not_see_the_account_or_its_score(client, outsider, account):
    client.force_login(outsider)

    assert client.get(account.get_absolute_url()).status_code == 404
