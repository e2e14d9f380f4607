import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from goals.models import Direction, KPIDefinition, Rollup, Source, Unit, is_better, roll_up

starter = importlib.import_module("goals.migrations.0002_starter_kpi_catalogue")

STARTER_CODES = {
    "revenue",
    "contribution_margin",
    "share_of_wallet",
    "market_share",
    "product_groups_sold",
    "sites_served",
    "solution_revenue_share",
    "new_products_accepted",
    "price_realisation",
    "customer_satisfaction",
    "nps",
    "care_quality",
    "coordination_effort",
    "contact_coverage",
    "action_plan_cost",
}

D = Decimal


def make_kpi(**overrides) -> KPIDefinition:
    values = {
        "code": "test_kpi",
        "name_en": "Test KPI",
        "name_de": "Test-Kennzahl",
        "unit": Unit.COUNT,
        "direction": Direction.HIGHER,
        "rollup": Rollup.SUM,
        "source": Source.ENTERED,
    }
    values.update(overrides)
    return KPIDefinition(**values)


# The starter catalogue


@pytest.mark.django_db
def test_migrations_ship_the_fifteen_starter_kpis():
    assert set(KPIDefinition.objects.values_list("code", flat=True)) == STARTER_CODES


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "unit", "direction", "rollup", "source"),
    [
        ("revenue", Unit.CURRENCY, Direction.HIGHER, Rollup.SUM, Source.ENTERED),
        ("coordination_effort", Unit.HOURS, Direction.LOWER, Rollup.SUM, Source.ENTERED),
        ("customer_satisfaction", Unit.RATING, Direction.HIGHER, Rollup.AVERAGE, Source.ENTERED),
        ("share_of_wallet", Unit.PERCENT, Direction.HIGHER, Rollup.LAST, Source.ENTERED),
        ("action_plan_cost", Unit.CURRENCY, Direction.LOWER, Rollup.SUM, Source.COMPUTED),
        ("sites_served", Unit.COUNT, Direction.HIGHER, Rollup.LAST, Source.COMPUTED),
    ],
)
def test_starter_kpis_carry_their_unit_direction_rollup_and_source(
    code, unit, direction, rollup, source
):
    kpi = KPIDefinition.objects.get(code=code)
    assert (kpi.unit, kpi.direction, kpi.rollup, kpi.source) == (unit, direction, rollup, source)
    assert kpi.active


@pytest.mark.django_db
def test_starter_kpis_use_the_german_domain_terms():
    german = dict(KPIDefinition.objects.values_list("code", "name_de"))
    assert german["revenue"] == "Umsatz"
    assert german["contribution_margin"] == "Deckungsbeitrag"
    assert german["coordination_effort"] == "Koordinationsaufwand"
    assert german["action_plan_cost"] == "Maßnahmenkosten"
    assert german["solution_revenue_share"] == "Umsatzanteil Lösungen/Services"


@pytest.mark.django_db
def test_starter_kpis_pass_model_validation():
    for kpi in KPIDefinition.objects.all():
        kpi.full_clean()


@pytest.mark.django_db
def test_loading_the_starter_catalogue_again_changes_nothing():
    before = list(KPIDefinition.objects.order_by("code").values())

    starter.load_starter_catalogue(apps, None)
    starter.load_starter_catalogue(apps, None)

    assert list(KPIDefinition.objects.order_by("code").values()) == before
    assert KPIDefinition.objects.count() == 15


@pytest.mark.django_db
def test_loading_the_starter_catalogue_restores_a_missing_or_altered_kpi():
    KPIDefinition.objects.filter(code="nps").delete()
    KPIDefinition.objects.filter(code="revenue").update(direction=Direction.LOWER)

    starter.load_starter_catalogue(apps, None)

    assert KPIDefinition.objects.count() == 15
    assert KPIDefinition.objects.get(code="revenue").direction == Direction.HIGHER
    assert KPIDefinition.objects.filter(code="nps").exists()


@pytest.mark.django_db
def test_reversing_the_starter_catalogue_removes_only_its_kpis():
    make_kpi(code="own_kpi").save()

    starter.remove_starter_catalogue(apps, None)

    assert list(KPIDefinition.objects.values_list("code", flat=True)) == ["own_kpi"]


# Roll-up of months into quarters and years


@pytest.mark.parametrize(
    ("rollup", "values", "expected"),
    [
        (Rollup.SUM, [D("10.5"), D("20"), D("-0.5")], D("30.0")),
        (Rollup.SUM, [D("10"), None, D("5"), None], D("15")),
        (Rollup.SUM, [D("0"), None], D("0")),
        (Rollup.SUM, [None, None, None], None),
        (Rollup.SUM, [], None),
        (Rollup.AVERAGE, [D("1"), D("2"), D("4")], D("7") / 3),
        (Rollup.AVERAGE, [D("4"), None, D("5")], D("4.5")),
        (Rollup.AVERAGE, [None, D("3"), None], D("3")),
        (Rollup.AVERAGE, [None, None, None], None),
        (Rollup.LAST, [D("30"), D("35"), D("32")], D("32")),
        (Rollup.LAST, [D("30"), D("35"), None], D("35")),
        (Rollup.LAST, [None, D("0"), None], D("0")),
        (Rollup.LAST, [None, None, None], None),
    ],
)
def test_roll_up_combines_months_and_skips_gaps(rollup, values, expected):
    assert roll_up(rollup, values) == expected
    assert make_kpi(rollup=rollup).roll_up(values) == expected


