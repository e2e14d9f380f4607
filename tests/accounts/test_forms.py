"""Forms decide what a user may pick: owners, parents, relationship owners, stakeholders."""

import pytest

from accounts.forms import (
    InteractionForm,
    KeyAccountForm,
    SiteForm,
    StakeholderForm,
    TeamMemberForm,
)
from accounts.models import AccountStatus, KeyAccount
from tests import factories
from tests.accounts.test_models import account_form_data


def new_account_data(**changes) -> dict:
    data = {
        "name": "Alpina Pack AG",
        "customer_number": "K-30001",
        "industry": "Packaging machines",
        "tier": "key",
        "owner": "",
        "parent": "",
        "country": "CH",
        "currency": "CHF",
        "status": "active",
        "attractiveness": "65",
        "relative_strength": "45",
    }
    data.update(changes)
    return data


# KeyAccountForm: who owns the account


def test_a_manager_cannot_change_the_owner_field(owner):
    form = KeyAccountForm(user=owner)

    assert form.fields["owner"].disabled is True
    assert form.fields["owner"].initial == owner.pk


def test_an_account_created_by_a_manager_is_owned_by_that_manager(owner, outsider):
    form = KeyAccountForm(data=new_account_data(owner=outsider.pk), user=owner)

    assert form.is_valid(), form.errors
    account = form.save()

    assert account.owner == owner


def test_a_team_member_editing_cannot_hand_the_account_over(account, owner, team_member):
    data = new_account_data(
        customer_number=account.customer_number, owner=team_member.pk, name="Renamed"
    )
    form = KeyAccountForm(data=data, instance=account, user=team_member)

    assert form.is_valid(), form.errors
    form.save()

    account.refresh_from_db()
    assert account.name == "Renamed"
    assert account.owner == owner


def test_an_administrator_assigns_the_owner(administrator, outsider):
    form = KeyAccountForm(data=new_account_data(owner=outsider.pk), user=administrator)

    assert form.fields["owner"].disabled is False
    assert form.is_valid(), form.errors
    assert form.save().owner == outsider


def test_an_administrator_hands_an_account_over(administrator, account, outsider):
    data = new_account_data(customer_number=account.customer_number, owner=outsider.pk)
    form = KeyAccountForm(data=data, instance=account, user=administrator)

    assert form.is_valid(), form.errors
    form.save()

    account.refresh_from_db()
    assert account.owner == outsider


def test_only_active_managers_can_own_an_account(administrator, leadership, owner):
    inactive = factories.UserFactory(username="retired", is_active=False)
    form = KeyAccountForm(user=administrator)

    choices = set(form.fields["owner"].queryset)

    assert owner in choices
    assert leadership not in choices
    assert administrator not in choices
    assert inactive not in choices
    assert not KeyAccountForm(
        data=new_account_data(owner=leadership.pk), user=administrator
    ).is_valid()


def test_an_administrator_must_name_an_owner(administrator):
    form = KeyAccountForm(data=new_account_data(owner=""), user=administrator)

    assert not form.is_valid()
    assert "owner" in form.errors


# KeyAccountForm: status and parent


def test_archived_is_not_a_status_choice(owner):
    form = KeyAccountForm(user=owner)

    values = [value for value, _label in form.fields["status"].choices]

    assert AccountStatus.ARCHIVED not in values
    assert AccountStatus.ACTIVE in values
    assert AccountStatus.ON_HOLD in values


def test_the_form_cannot_archive_an_account(owner):
    form = KeyAccountForm(data=new_account_data(status="archived"), user=owner)

    assert not form.is_valid()
    assert "status" in form.errors


def test_the_parent_choices_exclude_the_account_itself(account, owner):
    sibling = factories.KeyAccountFactory(owner=owner)

    parents = set(KeyAccountForm(instance=account, user=owner).fields["parent"].queryset)

    assert account not in parents
    assert sibling in parents


def test_the_parent_choices_hold_only_accounts_the_user_may_see(account, owner, outsider):
    foreign = factories.KeyAccountFactory(owner=outsider)
    archived = factories.KeyAccountFactory(owner=owner, status=AccountStatus.ARCHIVED)

    parents = set(KeyAccountForm(user=owner).fields["parent"].queryset)

    assert parents == {account}
    assert foreign not in parents
    assert archived not in parents


