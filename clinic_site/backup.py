"""A backup of the database in one file, and loading one back: PostgreSQL through its own tools
(pg_dump, pg_restore and psql of the server's major version), SQLite through its online backup
API. It knows no app: what a restore must also do for the requests and their e-mails is
appointments/restore.py's.

A backup is a gzipped tar of two members: `manifest.json` (when the backup was taken, from which
engine and server) and the database (`database.pgdump`, pg_dump's custom format, or
`database.sqlite3`). One file, so a backup cannot part from the time it was taken; a tar, so an
operator can take it apart by hand (`tar xzf`, then pg_restore or sqlite3). It holds patient
data: it is written readable by its owner only (0600).

Why not django-dbbackup: a restore here must first count the requests it would lose and then
hold e-mails before anything sends, which with dbbackup would be receivers of its signals; its
storage backends and GPG repeat what the clinic's backup tool does (encrypted, off the host,
pruned by age: docs/deployment.md, "Backups and restore"); what is left is these few functions.
"""

import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path

from django.db import connection
from django.utils import timezone

MANIFEST = "manifest.json"
DATABASE = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}


class BackupError(Exception):
    """What went wrong, said for the operator."""


@dataclass(frozen=True)
class Manifest:
    engine: str  # "postgresql" or "sqlite"
    taken_at: datetime  # just before the copy began
    server: str  # e.g. "PostgreSQL 15.20" or "SQLite 3.40.1"


def create(destination):
    """Back up the database to `destination`: a new file, or a folder to put one named after the
    time in. Returns the file's path."""
    engine = _engine()
    taken_at = timezone.now()
    path = Path(destination)
    if path.is_dir():
        path = path / f"clinic-{taken_at:%Y%m%dT%H%M%SZ}.tar.gz"
    if path.exists():
        raise BackupError(f"{path} exists: a backup never overwrites a file")
    if not path.parent.is_dir():
        raise BackupError(f"there is no folder {path.parent}")
    # Work beside the destination, so the finished file is renamed into place: an interrupted
    # backup leaves no file under the final name. mkdtemp's folder is the owner's alone.
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".backup-") as work:
        database = Path(work) / DATABASE[engine]
        server = _pg_dump(database) if engine == "postgresql" else _sqlite_copy(database)
        manifest = {"engine": engine, "taken_at": taken_at.isoformat(), "server": server}
        partial = Path(work) / "backup.tar.gz"
        with (
            os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out,
            tarfile.open(fileobj=out, mode="w:gz") as archive,
        ):
            # The manifest first: reading it does not unpack the database.
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode, info.mtime = len(data), 0o600, int(taken_at.timestamp())
            archive.addfile(info, BytesIO(data))
            archive.add(database, DATABASE[engine], filter=_owner_only)
        partial.replace(path)
    return path


def read_manifest(path):
    with _open(path) as archive:
        return _manifest(archive, path)


def load(path):
    """Replace the whole database with the backup at `path`, all at once (one transaction on
    PostgreSQL, one backup step on SQLite): a failed load changes nothing. Returns its Manifest."""
    engine = _engine()
    # The unpacked database (and, for PostgreSQL, its SQL) hold patient data: mkdtemp's folder
    # is the owner's alone, and is removed at the end.
    with _open(path) as archive, tempfile.TemporaryDirectory(prefix="clinic-restore-") as work:
        manifest = _manifest(archive, path)
        if manifest.engine != engine:
            raise BackupError(
                f"{path} is a backup of a {manifest.engine} database; this one is {engine}"
            )
        database = Path(work) / DATABASE[engine]
        try:
            member = archive.next()
            if member is None or member.name != DATABASE[engine]:
                raise BackupError(f"{path} holds no {DATABASE[engine]}")
            with archive.extractfile(member) as data, open(database, "xb") as out:
                shutil.copyfileobj(data, out)
        except UNREADABLE as exc:
            raise BackupError(
                f"{path} cannot be read to its end ({exc}): is the copy whole?"
            ) from None
        if engine == "postgresql":
            _pg_load(database)
        else:
            _sqlite_load(database)
    return manifest


# --- the archive ------------------------------------------------------------------------------
# Read member by member, in the order written: the manifest, then the database.

UNREADABLE = (EOFError, OSError, tarfile.TarError, zlib.error)


def _open(path):
    try:
        return tarfile.open(path, "r:gz")
    except UNREADABLE as exc:
        raise BackupError(f"{path} is not a backup made by `manage.py backup`: {exc}") from None


def _manifest(archive, path):
    try:
        member = archive.next()
        if member is None or member.name != MANIFEST:
            raise ValueError(f"it does not begin with {MANIFEST}")
        data = json.load(archive.extractfile(member))
        return Manifest(
            engine=data["engine"],
            taken_at=datetime.fromisoformat(data["taken_at"]),
            server=data["server"],
        )
    except (*UNREADABLE, KeyError, ValueError) as exc:
        raise BackupError(f"{path} is not a backup made by `manage.py backup`: {exc}") from None


