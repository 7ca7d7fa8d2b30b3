"""Backups that restore (issue 24): `manage.py backup` and `manage.py restore`, and the restore
drill that docs/deployment.md ("Backups and restore") asks the clinic to run monthly.

They run on the suite's database: SQLite by default, PostgreSQL with DATABASE_URL set (where they
need pg_dump, pg_restore and psql of the server's version; without them they skip, loudly, unless
REQUIRE_PG_CLIENT is set, as CI sets it). A restore replaces the whole database, so these tests
commit for real (transaction=True) and the test database is emptied after each.
"""

import os
import shutil
import sqlite3
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from appointments import notify
from appointments.models import (
    AppointmentRequest,
    AuditEntry,
    OutgoingEmail,
    TreatmentTrial,
    WorkerHeartbeat,
)

from .factories import make_request

pytestmark = pytest.mark.django_db(transaction=True)

PG_CLIENT = ("pg_dump", "pg_restore", "psql")


@pytest.fixture(autouse=True)
def _postgresql_client():
    """On PostgreSQL the commands run the server's own tools: without them, skip loudly (or
    fail, in CI)."""
    if connection.vendor != "postgresql":
        return
    missing = [tool for tool in PG_CLIENT if not shutil.which(tool)]
    if not missing:
        return
    reason = (
        f"!!! BACKUP AND RESTORE TESTS SKIPPED: {', '.join(missing)} not installed (Debian: "
        "postgresql-client-NN, NN the server's major version)."
    )
    if os.environ.get("REQUIRE_PG_CLIENT"):
        pytest.fail(f"{reason} REQUIRE_PG_CLIENT is set: this is a failure.")
    print(f"\n{reason}\n")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _staff_address(settings):
    settings.APPOINTMENT_NOTIFY_EMAILS = ["front-desk@clinic.example"]


def new_request(**fields):
    """A request as the form stores it: the request and its two e-mails, queued together."""
    with transaction.atomic():
        request = make_request(**fields)
        notify.queue_emails(request)
    return request


def back_up(folder, capsys):
    call_command("backup", str(folder))
    out = capsys.readouterr().out
    (backup,) = Path(folder).iterdir()
    assert str(backup) in out
    return backup


def references():
    return set(AppointmentRequest.objects.values_list("reference", flat=True))


def staff_emails():
    """The staff e-mails sent so far: the reference each names, and its body (the admin link)."""
    staff = [m for m in mail.outbox if m.to == ["front-desk@clinic.example"]]
    return {m.subject.rsplit(" ", 1)[-1]: m.body for m in staff}


def test_restore_drill_loses_only_the_requests_after_the_backup_and_sends_nothing_twice(
    tmp_path, run_worker, capsys
):
    answered = new_request()
    run_worker()  # its two e-mails went out before the backup
    waiting = new_request()  # its e-mails were still waiting when the backup was taken
    backup = back_up(tmp_path, capsys)

    # After the backup: the worker sends what was waiting, and two more patients write in.
    mail.outbox.clear()
    run_worker()
    late = [new_request(), new_request()]
    run_worker()
    emailed_after_backup = staff_emails()
    assert set(emailed_after_backup) == {waiting.reference} | {r.reference for r in late}

    # The restore will not lose requests unless told to, and says which.
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(backup))
    assert "2 requests newer than the backup" in str(refused.value)
    assert all(r.reference in str(refused.value) for r in late)
    assert references() == {answered.reference, waiting.reference} | {r.reference for r in late}

    call_command("restore", str(backup), "--force")
    out = capsys.readouterr().out
    lost = {r.reference for r in late}
    assert "Lost 2 requests received after the backup" in out
    assert all(reference in out for reference in lost)
    assert references() == {answered.reference, waiting.reference}

    # Nothing goes out by itself: the waiting request's e-mails (which went out after the
    # backup) are held for staff, those sent before the backup stay sent.
    mail.outbox.clear()
    run_worker()
    call_command("send_pending_notifications")
    assert mail.outbox == []
    assert set(waiting.emails.values_list("state", flat=True)) == {"held"}
    assert set(answered.emails.values_list("state", flat=True)) == {"sent"}
    assert f"1 request(s) with e-mails held for staff to send or drop: {waiting.reference}" in out

    # What staff do: every staff e-mail received after the backup names a request the restore
    # lost, unless the admin index lists it as held.
    held = set(OutgoingEmail.objects.held().values_list("request__reference", flat=True))
    assert set(emailed_after_backup) - held == lost
    # The audit trail says what became of each lost request.
    trail = AuditEntry.objects.filter(reference__in=lost, action="purged")
    assert {entry.reference for entry in trail} == lost
    assert all("lost in a restore" in entry.detail for entry in trail)

    # The next request does not take a lost one's key: the link in a lost request's staff
    # e-mail never opens another patient's request.
    after = new_request()
    assert not any(after.get_admin_url() in emailed_after_backup[ref] for ref in lost)


def test_a_restore_brings_back_a_referral_and_its_treatment_history(tmp_path, capsys):
    referral = new_request(source="referral", referrer_name="Dr. Rosa Referrer", diagnosis="MDD")
    TreatmentTrial.objects.create(
        request=referral, medicine="Sertraline", duration="over3m", position=1
    )
    backup = back_up(tmp_path, capsys)
    AppointmentRequest.objects.all().delete()  # the history goes with it
    assert TreatmentTrial.objects.count() == 0

    call_command("restore", str(backup))
    restored = AppointmentRequest.objects.get()
    assert (restored.source, restored.referrer_name, restored.diagnosis) == (
        "referral",
        "Dr. Rosa Referrer",
        "MDD",
    )
    assert list(restored.treatment_trials.values_list("medicine", "duration")) == [
        ("Sertraline", "over3m")
    ]


