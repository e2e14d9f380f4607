"""The daily contact reminder: one mail per person, overdue contacts only, in their language."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone, translation

from accounts import services
from accounts.models import AccountStatus
from accounts.tasks import send_contact_reminders
from tests import factories

TODAY = date(2026, 6, 30)


def contacted(stakeholder, days_ago: int) -> None:
    factories.InteractionFactory(
        account=stakeholder.account,
        stakeholders=[stakeholder],
        date=TODAY - timedelta(days=days_ago),
    )


def overdue(account, name: str, **kwargs):
    stakeholder = factories.StakeholderFactory(
        account=account, name=name, contact_interval_days=30, **kwargs
    )
    contacted(stakeholder, days_ago=31)
    return stakeholder


def mails_to(address: str) -> list:
    return [m for m in mail.outbox if m.to == [address]]


def test_it_sends_one_mail_per_relationship_owner(account, owner, team_member):
    overdue(account, "Karin Vogt", relationship_owner=team_member)
    overdue(account, "Jens Albrecht", relationship_owner=team_member)
    overdue(account, "Thomas Reich", relationship_owner=owner)

    sent = services.contact_reminders_send(today=TODAY)

    assert sent == 2
    assert len(mail.outbox) == 2
    (to_member,) = mails_to(team_member.email)
    assert "Karin Vogt" in to_member.body
    assert "Jens Albrecht" in to_member.body
    assert "Thomas Reich" not in to_member.body
    (to_owner,) = mails_to(owner.email)
    assert "Thomas Reich" in to_owner.body
    assert "Karin Vogt" not in to_owner.body


def test_one_mail_gathers_a_persons_contacts_across_accounts(account, owner):
    other = factories.KeyAccountFactory(owner=owner, name="Alpina Pack AG")
    overdue(account, "Karin Vogt")
    overdue(other, "Urs Keller")

    assert services.contact_reminders_send(today=TODAY) == 1

    (reminder,) = mail.outbox
    assert reminder.to == [owner.email]
    assert "Karin Vogt (Nordwerk Antriebe)" in reminder.body
    assert "Urs Keller (Alpina Pack AG)" in reminder.body


def test_without_a_relationship_owner_the_account_owner_is_reminded(account, owner):
    overdue(account, "Karin Vogt", relationship_owner=None)

    services.contact_reminders_send(today=TODAY)

    (reminder,) = mail.outbox
    assert reminder.to == [owner.email]
    assert "Karin Vogt" in reminder.body


def test_a_departed_relationship_owner_s_contacts_go_to_the_account_owner(
    account, owner, team_member
):
    overdue(account, "Karin Vogt", relationship_owner=team_member)
    team_member.is_active = False
    team_member.save()

    services.contact_reminders_send(today=TODAY)

    (reminder,) = mail.outbox
    assert reminder.to == [owner.email]
    assert "Karin Vogt" in reminder.body


def test_nobody_without_an_address_is_mailed(account, owner):
    owner.email = ""
    owner.save()
    overdue(account, "Karin Vogt")

    assert services.contact_reminders_send(today=TODAY) == 0
    assert mail.outbox == []


def test_only_overdue_contacts_are_listed(account, owner):
    never = factories.StakeholderFactory(account=account, name="Marta Nowak")
    stale = factories.StakeholderFactory(account=account, name="Jens Albrecht")
    contacted(stale, days_ago=31)
    due_today = factories.StakeholderFactory(account=account, name="Karin Vogt")
    contacted(due_today, days_ago=30)
    recent = factories.StakeholderFactory(account=account, name="Thomas Reich")
    contacted(recent, days_ago=2)

    services.contact_reminders_send(today=TODAY)

    (reminder,) = mail.outbox
    assert never.name in reminder.body
    assert stale.name in reminder.body
    assert due_today.name not in reminder.body
    assert recent.name not in reminder.body
    assert "never contacted" in reminder.body


def test_no_mail_when_every_contact_is_current(account):
    contacted(factories.StakeholderFactory(account=account), days_ago=1)

    assert services.contact_reminders_send(today=TODAY) == 0
    assert mail.outbox == []


def test_archived_accounts_are_left_out(account, owner):
    archived = factories.KeyAccountFactory(owner=owner, status=AccountStatus.ARCHIVED)
    on_hold = factories.KeyAccountFactory(owner=owner, status=AccountStatus.ON_HOLD)
    overdue(archived, "Archived Contact")
    overdue(on_hold, "On Hold Contact")

    services.contact_reminders_send(today=TODAY)

    (reminder,) = mail.outbox
    assert "On Hold Contact" in reminder.body
    assert "Archived Contact" not in reminder.body


@pytest.mark.parametrize(
    ("count", "subject"),
    [(1, "1 key account contact is overdue"), (2, "2 key account contacts are overdue")],
)
def test_an_english_recipient_gets_an_english_subject(account, owner, count, subject):
    owner.first_name, owner.last_name, owner.language = "Anna", "Berger", "en"
    owner.save()
    for n in range(count):
        overdue(account, f"Contact {n}")

    services.contact_reminders_send(today=TODAY)

    (reminder,) = mail.outbox
    assert reminder.subject == subject
    assert reminder.body.startswith("Hello Anna Berger,")


def test_each_mail_is_written_in_its_recipient_s_language(account, owner, team_member, monkeypatch):
    owner.language = "en"
    owner.save()
    team_member.language = "de"
    team_member.save()
    overdue(account, "Karin Vogt", relationship_owner=owner)
    overdue(account, "Jens Albrecht", relationship_owner=team_member)
    active_language = {}
    real_send_mail = mail.send_mail

    def recording_send_mail(*, recipient_list, **kwargs):
        active_language[recipient_list[0]] = translation.get_language()
        return real_send_mail(recipient_list=recipient_list, **kwargs)

    monkeypatch.setattr(services, "send_mail", recording_send_mail)

    with translation.override("en"):
        services.contact_reminders_send(today=TODAY)
        assert translation.get_language() == "en"

    assert active_language == {owner.email: "en", team_member.email: "de"}


def test_the_daily_task_sends_the_reminders_as_of_today(account, owner):
    today = timezone.localdate()
    current = factories.StakeholderFactory(account=account, name="Karin Vogt")
    factories.InteractionFactory(account=account, stakeholders=[current], date=today)
    stale = factories.StakeholderFactory(account=account, name="Jens Albrecht")
    factories.InteractionFactory(
        account=account, stakeholders=[stale], date=today - timedelta(days=31)
    )

    # Called directly rather than through .delay(): an eager .delay() would cache Celery's
    # disabled result backend on this thread, which the real-worker test then inherits.
    assert send_contact_reminders() == 1
    (reminder,) = mail.outbox
    assert "Jens Albrecht" in reminder.body
    assert "Karin Vogt" not in reminder.body


def test_the_plain_text_mail_is_not_html_escaped(owner):
    owner.first_name, owner.last_name = "Siobhán", "O'Neil"
    owner.save()
    account = factories.KeyAccountFactory(owner=owner, name="Müller & Söhne")
    overdue(account, "Dr. D'Souza <Einkauf>")

    services.contact_reminders_send(today=TODAY)

    (reminder,) = mail.outbox
    assert reminder.body.startswith("Hello Siobhán O'Neil,")
    assert "Dr. D'Souza <Einkauf> (Müller & Söhne)" in reminder.body
    assert "&amp;" not in reminder.body
    assert "&#x27;" not in reminder.body + reminder.subject
