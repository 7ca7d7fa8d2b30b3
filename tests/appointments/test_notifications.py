"""A request is never lost and each of its e-mails goes out once: it is stored, with its e-mails
queued in the outbox, before any mail server is tried, and a mail server that is down or
hanging costs the patient nothing. Tested against real SMTP servers on loopback."""

import socket
import threading
import time
from datetime import timedelta
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.db import OperationalError, connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation

from appointments import notify
from appointments.models import AppointmentRequest, OutgoingEmail

from .conftest import STAFF, stored

pytestmark = pytest.mark.django_db(transaction=True)

PHI = ("Ann", "Example", "ann@example.org", "5550123", "private story")
State = OutgoingEmail.State


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """A mail server's inbox; it refuses the addresses in `refuse` (550), and hangs up on those
    in `hang_up` (the connection drops mid-message), once each."""

    def __init__(self):
        self.messages = []
        self.refuse = set()
        self.hang_up = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            self.refuse.discard(address)
            return "550 mailbox unavailable"
        if address in self.hang_up:
            self.hang_up.discard(address)
            server.transport.close()
            return "421 closing"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"

    def recipients(self):
        return [to for to, _ in self.messages]


@pytest.fixture
def smtp_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 1
    settings.APPOINTMENT_NOTIFY_EMAILS = STAFF
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
    """As if `seconds` had gone by for every back-off and lease."""
    OutgoingEmail.objects.update(next_try_at=F("next_try_at") - timedelta(seconds=seconds))


def emails_of(request):
    """{kind: its outbox row} for a request."""
    return {email.kind: email for email in OutgoingEmail.objects.filter(request=request)}


def test_emails_reach_a_real_mail_server_from_the_worker_not_the_request(
    client, submit, mail_server, monkeypatch, run_worker
):
    seen = {}
    original = notify.MESSAGES["staff"]

    def spy(request_obj):
        seen["in_transaction"] = transaction.get_connection().in_atomic_block
        seen["stored"] = AppointmentRequest.objects.filter(pk=request_obj.pk).exists()
        return original(request_obj)

    monkeypatch.setitem(notify.MESSAGES, "staff", spy)
    assert submit(message="My private story").status_code == 302
    assert mail_server.messages == []
    assert "We will send a short confirmation" in client.get("/contact/thanks/").content.decode()

    run_worker()
    assert seen == {"in_transaction": False, "stored": True}
    request = AppointmentRequest.objects.get()
    (staff_to, staff), (patient_to, patient) = mail_server.messages
    assert staff_to == STAFF
    assert patient_to == ["ann@example.org"]
    staff_text = staff.as_string()
    assert request.reference in staff["Subject"]
    for phi in PHI:
        assert phi not in staff_text
    assert patient["To"] == "ann@example.org"
    for header in ("Subject", "From", "To"):
        assert "Ann" not in patient[header]
    emails = emails_of(request)
    assert emails["staff"].sent_at and emails["patient"].sent_at
    assert {e.state for e in emails.values()} == {State.SENT}
    assert {e.last_error for e in emails.values()} == {""}
    assert "We have sent a short confirmation" in client.get("/contact/thanks/").content.decode()


def test_the_outbox_holds_the_request_key_and_nothing_the_patient_typed(submit):
    """The message is written when it is sent, from the request: the queue holds no PHI."""
    submit(message="My private story")
    request = AppointmentRequest.objects.get()
    queued = list(OutgoingEmail.objects.values())
    assert [(row["request_id"], row["kind"]) for row in queued] == [
        (request.pk, "staff"),
        (request.pk, "patient"),
    ]
    for phi in PHI:
        assert phi not in str(queued)


def test_a_request_that_fails_to_store_queues_no_email(submit, monkeypatch):
    """Stored with its e-mails, or neither."""
    from django.db import DatabaseError

    def broken(request_obj):
        raise DatabaseError("the outbox is unavailable")

    monkeypatch.setattr(notify, "queue_emails", broken)
    with pytest.raises(DatabaseError):
        submit()
    assert not AppointmentRequest.objects.exists()
    assert not OutgoingEmail.objects.exists()


