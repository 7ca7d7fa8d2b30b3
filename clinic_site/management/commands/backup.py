from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat

from clinic_site.backup import BackupError, create


class Command(BaseCommand):
    help = (
        "Back up the database into one file (0600: it holds patient data), consistent while the"
        " site runs: pg_dump on PostgreSQL, SQLite's online backup API on SQLite. `manage.py"
        ' restore FILE` loads it back. docs/deployment.md, "Backups and restore".'
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "destination",
            help="a folder (the file is named clinic-<UTC time>.tar.gz) or a new file's path",
        )

    def handle(self, *args, destination, **options):
        try:
            path = create(destination)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Backed up the database to {path} ({filesizeformat(path.stat().st_size)}). It holds"
            " patient data: keep it encrypted and off this host."
        )
