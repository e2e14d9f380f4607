"""The controlling run: which accounts to compute, in chunks shared by the workers, with a
run record that counts progress and keeps every error.

Nothing is lost when something fails, because the work to do is kept in the database, not
in the broker:

- A change to an account's figures (an import, the actuals grid, targets, an approval)
  marks the account (`RecomputeMark`) in the writing transaction, and queues a run once
  that transaction commits. When the broker is down the change still commits, the account
  stays marked, and the next run (nightly or "run now") computes it: every run takes the
  marked accounts along.
- A chunk computes its accounts and removes their marks in one transaction, so a worker
  that dies midway leaves the marks and the previous results; the task is delivered again
  (`acks_late`) and simply recomputes.
- A chunk is counted into its run once, by the conditional UPDATE that moves it out of
  "pending", so a retried or re-delivered chunk never counts twice; the last chunk to
  commit finishes the run.
- A chunk locks its accounts' rows (in one order) before computing, so two runs that share
  accounts compute them one after the other, never in parallel.
- A worker computing a chunk keeps its heartbeat fresh. Every few minutes the reconciler
  (`runs_reconcile`) queues again the chunks whose heartbeat stopped (or that never
  started while their run showed no sign of life), and starts a run for marks no run has
  taken, so a lost message, a broker that was down or a killed worker is repaired within
  minutes.
"""

import datetime
import logging
import threading
from collections import defaultdict
from collections.abc import Iterable
from functools import reduce
from operator import or_

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Count, F, Max, Q, QuerySet
from django.utils import timezone

from accounts.models import AccountStatus, KeyAccount
from controlling.models import (
    ChunkState,
    ControllingRun,
    ControllingRunChunk,
    RecomputeMark,
    RunKind,
    RunState,
)
from controlling.services import alerts, computed, engine, figures
from controlling.services.upsert import run_reason
from goals.models import Goal
from kam.celery import task
from kam.models import User

logger = logging.getLogger(__name__)

# Worth retrying: the database was briefly unreachable, restarted, or chose this transaction
# as a deadlock victim (two runs on one account). Anything else is a bug or bad data.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)

ACTIVE_STATES = (RunState.QUEUED, RunState.RUNNING)
FULL_KINDS = (RunKind.FULL, RunKind.NIGHTLY)

# The codes of ControllingRun.errors entries; the run page words them.
ERROR_FAILED = "failed"
ERROR_NOT_QUEUED = "not_queued"
# The connection attribute holding the accounts whose recomputation waits for a commit.
PENDING_RECOMPUTE = "kam_pending_recompute"
ERROR_ABANDONED = "abandoned"
ERROR_LOST = "lost"
# How often a lost chunk is queued again before it fails (and its accounts are marked).
REQUEUE_LIMIT = 2


# --- marking accounts -------------------------------------------------------------------------


def accounts_mark(*, account_ids: Iterable[int], reason: str) -> None:
    """Mark accounts for recomputation; a mark that exists already is renewed."""
    now = timezone.now()
    marks = [
        RecomputeMark(account_id=pk, marked_at=now, reason=reason[:200])
        for pk in sorted(set(account_ids))  # one lock order for concurrent writers
    ]
    RecomputeMark.objects.bulk_create(
        marks,
        update_conflicts=True,
        unique_fields=["account"],
        update_fields=["marked_at", "reason"],
    )


def recompute_request(*, account_ids: Iterable[int], reason: str) -> None:
    """Mark the accounts now, in the caller's transaction, and start one run for them after
    it commits; several requests in one transaction share that run. If the run cannot be
    started, the marks stay for the next run."""
    ids = set(account_ids)
    if not ids:
        return
    accounts_mark(account_ids=ids, reason=reason)
    connection = transaction.get_connection()
    pending: set[int] | None = getattr(connection, PENDING_RECOMPUTE, None)
    if pending is None:
        pending = set()
        setattr(connection, PENDING_RECOMPUTE, pending)
    pending.update(ids)
    # One callback per request; the first to run after the commit takes every pending id, the
    # others find none. A rolled-back transaction's callbacks never run and its marks are gone,
    # so its ids, still in the set, are dropped by the next commit as no longer marked.
    # Outside a transaction on_commit calls at once. Robust: the change has committed, so a
    # failure to queue must not turn into an error page.
    transaction.on_commit(lambda: _run_pending(pending), robust=True)


