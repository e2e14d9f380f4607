from django.db import migrations


def administrators_group(apps, schema_editor):
    """The role decides the group and the staff flag: administrators join "Administrators"
    (whose permissions kam.roles sets after every migrate, once every app's exist) and are
    staff; leadership and managers are not, unless they are superusers."""
    Group = apps.get_model("auth", "Group")
    User = apps.get_model("kam", "User")
    group, _created = Group.objects.get_or_create(name="Administrators")
    administrators = User.objects.filter(role="admin")
    group.user_set.add(*administrators)
    administrators.update(is_staff=True)
    User.objects.exclude(role="admin").filter(is_superuser=False).update(is_staff=False)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("kam", "0004_last_edit"),
    ]

    operations = [migrations.RunPython(administrators_group, migrations.RunPython.noop)]
