"""Alerts: a worsening opens one deviation and notifies its people once; countermeasures close
it; old ones escalate; the pages show each user only what they may see."""

import datetime
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from controlling.models import (
    Actual,
    Deviation,
    DeviationComment,
    GoalStatus,
    Notification,
    NotificationKind,
)
from controlling.services import alerts
from controlling.services.alerts import alerts_raise, deviations_escalate
from controlling.services.engine import compute_goals
from goals.models import Goal, Measure, MonthlyTarget
from goals.services import measures as measure_services
from goals.signals import measures_changed
from tests import access
from tests.factories import (
    AccountPlanFactory,
    GoalFactory,
    KeyAccountFactory,
    LeadershipFactory,
    MeasureFactory,
    UserFactory,
    revenue_kpi,
)

pytestmark = pytest.mark.django_db

YEAR = 2027
JANUARY = datetime.date(YEAR, 1, 1)
ON_TRACK, AT_RISK, OFF_TRACK = "100", "90", "50"  # January's actual against a plan of 100


@pytest.fixture(autouse=True)
def calendar_year(settings):
    settings.KAM_FISCAL_YEAR_START_MONTH = 1
    settings.KAM_DEVIATION_ESCALATION_DAYS = 14
    settings.KAM_BASE_URL = "https://kam.example.com"


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run what waits for the commit (the alert mails), as the real transaction would."""

    def run(function, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return run


def make_goal(account, *, owner=None, plan=None):
    plan = plan or AccountPlanFactory(account=account, fiscal_year=YEAR)
    goal = GoalFactory(plan=plan, owner=owner or account.owner)
    MonthlyTarget.objects.bulk_create(
        MonthlyTarget(goal=goal, month=datetime.date(YEAR, m, 1), value=Decimal(100))
        for m in range(1, 13)
    )
    return goal


def report(account, value: str) -> None:
    Actual.objects.update_or_create(
        account=account, kpi=revenue_kpi(), month=JANUARY, defaults={"value": Decimal(value)}
    )


def run(account, commit=None) -> int:
    """The controlling run of one account followed by its alerts, as a chunk does it."""
    compute_goals(account_ids=[account.pk])
    if commit is None:
        return alerts_raise(account_ids=[account.pk])
    return commit(alerts_raise, account_ids=[account.pk])


def countermeasure(goal, user, *, flag=True, goals=None):
    return measure_services.measure_create(
        plan=goal.plan,
        goals=[goal] if goals is None else goals,
        user=user,
        title="Price talk with purchasing",
        instrument="pricing",
        owner=user,
        start_date=datetime.date(YEAR, 2, 1),
        due_date=datetime.date(YEAR, 3, 31),
        is_countermeasure=flag,
    )


# --- raising ----------------------------------------------------------------------------------


def test_a_worsening_opens_one_deviation_and_mails_once_however_often_the_run_repeats(
    account, owner, commit, mailoutbox
):
    goal = make_goal(account)
    report(account, ON_TRACK)
    assert run(account, commit) == 0
    report(account, OFF_TRACK)

    assert run(account, commit) == 1
    assert run(account, commit) == 0
    assert run(account, commit) == 0

    deviation = Deviation.objects.get()
    assert (deviation.goal, deviation.from_status, deviation.to_status) == (
        goal,
        GoalStatus.ON_TRACK,
        GoalStatus.OFF_TRACK,
    )
    assert deviation.as_of == JANUARY
    assert deviation.is_open
    assert list(Notification.objects.values_list("recipient", "kind")) == [
        (owner.pk, NotificationKind.WORSENED)
    ]
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [owner.email]
    assert f"https://kam.example.com/controlling/deviations/{deviation.pk}/" in mailoutbox[0].body
    assert Notification.objects.get().emailed_at is not None


def test_improving_and_worsening_again_opens_a_second_deviation(account, commit, mailoutbox):
    make_goal(account)
    report(account, ON_TRACK)
    run(account, commit)
    report(account, AT_RISK)
    assert run(account, commit) == 1
    report(account, ON_TRACK)
    assert run(account, commit) == 0
    report(account, OFF_TRACK)
    assert run(account, commit) == 1

    assert list(Deviation.objects.order_by("pk").values_list("from_status", "to_status")) == [
        (GoalStatus.ON_TRACK, GoalStatus.AT_RISK),
        (GoalStatus.ON_TRACK, GoalStatus.OFF_TRACK),
    ]
    assert len(mailoutbox) == 2


def test_getting_worse_from_at_risk_to_off_track_is_a_worsening_of_its_own(account, commit):
    make_goal(account)
    report(account, AT_RISK)
    assert run(account, commit) == 1
    report(account, OFF_TRACK)
    assert run(account, commit) == 1
    assert list(Deviation.objects.order_by("pk").values_list("from_status", "to_status")) == [
        (GoalStatus.NO_DATA, GoalStatus.AT_RISK),
        (GoalStatus.AT_RISK, GoalStatus.OFF_TRACK),
    ]


def test_a_goal_on_track_raises_nothing_and_an_improvement_neither(account, commit, mailoutbox):
    make_goal(account)
    report(account, ON_TRACK)
    assert run(account, commit) == 0
    report(account, OFF_TRACK)
    run(account, commit)
    report(account, AT_RISK)
    assert run(account, commit) == 0
    assert Deviation.objects.count() == 1
    assert len(mailoutbox) == 1


def test_the_goal_owner_and_the_account_owner_are_both_notified(
    account, owner, team_member, commit, mailoutbox
):
    make_goal(account, owner=team_member)
    report(account, OFF_TRACK)
    run(account, commit)
    assert set(Notification.objects.values_list("recipient", flat=True)) == {
        owner.pk,
        team_member.pk,
    }
    assert sorted(mail.to[0] for mail in mailoutbox) == sorted([owner.email, team_member.email])


def test_an_owner_of_both_goal_and_account_is_notified_once(account, owner, commit, mailoutbox):
    make_goal(account, owner=owner)
    report(account, OFF_TRACK)
    run(account, commit)
    assert Notification.objects.filter(recipient=owner).count() == 1
    assert len(mailoutbox) == 1


def test_several_worsened_goals_make_one_mail_per_person(account, owner, commit, mailoutbox):
    plan = AccountPlanFactory(account=account, fiscal_year=YEAR)
    make_goal(account, plan=plan)
    make_goal(account, plan=plan)
    report(account, OFF_TRACK)
    assert run(account, commit) == 2
    assert Notification.objects.filter(recipient=owner).count() == 2
    assert len(mailoutbox) == 1
    assert mailoutbox[0].body.count("/controlling/deviations/") == 3  # two goals and the list


def test_each_mail_is_written_in_its_recipients_language(
    account, owner, team_member, commit, mailoutbox
):
    owner.language = "de"
    owner.save(update_fields=["language"])
    make_goal(account, owner=team_member)
    report(account, OFF_TRACK)
    run(account, commit)
    mails = {mail.to[0]: mail for mail in mailoutbox}
    assert "Januar 2027" in mails[owner.email].body
    assert "January 2027" in mails[team_member.email].body


def test_inactive_people_and_people_without_address_get_no_mail(
    account, owner, team_member, commit, mailoutbox
):
    team_member.is_active = False
    team_member.save(update_fields=["is_active"])
    owner.email = ""
    owner.save(update_fields=["email"])
    make_goal(account, owner=team_member)
    report(account, OFF_TRACK)
    run(account, commit)
    assert list(Notification.objects.values_list("recipient", flat=True)) == [owner.pk]
    assert mailoutbox == []


def test_a_failed_mail_is_sent_again_by_the_daily_task(
    account, owner, commit, mailoutbox, monkeypatch
):
    make_goal(account)
    report(account, OFF_TRACK)

    def broken(*args, **kwargs):
        raise ConnectionRefusedError("no mail server")

    with monkeypatch.context() as patch:
        patch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", broken)
        run(account, commit)
    assert mailoutbox == []
    assert Notification.objects.get().emailed_at is None

    from controlling.tasks import escalate_deviations

    commit(escalate_deviations.run)
    assert len(mailoutbox) == 1
    commit(escalate_deviations.run)
    assert len(mailoutbox) == 1


def test_raising_costs_the_same_queries_for_two_and_twenty_goals(account):
    def queries(goals: int) -> int:
        target = KeyAccountFactory(owner=account.owner)
        plan = AccountPlanFactory(account=target, fiscal_year=YEAR)
        for _ in range(goals):
            make_goal(target, plan=plan)
        report(target, OFF_TRACK)
        compute_goals(account_ids=[target.pk])
        with CaptureQueriesContext(connection) as captured:
            assert alerts_raise(account_ids=[target.pk]) == goals
        return len(captured)

    assert queries(2) == queries(20)


def test_the_controlling_run_raises_the_alerts_of_its_accounts(
    account, owner, django_capture_on_commit_callbacks, mailoutbox
):
    from controlling.models import RunKind
    from controlling.services.runs import run_start

    make_goal(account)
    report(account, OFF_TRACK)
    with django_capture_on_commit_callbacks(execute=True):
        run_start(kind=RunKind.ACCOUNTS, account_ids=[account.pk])
    assert Deviation.objects.filter(goal__plan__account=account).count() == 1
    assert [mail.to for mail in mailoutbox] == [[owner.email]]


# --- closing ----------------------------------------------------------------------------------


@pytest.fixture
def deviation(account, commit):
    goal = make_goal(account)
    report(account, ON_TRACK)
    run(account, commit)
    report(account, OFF_TRACK)
    run(account, commit)
    return Deviation.objects.get(goal=goal)


def test_a_countermeasure_for_the_goal_closes_its_deviation(deviation, owner):
    measure = countermeasure(deviation.goal, owner)
    deviation.refresh_from_db()
    assert not deviation.is_open
    assert deviation.countermeasure == measure
    assert deviation.closed_at >= deviation.opened_at


def test_a_measure_that_is_no_countermeasure_leaves_it_open(deviation, owner):
    countermeasure(deviation.goal, owner, flag=False)
    deviation.refresh_from_db()
    assert deviation.is_open


def test_a_countermeasure_for_another_goal_leaves_it_open(deviation, owner):
    other = make_goal(deviation.goal.plan.account, plan=deviation.goal.plan)
    countermeasure(other, owner)
    deviation.refresh_from_db()
    assert deviation.is_open


def test_flagging_a_linked_measure_as_countermeasure_closes_it(deviation, owner):
    measure = countermeasure(deviation.goal, owner, flag=False)
    measure_services.measure_update(
        measure=measure, goals=[deviation.goal], user=owner, is_countermeasure=True
    )
    deviation.refresh_from_db()
    assert deviation.countermeasure == measure


def test_linking_a_countermeasure_through_the_service_closes_it(deviation, owner):
    measure = countermeasure(deviation.goal, owner, goals=[])
    deviation.refresh_from_db()
    assert deviation.is_open
    measure_services.measure_update(measure=measure, goals=[deviation.goal], user=owner)
    deviation.refresh_from_db()
    assert deviation.countermeasure == measure


def test_measures_linked_from_the_goals_side_close_each_goal_with_its_own_countermeasure(
    account, owner, commit
):
    """What goals announces with `measures_changed` (the measures written, the goals just
    linked) is all controlling needs, whichever side of the relation the links were made
    from: each goal's deviation is answered by a countermeasure linked to it."""
    first = make_goal(account)
    second = make_goal(account, plan=first.plan)
    report(account, ON_TRACK)
    run(account, commit)
    report(account, OFF_TRACK)
    run(account, commit)
    deviations = {d.goal_id: d for d in Deviation.objects.all()}
    assert set(deviations) == {first.pk, second.pk}
    for_second = countermeasure(second, owner, goals=[])
    for_first = countermeasure(first, owner, goals=[])
    not_one = countermeasure(first, owner, goals=[], flag=False)
    first.measures.add(for_first, not_one)
    second.measures.add(for_second)
    assert Deviation.objects.filter(closed_at__isnull=True).count() == 2

    measures_changed.send(
        Goal, measure_ids=[for_second.pk, for_first.pk, not_one.pk], goal_ids=[first.pk, second.pk]
    )
    assert Deviation.objects.get(pk=deviations[first.pk].pk).countermeasure == for_first
    assert Deviation.objects.get(pk=deviations[second.pk].pk).countermeasure == for_second


