"""The roles' permissions with the plan library: coaches and head coaches add, change, delete and view program and
session templates (which ones is training.library.selectors' business: a coach's own and the shared ones; only
the owner or a head coach changes one). Operations are unchanged.

Converges like 0002 (each group gets exactly these permissions); reversing restores 0005's lists."""

import importlib

from django.db import migrations

previous = importlib.import_module("core.migrations.0005_role_groups_squads")
workouts = importlib.import_module("core.migrations.0004_role_groups_workouts")

TEMPLATES = workouts._model_permissions(
    "training", "programtemplate", ["add", "change", "delete", "view"]
) | workouts._model_permissions("training", "sessiontemplate", ["add", "change", "delete", "view"])

ROLE_PERMISSIONS = {
    "Coaches": previous.ROLE_PERMISSIONS["Coaches"] | TEMPLATES,
    "Head coaches": previous.ROLE_PERMISSIONS["Head coaches"] | TEMPLATES,
    "Operations": previous.ROLE_PERMISSIONS["Operations"],
}

sync_role_groups = workouts._sync(ROLE_PERMISSIONS)
unsync_role_groups = workouts._sync(previous.ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_role_groups_squads"),
        ("training", "0012_templates"),
    ]

    operations = [migrations.RunPython(sync_role_groups, unsync_role_groups)]
