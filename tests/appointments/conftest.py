import time
from unittest import mock
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from appointments.forms import new_form_token


def aged_token(seconds):
    """A form token as if the page had been loaded `seconds` ago."""
    with mock.patch("django.core.signing.time.time", return_value=time.time() - seconds):
        return new_form_token()


@pytest.fixture
def form_data():
    """What a person types into the form, sent 20 seconds after the page loaded."""
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


@pytest.fixture
def submit(client, form_data):
    """Send the form data, with `changes`, from the test's client."""
    return lambda **changes: send(client, {**form_data, **changes})