# --- writes outside goals' services -----------------------------------------------------------


def countermeasure_row(goal, **fields) -> Measure:
    return Measure(
        plan=goal.plan,
        title="Price talk with purchasing",
        instrument="pricing",
        owner=goal.owner,
        start_date=datetime.date(YEAR, 2, 1),
        due_date=datetime.date(YEAR, 3, 31),
        **fields,
    )


def test_a_countermeasure_bulk_created_outside_the_services_closes_nothing(deviation):
    """No model signal carries the flow: bulk writes skip them, so the services send theirs."""
    [measure] = Measure.objects.bulk_create(
        [countermeasure_row(deviation.goal, is_countermeasure=True)]
    )
    Measure.goals.through.objects.bulk_create(
        [Measure.goals.through(measure=measure, goal=deviation.goal)]
    )
    deviation.refresh_from_db()
    assert deviation.is_open
    # Nor does the catch-up see it: a bulk write leaves no history.
    alerts_raise(account_ids=[deviation.goal.plan.account_id])
    deviation.refresh_from_db()
    assert deviation.is_open


def test_a_measure_flagged_by_a_queryset_update_closes_nothing(deviation, owner):
    measure = countermeasure(deviation.goal, owner, flag=False)
    Measure.objects.filter(pk=measure.pk).update(is_countermeasure=True)
    deviation.refresh_from_db()
    assert deviation.is_open