def test_request_survives_smtp_outage_and_is_sent_later(
    client, submit, mail_server_down, smtp_settings, caplog, run_worker
):
    response = submit(message="My private story")
    assert response.status_code == 302
    assert run_worker() == (0, 2)
    request = AppointmentRequest.objects.get()
    assert request.reference in client.get("/contact/thanks/").content.decode()
    for email in emails_of(request).values():
        assert email.state == State.PENDING and email.sent_at is None
        assert email.attempts == 1
        assert email.last_error == "ConnectionRefusedError"
    # The log says which request and which of its e-mails, and why, in PHI-free words.
    assert (
        f"Staff e-mail for request {request.reference} not sent (attempt 1 of 8): "
        "ConnectionRefusedError" in caplog.messages
    )
    assert f"Patient acknowledgement for request {request.reference} not sent" in caplog.text
    for phi in PHI:
        assert phi not in caplog.text

    # The mail server comes back; once the back-off has passed, cron's sweep (or the worker)
    # sends what was missed.
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_settings.EMAIL_PORT)
    controller.start()
    try:
        call_command("send_pending_notifications")
        assert inbox.messages == []  # too early: backing off
        time_passes(60)
        call_command("send_pending_notifications")
        run_worker()  # the worker finds nothing left to send
    finally:
        controller.stop()
    assert len(inbox.messages) == 2
    assert {(e.state, e.last_error) for e in emails_of(request).values()} == {(State.SENT, "")}
    # Nothing is sent twice.
    time_passes(10_000)
    call_command("send_pending_notifications")
    assert len(inbox.messages) == 2


def test_hanging_mail_server_costs_the_patient_nothing(submit, mail_server_hanging, run_worker):
    started = time.monotonic()
    response = submit()
    assert time.monotonic() - started < 0.5
    assert response.status_code == 302

    started = time.monotonic()
    run_worker()
    # One connection attempt at a 1-second timeout, not one per e-mail.
    assert time.monotonic() - started < 1.9
    assert {(e.state, e.last_error) for e in OutgoingEmail.objects.all()} == {
        (State.PENDING, "Timeout")
    }


def test_no_staff_addresses_configured_leaves_the_staff_email_waiting(
    submit, smtp_settings, mail_server, run_worker
):
    smtp_settings.APPOINTMENT_NOTIFY_EMAILS = []
    submit()
    run_worker()
    emails = emails_of(AppointmentRequest.objects.get())
    assert emails["staff"].state == State.PENDING
    assert emails["staff"].last_error == "NoRecipientsConfigured"
    assert emails["patient"].state == State.SENT
    assert mail_server.recipients() == [["ann@example.org"]]


def test_a_phone_only_requests_staff_alert_goes_out_exactly_once(submit, mail_server, run_worker):
    submit(email="", contact_method="phone")
    run_worker()
    time_passes(10_000)
    run_worker()
    call_command("send_pending_notifications")
    assert mail_server.recipients() == [STAFF]
    assert list(emails_of(AppointmentRequest.objects.get())) == ["staff"]


def test_in_development_the_emails_go_out_right_after_the_request(
    submit, mail_server, smtp_settings
):
    """`make run` (DEBUG) has no worker: the request sends its own e-mails after its commit."""
    waiting = stored(email="bob@example.org")  # queued before, for the worker or the sweep
    smtp_settings.APPOINTMENT_SEND_IMMEDIATELY = True
    assert submit().status_code == 302
    # Its own e-mails, not the others': a backlog never slows a patient's request.
    assert sorted(mail_server.recipients()) == [["ann@example.org"], STAFF]
    assert set(OutgoingEmail.objects.exclude(state=State.SENT)) == set(emails_of(waiting).values())


# --- what the e-mails say ------------------------------------------------------------------


def received(mail_server, to):
    """(subject, body) of the message the mail server received for `to`."""
    (message,) = [message for rcpt, message in mail_server.messages if rcpt == to]
    return message["Subject"], message.get_payload(decode=True).decode().replace("\r\n", "\n")


def test_the_staff_email_gives_the_reference_the_service_and_the_admin_link(
    mail_server, run_worker
):
    request = stored()
    run_worker()
    subject, body = received(mail_server, STAFF)
    assert subject == f"New evaluation request {request.reference}"
    assert f"Reference: {request.reference}\nService: {request.get_service_display()}\n" in body
    assert f"https://clinic.example{request.get_admin_url()}" in body


