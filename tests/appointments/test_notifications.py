"""A request is never lost: it is stored before any e-mail is tried, and a mail server that is
down or hanging costs the patient nothing. Tested against real SMTP servers on loopback."""

import socket
import threading
import time
from datetime import timedelta
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

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


def time_passes(seconds):
    """As if `seconds` had gone by for every back-off and claim."""
    AppointmentRequest.objects.filter(next_attempt_at__isnull=False).update(
        next_attempt_at=F("next_attempt_at") - timedelta(seconds=seconds)
    )


def test_emails_reach_a_real_mail_server_from_the_worker_not_the_request(
    client, submit, mail_server, monkeypatch, run_tasks
):
    seen = {}
    original = notify._staff_message

    def spy(request_obj):
        seen["in_transaction"] = transaction.get_connection().in_atomic_block
        seen["stored"] = AppointmentRequest.objects.filter(pk=request_obj.pk).exists()
        return original(request_obj)

    monkeypatch.setattr(notify, "_staff_message", spy)
    assert submit(message="My private story").status_code == 302
    assert mail_server.messages == []
    assert "We will send a short confirmation" in client.get("/contact/thanks/").content.decode()

    run_tasks()
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
    assert "We have sent a short confirmation" in client.get("/contact/thanks/").content.decode()


def test_the_queued_task_carries_the_key_only(submit):
    from django_tasks_db.models import DBTaskResult

    submit(message="My private story")
    (queued,) = DBTaskResult.objects.all()
    assert queued.args_kwargs == {"args": [AppointmentRequest.objects.get().pk], "kwargs": {}}


def test_request_survives_smtp_outage_and_is_sent_later(
    client, submit, mail_server_down, smtp_settings, caplog, run_tasks
):
    response = submit(message="My private story")
    assert response.status_code == 302
    run_tasks()
    request = AppointmentRequest.objects.get()
    assert request.reference in client.get("/contact/thanks/").content.decode()
    assert request.staff_notified_at is None
    assert request.patient_acknowledged_at is None
    assert request.notification_attempts == 1
    assert "ConnectionRefusedError" in request.notification_error
    assert f"E-mail for request {request.reference} not sent" in caplog.text
    for phi in PHI:
        assert phi not in caplog.text

    # The mail server comes back; once the back-off has passed, cron's retry sends what was
    # missed.
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_settings.EMAIL_PORT)
    controller.start()
    try:
        call_command("send_pending_notifications")
        assert inbox.messages == []  # too early: backing off
        time_passes(60)
        call_command("send_pending_notifications")
        run_tasks()  # the retry the worker queued finds nothing left to send
    finally:
        controller.stop()
    assert len(inbox.messages) == 2
    request.refresh_from_db()
    assert request.staff_notified_at and request.patient_acknowledged_at
    assert request.notification_error == ""
    # Nothing is sent twice.
    call_command("send_pending_notifications")
    assert len(inbox.messages) == 2


def test_hanging_mail_server_costs_the_patient_nothing(submit, mail_server_hanging, run_tasks):
    started = time.monotonic()
    response = submit()
    assert time.monotonic() - started < 0.5
    assert response.status_code == 302

    started = time.monotonic()
    run_tasks()
    # One connection attempt at a 1-second timeout, not one per e-mail.
    assert time.monotonic() - started < 1.9
    request = AppointmentRequest.objects.get()
    assert request.staff_notified_at is None
    assert request.notification_error == "Timeout, Timeout"


def test_no_staff_addresses_configured_leaves_the_notification_pending(
    submit, smtp_settings, mail_server, run_tasks
):
    smtp_settings.APPOINTMENT_NOTIFY_EMAILS = []
    submit()
    run_tasks()
    request = AppointmentRequest.objects.get()
    assert request.staff_notified_at is None
    assert request.notification_error == "NoRecipientsConfigured"
    assert request in AppointmentRequest.objects.pending_notification()


# --- exactly once -------------------------------------------------------------------------


@pytest.fixture
def stored_request(form_data):
    """A request whose task was lost an hour ago: cron's to send."""
    return AppointmentRequest.objects.create(
        created_at=timezone.now() - timedelta(hours=1),
        first_name="Ann",
        last_name="Example",
        email="ann@example.org",
        contact_method="phone",
        best_time="any",
        service="spravato",
        patient_type="new",
        submission_token="token-1",
    )


