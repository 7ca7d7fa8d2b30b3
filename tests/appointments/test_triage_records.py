"""Every step staff take on a request leaves its history and its audit line, or neither."""

from unittest import mock

import pytest
from django.db import DatabaseError

from appointments.models import AppointmentRequest, AuditEntry, Note, StatusChange

from .factories import make_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(make_staff):
    return make_staff("ann")


def test_a_status_change_writes_history_and_audit_together(ann):
    request = make_request()
    assert request.change_status("contacted", ann) is True
    step = StatusChange.objects.get(request=request)
    assert (step.from_status, step.to_status, step.changed_by) == ("new", "contacted", ann)
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.reference, entry.detail) == (
        ann, "changed", request.reference, "status → Contacted",
    )  # fmt: skip
    stored = AppointmentRequest.objects.get(pk=request.pk)
    assert stored.status == "contacted"
    assert stored.status_changed_at == step.changed_at == request.status_changed_at


def test_a_status_change_that_changes_nothing_writes_nothing(ann):
    request = make_request(status="contacted")
    assert request.change_status("contacted", ann) is False
    assert not StatusChange.objects.exists()
    assert not AuditEntry.objects.exists()


def test_when_the_audit_cannot_be_written_the_status_stays(ann):
    request = make_request()
    with (
        mock.patch.object(AuditEntry, "record", side_effect=DatabaseError),
        pytest.raises(DatabaseError),
    ):
        request.change_status("closed", ann)
    assert AppointmentRequest.objects.get(pk=request.pk).status == "new"
    assert not StatusChange.objects.exists()


def test_assigning_is_audited_without_a_status_step(ann, make_staff):
    request = make_request()
    assert request.assign(ann, make_staff("lead", role="Clinical lead")) is True
    assert AppointmentRequest.objects.get(pk=request.pk).assignee == ann
    assert AuditEntry.objects.get().detail == "assignee → ann"
    assert not StatusChange.objects.exists()

    assert request.assign(ann, ann) is False
    assert AuditEntry.objects.count() == 1
    request.assign(None, ann)
    assert AuditEntry.objects.first().detail == "assignee → nobody"


def test_status_and_assignee_changed_at_once_make_one_audit_line(ann):
    request = make_request()
    assert request.triage(ann, status="scheduled", assignee=ann) == ["status", "assignee"]
    assert AuditEntry.objects.get().detail == "status → Scheduled, assignee → ann"
    assert StatusChange.objects.get().to_status == "scheduled"


def test_a_note_is_audited_without_its_text(ann):
    request = make_request()
    note = request.add_note("Left a voicemail.", ann)
    assert Note.objects.get() == note
    assert (note.author, note.text) == (ann, "Left a voicemail.")
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.reference, entry.detail) == ("note", request.reference, "")


def test_a_system_step_is_audited_as_system():
    request = make_request()
    request.change_status("spam", None)
    assert AuditEntry.objects.get().actor_username == "system"
    assert StatusChange.objects.get().changed_by is None
