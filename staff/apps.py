from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class StaffConfig(AppConfig):
    default = True
    name = "staff"
    verbose_name = "Staff sign-in"


class StaffAdminConfig(admin_apps.AdminConfig):
    """The Django admin, with our site (two-step sign-in) as the default."""

    default = False
    default_site = "staff.sites.ClinicAdminSite"
