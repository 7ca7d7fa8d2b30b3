from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from appointments.retention import PURGEABLE_STATUSES, expired, purge


class Command(BaseCommand):
    help = (
        "Delete finished requests older than the retention period. "
        "The audit trail keeps their references."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            default=settings.APPOINTMENT_RETENTION_DAYS,
            metavar="DAYS",
            help="Received more than DAYS days ago (default: APPOINTMENT_RETENTION_DAYS, "
            f"{settings.APPOINTMENT_RETENTION_DAYS}).",
        )
        parser.add_argument(
            "--status",
            default=",".join(PURGEABLE_STATUSES),
            help=f"Comma-separated statuses (default and allowed: {','.join(PURGEABLE_STATUSES)}).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Report only; delete nothing.")

    def handle(self, *args, older_than, status, dry_run, **options):
        statuses = [s.strip() for s in status.split(",") if s.strip()]
        try:
            queryset = expired(older_than, statuses)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        report = purge(queryset, dry_run=dry_run, why=f"retention: older than {older_than} days")
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(f"{verb} {report.count} request(s).")
        for reference in report.references:
            self.stdout.write(f"  {reference}")
