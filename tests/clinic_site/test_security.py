"""The security headers every HTML response carries under production settings."""

import pytest
from django.core.management import call_command


@pytest.fixture
def home(client, db):
    return client.get("/")


def test_plain_http_is_redirected_to_https(db):
    from django.test import Client

    response = Client().get("/")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def test_csp_allows_nothing_inline_and_nothing_from_other_hosts(home):
    csp = home["Content-Security-Policy"]
    directives = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in csp.split(";") if part.strip()
    )
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'"


def test_strict_transport_security_lasts_at_least_a_year(home):
    hsts = home["Strict-Transport-Security"]
    max_age = int(hsts.split("max-age=")[1].split(";")[0])
    assert max_age >= 365 * 24 * 3600
    assert "includeSubDomains" in hsts


def test_other_security_headers(home):
    assert home["X-Content-Type-Options"] == "nosniff"
    assert home["Referrer-Policy"] == "same-origin"
    assert home["Cross-Origin-Opener-Policy"] == "same-origin"
    assert home["X-Frame-Options"] == "DENY"
    assert "camera=()" in home["Permissions-Policy"]
    assert "geolocation=()" in home["Permissions-Policy"]


def test_production_settings_pass_the_deployment_checklist(capsys, settings):
    # What every deployment sets (README), as `make lint` does.
    settings.APPOINTMENT_NOTIFY_EMAILS = ["front-desk@example.org"]
    settings.RATE_LIMIT_TRUSTED_PROXIES = 1
    # Raises SystemCheckError on any warning.
    call_command("check", "--deploy", "--fail-level", "WARNING")
