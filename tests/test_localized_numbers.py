"""Numbers in the user's language everywhere: kam.numbers.parse_decimal / format_decimal, the
form field that uses them, the grids and forms that post them, and the pages that show
amounts with currency and percentages with %."""

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from controlling.models import Actual
from controlling.selectors.actuals import cell_key
from goals.forms.goals import MonthlyTargetsForm
from goals.forms.plans import StatusQuoForm
from goals.models import AccountPlan, KPIDefinition, MonthlyTarget
from goals.models.kpis import Unit
from kam.numbers import LocalizedDecimalField, format_decimal, parse_decimal
from tests import factories

D = Decimal
APR = datetime.date(2027, 4, 1)
DE = {"HTTP_ACCEPT_LANGUAGE": "de"}


@pytest.mark.parametrize(
    ("language", "text", "value"),
    [
        ("de", "95.000,50", D("95000.50")),
        ("de", "12345,67", D("12345.67")),
        ("de", "1.234.567,8", D("1234567.8")),
        ("de", "1.234", D("1234")),  # a dot before three digits groups thousands
        ("de", "1234.56", D("1234.56")),  # a dot that cannot group is the decimal point
        ("de", "-3,5", D("-3.5")),
        ("de", " 2 400 000,00 ", D("2400000.00")),
        ("de", ",5", D("0.5")),
        ("en", "1,234.56", D("1234.56")),
        ("en", "1234.56", D("1234.56")),
        ("en", "1,234", D("1234")),
        ("en", "1234,56", D("1234.56")),
        ("en", "+7", D("7")),
    ],
)
def test_it_reads_numbers_as_the_language_writes_them(language, text, value):
    assert parse_decimal(text, language) == value
    with translation.override(language):
        assert parse_decimal(text) == value


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("de", "1,234.56"),  # English grouping in German
        ("en", "95.000,50"),  # German grouping in English
        ("de", "1.23,4"),  # grouping not by threes
        ("en", "12,34,567"),
        ("de", "1,2,3"),
        ("de", "1,5,"),
        ("en", "1e5"),
        ("en", "NaN"),
        ("en", "Infinity"),
        ("de", "12 EUR"),
        ("de", ""),
        ("de", "-"),
        ("de", "."),
    ],
)
def test_it_refuses_what_is_no_number_or_ambiguous(language, text):
    with pytest.raises(ValidationError):
        parse_decimal(text, language)


@pytest.mark.parametrize(
    ("language", "value", "places", "text"),
    [
        ("de", D("2696640"), 2, "2.696.640,00"),
        ("de", D("168270.34"), 2, "168.270,34"),
        ("de", D("-0.001"), 2, "0,00"),
        ("de", D("13.20"), None, "13,20"),
        ("de", D("0.005"), 2, "0,01"),  # half up
        ("en", D("2696640"), 2, "2,696,640.00"),
        ("en", 1234.5, 1, "1,234.5"),
        ("en", None, 2, ""),
        ("en", "not a number", 2, ""),
    ],
)
def test_it_writes_numbers_as_the_language_writes_them(language, value, places, text):
    assert format_decimal(value, places, language) == text


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize(
    "value", [D("0.00"), D("7.50"), D("-1234.56"), D("999999999999.99"), D("95000.50")]
)
def test_what_is_written_reads_back_as_the_same_number(language, value):
    assert parse_decimal(format_decimal(value, 2, language), language) == value


def test_the_field_shows_its_value_grouped_in_the_language_and_reads_it_back():
    class Form(forms.Form):
        amount = LocalizedDecimalField(max_digits=14, decimal_places=2)

    with translation.override("de"):
        form = Form(initial={"amount": D("168270.34")})
        assert 'value="168.270,34"' in str(form["amount"])
        assert 'type="text"' in str(form["amount"])
        bound = Form({"amount": "168.270,34"})
        assert bound.is_valid()
        assert bound.cleaned_data["amount"] == D("168270.34")
        assert not Form({"amount": "1,234.5"}).is_valid()
    with translation.override("en"):
        assert 'value="168,270.34"' in str(Form(initial={"amount": D("168270.34")})["amount"])


