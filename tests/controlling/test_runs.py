"""The controlling run's orchestration: chunks, progress, marks, faults and a real worker.

Celery runs eagerly here (the test settings have no broker), so a dispatched chunk runs in
the test's process; `started` executes the on_commit callbacks that dispatch it. The test
against a real worker on Redis is at the end.
"""

import datetime
import logging
import time
from decimal import Decimal

import pytest
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from accounts.models import AccountStatus
from controlling import tasks
from controlling.models import (
    AccountFigures,
    ActualImport,
    ChunkState,
    ControllingRun,
    ControllingRunChunk,
    GoalResult,
    GoalState,
    RecomputeMark,
    RunKind,
    RunState,
)
from controlling.services import computed, engine, runs
from controlling.services.actuals import actuals_save
from controlling.services.imports import ImportRow, actuals_import_apply, actuals_import_rollback
from goals.models import MonthlyTarget, PlanStatus
from goals.services.goals import targets_save
from goals.services.workflow import plan_approve
from kam import kept
from tests import factories
from tests.conftest import forget_connections

D = Decimal
YEAR = 2027
MONTHS = [datetime.date(YEAR, month, 1) for month in range(1, 13)]


@pytest.fixture(autouse=True)
def calendar_fiscal_year(settings):
    settings.KAM_FISCAL_YEAR_START_MONTH = 1


def planned_account(name: str, *, goals: int = 1, actuals: bool = True, **account):
    """An account with a 2027 plan of `goals` revenue goals (100 a month) and, if asked,
    actuals of 90 in January to March."""
    account = factories.KeyAccountFactory(name=name, **account)
    plan = factories.AccountPlanFactory(account=account, fiscal_year=YEAR)
    for _ in range(goals):
        goal = factories.GoalFactory(plan=plan, annual_target=D("1200.00"))
        MonthlyTarget.objects.bulk_create(
            MonthlyTarget(goal=goal, month=month, value=D("100.00")) for month in MONTHS
        )
    if actuals:
        for month in MONTHS[:3]:
            factories.ActualFactory(account=account, month=month, value=D("90.00"))
    return account


def started(capture, **kwargs) -> ControllingRun:
    """run_start, with the dispatch that would follow the commit executed."""
    with capture(execute=True):
        run = runs.run_start(**kwargs)
    run.refresh_from_db()
    return run


def results() -> list[tuple]:
    """Every stored figure, without ids and timestamps, in a stable order."""
    fields = [f.name for f in GoalResult._meta.fields if f.name not in ("id", "computed_at")]
    return list(GoalResult.objects.order_by("goal_id", "month").values_list(*fields))


def states() -> list[tuple]:
    fields = [
        f.attname
        for f in GoalState._meta.fields
        if f.name not in ("computed_at", "status_changed_at")
    ]
    return list(GoalState.objects.order_by("goal_id").values_list(*fields))


@pytest.fixture
def three(db):
    """Three accounts with one, two and three goals."""
    return [
        planned_account("Nordwerk", goals=1),
        planned_account("Meridian", goals=2),
        planned_account("Hanse Logistik", goals=3),
    ]


# --- a run and its chunks ----------------------------------------------------------------------


def test_a_full_run_computes_every_goal_in_chunks_and_counts_its_progress(
    three, settings, django_capture_on_commit_callbacks
):
    settings.KAM_CONTROLLING_CHUNK_SIZE = 2

    run = started(django_capture_on_commit_callbacks, kind=RunKind.FULL)

    assert run.state == RunState.FINISHED
    assert (run.goals_done, run.goals_total) == (6, 6)
    assert (run.chunks_done, run.chunks_total) == (2, 2)
    assert run.errors == []
    assert run.started_at <= run.finished_at
    chunks = list(run.chunks.values_list("account_ids", "goals_total", "state"))
    ids = sorted(account.pk for account in three)
    assert chunks == [(ids[:2], 3, ChunkState.DONE), (ids[2:], 3, ChunkState.DONE)]
    assert GoalResult.objects.count() == 6 * 12
    january = GoalResult.objects.filter(month=MONTHS[0]).first()
    assert (january.plan, january.actual, january.deviation) == (D("100"), D("90"), D("-10"))


