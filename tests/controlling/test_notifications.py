"""Workflow notifications: a plan's submission, return and approval notify the right people,
each person's preference decides whether it is mailed at once, in the daily digest or not
at all, and the digest mails once however often it runs."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountStatus
from controlling.models import (
    Deviation,
    Notification,
    NotificationKind,
    NotificationMode,
    NotificationPreference,
)
from controlling.services.alerts import measures_remind, notifications_email
from controlling.services.notifications import notifications_digest_send
from goals.models import Measure, MeasureStatus, PlanStatus
from goals.services.workflow import plan_approve, plan_return, plan_submit
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.KAM_BASE_URL = "https://kam.example.com"


@pytest.fixture
def plan(account):
    return factories.AccountPlanFactory(account=account, fiscal_year=2027)


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run what waits for the commit (the mails), as the real transaction would."""

    def run(function, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return run


def recipients(kind) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def prefer(user, kind, mode) -> None:
    NotificationPreference.objects.create(user=user, kind=kind, mode=mode)


def submitted(plan, user, commit):
    commit(plan_submit, plan=plan, user=user)
    plan.refresh_from_db()
    return plan


# --- who is notified --------------------------------------------------------------------------


def test_a_submission_notifies_every_active_leader_and_mails_them(
    plan, owner, leadership, commit, mailoutbox
):
    factories.LeadershipFactory(username="retired", is_active=False)
    submitted(plan, owner, commit)
    assert recipients(NotificationKind.PLAN_SUBMITTED) == {"leader"}
    assert [m.to for m in mailoutbox] == [[leadership.email]]
    assert "Nordwerk Antriebe" in mailoutbox[0].subject
    assert reverse("goals:plan_detail", args=[plan.pk]) in mailoutbox[0].body


def test_a_return_notifies_owner_and_team_with_the_comment(
    plan, owner, team_member, leadership, commit, mailoutbox
):
    submitted(plan, owner, commit)
    mailoutbox.clear()
    commit(plan_return, plan=plan, user=leadership, comment="Raise the Q3 target")
    assert recipients(NotificationKind.PLAN_RETURNED) == {"owner", "teammate"}
    assert sorted(m.to[0] for m in mailoutbox) == sorted([owner.email, team_member.email])
    assert all("Raise the Q3 target" in m.body for m in mailoutbox)
    notification = Notification.objects.filter(kind=NotificationKind.PLAN_RETURNED).first()
    assert notification.transition.comment == "Raise the Q3 target"


def test_an_approval_notifies_owner_and_team_but_not_leadership(
    plan, owner, team_member, leadership, commit
):
    submitted(plan, owner, commit)
    commit(plan_approve, plan=plan, user=leadership)
    assert recipients(NotificationKind.PLAN_APPROVED) == {"owner", "teammate"}
    assert plan.transitions.first().to_status == PlanStatus.APPROVED


def test_the_person_who_moved_the_plan_is_not_told_of_their_own_step(
    plan, account, owner, team_member, administrator, commit
):
    factories.TeamMemberFactory(account=account, user=administrator)
    submitted(plan, owner, commit)
    commit(plan_approve, plan=plan, user=administrator)
    assert recipients(NotificationKind.PLAN_APPROVED) == {"owner", "teammate"}


def test_the_mail_is_written_in_the_recipients_language(plan, owner, commit, mailoutbox):
    factories.LeadershipFactory(username="chefin", language="de")
    submitted(plan, owner, commit)
    assert "reichte den Plan 2027 von Nordwerk Antriebe ein" in mailoutbox[0].body


# --- preferences ------------------------------------------------------------------------------


def test_off_shows_the_notification_in_the_app_but_mails_nothing_ever(
    plan, owner, leadership, commit, mailoutbox
):
    prefer(leadership, NotificationKind.PLAN_SUBMITTED, NotificationMode.OFF)
    submitted(plan, owner, commit)
    assert recipients(NotificationKind.PLAN_SUBMITTED) == {"leader"}
    assert notifications_digest_send() == 0
    assert mailoutbox == []


def test_digest_mails_nothing_at_once_and_everything_of_the_day_in_one_mail(
    plan, owner, team_member, leadership, commit, mailoutbox
):
    prefer(owner, NotificationKind.PLAN_RETURNED, NotificationMode.DIGEST)
    prefer(owner, NotificationKind.PLAN_APPROVED, NotificationMode.DIGEST)
    submitted(plan, team_member, commit)
    commit(plan_return, plan=plan, user=leadership, comment="More detail please")
    submitted(plan, team_member, commit)
    commit(plan_approve, plan=plan, user=leadership)
    assert owner.email not in [m.to[0] for m in mailoutbox]
    mailoutbox.clear()

    assert notifications_digest_send() == 1
    (digest,) = mailoutbox
    assert digest.to == [owner.email]
    assert "More detail please" in digest.body
    assert "approved the plan 2027" in digest.body
    assert "2 notifications" in digest.subject


def test_the_digest_run_twice_mails_once(plan, owner, leadership, commit, mailoutbox):
    prefer(leadership, NotificationKind.PLAN_SUBMITTED, NotificationMode.DIGEST)
    submitted(plan, owner, commit)
    assert mailoutbox == []
    assert notifications_digest_send() == 1
    assert notifications_digest_send() == 0
    assert len(mailoutbox) == 1


def test_a_failed_digest_is_sent_by_the_next_run(
    plan, owner, leadership, commit, mailoutbox, monkeypatch
):
    prefer(leadership, NotificationKind.PLAN_SUBMITTED, NotificationMode.DIGEST)
    submitted(plan, owner, commit)

    def broken(*args, **kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", broken)
    assert notifications_digest_send() == 0
    monkeypatch.undo()
    assert notifications_digest_send() == 1
    assert len(mailoutbox) == 1


def test_a_deviation_kind_set_to_digest_is_not_mailed_at_once(owner, leadership, mailoutbox):

    prefer(leadership, NotificationKind.ESCALATED, NotificationMode.DIGEST)
    goal = factories.GoalFactory(
        plan=factories.AccountPlanFactory(account=factories.KeyAccountFactory(owner=owner))
    )

    deviation = Deviation.objects.create(
        goal=goal, from_status="on_track", to_status="off_track", opened_for=timezone.now()
    )
    Notification.objects.create(
        recipient=leadership, kind=NotificationKind.ESCALATED, deviation=deviation
    )
    assert notifications_email() == 0
    assert notifications_digest_send() == 1
    assert "Escalated" in mailoutbox[0].body


# --- pages ------------------------------------------------------------------------------------


def test_the_settings_page_saves_each_kinds_preference(client, owner):
    client.force_login(owner)
    url = reverse("controlling:notification_settings")
    page = client.get(url)
    assert page.status_code == 200
    data = dict.fromkeys(NotificationKind.values, NotificationMode.IMMEDIATELY)
    data[NotificationKind.PLAN_RETURNED] = NotificationMode.DIGEST
    data[NotificationKind.WORSENED] = NotificationMode.OFF
    response = client.post(url, data)
    assert response.status_code == 302
    assert (
        dict(NotificationPreference.objects.filter(user=owner).values_list("kind", "mode")) == data
    )
    page = client.get(url).content.decode()
    chosen = 'name="plan_returned" value="digest" class="form-check-input"'
    assert chosen + ' id="id_plan_returned_1" required checked' in page


def test_the_settings_page_refuses_an_unknown_mode(client, owner):
    client.force_login(owner)
    data = dict.fromkeys(NotificationKind.values, "weekly")
    response = client.post(reverse("controlling:notification_settings"), data)
    assert response.status_code == 200
    assert not NotificationPreference.objects.exists()


def test_the_settings_page_is_in_the_user_menu(client, owner):
    client.force_login(owner)
    page = client.get(reverse("controlling:notifications"))
    assert reverse("controlling:notification_settings") in page.content.decode()


def test_a_plan_notification_is_listed_only_for_its_recipient(
    client, plan, owner, leadership, outsider, commit
):
    commit(plan_return, plan=submitted(plan, owner, commit), user=leadership, comment="Fix it")
    client.force_login(owner)
    page = client.get(reverse("controlling:notifications")).content.decode()
    assert "returned the plan 2027 of Nordwerk Antriebe" in page
    assert "Fix it" in page
    client.force_login(outsider)
    page = client.get(reverse("controlling:notifications")).content.decode()
    assert "Nordwerk Antriebe" not in page
    notification = Notification.objects.filter(recipient=owner).first()
    response = client.post(reverse("controlling:notification_read", args=[notification.pk]))
    assert response.status_code == 404


# --- measures due and overdue -----------------------------------------------------------------

TODAY = datetime.date(2027, 3, 25)


@pytest.fixture
def calendar_year(settings):
    settings.KAM_FISCAL_YEAR_START_MONTH = 1
    settings.KAM_MEASURE_DUE_DAYS = 7


def measure(plan, **fields):
    return factories.MeasureFactory(plan=plan, **fields)


def kinds_of(m) -> list[str]:
    return sorted(Notification.objects.filter(measure=m).values_list("kind", flat=True))


def test_a_measure_due_within_the_days_notifies_its_owner_once(
    calendar_year, plan, owner, commit, mailoutbox
):
    due = measure(plan, due_date=datetime.date(2027, 3, 31))
    later = measure(plan, due_date=datetime.date(2027, 4, 2))
    assert commit(measures_remind, today=TODAY) == 1
    assert commit(measures_remind, today=TODAY) == 0
    assert kinds_of(due) == [NotificationKind.MEASURE_DUE]
    assert kinds_of(later) == []
    assert Notification.objects.get(measure=due).recipient == owner
    assert len(mailoutbox) == 1
    assert "is due on" in mailoutbox[0].body and due.title in mailoutbox[0].body


def test_an_overdue_measure_notifies_once_and_again_after_its_date_moved(
    calendar_year, plan, commit
):
    late = measure(plan, due_date=datetime.date(2027, 3, 20))
    commit(measures_remind, today=TODAY)
    commit(measures_remind, today=TODAY + datetime.timedelta(days=1))
    assert kinds_of(late) == [NotificationKind.MEASURE_OVERDUE]
    Measure.objects.filter(pk=late.pk).update(due_date=datetime.date(2027, 3, 23))
    commit(measures_remind, today=TODAY)
    assert Notification.objects.filter(measure=late).count() == 2


def test_done_measures_past_plans_and_archived_accounts_are_not_reminded(
    calendar_year, plan, account, commit
):
    done = measure(plan, due_date=datetime.date(2027, 3, 20), status=MeasureStatus.DONE)
    old_plan = factories.AccountPlanFactory(account=account, fiscal_year=2026)
    old = measure(
        old_plan,
        start_date=datetime.date(2026, 1, 1),
        due_date=datetime.date(2026, 12, 31),
    )
    archived = factories.AccountPlanFactory(
        account=factories.KeyAccountFactory(owner=account.owner, status=AccountStatus.ARCHIVED),
        fiscal_year=2027,
    )
    shelved = measure(archived, due_date=datetime.date(2027, 3, 20))
    assert commit(measures_remind, today=TODAY) == 0
    assert kinds_of(done) == kinds_of(old) == kinds_of(shelved) == []


def test_a_measure_reminder_in_the_digest_is_mailed_with_the_digest_only(
    calendar_year, plan, owner, commit, mailoutbox
):
    prefer(owner, NotificationKind.MEASURE_OVERDUE, NotificationMode.DIGEST)
    measure(plan, due_date=datetime.date(2027, 3, 20))
    commit(measures_remind, today=TODAY)
    assert mailoutbox == []
    assert notifications_digest_send() == 1
    assert "is still open" in mailoutbox[0].body
