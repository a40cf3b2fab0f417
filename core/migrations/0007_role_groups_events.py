"""The roles' permissions with season events: coaches and head coaches add, change, delete and view events (of the
athletes they see: training.season.selectors); athletes read their own through the API without a permission, as
their programs. Operations are unchanged.

Converges like 0002 (each group gets exactly these permissions); reversing restores 0006's lists."""

import importlib

from django.db import migrations

previous = importlib.import_module("core.migrations.0006_role_groups_templates")
workouts = importlib.import_module("core.migrations.0004_role_groups_workouts")

EVENTS = workouts._model_permissions("training", "seasonevent", ["add", "change", "delete", "view"])

ROLE_PERMISSIONS = {
    "Coaches": previous.ROLE_PERMISSIONS["Coaches"] | EVENTS,
    "Head coaches": previous.ROLE_PERMISSIONS["Head coaches"] | EVENTS,
    "Operations": previous.ROLE_PERMISSIONS["Operations"],
}

sync_role_groups = workouts._sync(ROLE_PERMISSIONS)
unsync_role_groups = workouts._sync(previous.ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_role_groups_templates"),
        ("training", "0013_season_events"),
    ]

    operations = [migrations.RunPython(sync_role_groups, unsync_role_groups)]