def test_a_manager_cannot_attach_an_account_to_a_group_they_cannot_see(owner, outsider):
    foreign = factories.KeyAccountFactory(owner=outsider)

    form = KeyAccountForm(data=new_account_data(parent=foreign.pk), user=owner)

    assert not form.is_valid()
    assert "parent" in form.errors


def test_a_team_member_may_pick_a_group_they_are_on_the_team_of(account, team_member):
    form = KeyAccountForm(data=new_account_data(parent=account.pk), user=team_member)

    assert form.is_valid(), form.errors
    assert form.save().parent == account


def test_the_customer_number_is_stored_without_surrounding_spaces(owner):
    form = KeyAccountForm(data=new_account_data(customer_number="  K-30001 "), user=owner)

    assert form.is_valid(), form.errors

    assert form.save().customer_number == "K-30001"


def test_a_customer_number_differing_only_by_spaces_is_a_duplicate(account, owner):
    form = KeyAccountForm(
        data=new_account_data(customer_number=f" {account.customer_number} "), user=owner
    )

    assert not form.is_valid()
    assert form.errors["customer_number"] == ["This customer number cannot be used."]
    assert KeyAccount.objects.count() == 1


# StakeholderForm


def stakeholder_data(**changes) -> dict:
    data = {
        "name": "Jens Albrecht",
        "buying_role": "buyer",
        "influence": "4",
        "attitude": "neutral",
        "interaction_level": "tactical",
        "relationship_owner": "",
        "contact_interval_days": "30",
    }
    data.update(changes)
    return data


def test_the_relationship_owner_is_the_account_owner_or_a_team_member(
    account, owner, team_member, outsider, leadership
):
    form = StakeholderForm(account=account)

    assert set(form.fields["relationship_owner"].queryset) == {owner, team_member}


@pytest.mark.parametrize("persona", ["owner", "team_member"])
def test_the_account_owner_or_a_team_member_can_own_a_relationship(user_of, account, persona):
    user = user_of(persona)

    form = StakeholderForm(data=stakeholder_data(relationship_owner=user.pk), account=account)

    assert form.is_valid(), form.errors
    assert form.save().relationship_owner == user


def test_someone_off_the_team_cannot_own_a_relationship(account, outsider):
    form = StakeholderForm(data=stakeholder_data(relationship_owner=outsider.pk), account=account)

    assert not form.is_valid()
    assert "relationship_owner" in form.errors


def test_an_inactive_team_member_cannot_own_a_relationship(account):
    former = factories.UserFactory(username="former", is_active=False)
    factories.TeamMemberFactory(account=account, user=former)

    form = StakeholderForm(data=stakeholder_data(relationship_owner=former.pk), account=account)

    assert not form.is_valid()
    assert "relationship_owner" in form.errors


def test_a_stakeholder_is_saved_on_the_form_s_account(account):
    form = StakeholderForm(data=stakeholder_data(), account=account)

    assert form.is_valid(), form.errors

    assert form.save().account == account


# InteractionForm


def interaction_data(stakeholders, **changes) -> dict:
    data = {
        "date": "2026-04-14",
        "kind": "visit",
        "stakeholders": [s.pk for s in stakeholders],
        "summary": "Plant tour, discussed the retrofit.",
    }
    data.update(changes)
    return data


def test_the_stakeholders_met_are_limited_to_the_account_s_own(account, owner, outsider):
    own = factories.StakeholderFactory(account=account)
    foreign = factories.StakeholderFactory(account=factories.KeyAccountFactory(owner=outsider))

    form = InteractionForm(account=account, author=owner)

    assert set(form.fields["stakeholders"].queryset) == {own}
    assert foreign not in form.fields["stakeholders"].queryset


def test_it_rejects_a_stakeholder_of_another_account(account, owner, outsider):
    own = factories.StakeholderFactory(account=account)
    foreign = factories.StakeholderFactory(account=factories.KeyAccountFactory(owner=outsider))

    form = InteractionForm(data=interaction_data([own, foreign]), account=account, author=owner)

    assert not form.is_valid()
    assert "stakeholders" in form.errors


