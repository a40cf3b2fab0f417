"""The role groups: what the data migration grants, that it is idempotent and reversible, and what each
role can reach in the admin."""

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.db import connection
from django.urls import reverse

from tests.support.factories.athletes import StaffFactory
from tests.support.factories.health import ConnectionHealthEventFactory

pytestmark = pytest.mark.django_db

roles = importlib.import_module("core.migrations.0001_role_groups")


class _SchemaEditor:
    connection = connection


def ensure_groups():
    # Transactional tests elsewhere flush the database (and the migrated groups with it): re-apply.
    roles.create_role_groups(apps, _SchemaEditor())


def perms(name):
    group = Group.objects.get(name=name)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def staff_in(group_name):
    ensure_groups()
    user = StaffFactory()
    user.groups.add(Group.objects.get(name=group_name))
    return user


def test_coaches_may_work_on_athletes_and_training_but_not_delete_athletes_or_touch_ops():
    ensure_groups()
    granted = perms("Coaches")
    for model in ("trainingprogram", "programphase", "microcycle", "trainingsession"):
        assert {f"training.{a}_{model}" for a in ("add", "change", "delete", "view")} <= granted
    assert {"athletes.add_athleteprofile", "athletes.change_athleteprofile", "athletes.view_athleteprofile"} <= granted
    assert "athletes.delete_athleteprofile" not in granted
    assert "auth.view_user" in granted and "auth.change_user" not in granted
    assert not any(p.startswith(("connections.", "health.")) for p in granted)


# Every staff role manages its own webhook endpoints (core/migrations/0008_role_groups_webhooks.py).
WEBHOOK_PERMISSIONS = {
    *(f"webhooks.{a}_webhookendpoint" for a in ("add", "change", "delete", "view")),
    "webhooks.view_webhookdelivery",
}


def test_operations_may_manage_profiles_and_view_events_only():
    ensure_groups()
    assert perms("Operations") == {
        "connections.add_databaseconnectionprofile",
        "connections.change_databaseconnectionprofile",
        "connections.delete_databaseconnectionprofile",
        "connections.view_databaseconnectionprofile",
        "connections.view_historicaldatabaseconnectionprofile",
        "health.view_connectionhealthevent",
        *WEBHOOK_PERMISSIONS,
    }


def test_the_migration_is_idempotent_and_reversible():
    roles.remove_role_groups(apps, _SchemaEditor())  # what later role migrations granted is not 0001's
    ensure_groups()
    before = (perms("Coaches"), perms("Operations"))
    ensure_groups()
    assert Group.objects.filter(name__in=["Coaches", "Operations"]).count() == 2
    assert (perms("Coaches"), perms("Operations")) == before
    roles.remove_role_groups(apps, _SchemaEditor())
    assert not Group.objects.filter(name__in=["Coaches", "Operations"]).exists()
    ensure_groups()
    assert (perms("Coaches"), perms("Operations")) == before


def test_the_migration_is_a_reversible_run_python_after_every_app():
    operation = roles.Migration.operations[0]
    assert operation.reversible
    assert {app for app, _ in roles.Migration.dependencies} >= {"athletes", "training", "connections", "health"}


def test_a_coach_reaches_training_but_not_operations(client):
    client.force_login(staff_in("Coaches"))
    assert client.get(reverse("admin:training_trainingprogram_add")).status_code == 200
    assert client.get(reverse("admin:training_trainingsession_changelist")).status_code == 200
    assert client.get(reverse("admin:athletes_athleteprofile_add")).status_code == 200
    assert client.get(reverse("admin:connections_databaseconnectionprofile_changelist")).status_code == 403
    assert client.get(reverse("admin:health_connectionhealthevent_changelist")).status_code == 403
    # The athlete form's user autocomplete works for a coach.
    url = reverse("admin:autocomplete") + "?app_label=athletes&model_name=athleteprofile&field_name=user&term=coach"
    assert client.get(url).status_code == 200


def test_an_operator_reaches_profiles_events_and_verdicts_but_not_training(client):
    ConnectionHealthEventFactory(environment="production")
    client.force_login(staff_in("Operations"))
    assert client.get(reverse("admin:connections_databaseconnectionprofile_add")).status_code == 200
    assert client.get(reverse("admin:health_connectionhealthevent_changelist")).status_code == 200
    assert client.get(reverse("admin:training_trainingprogram_changelist")).status_code == 403
    assert 'id="health-verdicts"' in client.get(reverse("admin:index")).content.decode()


