from typing import TYPE_CHECKING

from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kam.concurrency import SeenFormMixin
from kam.models import Role

from .access import can_hand_over_account
from .models import (
    CUSTOMER_NUMBER_UNUSABLE,
    AccountTeamMember,
    Interaction,
    KeyAccount,
    MarketStage,
    PortfolioAxis,
    PortfolioCriterion,
    Site,
    Stakeholder,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

User = get_user_model()


class BaseForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


def managers():
    return User.objects.filter(is_active=True, role=Role.MANAGER)


class KeyAccountForm(SeenFormMixin, BaseForm):
    class Meta:
        model = KeyAccount
        fields = [
            "name",
            "customer_number",
            "industry",
            "tier",
            "owner",
            "parent",
            "country",
            "currency",
            "status",
            "attractiveness",
            "relative_strength",
        ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = managers()
        parents = KeyAccount.objects.visible_to(user).not_archived()
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents
        # Archiving has its own action with a confirmation, so the form offers the rest.
        self.fields["status"].choices = [
            c for c in self.fields["status"].choices if c[0] != "archived"
        ]
        if not can_hand_over_account(user):
            # Handing an account over is an admin's job; a manager plans their own.
            self.fields["owner"].disabled = True
            if not self.instance.pk:
                self.fields["owner"].initial = user.pk
                self.instance.owner = user
        # An axis with active criteria is the weighted result of the portfolio scoring; only
        # while an axis has none may its score be entered by hand.
        scored = set(PortfolioCriterion.objects.filter(active=True).values_list("axis", flat=True))
        for axis in scored:
            field = self.fields[axis]
            field.disabled = True
            field.help_text = _(
                "Set by the portfolio scoring: the weighted result of its criteria "
                "(tab “Portfolio scoring” of the account)."
            )

    def clean_customer_number(self):
        number = self.cleaned_data["customer_number"].strip()
        # Asked of every account, not the visible ones, and answered with the same words for
        # all: a taken number is refused without saying by which account or whether it exists.
        taken = KeyAccount.objects.with_customer_numbers([number])
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError(CUSTOMER_NUMBER_UNUSABLE, code="unusable")
        return number


class TeamMemberForm(BaseForm):
    class Meta:
        model = AccountTeamMember
        fields = ["user", "role"]

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account
        self.instance.account = account
        self.fields["user"].queryset = User.objects.filter(is_active=True).exclude(
            pk=account.owner_id
        )

    def clean_user(self):
        user = self.cleaned_data["user"]
        if self.account.team_members.filter(user=user).exists():
            raise forms.ValidationError(_("This user is already on the account team."))
        return user


class SiteForm(SeenFormMixin, BaseForm):
    class Meta:
        model = Site
        fields = ["name", "city", "region", "country"]

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.account = account
        if not self.instance.pk:
            self.fields["country"].initial = account.country

    def clean_name(self):
        # The form leaves out `account`, so Django skips the (account, name) constraint;
        # without this check a duplicate would reach the database as an IntegrityError.
        name = self.cleaned_data["name"]
        duplicates = Site.objects.filter(account=self.instance.account, name=name)
        if duplicates.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("This account already has a site with this name."))
        return name


class StakeholderForm(SeenFormMixin, BaseForm):
    class Meta:
        model = Stakeholder
        fields = [
            "name",
            "title",
            "department",
            "email",
            "phone",
            "buying_role",
            "influence",
            "attitude",
            "interaction_level",
            "relationship_owner",
            "contact_interval_days",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.account = account
        team = account.team_members.values("user_id")
        self.fields["relationship_owner"].queryset = User.objects.filter(is_active=True).filter(
            pk__in=team
        ) | User.objects.filter(pk=account.owner_id)
        self.fields["influence"].widget = forms.NumberInput(attrs={"min": 1, "max": 5})


class InteractionForm(SeenFormMixin, BaseForm):
    class Meta:
        model = Interaction
        fields = ["date", "kind", "stakeholders", "summary"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "stakeholders": forms.CheckboxSelectMultiple,
            "summary": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, account, author, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.account = account
        if not self.instance.pk:
            self.instance.author = author
        self.fields["stakeholders"].queryset = account.stakeholders.all()


class MarketStageForm(SeenFormMixin, BaseForm):
    class Meta:
        model = MarketStage
        fields = ["position", "name", "description", "pull_activities"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "pull_activities": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.account = account


class PortfolioScoringForm(forms.Form):
    """One score 1-10 per active criterion; every message names the criterion."""

    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What changed since the last scoring, or where the scores come from."),
    )

    def __init__(self, *args, criteria: list[PortfolioCriterion], initial_scores: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            name = criterion.name
            out_of_range = _("“%(name)s”: the score must be between 1 and 10.") % {"name": name}
            # Range messages are %-formatted once more with the limits, so a % in a name must
            # not read as a placeholder there.
            escaped = out_of_range.replace("%", "%%")
            self.fields[self.field_name(criterion)] = forms.IntegerField(
                label=criterion.name,
                min_value=1,
                max_value=10,
                initial=initial_scores.get(criterion.pk),
                help_text=criterion.description,
                error_messages={
                    "required": _("“%(name)s”: a score is missing.") % {"name": name},
                    "invalid": out_of_range,
                    "min_value": escaped,
                    "max_value": escaped,
                },
                widget=forms.NumberInput(attrs={"min": 1, "max": 10, "step": 1}),
            )

    @staticmethod
    def field_name(criterion: PortfolioCriterion) -> str:
        return f"criterion_{criterion.pk}"

    def axes(
        self,
    ) -> list[tuple["StrOrPromise", list[tuple[PortfolioCriterion, forms.BoundField]]]]:
        """The criteria with their inputs, grouped by axis for the table."""
        return [
            (
                label,
                [(c, self[self.field_name(c)]) for c in self.criteria if c.axis == axis],
            )
            for axis, label in PortfolioAxis.choices
            if any(c.axis == axis for c in self.criteria)
        ]

    def scores(self) -> dict[int, int | None]:
        return {c.pk: self.cleaned_data.get(self.field_name(c)) for c in self.criteria}
