"""The change number (kam.changes): every write to a watched table raises it, whatever path it
takes; reads and tables no kept page reads leave it. The dashboard kept under it:
tests/controlling/test_dashboard_kept.py."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import KeyAccount
from controlling.models import Deviation, Notification
from goals.models import Measure
from kam import changes
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_save_raises_the_number():
    before = changes.current()
    factories.KeyAccountFactory()
    assert changes.current() > before


def test_a_queryset_update_a_bulk_insert_and_raw_sql_raise_it_too(owner):
    account = factories.KeyAccountFactory(owner=owner)
    factories.MeasureFactory(plan=factories.AccountPlanFactory(account=account))
    steps = [
        lambda: KeyAccount.objects.filter(pk=account.pk).update(name="Renamed"),
        lambda: KeyAccount.objects.bulk_create([factories.KeyAccountFactory.build(owner=owner)]),
        lambda: connection.cursor().execute(
            "UPDATE accounts_keyaccount SET name = %s WHERE id = %s", ["Raw", account.pk]
        ),
        lambda: Measure.objects.filter(plan__account=account).delete(),
    ]
    for step in steps:
        before = changes.current()
        step()
        assert changes.current() > before, step


def test_reads_and_tables_no_kept_page_reads_leave_it(owner):
    account = factories.KeyAccountFactory(owner=owner)
    goal = factories.GoalFactory(plan=factories.AccountPlanFactory(account=account))
    deviation = Deviation.objects.create(
        goal=goal, from_status="on_track", to_status="off_track", opened_for=timezone.now()
    )
    before = changes.current()
    list(KeyAccount.objects.all())
    Notification.objects.create(recipient=owner, kind="worsened", deviation=deviation)
    # Actuals reach the dashboard through the run, which writes results and states.
    factories.ActualFactory(account=account, kpi=goal.kpi)
    SessionStore().create()
    assert KeyAccount.objects.filter(pk=account.pk).exists()
    assert changes.current() == before


def test_a_transaction_raises_it_at_its_first_write_and_after_its_commit(
    django_capture_on_commit_callbacks,
):
    # No write before it in the test's own transaction, so this is the first.
    start = changes.current()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        owner = factories.UserFactory()
        first = changes.current()
        factories.KeyAccountFactory(owner=owner)  # after a read: raised again
        factories.KeyAccountFactory(owner=owner)  # no read in between: not again
        second = changes.current()
    assert start < first == second - 1
    assert changes.current() == second + 1  # after the commit


def test_a_rolled_back_transaction_raises_nothing_after_it(
    owner, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        factories.KeyAccountFactory(owner=owner)
        raise RuntimeError
    assert callbacks == []
