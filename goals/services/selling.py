"""Writes of selling positions: the model's rules, checked before every save, plus the rule
that spans rows (one joint development per offering and account)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import KeyAccount
from kam.concurrency import edit_check

from ..models import SITE_OF_OTHER_ACCOUNT, SellingPosition, SellingStage
from ..signals import figures_changed

JOINT_DEVELOPMENT_ELSEWHERE = _(
    "This offering is already in joint development with this account (%(where)s). A joint "
    "development sits either on the account level or at one site."
)


def joint_development_where(site) -> str:
    return site.name if site is not None else str(_("whole account"))


def joint_development_conflict(position: SellingPosition) -> SellingPosition | None:
    """Another position of the same account and offering in joint development, if any.

    Developing a product together with the customer is one project with the customer: it is
    recorded once, for the whole account or at the one site where it happens."""
    if position.stage != SellingStage.JOINT_DEVELOPMENT:
        return None
    others = SellingPosition.objects.filter(
        account_id=position.account_id,
        offering_id=position.offering_id,
        stage=SellingStage.JOINT_DEVELOPMENT,
    ).select_related("site")
    if position.pk:
        others = others.exclude(pk=position.pk)
    return others.first()


def _save(position: SellingPosition) -> SellingPosition:
    if (
        position.site_id is not None
        and position.site is not None
        and position.site.account_id != position.account_id
    ):
        raise ValidationError({"site": SITE_OF_OTHER_ACCOUNT})
    position.full_clean()
    other = joint_development_conflict(position)
    if other is not None:
        raise ValidationError(
            {
                "stage": ValidationError(
                    JOINT_DEVELOPMENT_ELSEWHERE,
                    code="joint_development_elsewhere",
                    params={"where": joint_development_where(other.site)},
                )
            }
        )
    position.save()
    _changed([position.account_id])
    return position


def _changed(account_ids) -> None:
    # The dimension metrics feed computed actuals (product groups sold, sites served, solution
    # share), so whatever controlling computed from them is out of date.
    figures_changed.send(SellingPosition, account_ids=list(account_ids), reason="selling positions")


@transaction.atomic
def selling_position_create(*, account: KeyAccount, user, **fields) -> SellingPosition:
    position = _save(SellingPosition(account=account, **fields))
    edit_check(instance=position, seen=None, user=user)  # names the creator in a conflict
    return position


@transaction.atomic
def selling_position_update(
    *, position: SellingPosition, user, seen: str | None = None, **fields
) -> SellingPosition:
    """Change a position; refused with StaleEdit when someone else changed what the form
    showed (`seen`, see kam.concurrency)."""
    edit_check(instance=position, seen=seen, user=user)
    for name, value in fields.items():
        setattr(position, name, value)
    return _save(position)


@transaction.atomic
def selling_position_save(*, position: SellingPosition, user) -> SellingPosition:
    """Save a position built elsewhere (the admin's form) under the same rules."""
    return _save(position)


@transaction.atomic
def selling_position_delete(*, position: SellingPosition, user) -> None:
    position.delete()
    _changed([position.account_id])
