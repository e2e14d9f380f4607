"""The demo data of the embedded default: logins, then each app's `demo.load(users=...)`.

The alert mails the demo's controlling run sends go to the log at debug level (DemoMailLog),
so the command prints only the logins and a summary."""

import logging
from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils.module_loading import import_string, module_has_submodule

from kam.models import Role
from kam.services import user_role_apply

DEMO_PASSWORD = "demo"

logger = logging.getLogger(__name__)


class DemoMailLog(BaseEmailBackend):
    """The mail backend while the demo loads: each message to the log at debug level."""

    def send_messages(self, email_messages):
        for message in email_messages:
            logger.debug("Demo mail to %s: %s", ", ".join(message.to), message.subject)
        return len(email_messages)


USERS = [
    ("anna", "Anna", "Berger", Role.MANAGER, "de"),
    ("ben", "Ben", "Carter", Role.MANAGER, "en"),
    ("carla", "Carla", "Schmidt", Role.MANAGER, "de"),
    ("david", "David", "Moreau", Role.MANAGER, "en"),
    ("emma", "Emma", "Lindqvist", Role.MANAGER, "en"),
    ("felix", "Felix", "Wagner", Role.MANAGER, "de"),
    ("lea", "Lea", "Hoffmann", Role.LEADERSHIP, "de"),
    ("mark", "Mark", "Ellis", Role.LEADERSHIP, "en"),
    ("admin", "Ada", "Admin", Role.ADMIN, "en"),
]


class Command(BaseCommand):
    help = "Load demo users and data. Safe to run again: it updates, never duplicates."

    def handle(self, *args, **options):
        if not settings.KAM_ALLOW_DEMO_DATA:
            raise CommandError(
                "Demo data creates logins with a well-known password and is disabled here. "
                "Use the local settings (make run), or set KAM_ALLOW_DEMO_DATA=true with them, "
                "only on a machine nobody else can reach."
            )
        # The controlling run sends its alert mails after the commit, so inside the override.
        with override_settings(EMAIL_BACKEND=f"{__name__}.DemoMailLog"), transaction.atomic():
            users = self.load_users()
            # INSTALLED_APPS order is the dependency order: accounts, goals, controlling.
            for app in apps.get_app_configs():
                if module_has_submodule(app.module, "demo"):
                    import_string(f"{app.name}.demo.load")(users=users)
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Logins (password “demo”):"))
        for username, first, last, role, _lang in USERS:
            self.stdout.write(f"  {username:<6} {first} {last}: {role.label}")
        # Each app's demo may say in a line what it holds (`demo.summary()`).
        for app in apps.get_app_configs():
            if module_has_submodule(app.module, "demo"):
                module = import_module(f"{app.name}.demo")
                if hasattr(module, "summary"):
                    self.stdout.write(module.summary())

    def load_users(self):
        User = get_user_model()
        users = {}
        for username, first, last, role, language in USERS:
            user, _ = User.objects.update_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.com",
                    "role": role,
                    "language": language,
                    # The administrator is one by role, through the group (kam.roles).
                    "is_superuser": False,
                },
            )
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            user_role_apply(user=user)
            users[username] = user
        return users
