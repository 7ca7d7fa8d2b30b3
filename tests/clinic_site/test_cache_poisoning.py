"""No request can change what the next visitor is served (issue 21, finding 1).

A `SCRIPT_NAME` request header, which gunicorn used to take from any address it trusts as a
proxy, made Django build every link on the page under that prefix. The page cache keyed the page
by its path alone, so one request such as `curl -H 'SCRIPT_NAME: //evil.example'` left every
later visitor's home page linking to another site, and the Contact form posting to a 404.
"""

import re
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.servers import NGINX, haproxy_in_front, nginx_in_front, production_server

EVIL = "//evil.example"


def test_a_script_prefix_never_reaches_another_visitors_cached_page(client, site_content):
    # The prefix as the WSGI server would pass it on (the header, mapped into the environ).
    poisoned = client.get("/", SCRIPT_NAME=EVIL)
    assert poisoned.status_code == 200

    page = client.get("/").content.decode()
    assert EVIL not in page
    form = client.get("/contact/").content.decode()
    assert 'action="/contact/"' in form
    assert EVIL not in client.get("/es/contact/").content.decode()


def fetch(url, **headers):
    """The page's HTML, whatever its status (the attack's own requests may well be a 404)."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
            return response.read().decode()
    except urllib.error.HTTPError as error:
        return error.read().decode()


HAPROXY = Path("/usr/sbin/haproxy")


@contextmanager
def behind(proxy, base, env):
    """The URL of this proxy in front of gunicorn: haproxy as a plain deployment configures it
    (it passes a client's headers on as they came), or the nginx example (deploy/nginx)."""
    if proxy == "haproxy":
        with haproxy_in_front([base]) as front:
            yield front
    else:
        with nginx_in_front([base], env["DJANGO_STATIC_ROOT"]) as urls:
            yield urls["plain"]


@pytest.mark.serve
@pytest.mark.parametrize(
    "proxy",
    [
        pytest.param(
            "haproxy",
            marks=pytest.mark.skipif(not HAPROXY.exists(), reason="haproxy is not installed"),
        ),
        pytest.param(
            "nginx",
            marks=pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed"),
        ),
    ],
)
def test_a_forged_script_name_header_through_the_proxy_changes_no_page(proxy):
    """The attack as it was found: through the proxy to gunicorn, which trusts its proxy's
    forwarded headers. (nginx keeps public pages for a second: the attack's requests would
    have to poison the page it keeps.)"""
    with (
        production_server(own_database=True, WEB_CONCURRENCY="1") as (base, env, _manage),
        behind(proxy, base, env) as front,
    ):
        for path in ("/", "/contact/", "/es/", "/es/contact/"):
            fetch(front + EVIL + path, SCRIPT_NAME=EVIL)
            # gunicorn does not take the header from its proxy: even the page it is sent with
            # is the plain one.
            assert "evil.example" not in fetch(front + path, SCRIPT_NAME=EVIL), path
        for path in ("/", "/contact/", "/es/", "/es/contact/"):
            page = fetch(front + path)
            assert "evil.example" not in page, path
        assert re.search(r'<form[^>]+action="/contact/"', fetch(front + "/contact/"))
        assert re.search(r'<form[^>]+action="/es/contact/"', fetch(front + "/es/contact/"))