def _run_pending(pending: set[int]) -> None:
    if not pending:
        return
    marked = RecomputeMark.objects.filter(account_id__in=pending).values_list("account", flat=True)
    account_ids = sorted(marked)
    pending.clear()
    if not account_ids:
        return
    try:
        run_start(kind=RunKind.ACCOUNTS, account_ids=account_ids)
    except Exception:
        logger.warning(
            "Could not start a controlling run for accounts %s; they stay marked for the next run.",
            account_ids,
            exc_info=True,
        )


def figures_changed_receiver(sender, *, account_ids, reason: str = "", **kwargs) -> None:
    """goals.signals.figures_changed: targets, goals or an approval changed these accounts."""
    recompute_request(account_ids=account_ids, reason=reason or "plan changed")


# --- starting a run ---------------------------------------------------------------------------


def run_start(
    *, kind: str, user: User | None = None, account_ids: Iterable[int] | None = None
) -> ControllingRun:
    """Record a run and queue its chunks once this transaction commits.

    A full or nightly run covers every account that is not archived; an "accounts" run the
    given ones. Both take every marked account along. While a full or nightly run is queued
    or running, asking for another returns that one (a unique constraint keeps two requests
    at the same moment to one run); a run without any sign of life for
    KAM_CONTROLLING_RUN_STALE_MINUTES is taken as abandoned (its worker was lost) and
    replaced.
    """
    if (kind == RunKind.ACCOUNTS) != (account_ids is not None):
        raise ValueError("An accounts run needs account_ids; a full or nightly run takes none.")
    requested = sorted(set(account_ids)) if account_ids is not None else []
    with transaction.atomic():
        if kind in FULL_KINDS:
            running = full_run_in_progress()
            if running is not None:
                return running
        accounts = _run_accounts(requested if kind == RunKind.ACCOUNTS else None)
        goals = _goal_counts(accounts)
        ids = list(accounts.order_by("pk").values_list("pk", flat=True))
        size = max(1, settings.KAM_CONTROLLING_CHUNK_SIZE)
        slices = [ids[start : start + size] for start in range(0, len(ids), size)]
        now = timezone.now()
        try:
            with transaction.atomic():
                run = ControllingRun.objects.create(
                    kind=kind,
                    requested_by=user,
                    account_ids=requested,
                    goals_total=sum(goals.values()),
                    chunks_total=len(slices),
                )
        except IntegrityError:
            # Another full run was started meanwhile (controllingrun_one_full_run).
            running = _active_full_run()
            if kind not in FULL_KINDS or running is None:
                raise
            return running
        ControllingRunChunk.objects.bulk_create(
            ControllingRunChunk(
                run=run,
                number=number,
                account_ids=chunk,
                goals_total=sum(goals.get(pk, 0) for pk in chunk),
            )
            for number, chunk in enumerate(slices, start=1)
        )
        if slices:
            transaction.on_commit(lambda: run_dispatch(run_id=run.pk), robust=True)
        else:
            run.state = RunState.FINISHED
            run.started_at = run.finished_at = now
            run.save(update_fields=["state", "started_at", "finished_at"])
    return run


def _run_accounts(account_ids: list[int] | None) -> QuerySet:
    marked = Q(pk__in=RecomputeMark.objects.values("account_id"))
    if account_ids is None:
        # Accounts without a plan too: their revenue and selling positions are on the
        # dashboard's figures.
        active = KeyAccount.objects.exclude(status=AccountStatus.ARCHIVED)
        return KeyAccount.objects.filter(Q(pk__in=active.values("pk")) | marked)
    return KeyAccount.objects.filter(Q(pk__in=account_ids) | marked)


def _goal_counts(accounts: QuerySet) -> dict[int, int]:
    """Goals per account, as engine.compute_goals counts them: every goal of every plan."""
    rows = (
        Goal.objects.filter(plan__account__in=accounts.values("pk"))
        .values("plan__account_id")
        .annotate(goals=Count("pk"))
        .order_by()
    )
    return {row["plan__account_id"]: row["goals"] for row in rows}


def full_run_in_progress() -> ControllingRun | None:
    """The queued or running full (or nightly) run, after abandoning one without any sign of
    life (no chunk heartbeat, queueing or finish) for KAM_CONTROLLING_RUN_STALE_MINUTES."""
    for run in ControllingRun.objects.filter(kind__in=FULL_KINDS, state__in=ACTIVE_STATES):
        if run_last_sign_of_life(run) >= _stale_before():
            return run
        run_abandon(run=run)
    return None


