"""The three staff roles as groups, with exactly these permissions: "Coaches" (their athletes and the training
plan under them), "Head coaches" (the same, plus `athletes.view_all_athletes`: every athlete, and assigning
coaches) and "Operations" (connection profiles with their history, health events).

Converges: a group that exists gets exactly the permissions listed here (what an earlier migration or a hand
edit added beyond them is removed), a missing one is created. A later change of a role is a new migration
with the new lists. Reversing removes "Head coaches" and restores 0001's grants."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

def _model_permissions(app_label, model, actions):
    return {(app_label, f"{action}_{model}") for action in actions}


COACHING = (
    # Athletes are never deleted through a coach (profiles PROTECT their user's history); the plan's rows may
    # be deleted in the admin, within the coach's own athletes.
    _model_permissions("athletes", "athleteprofile", ["add", "change", "view"])
    | _model_permissions("training", "trainingprogram", ["add", "change", "delete", "view"])
    | _model_permissions("training", "programphase", ["add", "change", "delete", "view"])
    | _model_permissions("training", "microcycle", ["add", "change", "delete", "view"])
    | _model_permissions("training", "trainingsession", ["add", "change", "delete", "view"])
    # The athlete form picks the athlete's login with an autocomplete, which needs to see users.
    | {("auth", "view_user")}
)

# group name -> {(app_label, codename)}
ROLE_PERMISSIONS = {
    "Coaches": COACHING,
    "Head coaches": COACHING | {("athletes", "view_all_athletes")},
    "Operations": (
        _model_permissions("connections", "databaseconnectionprofile", ["add", "change", "delete", "view"])
        | {("connections", "view_historicaldatabaseconnectionprofile"), ("health", "view_connectionhealthevent")}
    ),
}


def sync_role_groups(apps, schema_editor):
    # On a fresh database the permissions are created by post_migrate, i.e. after this migration: make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps, using=schema_editor.connection.alias)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    db = schema_editor.connection.alias
    all_permissions = list(Permission.objects.using(db).select_related("content_type"))
    for group_name, codenames in ROLE_PERMISSIONS.items():
        permissions = [p for p in all_permissions if (p.content_type.app_label, p.codename) in codenames]
        missing = codenames - {(p.content_type.app_label, p.codename) for p in permissions}
        if missing:
            raise RuntimeError(f"Permissions not found for group {group_name}: {sorted(missing)}")
        group, _ = Group.objects.using(db).get_or_create(name=group_name)
        group.permissions.set(permissions)


def unsync_role_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name="Head coaches").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_role_groups"),
        ("athletes", "0002_coaches"),
        ("training", "0003_session_rpe_planned_load"),
        ("connections", "0002_profile_role"),
    ]

    operations = [migrations.RunPython(sync_role_groups, unsync_role_groups)]
