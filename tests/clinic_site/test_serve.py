"""`make serve` in miniature: production settings under gunicorn with whitenoise."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url, **headers):
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, dict(response.headers), response.read()


@pytest.fixture(scope="module")
def served_site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve")
    port = free_port()
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "clinic_site.settings",
        "DJANGO_SECRET_KEY": "serve-test-secret-key-serve-test-secret-key-serve-test",
        "DJANGO_INSECURE_HTTP": "1",
        "DJANGO_VAR_DIR": str(tmp / "var"),
        "DJANGO_STATIC_ROOT": str(tmp / "static"),
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
    }
    manage = [sys.executable, "manage.py"]
    # The same steps as `make serve`.
    for command in (
        ["migrate", "-v0"],
        ["createcachetable"],
        ["sync_content"],
        ["collectstatic", "--noinput", "-v0"],
    ):
        subprocess.run(manage + command, cwd=ROOT, env=env, check=True)
    log = open(tmp / "gunicorn.log", "w+")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "clinic_site.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            fetch(base + "/healthz")
            break
        except OSError:
            time.sleep(0.1)
    yield base, tmp / "gunicorn.log"
    server.terminate()
    server.wait(10)
    log.close()


def test_served_page_carries_security_headers(served_site):
    base, _ = served_site
    status, headers, _ = fetch(base + "/")
    assert status == 200
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Permissions-Policy" in headers


def test_static_files_are_hashed_compressed_and_cached_forever(served_site):
    base, _ = served_site
    _, _, html = fetch(base + "/")
    css = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', html.decode())
    assert css, "stylesheet URL is not content-hashed"
    status, headers, _ = fetch(base + css.group(1), **{"Accept-Encoding": "br, gzip"})
    assert status == 200
    assert headers["Content-Encoding"] in {"br", "gzip"}
    assert "immutable" in headers["Cache-Control"]
    assert "max-age=315360000" in headers["Cache-Control"]


def test_access_log_has_no_query_strings_or_client_addresses(served_site):
    base, log_path = served_site
    fetch(base + "/?email=patient%40example.org")
    time.sleep(0.3)
    log = log_path.read_text()
    assert '"GET / HTTP/1.1" 200' in log
    assert "patient" not in log
    assert "email=" not in log
    assert "127.0.0.1 " not in log.split("Listening at")[-1]
