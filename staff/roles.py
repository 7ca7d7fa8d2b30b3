"""The staff roles and what each may do: the one place they are defined.

Superusers manage staff accounts; no role can. A role is a Django group whose permissions are
set from ROLES after every `migrate` (and after a test database is flushed), so a change here
reaches every installation with its next release, and a permission granted by hand in the admin
does not outlive it. docs/staff-manual.md describes the roles for the people in them.
"""

FRONT_DESK = "Front desk"
CLINICAL_LEAD = "Clinical lead"

_WORK_REQUESTS = [
    "appointments.view_appointmentrequest",
    "appointments.change_appointmentrequest",
    "appointments.view_note",
    "appointments.add_note",
    "appointments.view_statuschange",
    "appointments.view_callattempt",
    "appointments.add_callattempt",
    "blog.view_article",
    "blog.view_page",
]

ROLES = {
    FRONT_DESK: _WORK_REQUESTS,
    CLINICAL_LEAD: [
        *_WORK_REQUESTS,
        "appointments.export_appointmentrequest",
        "appointments.purge_appointmentrequest",
        "appointments.view_auditentry",
        # The reply-time report (appointments/report.py): how soon requests are answered.
        "appointments.view_reply_report",
        # The admin index's "Content review due" card (articles and pages).
        "blog.review_content",
        # Lift a locked-out colleague's sign-in (django-axes; staff/admin.py).
        "staff.view_signinlockout",
        "staff.unlock_signinlockout",
        # Enrolment codes for staff phones, and the record of sign-in events.
        "staff.view_staffmember",
        "staff.manage_two_step",
        "staff.view_signinevent",
    ],
}


def sync_roles(apps=None, **kwargs):
    """Make each role's group hold exactly the permissions ROLES gives it (a post_migrate
    receiver: `apps` is the migrated project's state)."""
    from django.apps import apps as installed
    from django.contrib.auth.management import create_permissions

    apps = apps or installed
    # Django creates permissions app by app after migrating; the roles need all of them now.
    for app_config in installed.get_app_configs():
        create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codes in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = [tuple(code.split(".")) for code in codes]
        found = {
            (p.content_type.app_label, p.codename): p
            for p in Permission.objects.select_related("content_type").filter(
                codename__in=[codename for _, codename in wanted]
            )
        }
        missing = [".".join(code) for code in wanted if code not in found]
        if missing:
            raise LookupError(f"Role {role!r} names permissions that do not exist: {missing}")
        group.permissions.set(found[code] for code in wanted)
