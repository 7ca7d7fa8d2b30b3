from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


class AppointmentsConfig(AppConfig):
    name = "appointments"
    verbose_name = "Appointments"

    def ready(self):
        from clinic_site.views import register_health_check

        from .notify import email_health

        # /healthz says when e-mails are not going out (docs/deployment.md, "When e-mails
        # stop").
        register_health_check("email", email_health)

        # The search column's index on SQLite (clinic_site/substring_index.py, created by
        # migration 0019) after every migrate: a migration that rebuilds the table drops its
        # triggers, and this puts them back and fills the index again.
        post_migrate.connect(repair_search_index, sender=self)


def repair_search_index(using, **kwargs):
    from clinic_site import substring_index

    from .models import AppointmentRequest

    table = AppointmentRequest._meta.db_table
    substring_index.repair(connections[using], table, "search_text")
