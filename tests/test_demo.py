"""`load_demo`: the embedded default's demo logins and accounts."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.http import HttpRequest
from django.test import TestCase
from django.urls import reverse

from accounts.models import (
    AccountTeamMember,
    Interaction,
    KeyAccount,
    MarketStage,
    Site,
    Stakeholder,
)
from controlling.models import (
    Actual,
    Deviation,
    DeviationComment,
    GoalRating,
    GoalResult,
    GoalState,
)
from goals.models import (
    AccountPlan,
    FrameRule,
    Goal,
    GoalTemplate,
    GoalTemplateSet,
    Measure,
    MonthlyTarget,
    Offering,
    PlanTransition,
    ProductGroup,
    SellingPosition,
    SwotItem,
)
from goals.services.frame import frame_violations
from kam.models import Role, User

DEMO_USERS = {
    "anna": Role.MANAGER,
    "ben": Role.MANAGER,
    "lea": Role.LEADERSHIP,
    "admin": Role.ADMIN,
}
TABLES = [
    User,
    KeyAccount,
    AccountTeamMember,
    Site,
    Stakeholder,
    Interaction,
    Interaction.stakeholders.through,
    MarketStage,
    AccountPlan,
    Goal,
    MonthlyTarget,
    Measure,
    SwotItem,
    GoalTemplateSet,
    GoalTemplate,
    FrameRule,
    PlanTransition,
    Actual,
    ProductGroup,
    Offering,
    Offering.components.through,
    SellingPosition,
    GoalRating,
    GoalResult,
    GoalState,
    Deviation,
    DeviationComment,
]


def load_demo() -> str:
    out = StringIO()
    # The controlling run is queued for after the commit, which a test transaction never does.
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("load_demo", stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {table._meta.label: table.objects.count() for table in TABLES}


def test_it_creates_the_demo_users_with_their_roles(db):
    load_demo()

    assert {u.username: u.role for u in User.objects.all()} == DEMO_USERS


@pytest.mark.parametrize("username", DEMO_USERS)
def test_every_demo_user_logs_in_with_password_demo(client, db, username):
    load_demo()

    assert client.login(request=HttpRequest(), username=username, password="demo")


def test_only_the_demo_administrator_reaches_the_admin_site(db):
    load_demo()

    staff = set(User.objects.filter(is_staff=True).values_list("username", flat=True))

    assert staff == {"admin"}


def test_it_prints_the_logins(db):
    output = load_demo()

    for username in DEMO_USERS:
        assert username in output


def test_running_it_twice_changes_no_row_counts(db):
    load_demo()
    first = row_counts()

    load_demo()

    assert row_counts() == first
    assert all(first.values()), first


def test_running_it_again_restores_a_changed_demo_password(client, db):
    load_demo()
    anna = User.objects.get(username="anna")
    anna.set_password("something-else-entirely")
    anna.save()

    load_demo()

    assert client.login(request=HttpRequest(), username="anna", password="demo")


def test_anna_and_ben_own_different_accounts(db):
    load_demo()

    anna = set(KeyAccount.objects.filter(owner__username="anna"))
    ben = set(KeyAccount.objects.filter(owner__username="ben"))

    assert anna
    assert ben
    assert not anna & ben


def test_ben_is_on_the_team_of_one_of_annas_accounts(db):
    load_demo()

    teams = KeyAccount.objects.filter(team_members__user__username="ben")

    assert teams.count() == 1
    assert teams.get().owner.username == "anna"


def test_anna_cannot_see_bens_accounts(db):
    load_demo()
    anna = User.objects.get(username="anna")

    visible = KeyAccount.objects.visible_to(anna)

    assert not visible.filter(owner__username="ben").exists()
    assert set(visible) == set(KeyAccount.objects.filter(owner=anna))


def test_ben_sees_his_accounts_and_the_one_he_supports(db):
    load_demo()
    ben = User.objects.get(username="ben")

    visible = KeyAccount.objects.visible_to(ben)

    assert set(visible) == set(
        KeyAccount.objects.filter(owner=ben) | KeyAccount.objects.filter(team_members__user=ben)
    )
    assert visible.filter(owner__username="anna").count() == 1


def test_lea_sees_every_demo_account(db):
    load_demo()

    assert KeyAccount.objects.visible_to(User.objects.get(username="lea")).count() == (
        KeyAccount.objects.count()
    )


def test_it_refuses_to_run_when_demo_data_is_not_allowed(db, settings):
    settings.KAM_ALLOW_DEMO_DATA = False

    with pytest.raises(CommandError, match="KAM_ALLOW_DEMO_DATA"):
        load_demo()

    assert not User.objects.exists()
    assert not KeyAccount.objects.exists()


def test_it_shows_plans_at_every_stage_of_the_approval_workflow(db):
    load_demo()

    statuses = set(AccountPlan.objects.values_list("status", flat=True))
    assert {"draft", "submitted", "approved"} <= statuses
    # The submitted plan breaks the frame, so the approval queue has something to show.
    submitted = AccountPlan.objects.get(status="submitted")
    assert frame_violations(plan=submitted)
    for plan in AccountPlan.objects.filter(status="approved"):
        assert frame_violations(plan=plan) == []


def test_demo_monthly_targets_add_up_to_the_annual_targets(db):
    load_demo()

    for goal in Goal.objects.filter(kpi__rollup="sum").prefetch_related("targets"):
        assert sum(t.value for t in goal.targets.all()) == goal.annual_target


def test_demo_accounts_stand_at_every_stage_of_the_selling_path(db):
    from goals.selectors.selling import dimension_metrics

    load_demo()

    accounts = {a.pk: a for a in KeyAccount.objects.select_related("owner")}
    metrics = dimension_metrics(account_ids=accounts)
    stages = {accounts[pk].customer_number: m.path_stage for pk, m in metrics.items()}
    assert {k: v for k, v in stages.items() if k != "K-10000"} == {
        "K-10001": "joint_development",
        "K-10002": "cross_product",
        "K-20001": "single",
        "K-20002": "cross_organisation",
        "K-20003": "up_selling",
    }
    owners = {accounts[pk].owner.username for pk, m in metrics.items() if m.path_stage != "single"}
    assert owners == {"anna", "ben"}
    assert Offering.objects.filter(kind="solution", components__isnull=False).exists()


def test_the_demo_run_leaves_goals_in_every_status_and_an_open_deviation(db):
    load_demo()

    statuses = set(GoalState.objects.values_list("status", flat=True))
    assert {"on_track", "at_risk", "off_track"} <= statuses
    deviation = Deviation.objects.get(
        goal__plan__account__customer_number="K-20002", goal__kpi__code="revenue"
    )
    assert deviation.is_open
    assert deviation.comments.get().author.username == "ben"


def test_the_demo_administrator_opens_the_admin_without_being_a_superuser(client, db):
    load_demo()
    assert client.login(request=HttpRequest(), username="admin", password="demo")
    assert not User.objects.get(username="admin").is_superuser
    assert client.get(reverse("admin:goals_kpidefinition_changelist")).status_code == 200
