from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "appointments"
    verbose_name = "Appointments"

    def ready(self):
        from clinic_site.views import register_health_check

        from .notify import email_health

        # /healthz says when e-mails are not going out (docs/deployment.md, "When e-mails
        # stop").
        register_health_check("email", email_health)