def test_a_backup_is_readable_by_its_owner_only_and_never_overwrites_a_file(tmp_path, capsys):
    make_request()
    backup = back_up(tmp_path, capsys)
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert backup.name.startswith("clinic-") and backup.name.endswith(".tar.gz")

    before = backup.read_bytes()
    with pytest.raises(CommandError, match="exists"):
        call_command("backup", str(backup))
    assert backup.read_bytes() == before
    assert list(tmp_path.iterdir()) == [backup]  # and leaves nothing half-written behind


def test_a_new_host_restores_into_an_empty_database(tmp_path, capsys):
    kept = new_request()
    backup = back_up(tmp_path, capsys)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        else:
            cursor.execute("PRAGMA foreign_keys = OFF")
            # IF EXISTS: dropping the search index (an FTS5 table) drops its own tables with it.
            for table in connection.introspection.table_names():
                cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)}")
            cursor.execute("PRAGMA foreign_keys = ON")
    assert connection.introspection.table_names() == []

    call_command("restore", str(backup))
    assert references() == {kept.reference}
    assert set(kept.emails.values_list("state", flat=True)) == {"held"}


def test_restoring_the_backup_from_before_a_release_drops_the_tables_it_added(tmp_path, capsys):
    """The usual restore: a release went wrong, and the backup taken before it comes back. A
    table the release added (here one referring to the requests) must not stop it, nor be left
    behind for the release's `migrate` to trip over."""
    kept = new_request()
    backup = back_up(tmp_path, capsys)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE later_release_reminder (id integer PRIMARY KEY, request_id bigint"
            " NOT NULL REFERENCES appointments_appointmentrequest (id))"
        )
        cursor.execute("INSERT INTO later_release_reminder VALUES (1, %s)", [kept.pk])

    try:
        call_command("restore", str(backup))
        assert "later_release_reminder" not in connection.introspection.table_names()
        assert references() == {kept.reference}
    finally:  # should the restore fail, the test database must still empty itself
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS later_release_reminder")


def test_a_damaged_backup_changes_nothing(tmp_path, capsys):
    kept = new_request()
    backup = back_up(tmp_path, capsys)
    new_request()  # so that the database and the backup differ
    before = references()
    whole = backup.read_bytes()
    backup.write_bytes(whole[: len(whole) // 2])  # a copy cut short
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("restore", str(backup), "--force")
    assert references() == before and kept.reference in before


def test_restore_asks_to_purge_what_the_backup_brought_back(tmp_path, capsys, settings):
    old = make_request(status="closed", age=timedelta(days=settings.APPOINTMENT_RETENTION_DAYS + 5))
    backup = back_up(tmp_path, capsys)
    call_command("purge_requests")
    assert references() == set()

    call_command("restore", str(backup))
    out = capsys.readouterr().out
    assert references() == {old.reference}  # back from the backup
    assert "1 request past the retention period came back" in out
    assert "manage.py purge_requests" in out


def test_restore_waits_for_the_email_workers_to_stop(tmp_path, capsys):
    backup = back_up(tmp_path, capsys)
    WorkerHeartbeat.objects.create(name="email", seen_at=timezone.now())
    with pytest.raises(CommandError, match="e-mail worker was seen"):
        call_command("restore", str(backup))
    assert WorkerHeartbeat.objects.exists()  # not restored: the backup has no heartbeat


def test_a_dry_run_says_what_the_restore_would_lose_and_changes_nothing(tmp_path, capsys):
    backup = back_up(tmp_path, capsys)
    late = new_request()
    call_command("restore", str(backup), "--dry-run")
    out = capsys.readouterr().out
    assert "1 request newer than the backup" in out and late.reference in out
    assert references() == {late.reference}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write-ahead log")
def test_sqlite_backup_holds_requests_still_in_the_write_ahead_log(tmp_path, capsys):
    """A copy of the database file is not a backup: a commit lives in db.sqlite3-wal until a
    checkpoint moves it into the file. The backup API copies what is committed."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    recent = new_request()
    database = Path(connection.settings_dict["NAME"])
    copy = tmp_path / "copy.sqlite3"
    shutil.copy(database, copy)
    plain = sqlite3.connect(copy)
    found = plain.execute(
        "SELECT count(*) FROM appointments_appointmentrequest WHERE reference = ?",
        [recent.reference],
    ).fetchone()
    plain.close()
    assert found == (0,)  # the plain copy lost it

    folder = tmp_path / "backups"
    folder.mkdir()
    backup = back_up(folder, capsys)
    AppointmentRequest.objects.all().delete()
    call_command("restore", str(backup))
    assert references() == {recent.reference}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump's version")
def test_backup_refuses_a_pg_dump_of_another_major_version(tmp_path, monkeypatch):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "pg_dump").write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    (fake / "pg_dump").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(CommandError, match=r"pg_dump 9 .* server .*1\d"):
        call_command("backup", str(tmp_path))
    assert [p.name for p in tmp_path.iterdir()] == ["bin"]
