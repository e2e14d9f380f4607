"""The administrator role opens the admin site without the superuser flag: the group
"Administrators" holds the permissions (kam.roles), and the role decides who is in it."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse

from kam import services
from kam.models import Role
from kam.roles import ADMINISTRATOR_PERMISSIONS, ADMINISTRATORS_GROUP, administrators_group_sync
from tests import factories

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label_lower)


def admin_url(model, page: str) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}")


def test_every_model_in_the_admin_has_its_administrator_permissions_decided():
    missing = {m._meta.label_lower for m in REGISTERED} - set(ADMINISTRATOR_PERMISSIONS)
    assert missing == set()


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label_lower)
def test_an_administrator_who_is_no_superuser_opens_every_changelist_and_add_page(
    client, administrator, model
):
    assert not administrator.is_superuser
    client.force_login(factories.SuperuserFactory(username="root"))
    superuser_add = client.get(admin_url(model, "add")).status_code
    client.force_login(administrator)

    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(admin_url(model, "changelist")).status_code == 200
    may_add = "add" in ADMINISTRATOR_PERMISSIONS[model._meta.label_lower]
    expected = superuser_add if may_add else 403
    assert client.get(admin_url(model, "add")).status_code == expected


@pytest.mark.parametrize("persona", ["owner", "leadership"])
@pytest.mark.parametrize("model", REGISTERED[:3] + REGISTERED[-3:], ids=str)
def test_managers_and_leadership_do_not_open_the_admin(client, request, persona, model):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(admin_url(model, "changelist"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_the_group_is_kept_in_sync_after_migrate(db):
    group = Group.objects.get(name=ADMINISTRATORS_GROUP)
    group.permissions.clear()
    administrators_group_sync()
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"add_kpidefinition", "change_threshold", "view_user", "view_goalresult"} <= codenames
    assert not {"delete_user", "change_group", "add_goalresult"} & codenames


def test_setting_the_role_moves_the_user_into_and_out_of_the_group(administrator):
    user = factories.UserFactory(username="promoted")
    group = Group.objects.get(name=ADMINISTRATORS_GROUP)

    services.user_role_set(by=administrator, user=user, role=Role.ADMIN)
    user.refresh_from_db()
    assert user.is_staff and group in user.groups.all()

    services.user_role_set(by=administrator, user=user, role=Role.LEADERSHIP)
    user.refresh_from_db()
    assert not user.is_staff and group not in user.groups.all()


def test_an_administrator_cannot_make_anyone_a_superuser_in_the_admin(client, administrator):
    manager = factories.UserFactory(username="plain")
    client.force_login(administrator)
    page = client.get(reverse("admin:kam_user_change", args=[manager.pk]))
    assert page.status_code == 200
    assert 'name="is_superuser"' not in page.content.decode()


def test_an_administrator_cannot_change_a_superuser_in_the_admin(client, administrator):
    root = factories.SuperuserFactory(username="root")
    client.force_login(administrator)
    assert client.get(reverse("admin:auth_user_password_change", args=[root.pk])).status_code == 403


def test_a_role_changed_in_the_admin_brings_the_group(client, administrator):
    manager = factories.UserFactory(username="plain")
    client.force_login(factories.SuperuserFactory(username="root"))
    page = client.get(reverse("admin:kam_user_change", args=[manager.pk]))
    data = {
        key: value
        for key, value in page.context["adminform"].form.initial.items()
        if value is not None and not isinstance(value, list)
    }
    data.update(role=Role.ADMIN, date_joined_0="2026-01-01", date_joined_1="00:00:00")
    data.pop("date_joined", None)
    data.pop("last_login", None)
    data.pop("password", None)
    response = client.post(reverse("admin:kam_user_change", args=[manager.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    manager.refresh_from_db()
    assert manager.is_staff
    assert manager.groups.filter(name=ADMINISTRATORS_GROUP).exists()
