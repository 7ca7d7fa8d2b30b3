"""E-mails about a request: a note to staff (no PHI: the reference, the service and a link to
the admin) and an acknowledgement to the patient (the reference and next steps: nothing the
submitter typed goes to the address they typed, which may be anyone's).

They are sent after the request is committed. A failure is logged without PHI and marked on the
request; `manage.py send_pending_notifications` tries again. The patient's page never waits on
a retry and never shows an error for it.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.utils import timezone

from clinic_site.clinic import get_clinic

from .models import AppointmentRequest

logger = logging.getLogger(__name__)


def staff_subject(request_obj):
    """The staff e-mail's subject: the reference only (no PHI), and "Urgent" first when the
    request has crisis language, so it stands out in an inbox."""
    subject = f"New evaluation request {request_obj.reference}"
    return f"Urgent: {subject}" if request_obj.urgent else subject


def _staff_message(request_obj):
    clinic = get_clinic()
    context = {
        "reference": request_obj.reference,
        "service": request_obj.get_service_display(),
        "admin_url": settings.SITE_URL + request_obj.get_admin_url(),
        "clinic": clinic,
    }
    return EmailMessage(
        subject=staff_subject(request_obj),
        body=render_to_string("appointments/email/staff_notification.txt", context),
        to=settings.APPOINTMENT_NOTIFY_EMAILS,
    )


def _patient_message(request_obj):
    clinic = get_clinic()
    context = {
        "reference": request_obj.reference,
        "clinic": clinic,
    }
    return EmailMessage(
        subject=f"{clinic.name}: we received your request ({request_obj.reference})",
        body=render_to_string("appointments/email/patient_acknowledgement.txt", context),
        # The bare address: no name in the header.
        to=[request_obj.email],
    )


def _describe(exc):
    """A short, PHI-free name for a failure (an SMTP error's text can quote an address)."""
    if isinstance(exc, TimeoutError) or "timed out" in str(exc):
        return "Timeout"
    return type(exc).__name__


def send_notifications(pk):
    """Send whatever has not been sent for this request. True when nothing is left pending."""
    request_obj = AppointmentRequest.objects.get(pk=pk)
    failures, outgoing = [], []
    if request_obj.staff_notified_at is None:
        if settings.APPOINTMENT_NOTIFY_EMAILS:
            outgoing.append(("staff_notified_at", _staff_message(request_obj)))
        else:
            failures.append("NoRecipientsConfigured")
    if (
        settings.APPOINTMENT_ACKNOWLEDGE_PATIENT
        and request_obj.email
        and request_obj.patient_acknowledged_at is None
    ):
        outgoing.append(("patient_acknowledged_at", _patient_message(request_obj)))
    if outgoing:
        # One connection for both messages: a mail server that hangs costs the patient one
        # EMAIL_TIMEOUT, not one per message.
        try:
            with get_connection() as connection:
                for field, message in outgoing:
                    try:
                        connection.send_messages([message])
                        setattr(request_obj, field, timezone.now())
                    except Exception as exc:  # noqa: BLE001 (the request is safe; retry later)
                        failures.append(_describe(exc))
        except Exception as exc:  # noqa: BLE001 (could not connect at all)
            failures.extend(_describe(exc) for _ in outgoing)
    request_obj.notification_attempts += 1
    request_obj.notification_error = ", ".join(failures)[:100]
    request_obj.save(
        update_fields=[
            "staff_notified_at",
            "patient_acknowledged_at",
            "notification_attempts",
            "notification_error",
        ]
    )
    for failure in failures:
        # The reference and the error's class only: never an address, a name or a message.
        logger.warning("E-mail for request %s not sent: %s", request_obj.reference, failure)
    return not failures


def send_pending(limit=500):
    """Retry every request whose e-mails have not all gone out. Returns (sent, still_failing)."""
    sent = failing = 0
    for pk in AppointmentRequest.objects.pending_notification().values_list("pk", flat=True)[
        :limit
    ]:
        if send_notifications(pk):
            sent += 1
        else:
            failing += 1
    return sent, failing
