"""When the Contact form fails, a person hears of it, and what the patient typed goes nowhere
(issue 24; issue 21, finding 4).

PostgreSQL quotes the row it refused in its error ("DETAIL: Failing row contains (Ann, Example,
ann@example.org, ...)"), and that text reached the gunicorn log. SQLite's messages name columns,
never values, so the database half of these tests runs on PostgreSQL.
"""

import io
import json
import logging
import logging.config

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.db import connection
from django.test import Client

from appointments.models import AppointmentRequest

from .conftest import send

TYPED = ["Ann", "Example", "ann@example.org", "555-0123", "Please call after five"]
PATIENT_ADDRESS = "203.0.113.9"
SESSION_KEY = "a-session-key-that-would-let-someone-in"

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL quotes row values in its errors; SQLite's name columns only",
)


@pytest.fixture
def server_log():
    """Logging configured as production configures it (clinic_site.logging.logging_config),
    writing into a string the test reads. Restored to the test settings afterwards."""
    from clinic_site.logging import logging_config

    def configure(**options):
        logging.config.dictConfig(logging_config(**options))
        stream = io.StringIO()
        for name in ("", "django"):
            for handler in logging.getLogger(name).handlers:
                if isinstance(handler, logging.StreamHandler):
                    handler.setStream(stream)
        return stream

    yield configure
    logging.config.dictConfig(django_settings.LOGGING)


@pytest.fixture
def patient():
    """A patient's browser behind the proxy; a server error answers 500, as in production."""
    browser = Client(
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_X_FORWARDED_FOR=PATIENT_ADDRESS,
        raise_request_exception=False,
    )
    browser.cookies["sessionid"] = SESSION_KEY
    return browser


@pytest.fixture
def refuse_ann(db):
    """The database refuses this patient's row, as a constraint the old code did not know of
    would: a real IntegrityError, with PostgreSQL's own message."""
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE appointments_appointmentrequest ADD CONSTRAINT refuse_ann "
            "CHECK (first_name <> 'Ann') NOT VALID"
        )


@pytest.fixture
def broken_save(monkeypatch):
    """A bug in the code that stores the request (any database)."""

    def save(self, *args, **kwargs):
        raise RuntimeError("storage is broken")

    monkeypatch.setattr(AppointmentRequest, "save", save)


def form(form_data):
    return {**form_data, "message": TYPED[-1]}


@on_postgresql
@pytest.mark.parametrize("log_format", ["plain", "json"])
@pytest.mark.usefixtures("refuse_ann")
def test_a_refused_row_reaches_the_log_without_its_values(
    patient, form_data, server_log, log_format, settings
):
    settings.RATE_LIMIT_TRUSTED_PROXIES = 1
    log = server_log(fmt=log_format)
    response = send(patient, form(form_data))
    assert response.status_code == 500

    text = log.getvalue()
    # The operator still learns what failed, and where.
    assert "Internal Server Error: /contact/" in text
    assert "CheckViolation" in text and "refuse_ann" in text
    for value in TYPED:
        assert value not in text
    assert "Failing row" not in text
    if log_format == "json":
        lines = [json.loads(line) for line in text.splitlines()]
        assert lines and all(line["time"].endswith("Z") for line in lines)


def test_log_times_name_their_zone(server_log):
    log = server_log()
    logging.getLogger("appointments").warning("something to see")
    line = log.getvalue().strip()
    # ISO 8601 in UTC, as the host's own logs are: 2026-11-28T15:04:05.123Z
    assert line.split(" ", 1)[0].endswith("Z")
    assert "something to see" in line


@pytest.mark.parametrize(
    "failure",
    [
        "broken_save",
        pytest.param("refuse_ann", marks=on_postgresql),
    ],
)
def test_an_error_in_the_form_mails_the_admins_no_field_value(
    request, failure, patient, form_data, server_log, settings
):
    settings.ADMINS = [("Clinic IT", "it@clinic.example")]
    settings.RATE_LIMIT_TRUSTED_PROXIES = 1
    server_log(mail_admins=True)
    request.getfixturevalue(failure)

    assert send(patient, form(form_data)).status_code == 500

    assert len(mail.outbox) == 1
    report = mail.outbox[0]
    assert report.to == ["it@clinic.example"]
    assert "/contact/" in report.subject
    whole = report.subject + report.body + "".join(str(a) for a in report.alternatives)
    assert "Traceback" in whole
    for value in [*TYPED, PATIENT_ADDRESS, SESSION_KEY]:
        assert value not in whole
    # The field names are there, to say what was sent; their values are not.
    assert "first_name" in report.body


def test_the_same_error_again_and_again_is_mailed_once(
    broken_save, patient, form_data, server_log, settings
):
    """A broken release answers every patient with a 500: the admins get one e-mail for it,
    not one a request, and no request waits on the mail server each time."""
    settings.ADMINS = [("Clinic IT", "it@clinic.example")]
    server_log(mail_admins=True)
    for _ in range(3):
        assert send(patient, form(form_data)).status_code == 500
    assert len(mail.outbox) == 1
