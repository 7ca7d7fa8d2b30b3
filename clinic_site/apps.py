from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ClinicSiteConfig(AppConfig):
    default = True
    name = "clinic_site"
    verbose_name = "Clinic site"


class ClinicAdminConfig(admin_apps.AdminConfig):
    """The Django admin, with our site (two-factor sign-in, triage counts) as the default."""

    default = False
    default_site = "clinic_site.admin.ClinicAdminSite"
