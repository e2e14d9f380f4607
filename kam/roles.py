"""What the administrator role may do in the Django admin, as one Django group.

The role is the truth (`User.role`); the group "Administrators" carries the model permissions
the admin site asks for, so an administrator needs no superuser flag. `kam.services` puts a
user into the group (and sets `is_staff`) when it sets the role; the group's permissions are
set after every migrate (`post_migrate_receiver`), once the permissions of every app exist.
"""

from django.apps import AppConfig, apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.management import create_contenttypes
from django.db.models import Q

ADMINISTRATORS_GROUP = "Administrators"

ALL = ("add", "change", "delete", "view")
VIEW = ("view",)

# Every model the admin site shows, by "app_label.model_name" (kam names the apps' models as
# strings and imports none of them); the admin classes narrow further (accounts are archived,
# not deleted; computed results are read-only). An entry of an app that is not installed is
# skipped. tests/test_roles.py fails when a model registered in the admin is missing here.
ADMINISTRATOR_PERMISSIONS: dict[str, tuple[str, ...]] = {
    # Users are deactivated, never deleted: plans, actuals and comments hang on them.
    "kam.user": ("add", "change", "view"),
    # Group membership follows the role; a group editor would hand out any permission.
    "auth.group": VIEW,
    # Schedules of the nightly run and the escalation (docs/operations.md).
    "django_celery_beat.periodictask": ALL,
    "django_celery_beat.clockedschedule": ALL,
    "django_celery_beat.crontabschedule": ALL,
    "django_celery_beat.solarschedule": ALL,
    "django_celery_beat.intervalschedule": ALL,
    # Lock-outs after failed logins, when django-axes is installed: read and lift them.
    "axes.accessattempt": ("delete", "view"),
    "axes.accessfailurelog": ("delete", "view"),
    "axes.accesslog": VIEW,
    # Accounts and what hangs on them (corrections; the app is where they are worked on).
    "accounts.keyaccount": ALL,
    "accounts.accountteammember": ALL,
    "accounts.site": ALL,
    "accounts.marketstage": ALL,
    "accounts.stakeholder": ALL,
    "accounts.interaction": ALL,
    # Portfolio criteria and their scorings.
    "accounts.portfoliocriterion": ALL,
    "accounts.portfolioscoring": ALL,
    "accounts.portfolioscore": VIEW,
    # KPI catalogue, templates, seasonal profiles, the strategic frame, offerings.
    "goals.kpidefinition": ALL,
    "goals.seasonalprofile": ALL,
    "goals.goaltemplateset": ALL,
    "goals.goaltemplate": ALL,
    "goals.framerule": ALL,
    "goals.productgroup": ALL,
    "goals.offering": ALL,
    "goals.accountplan": ALL,
    "goals.swotitem": ALL,
    "goals.sellingposition": ALL,
    # Controlling: thresholds, health weights, corrections of actuals, ratings, runs, alerts.
    "controlling.threshold": ALL,
    "controlling.healthweights": ALL,
    "controlling.actual": ALL,
    "controlling.goalrating": ALL,
    "controlling.controllingrun": ALL,
    "controlling.recomputemark": ALL,
    "controlling.deviation": ALL,
    "controlling.deviationcomment": ALL,
    # Computed by the controlling run; read only.
    "controlling.goalresult": VIEW,
    "controlling.goalstate": VIEW,
    "controlling.notification": VIEW,
}


def administrator_permissions(using: str = "default") -> list[Permission]:
    """The permissions of ADMINISTRATOR_PERMISSIONS that exist (installed apps only)."""
    installed = {config.label for config in apps.get_app_configs()}
    wanted = Q(pk__in=[])
    for label, actions in ADMINISTRATOR_PERMISSIONS.items():
        app_label, model_name = label.split(".")
        if app_label not in installed:
            continue
        codenames = [f"{action}_{model_name}" for action in actions]
        wanted |= Q(
            content_type__app_label=app_label,
            content_type__model=model_name,
            codename__in=codenames,
        )
    return list(Permission.objects.using(using).filter(wanted))


def administrators_group_sync(using: str = "default") -> Group:
    """Create the group if missing and give it exactly the listed permissions (idempotent)."""
    group, _created = Group.objects.using(using).get_or_create(name=ADMINISTRATORS_GROUP)
    group.permissions.set(administrator_permissions(using))
    return group


def post_migrate_receiver(sender: AppConfig, using: str = "default", **kwargs) -> None:
    """After migrate (or flush): Django creates each app's permissions in that app's own
    post_migrate, and kam's comes before the apps above it; so create them all here first
    (it is idempotent), then set the group."""
    verbosity = kwargs.get("verbosity", 1)
    for config in apps.get_app_configs():
        create_contenttypes(config, verbosity=0 if verbosity < 2 else verbosity, using=using)
        create_permissions(config, verbosity=0 if verbosity < 2 else verbosity, using=using)
    administrators_group_sync(using)
