"""Background tasks (django-tasks: the API Django 6 adopted). A task carries a request's primary
key only: what the patient typed stays in the database, not in the queue."""

from django.conf import settings
from django_tasks import task

from . import notify
from .models import AppointmentRequest


@task()
def send_request_emails(pk):
    """Send a request's staff e-mail and patient acknowledgement; after a failure, queue the
    next attempt for when its back-off ends (where the backend can defer; otherwise the cron
    run of `send_pending_notifications` picks it up)."""
    if notify.send_notifications(pk) is False and send_request_emails.get_backend().supports_defer:
        retry_at = (
            AppointmentRequest.objects.filter(
                pk=pk, notification_attempts__lt=settings.APPOINTMENT_MAX_SEND_ATTEMPTS
            )
            .values_list("next_attempt_at", flat=True)
            .first()
        )
        if retry_at:
            send_request_emails.using(run_after=retry_at).enqueue(pk)
