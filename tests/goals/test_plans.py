"""Account plans, first slice: status quo and the SWOT (opportunities and risks).

Every URL in goals/urls.py is listed in URLS below as a read page, a write form or a write
POST; `test_every_plan_url_is_covered` fails when a URL is added without being listed.
"""

import datetime
from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountStatus
from goals import urls as goal_urls
from goals.models import AccountPlan, PlanStatus, SwotItem
from goals.selectors.plans import swot_grid
from goals.services.plans import plan_create
from kam.fiscal import fiscal_year_for
from tests import access, factories

DUPLICATE = "This account already has a plan for this fiscal year."


@pytest.fixture
def plan(account):
    return factories.AccountPlanFactory(account=account, fiscal_year=2027)


def snapshot() -> list:
    return [
        list(AccountPlan.objects.order_by("pk").values()),
        list(SwotItem.objects.order_by("pk").values()),
    ]


# --- the model and the service --------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "start_month", "expected"),
    [
        (datetime.date(2026, 1, 1), 1, 2026),
        (datetime.date(2026, 12, 31), 1, 2026),
        (datetime.date(2027, 1, 1), 1, 2027),
        (datetime.date(2026, 3, 31), 4, 2026),
        (datetime.date(2026, 4, 1), 4, 2027),
        (datetime.date(2027, 3, 31), 4, 2027),
        (datetime.date(2027, 4, 1), 4, 2028),
    ],
)
def test_fiscal_year_is_named_by_the_year_it_ends_in(day, start_month, expected):
    assert fiscal_year_for(day, start_month) == expected


def test_fiscal_year_follows_the_setting(settings):
    settings.KAM_FISCAL_YEAR_START_MONTH = 4
    assert fiscal_year_for(datetime.date(2026, 4, 1)) == 2027
    settings.KAM_FISCAL_YEAR_START_MONTH = 1
    assert fiscal_year_for(datetime.date(2026, 4, 1)) == 2026


def test_period_label(settings, plan):
    settings.KAM_FISCAL_YEAR_START_MONTH = 4
    assert plan.period_label == "FY 2027 (Apr 2026 – Mar 2027)"
    settings.KAM_FISCAL_YEAR_START_MONTH = 1
    assert plan.period_label == "FY 2027 (Jan 2027 – Dec 2027)"


def test_plan_create_refuses_a_second_plan_for_the_same_year(account, owner):
    plan_create(account=account, fiscal_year=2027, user=owner)
    with pytest.raises(ValidationError) as error:
        plan_create(account=account, fiscal_year=2027, user=owner)
    assert error.value.messages == [DUPLICATE]
    assert AccountPlan.objects.count() == 1


def test_plan_create_starts_a_draft(account, owner):
    plan = plan_create(account=account, fiscal_year=2027, user=owner)
    assert plan.status == PlanStatus.DRAFT
    assert plan.created_by == owner
    assert plan.is_editable


@pytest.mark.parametrize(
    ("status", "editable"),
    [
        (PlanStatus.DRAFT, True),
        (PlanStatus.SUBMITTED, False),
        (PlanStatus.APPROVED, False),
        (PlanStatus.RETURNED, True),
    ],
)
def test_plan_is_editable_only_in_draft_or_returned(status, editable):
    assert AccountPlan(status=status).is_editable is editable


