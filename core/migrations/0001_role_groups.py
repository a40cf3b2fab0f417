"""The two staff roles as groups: "Coaches" (athlete and training data) and "Operations" (connection
profiles with their history, health events).

Idempotent (re-running adds what is missing, never duplicates) and reversible (the groups are removed).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# app_label -> model -> actions
ROLE_PERMISSIONS = {
    "Coaches": {
        "athletes": {"athleteprofile": ["add", "change", "view"]},
        "training": {
            "trainingprogram": ["add", "change", "delete", "view"],
            "programphase": ["add", "change", "delete", "view"],
            "microcycle": ["add", "change", "delete", "view"],
            "trainingsession": ["add", "change", "delete", "view"],
        },
        # The athlete form picks the athlete's login with an autocomplete, which needs to see users.
        "auth": {"user": ["view"]},
    },
    "Operations": {
        "connections": {
            "databaseconnectionprofile": ["add", "change", "delete", "view"],
            "historicaldatabaseconnectionprofile": ["view"],
        },
        "health": {"connectionhealthevent": ["view"]},
    },
}


def create_role_groups(apps, schema_editor):
    # On a fresh database the permissions are created by post_migrate, i.e. after this migration: make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps, using=schema_editor.connection.alias)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    db = schema_editor.connection.alias
    for group_name, by_app in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(db).get_or_create(name=group_name)
        codenames = {
            (app_label, f"{action}_{model}")
            for app_label, models in by_app.items()
            for model, actions in models.items()
            for action in actions
        }
        permissions = [
            permission
            for permission in Permission.objects.using(db).select_related("content_type")
            if (permission.content_type.app_label, permission.codename) in codenames
        ]
        missing = codenames - {(p.content_type.app_label, p.codename) for p in permissions}
        if missing:
            raise RuntimeError(f"Permissions not found for group {group_name}: {sorted(missing)}")
        group.permissions.add(*permissions)


def remove_role_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name__in=list(ROLE_PERMISSIONS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("athletes", "0001_initial"),
        ("training", "0001_initial"),
        ("connections", "0001_initial"),
        ("health", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_role_groups, remove_role_groups)]
