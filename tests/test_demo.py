"""`load_demo`: the embedded default's demo logins and accounts."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.http import HttpRequest
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

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
    SeasonalProfile,
    SellingPosition,
    SellingStage,
    SwotItem,
)
from goals.services.frame import frame_violations
from kam.fiscal import fiscal_year_for
from kam.models import Role, User

DEMO_USERS = {
    "anna": Role.MANAGER,
    "ben": Role.MANAGER,
    "carla": Role.MANAGER,
    "david": Role.MANAGER,
    "emma": Role.MANAGER,
    "felix": Role.MANAGER,
    "lea": Role.LEADERSHIP,
    "mark": Role.LEADERSHIP,
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


def test_it_refuses_to_run_when_demo_data_is_not_allowed(db, settings):
    settings.KAM_ALLOW_DEMO_DATA = False

    with pytest.raises(CommandError, match="KAM_ALLOW_DEMO_DATA"):
        load_demo()

    assert not User.objects.exists()
    assert not KeyAccount.objects.exists()


class TestTheLoadedDemo(TestCase):
    """What the demo holds, loaded once for the class (each test rolls back its changes)."""

    @classmethod
    def setUpTestData(cls):
        cls.output = load_demo()

    def test_it_creates_the_demo_users_with_their_roles(self):
        assert {u.username: u.role for u in User.objects.all()} == DEMO_USERS

    def test_every_demo_user_logs_in_with_password_demo(self):
        for username in DEMO_USERS:
            assert self.client.login(request=HttpRequest(), username=username, password="demo"), (
                username
            )

    def test_only_the_demo_administrator_reaches_the_admin_site(self):
        staff = set(User.objects.filter(is_staff=True).values_list("username", flat=True))

        assert staff == {"admin"}

    def test_it_prints_the_logins(self):
        output = self.output

        for username in DEMO_USERS:
            assert username in output

    def test_anna_and_ben_own_different_accounts(self):
        anna = set(KeyAccount.objects.filter(owner__username="anna"))
        ben = set(KeyAccount.objects.filter(owner__username="ben"))

        assert anna
        assert ben
        assert not anna & ben

    def test_ben_is_on_the_team_of_one_of_annas_accounts(self):
        teams = KeyAccount.objects.filter(team_members__user__username="ben")

        assert teams.count() == 1
        assert teams.get().owner.username == "anna"

    def test_anna_cannot_see_bens_accounts(self):
        anna = User.objects.get(username="anna")

        visible = KeyAccount.objects.visible_to(anna)

        assert not visible.filter(owner__username="ben").exists()
        assert set(visible) == set(KeyAccount.objects.filter(owner=anna))

    def test_ben_sees_his_accounts_and_the_one_he_supports(self):
        ben = User.objects.get(username="ben")

        visible = KeyAccount.objects.visible_to(ben)

        assert set(visible) == set(
            KeyAccount.objects.filter(owner=ben) | KeyAccount.objects.filter(team_members__user=ben)
        )
        assert visible.filter(owner__username="anna").count() == 1

    def test_lea_sees_every_demo_account(self):
        assert KeyAccount.objects.visible_to(User.objects.get(username="lea")).count() == (
            KeyAccount.objects.count()
        )

    def test_it_shows_plans_at_every_stage_of_the_approval_workflow(self):
        statuses = set(AccountPlan.objects.values_list("status", flat=True))
        assert {"draft", "submitted", "approved"} <= statuses
        # Cascade's submitted plan breaks the frame, so the approval queue has something to show.
        submitted = AccountPlan.objects.get(status="submitted", account__customer_number="K-20002")
        assert frame_violations(plan=submitted)
        for plan in AccountPlan.objects.filter(status="approved"):
            assert frame_violations(plan=plan) == []

    def test_demo_monthly_targets_add_up_to_the_annual_targets(self):
        for goal in Goal.objects.filter(kpi__rollup="sum").prefetch_related("targets"):
            assert sum(t.value for t in goal.targets.all()) == goal.annual_target

    def test_demo_accounts_stand_at_every_stage_of_the_selling_path(self):
        from goals.selectors.selling import dimension_metrics

        accounts = {a.pk: a for a in KeyAccount.objects.select_related("owner")}
        metrics = dimension_metrics(account_ids=accounts)
        stages = {accounts[pk].customer_number: m.path_stage for pk, m in metrics.items()}
        named = {"K-10001", "K-10002", "K-20001", "K-20002", "K-20003"}
        assert {k: v for k, v in stages.items() if k in named} == {
            "K-10001": "joint_development",
            "K-10002": "cross_product",
            "K-20001": "single",
            "K-20002": "cross_organisation",
            "K-20003": "up_selling",
        }
        owners = {
            accounts[pk].owner.username for pk, m in metrics.items() if m.path_stage != "single"
        }
        assert {"anna", "ben"} <= owners
        assert Offering.objects.filter(kind="solution", components__isnull=False).exists()

    def test_the_demo_run_leaves_goals_in_every_status_and_an_open_deviation(self):
        statuses = set(GoalState.objects.values_list("status", flat=True))
        assert {"on_track", "at_risk", "off_track"} <= statuses
        deviation = Deviation.objects.get(
            goal__plan__account__customer_number="K-20002", goal__kpi__code="revenue"
        )
        assert deviation.is_open
        assert deviation.comments.get().author.username == "ben"

    def test_the_demo_administrator_opens_the_admin_without_being_a_superuser(self):
        assert self.client.login(request=HttpRequest(), username="admin", password="demo")
        assert not User.objects.get(username="admin").is_superuser
        assert self.client.get(reverse("admin:goals_kpidefinition_changelist")).status_code == 200

    def test_the_demo_portfolio_spans_forty_accounts_six_managers_and_several_currencies(self):
        assert KeyAccount.objects.count() == 40
        managers = set(KeyAccount.objects.values_list("owner__username", flat=True))
        assert managers == {"anna", "ben", "carla", "david", "emma", "felix"}
        assert KeyAccount.objects.values("country").distinct().count() >= 10
        assert set(KeyAccount.objects.values_list("currency", flat=True)) == {
            "EUR", "USD", "GBP", "CHF", "SEK", "PLN", "CNY", "JPY",
        }  # fmt: skip

    def test_last_years_plans_are_approved_and_this_years_stand_in_every_workflow_state(self):
        this_year = fiscal_year_for(timezone.localdate())

        last = AccountPlan.objects.filter(fiscal_year=this_year - 1)
        current = AccountPlan.objects.filter(fiscal_year=this_year)
        assert last.count() == 35
        assert set(last.values_list("status", flat=True)) == {"approved"}
        counts = dict(current.values_list("status").annotate(n=Count("id")))
        assert counts == {"approved": 15, "draft": 8, "submitted": 8, "returned": 6}
        assert PlanTransition.objects.filter(to_status="returned").exclude(comment="").exists()
        assert {"lea", "mark"} <= set(
            PlanTransition.objects.filter(to_status="approved").values_list(
                "actor__username", flat=True
            )
        )

    def test_demo_deviations_are_open_commented_escalated_and_closed(self):
        deviations = Deviation.objects.all()
        assert deviations.filter(closed_at__isnull=True, escalated_at__isnull=True).exists()
        assert deviations.filter(closed_at__isnull=True, comments__isnull=False).exists()
        assert deviations.filter(closed_at__isnull=True, escalated_at__isnull=False).exists()
        closed = deviations.filter(closed_at__isnull=False)
        assert closed.exists()
        assert all(d.countermeasure and d.countermeasure.is_countermeasure for d in closed)
        assert {"at_risk", "off_track"} <= set(deviations.values_list("to_status", flat=True))

    def test_demo_selling_positions_stand_at_every_stage(self):
        stages = set(SellingPosition.objects.values_list("stage", flat=True))

        assert stages == set(SellingStage.values)

    def test_german_accounts_plans_are_written_in_german(self):
        german = AccountPlan.objects.filter(
            account__customer_number__startswith="K-3", account__country__in=["DE", "AT", "CH"]
        )
        english = AccountPlan.objects.filter(
            account__customer_number__startswith="K-3", account__country__in=["US", "GB"]
        )
        assert german.exists()
        assert english.exists()
        assert SwotItem.objects.filter(plan__in=german, text__contains="Lieferant").exists()
        assert not SwotItem.objects.filter(plan__in=german, text__contains="supplier").exists()
        assert Measure.objects.filter(plan__in=german, title__startswith="Anwendertag").exists()
        assert Measure.objects.filter(
            plan__in=english, title__startswith="Application day"
        ).exists()

    def test_it_prints_no_mail_only_the_logins_and_a_summary(self):
        output = self.output

        assert "Subject:" not in output
        assert "@example.com" not in output
        assert "40" in output

    def test_template_titles_and_the_seasonal_profile_read_in_german_and_english(self):
        titles = set(GoalTemplate.objects.values_list("title", flat=True))

        assert "Umsatz steigern / Grow revenue" in titles
        assert all(" / " in title for title in titles)
        assert Goal.objects.filter(title="Kundenzufriedenheit / Customer satisfaction").exists()
        assert GoalRating.objects.exists()  # the ratings still find their goals
        assert SeasonalProfile.objects.filter(name="Jahresendspitze / Year-end peak").exists()
