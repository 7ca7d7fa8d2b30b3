"""E-mails about a request: a note to staff (no PHI: the reference, the service and a link to
the admin) and an acknowledgement to the patient (the reference and next steps: nothing the
submitter typed goes to the address they typed, which may be anyone's).

**One way to send.** Each e-mail to send is an OutgoingEmail row (the outbox), written by
queue_emails in the transaction that stores the request. One function sends rows, send_due; the
worker (`manage.py email_worker`, run_worker below), the periodic sweep (cron's
`send_pending_notifications`) and, in development, the request itself right after its commit all
call it. The patient never waits on a mail server in production.

**Exactly once.** A sender claims a batch of due rows in one short transaction (SELECT … FOR
UPDATE SKIP LOCKED on PostgreSQL, so workers take different rows; on SQLite the transaction is
IMMEDIATE and senders take turns): it adds one to each row's `attempts` and moves its
`next_try_at` to the end of a lease (APPOINTMENT_SEND_LEASE_SECONDS), so no one else takes it
meanwhile. The attempt number is the claim: an outcome is written only where the row still
carries it, so a sender whose lease was taken over can neither mark nor release the new holder's
claim. The outcome is written right after the mail server accepts the message, in its own
one-statement transaction, and that write is retried through a lost database connection while
the lease lasts. The one window left: a sender that dies (or cannot reach the database for half
a lease) after the mail server accepted a message and before that write. Its row is claimed
again once the lease has passed, and that message goes out twice.

**Failures** are logged with the request's reference, which e-mail it was and the error's class
(never an address or anything the patient typed), and tried again after 1, 2, 4, … ×
APPOINTMENT_RETRY_SECONDS, at most APPOINTMENT_MAX_SEND_ATTEMPTS times. Then the row is marked
failed, and the admin index shows it until staff send it again or drop it.

**Why a loop of our own rather than django-tasks.** The project used django-tasks with its
database backend: a request queued a task, `db_worker` ran it, cron swept up the rest. The outbox
is a queue already, so a task queue beside it is a second queue to keep in step. Each task made
its own commits (claim the task, record its result) on top of the outbox's, about seven in all
(issue 23: 7 requests/s drained by one worker, 16 by four, against 50 POSTs/s). `db_worker` also
exited for good when its database connection dropped, because its own bookkeeping failed on the
closed connection (issue 21). A loop that claims due rows does the whole job in one commit per
batch plus one per e-mail, and is written here to outlive a lost connection: bench/RESULTS.md,
"The e-mail worker", has the figures.
"""

import logging
import time
from datetime import timedelta
from email.utils import formataddr, parseaddr
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clinic_site.clinic import get_clinic

from .models import AuditEntry, OutgoingEmail, WorkerHeartbeat

logger = logging.getLogger(__name__)

Kind = OutgoingEmail.Kind
State = OutgoingEmail.State
# E-mails one sender claims at a time, sent over one SMTP connection.
BATCH = 10
# How often the worker says it is alive, and after how long without a word it is missing.
HEARTBEAT_SECONDS = 30
WORKER_SILENT = timedelta(minutes=2)
# A database error that a new connection may cure (a restart, a failover, a dropped link).
CONNECTION_ERRORS = (OperationalError, InterfaceError)


class NoRecipientsConfigured(Exception):
    """APPOINTMENT_NOTIFY_EMAILS is empty: the staff e-mail waits until it is set."""


# --- the messages ---------------------------------------------------------------------------


def staff_subject(request_obj):
    """The staff e-mail's subject: the reference only (no PHI), and "Urgent" first when the
    request has crisis language, so it stands out in an inbox."""
    what = "referral" if request_obj.source == request_obj.Source.REFERRAL else "evaluation request"
    subject = f"New {what} {request_obj.reference}"
    return f"Urgent: {subject}" if request_obj.urgent else subject


