"""The security headers on HTML responses, from the live server under production settings.

The server runs plain HTTP (see site_server in conftest.py), so it sends no HSTS header:
tests/clinic_site/test_security.py checks HSTS through the test client over HTTPS, and
tests/clinic_site/test_serve.py through gunicorn. test_crawl.py applies the same checks to
every page the crawl finds."""

import urllib.error
import urllib.request

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db(transaction=True)

ARTICLE = "/blog/esketamine-therapy-for-treatment-resistant-depression/"


def security_header_problems(headers):
    """What is missing or weak in one response's headers; [] when all is well."""
    headers = {name.lower(): value for name, value in headers.items()}
    csp = headers.get("content-security-policy", "")
    directives = dict(
        (part.strip().split(None, 1) + [""])[:2] for part in csp.split(";") if part.strip()
    )
    problems = []
    if not csp:
        problems.append("no Content-Security-Policy")
    if "'unsafe-inline'" in csp or "'unsafe-eval'" in csp:
        problems.append(f"the CSP allows inline or eval'd code: {csp}")
    for directive, value in [("default-src", "'self'"), ("object-src", "'none'"),
                             ("base-uri", "'none'")]:  # fmt: skip
        if directives.get(directive) != value:
            problems.append(f"CSP {directive} is {directives.get(directive)!r}, not {value}")
    if headers.get("x-content-type-options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if headers.get("referrer-policy") != "same-origin":
        problems.append(f"Referrer-Policy is {headers.get('referrer-policy')!r}")
    if headers.get("cross-origin-opener-policy") != "same-origin":
        problems.append(
            f"Cross-Origin-Opener-Policy is {headers.get('cross-origin-opener-policy')!r}"
        )
    policy = headers.get("permissions-policy", "")
    for feature in ("camera=()", "geolocation=()", "microphone=()"):
        if feature not in policy:
            problems.append(f"Permissions-Policy {policy!r} does not switch off {feature}")
    if headers.get("x-frame-options") != "DENY" and directives.get("frame-ancestors") != "'none'":
        problems.append("the page may be framed (no X-Frame-Options: DENY, no frame-ancestors)")
    return problems


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as error:  # 404 and other answers are pages too
        return error.code, error.headers


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/services/spravato/", 200),
        ("/blog/", 200),
        (ARTICLE, 200),
        ("/blog/?q=spravato", 200),
        ("/contact/", 200),
        ("/privacy/", 200),
        ("/no-such-page/", 404),
        ("/" + settings.ADMIN_URL_PATH + "login/", 200),
    ],
)
def test_html_responses_carry_the_security_headers(site, path, status):
    answered, headers = fetch(site + path)
    assert answered == status
    assert headers.get_content_type() == "text/html"
    assert security_header_problems(headers) == []