def test_a_countermeasure_saved_outside_the_services_waits_for_the_alerts_catch_up(
    deviation, owner
):
    """Neither Measure's post_save nor m2m_changed of its goals closes anything any more;
    the next alerts run reads the history simple-history recorded and closes it then."""
    measure = countermeasure_row(deviation.goal)
    measure.save()
    measure.goals.add(deviation.goal)
    measure.is_countermeasure = True
    measure.save()
    deviation.refresh_from_db()
    assert deviation.is_open

    alerts_raise(account_ids=[deviation.goal.plan.account_id])
    deviation.refresh_from_db()
    assert deviation.countermeasure == measure


# --- every path that writes measures: pages, admin, plan copy ---------------------------------


def test_the_admin_edits_no_measures_past_the_services():
    """An admin page that saved measures or their links would need to call the services."""
    links = {Measure, Measure.goals.through, Goal}
    assert not any(admin.site.is_registered(model) for model in links)
    inlines = [
        inline.model
        for model_admin in admin.site._registry.values()
        for inline in model_admin.inlines
    ]
    assert not links & set(inlines)


def test_a_plan_copy_announces_its_countermeasures_and_they_close_deviations(
    deviation, owner, monkeypatch
):
    """The copied goals are new, so a deviation of theirs can only open during the copy: one
    opened as each copied goal's targets are saved stands for it. The copied countermeasure,
    linked to the copy of its goal, answers it."""
    from goals.services import templates

    source = countermeasure(deviation.goal, owner)
    save_targets = templates._save_targets

    def save_targets_and_open_a_deviation(goal, months, values):
        save_targets(goal, months, values)
        Deviation.objects.create(
            goal=goal,
            from_status=GoalStatus.ON_TRACK,
            to_status=GoalStatus.OFF_TRACK,
            opened_for=timezone.now(),
        )

    monkeypatch.setattr(templates, "_save_targets", save_targets_and_open_a_deviation)
    received = []

    def receiver(sender, measure_ids, goal_ids, **kwargs):
        received.append((measure_ids, goal_ids))

    measures_changed.connect(receiver)
    try:
        copy = templates.plan_copy(plan=deviation.goal.plan, user=owner)
    finally:
        measures_changed.disconnect(receiver)

    measure = copy.measures.get(title=source.title)
    goal = copy.goals.get()
    assert received == [([measure.pk], [goal.pk])]
    assert Deviation.objects.get(goal=goal).countermeasure == measure


