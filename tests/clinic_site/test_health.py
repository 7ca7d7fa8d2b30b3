"""A load balancer probes /healthz: plain HTTP, any Host, and an honest answer."""

from unittest import mock

import pytest
from django.db.utils import OperationalError
from django.test import Client

pytestmark = pytest.mark.django_db


def test_load_balancer_sees_healthy_site(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True, "cache": True}
    assert "no-cache" in response["Cache-Control"]


def test_probe_over_plain_http_is_answered_not_redirected():
    response = Client().get("/healthz")  # no X-Forwarded-Proto: https
    assert response.status_code == 200


def test_probe_to_the_servers_own_address_is_answered(settings):
    assert "10.0.3.7" not in settings.ALLOWED_HOSTS
    response = Client(HTTP_HOST="10.0.3.7:8000").get("/healthz")
    assert response.status_code == 200


def test_health_path_is_configurable(settings):
    settings.HEALTH_PATH = "/lb-probe"
    assert Client(HTTP_HOST="10.0.3.7").get("/lb-probe").status_code == 200
    # The old path is an ordinary URL again: redirected to HTTPS like any other.
    assert Client().get("/healthz").status_code == 301


def test_other_paths_still_check_the_host():
    assert (
        Client(HTTP_HOST="evil.example", HTTP_X_FORWARDED_PROTO="https").get("/").status_code == 400
    )


def test_cache_outage_is_degraded_not_down(cache_down):
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": True, "cache": False}


def test_load_balancer_sees_database_outage():
    with mock.patch(
        "django.db.backends.utils.CursorWrapper.execute", side_effect=OperationalError("down")
    ):
        response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] is False