def test_two_senders_at_once_send_each_email_once(stored_request, mail_server):
    senders = 6
    start = threading.Barrier(senders)

    def sender():
        start.wait()
        try:
            return notify.send_notifications(stored_request.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(to for to, _ in mail_server.messages) == [
        ["ann@example.org"],
        ["front-desk@clinic.example"],
    ]


def test_a_sender_that_finds_the_email_claimed_sends_nothing(
    stored_request, mail_server, monkeypatch
):
    """While one sender waits on the mail server, a cron run (or a second worker) comes."""
    original = notify._staff_message
    outcomes = []

    def meanwhile(request_obj):
        outcomes.append(notify.send_notifications(stored_request.pk))
        outcomes.append(notify.send_pending())
        return original(request_obj)

    monkeypatch.setattr(notify, "_staff_message", meanwhile)
    assert notify.send_notifications(stored_request.pk) is True
    assert outcomes == [None, (0, 0)]
    assert len(mail_server.messages) == 2


def test_a_claim_left_by_a_killed_worker_is_taken_over_after_the_lease(
    stored_request, mail_server, settings
):
    now = timezone.now()
    lease = timedelta(seconds=settings.APPOINTMENT_SEND_LEASE_SECONDS)
    AppointmentRequest.objects.update(staff_claimed_at=now, patient_claimed_at=now)
    call_command("send_pending_notifications")
    assert mail_server.messages == []  # the worker may still be sending

    AppointmentRequest.objects.update(
        staff_claimed_at=now - lease - timedelta(seconds=1), patient_claimed_at=now
    )
    call_command("send_pending_notifications")
    assert [to for to, _ in mail_server.messages] == [["front-desk@clinic.example"]]
    stored_request.refresh_from_db()
    assert stored_request.staff_notified_at and stored_request.staff_claimed_at is None


def test_staff_and_patient_emails_are_retried_separately(
    stored_request, mail_server, smtp_settings
):
    smtp_settings.APPOINTMENT_NOTIFY_EMAILS = []
    assert notify.send_notifications(stored_request.pk) is False
    assert [to for to, _ in mail_server.messages] == [["ann@example.org"]]

    smtp_settings.APPOINTMENT_NOTIFY_EMAILS = ["front-desk@clinic.example"]
    time_passes(60)
    call_command("send_pending_notifications")
    assert [to for to, _ in mail_server.messages] == [
        ["ann@example.org"],
        ["front-desk@clinic.example"],
    ]


# The staff roles come from a data migration, which a transactional test's flush removes.
@pytest.mark.django_db(transaction=False)
def test_retries_back_off_and_stop_after_the_limit(
    stored_request, mail_server_down, settings, make_staff, signed_in
):
    settings.APPOINTMENT_MAX_SEND_ATTEMPTS = 4
    waits = []
    for _ in range(6):
        started = timezone.now()
        call_command("send_pending_notifications")
        stored_request.refresh_from_db()
        if stored_request.next_attempt_at:
            waits.append(round((stored_request.next_attempt_at - started).total_seconds()))
        time_passes(10_000)
    assert stored_request.notification_attempts == 4
    assert waits[:4] == [60, 120, 240, 480]
    assert not AppointmentRequest.objects.due_for_sending().exists()

    # Staff see it without reading a log.
    desk = signed_in(make_staff())
    index = desk.get(reverse("admin:index")).content.decode()
    assert "1</strong> request staff were not e-mailed about" in index
    listed = desk.get(
        reverse("admin:appointments_appointmentrequest_changelist") + "?staff_alert=unsent"
    ).content.decode()
    assert stored_request.reference in listed
    page = desk.get(stored_request.get_admin_url()).content.decode()
    assert "not sent</strong> (no more attempts will be made)" in page


@pytest.mark.django_db(transaction=False)
def test_the_admin_index_says_nothing_when_every_staff_email_went_out(
    stored_request, mail_server, make_staff, signed_in
):
    notify.send_notifications(stored_request.pk)
    index = signed_in(make_staff()).get(reverse("admin:index")).content.decode()
    assert "not e-mailed about" not in index