def test_an_urgent_requests_staff_email_says_urgent_first(mail_server, run_worker):
    request = stored(urgent=True)
    run_worker()
    subject, _ = received(mail_server, STAFF)
    assert subject == f"Urgent: New evaluation request {request.reference}"


def test_the_acknowledgement_gives_the_reference_and_what_happens_next(mail_server, run_worker):
    request = stored()
    run_worker()
    subject, body = received(mail_server, ["ann@example.org"])
    assert subject == f"Treasure Coast: we received your request ({request.reference})"
    assert "Thank you for contacting Treasure Coast Psychiatry." in body
    assert f"Your reference: {request.reference}" in body
    assert "contact you within one business day" in body


def test_a_spanish_request_is_acknowledged_in_spanish_and_staff_still_read_english(
    mail_server, run_worker
):
    """Even from a sender running in Spanish (a request sends its own e-mails in development)."""
    request = stored(language="es")
    with translation.override("es"):
        run_worker()
    subject, body = received(mail_server, ["ann@example.org"])
    assert subject == f"Treasure Coast: recibimos su solicitud ({request.reference})"
    assert f"Su número de referencia: {request.reference}" in body
    assert "un día hábil" in body
    with translation.override("en"):
        service = request.get_service_display()
    _, staff_body = received(mail_server, STAFF)
    assert f"Service: {service}\n" in staff_body


# --- exactly once -------------------------------------------------------------------------


@pytest.fixture
def stored_request():
    """A request whose e-mails were queued an hour ago: cron's, or any worker's, to send."""
    return stored()


def test_six_senders_at_once_send_each_email_once(stored_request, mail_server):
    senders = 6
    start = threading.Barrier(senders)

    def sender():
        start.wait()
        try:
            return notify.send_due()
        finally:
            connection.close()

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(mail_server.recipients()) == [["ann@example.org"], STAFF]


def test_two_pending_requests_are_sent_independently(mail_server, run_worker):
    """One request's failure does not hold back another's e-mails, nor its own other e-mail."""
    first, second = stored(), stored(email="bob@example.org")
    mail_server.refuse = {"ann@example.org"}
    run_worker()
    assert sorted(mail_server.recipients()) == [["bob@example.org"], STAFF, STAFF]
    assert emails_of(first)["patient"].last_error == "SMTPRecipientsRefused"
    assert {e.state for e in emails_of(second).values()} == {State.SENT}

    time_passes(60)
    run_worker()
    assert mail_server.recipients()[-1] == ["ann@example.org"]
    assert len(mail_server.messages) == 4


def test_a_failure_of_one_message_on_an_open_connection_is_retried(
    stored_request, mail_server, run_worker
):
    """The staff e-mail and the acknowledgement share one connection; the server refuses the
    first. The second still goes out on a fresh connection, and the first after its back-off."""
    mail_server.refuse = set(STAFF)
    assert notify.send_due() == (1, 1)
    assert mail_server.recipients() == [["ann@example.org"]]
    staff = emails_of(stored_request)["staff"]
    assert (staff.state, staff.attempts, staff.last_error) == (
        State.PENDING,
        1,
        "SMTPRecipientsRefused",
    )
    run_worker()
    assert len(mail_server.messages) == 1  # still backing off
    time_passes(60)
    run_worker()
    assert mail_server.recipients() == [["ann@example.org"], STAFF]


def test_a_mail_server_hanging_up_on_one_message_costs_the_next_nothing(
    stored_request, mail_server, run_worker
):
    """The connection drops while the staff e-mail is sent: the acknowledgement after it goes
    out on a new connection, and the staff e-mail after its back-off."""
    mail_server.hang_up = set(STAFF)
    assert notify.send_due() == (1, 1)
    assert mail_server.recipients() == [["ann@example.org"]]
    staff = emails_of(stored_request)["staff"]
    assert (staff.state, staff.last_error) == (State.PENDING, "SMTPServerDisconnected")
    time_passes(60)
    run_worker()
    assert mail_server.recipients() == [["ann@example.org"], STAFF]


