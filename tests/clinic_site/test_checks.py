"""Settings that would fail someone quietly are reported by `manage.py check --deploy`."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks

ROOT = Path(__file__).resolve().parents[2]
KEY = "a-production-key-" + "k" * 50


def reported():
    return {message.id for message in run_checks(include_deployment_checks=True)}


@pytest.fixture
def configured(settings):
    """Production as README's deployment notes configure it: nothing to report."""
    settings.APPOINTMENT_NOTIFY_EMAILS = ["front-desk@example.org"]
    settings.RATE_LIMIT_TRUSTED_PROXIES = 1
    settings.SECRET_KEY = KEY
    settings.SECRET_KEY_FALLBACKS = []
    settings.GUNICORN_HOST = "127.0.0.1"
    settings.GUNICORN_BEHIND_PROXY_ONLY = False
    settings.ALLOWED_HOSTS = ["clinic.example"]
    settings.SITE_URL = "https://clinic.example"
    return settings


def test_a_configured_production_reports_none_of_ours(configured):
    assert not {found for found in reported() if found.startswith("clinic.")}


def test_no_staff_address_is_reported(configured):
    configured.APPOINTMENT_NOTIFY_EMAILS = []
    assert "clinic.W001" in reported()


@pytest.mark.parametrize(
    "site_url", ["https://elsewhere.example", "http://clinic.example", "https://127.0.0.1:8000"]
)
def test_a_site_url_the_site_does_not_serve_is_reported(configured, site_url):
    configured.SECURE_SSL_REDIRECT = True
    configured.SITE_URL = site_url
    assert "clinic.W005" in reported()


def test_proxy_trusted_with_no_proxy_counted_is_reported(configured):
    configured.RATE_LIMIT_TRUSTED_PROXIES = 0
    assert "clinic.W002" in reported()


def test_plain_http_trial_without_a_proxy_is_not_nagged(configured):
    configured.RATE_LIMIT_TRUSTED_PROXIES = 0
    configured.SECURE_SSL_REDIRECT = False  # DJANGO_INSECURE_HTTP=1
    assert "clinic.W002" not in reported()


def deploy_only(found):
    """Reported by `check --deploy` alone, not by every `manage.py` command."""
    return found in reported() and found not in {m.id for m in run_checks()}


@pytest.mark.parametrize("host", ["0.0.0.0", "10.0.0.5", "::", "app1.internal"])
def test_trusted_proxies_with_gunicorn_reachable_by_anyone_is_reported(configured, host):
    """With the proxy trusted, a client that reaches gunicorn directly writes its own
    X-Forwarded-For and so its own address: the form's limit and the sign-in lockout are
    skipped (issue 21, finding 9)."""
    configured.GUNICORN_HOST = host
    assert deploy_only("clinic.W004")


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "[::1]"])
def test_gunicorn_on_loopback_behind_a_trusted_proxy_is_fine(configured, host):
    configured.GUNICORN_HOST = host
    assert "clinic.W004" not in reported()


def test_a_firewall_the_operator_vouches_for_silences_it(configured):
    configured.GUNICORN_HOST = "10.0.0.5"
    configured.GUNICORN_BEHIND_PROXY_ONLY = True
    assert "clinic.W004" not in reported()


def test_no_proxy_trusted_no_warning_about_the_bind_address(configured):
    configured.GUNICORN_HOST = "0.0.0.0"
    configured.RATE_LIMIT_TRUSTED_PROXIES = 0
    configured.SECURE_SSL_REDIRECT = False
    assert "clinic.W004" not in reported()


def test_unrotated_key_in_the_fallbacks_is_reported(configured):
    configured.SECRET_KEY_FALLBACKS = [KEY]
    assert "clinic.W003" in reported()


def test_a_short_fallback_key_is_reported(configured):
    configured.SECRET_KEY_FALLBACKS = ["old-and-short"]
    assert "security.W025" in reported()  # Django's own check


def test_check_deploy_tells_the_operator_what_to_set(tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_VAR_DIR": str(tmp_path),
        "DJANGO_SECRET_KEY": KEY,
        "DJANGO_SECRET_KEY_FALLBACKS": f"an-older-key-{'o' * 50},{KEY}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stderr + result.stdout
    assert "(clinic.W001) APPOINTMENT_NOTIFY_EMAILS is empty" in output
    assert "(clinic.W002)" in output and "Set RATE_LIMIT_TRUSTED_PROXIES" in output
    assert "(clinic.W003)" in output
    assert "(clinic.W005) SITE_URL (http://127.0.0.1:8000)" in output