def test_editing_a_measure_on_its_page_closes_the_deviation(client, deviation, owner):
    measure = countermeasure(deviation.goal, owner, flag=False)
    client.force_login(owner)
    url = reverse("goals:measure_edit", args=[measure.plan_id, measure.pk])
    data = {
        "title": measure.title,
        "instrument": measure.instrument,
        "goals": [deviation.goal_id],
        "owner": owner.pk,
        "start_date": "2027-02-01",
        "due_date": "2027-03-31",
        "planned_cost": "0",
        "actual_cost": "0",
        "status": "planned",
        "progress": "0",
        "is_countermeasure": "on",
    }
    assert client.post(url, data).status_code == 302
    deviation.refresh_from_db()
    assert deviation.countermeasure == measure


def test_an_earlier_countermeasure_does_not_answer_a_new_worsening(
    deviation, account, owner, commit
):
    old = countermeasure(deviation.goal, owner)
    report(account, ON_TRACK)
    run(account, commit)
    report(account, OFF_TRACK)
    assert run(account, commit) == 1
    second = Deviation.objects.get(closed_at__isnull=True)

    measure_services.measure_progress_update(
        measure=old, status="in_progress", progress=50, actual_cost=Decimal(100), user=owner
    )
    run(account, commit)
    second.refresh_from_db()
    assert second.is_open

    new = countermeasure(deviation.goal, owner)
    second.refresh_from_db()
    assert second.countermeasure == new


