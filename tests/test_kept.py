"""Kept values (kam.kept): every statement that writes a watched table raises its version,
whatever path it takes, in autocommit at once and in a transaction once after its commit;
reads and unkept tables leave them. The dashboard kept under them:
tests/controlling/test_dashboard_kept.py and test_dashboard_cache.py."""

import threading

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import KeyAccount, Site, Stakeholder
from controlling.models import AccountFigures, Deviation, Notification, SellingFigures
from goals.models import FrameRule, Measure
from kam import kept
from tests import factories

pytestmark = pytest.mark.django_db


class Probe:
    """A value kept on `tables` that counts how often it was computed."""

    def __init__(self, tables=kept.ALL, name: str = "probe"):
        self.tables, self.name, self.computed = tables, name, 0

    def read(self) -> int:
        return kept.value(self.name, self._compute, tables=self.tables)

    def _compute(self) -> int:
        self.computed += 1
        return self.computed

    def missed(self) -> bool:
        """Whether reading it now computes it again (and so sees what was written)."""
        before = self.computed
        self.read()
        return self.computed > before


# --- what is watched ----------------------------------------------------------------------------


def test_watched_are_the_apps_tables_less_what_they_declare_unkept():
    watched = kept.watched_tables()
    assert {
        "kam_user",
        "accounts_keyaccount",
        "accounts_site",
        "goals_accountplan",
        "goals_measure",
        "goals_swotitem",
        "goals_monthlytarget",
        "controlling_deviation",
        "controlling_accountfigures",
    } <= watched
    # Declared unkept in the apps' configs, auto-created through tables included.
    assert not watched & {
        "kam_tableversion",
        "accounts_stakeholder",
        "accounts_interaction_stakeholders",
        "goals_measure_goals",
        "controlling_actual",
        "controlling_notification",
    }
    # Neither history nor the apps that declare nothing.
    assert not any("historical" in table for table in watched)
    assert not watched & {"django_session", "auth_group", "django_celery_beat_periodictask"}


def test_a_value_kept_on_an_unwatched_table_is_refused():
    with pytest.raises(ValueError, match="accounts_stakeholder"):
        kept.value("contacts", lambda: 0, tables=[Stakeholder])


# --- which statements write -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "tables"),
    [
        ('INSERT INTO "accounts_site" ("name") VALUES (%s)', {"accounts_site"}),
        ("insert or ignore into accounts_site (name) values (?)", {"accounts_site"}),
        ('UPDATE "accounts_keyaccount" SET "name" = %s', {"accounts_keyaccount"}),
        ("update only public.accounts_keyaccount set name = 'x'", {"accounts_keyaccount"}),
        ('DELETE FROM "goals_measure" WHERE "id" IN (1, 2)', {"goals_measure"}),
        (
            'WITH moved AS (UPDATE "goals_measure" SET "actual_cost" = 0 RETURNING id) '
            "SELECT count(*) FROM moved",
            {"goals_measure"},
        ),
        (
            "WITH gone AS (DELETE FROM controlling_deviation RETURNING *) "
            'INSERT INTO "goals_plantransition" SELECT * FROM gone',
            {"controlling_deviation", "goals_plantransition"},
        ),
        (
            'MERGE INTO "controlling_sellingfigures" AS f USING x ON f.id = x.id '
            "WHEN MATCHED THEN UPDATE SET open_positions = 0",
            {"controlling_sellingfigures"},
        ),
        (
            'TRUNCATE "accounts_site", "controlling_accountfigures" RESTART IDENTITY CASCADE;',
            {"accounts_site", "controlling_accountfigures"},
        ),
        (
            "truncate table only goals_framerule *, public.goals_goal",
            {"goals_framerule", "goals_goal"},
        ),
        ("COPY accounts_site (name, city) FROM STDIN", {"accounts_site"}),
        (
            "INSERT INTO accounts_site (name) VALUES ('a;b'); DELETE FROM goals_measure;",
            {"accounts_site", "goals_measure"},
        ),
        ("/* a fix */ update goals_measure set actual_cost = 0", {"goals_measure"}),
        (
            'INSERT INTO "controlling_accountfigures" ("account_id") VALUES (1) '
            'ON CONFLICT ("account_id") DO UPDATE SET "revenue" = EXCLUDED."revenue"',
            {"controlling_accountfigures"},
        ),
    ],
)
def test_every_writing_statement_names_its_tables(sql, tables):
    assert tables <= kept.written_tables(sql)