def test_a_full_run_takes_unarchived_accounts_and_every_marked_account(
    db, settings, django_capture_on_commit_callbacks
):
    active = planned_account("Nordwerk")
    on_hold = planned_account("Meridian", status=AccountStatus.ON_HOLD)
    archived = planned_account("Altbau", status=AccountStatus.ARCHIVED)
    archived_marked = planned_account("Altbau Zwei", status=AccountStatus.ARCHIVED)
    # Without a plan: nothing to compute, but its revenue and selling positions are figures
    # of the dashboard.
    planless = factories.KeyAccountFactory(name="Without plan")
    runs.accounts_mark(account_ids=[archived_marked.pk], reason="test")

    run = started(django_capture_on_commit_callbacks, kind=RunKind.FULL)

    (chunk,) = run.chunks.all()
    expected = [active.pk, on_hold.pk, archived_marked.pk, planless.pk]
    assert sorted(chunk.account_ids) == sorted(expected)
    assert archived.pk not in chunk.account_ids
    assert not RecomputeMark.objects.exists()


def test_an_accounts_run_takes_the_given_accounts_and_the_marked_ones(
    three, django_capture_on_commit_callbacks
):
    first, second, third = three
    runs.accounts_mark(account_ids=[third.pk], reason="broker was down")

    run = started(django_capture_on_commit_callbacks, kind=RunKind.ACCOUNTS, account_ids=[first.pk])

    assert run.account_ids == [first.pk]
    assert run.chunks.get().account_ids == sorted([first.pk, third.pk])
    assert (run.goals_done, run.goals_total) == (4, 4)
    assert not GoalResult.objects.filter(goal__plan__account=second).exists()
    assert not RecomputeMark.objects.exists()


def test_a_run_without_any_account_is_finished_at_once(db, django_capture_on_commit_callbacks):
    run = started(django_capture_on_commit_callbacks, kind=RunKind.FULL)

    assert run.state == RunState.FINISHED
    assert (run.chunks_total, run.goals_total) == (0, 0)
    assert run.finished_at is not None


def test_run_start_refuses_a_kind_that_does_not_match_the_accounts(db):
    with pytest.raises(ValueError):
        runs.run_start(kind=RunKind.ACCOUNTS)
    with pytest.raises(ValueError):
        runs.run_start(kind=RunKind.FULL, account_ids=[1])


def test_chunk_size_one_and_a_thousand_give_identical_results(
    three, settings, django_capture_on_commit_callbacks
):
    settings.KAM_CONTROLLING_CHUNK_SIZE = 1
    small = started(django_capture_on_commit_callbacks, kind=RunKind.FULL)
    by_one, states_by_one = results(), states()
    GoalResult.objects.all().delete()
    GoalState.objects.all().delete()

    settings.KAM_CONTROLLING_CHUNK_SIZE = 1000
    large = started(django_capture_on_commit_callbacks, kind=RunKind.FULL)

    assert (small.chunks_total, large.chunks_total) == (3, 1)
    assert len(by_one) == 6 * 12
    assert results() == by_one
    assert states() == states_by_one


def test_a_running_full_run_is_not_started_twice(three, django_capture_on_commit_callbacks):
    running = ControllingRun.objects.create(
        kind=RunKind.NIGHTLY, state=RunState.RUNNING, started_at=timezone.now()
    )

    assert runs.run_start(kind=RunKind.FULL) == running
    assert runs.run_start(kind=RunKind.NIGHTLY) == running
    # A run for some accounts does not wait for it: their change may have come too late.
    other = started(
        django_capture_on_commit_callbacks, kind=RunKind.ACCOUNTS, account_ids=[three[0].pk]
    )
    assert other != running
    assert other.state == RunState.FINISHED


def test_a_finished_full_run_does_not_stop_the_next(three, django_capture_on_commit_callbacks):
    first = started(django_capture_on_commit_callbacks, kind=RunKind.FULL)
    second = started(django_capture_on_commit_callbacks, kind=RunKind.FULL)

    assert first != second
    assert second.state == RunState.FINISHED