def test_a_sender_takes_only_the_emails_it_sends(mail_server, settings):
    """A request sending its own e-mails (development), or a sender taking a batch, leaves
    every other e-mail due and untouched for the next sender."""
    first, second = stored(), stored(email="bob@example.org")
    own = [email.pk for email in emails_of(first).values()]
    assert notify.send_due(only=own) == (2, 0)
    assert sorted(mail_server.recipients()) == [["ann@example.org"], STAFF]
    untouched = emails_of(second).values()
    assert {(e.state, e.attempts, e.last_error) for e in untouched} == {(State.PENDING, 0, "")}
    assert OutgoingEmail.objects.due().count() == 2

    assert notify.send_due(limit=1) == (1, 0)
    assert OutgoingEmail.objects.due().count() == 1
    assert notify.send_due() == (1, 0)
    assert sorted(mail_server.recipients()) == sorted(
        [["ann@example.org"], STAFF, ["bob@example.org"], STAFF]
    )


def test_a_sweep_stops_at_its_limit_counting_failures_too(mail_server, smtp_settings):
    """One run of the sweep (or of the worker's loop to the end) sends at most `limit`
    e-mails, failed ones included, a batch at a time: a backlog is worked off over runs."""
    smtp_settings.APPOINTMENT_NOTIFY_EMAILS = []  # every staff e-mail fails
    for n in range(7):
        stored(email=f"patient{n}@example.org")
    assert notify.send_all_due(limit=12) == (6, 6)
    assert len(mail_server.messages) == 6
    assert OutgoingEmail.objects.due().count() == 2


def test_a_sender_that_finds_the_email_claimed_sends_nothing(
    stored_request, mail_server, monkeypatch
):
    """While one sender waits on the mail server, a cron run (or a second worker) comes."""
    original = notify.MESSAGES["staff"]
    outcomes = []

    def meanwhile(request_obj):
        outcomes.append(notify.send_due())
        outcomes.append(notify.send_all_due())
        return original(request_obj)

    monkeypatch.setitem(notify.MESSAGES, "staff", meanwhile)
    assert notify.send_due() == (2, 0)
    assert outcomes == [(0, 0), (0, 0)]
    assert len(mail_server.messages) == 2


def test_a_claim_left_by_a_killed_worker_is_taken_over_after_the_lease(
    stored_request, mail_server, settings
):
    lease = timedelta(seconds=settings.APPOINTMENT_SEND_LEASE_SECONDS)
    # A worker claimed both e-mails, then was killed before it sent them.
    OutgoingEmail.objects.update(attempts=1, next_try_at=timezone.now() + lease)
    call_command("send_pending_notifications")
    assert mail_server.messages == []  # the worker may still be sending

    OutgoingEmail.objects.filter(kind="staff").update(next_try_at=timezone.now())
    call_command("send_pending_notifications")
    assert mail_server.recipients() == [STAFF]
    staff = emails_of(stored_request)["staff"]
    assert staff.state == State.SENT and staff.attempts == 2


def test_a_takeover_never_lets_the_old_holder_clear_the_new_claim(stored_request, settings):
    """A sender slower than its lease comes back after another took its e-mail over: whatever
    its outcome, it changes nothing, and the new holder's result stands."""
    staff_email = [emails_of(stored_request)["staff"].pk]
    (old,) = notify._claim(1, only=staff_email)
    time_passes(settings.APPOINTMENT_SEND_LEASE_SECONDS + 1)
    (new,) = notify._claim(1, only=staff_email)
    assert (old.attempts, new.attempts) == (1, 2)

    notify._failed(old, OSError("the old holder's connection dropped"))
    notify._record(old, state=State.SENT, sent_at=timezone.now())
    staff = emails_of(stored_request)["staff"]
    assert (staff.state, staff.attempts, staff.last_error) == (State.PENDING, 2, "")
    assert staff.next_try_at > timezone.now()  # still the new holder's lease

    notify._record(new, state=State.SENT, sent_at=timezone.now())
    assert emails_of(stored_request)["staff"].state == State.SENT


