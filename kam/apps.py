from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate, pre_migrate
from django.test.signals import setting_changed
from django.utils.translation import gettext_lazy as _


class KamConfig(AppConfig):
    name = "kam"
    verbose_name = _("Users and settings")
    # What no kept page reads (kam.kept): the versions themselves and the users' permissions.
    unkept_models = ["TableVersion", "User.groups", "User.user_permissions"]

    def ready(self) -> None:
        from . import kept, roles

        connection_created.connect(kept.connection_created_receiver)
        pre_migrate.connect(kept.pre_migrate_receiver)
        # Once per migrate (or flush), not once per app.
        post_migrate.connect(kept.post_migrate_receiver, sender=self)
        post_migrate.connect(roles.post_migrate_receiver, sender=self)
        setting_changed.connect(kept.setting_changed_receiver)