def _staff_message(request_obj):
    if not settings.APPOINTMENT_NOTIFY_EMAILS:
        raise NoRecipientsConfigured
    # Staff read English, whatever the patient's language (a send right after the request,
    # in development, would otherwise inherit its language).
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "reference": request_obj.reference,
            "service": request_obj.get_service_display(),
            # The language to call in: what staff need before picking up the phone (no PHI).
            "call_language": request_obj.get_call_language_display(),
            "admin_url": settings.SITE_URL + request_obj.get_admin_url(),
            "clinic": get_clinic(),
        }
        return EmailMessage(
            subject=staff_subject(request_obj),
            body=render_to_string("appointments/email/staff_notification.txt", context),
            to=settings.APPOINTMENT_NOTIFY_EMAILS,
        )


def _patient_message(request_obj):
    """The acknowledgement, in the language of the page the patient sent the form from. (A
    worker has no request, hence no language of its own: it is set here.)"""
    clinic = get_clinic(request_obj.language)  # its reply promise in that language too
    context = {
        "reference": request_obj.reference,
        "clinic": clinic,
    }
    with translation.override(request_obj.language):
        return EmailMessage(
            subject=patient_subject(clinic, request_obj.reference),
            body=render_to_string("appointments/email/patient_acknowledgement.txt", context),
            from_email=patient_sender(clinic),
            # The bare address: no name in the header.
            to=[request_obj.email],
        )


# What shows on a lock screen or over a shoulder: the clinic's short name (clinic.toml), never
# "Psychiatry" unless the clinic puts it there (issue 25). Without a short name, none at all.
def patient_subject(clinic, reference):
    if clinic.short_name:
        return _("%(clinic)s: we received your request (%(reference)s)") % {
            "clinic": clinic.short_name,
            "reference": reference,
        }
    return _("We received your request (%(reference)s)") % {"reference": reference}


def patient_sender(clinic):
    """DEFAULT_FROM_EMAIL's address under the clinic's short name (the sender's name is shown
    beside the subject); DEFAULT_FROM_EMAIL as it is without a short name."""
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    if not (clinic.short_name and address):
        return settings.DEFAULT_FROM_EMAIL
    return formataddr((clinic.short_name, address))


def _referrer_message(request_obj):
    """The referring clinician's acknowledgement: the reference and what happens next, in the
    language of the page they sent it from. Nothing about the patient (no name, no medicine):
    an e-mail may be read by anyone at the practice, or by whoever owns a mistyped address."""
    clinic = get_clinic(request_obj.language)
    with translation.override(request_obj.language):
        return EmailMessage(
            subject=_("%(clinic)s: we received your referral (%(reference)s)")
            % {"clinic": clinic.name, "reference": request_obj.reference},
            body=render_to_string(
                "appointments/email/referrer_acknowledgement.txt",
                {"reference": request_obj.reference, "clinic": clinic},
            ),
            to=[request_obj.referrer_email],
        )


MESSAGES = {
    Kind.STAFF: _staff_message,
    Kind.PATIENT: _patient_message,
    Kind.REFERRER: _referrer_message,
}


def _describe(exc):
    """A short, PHI-free name for a failure (an SMTP error's text can quote an address)."""
    if isinstance(exc, TimeoutError) or "timed out" in str(exc):
        return "Timeout"
    return type(exc).__name__


# --- queueing and sending -------------------------------------------------------------------


def queue_emails(request_obj):
    """Queue a new request's e-mails. Call it inside the transaction that stores the request:
    both are stored, or neither. With APPOINTMENT_SEND_IMMEDIATELY (development) they are sent
    right after that commit, in this process."""
    kinds = [Kind.STAFF]
    # The acknowledgement goes to whoever sent the form: the patient, or the referring
    # clinician (a referred patient hears from the clinic by phone, as staff arrange).
    # APPOINTMENT_ACKNOWLEDGE_PATIENT turns both off.
    if request_obj.source == request_obj.Source.REFERRAL:
        acknowledge = Kind.REFERRER, request_obj.referrer_email
    else:
        acknowledge = Kind.PATIENT, request_obj.email
    if settings.APPOINTMENT_ACKNOWLEDGE_PATIENT and acknowledge[1]:
        kinds.append(acknowledge[0])
    emails = OutgoingEmail.objects.bulk_create(
        OutgoingEmail(request=request_obj, kind=kind) for kind in kinds
    )
    if settings.APPOINTMENT_SEND_IMMEDIATELY:
        keys = [email.pk for email in emails]
        transaction.on_commit(partial(send_due, only=keys), robust=True)


