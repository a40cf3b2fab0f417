"""The roles' permissions with squads: coaches and head coaches add, change, delete and view squads (which ones
is athletes.selectors.squad_list's business: a coach the squads they coach). Operations are unchanged.

Converges like 0002 (each group gets exactly these permissions); reversing restores 0004's lists."""

import importlib

from django.db import migrations

previous = importlib.import_module("core.migrations.0004_role_groups_workouts")

SQUADS = previous._model_permissions("athletes", "squad", ["add", "change", "delete", "view"])

ROLE_PERMISSIONS = {
    "Coaches": previous.ROLE_PERMISSIONS["Coaches"] | SQUADS,
    "Head coaches": previous.ROLE_PERMISSIONS["Head coaches"] | SQUADS,
    "Operations": previous.ROLE_PERMISSIONS["Operations"],
}

sync_role_groups = previous._sync(ROLE_PERMISSIONS)
unsync_role_groups = previous._sync(previous.ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_role_groups_workouts"),
        ("athletes", "0004_squads"),
    ]

    operations = [migrations.RunPython(sync_role_groups, unsync_role_groups)]
