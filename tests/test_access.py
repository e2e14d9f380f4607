"""Every permission predicate against the table in docs/architecture.md: for each role, on an
active and an archived account, on plans in every status. The table itself must name every
predicate there is, so a new permission cannot go undocumented."""

import inspect
import re
from pathlib import Path

import pytest

from accounts import access as account_access
from accounts.models import AccountStatus
from controlling import access as controlling_access
from controlling.models import ActualImport, Deviation
from goals import access as plan_access
from goals.models import PlanStatus
from kam import access as user_access
from tests import factories

MODULES = (account_access, plan_access, controlling_access, user_access)
ROLES = ("manager", "leadership", "administrator", "leading_administrator")


@pytest.fixture
def users(db):
    leading_admin = factories.AdminFactory(username="leading-admin", role="leadership")
    leading_admin.is_superuser = True  # an administrator by superuser, in the leadership role
    leading_admin.save()
    return {
        "manager": factories.UserFactory(username="manager"),
        "leadership": factories.LeadershipFactory(username="leader"),
        "administrator": factories.AdminFactory(username="admin"),
        "leading_administrator": leading_admin,
    }


def plan_in(status: str, *, archived: bool, owner):
    account = factories.KeyAccountFactory(
        owner=owner,
        status=AccountStatus.ARCHIVED if archived else AccountStatus.ACTIVE,
    )
    return factories.AccountPlanFactory(account=account, status=status)


WRITERS = {"manager", "administrator", "leading_administrator"}
DECIDERS = {"leadership", "administrator", "leading_administrator"}
ALL_SEEING = {"leadership", "administrator", "leading_administrator"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("archived", [False, True])
@pytest.mark.parametrize("status", PlanStatus.values)
def test_every_plan_predicate_follows_the_table(users, role, archived, status):
    user = users[role]
    plan = plan_in(status, archived=archived, owner=users["manager"])
    account = plan.account
    writes = role in WRITERS and not archived
    deviation = Deviation(goal=factories.GoalFactory(plan=plan))

    assert account_access.can_edit_account(user, account) is writes
    assert account_access.can_manage_team(user, account) is writes
    assert account_access.can_archive_account(user, account) is (role in WRITERS)
    assert plan_access.can_create_plan(user, account) is writes
    editable = status in (PlanStatus.DRAFT, PlanStatus.RETURNED)
    assert plan_access.can_edit_plan(user, plan) is (writes and editable)
    assert plan_access.can_record_progress(user, plan) is writes
    assert plan_access.can_work_on_plan(user, plan) is writes
    assert controlling_access.can_enter_actuals(user, plan) is writes
    assert controlling_access.can_rate(user, plan) is writes
    assert controlling_access.can_run_account(user, plan) is (writes or role in ALL_SEEING)
    assert controlling_access.can_comment(user, deviation) is writes


@pytest.mark.parametrize("role", ROLES)
def test_every_role_predicate_follows_the_table(users, role):
    user = users[role]
    assert account_access.can_create_account(user) is (role in WRITERS)
    assert account_access.can_hand_over_account(user) is (
        role in {"administrator", "leading_administrator"}
    )
    assert plan_access.can_decide_plan(user) is (role in DECIDERS)
    assert plan_access.can_import_selling_positions(user) is (role in WRITERS)
    assert controlling_access.can_import_actuals(user) is (role in WRITERS)
    assert controlling_access.can_oversee_runs(user) is (role in ALL_SEEING)
    assert user_access.can_manage_users(user) is (
        role in {"administrator", "leading_administrator"}
    )
    manager = users["manager"]
    superuser = factories.SuperuserFactory(username="root")
    assert user_access.can_change_user(user, manager) is user_access.can_manage_users(user)
    # The leading administrator of this table is a superuser; the administrator is not.
    assert user_access.can_change_user(user, superuser) is (role == "leading_administrator")
    assert account_access.can_read_audit(user) is (role in ALL_SEEING)


@pytest.mark.parametrize("role", ROLES)
def test_an_import_is_rolled_back_by_its_importer_or_an_administrator(users, role):
    user = users[role]
    own = ActualImport(user=user, file_name="own.csv")
    others = ActualImport(user=factories.UserFactory(), file_name="other.csv")
    administrator = role in {"administrator", "leading_administrator"}
    assert controlling_access.can_roll_back_import(user, own) is (role != "leadership")
    assert controlling_access.can_roll_back_import(user, others) is administrator


def test_the_architecture_table_names_every_predicate_and_only_those():
    table = Path(__file__).resolve().parent.parent / "docs" / "architecture.md"
    section = table.read_text().split("## Permissions", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`(\w+)\.access\.(can_\w+)\(", section))
    defined = {
        (module.__name__.split(".")[0], name)
        for module in MODULES
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if name.startswith("can_") and function.__module__ == module.__name__
    }
    assert documented == defined
