"""`make` on a machine without a tool it needs (msgfmt, wrk): README says "Linux or macOS", and
it used to run apt-get wherever msgfmt was missing, which needs Debian and root (issue 24)."""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEBIAN = Path("/etc/debian_version").exists()


@pytest.fixture
def machine(tmp_path):
    """A PATH without msgfmt, where `uname`, `id` and `apt-get` say what the test wants and
    apt-get only notes that it was called."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "apt-get-calls"

    def fake(name, script):
        path = bin_dir / name
        path.write_text(f"#!/bin/sh\n{script}\n")
        path.chmod(0o755)

    def run(system="Linux", uid=1000):
        fake("uname", f"echo {system}")
        fake("id", f"echo {uid}")
        fake("apt-get", f'echo "$@" >> {calls}')
        result = subprocess.run(
            ["/bin/sh", ROOT / "bin/need", "msgfmt", "gettext"],
            env={"PATH": str(bin_dir)},
            capture_output=True,
            text=True,
            check=False,
        )
        return result, calls.read_text() if calls.exists() else ""

    return run


def test_a_mac_is_told_to_brew_install_gettext(machine):
    result, apt_calls = machine(system="Darwin")
    assert result.returncode != 0
    assert "brew install gettext" in result.stderr
    assert apt_calls == ""


@pytest.mark.skipif(not DEBIAN, reason="the Debian cases need /etc/debian_version")
def test_debian_without_root_is_told_the_command_and_nothing_runs(machine):
    result, apt_calls = machine(uid=1000)
    assert result.returncode != 0
    assert "sudo apt-get install gettext" in result.stderr
    assert apt_calls == ""


@pytest.mark.skipif(not DEBIAN, reason="the Debian cases need /etc/debian_version")
def test_debian_as_root_installs_it(machine):
    result, apt_calls = machine(uid=0)
    assert result.returncode == 0
    assert "install -y -qq gettext" in apt_calls


def test_nothing_is_done_when_the_tool_is_there(tmp_path):
    (tmp_path / "msgfmt").write_text("#!/bin/sh\n")
    (tmp_path / "msgfmt").chmod(0o755)
    result = subprocess.run(
        ["/bin/sh", ROOT / "bin/need", "msgfmt", "gettext"],
        env={"PATH": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and result.stderr == ""
