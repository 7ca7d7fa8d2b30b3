"""E-mails about a request: a note to staff (no PHI: the reference, the service and a link to
the admin) and an acknowledgement to the patient (the reference and next steps: nothing the
submitter typed goes to the address they typed, which may be anyone's).

They are sent by a task (appointments/tasks.py) queued when the request is committed, never in
the patient's request. Each e-mail is claimed before it is sent, with one conditional UPDATE
that only one sender can win, so any number of workers and cron runs send it once. A sender
that dies mid-send leaves its claim, which the next run takes over when the lease has passed.
A failure is logged without PHI and marked on the request; it is tried again after 1, 2, 4, ...
× APPOINTMENT_RETRY_SECONDS, at most APPOINTMENT_MAX_SEND_ATTEMPTS times, and a staff e-mail
that has failed is shown on the admin index.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clinic_site.clinic import get_clinic

from .models import AppointmentRequest

logger = logging.getLogger(__name__)


def staff_subject(request_obj):
    """The staff e-mail's subject: the reference only (no PHI), and "Urgent" first when the
    request has crisis language, so it stands out in an inbox."""
    subject = f"New evaluation request {request_obj.reference}"
    return f"Urgent: {subject}" if request_obj.urgent else subject


def _staff_message(request_obj):
    # Staff read English, whatever the patient's language (a task run at once, in the
    # patient's request, would otherwise inherit its language).
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "reference": request_obj.reference,
            "service": request_obj.get_service_display(),
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
            subject=_("%(clinic)s: we received your request (%(reference)s)")
            % {"clinic": clinic.name, "reference": request_obj.reference},
            body=render_to_string("appointments/email/patient_acknowledgement.txt", context),
            # The bare address: no name in the header.
            to=[request_obj.email],
        )


def _describe(exc):
    """A short, PHI-free name for a failure (an SMTP error's text can quote an address)."""
    if isinstance(exc, TimeoutError) or "timed out" in str(exc):
        return "Timeout"
    return type(exc).__name__


# Each e-mail: the field that says it was sent, and the field that says when it was claimed.
EMAILS = {
    "staff": ("staff_notified_at", "staff_claimed_at"),
    "patient": ("patient_acknowledged_at", "patient_claimed_at"),
}


def _claim(pk, kind, now):
    """Claim one e-mail of a request for this sender: True if no one else holds it."""
    sent, claimed = EMAILS[kind]
    stale = now - timedelta(seconds=settings.APPOINTMENT_SEND_LEASE_SECONDS)
    return bool(
        AppointmentRequest.objects.due_for_sending(now)
        .filter(Q(**{f"{claimed}__isnull": True}) | Q(**{f"{claimed}__lt": stale}))
        .filter(pk=pk, **{f"{sent}__isnull": True})
        .update(**{claimed: now})
    )


def _settle(pk, kind, claim, sent_at):
    """Give up the claim; with `sent_at`, mark the e-mail sent."""
    sent, claimed = EMAILS[kind]
    changes = {claimed: None, **({sent: sent_at} if sent_at else {})}
    AppointmentRequest.objects.filter(pk=pk, **{claimed: claim}).update(**changes)


def send_notifications(pk):
    """Send this request's e-mails that are due and that no other sender holds. Returns True
    when all it claimed went out, False when one failed (it is tried again later), None when
    there was nothing for it to send."""
    now = timezone.now()
    kinds = ["staff"]
    if settings.APPOINTMENT_ACKNOWLEDGE_PATIENT:
        kinds.append("patient")
    claimed = [kind for kind in kinds if _claim(pk, kind, now)]
    if not claimed:
        return None
    request_obj = AppointmentRequest.objects.get(pk=pk)
    failures, outgoing = [], []
    for kind in claimed:
        if kind == "staff" and not settings.APPOINTMENT_NOTIFY_EMAILS:
            failures.append("NoRecipientsConfigured")
            _settle(pk, kind, now, None)
        elif kind == "patient" and not request_obj.email:
            _settle(pk, kind, now, None)
        else:
            outgoing.append(kind)
    if outgoing:
        # One connection for both messages: a mail server that hangs costs one EMAIL_TIMEOUT,
        # not one per message.
        try:
            with get_connection() as connection:
                for kind in outgoing:
                    try:
                        message = (_staff_message if kind == "staff" else _patient_message)(
                            request_obj
                        )
                        connection.send_messages([message])
                    except Exception as exc:  # noqa: BLE001 (the request is safe; retry later)
                        failures.append(_describe(exc))
                        _settle(pk, kind, now, None)
                    else:
                        _settle(pk, kind, now, timezone.now())
        except Exception as exc:  # noqa: BLE001 (could not connect at all)
            failures.extend(_describe(exc) for _ in outgoing)
            for kind in outgoing:
                _settle(pk, kind, now, None)
    attempts = request_obj.notification_attempts + 1
    AppointmentRequest.objects.filter(pk=pk).update(
        notification_attempts=F("notification_attempts") + 1,
        notification_error=", ".join(failures)[:100],
        next_attempt_at=now + backoff(attempts) if failures else None,
    )
    for failure in failures:
        # The reference and the error's class only: never an address, a name or a message.
        logger.warning("E-mail for request %s not sent: %s", request_obj.reference, failure)
    return not failures


def backoff(attempts):
    """How long to wait after the `attempts`-th failed attempt: 1, 2, 4, ... × the base."""
    return timedelta(seconds=settings.APPOINTMENT_RETRY_SECONDS * 2 ** (attempts - 1))


def send_pending(limit=500):
    """Send every request's e-mails that are due (the cron safety net beside the task worker:
    a task lost with a killed worker, a retry whose time has come). Returns (sent, failing)."""
    sent = failing = 0
    # A request younger than the lease is its task's to send; racing the workers for it would
    # only slow them down.
    fresh = timezone.now() - timedelta(seconds=settings.APPOINTMENT_SEND_LEASE_SECONDS)
    due = AppointmentRequest.objects.due_for_sending().filter(
        Q(next_attempt_at__isnull=False) | Q(created_at__lt=fresh)
    )
    for pk in due.values_list("pk", flat=True)[:limit]:
        outcome = send_notifications(pk)
        if outcome is True:
            sent += 1
        elif outcome is False:
            failing += 1
    return sent, failing