def _active_full_run() -> ControllingRun | None:
    return ControllingRun.objects.filter(kind__in=FULL_KINDS, state__in=ACTIVE_STATES).first()


def _stale_before() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(minutes=settings.KAM_CONTROLLING_RUN_STALE_MINUTES)


def run_last_sign_of_life(run: ControllingRun) -> datetime.datetime:
    """When the run last showed progress: its start, or a chunk queued, beating or finished."""
    signs = run.chunks.aggregate(
        queued=Max("queued_at"), beat=Max("heartbeat_at"), finished=Max("finished_at")
    )
    return max(filter(None, [run.created_at, run.started_at, *signs.values()]))


def run_abandon(*, run: ControllingRun) -> None:
    """Give up a run whose worker was lost: it fails, and its pending chunks with it. A
    message of it that turns up later still recomputes its accounts, harmlessly."""
    now = timezone.now()
    with transaction.atomic():
        run = ControllingRun.objects.select_for_update().get(pk=run.pk)
        if run.state not in ACTIVE_STATES:
            return
        pending = run.chunks.filter(state=ChunkState.PENDING)
        pending_count = pending.update(
            state=ChunkState.FAILED, error=ERROR_ABANDONED, finished_at=now
        )
        run.state = RunState.FAILED
        run.finished_at = now
        run.chunks_done += pending_count
        run.errors = [*run.errors, _error_entry(ERROR_ABANDONED, chunks=pending_count)]
        run.save(update_fields=["state", "finished_at", "chunks_done", "errors"])


def run_dispatch(*, run_id: int) -> None:
    """Queue one task per pending chunk, so that any number of workers share the run.

    When the broker cannot be reached, this and the remaining chunks fail at once with that
    reason and the run ends; their accounts keep (or never lose) their marks, and the
    reconciler starts a run for them once the broker is back. Sending does not retry and
    connects for at most a second (see the Celery settings), so a request that queues a run
    answers at once even then."""
    chunk_ids = list(
        ControllingRunChunk.objects.filter(run_id=run_id, state=ChunkState.PENDING)
        .order_by("number")
        .values_list("pk", flat=True)
    )
    for position, chunk_id in enumerate(chunk_ids):
        try:
            chunk_send(chunk_id=chunk_id)
        except Exception as error:
            logger.warning(
                "Controlling run %s: could not queue its chunks (%s); their accounts stay "
                "marked for the next run.",
                run_id,
                error,
            )
            for rest in chunk_ids[position:]:
                chunk_fail(chunk_id=rest, error=error, code=ERROR_NOT_QUEUED)
            return


def chunk_send(*, chunk_id: int) -> None:
    """Queue one chunk's task, noting when; raises when the broker cannot be reached."""
    compute_chunk = task("controlling.tasks.compute_chunk")
    ControllingRunChunk.objects.filter(pk=chunk_id).update(queued_at=timezone.now())
    if compute_chunk.app.conf.task_always_eager:
        # In this process (no broker). Not delay(): an eager task that raises skips its
        # retries and on_failure; apply() without throw keeps both.
        compute_chunk.apply((chunk_id,), throw=False)
        return
    compute_chunk.apply_async((chunk_id,), retry=False)


# --- computing a chunk ------------------------------------------------------------------------


def chunk_run(*, chunk_id: int) -> int:
    """Compute one chunk's accounts: first the computed actuals of the current month, then
    every goal, the alerts, and the figures the dashboard adds up. Returns the number of
    goals computed.

    The marks of the accounts are removed in the same transaction, and only those seen at
    its start, so a mark set by a change committed meanwhile stays for the next run. The
    accounts' rows are locked first, in one order, so another run's chunk with some of the
    same accounts waits for this one (and then recomputes them) instead of writing the same
    computed actuals at the same time. While it computes, a thread keeps the chunk's
    heartbeat fresh."""
    chunk = ControllingRunChunk.objects.filter(pk=chunk_id).first()
    if chunk is None:  # its run has been deleted since
        return 0
    ControllingRun.objects.filter(pk=chunk.run_id, state=RunState.QUEUED).update(
        state=RunState.RUNNING, started_at=timezone.now()
    )
    with _heartbeat(chunk_id=chunk.pk):
        goals, counted = _chunk_compute(chunk)
    if counted:
        # After the commit: the run's row lock orders the chunks' commits, so the last one
        # to commit sees every other chunk counted.
        run_finish_if_done(run_id=chunk.run_id)
    return goals


