"""Both staff roles log call attempts and see them (the roles are made in 0002_staff_roles)."""

from django.db import migrations

GRANTS = ["appointments.view_callattempt", "appointments.add_callattempt"]
ROLES = ["Front desk", "Clinical lead"]


def permissions(apps):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; the roles need these now.
    app_config = apps.get_app_config("appointments")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    return [
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in (code.split(".") for code in GRANTS)
    ]


def grant(apps, schema_editor):
    for group in apps.get_model("auth", "Group").objects.filter(name__in=ROLES):
        group.permissions.add(*permissions(apps))


def revoke(apps, schema_editor):
    for group in apps.get_model("auth", "Group").objects.filter(name__in=ROLES):
        group.permissions.remove(*permissions(apps))


class Migration(migrations.Migration):
    dependencies = [("appointments", "0006_call_attempts_and_callbacks")]

    operations = [migrations.RunPython(grant, revoke)]
