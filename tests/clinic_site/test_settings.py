"""How the one settings module behaves in development and production."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def run_settings(tmp_path, show="SECRET_KEY", **env):
    """Import the settings in a fresh interpreter with only the given environment, and print
    one of them."""
    base = {"PATH": os.environ["PATH"], "DJANGO_VAR_DIR": str(tmp_path / "var")}
    return subprocess.run(
        [sys.executable, "-c", f"import clinic_site.settings as s; print(s.{show})"],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = run_settings(tmp_path)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_development_generates_a_secret_key_outside_git_and_keeps_it(tmp_path):
    first = run_settings(tmp_path, DJANGO_DEBUG="1")
    second = run_settings(tmp_path, DJANGO_DEBUG="1")
    assert first.returncode == 0, first.stderr
    key = first.stdout.strip()
    assert len(key) >= 50
    assert second.stdout.strip() == key
    assert (tmp_path / "var" / "secret_key").read_text().strip() == key


def test_var_directory_is_ignored_by_git():
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "var/secret_key"], cwd=ROOT, check=False
    ).returncode
    assert ignored == 0


@pytest.mark.parametrize(
    ("value", "debug"),
    [(None, "False"), ("", "False"), ("0", "False"), ("no", "False"), ("1", "True")],
)
def test_debug_is_off_unless_set(tmp_path, value, debug):
    env = {"DJANGO_SECRET_KEY": "a-key-for-this-test-only-a-key-for-this-test-only"}
    if value is not None:
        env["DJANGO_DEBUG"] = value
    result = run_settings(tmp_path, show="DEBUG", **env)
    assert result.stdout.strip() == debug, result.stderr


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite-specific tuning")
@pytest.mark.django_db
def test_sqlite_is_tuned_for_several_writers():
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 5000


def test_sqlite_file_database_uses_wal(tmp_path):
    script = (
        "import django; django.setup();"
        "from django.db import connection;"
        "c = connection.cursor(); c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "clinic_site.settings",
            "DJANGO_DEBUG": "1",
            "DJANGO_VAR_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "wal"


def test_cache_is_shared_between_workers_by_default():
    from clinic_site import settings as production

    if os.environ.get("REDIS_URL"):
        assert production.CACHES["default"]["BACKEND"].endswith("RedisCache")
    else:
        assert production.CACHES["default"]["BACKEND"].endswith("DatabaseCache")


def test_email_never_waits_forever():
    assert 0 < settings.EMAIL_TIMEOUT <= 30


def test_email_url_configures_smtp():
    from clinic_site.settings import _email_settings_from_url

    smtp = _email_settings_from_url("smtp+tls://mailer:s%40cret@smtp.example.org:2525")
    assert smtp["EMAIL_HOST"] == "smtp.example.org"
    assert smtp["EMAIL_PORT"] == 2525
    assert smtp["EMAIL_HOST_USER"] == "mailer"
    assert smtp["EMAIL_HOST_PASSWORD"] == "s@cret"
    assert smtp["EMAIL_USE_TLS"] is True


def test_development_server_log_omits_query_strings():
    import logging

    from clinic_site.logging import DropQueryStrings

    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        ("GET /contact/?service=spravato&name=Ann HTTP/1.1", "200", "512"),
        None,
    )
    DropQueryStrings().filter(record)
    assert record.getMessage() == '"GET /contact/ HTTP/1.1" 200 512'


WRITER = """
import django, sys
django.setup()
from django.db import transaction
from django.contrib.auth.models import Group
worker = sys.argv[1]
for n in range(40):
    with transaction.atomic():
        # Read, then write: the pattern that fails with "database is locked" when a deferred
        # transaction cannot upgrade its read lock while another worker writes.
        Group.objects.filter(name__startswith="written-").count()
        Group.objects.create(name=f"writer-{worker}-{n}")
        Group.objects.filter(name=f"writer-{worker}-{n}").update(name=f"written-{worker}-{n}")
"""


def test_sqlite_file_survives_several_concurrent_writers(tmp_path):
    """Four processes (as gunicorn workers would) write at once; nothing fails, nothing is lost."""
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_VAR_DIR": str(tmp_path),
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(worker)],
            cwd=ROOT,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for worker in range(4)
    ]
    errors = [w.communicate(timeout=120)[1] for w in writers]
    assert [w.returncode for w in writers] == [0, 0, 0, 0], errors
    import sqlite3

    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        written = db.execute("SELECT COUNT(*) FROM auth_group WHERE name LIKE 'written-%'")
        assert written.fetchone()[0] == 160