def test_a_countermeasure_recorded_before_the_alert_is_raised_closes_it_at_once(
    account, owner, commit
):
    """The catch-up: the worsening was computed, the countermeasure followed while the alert
    was not raised yet (a concurrent transaction), so no signal could close it."""
    goal = make_goal(account)
    report(account, ON_TRACK)
    run(account, commit)
    report(account, OFF_TRACK)
    compute_goals(account_ids=[account.pk])
    measure = countermeasure(goal, owner)

    assert alerts_raise(account_ids=[account.pk]) == 1
    assert Deviation.objects.get().countermeasure == measure


# --- escalation -------------------------------------------------------------------------------


def age(deviation, days: int) -> None:
    Deviation.objects.filter(pk=deviation.pk).update(
        opened_at=timezone.now() - datetime.timedelta(days=days)
    )


def test_an_open_deviation_escalates_to_leadership_once_after_the_set_days(
    deviation, leadership, commit, mailoutbox
):
    other_leader = LeadershipFactory(username="leader2", language="de")
    LeadershipFactory(username="retired", is_active=False)
    mailoutbox.clear()
    age(deviation, 13)
    assert commit(deviations_escalate) == 0
    age(deviation, 15)
    assert commit(deviations_escalate) == 1
    assert commit(deviations_escalate) == 0

    deviation.refresh_from_db()
    assert deviation.escalated_at is not None
    escalated = Notification.objects.filter(kind=NotificationKind.ESCALATED)
    assert set(escalated.values_list("recipient", flat=True)) == {leadership.pk, other_leader.pk}
    assert sorted(mail.to[0] for mail in mailoutbox) == sorted(
        [leadership.email, other_leader.email]
    )


def test_a_closed_deviation_does_not_escalate(deviation, owner, leadership, commit):
    countermeasure(deviation.goal, owner)
    age(deviation, 30)
    assert commit(deviations_escalate) == 0


def test_the_escalation_days_are_a_setting(deviation, leadership, commit, settings):
    settings.KAM_DEVIATION_ESCALATION_DAYS = 3
    age(deviation, 4)
    assert commit(deviations_escalate) == 1


def test_the_daily_escalation_is_a_periodic_task():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name="controlling-escalate-deviations")
    assert task.task == "controlling.tasks.escalate_deviations"
    assert (task.crontab.hour, task.crontab.minute) == ("7", "0")
    assert task.enabled


# --- pages: deviations ------------------------------------------------------------------------


def detail_url(deviation) -> str:
    return reverse("controlling:deviation_detail", args=[deviation.pk])


@pytest.mark.parametrize(
    ("persona", "status"),
    access.account_page_answers(method="get", read=True),
)
def test_the_deviation_page_is_visible_with_its_account(
    client, login_as, deviation, persona, status
):
    login_as(persona)
    assert access.answer(client.get(detail_url(deviation))) == status


@pytest.mark.parametrize("persona", access.EDITORS)
def test_the_account_team_comments_on_a_deviation(client, login_as, deviation, persona):
    user = login_as(persona)
    response = client.post(detail_url(deviation), {"text": "Customer postponed a big order."})
    assert response.status_code == 302
    comment = DeviationComment.objects.get()
    assert (comment.author, comment.text) == (user, "Customer postponed a big order.")
    page = client.get(detail_url(deviation))
    assert "Customer postponed a big order." in page.content.decode()


def test_leadership_reads_comments_but_may_not_write_them(client, deviation, leadership, owner):
    DeviationComment.objects.create(deviation=deviation, author=owner, text="Strike at the plant.")
    client.force_login(leadership)
    page = client.get(detail_url(deviation))
    assert "Strike at the plant." in page.content.decode()
    assert 'id="comment-form"' not in page.content.decode()
    assert client.post(detail_url(deviation), {"text": "Why?"}).status_code == 403
    assert DeviationComment.objects.count() == 1


def test_an_outsider_cannot_comment(client, deviation, outsider):
    client.force_login(outsider)
    assert client.post(detail_url(deviation), {"text": "Hello"}).status_code == 404
    assert not DeviationComment.objects.exists()


def test_an_empty_comment_is_refused_with_a_message(client, deviation, owner):
    client.force_login(owner)
    response = client.post(detail_url(deviation), {"text": "   "})
    assert response.status_code == 200
    assert "Write a comment first." in response.content.decode()
    assert not DeviationComment.objects.exists()