@pytest.mark.parametrize(
    "sql",
    [
        'SELECT "id" FROM "accounts_keyaccount" WHERE "name" = \'DELETE FROM x\'',
        'SELECT "id" FROM "controlling_controllingrunchunk" FOR UPDATE SKIP LOCKED',
        "SAVEPOINT s1",
        "COPY accounts_site TO STDOUT",
    ],
)
def test_reading_statements_write_no_watched_table(sql):
    assert not kept.written_tables(sql) & kept.watched_tables()


# --- every path of writing ------------------------------------------------------------------


def test_every_way_of_writing_shows_in_the_next_read(owner):
    account = factories.KeyAccountFactory(owner=owner)
    plan = factories.AccountPlanFactory(account=account)
    factories.MeasureFactory(plan=plan)
    probe = Probe()
    probe.read()
    steps = {
        "save": lambda: factories.KeyAccountFactory(owner=owner),
        "update": lambda: KeyAccount.objects.filter(pk=account.pk).update(name="Renamed"),
        "bulk_create": lambda: Site.objects.bulk_create(
            [factories.SiteFactory.build(account=account)]
        ),
        "bulk_update": lambda: KeyAccount.objects.bulk_update(
            [KeyAccount(pk=account.pk, name="Again")], ["name"]
        ),
        "raw SQL": lambda: connection.cursor().execute(
            "UPDATE accounts_keyaccount SET name = %s WHERE id = %s", ["Raw", account.pk]
        ),
        "WITH ... UPDATE": lambda: connection.cursor().execute(
            "WITH chosen AS (SELECT id FROM accounts_keyaccount WHERE id = %s) "
            "UPDATE accounts_keyaccount SET name = %s WHERE id IN (SELECT id FROM chosen)",
            [account.pk, "With"],
        ),
        "delete": lambda: Measure.objects.filter(plan__account=account).delete(),
    }
    for name, step in steps.items():
        step()
        assert probe.missed(), name
        assert not probe.missed(), name  # and kept again


def test_merge_and_truncate_show_on_postgresql(postgresql, owner):
    account = factories.KeyAccountFactory(owner=owner)
    SellingFigures.objects.create(account=account, path_stage="single")
    probe = Probe([SellingFigures])
    probe.read()
    with connection.cursor() as cursor:
        cursor.execute(
            "MERGE INTO controlling_sellingfigures AS f USING (SELECT %s::bigint AS id) AS x "
            "ON f.account_id = x.id WHEN MATCHED THEN UPDATE SET open_positions = 7",
            [account.pk],
        )
    assert probe.missed()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks left to truncate
        cursor.execute("TRUNCATE controlling_sellingfigures")
    assert probe.missed()
    assert not SellingFigures.objects.exists()


