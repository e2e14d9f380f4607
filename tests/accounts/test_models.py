"""Invariants of one row: database constraints, model validation, derived contact state."""

import importlib
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.forms import KeyAccountForm
from accounts.models import AccountTeamMember, KeyAccount, Site, Stakeholder
from tests import factories

SCORE_FIELDS = ["attractiveness", "relative_strength"]


def account_form_data(account: KeyAccount, **changes) -> dict:
    data = {
        "name": account.name,
        "customer_number": account.customer_number,
        "industry": account.industry,
        "tier": account.tier,
        "owner": account.owner_id,
        "parent": account.parent_id or "",
        "country": str(account.country),
        "currency": account.currency,
        "status": account.status,
        "attractiveness": account.attractiveness,
        "relative_strength": account.relative_strength,
    }
    data.update(changes)
    return {key: "" if value is None else value for key, value in data.items()}


def assert_refused_by_database(queryset, **values) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        queryset.update(**values)


# Customer number


def test_it_rejects_a_duplicate_customer_number_in_the_form(owner):
    factories.KeyAccountFactory(owner=owner, customer_number="K-4711")
    other = factories.KeyAccountFactory(owner=owner, customer_number="K-4712")

    form = KeyAccountForm(
        data=account_form_data(other, customer_number="K-4711"), instance=other, user=owner
    )

    assert not form.is_valid()
    assert form.errors["customer_number"] == ["This customer number cannot be used."]


def test_it_rejects_a_duplicate_customer_number_in_the_database(owner):
    factories.KeyAccountFactory(owner=owner, customer_number="K-4711")

    with pytest.raises(IntegrityError), transaction.atomic():
        factories.KeyAccountFactory(owner=owner, customer_number="K-4711")


# Portfolio scores 0..100


@pytest.mark.parametrize("field", SCORE_FIELDS)
@pytest.mark.parametrize("value", [101, -1])
def test_the_form_rejects_a_score_outside_0_to_100_on_that_field(account, owner, field, value):
    form = KeyAccountForm(
        data=account_form_data(account, **{field: value}), instance=account, user=owner
    )

    assert not form.is_valid()
    assert list(form.errors) == [field]


@pytest.mark.parametrize("field", SCORE_FIELDS)
@pytest.mark.parametrize("value", [0, 100])
def test_the_form_accepts_the_score_bounds(account, owner, field, value):
    form = KeyAccountForm(
        data=account_form_data(account, **{field: value}), instance=account, user=owner
    )

    assert form.is_valid(), form.errors


@pytest.mark.parametrize("field", SCORE_FIELDS)
@pytest.mark.parametrize("value", [101, -1])
def test_full_clean_rejects_a_score_outside_0_to_100_on_that_field(account, field, value):
    setattr(account, field, value)

    with pytest.raises(ValidationError) as excinfo:
        account.full_clean()

    assert list(excinfo.value.message_dict) == [field]


@pytest.mark.parametrize("field", SCORE_FIELDS)
def test_the_check_constraint_itself_refuses_a_score_above_100(account, field):
    setattr(account, field, 101)

    with pytest.raises(ValidationError) as excinfo:
        account.validate_constraints()

    assert f"keyaccount_{field}_0_100" in str(excinfo.value)


@pytest.mark.parametrize("field", SCORE_FIELDS)
@pytest.mark.parametrize("value", [101, -1])
def test_the_database_refuses_a_score_outside_0_to_100(account, field, value):
    assert_refused_by_database(KeyAccount.objects.filter(pk=account.pk), **{field: value})


# Customer groups


def test_it_rejects_an_account_as_its_own_parent(account):
    account.parent = account

    with pytest.raises(ValidationError) as excinfo:
        account.full_clean()

    assert "parent" in excinfo.value.message_dict


def test_the_database_refuses_an_account_as_its_own_parent(account):
    assert_refused_by_database(KeyAccount.objects.filter(pk=account.pk), parent=account.pk)


def test_it_rejects_a_parent_cycle(owner):
    group = factories.KeyAccountFactory(owner=owner, name="Group")
    subsidiary = factories.KeyAccountFactory(owner=owner, name="Subsidiary", parent=group)
    group.parent = subsidiary

    with pytest.raises(ValidationError) as excinfo:
        group.full_clean()

    assert excinfo.value.message_dict["parent"] == [
        "An account cannot be its own parent, directly or indirectly."
    ]