@pytest.mark.parametrize("status", ["draft", "approved"])
def test_a_countermeasure_added_from_the_deviation_page_closes_it_on_any_plan(
    client, deviation, owner, status
):
    plan = deviation.goal.plan
    type(plan).objects.filter(pk=plan.pk).update(status=status)
    client.force_login(owner)
    page = client.get(detail_url(deviation)).content.decode()
    link = reverse("goals:countermeasure_create", args=[plan.pk]) + f"?goal={deviation.goal_id}"
    assert link in page
    assert reverse("goals:measures", args=[plan.pk]) in page
    data = {
        "title": "Price talk with purchasing",
        "instrument": "pricing",
        "goals": [deviation.goal_id],
        "owner": owner.pk,
        "start_date": "2027-02-01",
        "due_date": "2027-03-31",
        "planned_cost": "0",
        "actual_cost": "0",
        "status": "planned",
        "progress": "0",
    }
    assert client.post(link, data).status_code == 302
    deviation.refresh_from_db()
    assert not deviation.is_open
    assert deviation.countermeasure.title == "Price talk with purchasing"


def test_leadership_gets_no_countermeasure_link(client, deviation, leadership):
    client.force_login(leadership)
    page = client.get(detail_url(deviation)).content.decode()
    assert reverse("goals:countermeasure_create", args=[deviation.goal.plan_id]) not in page


def test_opening_a_deviation_leaves_the_viewers_notifications_unread(client, deviation, owner):
    client.force_login(owner)
    page = client.get(detail_url(deviation))
    assert Notification.objects.get(recipient=owner).read_at is None
    assert reverse("controlling:deviation_read", args=[deviation.pk]) in page.content.decode()


def test_the_button_on_the_deviation_page_marks_the_viewers_notifications_about_it_read(
    client, deviation, owner, team_member
):
    client.force_login(owner)
    response = client.post(reverse("controlling:deviation_read", args=[deviation.pk]))
    assert response.status_code == 302
    assert response.url == detail_url(deviation)
    assert Notification.objects.get(recipient=owner).read_at is not None
    page = client.get(detail_url(deviation)).content.decode()
    assert reverse("controlling:deviation_read", args=[deviation.pk]) not in page


def test_marking_a_deviation_read_refuses_get_and_invisible_deviations(
    client, deviation, owner, outsider
):
    target = reverse("controlling:deviation_read", args=[deviation.pk])
    client.force_login(owner)
    assert client.get(target).status_code == 405
    client.force_login(outsider)
    assert client.post(target).status_code == 404
    assert Notification.objects.get(recipient=owner).read_at is None


def test_opening_a_deviation_from_the_notifications_marks_it_read_by_post(client, deviation, owner):
    client.force_login(owner)
    notification = Notification.objects.get(recipient=owner)
    listing = client.get(reverse("controlling:notifications")).content.decode()
    assert f'name="next" value="{detail_url(deviation)}"' in listing
    assert Notification.objects.get(recipient=owner).read_at is None
    response = client.post(
        reverse("controlling:notification_read", args=[notification.pk]),
        {"next": detail_url(deviation)},
    )
    assert response.url == detail_url(deviation)
    assert Notification.objects.get(recipient=owner).read_at is not None


def make_deviation(account, status: str, days_old: int) -> Deviation:
    goal = GoalFactory(plan=AccountPlanFactory(account=account))
    return Deviation.objects.create(
        goal=goal,
        from_status=GoalStatus.ON_TRACK,
        to_status=status,
        opened_for=timezone.now(),
        opened_at=timezone.now() - datetime.timedelta(days=days_old),
    )


def listed(client, **params) -> list[int]:
    response = client.get(reverse("controlling:deviations"), params)
    assert response.status_code == 200
    return [d.pk for d in response.context["page"].object_list]


def test_the_deviation_list_shows_visible_ones_worst_and_oldest_first(
    client, account, owner, outsider
):
    young_risk = make_deviation(account, GoalStatus.AT_RISK, 1)
    old_risk = make_deviation(account, GoalStatus.AT_RISK, 9)
    young_off = make_deviation(account, GoalStatus.OFF_TRACK, 2)
    old_off = make_deviation(account, GoalStatus.OFF_TRACK, 5)
    foreign = make_deviation(KeyAccountFactory(owner=outsider), GoalStatus.OFF_TRACK, 30)

    client.force_login(owner)
    assert listed(client) == [old_off.pk, young_off.pk, old_risk.pk, young_risk.pk]
    client.force_login(outsider)
    assert listed(client) == [foreign.pk]