def _chunk_compute(chunk: ControllingRunChunk) -> tuple[int, int]:
    ids = chunk.account_ids
    with transaction.atomic():
        list(KeyAccount.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))
        marks = defaultdict(list)
        for account_id, marked_at in RecomputeMark.objects.filter(account_id__in=ids).values_list(
            "account_id", "marked_at"
        ):
            marks[marked_at].append(account_id)
        computed.computed_actuals_refresh(
            account_ids=ids, month=_this_month(), reason=run_reason(run_id=chunk.run_id)
        )
        goals = engine.compute_goals(account_ids=ids)
        alerts.alerts_raise(account_ids=ids)  # mails go out after this transaction commits
        figures.figures_refresh(account_ids=ids)
        if marks:
            seen = (Q(marked_at=at, account_id__in=pks) for at, pks in marks.items())
            RecomputeMark.objects.filter(reduce(or_, seen)).delete()
        counted = ControllingRunChunk.objects.filter(pk=chunk.pk, state=ChunkState.PENDING).update(
            state=ChunkState.DONE, finished_at=timezone.now()
        )
        if counted:
            ControllingRun.objects.filter(pk=chunk.run_id).update(
                goals_done=F("goals_done") + chunk.goals_total,
                chunks_done=F("chunks_done") + 1,
            )
    return goals, counted


class _heartbeat:
    """Beat for a chunk while its worker computes it: at the start and then every
    KAM_CONTROLLING_HEARTBEAT_SECONDS, from a thread with its own database connection, so
    the beats commit while the chunk's transaction is still open."""

    def __init__(self, *, chunk_id: int) -> None:
        self.chunk_id = chunk_id
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat_until_stopped, daemon=True)

    def __enter__(self) -> None:
        self._beat()
        self.thread.start()

    def __exit__(self, *exc_info) -> None:
        self.stop.set()
        self.thread.join()

    def _beat(self) -> None:
        ControllingRunChunk.objects.filter(pk=self.chunk_id, state=ChunkState.PENDING).update(
            heartbeat_at=timezone.now()
        )

    def _beat_until_stopped(self) -> None:
        beaten = False
        try:
            while not self.stop.wait(settings.KAM_CONTROLLING_HEARTBEAT_SECONDS):
                beaten = True
                try:
                    self._beat()
                except Exception:
                    logger.warning("Chunk %s: no heartbeat", self.chunk_id, exc_info=True)
        finally:
            if beaten:
                connection.close()


def _this_month() -> datetime.date:
    return timezone.localdate().replace(day=1)


def chunk_fail(*, chunk_id: int, error: BaseException | str, code: str = ERROR_FAILED) -> None:
    """Record that a chunk failed for good: in the chunk and in its run's errors. Its
    accounts keep their marks, so the next run computes them."""
    with transaction.atomic():
        chunk = (
            ControllingRunChunk.objects.select_for_update()
            .filter(pk=chunk_id, state=ChunkState.PENDING)
            .first()
        )
        if chunk is None:  # counted already (a later delivery succeeded) or deleted
            return
        detail = _describe(error)
        chunk.state = ChunkState.FAILED
        chunk.error = detail
        chunk.finished_at = timezone.now()
        chunk.save(update_fields=["state", "error", "finished_at"])
        run = ControllingRun.objects.select_for_update().get(pk=chunk.run_id)
        run.chunks_done += 1
        entry = _error_entry(code, chunk=chunk.number, accounts=len(chunk.account_ids))
        run.errors = [*run.errors, {**entry, "detail": detail}]
        run.save(update_fields=["chunks_done", "errors"])
    run_finish_if_done(run_id=chunk.run_id)


def _describe(error: BaseException | str) -> str:
    if isinstance(error, BaseException):
        return f"{type(error).__name__}: {error}"[:2000]
    return error[:2000]


def _error_entry(code: str, **details) -> dict:
    return {"code": code, "at": timezone.now().isoformat(), **details}


def run_finish_if_done(*, run_id: int) -> None:
    """End the run once every chunk is counted: failed if any chunk failed."""
    run = ControllingRun.objects.filter(pk=run_id).first()
    if run is None or run.chunks_done < run.chunks_total:
        return
    state = RunState.FAILED if run.errors else RunState.FINISHED
    ControllingRun.objects.filter(pk=run_id, state__in=ACTIVE_STATES).update(
        state=state, finished_at=timezone.now()
    )


# --- reconciling --------------------------------------------------------------------------------


