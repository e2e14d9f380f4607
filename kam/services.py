"""Managing users: create, deactivate and reactivate, set the role, send a password reset.

Users are never deleted (plans, actuals and comments hang on them); a deactivated user cannot
log in. Every function refuses a caller who may not manage users (`kam.access`).
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from .access import can_change_user, can_manage_users
from .models import Role, User
from .roles import ADMINISTRATORS_GROUP


def _refuse_unless_manager_of_users(by: User, user: User | None = None) -> None:
    if not can_manage_users(by) or (user is not None and not can_change_user(by, user)):
        raise PermissionDenied


def user_role_apply(*, user: User) -> None:
    """Make the staff flag and the group "Administrators" follow the role: administrators
    open the admin site with the group's permissions, leadership and managers are not staff
    (a superuser stays staff). Called by every write of a role, the admin's included."""
    group, _created = Group.objects.get_or_create(name=ADMINISTRATORS_GROUP)
    administrator = user.role == Role.ADMIN
    is_staff = administrator or user.is_superuser
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])
    if administrator:
        user.groups.add(group)
    else:
        user.groups.remove(group)


@transaction.atomic
def user_create(
    *,
    by: User,
    username: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    role: str = Role.MANAGER,
    language: str = "en",
) -> User:
    """A new, active user without a password: they choose one through the password reset
    mail (`user_password_reset_send`)."""
    _refuse_unless_manager_of_users(by)
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=User.objects.normalize_email(email),
        role=role,
        language=language,
    )
    user.set_unusable_password()
    user.full_clean()
    user.save()
    user_role_apply(user=user)
    return user


@transaction.atomic
def user_update(
    *, by: User, user: User, first_name: str, last_name: str, email: str, language: str
) -> User:
    """Name, e-mail and language; the role has its own function."""
    _refuse_unless_manager_of_users(by, user)
    user.first_name = first_name
    user.last_name = last_name
    user.email = User.objects.normalize_email(email)
    user.language = language
    user.full_clean()
    user.save(update_fields=["first_name", "last_name", "email", "language"])
    return user


@transaction.atomic
def user_role_set(*, by: User, user: User, role: str) -> User:
    """Set the role, and with it the staff flag and the administrators' group. An
    administrator cannot give up their own role, so the last one cannot lock everyone out."""
    _refuse_unless_manager_of_users(by, user)
    if role not in Role.values:
        raise ValidationError(_("Unknown role."))
    if user.pk == by.pk and role != Role.ADMIN:
        raise ValidationError(_("You cannot take away your own administrator role."))
    user.role = role
    user.save(update_fields=["role"])
    user_role_apply(user=user)
    return user


@transaction.atomic
def user_deactivate(*, by: User, user: User) -> User:
    """The user can no longer log in (sessions included); everything they did stays."""
    _refuse_unless_manager_of_users(by, user)
    if user.pk == by.pk:
        raise ValidationError(_("You cannot deactivate yourself."))
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    return user


@transaction.atomic
def user_reactivate(*, by: User, user: User) -> User:
    _refuse_unless_manager_of_users(by, user)
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    return user


def user_password_reset_send(*, by: User, user: User) -> None:
    """Send the user Django's password reset mail (in their language), with a link under
    KAM_BASE_URL; it works for a user who never had a password too."""
    _refuse_unless_manager_of_users(by, user)
    if not user.is_active:
        raise ValidationError(_("The user is deactivated; reactivate them first."))
    if not user.email:
        raise ValidationError(_("The user has no e-mail address."))
    base = urlsplit(settings.KAM_BASE_URL)
    with translation.override(user.language):
        context = {
            "email": user.email,
            "domain": base.netloc,
            "site_name": base.netloc,
            "uid": urlsafe_base64_encode(force_bytes(user.pk)),
            "user": user,
            "token": default_token_generator.make_token(user),
            "protocol": base.scheme or "https",
        }
        PasswordResetForm().send_mail(
            "registration/password_reset_subject.txt",
            "registration/password_reset_email.html",
            context,
            None,
            user.email,
        )