def test_the_deviation_list_filters_by_state_account_and_status(client, account, owner):
    other = KeyAccountFactory(owner=owner)
    open_ = make_deviation(account, GoalStatus.OFF_TRACK, 3)
    closed = make_deviation(account, GoalStatus.AT_RISK, 3)
    Deviation.objects.filter(pk=closed.pk).update(closed_at=timezone.now())
    escalated = make_deviation(other, GoalStatus.AT_RISK, 20)
    Deviation.objects.filter(pk=escalated.pk).update(escalated_at=timezone.now())

    client.force_login(owner)
    assert listed(client) == [open_.pk, escalated.pk]
    assert listed(client, state="closed") == [closed.pk]
    assert listed(client, state="escalated") == [escalated.pk]
    assert set(listed(client, state="all")) == {open_.pk, closed.pk, escalated.pk}
    assert listed(client, account=other.pk) == [escalated.pk]
    assert listed(client, status="at_risk") == [escalated.pk]
    assert listed(client, state="nonsense") == [open_.pk, escalated.pk]


def test_the_deviation_list_shows_age_and_countermeasure(client, account, owner):
    answered = make_deviation(account, GoalStatus.OFF_TRACK, 6)
    measure = MeasureFactory(plan=answered.goal.plan, title="Key-user training")
    Deviation.objects.filter(pk=answered.pk).update(
        closed_at=timezone.now(), countermeasure=measure
    )
    client.force_login(owner)
    page = client.get(reverse("controlling:deviations"), {"state": "all"}).content.decode()
    assert "Key-user training" in page
    assert ">6</td>" in page


def test_the_deviation_list_costs_the_same_queries_for_few_and_many(
    client, account, owner, django_assert_max_num_queries
):
    make_deviation(account, GoalStatus.OFF_TRACK, 1)
    client.force_login(owner)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("controlling:deviations"))
    for days in range(20):
        make_deviation(account, GoalStatus.AT_RISK, days)
    with django_assert_max_num_queries(len(few)):
        client.get(reverse("controlling:deviations"))


def test_the_deviation_list_says_when_nothing_is_open(client, owner):
    client.force_login(owner)
    page = client.get(reverse("controlling:deviations")).content.decode()
    assert 'id="deviations-empty"' in page


# --- pages: notifications ---------------------------------------------------------------------


def test_a_user_sees_only_their_own_notifications(client, deviation, owner, team_member):
    mine = Notification.objects.get(recipient=owner)
    theirs = Notification.objects.create(
        recipient=team_member, kind=NotificationKind.WORSENED, deviation=deviation
    )
    client.force_login(owner)
    page = client.get(reverse("controlling:notifications"))
    assert [n.pk for n in page.context["page"].object_list] == [mine.pk]
    url = reverse("controlling:notification_read", args=[theirs.pk])
    assert client.post(url).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_one_and_all_notifications_read(client, account, owner, commit):
    plan = AccountPlanFactory(account=account, fiscal_year=YEAR)
    make_goal(account, plan=plan)
    make_goal(account, plan=plan)
    make_goal(account, plan=plan)
    report(account, OFF_TRACK)
    run(account, commit)
    first, *rest = Notification.objects.filter(recipient=owner).order_by("pk")
    client.force_login(owner)

    response = client.post(reverse("controlling:notification_read", args=[first.pk]))
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.read_at is not None
    assert client.get(reverse("controlling:notifications")).context["unread_notifications"]() == 2

    client.post(reverse("controlling:notifications_read_all"))
    assert not Notification.objects.filter(recipient=owner, read_at__isnull=True).exists()
    assert client.get(reverse("controlling:notifications")).context["unread_notifications"]() == 0


def test_mark_read_refuses_get_and_ignores_an_outside_next(client, deviation, owner):
    notification = Notification.objects.get(recipient=owner)
    url = reverse("controlling:notification_read", args=[notification.pk])
    client.force_login(owner)
    assert client.get(url).status_code == 405
    response = client.post(url, {"next": "https://evil.example.com/"})
    assert response["Location"] == reverse("controlling:notifications")


def test_the_navigation_bar_shows_the_unread_count_with_one_query(
    client, account, owner, commit, django_assert_num_queries
):
    plan = AccountPlanFactory(account=account, fiscal_year=YEAR)
    make_goal(account, plan=plan)
    make_goal(account, plan=plan)
    report(account, OFF_TRACK)
    run(account, commit)
    client.force_login(owner)
    page = client.get(reverse("accounts:list")).content.decode()
    assert 'id="unread-count">2</span>' in page

    from django.test import RequestFactory

    from controlling.context_processors import notifications

    request = RequestFactory().get("/")
    request.user = owner
    context = notifications(request)
    with django_assert_num_queries(1):
        assert context["unread_notifications"]() == 2
        assert context["unread_notifications"]() == 2


