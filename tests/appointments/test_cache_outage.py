"""With the shared cache down, a patient can still ask for an evaluation."""

import pytest
from django.test import Client

from appointments.models import AppointmentRequest

from .conftest import send

pytestmark = pytest.mark.django_db


def fill_in_the_form(client, form_data):
    assert client.get("/contact/").status_code == 200
    response = send(client, form_data)
    assert response.status_code == 302
    assert "Thank you" in client.get(response["Location"]).content.decode()


def test_request_survives_a_cache_nobody_answers(client, form_data, cache_down):
    fill_in_the_form(client, form_data)
    assert AppointmentRequest.objects.count() == 1


def test_request_survives_redis_stopping(client, form_data, own_redis):
    probe = Client()
    assert probe.get("/healthz").json()["cache"] is True
    own_redis()  # stop it
    fill_in_the_form(client, form_data)
    assert AppointmentRequest.objects.count() == 1
    health = probe.get("/healthz")
    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
