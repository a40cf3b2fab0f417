"""The roles' permissions with webhooks: coaches, head coaches and operations add, change, delete and view their
own webhook endpoints and view their deliveries (which ones is webhooks.selectors' business: a user's own).
Athletes get none.

Converges like 0002 (each group gets exactly these permissions); reversing restores 0009's lists."""

import importlib

from django.db import migrations

previous = importlib.import_module("core.migrations.0009_role_groups_activities")
workouts = importlib.import_module("core.migrations.0004_role_groups_workouts")

WEBHOOKS = workouts._model_permissions(
    "webhooks", "webhookendpoint", ["add", "change", "delete", "view"]
) | workouts._model_permissions("webhooks", "webhookdelivery", ["view"])

ROLE_PERMISSIONS = {
    "Coaches": previous.ROLE_PERMISSIONS["Coaches"] | WEBHOOKS,
    "Head coaches": previous.ROLE_PERMISSIONS["Head coaches"] | WEBHOOKS,
    "Operations": previous.ROLE_PERMISSIONS["Operations"] | WEBHOOKS,
}

sync_role_groups = workouts._sync(ROLE_PERMISSIONS)
unsync_role_groups = workouts._sync(previous.ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0009_role_groups_activities"),
        ("webhooks", "0001_initial"),
    ]

    operations = [migrations.RunPython(sync_role_groups, unsync_role_groups)]