def _owner_only(info):
    info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
    return info


def _engine():
    if connection.vendor not in DATABASE:
        raise BackupError(f"no backup for a {connection.vendor} database")
    return connection.vendor


# --- SQLite -----------------------------------------------------------------------------------
# A copy of db.sqlite3 while the site runs is not a backup: commits wait in db.sqlite3-wal until
# a checkpoint moves them into the file, and a file copied mid-write is torn. The backup API
# copies a consistent state of what is committed, WAL included, while the site goes on writing.
# https://www.sqlite.org/backup.html


def _sqlite_copy(path):
    connection.ensure_connection()
    copy = sqlite3.connect(path)
    try:
        connection.connection.backup(copy)
        # One self-contained file: no -wal or -shm beside it when it is opened.
        copy.execute("PRAGMA journal_mode=DELETE")
        (check,) = copy.execute("PRAGMA quick_check").fetchone()
        if check != "ok":
            raise BackupError(f"the copy failed SQLite's check: {check}")
    finally:
        copy.close()
    return f"SQLite {sqlite3.sqlite_version}"


def _sqlite_load(path):
    """Copy the backup over the live database in one step, under SQLite's locks: the site's
    other connections see the whole backup or none of it, and the file stays in WAL mode."""
    connection.ensure_connection()
    backup = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        backup.backup(connection.connection)
    finally:
        backup.close()


# --- PostgreSQL -------------------------------------------------------------------------------
# pg_dump must be of the server's major version: an older one refuses to dump a newer server,
# and a newer one writes SQL the older server may not take. The custom format is compressed and
# read by pg_restore, which can list and pick what it restores.


def _pg_dump(path):
    server = connection.pg_version // 10000
    tool = _pg_major("pg_dump")
    if tool != server:
        raise BackupError(
            f"pg_dump {tool} cannot back up this PostgreSQL server {server} safely: install "
            f"the client of the server's version (Debian: postgresql-client-{server}) and put "
            "its pg_dump first on PATH"
        )
    _run(["pg_dump", "--format=custom", f"--file={path}"])
    return "PostgreSQL {}.{}".format(*divmod(connection.pg_version, 10000))


def _pg_load(path):
    """Load the dump in one transaction: pg_restore writes it out as SQL that drops each table
    it holds and creates it again, and psql runs that with ON_ERROR_STOP, so an error leaves
    the database as it was. The SQL is written to a file first: a dump that cannot be read to
    its end stops before psql starts (psql would commit whatever a broken pipe gave it).

    Tables the backup lacks (a later release added them) are dropped in the same transaction:
    one that refers to a table of the backup would stop that table being dropped, and a later
    `migrate` creates them again."""
    listing = _run(["pg_restore", "--list", str(path)])
    in_backup = {
        fields[5]
        for fields in (line.split() for line in listing.splitlines())
        if len(fields) > 5 and fields[3] == "TABLE"
    }
    extra = sorted(set(connection.introspection.table_names()) - in_backup)
    script = path.with_suffix(".sql")
    _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
          f"--file={script}", str(path)])  # fmt: skip
    drop = []
    if extra:
        drop = ["--command=DROP TABLE IF EXISTS {} CASCADE".format(", ".join(map(_quoted, extra)))]
    _run(["psql", "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--single-transaction",
          "--output=/dev/null", *drop, f"--file={script}"])  # fmt: skip


def _quoted(name):
    return connection.ops.quote_name(name)


def _pg_major(tool):
    version = _run([tool, "--version"])
    found = re.search(r"\)\s+(\d+)", version)
    if not found:
        raise BackupError(f"cannot tell {tool}'s version from {version.strip()!r}")
    return int(found[1])


def _pg_env():
    """The connection as libpq's variables (the password among them: never on a command line,
    which any user of the host can read)."""
    settings = connection.settings_dict
    _, env = connection.client.settings_to_cmd_args_env(settings, [])  # what dbshell uses
    given = {
        "PGHOST": settings.get("HOST"),
        "PGPORT": settings.get("PORT"),
        "PGUSER": settings.get("USER"),
        "PGDATABASE": settings.get("NAME"),
    }
    return {**os.environ, **(env or {}), **{k: str(v) for k, v in given.items() if v}}


def _run(args):
    try:
        # The PostgreSQL client's own tools with our arguments, no shell.
        done = subprocess.run(args, capture_output=True, text=True, env=_pg_env())  # noqa: S603
    except FileNotFoundError:
        raise BackupError(
            f"{args[0]} is not installed: install the PostgreSQL client of the server's version "
            "(Debian: postgresql-client-NN)"
        ) from None
    if done.returncode:
        raise BackupError(f"{args[0]} failed: {done.stderr.strip()}")
    return done.stdout
