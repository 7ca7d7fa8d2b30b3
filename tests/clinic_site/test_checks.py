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
    assert "clinic.W004" in reported()


def test_proxy_trusted_with_no_proxy_counted_is_reported(configured):
    configured.RATE_LIMIT_TRUSTED_PROXIES = 0
    assert "clinic.W002" in reported()


def test_plain_http_trial_without_a_proxy_is_not_nagged(configured):
    configured.RATE_LIMIT_TRUSTED_PROXIES = 0
    configured.SECURE_SSL_REDIRECT = False  # DJANGO_INSECURE_HTTP=1
    assert "clinic.W002" not in reported()


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
    assert "(clinic.W004) SITE_URL (http://127.0.0.1:8000)" in output
