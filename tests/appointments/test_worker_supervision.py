"""A worker that exits is started again (issue 21, finding 2): `make serve` runs the e-mail
worker through bin/worker, a restart loop, and stops it with the site. A stand-in interpreter
plays the worker, so the loop is tested on its own."""

import os
import signal
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def stand_in(tmp_path, body):
    """A fake PYTHON that records each start (its arguments) and then runs `body`."""
    fake = tmp_path / "python"
    fake.write_text(f'#!/bin/sh\necho "$$ $*" >> {tmp_path}/starts\n{body}\n')
    fake.chmod(0o755)
    return fake


def starts(tmp_path):
    path = tmp_path / "starts"
    return path.read_text().splitlines() if path.exists() else []


def wait_until(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def run_loop(tmp_path, fake):
    return subprocess.Popen(
        [ROOT / "bin" / "worker"],
        env={**os.environ, "PYTHON": str(fake), "WORKER_RESTART_SECONDS": "0.1"},
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_worker_that_exits_is_started_again(tmp_path):
    loop = run_loop(tmp_path, stand_in(tmp_path, "exit 1"))
    try:
        assert wait_until(lambda: len(starts(tmp_path)) >= 3)
    finally:
        loop.send_signal(signal.SIGTERM)
        assert loop.wait(10) == 0
    assert {line.split(" ", 1)[1] for line in starts(tmp_path)} == {"manage.py email_worker"}
    assert "email_worker exited (status 1); starting it again" in loop.stderr.read()


def test_stopping_the_loop_stops_the_worker(tmp_path):
    loop = run_loop(tmp_path, stand_in(tmp_path, "exec sleep 60"))
    assert wait_until(lambda: starts(tmp_path))
    worker_pid = int(starts(tmp_path)[0].split()[0])
    loop.send_signal(signal.SIGTERM)
    assert loop.wait(10) == 0
    assert wait_until(lambda: not Path(f"/proc/{worker_pid}").exists(), 5)
    assert len(starts(tmp_path)) == 1