# --- 0002: Head coaches, and groups kept exactly as the latest role migration lists them ----------------

roles2 = importlib.import_module("core.migrations.0002_role_groups_head_coaches")


def sync_groups():
    roles2.sync_role_groups(apps, _SchemaEditor())


def test_head_coaches_have_the_coaches_permissions_plus_view_all_athletes():
    sync_groups()
    assert perms("Head coaches") == perms("Coaches") | {"athletes.view_all_athletes"}
    assert "athletes.view_all_athletes" not in perms("Coaches")
    assert not any(p.startswith(("connections.", "health.")) for p in perms("Head coaches"))


def test_sync_converges_a_hand_edited_group_and_is_idempotent():
    from django.contrib.auth.models import Permission

    sync_groups()
    before = {name: perms(name) for name in ("Coaches", "Head coaches", "Operations")}
    coaches = Group.objects.get(name="Coaches")
    coaches.permissions.add(Permission.objects.get(codename="view_all_athletes"))
    coaches.permissions.remove(Permission.objects.get(codename="view_trainingsession"))
    Group.objects.get(name="Head coaches").delete()
    sync_groups()
    sync_groups()
    assert {name: perms(name) for name in before} == before
    assert Group.objects.filter(name__in=list(before)).count() == 3


def test_reversing_0002_removes_head_coaches_only():
    sync_groups()
    roles2.unsync_role_groups(apps, _SchemaEditor())
    assert not Group.objects.filter(name="Head coaches").exists()
    assert Group.objects.filter(name__in=["Coaches", "Operations"]).count() == 2
    sync_groups()


def test_0002_runs_after_the_models_it_grants_on():
    deps = set(roles2.Migration.dependencies)
    assert ("core", "0001_role_groups") in deps and ("athletes", "0002_coaches") in deps
    assert roles2.Migration.operations[0].reversible


# --- 0004: the workouts --------------------------------------------------------------------------------

roles4 = importlib.import_module("core.migrations.0004_role_groups_workouts")


def test_coaches_write_exercises_and_performed_sets_but_never_delete_an_exercise():
    roles4.sync_role_groups(apps, _SchemaEditor())
    for group in ("Coaches", "Head coaches"):
        granted = perms(group)
        assert {"training.add_exercise", "training.change_exercise", "training.view_exercise"} <= granted
        assert "training.delete_exercise" not in granted
        assert {f"training.{a}_performedset" for a in ("add", "change", "delete", "view")} <= granted
    assert not any("exercise" in p or "performedset" in p for p in perms("Operations"))


def test_reversing_the_workouts_roles_restores_the_previous_lists():
    roles4.sync_role_groups(apps, _SchemaEditor())
    roles4.unsync_role_groups(apps, _SchemaEditor())
    after = {name: perms(name) for name in ("Coaches", "Head coaches", "Operations")}
    sync_groups()  # 0002's lists
    assert after == {name: perms(name) for name in ("Coaches", "Head coaches", "Operations")}
    assert not any("exercise" in p for p in after["Coaches"])


# --- 0005: squads --------------------------------------------------------------------------------------

roles5 = importlib.import_module("core.migrations.0005_role_groups_squads")


def test_coaches_and_head_coaches_write_squads_and_operations_do_not():
    roles5.sync_role_groups(apps, _SchemaEditor())
    for group in ("Coaches", "Head coaches"):
        assert {f"athletes.{a}_squad" for a in ("add", "change", "delete", "view")} <= perms(group)
    assert not any("squad" in p for p in perms("Operations"))


def test_reversing_the_squads_roles_restores_the_workouts_lists():
    roles5.sync_role_groups(apps, _SchemaEditor())
    roles5.unsync_role_groups(apps, _SchemaEditor())
    after = {name: perms(name) for name in ("Coaches", "Head coaches", "Operations")}
    roles4.sync_role_groups(apps, _SchemaEditor())
    assert after == {name: perms(name) for name in ("Coaches", "Head coaches", "Operations")}
    assert not any("squad" in p for p in after["Coaches"])