def test_the_account_form_rejects_a_parent_cycle(owner):
    group = factories.KeyAccountFactory(owner=owner, name="Group")
    subsidiary = factories.KeyAccountFactory(owner=owner, name="Subsidiary", parent=group)

    form = KeyAccountForm(
        data=account_form_data(group, parent=subsidiary.pk), instance=group, user=owner
    )

    assert not form.is_valid()
    assert "parent" in form.errors
    group.refresh_from_db()
    assert group.parent is None


def test_it_accepts_a_parent_chain_without_cycle(owner):
    top = factories.KeyAccountFactory(owner=owner)
    middle = factories.KeyAccountFactory(owner=owner, parent=top)
    bottom = factories.KeyAccountFactory(owner=owner, parent=middle)

    bottom.full_clean()


# Account team


def test_a_user_can_be_on_an_account_team_only_once(account, team_member):
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountTeamMember.objects.create(account=account, user=team_member, role="sales")


def test_validation_names_the_duplicate_team_member(account, team_member):
    duplicate = AccountTeamMember(account=account, user=team_member, role="sales")

    with pytest.raises(ValidationError) as excinfo:
        duplicate.full_clean()

    assert "This user is already on the account team." in str(excinfo.value)


def test_the_same_user_may_be_on_the_teams_of_two_accounts(account, team_member, owner):
    other = factories.KeyAccountFactory(owner=owner)

    membership = AccountTeamMember(account=other, user=team_member, role="sales")
    membership.full_clean()
    membership.save()

    assert team_member.team_memberships.count() == 2


def test_site_names_are_unique_per_account(account):
    factories.SiteFactory(account=account, name="Bremen plant")

    with pytest.raises(IntegrityError), transaction.atomic():
        Site.objects.create(account=account, name="Bremen plant", country="DE")


def test_two_accounts_may_have_sites_of_the_same_name(account, owner):
    factories.SiteFactory(account=account, name="Bremen plant")
    other = factories.KeyAccountFactory(owner=owner)

    site = Site(account=other, name="Bremen plant", country="DE")
    site.full_clean()


# Stakeholders


@pytest.mark.parametrize("influence", [0, 6])
def test_it_rejects_influence_outside_1_to_5(account, influence):
    stakeholder = factories.StakeholderFactory.build(account=account, influence=influence)

    with pytest.raises(ValidationError) as excinfo:
        stakeholder.full_clean()

    assert list(excinfo.value.message_dict) == ["influence"]


@pytest.mark.parametrize("influence", [1, 5])
def test_it_accepts_influence_1_and_5(account, influence):
    factories.StakeholderFactory.build(account=account, influence=influence).full_clean()


@pytest.mark.parametrize("influence", [0, 6])
def test_the_database_refuses_influence_outside_1_to_5(account, influence):
    stakeholder = factories.StakeholderFactory(account=account)

    assert_refused_by_database(Stakeholder.objects.filter(pk=stakeholder.pk), influence=influence)


def test_it_rejects_a_contact_interval_below_one_day(account):
    stakeholder = factories.StakeholderFactory.build(account=account, contact_interval_days=0)

    with pytest.raises(ValidationError) as excinfo:
        stakeholder.full_clean()

    assert list(excinfo.value.message_dict) == ["contact_interval_days"]


def test_it_accepts_a_contact_interval_of_one_day(account):
    factories.StakeholderFactory.build(account=account, contact_interval_days=1).full_clean()


def test_the_database_refuses_a_contact_interval_below_one_day(account):
    stakeholder = factories.StakeholderFactory(account=account)

    assert_refused_by_database(
        Stakeholder.objects.filter(pk=stakeholder.pk), contact_interval_days=0
    )


# Pages of each object


def test_every_object_with_a_page_links_to_it(client, owner, account):
    site = factories.SiteFactory(account=account)
    stakeholder = factories.StakeholderFactory(account=account)
    interaction = factories.InteractionFactory(account=account, stakeholders=[stakeholder])
    stage = factories.MarketStageFactory(account=account)
    member = account.team_members.get()
    expected = {
        account: f"/accounts/{account.pk}/",
        site: f"/accounts/{account.pk}/sites/",
        stakeholder: f"/accounts/{account.pk}/stakeholders/{stakeholder.pk}/",
        interaction: f"/accounts/{account.pk}/interactions/",
        stage: f"/accounts/{account.pk}/market-stages/",
        member: f"/accounts/{account.pk}/team/",
    }
    client.force_login(owner)

    for obj, url in expected.items():
        assert obj.get_absolute_url() == url
        assert client.get(url).status_code == 200, url


