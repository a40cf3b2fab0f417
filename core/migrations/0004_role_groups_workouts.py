"""The roles' permissions with the workouts: coaches and head coaches add, change and view exercises (never
delete: an exercise is archived, so old sessions that name it stay valid) and write the sets their athletes
performed. Operations are unchanged.

Converges like 0002 (each group gets exactly these permissions); reversing restores 0002's lists."""

import importlib

from django.contrib.auth.management import create_permissions
from django.db import migrations

previous = importlib.import_module("core.migrations.0002_role_groups_head_coaches")


def _model_permissions(app_label, model, actions):
    return {(app_label, f"{action}_{model}") for action in actions}


WORKOUTS = _model_permissions("training", "exercise", ["add", "change", "view"]) | _model_permissions(
    "training", "performedset", ["add", "change", "delete", "view"]
)

ROLE_PERMISSIONS = {
    "Coaches": previous.ROLE_PERMISSIONS["Coaches"] | WORKOUTS,
    "Head coaches": previous.ROLE_PERMISSIONS["Head coaches"] | WORKOUTS,
    "Operations": previous.ROLE_PERMISSIONS["Operations"],
}


def _sync(role_permissions):
    def sync(apps, schema_editor):
        # On a fresh database the permissions are created by post_migrate, after this migration: make them now.
        for app_config in apps.get_app_configs():
            app_config.models_module = True
            create_permissions(app_config, verbosity=0, apps=apps, using=schema_editor.connection.alias)
            app_config.models_module = None

        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
        db = schema_editor.connection.alias
        all_permissions = list(Permission.objects.using(db).select_related("content_type"))
        for group_name, codenames in role_permissions.items():
            permissions = [p for p in all_permissions if (p.content_type.app_label, p.codename) in codenames]
            missing = codenames - {(p.content_type.app_label, p.codename) for p in permissions}
            if missing:
                raise RuntimeError(f"Permissions not found for group {group_name}: {sorted(missing)}")
            group, _ = Group.objects.using(db).get_or_create(name=group_name)
            group.permissions.set(permissions)

    return sync


sync_role_groups = _sync(ROLE_PERMISSIONS)
unsync_role_groups = _sync(previous.ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_idempotency_record"),
        ("training", "0009_workouts"),
    ]

    operations = [migrations.RunPython(sync_role_groups, unsync_role_groups)]
