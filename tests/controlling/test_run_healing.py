"""The controlling run heals itself: queueing answers at once with the broker down, the
reconciler queues lost chunks again and runs marks no run took, one full run at a time, and
chunks of two runs that share accounts never collide.

Celery runs eagerly here, as in test_runs; the tests against PostgreSQL and a real worker on
Redis are marked `services`.
"""

import datetime
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from controlling import tasks
from controlling.models import (
    Actual,
    ChunkState,
    ControllingRun,
    ControllingRunChunk,
    GoalResult,
    RecomputeMark,
    RunKind,
    RunState,
)
from controlling.selectors.actuals import cell_key
from controlling.services import computed, engine, runs
from goals.models import KPIDefinition
from tests import factories
from tests.conftest import forget_connections
from tests.controlling.test_runs import MONTHS, planned_account, results, started, states

D = Decimal


@pytest.fixture(autouse=True)
def calendar_fiscal_year(settings):
    settings.KAM_FISCAL_YEAR_START_MONTH = 1


@pytest.fixture(name="three")
def three_accounts(db):
    """Three accounts with one, two and three goals, as in test_runs."""
    return [planned_account(name, goals=n) for n, name in enumerate(["A", "B", "C"], start=1)]


@pytest.fixture(name="broker_down")
def closed_broker():
    """Celery as in production, broker and result store on a port nobody listens on."""
    app = tasks.compute_chunk.app
    keys = ("broker_url", "result_backend", "task_always_eager")
    saved = {key: app.conf[key] for key in keys}
    closed = "redis://127.0.0.1:1/0"
    app.conf.update(broker_url=closed, result_backend=closed, task_always_eager=False)
    forget_connections(app)
    yield app
    app.conf.update(saved)
    forget_connections(app)
    app.__dict__.pop("amqp", None)


def ago(minutes: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(minutes=minutes)


def reconciled(capture) -> dict[str, int]:
    """runs_reconcile, with the dispatch that would follow its commits executed."""
    with capture(execute=True):
        return runs.runs_reconcile()


def stuck_full_run(capture, *, minutes: int = 30) -> ControllingRun:
    """A full run whose chunks were never delivered (its dispatch is lost), started
    `minutes` ago."""
    with capture(execute=False):
        run = runs.run_start(kind=RunKind.FULL)
    ControllingRun.objects.filter(pk=run.pk).update(
        created_at=ago(minutes), started_at=ago(minutes), state=RunState.RUNNING
    )
    run.chunks.update(queued_at=ago(minutes))
    return run


# --- the broker is down -------------------------------------------------------------------------


def test_with_the_broker_down_saving_actuals_answers_at_once_and_the_reconciler_runs_it_later(
    client, owner, broker_down, django_capture_on_commit_callbacks
):
    account = planned_account("Nordwerk", owner=owner)
    goal = account.plans.get().goals.get()
    client.force_login(owner)
    url = reverse("controlling:plan_actuals", args=[account.plans.get().pk])

    began = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {cell_key(goal.kpi_id, MONTHS[3]): "120"})
    elapsed = time.monotonic() - began

    assert response.status_code == 302
    # A behaviour bound, not a benchmark: without a short connect timeout and without
    # publish retries the answer took about 19 seconds.
    assert elapsed < 3, elapsed
    assert RecomputeMark.objects.filter(account=account).exists()
    assert ControllingRun.objects.get().state == RunState.FAILED
    assert not GoalResult.objects.exists()

    # The broker is back; a mark younger than the grace period is left to its own run.
    broker_down.conf.task_always_eager = True
    assert reconciled(django_capture_on_commit_callbacks)["started"] == 0
    RecomputeMark.objects.update(marked_at=ago(10))

    assert reconciled(django_capture_on_commit_callbacks)["started"] == 1

    run = ControllingRun.objects.filter(kind=RunKind.ACCOUNTS).first()
    assert run.state == RunState.FINISHED
    assert run.account_ids == [account.pk]
    april = GoalResult.objects.get(goal=goal, month=MONTHS[3])
    assert april.actual == D("120.00")
    assert not RecomputeMark.objects.exists()


