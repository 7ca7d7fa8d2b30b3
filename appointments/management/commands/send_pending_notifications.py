from django.core.management.base import BaseCommand

from appointments.notify import send_pending


class Command(BaseCommand):
    help = "Retry the staff and patient e-mails of requests whose e-mails failed (run from cron)."

    def handle(self, *args, **options):
        sent, failing = send_pending()
        self.stdout.write(f"{sent} request(s) notified, {failing} still failing.")
