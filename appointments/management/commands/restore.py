# Here rather than beside `backup` in clinic_site: a restore must also hold the outbox's
# e-mails and count the requests it loses, which only this app knows.
from django.core.management.base import BaseCommand, CommandError

from appointments.models import local_time
from appointments.restore import RestoreRefused, check, plural, restore
from clinic_site.backup import BackupError


class Command(BaseCommand):
    help = (
        "Replace the whole database with a backup made by `manage.py backup`, then hold every"
        " e-mail that was waiting when it was taken (staff send or drop them from the admin"
        " index). Stop the app servers, the e-mail workers and cron first. Refuses to lose"
        " requests received after the backup unless given --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", help="the backup file")
        parser.add_argument(
            "--force",
            action="store_true",
            help="restore even though requests received after the backup are lost (they are"
            " named first), or an e-mail worker was seen in the last minutes",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="say what the restore would lose; change nothing"
        )

    def handle(self, *args, backup, force, dry_run, **options):
        try:
            if dry_run:
                report = check(backup)
                self.stdout.write(
                    " ".join(report.objections) or "Restoring it would lose no request."
                )
                return
            report = restore(backup, force=force)
        except RestoreRefused as exc:
            raise CommandError(f"{exc} Run again with --force to restore anyway.") from None
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Restored the backup taken {local_time(report.taken_at)}.")
        if report.lost:
            self.stdout.write(
                f"Lost {plural(len(report.lost))} received after the backup:"
                f" {', '.join(report.lost)}. Their staff e-mails are what is left of them; the"
                " audit trail records each as lost in this restore."
            )
        self.stdout.write(
            f"{len(report.held)} request(s) with e-mails held for staff to send or drop"
            + (f": {', '.join(report.held)}" if report.held else ".")
        )
        if report.past_retention:
            self.stdout.write(
                f"{plural(report.past_retention)} past the retention period came back with the"
                " backup: run `manage.py purge_requests` now."
            )
        self.stdout.write("Start the e-mail workers and cron again.")