# --- faults ------------------------------------------------------------------------------------


def test_a_killed_run_is_abandoned_and_a_rerun_repairs_what_it_left(
    three, settings, django_capture_on_commit_callbacks
):
    started(django_capture_on_commit_callbacks, kind=RunKind.FULL)
    expected, expected_states = results(), states()
    # A worker died mid-run two hours ago: the run stuck in "running", a chunk never
    # counted, and some results lost.
    long_ago = timezone.now() - datetime.timedelta(hours=2)
    killed = ControllingRun.objects.create(
        kind=RunKind.FULL, state=RunState.RUNNING, chunks_total=1, goals_total=6
    )
    ControllingRun.objects.filter(pk=killed.pk).update(created_at=long_ago, started_at=long_ago)
    ControllingRunChunk.objects.create(
        run=killed, number=1, account_ids=[a.pk for a in three], goals_total=6
    )
    GoalResult.objects.filter(goal__plan__account=three[2]).delete()
    GoalResult.objects.filter(month__gte=MONTHS[6]).delete()
    GoalState.objects.filter(goal__plan__account=three[1]).delete()
    settings.KAM_CONTROLLING_RUN_STALE_MINUTES = 60

    rerun = started(django_capture_on_commit_callbacks, kind=RunKind.FULL)

    assert rerun != killed
    assert rerun.state == RunState.FINISHED
    killed.refresh_from_db()
    assert killed.state == RunState.FAILED
    assert [error["code"] for error in killed.errors] == [runs.ERROR_ABANDONED]
    assert killed.chunks.get().state == ChunkState.FAILED
    assert results() == expected
    assert states() == expected_states


def test_a_run_with_recent_progress_is_not_abandoned(three, settings):
    settings.KAM_CONTROLLING_RUN_STALE_MINUTES = 60
    long_ago = timezone.now() - datetime.timedelta(hours=3)
    running = ControllingRun.objects.create(kind=RunKind.FULL, state=RunState.RUNNING)
    ControllingRun.objects.filter(pk=running.pk).update(created_at=long_ago, started_at=long_ago)
    ControllingRunChunk.objects.create(
        run=running,
        number=1,
        state=ChunkState.DONE,
        finished_at=timezone.now() - datetime.timedelta(minutes=5),
    )

    assert runs.run_start(kind=RunKind.FULL) == running


