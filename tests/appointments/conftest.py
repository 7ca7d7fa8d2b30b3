import time
from dataclasses import dataclass
from datetime import timedelta
from unittest import mock
from urllib.parse import urlencode

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from appointments import notify
from appointments.forms import new_form_token
from appointments.models import AppointmentRequest


def aged_token(seconds):
    """A form token as if the page had been loaded `seconds` ago."""
    with mock.patch("django.core.signing.time.time", return_value=time.time() - seconds):
        return new_form_token()


@pytest.fixture
def form_data():
    """What a person types into the form, sent 20 seconds after the page loaded."""
    return patient_data()


def patient_data():
    return {
        "first_name": "Ann",
        "last_name": "Example",
        "email": "ann@example.org",
        "phone": "(772) 555-0123",
        "contact_method": "phone",
        "best_time": "morning",
        "service": "spravato",
        "patient_type": "new",
        "insurance": "",
        "referral": "",
        "message": "",
        "consent_contact": "on",
        "website": "",
        "form_token": aged_token(20),
    }


def urlencoded(data):
    """Encode as a browser sends this form (application/x-www-form-urlencoded)."""
    return urlencode({k: v for k, v in data.items() if v is not None})


def send(browser, data, path=None):
    """POST the contact form as a browser does (to the English form unless `path` says)."""
    return browser.post(
        path or reverse("appointments:contact"),
        urlencoded(data),
        content_type="application/x-www-form-urlencoded",
    )


def browser_at(address, **headers):
    """A browser at that address, behind the TLS proxy."""
    return Client(REMOTE_ADDR=address, HTTP_X_FORWARDED_PROTO="https", **headers)


@pytest.fixture
def post_from():
    """Send a form (`form_data`, with a fresh token) from a browser at `address`, to the patient's
    form unless `path` says."""

    def post(address, form_data, path=None, **headers):
        data = {**form_data, "form_token": aged_token(10)}
        return send(browser_at(address, **headers), data, path)

    return post


@pytest.fixture
def submit(client, form_data):
    """Send the form data, with `changes`, from the test's client."""
    return lambda **changes: send(client, {**form_data, **changes})


@pytest.fixture
def referral_data():
    """What a referring clinician types into /refer/, sent 20 seconds after the page loaded."""
    return clinician_data()


def clinician_data():
    return {
        "referrer_name": "Dr. Rosa Referrer, MD",
        "referrer_practice": "Stuart Family Medicine",
        "referrer_phone": "(772) 555-0199",
        "referrer_fax": "",
        "referrer_email": "rosa@practice.example",
        "first_name": "Ann",
        "last_name": "Example",
        "phone": "(772) 555-0123",
        "email": "",
        "service": "spravato",
        "insurance": "",
        "diagnosis": "Major depressive disorder, recurrent, severe (F33.2)",
        "message": "Two adequate trials without remission; interested in Spravato.",
        "antidepressant_managed_by": "referrer",
        "consent_contact": "on",
        "website": "",
        "form_token": aged_token(20),
    }


@dataclass(frozen=True)
class RequestForm:
    """One of the two forms that store a request, as the tests that hold for both send it."""

    name: str
    path: str
    thanks: str
    data: dict

    def send(self, browser, **changes):
        return send(browser, {**self.data, **changes}, self.path)


@pytest.fixture(params=["patient", "referral"])
def request_form(request):
    """The patient's Contact form, then the clinicians' referral form: for the red-team tests
    (bad input, rate limit, body limits), which must hold for both. A module that runs its tests
    against both defines its `form_data` as `request_form.data`."""
    if request.param == "patient":
        return RequestForm("patient", "/contact/", "/contact/thanks/", patient_data())
    return RequestForm("referral", "/refer/", "/refer/thanks/", clinician_data())


# The staff address the e-mail tests configure (APPOINTMENT_NOTIFY_EMAILS).
STAFF = ["front-desk@clinic.example"]


def stored(created_ago=timedelta(hours=1), **fields):  # noqa: B008 (a timedelta is immutable)
    """A request stored `created_ago`, with its e-mails queued, as the form stores one."""
    values = {
        "first_name": "Ann",
        "last_name": "Example",
        "email": "ann@example.org",
        "contact_method": "phone",
        "best_time": "any",
        "service": "spravato",
        "patient_type": "new",
        "submission_token": f"token-{AppointmentRequest.objects.count()}",
        **fields,
    }
    with transaction.atomic():
        request = AppointmentRequest.objects.create(
            created_at=timezone.now() - created_ago, **values
        )
        notify.queue_emails(request)
    return request
