"""After a restore, no e-mail goes out twice without a person choosing it (issue 24).

A backup taken while e-mails waited holds them as unsent, though they may have gone out since.
The restore step runs `manage.py hold_pending_emails` before any worker starts; staff then see
the held e-mails on the admin index, and send or drop them."""

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from appointments import notify
from appointments.models import AuditEntry, OutgoingEmail

from .factories import make_request

pytestmark = pytest.mark.django_db

LIST = reverse("admin:appointments_appointmentrequest_changelist")


def queued_request(**fields):
    with transaction.atomic():
        request = make_request(**fields)
        notify.queue_emails(request)
    return request


def test_emails_waiting_at_backup_time_wait_for_staff_to_send_or_drop_them(
    settings, make_staff, signed_in, run_worker, capsys
):
    settings.APPOINTMENT_NOTIFY_EMAILS = ["front-desk@clinic.example"]
    already_sent = queued_request()
    run_worker()
    mail.outbox.clear()
    # In the backup: two requests whose e-mails had not gone out yet (they may have since).
    first, second = queued_request(), queued_request()

    call_command("hold_pending_emails")
    assert "2 request(s) with e-mails held" in capsys.readouterr().out
    run_worker()
    call_command("send_pending_notifications")
    assert mail.outbox == []  # nothing goes out by itself
    assert set(already_sent.emails.values_list("state", flat=True)) == {"sent"}

    desk = signed_in(make_staff())
    index = desk.get(reverse("admin:index")).content.decode()
    assert "2</strong> requests with e-mails held since a restore: send or drop them" in index
    listed = desk.get(LIST + "?email=held").content.decode()
    assert first.reference in listed and second.reference in listed
    assert already_sent.reference not in listed

    # The front desk knows the first request's e-mails never went out: they send them. The
    # second's patient called already: they drop its e-mails.
    desk.post(LIST, {"action": "send_emails_again", "_selected_action": [first.pk]})
    desk.post(LIST, {"action": "drop_held_emails", "_selected_action": [second.pk]})
    run_worker()
    assert sorted(m.to[0] for m in mail.outbox) == ["front-desk@clinic.example", first.email]
    assert set(second.emails.values_list("state", flat=True)) == {"dropped"}
    run_worker()
    assert len(mail.outbox) == 2

    index = desk.get(reverse("admin:index")).content.decode()
    assert "held since a restore" not in index
    trail = {(e.reference, e.actor_username, e.detail) for e in AuditEntry.objects.all()}
    assert {
        (first.reference, "system", "e-mails held after a restore"),
        (second.reference, "system", "e-mails held after a restore"),
        (first.reference, "frontdesk", "e-mails sent again"),
        (second.reference, "frontdesk", "held e-mails dropped"),
    } <= trail


def test_holding_with_nothing_waiting_changes_nothing(capsys):
    call_command("hold_pending_emails")
    assert "0 request(s) with e-mails held" in capsys.readouterr().out
    assert not OutgoingEmail.objects.exists()