def test_a_failing_chunk_records_its_error_in_the_run_and_keeps_its_marks(
    three, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.KAM_CONTROLLING_CHUNK_SIZE = 1
    broken = three[1]
    runs.accounts_mark(account_ids=[a.pk for a in three], reason="import 1")
    compute = engine.compute_goals

    def compute_goals(*, account_ids, **kwargs):
        if broken.pk in account_ids:
            raise ValueError("division by zero in KPI revenue")
        return compute(account_ids=account_ids, **kwargs)

    monkeypatch.setattr(engine, "compute_goals", compute_goals)

    run = started(django_capture_on_commit_callbacks, kind=RunKind.FULL)

    assert run.state == RunState.FAILED
    assert (run.chunks_done, run.chunks_total) == (3, 3)
    assert (run.goals_done, run.goals_total) == (4, 6)
    (error,) = run.errors
    assert error["code"] == runs.ERROR_FAILED
    assert error["detail"] == "ValueError: division by zero in KPI revenue"
    assert error["accounts"] == 1
    failed = run.chunks.get(state=ChunkState.FAILED)
    assert failed.account_ids == [broken.pk]
    assert list(RecomputeMark.objects.values_list("account_id", flat=True)) == [broken.pk]
    assert not GoalResult.objects.filter(goal__plan__account=broken).exists()
    assert GoalResult.objects.filter(goal__plan__account=three[2]).count() == 3 * 12

    # Fixed: the next run computes the account and clears its mark.
    monkeypatch.setattr(engine, "compute_goals", compute)
    started(django_capture_on_commit_callbacks, kind=RunKind.FULL)
    assert GoalResult.objects.filter(goal__plan__account=broken).count() == 2 * 12
    assert not RecomputeMark.objects.exists()


def test_a_database_hiccup_is_retried_and_the_run_finishes(
    three, monkeypatch, django_capture_on_commit_callbacks
):
    compute = engine.compute_goals
    calls = []

    def compute_goals(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return compute(**kwargs)

    monkeypatch.setattr(engine, "compute_goals", compute_goals)

    run = started(django_capture_on_commit_callbacks, kind=RunKind.FULL)

    assert len(calls) == 2
    assert run.state == RunState.FINISHED
    assert run.errors == []
    assert (run.goals_done, run.chunks_done) == (6, 1)


def test_a_redelivered_chunk_recomputes_but_is_counted_once(
    three, django_capture_on_commit_callbacks
):
    run = started(django_capture_on_commit_callbacks, kind=RunKind.FULL)
    expected = results()
    GoalResult.objects.filter(goal__plan__account=three[0]).delete()

    assert runs.chunk_run(chunk_id=run.chunks.get().pk) == 6

    again = ControllingRun.objects.get(pk=run.pk)
    assert (again.goals_done, again.chunks_done, again.state) == (6, 1, RunState.FINISHED)
    assert again.finished_at == run.finished_at
    assert results() == expected


def test_a_chunk_whose_run_was_deleted_does_nothing(three):
    run = runs.run_start(kind=RunKind.FULL)
    chunk_id = run.chunks.get().pk
    run.delete()

    assert runs.chunk_run(chunk_id=chunk_id) == 0
    assert not GoalResult.objects.exists()


def test_a_mark_set_while_a_chunk_computes_stays_for_the_next_run(
    three, monkeypatch, django_capture_on_commit_callbacks
):
    account = three[0]
    runs.accounts_mark(account_ids=[account.pk], reason="import 1")
    compute = engine.compute_goals

    def compute_goals(**kwargs):
        # Another import of the same account commits while this chunk computes.
        later = timezone.now() + datetime.timedelta(seconds=1)
        RecomputeMark.objects.filter(account=account).update(marked_at=later, reason="import 2")
        return compute(**kwargs)

    monkeypatch.setattr(engine, "compute_goals", compute_goals)

    run = started(django_capture_on_commit_callbacks, kind=RunKind.FULL)

    assert run.state == RunState.FINISHED
    assert RecomputeMark.objects.get().reason == "import 2"


def test_computed_actuals_are_refreshed_for_the_current_month_before_the_goals(
    three, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []
    refresh, compute = computed.computed_actuals_refresh, engine.compute_goals

    def computed_actuals_refresh(**kwargs):
        calls.append(("refresh", sorted(kwargs["account_ids"]), kwargs["month"]))
        return refresh(**kwargs)

    def compute_goals(**kwargs):
        calls.append(("goals", sorted(kwargs["account_ids"])))
        return compute(**kwargs)

    monkeypatch.setattr(computed, "computed_actuals_refresh", computed_actuals_refresh)
    monkeypatch.setattr(engine, "compute_goals", compute_goals)

    started(django_capture_on_commit_callbacks, kind=RunKind.NIGHTLY)

    ids = sorted(a.pk for a in three)
    assert calls == [
        ("refresh", ids, timezone.localdate().replace(day=1)),
        ("goals", ids),
    ]


# --- marking and dispatch after changes ---------------------------------------------------------


def revenue():
    return factories.revenue_kpi()


def import_rows(account, kpi, value="120.00") -> list[ImportRow]:
    return [
        ImportRow(row_number=2 + i, account_id=account.pk, kpi_id=kpi.pk, month=m, value=D(value))
        for i, m in enumerate(MONTHS[3:5])
    ]


def test_an_import_marks_its_accounts_and_runs_them_after_the_commit(
    three, owner, django_capture_on_commit_callbacks
):
    account = three[1]
    kpi = factories.revenue_kpi()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        actuals_import_apply(file_name="erp.csv", rows=import_rows(account, kpi), user=owner)
        # Marked inside the transaction, before anything is queued.
        assert RecomputeMark.objects.filter(account=account).exists()
        assert not ControllingRun.objects.exists()
    assert len(callbacks) == 1
    with django_capture_on_commit_callbacks(execute=True):
        callbacks[0]()

    run = ControllingRun.objects.get()
    assert (run.kind, run.account_ids, run.state) == (RunKind.ACCOUNTS, [account.pk], "finished")
    april = GoalResult.objects.filter(goal__plan__account=account, month=MONTHS[3])
    assert {result.actual for result in april} == {D("120.00")}
    assert not RecomputeMark.objects.exists()


def test_an_import_that_changes_nothing_starts_no_run(
    three, owner, django_capture_on_commit_callbacks
):
    account = three[0]
    with django_capture_on_commit_callbacks(execute=True):
        actuals_import_apply(file_name="a.csv", rows=import_rows(account, revenue()), user=owner)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        actuals_import_apply(file_name="a.csv", rows=import_rows(account, revenue()), user=owner)

    assert callbacks == []
    assert ControllingRun.objects.count() == 1


@pytest.fixture
def broker_down():
    """Celery as in production, sending to a broker that refuses connections."""
    app = tasks.compute_chunk.app
    saved = {key: app.conf[key] for key in ("broker_url", "result_backend", "task_always_eager")}
    # Nothing listens on port 1, so every connection attempt is refused at once. The result
    # store is on the broker, as in production.
    closed = "redis://127.0.0.1:1/0"
    app.conf.update(broker_url=closed, result_backend=closed, task_always_eager=False)
    forget_connections(app)
    yield app
    app.conf.update(saved)
    forget_connections(app)
    # The queues and routes, built from the settings at the first send; a real worker's
    # fixture later sets a queue of its own.
    app.__dict__.pop("amqp", None)


def test_with_the_broker_down_an_import_commits_and_the_next_run_computes_it(
    three, owner, broker_down, caplog, django_capture_on_commit_callbacks
):
    account = three[2]

    with (
        caplog.at_level(logging.WARNING, logger="controlling.services.runs"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        actual_import = actuals_import_apply(
            file_name="erp.csv", rows=import_rows(account, revenue()), user=owner
        )

    # The import committed and the account waits, marked.
    assert ActualImport.objects.get() == actual_import
    assert account.actuals.filter(month=MONTHS[3], value=D("120.00")).exists()
    assert list(RecomputeMark.objects.values_list("account_id", flat=True)) == [account.pk]
    assert not GoalResult.objects.exists()
    failed = ControllingRun.objects.get()
    assert failed.state == RunState.FAILED
    assert [error["code"] for error in failed.errors] == [runs.ERROR_NOT_QUEUED]
    assert failed.errors[0]["detail"].startswith("OperationalError")
    assert "stay marked" in caplog.text

    # The broker is back; the nightly run picks the account up.
    broker_down.conf.task_always_eager = True
    nightly = started(django_capture_on_commit_callbacks, kind=RunKind.NIGHTLY)

    assert nightly.state == RunState.FINISHED
    april = GoalResult.objects.filter(goal__plan__account=account, month=MONTHS[3])
    assert {result.actual for result in april} == {D("120.00")}
    assert not RecomputeMark.objects.exists()


def test_with_the_broker_down_no_further_chunk_is_tried(
    three, settings, monkeypatch, broker_down, django_capture_on_commit_callbacks
):
    settings.KAM_CONTROLLING_CHUNK_SIZE = 1
    attempts = []
    apply_async = tasks.compute_chunk.apply_async

    def counted(*args, **kwargs):
        attempts.append(args)
        return apply_async(*args, **kwargs)

    monkeypatch.setattr(tasks.compute_chunk, "apply_async", counted)

    run = started(django_capture_on_commit_callbacks, kind=RunKind.FULL)

    assert len(attempts) == 1
    assert run.state == RunState.FAILED
    assert (run.chunks_done, run.chunks_total) == (3, 3)
    assert set(run.chunks.values_list("state", flat=True)) == {ChunkState.FAILED}


def test_a_failure_to_start_the_run_leaves_the_change_committed_and_marked(
    three, owner, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def broken(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(runs, "run_start", broken)
    with (
        caplog.at_level(logging.WARNING, logger="controlling.services.runs"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        actuals_save(account=three[0], values={(revenue().pk, MONTHS[5]): D("7")}, user=owner)

    assert three[0].actuals.filter(month=MONTHS[5]).exists()
    assert RecomputeMark.objects.filter(account=three[0]).exists()
    assert "stay marked" in caplog.text


def test_a_rollback_and_the_actuals_grid_mark_and_run_their_accounts(
    three, owner, django_capture_on_commit_callbacks
):
    account = three[0]
    with django_capture_on_commit_callbacks(execute=True):
        actual_import = actuals_import_apply(
            file_name="erp.csv", rows=import_rows(account, revenue()), user=owner
        )
    with django_capture_on_commit_callbacks(execute=True):
        actuals_import_rollback(actual_import=actual_import, user=owner)
    assert not GoalResult.objects.filter(
        goal__plan__account=account, month=MONTHS[3], actual__isnull=False
    ).exists()

    with django_capture_on_commit_callbacks(execute=True):
        actuals_save(account=account, values={(revenue().pk, MONTHS[3]): D("55")}, user=owner)

    assert ControllingRun.objects.filter(kind=RunKind.ACCOUNTS).count() == 3
    assert set(ControllingRun.objects.values_list("state", flat=True)) == {RunState.FINISHED}
    april = GoalResult.objects.get(goal__plan__account=account, month=MONTHS[3])
    assert april.actual == D("55.00")


def test_changes_in_one_transaction_share_one_run(three, owner, django_capture_on_commit_callbacks):
    first, second, _third = three
    goal = first.plans.get().goals.get()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        targets_save(goal=goal, values=dict.fromkeys(MONTHS, D("80.00")))
        actuals_save(account=second, values={(revenue().pk, MONTHS[5]): D("7")}, user=owner)
        actuals_save(account=first, values={(revenue().pk, MONTHS[6]): D("8")}, user=owner)

    run = ControllingRun.objects.get()
    assert run.account_ids == sorted([first.pk, second.pk])
    assert GoalResult.objects.get(goal=goal, month=MONTHS[0]).plan == D("80.00")


def test_a_change_rolled_back_leaves_no_mark_and_starts_no_run(
    three, owner, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        actuals_save(account=three[0], values={(revenue().pk, MONTHS[5]): D("7")}, user=owner)
        raise RuntimeError

    assert callbacks == []
    assert not RecomputeMark.objects.exists()


def test_target_grid_saves_and_plan_approval_mark_the_account(three, leadership):
    first, second, _third = three
    goal = first.plans.get().goals.get()

    targets_save(goal=goal, values=dict.fromkeys(MONTHS, D("80.00")))
    assert RecomputeMark.objects.get().account == first

    plan = second.plans.get()
    plan.status = PlanStatus.SUBMITTED
    plan.save()
    plan_approve(plan=plan, user=leadership)

    assert set(RecomputeMark.objects.values_list("account_id", flat=True)) == {
        first.pk,
        second.pk,
    }
    assert RecomputeMark.objects.get(account=second).reason == "plan approved"


def test_marking_again_renews_the_mark(three):
    runs.accounts_mark(account_ids=[three[0].pk], reason="import 1")
    first = RecomputeMark.objects.get()

    runs.accounts_mark(account_ids=[three[0].pk, three[0].pk], reason="import 2")

    again = RecomputeMark.objects.get()
    assert again.reason == "import 2"
    assert again.marked_at >= first.marked_at


# --- the nightly run ----------------------------------------------------------------------------


def test_the_nightly_task_runs_every_account_and_deletes_old_runs(
    three, settings, django_capture_on_commit_callbacks
):
    settings.KAM_CONTROLLING_RUN_KEEP_DAYS = 90
    old = ControllingRun.objects.create(
        kind=RunKind.FULL,
        state=RunState.FINISHED,
        finished_at=timezone.now() - datetime.timedelta(days=91),
    )
    recent = ControllingRun.objects.create(
        kind=RunKind.FULL,
        state=RunState.FINISHED,
        finished_at=timezone.now() - datetime.timedelta(days=89),
    )

    with django_capture_on_commit_callbacks(execute=True):
        run_id = tasks.nightly_run.delay().get()

    nightly = ControllingRun.objects.get(pk=run_id)
    assert (nightly.kind, nightly.state, nightly.goals_done) == (RunKind.NIGHTLY, "finished", 6)
    assert not ControllingRun.objects.filter(pk=old.pk).exists()
    assert ControllingRun.objects.filter(pk=recent.pk).exists()


def test_the_nightly_run_is_a_periodic_task_at_half_past_two_that_admins_can_change(db, settings):
    from django_celery_beat.models import PeriodicTask

    from kam.celery import app

    task = PeriodicTask.objects.get(name="controlling-nightly-run")
    assert task.task == "controlling.tasks.nightly_run"
    assert task.task in app.tasks
    assert task.enabled
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("30", "2", "*")
    assert str(task.crontab.timezone) == settings.TIME_ZONE


def test_beat_schedules_the_nightly_run_from_the_database(db, monkeypatch):
    from django_celery_beat import schedulers
    from django_celery_beat.schedulers import DatabaseScheduler

    from kam.celery import app

    # The scheduler loads only crontab entries due within two hours of now; be at 1:45 local.
    night = timezone.localtime().replace(hour=1, minute=45)
    monkeypatch.setattr(schedulers, "aware_now", lambda: night)

    assert app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"
    entry = DatabaseScheduler(app=app, lazy=True).all_as_schedule()["controlling-nightly-run"]
    assert (entry.schedule.hour, entry.schedule.minute) == ({2}, {30})
    assert entry.task == "controlling.tasks.nightly_run"


def test_the_tasks_ack_late_and_retry_transient_errors_only():
    for task in (tasks.compute_chunk, tasks.nightly_run):
        assert task.acks_late
        assert task.reject_on_worker_lost
        assert set(task.autoretry_for) == {OperationalError, InterfaceError}
        assert task.max_retries
    assert tasks.compute_chunk.retry_backoff


# --- a real worker ------------------------------------------------------------------------------


@pytest.mark.services
def test_a_real_worker_on_redis_computes_a_full_run(celery_worker, settings):
    settings.KAM_CONTROLLING_CHUNK_SIZE = 1
    accounts = [planned_account(f"Worker {n}", goals=n + 1) for n in range(3)]
    runs.accounts_mark(account_ids=[accounts[0].pk], reason="broker was down")

    before = kept.versions([AccountFigures])["controlling_accountfigures"]

    # No transaction here (transactional_db): the chunks are queued at once.
    run = runs.run_start(kind=RunKind.FULL)

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.state not in runs.ACTIVE_STATES:
            break
        time.sleep(0.2)
    assert run.state == RunState.FINISHED, run.errors
    assert (run.chunks_done, run.chunks_total, run.goals_done, run.goals_total) == (3, 3, 6, 6)
    assert GoalResult.objects.count() == 6 * 12
    assert GoalState.objects.count() == 6
    assert not RecomputeMark.objects.exists()
    # The worker's writes count (kam.kept watches its connections too): each chunk's
    # transaction raised the figures' version after its commit.
    assert kept.versions([AccountFigures])["controlling_accountfigures"] >= before + 3


def test_a_rolled_back_request_puts_no_account_into_the_next_run(
    db, django_capture_on_commit_callbacks
):
    rolled_back, committed = factories.KeyAccountFactory(), factories.KeyAccountFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        runs.recompute_request(account_ids=[rolled_back.pk], reason="rolled back")
        raise RuntimeError
    with django_capture_on_commit_callbacks(execute=True):
        runs.recompute_request(account_ids=[committed.pk], reason="committed")
    assert ControllingRun.objects.get().account_ids == [committed.pk]
    assert not RecomputeMark.objects.exists()
