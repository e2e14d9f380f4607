"""No number a user can type reaches a 500: the actuals grid, the monthly targets grid and the
forms of money (annual target, status quo, expense limit, measure costs, selling amounts)
refuse huge, tiny and non-finite numbers with a message, and save nothing."""

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.db import models
from django.urls import reverse

from controlling.models import Actual
from controlling.selectors.actuals import cell_key
from goals.forms.goals import GoalForm, MonthlyTargetsForm
from goals.forms.measures import BudgetForm, MeasureForm, MeasureProgressForm
from goals.forms.plans import StatusQuoForm
from goals.forms.selling import SellingPositionForm, WhitespaceCellForm
from goals.models import MonthlyTarget
from tests import factories

D = Decimal
APR = datetime.date(2027, 4, 1)
BAD = ["1e300", "1" * 31, "NaN", "Infinity", "-Infinity", "1e-300", "1E+100000", "sNaN"]


@pytest.fixture(autouse=True)
def calendar_fiscal_year(settings):
    settings.KAM_FISCAL_YEAR_START_MONTH = 1


@pytest.fixture
def plan(account):
    return factories.AccountPlanFactory(account=account, fiscal_year=2027)


@pytest.fixture
def goal(plan):
    return factories.GoalFactory(plan=plan, annual_target=D("1200.00"))


@pytest.mark.parametrize("value", [*BAD, "-0"])
def test_the_actuals_grid_refuses_odd_numbers_with_a_message(client, owner, goal, value):
    client.force_login(owner)
    url = reverse("controlling:plan_actuals", args=[goal.plan_id])
    response = client.post(url, {cell_key(goal.kpi_id, APR): value})
    if value == "-0":
        assert response.status_code == 302
        assert Actual.objects.get().value == 0
        return
    assert response.status_code == 200
    assert response.context["errors"]
    assert not Actual.objects.exists()


@pytest.mark.parametrize("value", BAD)
def test_the_targets_grid_refuses_odd_numbers_with_a_message(client, owner, goal, value):
    client.force_login(owner)
    data = {month.isoformat(): "100.00" for month in _months()}
    data[APR.isoformat()] = value
    url = reverse("goals:goal_targets", args=[goal.plan_id, goal.pk])
    response = client.post(url, data)
    assert response.status_code == 200
    assert not MonthlyTarget.objects.exists()


@pytest.mark.parametrize("value", BAD)
@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("status_quo_edit", "prior_year_revenue"),
        ("status_quo_edit", "share_of_wallet"),
        ("frame", "budget"),
    ],
)
def test_plan_forms_refuse_odd_numbers(client, owner, plan, name, field, value):
    client.force_login(owner)
    response = client.post(reverse(f"goals:{name}", args=[plan.pk]), {field: value})
    assert response.status_code == 200
    plan.refresh_from_db()
    assert getattr(plan, field) is None


def _months() -> list[datetime.date]:
    return [datetime.date(2027, month, 1) for month in range(1, 13)]


FORMS = [
    GoalForm,
    BudgetForm,
    MeasureForm,
    MeasureProgressForm,
    StatusQuoForm,
    SellingPositionForm,
    WhitespaceCellForm,
]


@pytest.mark.parametrize("form_class", FORMS, ids=lambda form: form.__name__)
def test_every_decimal_field_of_a_model_form_has_the_models_digits(form_class):
    model = form_class._meta.model
    fields = [
        (name, field)
        for name, field in form_class.base_fields.items()
        if isinstance(field, forms.DecimalField)
    ]
    assert fields, "a form of money has decimal fields"
    for name, field in fields:
        model_field = model._meta.get_field(name)
        assert isinstance(model_field, models.DecimalField)
        assert (field.max_digits, field.decimal_places) == (
            model_field.max_digits,
            model_field.decimal_places,
        ), name


@pytest.mark.parametrize("value", BAD)
def test_the_monthly_targets_form_refuses_odd_numbers_per_month(value):
    months = _months()
    data = {month.isoformat(): "1" for month in months} | {APR.isoformat(): value}
    form = MonthlyTargetsForm(data, months=months)
    assert not form.is_valid()
    assert list(form.errors) == [APR.isoformat()]
    form.posted_values()  # the grid's totals while errors are shown