def test_an_edit_in_the_admin_shows(client, administrator):
    rule = factories.FrameRuleFactory()
    probe = Probe([FrameRule])
    probe.read()
    client.force_login(administrator)
    url = reverse("admin:goals_framerule_delete", args=[rule.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not FrameRule.objects.exists()
    assert probe.missed()


def test_reads_and_unkept_tables_keep_the_values(owner):
    account = factories.KeyAccountFactory(owner=owner)
    goal = factories.GoalFactory(plan=factories.AccountPlanFactory(account=account))
    deviation = Deviation.objects.create(
        goal=goal, from_status="on_track", to_status="off_track", opened_for=timezone.now()
    )
    probe = Probe()
    probe.read()
    list(KeyAccount.objects.all())
    Notification.objects.create(recipient=owner, kind="worsened", deviation=deviation)
    # Actuals reach the dashboard through the run, which writes results and states.
    factories.ActualFactory(account=account, kpi=goal.kpi)
    factories.StakeholderFactory(account=account)
    SessionStore().create()
    assert KeyAccount.objects.filter(pk=account.pk).exists()
    assert not probe.missed()


def test_a_value_follows_only_the_tables_it_reads(owner):
    account = factories.KeyAccountFactory(owner=owner)
    figures = Probe([AccountFigures], name="figures")
    accounts = Probe([KeyAccount], name="accounts")
    figures.read(), accounts.read()
    KeyAccount.objects.filter(pk=account.pk).update(name="Renamed")
    assert accounts.missed()
    assert not figures.missed()


def test_a_value_kept_on_every_table_reads_one_version_that_every_write_raises(
    owner, django_assert_num_queries
):
    with django_assert_num_queries(1):
        assert list(kept.versions(kept.ALL)) == [kept.EVERY]
    with django_assert_num_queries(1):
        assert set(kept.versions([KeyAccount, Site])) == {"accounts_keyaccount", "accounts_site"}
    before = kept.versions(kept.ALL)[kept.EVERY]
    kept.raise_versions([Site])
    assert kept.versions(kept.ALL)[kept.EVERY] == before + 1


# --- transactions -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_write_in_autocommit_raises_its_version_at_once(owner):
    before = {**kept.versions([KeyAccount, Site]), **kept.versions(kept.ALL)}
    factories.KeyAccountFactory(owner=owner)
    after = {**kept.versions([KeyAccount, Site]), **kept.versions(kept.ALL)}
    assert after["accounts_keyaccount"] == before["accounts_keyaccount"] + 1
    assert after[kept.EVERY] == before[kept.EVERY] + 1
    assert after["accounts_site"] == before["accounts_site"]


@pytest.mark.django_db(transaction=True)
def test_a_transaction_raises_its_tables_once_after_its_commit(owner):
    before = kept.versions([KeyAccount])["accounts_keyaccount"]
    with transaction.atomic():
        factories.KeyAccountFactory(owner=owner)
        factories.KeyAccountFactory(owner=owner)
        with transaction.atomic():
            factories.KeyAccountFactory(owner=owner)
        # Not before the commit: a page computed meanwhile from the data before would be
        # kept under the raised version.
        assert kept.versions([KeyAccount])["accounts_keyaccount"] == before
    assert kept.versions([KeyAccount])["accounts_keyaccount"] == before + 1


def read_elsewhere(probe: Probe, seen: list) -> None:
    try:
        seen.append(probe.read())
    finally:
        connection.close()  # this thread's own


@pytest.mark.django_db(transaction=True)
def test_a_transaction_reads_its_own_writes_and_nobody_else_does(owner):
    probe = Probe([KeyAccount])
    assert probe.read() == 1
    seen_elsewhere = []
    with transaction.atomic():
        factories.KeyAccountFactory(owner=owner)
        assert probe.read() == 2  # its own write shows
        # Another connection (another thread) reads what was committed, kept before.
        other = threading.Thread(target=read_elsewhere, args=(probe, seen_elsewhere))
        other.start()
        other.join()
        assert probe.read() == 2
    assert seen_elsewhere == [1]
    assert probe.read() == 3  # after the commit, for everyone


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_raises_nothing_and_stops_no_later_raise(owner):
    before = kept.versions([KeyAccount, Site])
    probe = Probe([KeyAccount])
    probe.read()
    with pytest.raises(RuntimeError), transaction.atomic():
        factories.KeyAccountFactory(owner=owner)
        raise RuntimeError
    assert kept.versions([KeyAccount, Site]) == before
    assert not probe.missed()

    # A savepoint rolled back inside a transaction that commits: only what stayed is raised.
    with transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            factories.SiteFactory(account=KeyAccount.objects.create(name="Gone", owner=owner))
            raise RuntimeError
        assert probe.read() == 1
    assert kept.versions([KeyAccount, Site]) == before

    # The next transaction that writes still raises after its commit.
    with transaction.atomic():
        factories.KeyAccountFactory(owner=owner)
    assert kept.versions([KeyAccount])["accounts_keyaccount"] == before["accounts_keyaccount"] + 1
    assert probe.missed()


@pytest.mark.django_db(transaction=True)
def test_a_table_written_again_after_its_savepoint_rolled_back_is_raised(owner):
    before = kept.versions([KeyAccount])["accounts_keyaccount"]
    with transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            factories.KeyAccountFactory(owner=owner)
            raise RuntimeError
        factories.KeyAccountFactory(owner=owner)
    assert kept.versions([KeyAccount])["accounts_keyaccount"] == before + 1


# No write of a fixture before these: the first write registers the transaction's callback.


def test_a_rolled_back_transaction_leaves_no_callback(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        factories.KeyAccountFactory()
        raise RuntimeError
    assert callbacks == []


def test_a_transaction_raises_once_however_many_statements_wrote(
    django_capture_on_commit_callbacks,
):
    before = kept.versions([KeyAccount, Site])
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        factories.SiteFactory()  # and its account
        factories.KeyAccountFactory()
    assert len(callbacks) >= 3
    after = kept.versions([KeyAccount, Site])
    assert after == {table: version + 1 for table, version in before.items()}
