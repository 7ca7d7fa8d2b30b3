"""Restoring a backup (clinic_site/backup.py) without losing a request unnoticed or sending an
e-mail twice: what `manage.py restore` runs.

Before: it refuses to overwrite requests received after the backup was taken, naming them,
unless told to (`force`), and refuses while an e-mail worker is alive (it could send, before they
are held, e-mails the backup has as waiting). After: the schema is brought up to this release,
every e-mail that was waiting at backup time is held for staff (notify.hold_pending: it may have
gone out since), each lost request gets a line in the audit trail, and new requests do not take
a lost one's key (the link in its staff e-mail would open another patient's request).
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from clinic_site import backup

from . import notify
from .models import AppointmentRequest, AuditEntry, WorkerHeartbeat, local_time
from .retention import expired


class RestoreRefused(Exception):
    """The restore would lose requests, or an e-mail worker is running."""


@dataclass
class Restore:
    taken_at: datetime
    newer: list = field(default_factory=list)  # references received after the backup
    worker_seen: datetime | None = None  # an e-mail worker alive lately, when
    lost: list = field(default_factory=list)  # references the restore took away
    held: list = field(default_factory=list)  # references whose e-mails wait for staff
    past_retention: int = 0  # requests the backup brought back that are due for purging

    @property
    def objections(self):
        """Why the restore should not go ahead, for the operator (empty: no reason)."""
        said = []
        if self.newer:
            said.append(
                f"This database has {plural(len(self.newer))} newer than the backup (received "
                f"after {local_time(self.taken_at)}), which restoring it loses: "
                f"{', '.join(self.newer)}."
            )
        if self.worker_seen:
            said.append(
                f"An e-mail worker was seen at {local_time(self.worker_seen)}: stop every worker "
                "and cron's send_pending_notifications first, or they may send again, before "
                "the restore holds them, e-mails that the backup has as waiting (a stopped "
                f"worker counts as gone {notify.WORKER_SILENT.seconds // 60} minutes after it "
                "was last seen)."
            )
        return said


def plural(count, noun="request"):
    return f"{count} {noun}{'' if count == 1 else 's'}"


def check(path):
    """What restoring the backup at `path` would lose, without restoring it."""
    taken_at = backup.read_manifest(path).taken_at
    report = Restore(taken_at=taken_at)
    tables = connection.introspection.table_names()
    if AppointmentRequest._meta.db_table in tables:  # a new host's database may be empty
        report.newer = list(
            AppointmentRequest.objects.filter(created_at__gt=taken_at)
            .order_by("created_at")
            .values_list("reference", flat=True)
        )
    if WorkerHeartbeat._meta.db_table in tables:
        seen = notify.worker_last_seen()
        if seen and seen > timezone.now() - notify.WORKER_SILENT:
            report.worker_seen = seen
    return report


def restore(path, force=False):
    """Replace the database with the backup at `path`; RestoreRefused if that loses requests or
    a worker runs, unless `force`. Returns the Restore."""
    report = check(path)
    if report.objections and not force:
        raise RestoreRefused(" ".join(report.objections))
    highest_key = _highest_key()
    backup.load(path)
    # A backup from the previous release: the schema this code (and the hold) expects.
    call_command("migrate", interactive=False, verbosity=0)
    report.held = notify.hold_pending()
    there = set(AppointmentRequest.objects.values_list("reference", flat=True))
    report.lost = [reference for reference in report.newer if reference not in there]
    AuditEntry.record_each(
        None,
        AuditEntry.Action.PURGED,
        report.lost,
        f"lost in a restore of the backup taken {local_time(report.taken_at)}",
    )
    _skip_keys_up_to(highest_key)
    report.past_retention = expired(settings.APPOINTMENT_RETENTION_DAYS).count()
    return report


def _highest_key():
    if AppointmentRequest._meta.db_table not in connection.introspection.table_names():
        return None
    return AppointmentRequest.objects.aggregate(Max("pk"))["pk__max"]


def _skip_keys_up_to(highest):
    """Let the next request's key come after `highest`, the largest before the restore, rather
    than after the backup's: keys of lost requests are never given again."""
    restored = AppointmentRequest.objects.aggregate(Max("pk"))["pk__max"]
    if highest is None or (restored or 0) >= highest:
        return
    table = AppointmentRequest._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, highest])
        else:  # SQLite: Django's keys are AUTOINCREMENT, counted in sqlite_sequence
            cursor.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [highest, table])
            if not cursor.rowcount:
                cursor.execute(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, highest]
                )