def runs_reconcile() -> dict[str, int]:
    """Repair what a lost message, a broker that was down or a killed worker left behind; run
    every few minutes by beat, and safe to run twice at once.

    - A pending chunk of an active run is lost when its heartbeat stopped
      KAM_CONTROLLING_RUN_STALE_MINUTES ago, or when it never started and its run has shown
      no sign of life for as long. It is queued again, claimed by a conditional UPDATE so two
      reconcilers never queue it twice; after REQUEUE_LIMIT times it fails and its accounts
      are marked.
    - An active run whose chunks are all counted is finished.
    - Accounts marked longer than KAM_CONTROLLING_MARK_GRACE_MINUTES ago that no pending
      chunk of an active run covers get a run.

    Returns how many chunks were queued again, failed as lost, runs finished and runs
    started."""
    done = {"requeued": 0, "lost": 0, "finished": 0, "started": 0}
    stale_before = _stale_before()
    for run in ControllingRun.objects.filter(state__in=ACTIVE_STATES).order_by("pk"):
        run_alive = run_last_sign_of_life(run) >= stale_before
        for chunk in run.chunks.filter(state=ChunkState.PENDING).order_by("number"):
            beat = chunk.heartbeat_at
            if (beat or run_alive) and (beat is None or beat >= stale_before):
                continue
            outcome = _chunk_repair(chunk)
            if outcome:
                done[outcome] += 1
        run.refresh_from_db()
        if run.chunks_done >= run.chunks_total and run.state in ACTIVE_STATES:
            run_finish_if_done(run_id=run.pk)
            done["finished"] += 1
    untaken = _marks_untaken()
    if untaken:
        logger.warning("Accounts %s were marked but no run took them; starting one.", untaken)
        run_start(kind=RunKind.ACCOUNTS, account_ids=untaken)
        done["started"] += 1
    return done


def _chunk_repair(chunk: ControllingRunChunk) -> str | None:
    """Queue a lost chunk again, or fail it once it was queued again too often. The claim is
    conditional on the chunk being as this reconciler saw it, so of two reconcilers only one
    repairs it."""
    requeue = chunk.requeued < REQUEUE_LIMIT
    claimed = ControllingRunChunk.objects.filter(
        pk=chunk.pk,
        state=ChunkState.PENDING,
        requeued=chunk.requeued,
        heartbeat_at=chunk.heartbeat_at,
        queued_at=chunk.queued_at,
    ).update(
        requeued=F("requeued") + (1 if requeue else 0),
        heartbeat_at=None,
        queued_at=timezone.now(),
    )
    if not claimed:
        return None
    if not requeue:
        accounts_mark(account_ids=chunk.account_ids, reason=f"chunk {chunk} lost")
        chunk_fail(chunk_id=chunk.pk, error="no heartbeat from its worker", code=ERROR_LOST)
        return "lost"
    logger.warning("Controlling chunk %s lost its worker or message; queued again.", chunk)
    try:
        chunk_send(chunk_id=chunk.pk)
    except Exception:
        logger.warning("Could not queue controlling chunk %s again", chunk, exc_info=True)
    return "requeued"


def _marks_untaken() -> list[int]:
    """Accounts marked a while ago that no pending chunk of an active run covers."""
    grace = datetime.timedelta(minutes=settings.KAM_CONTROLLING_MARK_GRACE_MINUTES)
    marked = set(
        RecomputeMark.objects.filter(marked_at__lt=timezone.now() - grace).values_list(
            "account_id", flat=True
        )
    )
    if not marked:
        return []
    covered: set[int] = set()
    for ids in ControllingRunChunk.objects.filter(
        state=ChunkState.PENDING, run__state__in=ACTIVE_STATES
    ).values_list("account_ids", flat=True):
        covered.update(ids)
    return sorted(marked - covered)


# --- the nightly run --------------------------------------------------------------------------


def nightly_run() -> ControllingRun:
    """Delete runs older than KAM_CONTROLLING_RUN_KEEP_DAYS, then run every account."""
    cutoff = timezone.now() - datetime.timedelta(days=settings.KAM_CONTROLLING_RUN_KEEP_DAYS)
    ControllingRun.objects.filter(finished_at__lt=cutoff).delete()
    return run_start(kind=RunKind.NIGHTLY)


# --- reading runs -----------------------------------------------------------------------------


def is_active(run: ControllingRun) -> bool:
    return run.state in ACTIVE_STATES
