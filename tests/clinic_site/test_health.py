from unittest import mock

import pytest
from django.db.utils import OperationalError


@pytest.mark.django_db
def test_load_balancer_sees_healthy_site(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] is True
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_load_balancer_sees_database_outage(client):
    with mock.patch(
        "django.db.backends.utils.CursorWrapper.execute", side_effect=OperationalError("down")
    ):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] is False