def test_publishing_neither_retries_nor_waits_long_for_a_broker():
    conf = tasks.compute_chunk.app.conf
    assert conf.task_publish_retry is False
    assert conf.broker_connection_timeout <= 1
    assert conf.broker_transport_options["socket_connect_timeout"] <= 1
    assert conf.result_backend_transport_options["retry_policy"]["max_retries"] == 0
    # Nothing waits for a chunk's result, so queueing one never touches the result store.
    assert tasks.compute_chunk.ignore_result


# --- the reconciler -----------------------------------------------------------------------------


def test_marks_a_pending_chunk_of_an_active_run_covers_get_no_second_run(
    three, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        run = runs.run_start(kind=RunKind.FULL)
    runs.accounts_mark(account_ids=[three[0].pk], reason="import")
    RecomputeMark.objects.update(marked_at=ago(10))

    assert reconciled(django_capture_on_commit_callbacks) == {
        "requeued": 0,
        "lost": 0,
        "finished": 0,
        "started": 0,
    }
    assert list(ControllingRun.objects.all()) == [run]


def test_a_chunk_whose_heartbeat_stopped_is_queued_again_with_results_as_a_clean_run(
    three, settings, django_capture_on_commit_callbacks
):
    settings.KAM_CONTROLLING_CHUNK_SIZE = 2
    started(django_capture_on_commit_callbacks, kind=RunKind.FULL)
    expected, expected_states = results(), states()
    GoalResult.objects.all().delete()

    run = stuck_full_run(django_capture_on_commit_callbacks)
    first, second = run.chunks.order_by("number")
    # A worker died computing the first chunk; the second chunk's message was lost.
    first.heartbeat_at = ago(20)
    first.save(update_fields=["heartbeat_at"])

    assert reconciled(django_capture_on_commit_callbacks)["requeued"] == 2

    run.refresh_from_db()
    assert run.state == RunState.FINISHED
    assert (run.chunks_done, run.goals_done) == (2, 6)
    assert set(run.chunks.values_list("state", "requeued")) == {(ChunkState.DONE, 1)}
    assert results() == expected
    assert states() == expected_states


def test_a_chunk_with_a_fresh_heartbeat_is_left_to_its_worker(
    three, django_capture_on_commit_callbacks
):
    run = stuck_full_run(django_capture_on_commit_callbacks)
    run.chunks.update(heartbeat_at=ago(1))

    assert reconciled(django_capture_on_commit_callbacks)["requeued"] == 0
    assert run.chunks.get().requeued == 0
    assert runs.run_start(kind=RunKind.FULL) == run


def test_an_unstarted_chunk_of_a_run_that_makes_progress_waits_in_the_queue(
    three, settings, django_capture_on_commit_callbacks
):
    settings.KAM_CONTROLLING_CHUNK_SIZE = 1
    run = stuck_full_run(django_capture_on_commit_callbacks)
    run.chunks.filter(number=1).update(heartbeat_at=ago(1))

    assert reconciled(django_capture_on_commit_callbacks)["requeued"] == 0


def test_two_reconcilers_queue_a_lost_chunk_once(three, django_capture_on_commit_callbacks):
    run = stuck_full_run(django_capture_on_commit_callbacks)
    seen_by_both = run.chunks.get()

    with django_capture_on_commit_callbacks(execute=False):
        assert runs._chunk_repair(seen_by_both) == "requeued"
        assert runs._chunk_repair(seen_by_both) is None

    assert run.chunks.get().requeued == 1


def test_a_chunk_lost_again_and_again_fails_and_marks_its_accounts(
    three, django_capture_on_commit_callbacks
):
    run = stuck_full_run(django_capture_on_commit_callbacks)
    run.chunks.update(requeued=runs.REQUEUE_LIMIT)

    assert reconciled(django_capture_on_commit_callbacks)["lost"] == 1

    run.refresh_from_db()
    assert run.state == RunState.FAILED
    assert [error["code"] for error in run.errors] == [runs.ERROR_LOST]
    assert set(RecomputeMark.objects.values_list("account_id", flat=True)) == {
        account.pk for account in three
    }


def test_a_run_whose_chunks_are_all_counted_is_finished(db):
    run = ControllingRun.objects.create(
        kind=RunKind.FULL, state=RunState.RUNNING, chunks_total=1, chunks_done=1
    )

    assert runs.runs_reconcile()["finished"] == 1
    run.refresh_from_db()
    assert run.state == RunState.FINISHED


def test_run_now_does_not_return_a_run_without_heartbeat(
    three, settings, django_capture_on_commit_callbacks
):
    settings.KAM_CONTROLLING_RUN_STALE_MINUTES = 10
    stuck = stuck_full_run(django_capture_on_commit_callbacks, minutes=15)
    stuck.chunks.update(heartbeat_at=ago(12))

    fresh = started(django_capture_on_commit_callbacks, kind=RunKind.FULL)

    assert fresh != stuck
    assert fresh.state == RunState.FINISHED
    stuck.refresh_from_db()
    assert stuck.state == RunState.FAILED


def test_a_worker_beats_for_the_chunk_it_computes(three, django_capture_on_commit_callbacks):
    before = timezone.now()
    run = started(django_capture_on_commit_callbacks, kind=RunKind.FULL)

    assert run.chunks.get().heartbeat_at >= before


def test_the_reconciler_is_a_periodic_task_every_five_minutes(db):
    from django_celery_beat.models import PeriodicTask

    from kam.celery import app

    task = PeriodicTask.objects.get(name="controlling-reconcile")
    assert task.task == "controlling.tasks.reconcile"
    assert task.task in app.tasks
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (5, "minutes")
    assert tasks.reconcile.acks_late


@pytest.mark.services
def test_a_worker_keeps_beating_while_a_long_chunk_computes(
    postgresql, transactional_db, settings, monkeypatch
):
    settings.KAM_CONTROLLING_HEARTBEAT_SECONDS = 0.2
    planned_account("Nordwerk")
    monkeypatch.setattr(runs, "run_dispatch", lambda **kwargs: None)
    chunk = runs.run_start(kind=RunKind.FULL).chunks.get()
    compute = engine.compute_goals
    beats: list = []

    def slow_compute(**kwargs):
        for _ in range(3):
            time.sleep(0.5)
            # Another connection sees the beats while this chunk's transaction is open.
            beats.append(outside(lambda: ControllingRunChunk.objects.get(pk=chunk.pk)))
        return compute(**kwargs)

    monkeypatch.setattr(engine, "compute_goals", slow_compute)

    runs.chunk_run(chunk_id=chunk.pk)

    moments = [beat.heartbeat_at for beat in beats]
    assert None not in moments
    assert moments == sorted(moments)
    assert len(set(moments)) == 3


def outside(read):
    """`read` through a connection of its own, in another thread."""
    got: list = []

    def target():
        try:
            got.append(read())
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(10)
    return got[0]


# --- one full run at a time ---------------------------------------------------------------------


def test_a_second_full_run_inserted_meanwhile_returns_the_first(three, monkeypatch):
    first = ControllingRun.objects.create(kind=RunKind.NIGHTLY, state=RunState.QUEUED)
    # As if both requests had looked before either inserted.
    monkeypatch.setattr(runs, "full_run_in_progress", lambda: None)

    assert runs.run_start(kind=RunKind.FULL) == first
    assert ControllingRun.objects.count() == 1


@pytest.mark.services
def test_two_run_now_at_the_same_moment_create_one_run(
    postgresql, transactional_db, monkeypatch, settings
):
    planned_account("Nordwerk")
    check = runs.full_run_in_progress
    both_looked = threading.Barrier(2, timeout=10)

    def look_then_wait():
        running = check()
        both_looked.wait()
        return running

    monkeypatch.setattr(runs, "full_run_in_progress", look_then_wait)
    got: list = []

    def run_now():
        try:
            got.append(runs.run_start(kind=RunKind.FULL).pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=run_now) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(got) == 2
    assert got[0] == got[1]
    assert ControllingRun.objects.count() == 1


# --- two runs share accounts -------------------------------------------------------------------


@pytest.mark.services
def test_chunks_of_two_runs_with_the_same_accounts_compute_one_after_the_other(
    postgresql, transactional_db, monkeypatch
):
    account = planned_account("Nordwerk")
    # A computed actual both runs write: the same (account, KPI, month) at once.
    KPIDefinition.objects.get_or_create(
        code=computed.CONTACT_COVERAGE,
        defaults={
            "name_en": "Contact coverage",
            "unit": "percent",
            "rollup": "last",
            "source": "computed",
        },
    )
    factories.StakeholderFactory(account=account)
    monkeypatch.setattr(runs, "run_dispatch", lambda **kwargs: None)
    one = runs.run_start(kind=RunKind.ACCOUNTS, account_ids=[account.pk])
    two = runs.run_start(kind=RunKind.ACCOUNTS, account_ids=[account.pk])
    computing = threading.Event()
    release = threading.Event()
    compute = engine.compute_goals
    order: list[str] = []

    def slow_compute(**kwargs):
        order.append(threading.current_thread().name)
        if threading.current_thread().name == "one":
            computing.set()
            release.wait(10)
        return compute(**kwargs)

    monkeypatch.setattr(engine, "compute_goals", slow_compute)
    errors: list[BaseException] = []

    def chunk(run, name):
        try:
            runs.chunk_run(chunk_id=run.chunks.get().pk)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    a = threading.Thread(target=chunk, args=(one, "one"), name="one")
    a.start()
    assert computing.wait(10)
    b = threading.Thread(target=chunk, args=(two, "two"), name="two")
    b.start()
    time.sleep(0.5)
    # The second waits for the first's lock on the account, so it has not computed yet.
    assert order == ["one"]
    release.set()
    a.join(30)
    b.join(30)

    assert errors == []
    assert order == ["one", "two"]
    assert {run.state for run in ControllingRun.objects.all()} == {RunState.FINISHED}
    assert GoalResult.objects.count() == 12
    assert Actual.objects.filter(kpi__code=computed.CONTACT_COVERAGE).count() == 1


# --- a real worker ------------------------------------------------------------------------------


def wait_for(run: ControllingRun, seconds: float = 60) -> ControllingRun:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.state not in runs.ACTIVE_STATES:
            break
        time.sleep(0.2)
    return run


@pytest.mark.services
def test_a_real_worker_finishes_a_run_whose_chunk_message_was_lost(
    celery_worker, settings, monkeypatch
):
    settings.KAM_CONTROLLING_CHUNK_SIZE = 1
    [planned_account(f"Worker {n}", goals=n + 1) for n in range(3)]
    clean = wait_for(runs.run_start(kind=RunKind.FULL))
    assert clean.state == RunState.FINISHED, clean.errors
    expected, expected_states = results(), states()
    GoalResult.objects.all().delete()

    send = runs.chunk_send
    dropped: list[int] = []

    def drop_the_second(*, chunk_id):
        if ControllingRunChunk.objects.get(pk=chunk_id).number == 2:
            dropped.append(chunk_id)
            return  # the message never reaches the broker
        send(chunk_id=chunk_id)

    monkeypatch.setattr(runs, "chunk_send", drop_the_second)
    run = runs.run_start(kind=RunKind.FULL)
    deadline = time.monotonic() + 60
    while ControllingRunChunk.objects.filter(run=run, state=ChunkState.DONE).count() < 2:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert len(dropped) == 1
    run.refresh_from_db()
    assert run.state == RunState.RUNNING
    monkeypatch.setattr(runs, "chunk_send", send)

    # Minutes later (a stale time of none): the reconciler, from beat, queues it again.
    settings.KAM_CONTROLLING_RUN_STALE_MINUTES = 0
    repaired = tasks.reconcile.delay().get(timeout=30)

    assert repaired["requeued"] == 1
    run = wait_for(run)
    assert run.state == RunState.FINISHED, run.errors
    assert (run.chunks_done, run.goals_done) == (3, 6)
    assert results() == expected
    assert states() == expected_states


def test_the_run_page_says_a_chunk_was_lost(client, administrator):
    run = ControllingRun.objects.create(
        kind=RunKind.FULL,
        state=RunState.FAILED,
        errors=[{"code": runs.ERROR_LOST, "chunk": 2, "accounts": 5, "detail": "no heartbeat"}],
    )
    client.force_login(administrator)

    page = client.get(reverse("controlling:run_detail", args=[run.pk])).content.decode()

    assert "Chunk 2 (5 accounts) was lost" in page
    assert "no heartbeat" in page


def test_the_admin_shows_a_runs_chunks_with_their_heartbeats(
    admin_client, three, django_capture_on_commit_callbacks
):
    run = stuck_full_run(django_capture_on_commit_callbacks)
    run.chunks.update(requeued=1)

    page = admin_client.get(reverse("admin:controlling_controllingrun_change", args=[run.pk]))

    assert page.status_code == 200
    assert "last heartbeat" in page.content.decode().lower()
    assert "queued again" in page.content.decode().lower()
