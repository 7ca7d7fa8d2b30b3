from unittest import mock

import pytest
from django.db.utils import OperationalError
from django.test import Client

from clinic_site.clinic import get_clinic


@pytest.fixture
def visitor():
    # Like a browser: a server error comes back as a page, not as an exception in the test.
    return Client(HTTP_X_FORWARDED_PROTO="https", raise_request_exception=False)


@pytest.mark.django_db
def test_missing_page_is_a_branded_404_with_phone_and_crisis_line(visitor):
    response = visitor.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "We cannot find that page" in html
    assert get_clinic().tel_href in html
    assert "988" in html
    assert 'name="robots" content="noindex"' in html


@pytest.mark.urls("tests.clinic_site.urls_failing")
@pytest.mark.django_db
def test_server_error_page_renders_while_the_database_is_down(visitor):
    with mock.patch(
        "django.db.backends.base.base.BaseDatabaseWrapper.ensure_connection",
        side_effect=OperationalError("connection refused"),
    ):
        response = visitor.get("/needs-database/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert get_clinic().phone in html
    assert "988" in html
    assert "Traceback" not in html
    assert "OperationalError" not in html
    assert "connection refused" not in html


@pytest.mark.urls("tests.clinic_site.urls_failing")
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "status", "title"),
    [("/suspicious/", 400, "We could not understand that request"),
     ("/forbidden/", 403, "You cannot open this page")],
)  # fmt: skip
def test_bad_and_forbidden_requests_get_branded_pages(visitor, url, status, title):
    response = visitor.get(url)
    assert response.status_code == status
    html = response.content.decode()
    assert title in html and f"Error {status}" in html
    assert get_clinic().tel_href in html
    assert 'href="tel:988"' in html
    assert "malformed" not in html
