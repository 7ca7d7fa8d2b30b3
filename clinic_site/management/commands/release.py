"""The release step, run by bin/release before the app servers start: migrate, create the cache
table and load content/ (one host at a time), then compile the translations and collect the
static files (each host its own).

Two hosts that start at once must not both migrate: on PostgreSQL the database steps hold a
session-level advisory lock, so the second host waits, then finds nothing left to do. SQLite
is one file on one host; a file lock beside the database does the same there.
"""

import fcntl
import shutil
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

# Any number, as long as nothing else sharing the database takes the same advisory lock.
RELEASE_LOCK = 4_711_2026


@contextmanager
def release_lock():
    if connection.vendor == "postgresql":
        # Asked again every half second rather than waited for in one statement: a session
        # blocked in pg_advisory_lock holds a snapshot, which a migration's CREATE INDEX
        # CONCURRENTLY on the other host waits for, while that host holds the lock: a deadlock
        # (two releases at once failed so, in tests/appointments/test_scale_out.py).
        while True:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [RELEASE_LOCK])
                if cursor.fetchone()[0]:
                    break
            time.sleep(0.5)
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [RELEASE_LOCK])
    else:
        path = Path(connection.settings_dict["NAME"]).with_name("release.lock")
        with open(path, "w") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            yield


class Command(BaseCommand):
    help = (
        "The release step: migrate, createcachetable and sync_content under a lock (safe when "
        "several hosts start at once), then compile the translations and collectstatic."
    )

    def handle(self, *args, **options):
        with release_lock():
            call_command("migrate", interactive=False, verbosity=0)
            call_command("createcachetable")
            try:
                call_command("sync_content")
            except CommandError as exc:
                # A broken content file is reported but does not stop the release: what was
                # published before stays up.
                self.stderr.write(str(exc))
        compile_translations()
        call_command("collectstatic", interactive=False, verbosity=0)


def compile_translations():
    """locale/*/LC_MESSAGES/*.po (django.po, and djangojs.po for the JavaScript catalogue)
    into the .mo files Django reads, where missing or older
    (the .mo files are not committed). msgfmt directly: `compilemessages` would walk every
    locale folder under the working directory, a virtualenv's included."""
    for po in sorted(Path(settings.BASE_DIR, "locale").glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        msgfmt = shutil.which("msgfmt")
        if msgfmt is None:
            raise CommandError(
                "msgfmt not found: install GNU gettext (Debian: apt-get install gettext; "
                "macOS: brew install gettext) so the Spanish pages can be compiled"
            )
        # Our own files, no shell.
        subprocess.run([msgfmt, "--check", "-o", str(mo), str(po)], check=True)  # noqa: S603
