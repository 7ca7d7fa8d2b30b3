"""The clinical lead issues enrolment codes and clears the wait after wrong codes."""

from django.db import migrations

PERMISSIONS = ["view_staffmember", "manage_two_step", "view_signinevent"]


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; the role needs them now.
    staff = apps.get_app_config("staff")
    staff.models_module = True
    create_permissions(staff, apps=apps, verbosity=0)
    staff.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    lead, _ = Group.objects.get_or_create(name="Clinical lead")
    lead.permissions.add(
        *Permission.objects.filter(content_type__app_label="staff", codename__in=PERMISSIONS)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for lead in Group.objects.filter(name="Clinical lead"):
        lead.permissions.remove(*lead.permissions.filter(codename__in=PERMISSIONS))


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0001_two_step_sign_in"),
        # That migration creates the role (and sets its permissions, replacing any).
        ("appointments", "0002_staff_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
