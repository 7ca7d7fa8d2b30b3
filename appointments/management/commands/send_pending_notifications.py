from django.core.management.base import BaseCommand

from appointments.models import AppointmentRequest
from appointments.notify import send_pending


class Command(BaseCommand):
    help = (
        "Send the staff and patient e-mails that are due: retries after their back-off, and any"
        " whose task was lost (run from cron beside the task worker; safe to run at once)."
        " Also moves requests that became overdue, or whose callback day came, up the triage"
        " order."
    )

    def handle(self, *args, **options):
        # It runs every few minutes already: the ranks that time changes stay that fresh for
        # readers other than the triage list (which refreshes them itself).
        AppointmentRequest.objects.refresh_queue_ranks()
        sent, failing = send_pending()
        self.stdout.write(f"{sent} request(s) notified, {failing} still failing.")