def test_the_badge_stops_counting_at_99_plus(client, deviation, owner):
    def notify(count: int) -> None:
        opened = Deviation.objects.bulk_create(
            Deviation(
                goal=deviation.goal,
                from_status=deviation.from_status,
                to_status=deviation.to_status,
                opened_for=deviation.opened_for - datetime.timedelta(minutes=n + 1),
            )
            for n in range(Deviation.objects.count(), Deviation.objects.count() + count)
        )
        Notification.objects.bulk_create(
            Notification(recipient=owner, kind=NotificationKind.WORSENED, deviation=d)
            for d in opened
        )

    notify(99 - Notification.objects.filter(recipient=owner, read_at__isnull=True).count())
    client.force_login(owner)
    page = client.get(reverse("accounts:list")).content.decode()
    assert 'id="unread-count">99</span>' in page
    assert "Notifications: 99 unread" in page

    notify(1)
    page = client.get(reverse("accounts:list")).content.decode()
    assert 'id="unread-count">99+</span>' in page
    assert "Notifications: more than 99 unread" in page


def test_no_badge_without_unread_notifications(client, owner):
    client.force_login(owner)
    page = client.get(reverse("accounts:list")).content.decode()
    assert 'id="notifications-link"' in page
    assert 'id="unread-count"' not in page


def test_a_notification_of_an_escalation_reads_as_one(client, deviation, leadership, commit):
    age(deviation, 20)
    commit(deviations_escalate)
    client.force_login(leadership)
    page = client.get(reverse("controlling:notifications")).content.decode()
    assert "Escalated" in page
    assert deviation.get_absolute_url() in page


def test_comments_are_trimmed_and_limited(deviation, owner):
    with pytest.raises(alerts.ValidationError):
        alerts.deviation_comment_add(deviation=deviation, author=owner, text="x" * 4001)
    comment = alerts.deviation_comment_add(deviation=deviation, author=owner, text="  Why  ")
    assert comment.text == "Why"


def test_without_active_leadership_an_escalation_is_recorded_and_notifies_nobody(
    deviation, commit, mailoutbox
):
    UserFactory(username="manager-only")
    LeadershipFactory(username="retired", is_active=False)
    mailoutbox.clear()
    age(deviation, 20)
    assert commit(deviations_escalate) == 1
    deviation.refresh_from_db()
    assert deviation.escalated_at is not None
    assert not Notification.objects.filter(kind=NotificationKind.ESCALATED).exists()
    assert mailoutbox == []


# --- every URL for every persona ----------------------------------------------------------------

URLS = [
    ("deviations", "get"),
    ("deviation_detail", "get"),
    ("deviation_detail", "post"),
    ("deviation_read", "post"),
    ("notifications", "get"),
    ("notifications_read_all", "post"),
    ("notification_read", "post"),
    ("notification_settings", "get"),
    ("notification_settings", "post"),  # refused without a mode per kind: the page again
]
EXPECTED = {
    # persona: answer per URLS entry; the notification is the owner's
    "owner": [200, 200, 302, 302, 200, 302, 302, 200, 200],
    "team_member": [200, 200, 302, 302, 200, 302, 404, 200, 200],
    "administrator": [200, 200, 302, 302, 200, 302, 404, 200, 200],
    "leadership": [200, 200, 403, 302, 200, 302, 404, 200, 200],
    "outsider": [200, 404, 404, 404, 200, 302, 404, 200, 200],
    "anonymous": [access.LOGIN] * len(URLS),
}


def request_url(client, name: str, method: str, deviation):
    args = {
        "deviation_detail": [deviation.pk],
        "deviation_read": [deviation.pk],
        "notification_read": [Notification.objects.get(deviation=deviation).pk],
    }.get(name, [])
    target = reverse(f"controlling:{name}", args=args)
    if method == "get":
        return client.get(target)
    return client.post(target, {"text": "Order moved to next quarter."})


@pytest.mark.parametrize("persona", access.PERSONAS)
def test_every_url_for_every_persona(client, login_as, persona, deviation):
    login_as(persona)
    answers = [access.answer(request_url(client, name, method, deviation)) for name, method in URLS]
    assert answers == EXPECTED[persona]
