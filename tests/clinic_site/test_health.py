"""A load balancer probes /healthz: plain HTTP, any Host, and an honest answer."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db.utils import OperationalError
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def worker_alive():
    """An e-mail worker running, as on a healthy site: it has just said so."""
    from appointments.models import WorkerHeartbeat

    WorkerHeartbeat.objects.create(name="email", seen_at=timezone.now())


def test_load_balancer_sees_healthy_site(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True, "cache": True, "email": "ok"}
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
    assert response.json() == {
        "status": "degraded",
        "database": True,
        "cache": False,
        "email": "ok",
    }


def test_load_balancer_sees_database_outage():
    with mock.patch(
        "django.db.backends.utils.CursorWrapper.execute", side_effect=OperationalError("down")
    ):
        response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] is False


# --- the e-mail worker's life, seen from outside ------------------------------------------
# Each is a 200: a host with a worker problem serves pages as well as any other, so no load
# balancer takes it out of rotation; the operator watches for "degraded".


def test_a_worker_silent_for_minutes_is_reported_not_fatal():
    from appointments.models import WorkerHeartbeat

    WorkerHeartbeat.objects.update(seen_at=timezone.now() - timedelta(minutes=3))
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "database": True,
        "cache": True,
        "email": "no-worker",
    }


def test_a_worker_heard_from_a_minute_ago_is_no_worry_and_none_at_all_is():
    from appointments.models import WorkerHeartbeat

    WorkerHeartbeat.objects.update(seen_at=timezone.now() - timedelta(minutes=1))
    assert Client().get("/healthz").json()["email"] == "ok"
    WorkerHeartbeat.objects.all().delete()
    assert Client().get("/healthz").json()["email"] == "no-worker"


def test_in_development_no_worker_is_expected(settings):
    """`make run` sends each request's e-mails itself, right after its commit."""
    from appointments.models import WorkerHeartbeat

    settings.APPOINTMENT_SEND_IMMEDIATELY = True
    WorkerHeartbeat.objects.all().delete()
    assert Client().get("/healthz").json()["email"] == "ok"


def test_an_email_waiting_longer_than_the_setting_is_reported(settings):
    from appointments.models import OutgoingEmail
    from tests.appointments.factories import make_request

    settings.APPOINTMENT_SEND_STALE_MINUTES = 15
    request = make_request()
    email = OutgoingEmail.objects.create(request=request, kind="staff")
    assert Client().get("/healthz").json()["email"] == "ok"  # just queued
    OutgoingEmail.objects.update(created_at=timezone.now() - timedelta(minutes=16))
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["email"] == "stale"

    OutgoingEmail.objects.filter(pk=email.pk).update(state="failed")  # the attempts ran out
    assert Client().get("/healthz").json()["email"] == "failed"
    OutgoingEmail.objects.filter(pk=email.pk).update(state="sent")
    assert Client().get("/healthz").json() == {
        "status": "ok",
        "database": True,
        "cache": True,
        "email": "ok",
    }


def test_in_development_no_worker_is_needed(settings):
    from appointments.models import WorkerHeartbeat

    settings.APPOINTMENT_SEND_IMMEDIATELY = True
    WorkerHeartbeat.objects.all().delete()
    assert Client().get("/healthz").json()["email"] == "ok"