def test_the_worker_carries_on_after_losing_the_database(stored_request, mail_server, monkeypatch):
    """A lost connection (here, the first claim fails) is waited out; the worker does not
    exit for it, and sends once the database answers."""
    original = notify._claim
    failures = []

    def flaky(*args, **kwargs):
        if not failures:
            failures.append(1)
            raise OperationalError("server closed the connection unexpectedly")
        return original(*args, **kwargs)

    monkeypatch.setattr(notify, "_claim", flaky)
    stop = threading.Event()

    def work():
        try:
            notify.run_worker(stop, idle_seconds=0.05)
        finally:
            connection.close()

    worker = threading.Thread(target=work)
    worker.start()
    deadline = time.monotonic() + 10
    while len(mail_server.messages) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    alive = worker.is_alive()
    stop.set()
    worker.join(10)
    assert failures and alive
    assert sorted(mail_server.recipients()) == [["ann@example.org"], STAFF]
    assert notify.worker_last_seen() is not None


def test_staff_and_patient_emails_are_retried_separately(
    stored_request, mail_server, smtp_settings
):
    smtp_settings.APPOINTMENT_NOTIFY_EMAILS = []
    assert notify.send_due() == (1, 1)
    assert mail_server.recipients() == [["ann@example.org"]]

    smtp_settings.APPOINTMENT_NOTIFY_EMAILS = STAFF
    time_passes(60)
    call_command("send_pending_notifications")
    assert mail_server.recipients() == [["ann@example.org"], STAFF]


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
        staff = emails_of(stored_request)["staff"]
        if staff.state == State.PENDING:
            waits.append(round((staff.next_try_at - started).total_seconds()))
        time_passes(10_000)
    assert staff.attempts == 4 and staff.state == State.FAILED
    assert waits == [60, 120, 240]
    assert not OutgoingEmail.objects.due().exists()

    # Staff see it without reading a log.
    desk = signed_in(make_staff())
    index = desk.get(reverse("admin:index")).content.decode()
    assert "1</strong> request with an e-mail that could not be sent" in index
    listed = desk.get(
        reverse("admin:appointments_appointmentrequest_changelist") + "?email=failing"
    ).content.decode()
    assert stored_request.reference in listed
    page = desk.get(stored_request.get_admin_url()).content.decode()
    assert 'Staff e-mail: <strong class="unsent">Failed (no more attempts)</strong>' in page
    assert "Attempts: 4. Last error: ConnectionRefusedError" in page

    # They choose to send it again once the mail server is back: at once, even while the last
    # attempt's lease would still run, and the request no longer shows as failing.
    OutgoingEmail.objects.update(next_try_at=timezone.now() + timedelta(minutes=5))
    desk.post(
        reverse("admin:appointments_appointmentrequest_changelist"),
        {"action": "send_emails_again", "_selected_action": [stored_request.pk]},
    )
    staff = emails_of(stored_request)["staff"]
    assert (staff.state, staff.attempts) == (State.PENDING, 0)
    assert OutgoingEmail.objects.due().count() == 2
    listed = desk.get(
        reverse("admin:appointments_appointmentrequest_changelist") + "?email=failing"
    ).content.decode()
    assert stored_request.reference not in listed


@pytest.mark.django_db(transaction=False)
def test_sending_again_resends_only_what_failed(
    stored_request, mail_server, smtp_settings, make_staff, signed_in, run_worker
):
    """The staff e-mail used up its attempts (no staff address yet); the acknowledgement went.
    Sending the request's e-mails again never sends the patient a second one."""
    smtp_settings.APPOINTMENT_NOTIFY_EMAILS = []
    smtp_settings.APPOINTMENT_MAX_SEND_ATTEMPTS = 1
    run_worker()
    assert emails_of(stored_request)["staff"].state == State.FAILED
    assert mail_server.recipients() == [["ann@example.org"]]

    smtp_settings.APPOINTMENT_NOTIFY_EMAILS = STAFF
    signed_in(make_staff()).post(
        reverse("admin:appointments_appointmentrequest_changelist"),
        {"action": "send_emails_again", "_selected_action": [stored_request.pk]},
    )
    run_worker()
    assert mail_server.recipients() == [["ann@example.org"], STAFF]
    assert {e.state for e in emails_of(stored_request).values()} == {State.SENT}


@pytest.mark.django_db(transaction=False)
def test_the_admin_index_says_nothing_when_every_email_went_out(
    stored_request, mail_server, make_staff, signed_in
):
    notify.send_due()
    index = signed_in(make_staff()).get(reverse("admin:index")).content.decode()
    assert "could not be sent" not in index
    assert "waiting over" not in index
