"""The roles' permissions with wellness: coaches and head coaches view wellness entries (of the athletes they
see: wellness.selectors), never write them (the athlete does, through the API, without a permission); head coaches
also view the erasure records (privacy). Operations are unchanged: wellness is health data they never see.

Converges like 0002 (each group gets exactly these permissions); reversing restores 0007's lists."""

import importlib

from django.db import migrations

previous = importlib.import_module("core.migrations.0007_role_groups_events")
workouts = importlib.import_module("core.migrations.0004_role_groups_workouts")

WELLNESS = workouts._model_permissions("wellness", "wellnessentry", ["view"])
ERASURES = workouts._model_permissions("privacy", "erasurerecord", ["view"])

ROLE_PERMISSIONS = {
    "Coaches": previous.ROLE_PERMISSIONS["Coaches"] | WELLNESS,
    "Head coaches": previous.ROLE_PERMISSIONS["Head coaches"] | WELLNESS | ERASURES,
    "Operations": previous.ROLE_PERMISSIONS["Operations"],
}

sync_role_groups = workouts._sync(ROLE_PERMISSIONS)
unsync_role_groups = workouts._sync(previous.ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0007_role_groups_events"),
        ("wellness", "0001_initial"),
        ("privacy", "0001_initial"),
    ]

    operations = [migrations.RunPython(sync_role_groups, unsync_role_groups)]
