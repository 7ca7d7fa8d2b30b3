"""An upgrade loses nothing (issue 24). The release step migrates on the first host while every
app server still runs the previous release: a migration that the old code cannot live with
turned patients' requests into 500s. Here a next release, made in a temporary copy of this
checkout, adds a column with a database default while the old code takes 50 POSTs; and the
migration check in `make lint` (bin/lint-migrations) tells that migration from an unsafe one.

PostgreSQL only (production's database, and the SQL the check reads): set DATABASE_URL.
"""

import os
import shutil
import subprocess
import sys
import time

import pytest
from django.db.migrations.loader import MigrationLoader

from tests.support.forms import load_form, submit
from tests.support.servers import ROOT, production_server

DATABASE_URL = os.environ.get("DATABASE_URL", "")
POSTS = 50

pytestmark = [
    pytest.mark.serve,
    pytest.mark.skipif(
        not DATABASE_URL.startswith("postgres"),
        reason="the upgrade runs on PostgreSQL, production's database (set DATABASE_URL)",
    ),
]

SAFE = "models.BooleanField(db_default=False)"
# A default in Python only: the column is NOT NULL and the old code's INSERT names no value.
UNSAFE = "models.BooleanField(default=False)"


def next_release(folder, field):
    """A copy of this checkout whose next release adds AppointmentRequest.follow_up with
    `field`: the model and its migration, as `makemigrations` would write them."""
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, files):
        source = ROOT / name.decode()
        if source.is_file():
            target = folder / name.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    (leaf,) = MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes("appointments")
    models = folder / "appointments/models.py"
    models.write_text(
        models.read_text() + f"\n\nAppointmentRequest.add_to_class('follow_up', {field})\n"
    )
    (folder / "appointments/migrations/0999_follow_up.py").write_text(
        "from django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n"
        f"    dependencies = [('appointments', '{leaf[1]}')]\n"
        "    operations = [\n"
        f"        migrations.AddField('appointmentrequest', 'follow_up', {field}),\n"
        "    ]\n"
    )
    return folder


def scratch_database(suffix):
    import psycopg

    base, name = DATABASE_URL.rsplit("/", 1)
    name = name.split("?")[0] + suffix
    with psycopg.connect(base + "/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


@pytest.mark.parametrize(("field", "safe"), [(SAFE, True), (UNSAFE, False)])
def test_the_migration_check_refuses_what_the_old_code_cannot_live_with(tmp_path, field, safe):
    release = next_release(tmp_path, field)
    result = subprocess.run(
        [sys.executable, "bin/lint-migrations"],
        cwd=release,
        env={
            **os.environ,
            "CI": "1",
            "DATABASE_URL": "",
            "MIGRATION_LINT_DATABASE_URL": DATABASE_URL.rsplit("/", 1)[0] + "/postgres",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert "0999_follow_up" in result.stdout
    if safe:
        assert result.returncode == 0, result.stdout
    else:
        assert result.returncode == 1
        assert "NOT NULL constraint on columns" in result.stdout


def test_a_column_added_with_a_database_default_while_the_old_code_serves(tmp_path):
    database = scratch_database("_upgrade")
    release = next_release(tmp_path / "next", SAFE)
    env = {
        "DATABASE_URL": database,
        "REDIS_URL": "",
        "WEB_CONCURRENCY": "2",
        "APPOINTMENT_RATE_LIMIT": "1000000",  # one machine plays every patient
        "APPOINTMENT_MIN_FILL_SECONDS": "0",
    }
    with production_server(**env) as (base, app_env, _manage):
        port = int(base.rsplit(":", 1)[1])
        forms = [load_form(port, n) for n in range(POSTS)]
        results = [submit(port, *form) for form in forms[:10]]
        # The new release's step, on "another host", while the old code keeps serving.
        migrating = subprocess.Popen(
            [release / "bin/release"],
            env={
                **app_env,
                "DJANGO_VAR_DIR": str(tmp_path / "next-var"),
                "DJANGO_STATIC_ROOT": str(tmp_path / "next-static"),
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        during = 0
        while migrating.poll() is None and during < 30:
            results.append(submit(port, *forms[len(results)]))
            during += 1
            time.sleep(0.1)
        assert migrating.wait(300) == 0, migrating.stderr.read().decode()
        # After the migration and before the app servers restart: the window that lost
        # requests.
        results += [submit(port, *form) for form in forms[len(results) :]]

    import psycopg

    with psycopg.connect(database) as db:
        stored = db.execute("SELECT count(*) FROM appointments_appointmentrequest").fetchone()[0]
        follow_ups = db.execute(
            "SELECT count(*) FROM appointments_appointmentrequest WHERE follow_up = false"
        ).fetchone()[0]
    assert [status for status, _, _ in results] == [302] * POSTS
    assert stored == follow_ups == POSTS
    assert during > 0, "no request reached the old code while the release step ran"