def send_due(limit=BATCH, only=None):
    """Claim up to `limit` e-mails that are due (among the keys `only`, if given) and send
    them. Returns (sent, failed)."""
    emails = _claim(limit, only)
    if not emails:
        return 0, 0
    sent = _send_claimed(emails)
    return sent, len(emails) - sent


def send_all_due(limit=500):
    """Send what is due, a batch at a time, up to `limit` e-mails: the periodic sweep, and the
    worker's loop run to the end. Returns (sent, failed)."""
    sent = failed = 0
    while sent + failed < limit:
        batch = send_due(min(BATCH, limit - sent - failed))
        if batch == (0, 0):
            break
        sent, failed = sent + batch[0], failed + batch[1]
    return sent, failed


def _claim(limit, only=None):
    """Take up to `limit` due e-mails for this sender: one transaction, one commit."""
    now = timezone.now()
    due = OutgoingEmail.objects.due(now)
    if only is not None:
        due = due.filter(pk__in=only)
    with transaction.atomic():
        emails = list(
            due.select_for_update(skip_locked=True, of=("self",))
            .select_related("request")
            .order_by("next_try_at")[:limit]
        )
        lease_ends = now + timedelta(seconds=settings.APPOINTMENT_SEND_LEASE_SECONDS)
        OutgoingEmail.objects.filter(pk__in=[email.pk for email in emails]).update(
            attempts=F("attempts") + 1, next_try_at=lease_ends
        )
    for email in emails:
        email.attempts += 1
    return emails


def _send_claimed(emails):
    """Send claimed e-mails over one SMTP connection (a mail server that hangs costs one
    EMAIL_TIMEOUT for the batch, not one for each message); returns how many went out."""
    backend = get_connection()
    try:
        backend.open()
    except Exception as exc:  # noqa: BLE001 (no connection: each is retried after its back-off)
        for email in emails:
            _failed(email, exc)
        return 0
    try:
        return sum(_send(backend, email) for email in emails)
    finally:
        backend.close()


def _send(backend, email):
    """Send one claimed e-mail on an open connection; True if the mail server accepted it."""
    try:
        backend.send_messages([MESSAGES[email.kind](email.request)])
    except Exception as exc:  # noqa: BLE001 (the request is safe; retried later)
        _failed(email, exc)
        # Whatever the server's state after an error, the next message gets a new connection
        # (send_messages opens one).
        backend.close()
        return False
    _record(email, state=State.SENT, sent_at=timezone.now(), last_error="")
    return True


def _failed(email, exc):
    error = _describe(exc)
    if email.attempts >= settings.APPOINTMENT_MAX_SEND_ATTEMPTS:
        outcome = {"state": State.FAILED}
    else:
        outcome = {"next_try_at": timezone.now() + backoff(email.attempts)}
    _record(email, last_error=error, **outcome)
    # The reference, which e-mail and the error's class: never an address or what was typed.
    logger.warning(
        "%s for request %s not sent (attempt %s of %s): %s",
        email.get_kind_display(),
        email.request.reference,
        email.attempts,
        settings.APPOINTMENT_MAX_SEND_ATTEMPTS,
        error,
    )


def backoff(attempts):
    """How long to wait after the `attempts`-th failed attempt: 1, 2, 4, ... × the base."""
    return timedelta(seconds=settings.APPOINTMENT_RETRY_SECONDS * 2 ** (attempts - 1))


def _record(email, **outcome):
    """Write a send's outcome where this sender's claim still holds; a sender whose lease was
    taken over changes nothing. One UPDATE: its own short transaction, retried on a new
    connection while half the lease lasts, so that a message the mail server accepted is
    recorded as sent rather than sent again."""
    deadline = time.monotonic() + settings.APPOINTMENT_SEND_LEASE_SECONDS / 2
    mine = OutgoingEmail.objects.filter(pk=email.pk, state=State.PENDING, attempts=email.attempts)
    while True:
        try:
            return mine.update(**outcome)
        except CONNECTION_ERRORS:
            if connection.in_atomic_block or time.monotonic() > deadline:
                logger.error(
                    "%s for request %s: outcome not recorded; it may be sent again",
                    email.get_kind_display(),
                    email.request.reference,
                )
                raise
            connection.close()
            time.sleep(0.2)


