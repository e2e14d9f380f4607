"""Writes of selling positions: the model's rules, checked before every save."""

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import KeyAccount

from ..models import SITE_OF_OTHER_ACCOUNT, SellingPosition


def _save(position: SellingPosition) -> SellingPosition:
    if position.site_id is not None and position.site.account_id != position.account_id:
        raise ValidationError({"site": SITE_OF_OTHER_ACCOUNT})
    position.full_clean()
    position.save()
    return position


@transaction.atomic
def selling_position_create(*, account: KeyAccount, user, **fields) -> SellingPosition:
    return _save(SellingPosition(account=account, **fields))


@transaction.atomic
def selling_position_update(*, position: SellingPosition, user, **fields) -> SellingPosition:
    for name, value in fields.items():
        setattr(position, name, value)
    return _save(position)


@transaction.atomic
def selling_position_delete(*, position: SellingPosition, user) -> None:
    position.delete()
