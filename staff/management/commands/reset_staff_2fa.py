from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from staff import two_step


class Command(BaseCommand):
    help = (
        "Remove a staff member's authenticator and backup codes, and print an enrolment code "
        "for their new phone. The clinical lead can do the same in the admin (Staff sign-in)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        try:
            user = get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user called {username!r}.") from None
        code, removed = two_step.reset(user)
        self.stdout.write(
            f"Removed {removed} device(s) for {username}. Give them this enrolment code, which "
            f"works once within {settings.STAFF_ENROLMENT_CODE_HOURS} hours: {code}"
        )
