from django.core.management.base import BaseCommand

from appointments.notify import send_pending


class Command(BaseCommand):
    help = (
        "Send the staff and patient e-mails that are due: retries after their back-off, and any"
        " whose task was lost (run from cron beside the task worker; safe to run at once)."
    )

    def handle(self, *args, **options):
        sent, failing = send_pending()
        self.stdout.write(f"{sent} request(s) notified, {failing} still failing.")
