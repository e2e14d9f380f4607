"""The pages of controlling runs: the overview with "run now", a run's page, its live
progress, and recomputing one account from its plan's actuals page; who may do what."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountStatus
from controlling.models import ControllingRun, GoalResult, RecomputeMark, RunKind, RunState
from controlling.services import runs
from goals.models import MonthlyTarget
from tests import access, factories

D = Decimal
MONTHS = [datetime.date(2027, month, 1) for month in range(1, 13)]

# Every URL of this module's views, with the method that matters (see
# test_actuals.test_every_controlling_url_is_covered).
URLS = [
    ("runs", "get"),
    ("run_start", "post"),
    ("run_detail", "get"),
    ("run_progress", "get"),
    ("plan_run", "post"),
]

MANAGERS = ["owner", "team_member", "outsider"]


@pytest.fixture(autouse=True)
def calendar_fiscal_year(settings):
    settings.KAM_FISCAL_YEAR_START_MONTH = 1


@pytest.fixture
def plan(account):
    plan = factories.AccountPlanFactory(account=account, fiscal_year=2027)
    goal = factories.GoalFactory(plan=plan, annual_target=D("1200.00"))
    MonthlyTarget.objects.bulk_create(
        MonthlyTarget(goal=goal, month=month, value=D("100.00")) for month in MONTHS
    )
    factories.ActualFactory(account=account, month=MONTHS[0], value=D("90.00"))
    return plan


def finished_run(**fields) -> ControllingRun:
    now = timezone.now()
    values = {
        "kind": RunKind.FULL,
        "state": RunState.FINISHED,
        "started_at": now,
        "finished_at": now,
        "goals_total": 4,
        "goals_done": 4,
        "chunks_total": 1,
        "chunks_done": 1,
        **fields,
    }
    return ControllingRun.objects.create(**values)


def polls(html: str) -> bool:
    return 'hx-trigger="every 1s"' in html


# --- the overview and "run now" ----------------------------------------------------------------


@pytest.mark.parametrize("persona", ["leadership", "administrator"])
def test_leadership_and_administrators_see_the_runs_and_may_run_now(
    client, plan, login_as, persona, django_capture_on_commit_callbacks
):
    user = login_as(persona)
    assert client.get(reverse("controlling:runs")).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("controlling:run_start"))

    run = ControllingRun.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("controlling:run_detail", args=[run.pk])
    assert run.kind == RunKind.FULL
    assert run.requested_by == user
    # Eager Celery: the run has finished by the time the page is shown.
    page = client.get(response.url).content.decode()
    assert 'data-state="finished"' in page
    assert "1 of 1 goals" in page
    assert not polls(page)
    assert GoalResult.objects.filter(goal__plan=plan).count() == 12


@pytest.mark.parametrize("persona", MANAGERS)
def test_managers_may_neither_see_the_runs_nor_run_everything(client, plan, login_as, persona):
    login_as(persona)

    assert client.get(reverse("controlling:runs")).status_code == 403
    assert client.post(reverse("controlling:run_start")).status_code == 403
    assert not ControllingRun.objects.exists()


def test_anonymous_visitors_are_sent_to_login(client, plan):
    run = finished_run()
    for response in (
        client.get(reverse("controlling:runs")),
        client.post(reverse("controlling:run_start")),
        client.get(reverse("controlling:run_detail", args=[run.pk])),
        client.get(reverse("controlling:run_progress", args=[run.pk])),
        client.post(reverse("controlling:plan_run", args=[plan.pk])),
    ):
        assert access.answer(response) == access.LOGIN
    assert ControllingRun.objects.count() == 1


def test_run_now_is_post_only(client, leadership):
    client.force_login(leadership)
    assert client.get(reverse("controlling:run_start")).status_code == 405


def test_run_now_while_a_full_run_is_under_way_shows_that_run(client, leadership, plan):
    running = ControllingRun.objects.create(
        kind=RunKind.NIGHTLY, state=RunState.RUNNING, started_at=timezone.now()
    )
    client.force_login(leadership)

    response = client.post(reverse("controlling:run_start"), follow=True)

    assert response.redirect_chain[-1][0] == running.get_absolute_url()
    assert "already under way" in response.content.decode()
    assert ControllingRun.objects.count() == 1


def test_the_overview_lists_runs_with_their_counts_and_the_waiting_accounts(
    client, leadership, administrator, account
):
    finished_run(requested_by=administrator, goals_total=40, goals_done=40)
    failed = finished_run(
        kind=RunKind.ACCOUNTS,
        state=RunState.FAILED,
        account_ids=[account.pk],
        goals_done=2,
        errors=[{"code": "failed", "chunk": 1, "accounts": 1, "detail": "ValueError: x"}],
    )
    runs.accounts_mark(account_ids=[account.pk], reason="import 3")
    client.force_login(leadership)

    page = client.get(reverse("controlling:runs")).content.decode()

    assert "40 of 40 goals" in page
    assert "2 of 4 goals" in page
    assert "1 error" in page
    assert f'data-run-row="{failed.pk}"' in page
    assert str(administrator) in page
    assert "Schedule or change" in page
    assert "1 account waits for recomputation" in page
    assert not polls(page)


def test_the_overview_has_an_empty_state(client, leadership):
    client.force_login(leadership)
    page = client.get(reverse("controlling:runs")).content.decode()
    assert 'id="runs-empty"' in page
    assert 'id="runs-waiting"' not in page


def test_the_overview_is_paginated_newest_first(client, leadership):
    created = [finished_run() for _ in range(30)]
    client.force_login(leadership)

    first = client.get(reverse("controlling:runs")).context["page"]
    second = client.get(reverse("controlling:runs"), {"page": 2}).context["page"]

    assert [run.pk for run in first.object_list] == [run.pk for run in reversed(created)][:25]
    assert len(second.object_list) == 5


def test_the_overview_costs_the_same_queries_for_many_runs(
    client, leadership, administrator, django_assert_max_num_queries
):
    client.force_login(leadership)
    for _ in range(2):
        finished_run(requested_by=administrator)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("controlling:runs")).status_code == 200
    for number in range(20):
        finished_run(requested_by=factories.UserFactory(username=f"requester{number}"))

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("controlling:runs"))
    assert len(response.context["page"].object_list) == 22


def test_the_navigation_links_the_runs_for_leadership_only(client, leadership, owner):
    link = f'href="{reverse("controlling:runs")}"'
    client.force_login(leadership)
    assert link in client.get(reverse("accounts:list")).content.decode()
    client.force_login(owner)
    assert link not in client.get(reverse("accounts:list")).content.decode()


# --- a run's page and its progress -------------------------------------------------------------


def test_the_progress_partial_polls_while_the_run_is_under_way_and_stops_when_it_ends(
    client, leadership
):
    run = ControllingRun.objects.create(
        kind=RunKind.FULL,
        state=RunState.RUNNING,
        started_at=timezone.now(),
        goals_total=200,
        goals_done=50,
        chunks_total=4,
        chunks_done=1,
    )
    client.force_login(leadership)
    url = reverse("controlling:run_progress", args=[run.pk])

    running = client.get(url).content.decode()
    assert polls(running)
    assert f'hx-get="{url}"' in running
    assert 'aria-valuenow="50"' in running
    assert "width: 25%" in running
    assert "50 of 200 goals" in running
    assert "1 of 4 chunks" in running

    ControllingRun.objects.filter(pk=run.pk).update(
        state=RunState.FINISHED, goals_done=200, chunks_done=4, finished_at=timezone.now()
    )
    finished = client.get(url).content.decode()
    assert not polls(finished)
    assert "width: 100%" in finished
    assert 'data-state="finished"' in finished


def test_a_manager_sees_the_runs_they_asked_for_and_no_others(
    client, owner, team_member, leadership
):
    mine = finished_run(kind=RunKind.ACCOUNTS, requested_by=owner)
    theirs = finished_run(kind=RunKind.ACCOUNTS, requested_by=team_member)
    nightly = finished_run(kind=RunKind.NIGHTLY)
    client.force_login(owner)

    for name in ("run_detail", "run_progress"):
        assert client.get(reverse(f"controlling:{name}", args=[mine.pk])).status_code == 200
        for other in (theirs, nightly):
            assert client.get(reverse(f"controlling:{name}", args=[other.pk])).status_code == 404

    client.force_login(leadership)
    for run in (mine, theirs, nightly):
        assert client.get(reverse("controlling:run_detail", args=[run.pk])).status_code == 200


def test_error_details_are_for_leadership_and_administrators(client, owner, administrator):
    run = finished_run(
        kind=RunKind.ACCOUNTS,
        state=RunState.FAILED,
        requested_by=owner,
        errors=[
            {"code": "failed", "chunk": 2, "accounts": 3, "detail": "ValueError: bad KPI"},
            {"code": "not_queued", "chunk": 3, "accounts": 1, "detail": "OperationalError: x"},
            {"code": "abandoned", "chunks": 4},
        ],
    )
    url = reverse("controlling:run_detail", args=[run.pk])

    client.force_login(administrator)
    page = client.get(url).content.decode()
    assert "Chunk 2 (3 accounts) failed." in page
    assert "ValueError: bad KPI" in page
    assert "Chunk 3 (1 accounts) could not be queued" in page
    assert "4 chunks were left undone" in page

    client.force_login(owner)
    page = client.get(url).content.decode()
    assert "3 errors" in page
    assert "ValueError" not in page
    assert 'id="run-errors-hidden"' in page


def test_an_unknown_run_is_404(client, leadership):
    client.force_login(leadership)
    assert client.get(reverse("controlling:run_detail", args=[999])).status_code == 404
    assert client.get(reverse("controlling:run_progress", args=[999])).status_code == 404


# --- recomputing one account from its plan -----------------------------------------------------


@pytest.mark.parametrize("persona", ["owner", "team_member", "administrator", "leadership"])
def test_who_may_enter_actuals_or_sees_all_accounts_may_recompute_the_account(
    client, plan, login_as, persona, django_capture_on_commit_callbacks
):
    user = login_as(persona)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("controlling:plan_run", args=[plan.pk]))

    run = ControllingRun.objects.get()
    actuals = reverse("controlling:plan_actuals", args=[plan.pk])
    assert response.status_code == 302
    assert response.url == f"{actuals}?run={run.pk}"
    assert (run.kind, run.account_ids, run.requested_by) == (
        RunKind.ACCOUNTS,
        [plan.account_id],
        user,
    )
    page = client.get(response.url).content.decode()
    assert f'data-run="{run.pk}"' in page
    assert 'data-state="finished"' in page
    assert GoalResult.objects.get(goal__plan=plan, month=MONTHS[0]).actual == D("90.00")


def test_an_outsider_gets_404_and_an_archived_account_403(client, plan, outsider, owner):
    client.force_login(outsider)
    assert client.post(reverse("controlling:plan_run", args=[plan.pk])).status_code == 404

    plan.account.status = AccountStatus.ARCHIVED
    plan.account.save()
    client.force_login(owner)
    assert client.post(reverse("controlling:plan_run", args=[plan.pk])).status_code == 403
    assert not ControllingRun.objects.exists()


def test_recompute_is_post_only(client, plan, owner):
    client.force_login(owner)
    assert client.get(reverse("controlling:plan_run", args=[plan.pk])).status_code == 405


def test_with_htmx_the_button_answers_with_the_polling_progress(
    client, plan, owner, django_capture_on_commit_callbacks
):
    client.force_login(owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("controlling:plan_run", args=[plan.pk]), headers={"HX-Request": "true"}
        )

    run = ControllingRun.objects.get()
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    # Rendered before the commit that queues the run; the next poll shows it finished.
    assert 'data-state="queued"' in html
    assert polls(html)
    progress = client.get(reverse("controlling:run_progress", args=[run.pk])).content.decode()
    assert 'data-state="finished"' in progress
    assert not polls(progress)


def test_the_actuals_page_offers_the_button_and_shows_a_waiting_account(
    client, plan, owner, leadership
):
    client.force_login(owner)
    page = client.get(reverse("controlling:plan_actuals", args=[plan.pk])).content.decode()
    assert 'id="plan-run"' in page
    assert 'id="recompute-waiting"' not in page

    runs.accounts_mark(account_ids=[plan.account_id], reason="import 1")
    page = client.get(reverse("controlling:plan_actuals", args=[plan.pk])).content.decode()
    assert 'id="recompute-waiting"' in page


def test_the_actuals_page_shows_only_a_run_the_user_may_see(client, plan, owner, team_member):
    theirs = finished_run(kind=RunKind.ACCOUNTS, requested_by=team_member)
    mine = finished_run(kind=RunKind.ACCOUNTS, requested_by=owner)
    url = reverse("controlling:plan_actuals", args=[plan.pk])
    client.force_login(owner)

    assert f'data-run="{mine.pk}"' in client.get(url, {"run": mine.pk}).content.decode()
    for value in (theirs.pk, "x", ""):
        page = client.get(url, {"run": value}).content.decode()
        assert not re.search(r'data-run="\d+"', page)


def test_saving_actuals_in_the_grid_recomputes_the_account(
    client, plan, owner, django_capture_on_commit_callbacks
):
    from controlling.selectors.actuals import cell_key

    kpi = plan.goals.get().kpi
    client.force_login(owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("controlling:plan_actuals", args=[plan.pk]),
            {cell_key(kpi.pk, MONTHS[1]): "130"},
            headers={"HX-Request": "true"},
        )

    assert response.status_code == 200
    assert GoalResult.objects.get(goal__plan=plan, month=MONTHS[1]).actual == D("130.00")
    assert ControllingRun.objects.get().account_ids == [plan.account_id]
    assert not RecomputeMark.objects.exists()


def test_the_admin_lists_runs_and_marks(client, administrator, account):
    finished_run()
    runs.accounts_mark(account_ids=[account.pk], reason="import 1")
    client.force_login(administrator)
    for name in ("controllingrun", "recomputemark"):
        response = client.get(reverse(f"admin:controlling_{name}_changelist"))
        assert response.status_code == 200
        assert response.context["cl"].result_count == 1
