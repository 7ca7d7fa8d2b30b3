from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


class StaffConfig(AppConfig):
    default = True
    name = "staff"
    verbose_name = "Staff sign-in"

    def ready(self):
        from .roles import sync_roles

        # Once a migrate (or a test database's flush) is done; sync_roles creates the other
        # apps' permissions first, whichever app's post_migrate comes before ours.
        post_migrate.connect(sync_roles, sender=self, dispatch_uid="staff.sync_roles")


class StaffAdminConfig(admin_apps.AdminConfig):
    """The Django admin, with our site (two-step sign-in) as the default."""

    default = False
    default_site = "staff.sites.ClinicAdminSite"