def test_an_interaction_records_its_author_and_stakeholders(account, team_member):
    met = factories.StakeholderFactory.create_batch(2, account=account)

    form = InteractionForm(data=interaction_data(met), account=account, author=team_member)
    assert form.is_valid(), form.errors
    interaction = form.save()

    assert interaction.author == team_member
    assert interaction.account == account
    assert set(interaction.stakeholders.all()) == set(met)


def test_editing_an_interaction_keeps_its_original_author(account, owner, team_member):
    stakeholder = factories.StakeholderFactory(account=account)
    interaction = factories.InteractionFactory(
        account=account, author=owner, stakeholders=[stakeholder]
    )

    form = InteractionForm(
        data=interaction_data([stakeholder], summary="Corrected."),
        instance=interaction,
        account=account,
        author=team_member,
    )
    assert form.is_valid(), form.errors
    form.save()

    interaction.refresh_from_db()
    assert interaction.author == owner
    assert interaction.summary == "Corrected."


# TeamMemberForm


def test_it_rejects_a_user_already_on_the_team_with_a_clear_message(account, team_member):
    form = TeamMemberForm(data={"user": team_member.pk, "role": "sales"}, account=account)

    assert not form.is_valid()
    assert form.errors["user"] == ["This user is already on the account team."]
    assert account.team_members.count() == 1


def test_it_adds_a_new_user_to_the_team(account, team_member, outsider):
    form = TeamMemberForm(data={"user": outsider.pk, "role": "sales"}, account=account)

    assert form.is_valid(), form.errors
    member = form.save()

    assert member.account == account
    assert set(account.team.all()) == {team_member, outsider}


def test_the_owner_is_not_offered_as_a_team_member(account, owner):
    form = TeamMemberForm(account=account)

    assert owner not in form.fields["user"].queryset
    assert not TeamMemberForm(data={"user": owner.pk, "role": "sales"}, account=account).is_valid()


# SiteForm


def test_it_rejects_a_second_site_of_the_same_name_with_a_clear_message(account):
    factories.SiteFactory(account=account, name="Bremen plant")

    form = SiteForm(data={"name": "Bremen plant", "country": "DE"}, account=account)

    assert not form.is_valid()
    assert form.errors["name"] == ["This account already has a site with this name."]


def test_a_site_of_another_account_does_not_block_the_name(account, outsider):
    factories.SiteFactory(account=factories.KeyAccountFactory(owner=outsider), name="Bremen plant")

    form = SiteForm(data={"name": "Bremen plant", "country": "DE"}, account=account)

    assert form.is_valid(), form.errors


def test_a_new_site_defaults_to_the_account_s_country(owner):
    account = factories.KeyAccountFactory(owner=owner, country="SE")

    assert SiteForm(account=account).fields["country"].initial == "SE"


def test_a_site_keeps_its_own_name_when_edited(account):
    site = factories.SiteFactory(account=account, name="Bremen plant")

    form = SiteForm(
        data={"name": "Bremen plant", "city": "Bremen-Nord", "country": "DE"},
        instance=site,
        account=account,
    )

    assert form.is_valid(), form.errors


# The customer number: no existence oracle, unique regardless of case


def test_a_customer_number_differing_only_by_case_is_a_duplicate(account, owner):
    form = KeyAccountForm(
        data=new_account_data(customer_number=f" {account.customer_number.lower()} "), user=owner
    )

    assert not form.is_valid()
    assert form.errors["customer_number"] == ["This customer number cannot be used."]


def test_the_number_of_an_invisible_account_is_refused_with_the_words_of_any_other(account, owner):
    factories.KeyAccountFactory(owner=owner, customer_number="K-VISIBLE")
    factories.KeyAccountFactory(owner=factories.UserFactory(), customer_number="K-HIDDEN")
    assert not KeyAccount.objects.visible_to(owner).filter(customer_number="K-HIDDEN").exists()

    errors = {}
    for number in ["K-VISIBLE", "k-hidden"]:
        form = KeyAccountForm(data=new_account_data(customer_number=number), user=owner)
        assert not form.is_valid()
        errors[number] = form.errors["customer_number"]

    assert errors["K-VISIBLE"] == errors["k-hidden"] == ["This customer number cannot be used."]


def test_an_account_keeps_its_own_customer_number_in_another_case(account, owner):
    form = KeyAccountForm(
        data=account_form_data(account, customer_number=account.customer_number.lower()),
        instance=account,
        user=owner,
    )

    assert form.is_valid(), form.errors