def test_model_forms_read_and_show_numbers_in_the_language(plan):
    with translation.override("de"):
        form = StatusQuoForm(
            {"prior_year_revenue": "2.400.000,00", "share_of_wallet": "13,2"}, instance=plan
        )
        assert form.is_valid(), form.errors
        assert form.cleaned_data["prior_year_revenue"] == D("2400000.00")
        assert form.cleaned_data["share_of_wallet"] == D("13.2")
        form.save()
        plan.refresh_from_db()
        assert 'value="2.400.000,00"' in str(StatusQuoForm(instance=plan)["prior_year_revenue"])


@pytest.fixture(autouse=True)
def calendar_fiscal_year(settings):
    settings.KAM_FISCAL_YEAR_START_MONTH = 1


@pytest.fixture
def plan(account):
    return factories.AccountPlanFactory(account=account, fiscal_year=2027)


@pytest.fixture
def goal(plan):
    return factories.GoalFactory(plan=plan, annual_target=D("1200.00"))


def _months() -> list[datetime.date]:
    return [datetime.date(2027, month, 1) for month in range(1, 13)]


def test_the_targets_grid_saves_german_numbers(client, owner, goal):
    client.force_login(owner)
    data = {month.isoformat(): "100" for month in _months()}
    data[APR.isoformat()] = "95.000,50"
    data[datetime.date(2027, 5, 1).isoformat()] = "12345,67"
    url = reverse("goals:goal_targets", args=[goal.plan_id, goal.pk])
    response = client.post(url, data, **DE)
    assert response.status_code == 302
    targets = dict(MonthlyTarget.objects.values_list("month", "value"))
    assert targets[APR] == D("95000.50")
    assert targets[datetime.date(2027, 5, 1)] == D("12345.67")


def test_the_targets_grid_shows_german_numbers_and_keeps_plain_seen_values(client, owner, goal):
    MonthlyTarget.objects.create(goal=goal, month=APR, value=D("168270.34"))
    client.force_login(owner)
    html = client.get(reverse("goals:goal_detail", args=[goal.plan_id, goal.pk]), **DE)
    html = html.content.decode()
    assert 'value="168.270,34"' in html
    # The hidden seen value stays machine-readable, so kam.concurrency compares numbers.
    assert f'name="seen-{APR.isoformat()}" value="168270.34"' in html


def test_an_unchanged_german_target_is_no_conflict_with_its_seen_value(client, owner, goal):
    for month in _months():
        MonthlyTarget.objects.create(goal=goal, month=month, value=D("1000.50"))
    client.force_login(owner)
    data = {month.isoformat(): "1.000,50" for month in _months()}
    data |= monthly_seen({month: D("1000.50") for month in _months()})
    data[APR.isoformat()] = "2.000,25"
    # Someone else changed May meanwhile; the user did not touch it: no conflict.
    MonthlyTarget.objects.filter(month=datetime.date(2027, 5, 1)).update(value=D("7"))
    url = reverse("goals:goal_targets", args=[goal.plan_id, goal.pk])
    response = client.post(url, data, **DE)
    assert response.status_code == 302
    targets = dict(MonthlyTarget.objects.values_list("month", "value"))
    assert targets[APR] == D("2000.25")
    assert targets[datetime.date(2027, 5, 1)] == D("7")


def monthly_seen(values):
    return MonthlyTargetsForm.seen_initial(values)


def test_the_actuals_grid_saves_and_shows_german_numbers(client, owner, goal):
    client.force_login(owner)
    url = reverse("controlling:plan_actuals", args=[goal.plan_id])
    response = client.post(url, {cell_key(goal.kpi_id, APR): "95.000,50"}, **DE)
    assert response.status_code == 302
    assert Actual.objects.get().value == D("95000.50")
    html = client.get(url, **DE).content.decode()
    assert 'value="95.000,50"' in html
    assert f'name="seen-{cell_key(goal.kpi_id, APR)}" value="95000.50"' in html


def test_the_actuals_grid_refuses_english_grouping_in_german(client, owner, goal):
    client.force_login(owner)
    url = reverse("controlling:plan_actuals", args=[goal.plan_id])
    response = client.post(url, {cell_key(goal.kpi_id, APR): "95,000.50"}, **DE)
    assert response.status_code == 200
    assert response.context["errors"]
    assert not Actual.objects.exists()


