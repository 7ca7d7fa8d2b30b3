from django.core.management.base import BaseCommand

from appointments.models import AppointmentRequest
from appointments.notify import send_all_due


class Command(BaseCommand):
    help = (
        "Send the e-mails that are due (the same sender as the worker's: a safety net should"
        " every worker be down; safe to run beside them). Also moves requests that became"
        " overdue, or whose callback day came, up the triage order."
    )

    def handle(self, *args, **options):
        # It runs every few minutes already: the ranks that time changes stay that fresh for
        # readers other than the triage list (which refreshes them itself).
        AppointmentRequest.objects.refresh_queue_ranks()
        # Requests the release before stored during an upgrade, found by search from now on.
        AppointmentRequest.objects.fill_search_text()
        # And, stored meanwhile or at the same moment as their duplicate, not yet marked so.
        AppointmentRequest.objects.mark_recent_duplicates()
        sent, failed = send_all_due()
        self.stdout.write(f"{sent} e-mail(s) sent, {failed} failed (to be tried again).")
