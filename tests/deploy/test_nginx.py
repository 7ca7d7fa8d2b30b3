"""deploy/nginx, run as it is (tests/support/servers.py renders it with test ports and paths only):
TLS, HTTP sent to HTTPS, the probe, what reaches gunicorn and what never does, and the public pages
kept at the edge for a second (issues 21, 23 and 24)."""

import http.client
import http.server
import json
import re
import shutil
import ssl
import threading
import time
from pathlib import Path

import pytest

from tests.support.servers import NGINX, free_port, nginx_in_front, production_server

pytestmark = [
    pytest.mark.serve,
    pytest.mark.skipif(
        not Path(NGINX).exists() or not shutil.which("openssl"),
        reason="nginx (and openssl, for a test certificate) are not installed",
    ),
]


def request(base, path, method="GET", body=None, **headers):
    """(status, headers, body) of one request, without following a redirect."""
    scheme, _, host = base.partition("://")
    if scheme == "https":
        conn = http.client.HTTPSConnection(
            host,
            timeout=10,
            context=ssl._create_unverified_context(),  # noqa: S323 (our own)
        )
    else:
        conn = http.client.HTTPConnection(host, timeout=10)
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, response.headers, data


class Recorder(http.server.BaseHTTPRequestHandler):
    """An app server that notes the headers of each request it gets."""

    seen = []

    def do_GET(self):  # noqa: N802 (the standard library's name)
        self.seen.append(dict(self.headers.items()))
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder(tmp_path):
    Recorder.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with nginx_in_front([f"http://127.0.0.1:{server.server_port}"], tmp_path) as urls:
            yield urls, Recorder.seen
    finally:
        server.shutdown()


def test_what_the_client_says_of_itself_never_reaches_the_app(recorder):
    urls, seen = recorder
    status, _, _ = request(
        urls["plain"],
        "/",
        **{
            "X-Forwarded-For": "198.51.100.66",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "evil.example",
            "Forwarded": "for=198.51.100.66;proto=https",
            "SCRIPT_NAME": "//evil.example",
            "Script-Name": "//evil.example",
            "X-Script-Name": "//evil.example",
            "Path-Info": "/admin/",
        },
    )
    assert status == 200
    (headers,) = seen
    names = {name.lower(): value for name, value in headers.items()}
    # nginx's own view: the connection came from 127.0.0.1, over plain HTTP.
    assert names["x-forwarded-for"] == "127.0.0.1"
    assert names["x-forwarded-proto"] == "http"
    for name in ("x-forwarded-host", "forwarded", "script_name", "script-name", "x-script-name",
                 "path-info"):  # fmt: skip
        assert name not in names, name
    assert "evil.example" not in json.dumps(headers)


def test_https_serves_the_site_and_plain_http_is_sent_there_but_the_probe(recorder):
    urls, seen = recorder
    status, _, body = request(urls["https"], "/blog/", Host="clinic.example.org")
    assert (status, body) == (200, b"ok")
    assert {k.lower(): v for k, v in seen[-1].items()}["x-forwarded-proto"] == "https"

    status, headers, _ = request(urls["http"], "/blog/?page=2", Host="clinic.example.org")
    assert status == 301
    assert headers["Location"] == "https://clinic.example.org/blog/?page=2"

    status, _, body = request(urls["http"], "/healthz")
    assert (status, body) == (200, b"ok")


# --- the real site behind it ------------------------------------------------------------------


@pytest.fixture(scope="module")
def site():
    """gunicorn (one worker, its own SQLite) as `make serve` runs it, behind the nginx example;
    yields (nginx URLs, a function counting gunicorn's log lines for a method and path)."""
    with (
        production_server(own_database=True, WEB_CONCURRENCY="1") as (base, env, _manage),
        nginx_in_front([base], env["DJANGO_STATIC_ROOT"]) as urls,
    ):
        log = Path(env["DJANGO_VAR_DIR"]) / "gunicorn.log"

        def reached(method, path):
            """gunicorn's log lines for this request, once they stop coming: gunicorn writes
            each just after its response, later still on a busy machine."""
            line = re.compile(rf'"{method} {re.escape(path)} HTTP/1\.1"')
            count, steady_since, deadline = None, time.monotonic(), time.monotonic() + 10
            while time.monotonic() < deadline:
                found = sum(1 for text in log.read_text().splitlines() if line.search(text))
                if found != count:
                    count, steady_since = found, time.monotonic()
                elif time.monotonic() - steady_since > 0.5:
                    break
                time.sleep(0.05)
            return count

        yield urls, reached