def test_roll_up_refuses_an_unknown_kind():
    with pytest.raises(ValueError, match="median"):
        roll_up("median", [D("1")])


@pytest.mark.django_db
def test_starter_kpis_roll_up_a_quarter_by_their_kind():
    quarter = [D("100"), None, D("50")]
    assert KPIDefinition.objects.get(code="revenue").roll_up(quarter) == D("150")
    assert KPIDefinition.objects.get(code="customer_satisfaction").roll_up(quarter) == D("75")
    assert KPIDefinition.objects.get(code="market_share").roll_up(quarter) == D("50")


# Direction


@pytest.mark.parametrize(
    ("direction", "actual", "target", "expected"),
    [
        (Direction.HIGHER, D("110"), D("100"), True),
        (Direction.HIGHER, D("90"), D("100"), False),
        (Direction.HIGHER, D("100"), D("100"), False),
        (Direction.LOWER, D("90"), D("100"), True),
        (Direction.LOWER, D("110"), D("100"), False),
        (Direction.LOWER, D("100"), D("100"), False),
        (Direction.HIGHER, None, D("100"), False),
        (Direction.LOWER, D("1"), None, False),
    ],
)
def test_is_better_respects_the_direction(direction, actual, target, expected):
    assert is_better(direction, actual, target) is expected
    assert make_kpi(direction=direction).is_better(actual, target) is expected


def test_meeting_the_target_exactly_counts_as_met_in_both_directions():
    assert make_kpi(direction=Direction.HIGHER).meets(D("100"), D("100"))
    assert make_kpi(direction=Direction.LOWER).meets(D("100"), D("100"))
    assert make_kpi(direction=Direction.LOWER).meets(D("80"), D("100"))
    assert not make_kpi(direction=Direction.LOWER).meets(D("120"), D("100"))


# Validation and database constraints


@pytest.mark.django_db
def test_full_clean_rejects_a_duplicate_code_with_a_clear_message():
    kpi = make_kpi(code="revenue")

    with pytest.raises(ValidationError) as excinfo:
        kpi.full_clean()

    assert "Another KPI already has this code." in excinfo.value.messages


@pytest.mark.django_db
def test_database_rejects_a_duplicate_code():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_kpi(code="revenue").save()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "code", ["Revenue", "1revenue", "_revenue", "share-of-wallet", "net sales"]
)
def test_full_clean_rejects_a_badly_formed_code(code):
    with pytest.raises(ValidationError) as excinfo:
        make_kpi(code=code).full_clean()

    assert "code" in excinfo.value.message_dict
    assert "lowercase letters, digits and underscores" in excinfo.value.message_dict["code"][0]


@pytest.mark.django_db
def test_full_clean_accepts_a_well_formed_code():
    make_kpi(code="order_intake_2").full_clean()


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["unit", "direction", "rollup", "source"])
def test_database_rejects_a_value_outside_the_choices(field):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_kpi(**{field: "bogus"}).save()


# Names in the active language


def test_name_follows_the_active_language():
    kpi = make_kpi(name_en="Coordination effort", name_de="Koordinationsaufwand")

    with translation.override("de"):
        assert kpi.name == "Koordinationsaufwand"
        assert str(kpi) == "Koordinationsaufwand"
    with translation.override("en"):
        assert kpi.name == "Coordination effort"


def test_name_falls_back_to_english_when_the_german_name_is_missing():
    with translation.override("de"):
        assert make_kpi(name_en="Revenue", name_de="").name == "Revenue"


# Admin


@pytest.mark.django_db
def test_admin_lists_the_kpi_catalogue_for_an_administrator(client, administrator):
    client.force_login(administrator)

    response = client.get(reverse("admin:goals_kpidefinition_changelist"))

    assert response.status_code == 200
    assert b"coordination_effort" in response.content


@pytest.mark.django_db
def test_admin_kpi_form_loads_for_an_administrator(client, administrator):
    client.force_login(administrator)
    kpi = KPIDefinition.objects.get(code="revenue")

    response = client.get(kpi.get_absolute_url())

    assert response.status_code == 200


@pytest.mark.django_db
def test_admin_turns_a_key_account_manager_away_from_the_kpi_catalogue(client, owner):
    client.force_login(owner)

    response = client.get(reverse("admin:goals_kpidefinition_changelist"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