# --- 0006: the plan library ----------------------------------------------------------------------------

roles6 = importlib.import_module("core.migrations.0006_role_groups_templates")


def test_coaches_and_head_coaches_write_templates_and_operations_do_not():
    roles6.sync_role_groups(apps, _SchemaEditor())
    for group in ("Coaches", "Head coaches"):
        granted = perms(group)
        for model in ("programtemplate", "sessiontemplate"):
            assert {f"training.{a}_{model}" for a in ("add", "change", "delete", "view")} <= granted
    assert not any("template" in p for p in perms("Operations"))


def test_reversing_the_library_roles_restores_the_squads_lists():
    roles6.sync_role_groups(apps, _SchemaEditor())
    roles6.unsync_role_groups(apps, _SchemaEditor())
    after = {name: perms(name) for name in ("Coaches", "Head coaches", "Operations")}
    roles5.sync_role_groups(apps, _SchemaEditor())
    assert after == {name: perms(name) for name in ("Coaches", "Head coaches", "Operations")}
    assert not any("template" in p for p in after["Coaches"])


# --- 0007: season events -------------------------------------------------------------------------------

roles7 = importlib.import_module("core.migrations.0007_role_groups_events")


def test_coaches_and_head_coaches_write_events_and_operations_do_not():
    roles7.sync_role_groups(apps, _SchemaEditor())
    for group in ("Coaches", "Head coaches"):
        assert {f"training.{a}_seasonevent" for a in ("add", "change", "delete", "view")} <= perms(group)
    assert not any("seasonevent" in p for p in perms("Operations"))


def test_reversing_the_events_roles_restores_the_library_lists():
    roles7.sync_role_groups(apps, _SchemaEditor())
    roles7.unsync_role_groups(apps, _SchemaEditor())
    after = {name: perms(name) for name in ("Coaches", "Head coaches", "Operations")}
    roles6.sync_role_groups(apps, _SchemaEditor())
    assert after == {name: perms(name) for name in ("Coaches", "Head coaches", "Operations")}


# --- 0009: activities ----------------------------------------------------------------------------------------

roles8 = importlib.import_module("core.migrations.0008_role_groups_wellness")
roles9 = importlib.import_module("core.migrations.0009_role_groups_activities")


def test_coaches_and_head_coaches_have_the_activity_permissions_and_operations_do_not():
    roles9.sync_role_groups(apps, _SchemaEditor())
    for group in ("Coaches", "Head coaches"):
        assert {f"training.{a}_activity" for a in ("add", "change", "delete", "view")} <= perms(group)
    assert not any("_activity" in p for p in perms("Operations"))


def test_reversing_the_activities_roles_restores_the_wellness_lists():
    roles9.sync_role_groups(apps, _SchemaEditor())
    roles9.unsync_role_groups(apps, _SchemaEditor())
    after = {name: perms(name) for name in ("Coaches", "Head coaches", "Operations")}
    roles8.sync_role_groups(apps, _SchemaEditor())
    assert after == {name: perms(name) for name in ("Coaches", "Head coaches", "Operations")}
    assert not any("_activity" in p for p in after["Coaches"])


# --- 0010: webhooks ------------------------------------------------------------------------------------

roles10 = importlib.import_module("core.migrations.0010_role_groups_webhooks")


def test_every_staff_role_manages_webhook_endpoints_and_athletes_get_none():
    roles10.sync_role_groups(apps, _SchemaEditor())
    for group in ("Coaches", "Head coaches", "Operations"):
        assert perms(group) >= WEBHOOK_PERMISSIONS
        assert "webhooks.change_webhookdelivery" not in perms(group)


def test_reversing_the_webhooks_roles_restores_the_activities_lists():
    roles10.sync_role_groups(apps, _SchemaEditor())
    roles10.unsync_role_groups(apps, _SchemaEditor())
    after = {name: perms(name) for name in ("Coaches", "Head coaches", "Operations")}
    roles9.sync_role_groups(apps, _SchemaEditor())
    assert after == {name: perms(name) for name in ("Coaches", "Head coaches", "Operations")}
    assert not any(p.startswith("webhooks.") for group in after.values() for p in group)