def distinct(path):
    """The same page under a query string of its own: its own cache entry for this test."""
    return f"{path}{'&' if '?' in path else '?'}utm_source=t{time.monotonic_ns()}"


def test_a_public_page_asked_twice_reaches_gunicorn_once(site):
    urls, reached = site
    path = distinct("/blog/")
    before = reached("GET", "/blog/")
    first = request(urls["plain"], path)
    second = request(urls["plain"], path)
    assert first[0] == second[0] == 200
    assert first[2] == second[2]
    assert reached("GET", "/blog/") == before + 1


def test_the_edge_copy_is_short_lived_so_a_content_sync_shows_within_seconds(site):
    """nginx keeps a page "1s", which it counts in whole seconds: one to two."""
    urls, reached = site
    path = distinct("/services/")
    request(urls["plain"], path)
    before = reached("GET", "/services/")
    time.sleep(2.1)
    request(urls["plain"], path)
    assert reached("GET", "/services/") == before + 1


@pytest.mark.parametrize(
    ("path", "cookie"),
    [
        ("/contact/", ""),  # the form: each visitor's own token
        ("/blog/?q=spravato", ""),  # a search: what a patient typed
        ("/blog/", "sessionid=abc123"),  # a session: staff, or a patient's thank-you page
        ("/blog/", "csrftoken=x; sessionid=abc123"),
    ],
)
def test_forms_searches_and_sessions_always_reach_gunicorn(site, path, cookie):
    urls, reached = site
    path_only = path.split("?")[0]
    headers = {"Cookie": cookie} if cookie else {}
    request(urls["plain"], path)  # an earlier visitor, with no cookie, may leave a copy
    before = reached("GET", path_only)
    for _ in range(2):
        status, response_headers, _ = request(urls["plain"], path, **headers)
        assert status == 200
    assert reached("GET", path_only) == before + 2
    if path_only == "/contact/":
        assert "csrftoken=" in response_headers.get("Set-Cookie", "")


def test_a_page_with_only_the_csrf_cookie_is_served_from_the_edge(site):
    urls, reached = site
    path = distinct("/about/")
    request(urls["plain"], path)
    before = reached("GET", "/about/")
    request(urls["plain"], path, Cookie="csrftoken=abc")
    assert reached("GET", "/about/") == before


def test_a_body_over_64_kb_is_refused_before_gunicorn(site):
    urls, reached = site
    status, _, _ = request(
        urls["plain"],
        "/contact/",
        method="POST",
        body=b"message=" + b"a" * (65 * 1024),
        **{"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 413
    assert reached("POST", "/contact/") == 0


def test_static_files_come_from_nginx_with_their_cache_headers(site):
    urls, reached = site
    _, _, html = request(urls["plain"], "/")
    css = re.search(rb'href="(/static/css/site\.[0-9a-f]{12}\.css)"', html)[1].decode()
    status, headers, body = request(urls["plain"], css, **{"Accept-Encoding": "gzip"})
    assert status == 200 and body
    assert headers["Content-Encoding"] == "gzip"  # whitenoise's precompressed copy
    assert "immutable" in headers["Cache-Control"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert reached("GET", css) == 0
    # A file this host's build lacks is asked of the site.
    assert request(urls["plain"], "/static/missing.css")[0] == 404
    assert reached("GET", "/static/missing.css") == 1


def test_the_access_log_holds_no_query_string_or_client_address(site):
    urls, _ = site
    request(urls["plain"], "/blog/?q=my+private+worry")
    log = (urls["folder"] / "clinic.access.log").read_text()
    assert "private" not in log and "q=" not in log
    assert "127.0.0.1" not in log
    assert '"GET /blog/ HTTP/1.1" 200' in log