def test_the_goal_form_saves_a_german_annual_target(client, owner, goal):
    client.force_login(owner)
    url = reverse("goals:goal_edit", args=[goal.plan_id, goal.pk])
    form = client.get(url, **DE).context["form"]
    data = {
        name: value
        for name, value in (
            (name, form[name].value()) for name in form.fields if form[name].value() is not None
        )
        if not isinstance(value, list)
    }
    data |= {"annual_target": "1.234.567,89", "baseline": "1.000"}
    response = client.post(url, data, **DE)
    assert response.status_code == 302, response.context["form"].errors
    goal.refresh_from_db()
    assert goal.annual_target == D("1234567.89")
    assert goal.baseline == D("1000")


def test_the_plan_shows_status_quo_amounts_and_percent_in_german(client, owner, plan):
    plan.prior_year_revenue = D("2400000.00")
    plan.share_of_wallet = D("13.20")
    plan.save()
    client.force_login(owner)
    html = client.get(reverse("goals:plan_detail", args=[plan.pk]), **DE).content.decode()
    assert "2.400.000,00\u00a0EUR" in html
    assert "13,2\u00a0%" in html
    assert "2400000.00" not in html
    html = client.get(reverse("goals:print", args=[plan.pk]), **DE).content.decode()
    assert "2.400.000,00\u00a0EUR" in html
    assert "13,2\u00a0%" in html


def test_a_percent_goal_shows_its_target_with_percent(client, owner, plan):
    kpi, _created = KPIDefinition.objects.get_or_create(
        code="win_rate_test",
        defaults={
            "name_en": "Win rate",
            "name_de": "Gewinnquote",
            "unit": Unit.PERCENT,
            "direction": "higher",
            "rollup": "average",
            "source": "entered",
        },
    )
    goal = factories.GoalFactory(plan=plan, kpi=kpi, annual_target=D("13.20"))
    client.force_login(owner)
    html = client.get(reverse("goals:goal_detail", args=[plan.pk, goal.pk]), **DE)
    assert "13,2\u00a0%" in html.content.decode()
    html = client.get(reverse("goals:goal_detail", args=[plan.pk, goal.pk])).content.decode()
    assert "13.2%" in html


@pytest.mark.parametrize(
    ("language", "template", "text"),
    [
        ("de", "{{ v|amount:'EUR' }}", "2.400.000,00\u00a0EUR"),
        ("en", "{{ v|amount:'EUR' }}", "2,400,000.00\u00a0EUR"),
        ("de", "{{ p|percent }}", "13,2\u00a0%"),
        ("en", "{{ p|percent }}", "13.2%"),
        ("de", "{{ whole|percent }}", "100\u00a0%"),
        ("de", "{{ none|amount:'EUR' }}|{{ none|percent }}", "–|–"),
    ],
)
def test_the_amount_and_percent_filters(language, template, text):
    context = Context({"v": D("2400000"), "p": D("13.20"), "whole": D("100.00"), "none": None})
    with translation.override(language):
        assert Template("{% load kam_tags %}" + template).render(context) == text


def test_the_plan_from_templates_takes_a_german_baseline(client, owner, account):
    template_set = factories.GoalTemplateSetFactory(name="Key account standard", tier="key")
    revenue = factories.GoalTemplateFactory(template_set=template_set, growth_percent=D("2.5"))
    client.force_login(owner)
    url = reverse("goals:plan_from_template", args=[account.pk])
    query = {"template_set": template_set.pk, "fiscal_year": "2027"}
    response = client.post(url, query | {f"baseline_{revenue.pk}": "123.456,78"}, **DE)
    assert response.status_code == 302
    plan = AccountPlan.objects.get()
    assert plan.goals.get().annual_target == D("126543.20")


def test_the_plan_from_templates_shows_a_prefilled_baseline_in_german(client, owner, account):
    template_set = factories.GoalTemplateSetFactory(name="Key account standard", tier="key")
    last_year = factories.AccountPlanFactory(account=account, fiscal_year=2026)
    factories.GoalFactory(plan=last_year, annual_target=D("800000.00"))
    factories.GoalTemplateFactory(template_set=template_set, title="Grow revenue")
    client.force_login(owner)
    url = reverse("goals:plan_from_template", args=[account.pk])
    query = {"template_set": template_set.pk, "fiscal_year": "2027"}
    assert 'value="800.000,00"' in client.get(url, query, **DE).content.decode()
