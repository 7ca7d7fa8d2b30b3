"""The patient's acknowledgement on a lock screen: its subject and its sender's name, which
anyone near the phone may read, use the clinic's short name (clinic.toml), never the word
"Psychiatry" the clinic's full name carries."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail

from appointments.models import AppointmentRequest

pytestmark = pytest.mark.django_db


def acknowledgement():
    (patient,) = [m for m in mail.outbox if m.to == ["ann@example.org"]]
    return patient, AppointmentRequest.objects.get().reference


def test_the_acknowledgement_says_treasure_coast_not_psychiatry(submit, settings, run_worker):
    settings.DEFAULT_FROM_EMAIL = "Treasure Coast Psychiatry <no-reply@clinic.example>"
    submit()
    run_worker()
    patient, reference = acknowledgement()
    assert patient.subject == f"Treasure Coast: we received your request ({reference})"
    assert patient.from_email == "Treasure Coast <no-reply@clinic.example>"
    assert "Psychiatry" not in patient.subject + patient.from_email


def test_in_spanish_too(client, form_data, run_worker):
    from .conftest import send

    send(client, form_data, path="/es/contact/")
    run_worker()
    patient, reference = acknowledgement()
    assert patient.subject == f"Treasure Coast: recibimos su solicitud ({reference})"


def test_without_a_short_name_the_subject_names_no_clinic(submit, settings, run_worker, tmp_path):
    clinic = tmp_path / "clinic.toml"
    text = Path(django_settings.CLINIC_FILE).read_text()
    clinic.write_text(text.replace('short_name = "Treasure Coast"\n', ""))
    settings.CLINIC_FILE = clinic
    submit()
    run_worker()
    patient, reference = acknowledgement()
    assert patient.subject == f"We received your request ({reference})"
    assert patient.from_email == django_settings.DEFAULT_FROM_EMAIL
