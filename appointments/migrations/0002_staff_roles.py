"""The two staff roles. Superusers manage staff accounts; neither role can."""

from django.db import migrations

ROLES = {
    "Front desk": [
        "appointments.view_appointmentrequest",
        "appointments.change_appointmentrequest",
        "appointments.view_note",
        "appointments.add_note",
        "appointments.view_statuschange",
        "blog.view_article",
        "blog.view_page",
    ],
}
ROLES["Clinical lead"] = ROLES["Front desk"] + [
    "appointments.export_appointmentrequest",
    "appointments.purge_appointmentrequest",
    "appointments.view_auditentry",
    # Reset a locked-out colleague's sign-in (django-axes).
    "axes.view_accessattempt",
    "axes.delete_accessattempt",
]


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; these roles need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codes in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        permissions = []
        for code in codes:
            app_label, codename = code.split(".")
            permissions.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(permissions)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("blog", "0001_initial"),
        ("axes", "0010_accessattemptexpiration"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
