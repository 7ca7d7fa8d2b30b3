"""A request is never lost: it is stored before any e-mail is tried, and a mail server that is
down or hanging costs the patient nothing. Tested against real SMTP servers on loopback."""

import socket
import threading
import time
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.db import transaction

from appointments import notify
from appointments.models import AppointmentRequest

pytestmark = pytest.mark.django_db(transaction=True)

PHI = ("Ann", "Example", "ann@example.org", "5550123", "private story")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 1
    settings.APPOINTMENT_NOTIFY_EMAILS = ["front-desk@clinic.example"]
    settings.SITE_URL = "https://clinic.example"
    return settings


@pytest.fixture
def mail_server(smtp_settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    smtp_settings.EMAIL_PORT = controller.port
    yield inbox
    controller.stop()


@pytest.fixture
def mail_server_down(smtp_settings):
    smtp_settings.EMAIL_PORT = free_port()  # nothing listens there


@pytest.fixture
def mail_server_hanging(smtp_settings):
    """Accepts the connection, then never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    smtp_settings.EMAIL_PORT = listener.getsockname()[1]
    yield
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()


def test_emails_reach_a_real_mail_server_after_the_request_is_committed(
    submit, mail_server, monkeypatch
):
    seen = {}
    original = notify._staff_message

    def spy(request_obj):
        seen["in_transaction"] = transaction.get_connection().in_atomic_block
        seen["stored"] = AppointmentRequest.objects.filter(pk=request_obj.pk).exists()
        return original(request_obj)

    monkeypatch.setattr(notify, "_staff_message", spy)
    assert submit(message="My private story").status_code == 302
    assert seen == {"in_transaction": False, "stored": True}

    request = AppointmentRequest.objects.get()
    (staff_to, staff), (patient_to, patient) = mail_server.messages
    assert staff_to == ["front-desk@clinic.example"]
    assert patient_to == ["ann@example.org"]
    staff_text = staff.as_string()
    assert request.reference in staff["Subject"]
    for phi in PHI:
        assert phi not in staff_text
    assert patient["To"] == "ann@example.org"
    for header in ("Subject", "From", "To"):
        assert "Ann" not in patient[header]
    request.refresh_from_db()
    assert request.staff_notified_at and request.patient_acknowledged_at
    assert request.notification_error == ""


def test_request_survives_smtp_outage_and_is_sent_later(
    client, submit, mail_server_down, smtp_settings, caplog
):
    response = submit(message="My private story")
    assert response.status_code == 302
    request = AppointmentRequest.objects.get()
    assert request.reference in client.get("/contact/thanks/").content.decode()
    assert request.staff_notified_at is None
    assert request.patient_acknowledged_at is None
    assert request.notification_attempts == 1
    assert "ConnectionRefusedError" in request.notification_error
    assert f"E-mail for request {request.reference} not sent" in caplog.text
    for phi in PHI:
        assert phi not in caplog.text

    # The mail server comes back; the retry command sends what was missed.
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_settings.EMAIL_PORT)
    controller.start()
    try:
        call_command("send_pending_notifications")
    finally:
        controller.stop()
    assert len(inbox.messages) == 2
    request.refresh_from_db()
    assert request.staff_notified_at and request.patient_acknowledged_at
    assert request.notification_error == ""
    # Nothing is sent twice.
    call_command("send_pending_notifications")
    assert len(inbox.messages) == 2


def test_hanging_mail_server_times_out_and_the_patient_still_sees_success(
    submit, mail_server_hanging
):
    started = time.monotonic()
    response = submit()
    elapsed = time.monotonic() - started
    assert response.status_code == 302
    assert elapsed < 1.9  # one connection attempt at a 1-second timeout, not one per e-mail
    request = AppointmentRequest.objects.get()
    assert request.staff_notified_at is None
    assert request.notification_error == "Timeout, Timeout"


def test_no_staff_addresses_configured_leaves_the_notification_pending(
    submit, smtp_settings, mail_server
):
    smtp_settings.APPOINTMENT_NOTIFY_EMAILS = []
    submit()
    request = AppointmentRequest.objects.get()
    assert request.staff_notified_at is None
    assert request.notification_error == "NoRecipientsConfigured"
    assert request in AppointmentRequest.objects.pending_notification()
