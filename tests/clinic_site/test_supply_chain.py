"""What `make` installs is exactly what we locked: every package in the lock files carries the
hash of its files, and the install refuses anything else (pip --require-hashes)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>\S+)")


def locked(lock_file):
    """{package: (version, number of hashes)} read from a uv/pip-compile lock file."""
    packages, current = {}, None
    for line in (ROOT / lock_file).read_text().splitlines():
        if match := PIN.match(line):
            current = match["name"].lower()
            packages[current] = [match["version"], 0]
        elif current and line.strip().startswith("--hash=sha256:"):
            packages[current][1] += 1
    return packages


LOCK_FILES = ["requirements.lock", "requirements-dev.lock", "requirements-mutation.lock"]


@pytest.mark.parametrize("lock_file", LOCK_FILES)
def test_every_locked_package_carries_a_hash(lock_file):
    packages = locked(lock_file)
    assert packages, f"{lock_file} pins nothing"
    unhashed = sorted(name for name, (_, hashes) in packages.items() if not hashes)
    assert not unhashed, f"{lock_file}: no hash for {', '.join(unhashed)}"


@pytest.mark.parametrize(
    ("base", "tools"),
    [
        ("requirements.lock", "requirements-dev.lock"),
        ("requirements-dev.lock", "requirements-mutation.lock"),
    ],
)
def test_the_test_tools_run_on_the_same_versions_as_production(base, tools):
    """The tests run on production's versions, and `make mutation` on the tests' versions."""
    runtime, dev = locked(base), locked(tools)
    differ = {
        name: (version, dev[name][0])
        for name, (version, _) in runtime.items()
        if dev.get(name, [version])[0] != version
    }
    assert not differ


def test_make_installs_the_lock_files_with_require_hashes():
    makefile = (ROOT / "Makefile").read_text()
    install_lines = [line for line in makefile.splitlines() if "-r requirements" in line]
    assert install_lines
    variables = dict(
        re.findall(r"^([A-Z_]+) := (.*)$", makefile, flags=re.MULTILINE),
    )
    for line in install_lines:
        command = line.strip()
        for name, value in variables.items():
            command = command.replace(f"$({name})", value)
        assert "--require-hashes" in command, line
