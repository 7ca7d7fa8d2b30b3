from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from appointments.models import local_time
from appointments.spam import lift_rate_limit, rate_limit_of


class Command(BaseCommand):
    help = (
        "Show or lift the contact form's rate limit for the client at an IP address (the "
        "address a patient reads from a 'what is my IP' page). The address is hashed as the "
        "site hashes it, never stored and never printed back; a lift is in the audit trail."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["show", "lift"])
        parser.add_argument("address", help="the client's IP address, as the patient gives it")

    def handle(self, *args, action, address, **options):
        try:
            if action == "lift":
                lifted = lift_rate_limit(address)
                self.stdout.write(
                    "Rate limit lifted: this address may send the form again now."
                    if lifted
                    else "This address has sent no forms in the current window: nothing to lift."
                )
                return
            found = rate_limit_of(address)
        except ValueError as error:
            raise CommandError(str(error)) from None
        if found is None:
            self.stdout.write("This address has sent no forms in the current window.")
            return
        hits, until = found
        limit = settings.APPOINTMENT_RATE_LIMIT
        state = "refused" if hits > limit else "accepted"
        self.stdout.write(
            f"{hits} forms from this address in the current window (the limit is {limit}); "
            f"the next one is {state}. The window ends at {local_time(until)}."
        )
