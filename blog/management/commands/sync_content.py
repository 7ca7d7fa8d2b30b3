from django.core.management.base import BaseCommand, CommandError

from blog.content import sync_content


class Command(BaseCommand):
    help = "Load content/ (articles and pages) into the database. Broken files are reported "
    "and skipped; what they published before stays. Exits non-zero if any file is broken."

    def add_arguments(self, parser):
        parser.add_argument("--content-dir", help="Defaults to settings.CONTENT_DIR.")

    def handle(self, *args, content_dir=None, **options):
        report = sync_content(content_dir)
        summary = (
            f"{len(report.created)} new, {len(report.updated)} updated, "
            f"{len(report.unchanged)} unchanged, {len(report.unpublished)} unpublished"
        )
        for path in report.unpublished:
            self.stdout.write(f"Unpublished {path} (its file is gone)")
        if report.errors:
            for error in report.errors:
                self.stderr.write(self.style.ERROR(str(error)))
            raise CommandError(f"{len(report.errors)} file(s) not loaded; {summary}.")
        self.stdout.write(self.style.SUCCESS(f"Content synced: {summary}."))
