from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def name_in_language(name_en: str, name_de: str) -> str:
    """A catalogue entry's name (criterion, KPI, product group, offering) in the active
    language: German when German is active and the entry has a German name, else English."""
    if (get_language() or "").split("-")[0] == "de" and name_de:
        return name_de
    return name_en


class Role(models.TextChoices):
    MANAGER = "manager", _("Key account manager")
    LEADERSHIP = "leadership", _("Sales leadership")
    ADMIN = "admin", _("Administrator")


class KamUserManager(UserManager["User"]):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A login. The role decides what the user may see and change.

    The rule itself lives in `KeyAccount.objects.visible_to` and `accounts.access`.
    """

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MANAGER)
    # Mails and background work for this user are written in this language.
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )

    objects: ClassVar[KamUserManager] = KamUserManager()

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        # django-stubs types the base Meta's names as str; Django's own are lazy too.
        verbose_name = _("user")  # type: ignore[assignment]
        verbose_name_plural = _("users")  # type: ignore[assignment]
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.name_of(self.first_name, self.last_name, self.username)

    @staticmethod
    def name_of(first_name: str, last_name: str, username: str) -> str:
        """How a user is named everywhere, from the three columns (for lists of hundreds that
        need no user objects)."""
        return f"{first_name} {last_name}".strip() or username

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    @property
    def is_leadership(self) -> bool:
        return self.role == Role.LEADERSHIP

    @property
    def is_administrator(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser

    @property
    def sees_all_accounts(self) -> bool:
        return self.is_leadership or self.is_administrator

    @property
    def is_read_only(self) -> bool:
        """Leadership steers from dashboards and approvals; it does not edit account data."""
        return self.is_leadership and not self.is_administrator


class TableVersion(models.Model):
    """The version of a watched table (kam.kept) on databases without sequences."""

    name = models.CharField(_("table"), max_length=63, primary_key=True)
    number = models.BigIntegerField(_("number"), default=0)

    class Meta:
        verbose_name = _("table version")
        verbose_name_plural = _("table versions")

    def __str__(self) -> str:
        return f"{self.name}: {self.number}"


class LastEdit(models.Model):
    """Who last saved a record through a form (kam.concurrency), so a refused stale save can
    name them. One row per record; models with simple-history also have their history."""

    content_type = models.ForeignKey(
        "contenttypes.ContentType", verbose_name=_("type"), on_delete=models.CASCADE
    )
    object_id = models.PositiveBigIntegerField(_("record"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("saved at"))

    class Meta:
        verbose_name = _("last edit")
        verbose_name_plural = _("last edits")
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id"], name="kam_last_edit_once")
        ]

    def __str__(self) -> str:
        return f"{self.content_type_id}:{self.object_id} {self.at:%Y-%m-%d %H:%M}"
