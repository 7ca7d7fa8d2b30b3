from django.apps import AppConfig


class ClinicSiteConfig(AppConfig):
    default = True
    name = "clinic_site"
    verbose_name = "Clinic site"

    def ready(self):
        from . import checks  # noqa: F401 -- registers the system checks