# Last contact and overdue contacts


def test_last_contact_is_the_latest_interaction_with_the_stakeholder(account):
    stakeholder = factories.StakeholderFactory(account=account)
    other = factories.StakeholderFactory(account=account)
    factories.InteractionFactory(account=account, date=date(2026, 3, 1), stakeholders=[stakeholder])
    factories.InteractionFactory(
        account=account, date=date(2026, 5, 10), stakeholders=[stakeholder, other]
    )
    factories.InteractionFactory(account=account, date=date(2026, 6, 1), stakeholders=[other])

    annotated = Stakeholder.objects.with_last_contact().get(pk=stakeholder.pk)

    assert annotated.last_contact == date(2026, 5, 10)


def test_last_contact_is_none_without_interactions(account):
    stakeholder = factories.StakeholderFactory(account=account)

    assert Stakeholder.objects.with_last_contact().get(pk=stakeholder.pk).last_contact is None


def test_a_stakeholder_never_contacted_is_overdue(account):
    stakeholder = factories.StakeholderFactory(account=account)

    assert stakeholder.contact_overdue(None, today=date(2026, 6, 1)) is True


@pytest.mark.parametrize(
    ("days_since_contact", "overdue"),
    [(0, False), (29, False), (30, False), (31, True), (400, True)],
)
def test_contact_is_overdue_only_after_the_interval_has_passed(
    account, days_since_contact, overdue
):
    stakeholder = factories.StakeholderFactory(account=account, contact_interval_days=30)
    today = date(2026, 6, 30)

    assert (
        stakeholder.contact_overdue(today - timedelta(days=days_since_contact), today=today)
        is overdue
    )


@pytest.mark.parametrize(("days_since_contact", "overdue"), [(None, True), (7, False), (8, True)])
def test_the_overdue_flag_reads_the_annotated_last_contact(account, days_since_contact, overdue):
    stakeholder = factories.StakeholderFactory(account=account, contact_interval_days=7)
    if days_since_contact is not None:
        factories.InteractionFactory(
            account=account,
            date=timezone.localdate() - timedelta(days=days_since_contact),
            stakeholders=[stakeholder],
        )

    annotated = Stakeholder.objects.with_last_contact().get(pk=stakeholder.pk)

    assert annotated.is_contact_overdue is overdue


def test_the_database_refuses_a_customer_number_differing_only_by_case(owner):
    factories.KeyAccountFactory(owner=owner, customer_number="K-4711")

    with pytest.raises(IntegrityError), transaction.atomic():
        factories.KeyAccountFactory(owner=owner, customer_number="k-4711")


def test_accounts_are_found_by_customer_number_trimmed_and_regardless_of_case(owner):
    account = factories.KeyAccountFactory(owner=owner, customer_number="K-4711")
    factories.KeyAccountFactory(owner=owner, customer_number="K-4712")

    assert list(KeyAccount.objects.with_customer_numbers([" k-4711 "])) == [account]


def _customer_number_migration():
    return importlib.import_module("accounts.migrations.0004_customer_number_case_insensitive")


def test_the_migration_trims_stored_customer_numbers(owner):
    account = factories.KeyAccountFactory(owner=owner, customer_number="K-1")
    KeyAccount.objects.filter(pk=account.pk).update(customer_number="  K-1 ")

    _customer_number_migration().trim_and_check(apps, None)

    account.refresh_from_db()
    assert account.customer_number == "K-1"


def test_the_migration_stops_naming_numbers_that_differ_only_in_case_or_spaces(owner):
    first = factories.KeyAccountFactory(owner=owner, customer_number="K-1")
    second = factories.KeyAccountFactory(owner=owner, customer_number="K-2")
    KeyAccount.objects.filter(pk=second.pk).update(customer_number="k-1 ")

    with pytest.raises(RuntimeError, match=rf"'K-1' \(id {first.pk}\) and 'k-1 '"):
        _customer_number_migration().trim_and_check(apps, None)
