from django.apps import AppConfig


class ClinicSiteConfig(AppConfig):
    default = True
    name = "clinic_site"
    verbose_name = "Clinic site"