# --- the worker ------------------------------------------------------------------------------


def run_worker(stop, idle_seconds=1.0):
    """What `manage.py email_worker` runs until `stop` (a threading.Event) is set: send what is
    due, look again after `idle_seconds` when nothing was, and say it is alive every
    HEARTBEAT_SECONDS. A lost database connection is closed and opened again after a pause:
    the worker does not exit for it."""
    pause, last_beat = 0, None
    while not stop.is_set():
        try:
            if last_beat is None or time.monotonic() - last_beat >= HEARTBEAT_SECONDS:
                WorkerHeartbeat.objects.update_or_create(
                    name="email", defaults={"seen_at": timezone.now()}
                )
                last_beat = time.monotonic()
            busy = send_due() != (0, 0)
            pause = 0
        except CONNECTION_ERRORS as exc:
            pause = min(max(2 * pause, 0.5), 10)
            logger.warning(
                "E-mail worker: database unavailable (%s); trying again in %s s",
                type(exc).__name__,
                pause,
            )
            connection.close()
            stop.wait(pause)
            continue
        if not busy:
            stop.wait(idle_seconds)


# --- what staff and the operator see, and what they choose -------------------------------------


def worker_last_seen():
    """When an e-mail worker last wrote its heartbeat (None: never)."""
    return WorkerHeartbeat.objects.filter(name="email").values_list("seen_at", flat=True).first()


def worker_missing(seen=None, now=None):
    """True when e-mails depend on a worker and none has been seen within WORKER_SILENT;
    `seen`: worker_last_seen(), if the caller has it."""
    if settings.APPOINTMENT_SEND_IMMEDIATELY:
        return False
    seen = seen or worker_last_seen()
    return seen is None or seen < (now or timezone.now()) - WORKER_SILENT


def email_health():
    """For /healthz: "ok", or what the operator should look at first: "no-worker" (no e-mail
    worker has said it is alive lately), "stale" (an e-mail has waited longer than
    APPOINTMENT_SEND_STALE_MINUTES: the mail server refuses, or the workers cannot keep up) or
    "failed" (an e-mail used up its attempts and waits for staff)."""
    if worker_missing():
        return "no-worker"
    if OutgoingEmail.objects.waiting().exists():
        return "stale"
    if OutgoingEmail.objects.filter(state=State.FAILED).exists():
        return "failed"
    return "ok"


def hold_pending():
    """After a restore: hold every e-mail that was waiting when the backup was taken (it may
    have gone out since), until staff send or drop it. Returns the references held."""
    pending = OutgoingEmail.objects.filter(state=State.PENDING)
    with transaction.atomic():
        references = sorted(set(pending.values_list("request__reference", flat=True)))
        pending.update(state=State.HELD)
        AuditEntry.record_each(
            None, AuditEntry.Action.CHANGED, references, "e-mails held after a restore"
        )
    return references


def send_again(requests, by):
    """Staff choose to send the held or failed e-mails of `requests` (a queryset): they are due
    at once, with their attempts counted afresh. Returns how many."""
    return _choose(
        requests,
        by,
        [State.HELD, State.FAILED],
        "e-mails sent again",
        state=State.PENDING,
        attempts=0,
        last_error="",
        next_try_at=timezone.now(),
    )


def drop_held(requests, by):
    """Staff choose never to send the held e-mails of `requests`. Returns how many."""
    return _choose(requests, by, [State.HELD], "held e-mails dropped", state=State.DROPPED)


def _choose(requests, by, states, detail, **changes):
    """Change the e-mails of `requests` that are in `states`, with an audit entry for each
    request, all or nothing."""
    emails = OutgoingEmail.objects.filter(request__in=requests, state__in=states)
    with transaction.atomic():
        references = sorted(set(emails.values_list("request__reference", flat=True)))
        count = emails.update(**changes)
        AuditEntry.record_each(by, AuditEntry.Action.CHANGED, references, detail)
    return count
