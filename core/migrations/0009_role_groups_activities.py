"""The roles' permissions with imported activities: coaches and head coaches add (upload), change (link, unlink),
delete (admin) and view activities of the athletes they see (training.activities.selectors); athletes upload,
read and link their own through the API without a permission, as they log their sessions. Operations are
unchanged.

Converges like 0002 (each group gets exactly these permissions); reversing restores 0008's lists."""

import importlib

from django.db import migrations

previous = importlib.import_module("core.migrations.0008_role_groups_wellness")
workouts = importlib.import_module("core.migrations.0004_role_groups_workouts")

ACTIVITIES = workouts._model_permissions("training", "activity", ["add", "change", "delete", "view"])

ROLE_PERMISSIONS = {
    "Coaches": previous.ROLE_PERMISSIONS["Coaches"] | ACTIVITIES,
    "Head coaches": previous.ROLE_PERMISSIONS["Head coaches"] | ACTIVITIES,
    "Operations": previous.ROLE_PERMISSIONS["Operations"],
}

sync_role_groups = workouts._sync(ROLE_PERMISSIONS)
unsync_role_groups = workouts._sync(previous.ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0008_role_groups_wellness"),
        ("training", "0016_activities"),
    ]

    operations = [migrations.RunPython(sync_role_groups, unsync_role_groups)]
