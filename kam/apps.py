from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate, pre_migrate
from django.test.signals import setting_changed
from django.utils.translation import gettext_lazy as _


class KamConfig(AppConfig):
    name = "kam"
    verbose_name = _("Users and settings")

    def ready(self) -> None:
        from . import changes

        connection_created.connect(changes.connection_created_receiver)
        pre_migrate.connect(changes.pre_migrate_receiver)
        post_migrate.connect(changes.post_migrate_receiver)
        setting_changed.connect(changes.setting_changed_receiver)
