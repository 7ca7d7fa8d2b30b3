"""gunicorn as production runs it (gunicorn.conf.py): a reload serves the new release's code, and
two instances on one host never share a control socket (issue 24)."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.servers import ROOT, free_port, wait_for_port

pytestmark = pytest.mark.serve

APP = """
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"{release}"]
"""


@contextmanager
def gunicorn(folder, home, **env):
    """gunicorn with the project's gunicorn.conf.py, serving folder/release.py on a free port."""
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", ROOT / "gunicorn.conf.py", "release:app"],
        cwd=folder,
        env={
            **environ,
            "HOME": str(home),
            "PORT": str(port),
            "WEB_CONCURRENCY": "1",
            "PYTHONPATH": str(folder),
            "PYTHONDONTWRITEBYTECODE": "1",
            **env,
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield process, f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        process.wait(10)


def body(url):
    with urllib.request.urlopen(url, timeout=5) as response:  # loopback
        return response.read().decode()


def test_a_reload_serves_the_new_release(tmp_path):
    """`systemctl reload` (SIGHUP) after a release: the workers run the new code. With the app
    preloaded in the master, they were forked from the old code and kept serving it."""
    (tmp_path / "release.py").write_text(APP.format(release="release 1"))
    with gunicorn(tmp_path, tmp_path) as (server, url):
        assert body(url) == "release 1"
        (tmp_path / "release.py").write_text(APP.format(release="release 2"))
        server.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 20
        while body(url) != "release 2" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert body(url) == "release 2"


def test_two_instances_on_one_host_announce_no_shared_control_socket(tmp_path):
    """gunicorn 25+ opens a control socket at ~/.gunicorn/gunicorn.ctl unless told otherwise:
    the second instance on a host took it over from the first. None by default; its own path
    when GUNICORN_CONTROL_SOCKET names one (the systemd unit gives each instance its own)."""
    (tmp_path / "release.py").write_text(APP.format(release="ok"))
    with (
        gunicorn(tmp_path, tmp_path) as (_, first),
        gunicorn(tmp_path, tmp_path) as (_, second),
    ):
        assert body(first) == body(second) == "ok"
        assert not (tmp_path / ".gunicorn").exists()

    sockets = [tmp_path / "a.ctl", tmp_path / "b.ctl"]
    with (
        gunicorn(tmp_path, tmp_path, GUNICORN_CONTROL_SOCKET=str(sockets[0])),
        gunicorn(tmp_path, tmp_path, GUNICORN_CONTROL_SOCKET=str(sockets[1])),
    ):
        deadline = time.monotonic() + 10
        while not all(s.exists() for s in sockets) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert all(Path(s).is_socket() for s in sockets)
        assert not (tmp_path / ".gunicorn").exists()
