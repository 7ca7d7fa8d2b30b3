from django.core.management.base import BaseCommand

from appointments.notify import hold_pending


class Command(BaseCommand):
    help = (
        "Right after restoring a backup, before any worker starts: hold every e-mail that was"
        " waiting when the backup was taken (it may have gone out since), until staff choose on"
        " the admin index to send or drop it. Nothing then goes out twice without a person"
        " choosing it."
    )

    def handle(self, *args, **options):
        references = hold_pending()
        self.stdout.write(
            f"{len(references)} request(s) with e-mails held for staff to send or drop"
            + (f": {', '.join(references)}" if references else ".")
        )