def test_database_refuses_duplicate_plan_and_out_of_range_values(plan):
    for values in (
        {"account": plan.account, "fiscal_year": plan.fiscal_year},
        {"account": plan.account, "fiscal_year": 2040, "share_of_wallet": 101},
        {"account": plan.account, "fiscal_year": 1999},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            AccountPlan.objects.create(created_by=plan.created_by, **values)


@pytest.mark.parametrize("field", ["impact", "probability"])
@pytest.mark.parametrize("value", [0, 6])
def test_database_refuses_ratings_outside_1_to_5(plan, field, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.SwotItemFactory(plan=plan, **{field: value})


def test_swot_quadrants_are_ranked_by_impact_times_probability(plan):
    low = factories.SwotItemFactory(plan=plan, kind="strength", impact=1, probability=2)
    high = factories.SwotItemFactory(plan=plan, kind="strength", impact=5, probability=4)
    middle = factories.SwotItemFactory(plan=plan, kind="strength", impact=2, probability=5)
    threat = factories.SwotItemFactory(plan=plan, kind="threat", impact=5, probability=5)
    grid = swot_grid(plan=plan)
    assert [q.kind for q in grid] == ["strength", "weakness", "opportunity", "threat"]
    assert grid[0].items == [high, middle, low]
    assert [item.score for item in grid[0].items] == [20, 10, 2]
    assert grid[1].items == []
    assert grid[3].items == [threat]


# --- pages and forms ------------------------------------------------------------------------


def test_plan_list_shows_newest_year_first_and_offers_next_year(client, owner, account, settings):
    settings.KAM_FISCAL_YEAR_START_MONTH = 1
    factories.AccountPlanFactory(account=account, fiscal_year=2025)
    factories.AccountPlanFactory(account=account, fiscal_year=2027)
    client.force_login(owner)
    response = client.get(reverse("goals:plan_list", args=[account.pk]))
    assert [p.fiscal_year for p in response.context["plans"]] == [2027, 2025]
    next_year = timezone.localdate().year + 1
    assert response.context["form"]["fiscal_year"].value() == next_year


def test_plan_list_empty_state(client, owner, account):
    client.force_login(owner)
    html = client.get(reverse("goals:plan_list", args=[account.pk])).content.decode()
    assert "No account plan yet." in html
    assert reverse("goals:plan_list", args=[account.pk]) in html  # the Plans tab


def test_it_creates_a_plan(client, owner, account):
    client.force_login(owner)
    response = client.post(reverse("goals:plan_list", args=[account.pk]), {"fiscal_year": 2028})
    plan = AccountPlan.objects.get()
    assert response.status_code == 302
    assert response.url == plan.get_absolute_url()
    assert (plan.account, plan.fiscal_year, plan.created_by) == (account, 2028, owner)


def test_it_refuses_a_second_plan_for_the_same_year_with_a_form_error(client, owner, plan):
    client.force_login(owner)
    before = snapshot()
    response = client.post(
        reverse("goals:plan_list", args=[plan.account.pk]), {"fiscal_year": plan.fiscal_year}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["fiscal_year"] == [DUPLICATE]
    assert DUPLICATE in response.content.decode()
    assert snapshot() == before


def test_it_refuses_share_of_wallet_above_100(client, owner, plan):
    client.force_login(owner)
    before = snapshot()
    response = client.post(
        reverse("goals:status_quo_edit", args=[plan.pk]), {"share_of_wallet": "101"}
    )
    assert response.status_code == 200
    assert "share_of_wallet" in response.context["form"].errors
    assert snapshot() == before


def test_it_saves_the_status_quo(client, owner, plan):
    client.force_login(owner)
    response = client.post(
        reverse("goals:status_quo_edit", args=[plan.pk]),
        {
            "prior_year_revenue": "1250000.00",
            "contribution_margin": "310000.50",
            "share_of_wallet": "35.5",
            "product_groups_served": "Gear motors",
            "sites_served": "Bremen",
            "relationship_summary": "Good at purchasing level.",
            "narrative": "Single-product supplier so far.",
        },
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert str(plan.share_of_wallet) == "35.50"
    assert plan.narrative == "Single-product supplier so far."
    html = client.get(plan.get_absolute_url()).content.decode()
    assert "35.5%" in html  # a percentage as English writes it
    assert "Single-product supplier so far." in html


@pytest.mark.parametrize("field", ["impact", "probability"])
@pytest.mark.parametrize("value", ["0", "6"])
def test_it_refuses_ratings_outside_1_to_5(client, owner, plan, field, value):
    client.force_login(owner)
    data = {"kind": "threat", "text": "New competitor", "impact": "3", "probability": "3"}
    data[field] = value
    response = client.post(reverse("goals:swot_create", args=[plan.pk]), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not SwotItem.objects.exists()


def test_plan_detail_shows_the_swot_grid_ranked(client, owner, plan):
    factories.SwotItemFactory(plan=plan, kind="opportunity", text="Low", impact=1, probability=1)
    factories.SwotItemFactory(plan=plan, kind="opportunity", text="High", impact=5, probability=5)
    client.force_login(owner)
    html = client.get(plan.get_absolute_url()).content.decode()
    assert html.index("High") < html.index("Low")
    for label in ("Strengths", "Weaknesses", "Opportunities", "Threats", "Nothing recorded yet."):
        assert label in html


def test_plan_detail_query_count_does_not_grow_with_swot_items(
    client, owner, plan, django_assert_max_num_queries
):
    client.force_login(owner)
    for kind in ("strength", "threat"):
        factories.SwotItemFactory(plan=plan, kind=kind)
    with CaptureQueriesContext(connection) as two_items:
        assert client.get(plan.get_absolute_url()).status_code == 200
    for index in range(18):
        factories.SwotItemFactory(plan=plan, kind=["weakness", "opportunity"][index % 2])
    with django_assert_max_num_queries(len(two_items.captured_queries)):
        response = client.get(plan.get_absolute_url())
    assert sum(len(q.items) for q in response.context["swot"]) == 20


# --- who may see and change what ------------------------------------------------------------


@dataclass
class World:
    plan: AccountPlan
    item: SwotItem
    other_item: SwotItem  # on another plan of the same account


@pytest.fixture
def world(plan, outsider) -> World:
    factories.KeyAccountFactory(owner=outsider, name="Meridian Foods")
    other_plan = factories.AccountPlanFactory(account=plan.account, fiscal_year=2026)
    return World(
        plan=plan,
        item=factories.SwotItemFactory(plan=plan, kind="strength"),
        other_item=factories.SwotItemFactory(plan=other_plan, kind="weakness"),
    )


SWOT_DATA = {"kind": "opportunity", "text": "Service contract", "impact": "4", "probability": "3"}

# (url name, arguments from the world, method, POST data); read pages first.
URLS = [
    ("plan_list", lambda w: [w.plan.account.pk], "get", None),
    ("plan_detail", lambda w: [w.plan.pk], "get", None),
    ("plan_list", lambda w: [w.plan.account.pk], "post", {"fiscal_year": "2029"}),
    ("status_quo_edit", lambda w: [w.plan.pk], "get", None),
    ("status_quo_edit", lambda w: [w.plan.pk], "post", {"share_of_wallet": "40"}),
    ("swot_create", lambda w: [w.plan.pk], "get", None),
    ("swot_create", lambda w: [w.plan.pk], "post", SWOT_DATA),
    ("swot_edit", lambda w: [w.plan.pk, w.item.pk], "get", None),
    ("swot_edit", lambda w: [w.plan.pk, w.item.pk], "post", SWOT_DATA),
    ("swot_delete", lambda w: [w.plan.pk, w.item.pk], "post", {}),
]
READS = {("plan_list", "get"), ("plan_detail", "get")}
IDS = [f"{name}-{method}" for name, _, method, _ in URLS]


def test_every_plan_url_is_covered():
    served_here = {
        p.name for p in goal_urls.urlpatterns if p.callback.__module__ == "goals.views.plans"
    }
    assert served_here == {name for name, *_ in URLS}


def request(client, world, name, args, method, data):
    url = reverse(f"goals:{name}", args=args(world))
    return client.post(url, data) if method == "post" else client.get(url)


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


@pytest.mark.parametrize("name", ["swot_edit", "swot_delete"])
def test_swot_item_of_another_plan_is_404(client, world, owner, name):
    client.force_login(owner)
    before = snapshot()
    url = reverse(f"goals:{name}", args=[world.plan.pk, world.other_item.pk])
    assert client.post(url, SWOT_DATA).status_code == 404
    assert snapshot() == before


PLAN_WRITES = [(n, a, m, d) for n, a, m, d in URLS if n != "plan_list" and (n, m) not in READS]


@pytest.mark.parametrize("status", [PlanStatus.SUBMITTED, PlanStatus.APPROVED])
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


def test_returned_plan_can_be_edited_again(client, world, owner):
    AccountPlan.objects.filter(pk=world.plan.pk).update(status=PlanStatus.RETURNED)
    client.force_login(owner)
    url = reverse("goals:status_quo_edit", args=[world.plan.pk])
    assert client.post(url, {"share_of_wallet": "40"}).status_code == 302


def test_it_refuses_edit_of_plan_on_archived_account(client, world, owner):
    world.plan.account.status = AccountStatus.ARCHIVED
    world.plan.account.save()
    client.force_login(owner)
    before = snapshot()
    url = reverse("goals:swot_create", args=[world.plan.pk])
    assert client.post(url, SWOT_DATA).status_code == 403
    url = reverse("goals:plan_list", args=[world.plan.account.pk])
    assert client.post(url, {"fiscal_year": "2029"}).status_code == 403
    assert snapshot() == before


def test_approved_plan_shows_no_edit_links(client, world, owner):
    AccountPlan.objects.filter(pk=world.plan.pk).update(status=PlanStatus.APPROVED)
    client.force_login(owner)
    html = client.get(world.plan.get_absolute_url()).content.decode()
    assert reverse("goals:status_quo_edit", args=[world.plan.pk]) not in html
    assert reverse("goals:swot_create", args=[world.plan.pk]) not in html


def test_plan_detail_in_german(client, owner, plan, settings):
    settings.KAM_FISCAL_YEAR_START_MONTH = 4
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    client.force_login(owner)
    html = client.get(plan.get_absolute_url()).content.decode()
    for label in ("GJ 2027", "Status quo – Wo stehen wir?", "Chancen und Risiken", "Stärken"):
        assert label in html
    assert "Opportunities and risks" not in html


def test_every_goals_url_is_served_by_an_area_with_its_own_access_tests():
    # Each area's test module guards its own URLs (test_every_*_url_is_covered); a new views
    # module needs such a guard before it joins this list.
    guarded = {
        f"goals.views.{area}" for area in ("plans", "goals", "measures", "workflow", "selling")
    }
    guarded.add("goals.views.templates")
    # Guarded with goals.views.selling by test_selling.test_every_selling_url_is_covered.
    guarded |= {"goals.views.pipeline", "goals.views.selling_io"}
    assert {p.callback.__module__ for p in goal_urls.urlpatterns} <= guarded
