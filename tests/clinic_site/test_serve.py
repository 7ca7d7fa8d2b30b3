"""`make serve` in miniature: production settings under gunicorn with whitenoise."""

import re
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.servers import production_server

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.serve


def fetch(url, **headers):
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, dict(response.headers), response.read()


@pytest.fixture(scope="module")
def served_site():
    # A scratch SQLite database of its own, whatever database the rest of the suite uses.
    with production_server(own_database=True, WEB_CONCURRENCY="2") as (base, env, _manage):
        yield base, Path(env["DJANGO_VAR_DIR"]) / "gunicorn.log"


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
