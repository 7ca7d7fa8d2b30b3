"""deploy/systemd and deploy/clinic.env: the units systemd would run, and the settings they
pass, checked against this checkout so they cannot drift from it (issue 24)."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy/systemd"
ENV_FILE = ROOT / "deploy/clinic.env"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


def unit(name):
    text = (UNITS / name).read_text()
    return {
        key: value
        for key, _, value in (
            line.partition("=") for line in text.splitlines() if "=" in line and line[0] != "#"
        )
    } | {"text": text}


@pytest.fixture
def rendered(tmp_path):
    """The units as installed from this checkout: /srv/clinic is the checkout (its .venv is
    there, which `systemd-analyze verify` checks), template units get an instance."""
    env_file = tmp_path / "clinic.env"
    shutil.copy(ENV_FILE, env_file)
    paths = []
    for source in sorted(UNITS.iterdir()):
        name = source.name.replace("@.", "@1.")
        text = source.read_text().replace("/srv/clinic", str(ROOT))
        text = text.replace("/etc/clinic/clinic.env", str(env_file))
        (tmp_path / name).write_text(text)
        paths.append(tmp_path / name)
    return paths


def test_the_units_pass_systemd_analyze_verify(rendered, tmp_path):
    if SYSTEMD_ANALYZE is None:
        pytest.fail(
            "systemd-analyze is missing (Debian: apt-get install systemd): the deployment "
            "examples in deploy/systemd cannot be verified"
        )
    result = subprocess.run(
        [SYSTEMD_ANALYZE, "verify", "--man=no", *rendered],
        capture_output=True,
        text=True,
        check=False,
    )
    ours = [line for line in (result.stdout + result.stderr).splitlines() if str(tmp_path) in line]
    assert result.returncode == 0, result.stderr
    assert ours == []


def test_the_worker_comes_back_however_it_ends():
    assert unit("clinic-worker@.service")["Restart"] == "always"


def test_the_sweep_runs_every_five_minutes_and_names_a_real_command():
    from django.core.management import get_commands

    timer = unit("clinic-notifications.timer")
    assert timer["OnCalendar"] == "*:0/5"
    for name in ("clinic-notifications.service", "clinic-daily.service"):
        for line in unit(name)["text"].splitlines():
            if line.startswith("ExecStart="):
                command = line.split("manage.py ", 1)[1].split()[0]
                assert command in get_commands(), f"{name}: no such command {command}"


def test_each_gunicorn_instance_has_its_own_control_socket():
    text = unit("clinic-gunicorn@.service")["text"]
    assert "RuntimeDirectory=clinic-gunicorn-%i\n" in text
    assert "Environment=GUNICORN_CONTROL_SOCKET=/run/clinic-gunicorn-%i/gunicorn.ctl\n" in text
    # A reload is a new release's code (tests/clinic_site/test_gunicorn.py).
    assert "ExecReload=/bin/kill -s HUP $MAINPID\n" in text


# --- the environment file and the documented settings ------------------------------------------

READS = re.compile(
    r"""(?:os\.environ(?:\.get)?\(|os\.environ\[|env_bool\(|env_list\()\s*["']([A-Z][A-Z0-9_]*)["']"""
)


def read_by_the_site():
    """Every variable settings.py and gunicorn.conf.py read."""
    text = (ROOT / "clinic_site/settings.py").read_text() + (ROOT / "gunicorn.conf.py").read_text()
    return set(READS.findall(text))


def documented():
    """The variables in docs/deployment.md's Configuration table."""
    text = (ROOT / "docs/deployment.md").read_text()
    table = text.split("## Configuration", 1)[1]
    names = set()
    for line in table.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names |= set(re.findall(r"`([A-Z][A-Z0-9_]*)`", first_cell))
    return names


def in_the_env_file():
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", ENV_FILE.read_text(), re.MULTILINE))


def test_every_setting_the_site_reads_is_documented():
    assert read_by_the_site() - documented() == set()


def test_the_sample_environment_file_has_every_documented_setting_and_no_other():
    assert documented() - in_the_env_file() == set()
    assert in_the_env_file() - documented() == set()
