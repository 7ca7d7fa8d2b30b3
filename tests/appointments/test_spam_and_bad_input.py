"""Bots are turned away quietly; people are never bothered; bad input gets a clear 4xx. Each
test runs against both forms that store a request: the patient's and the clinicians' referral
form (the `request_form` fixture)."""

import re
import time
from unittest import mock

import pytest
from django.test import Client

from appointments.forms import AppointmentRequestForm, ReferralForm, read_form_token
from appointments.models import AppointmentRequest

from .conftest import aged_token, urlencoded

# The fields each form takes, with its treatment history's rows.
TRIAL_FIELDS = {f"trial{n}-{name}" for n in (1, 2) for name in ("duration", "helped")}
FIELDS = {
    "patient": {*AppointmentRequestForm.base_fields, *TRIAL_FIELDS},
    "referral": {*ReferralForm.base_fields, *TRIAL_FIELDS},
}

pytestmark = pytest.mark.django_db


@pytest.fixture
def form_data(request_form):
    return request_form.data


@pytest.fixture
def submit(client, request_form):
    return lambda **changes: request_form.send(client, **changes)


def test_filled_honeypot_looks_like_success_but_stores_nothing(client, submit, request_form):
    response = submit(website="http://spam.example")
    assert response.status_code == 302
    assert response["Location"] == request_form.thanks
    assert "Thank you" in client.get(request_form.thanks).content.decode()
    assert AppointmentRequest.objects.count() == 0


def test_honeypot_is_hidden_from_people_and_screen_readers(client, request_form):
    html = client.get(request_form.path).content.decode()
    wrapper = re.search(r'<div\s[^>]*class="hp"[^>]*>', html)[0]
    assert 'aria-hidden="true"' in wrapper
    field = re.search(r'<input [^>]*name="website"[^>]*>', html)[0]
    assert 'tabindex="-1"' in field
    assert 'autocomplete="off"' in field
    assert html.index(wrapper) < html.index(field)


@pytest.mark.parametrize("seconds", [0, 1, 1.5])
def test_a_form_sent_very_fast_is_not_stored_and_comes_back_to_send_again(submit, seconds):
    # A bot, or a patient whose browser filled it in: nothing is stored, nothing is faked.
    response = submit(form_token=aged_token(seconds), message="Sending again, no answer yet")
    html = response.content.decode()
    assert AppointmentRequest.objects.count() == 0
    assert "Please check your details and send it again" in html
    assert "Thank you" not in html
    assert "Sending again, no answer yet" in html  # what they typed is kept
    # With the fresh token, sent a few seconds later, it goes through.
    fresh = re.search(r'name="form_token" value="([^"]+)"', html)[1]
    assert read_form_token(fresh).age < 1
    time_passes = mock.patch("time.time", return_value=time.time() + 5)
    with time_passes:
        assert submit(form_token=fresh).status_code == 302
    assert AppointmentRequest.objects.count() == 1


def test_a_fast_form_with_errors_shows_the_errors(submit):
    html = submit(form_token=aged_token(1), email="not-an-address").content.decode()
    assert "Enter an email address like name@example.com." in html
    assert AppointmentRequest.objects.count() == 0


@pytest.mark.parametrize("seconds", [3.5, 60, 3600])
def test_people_taking_their_time_are_welcome(submit, seconds):
    assert submit(form_token=aged_token(seconds)).status_code == 302
    assert AppointmentRequest.objects.count() == 1


def test_form_without_a_token_is_dropped(submit):
    submit(form_token=None)
    assert AppointmentRequest.objects.count() == 0


def test_forged_token_is_refused_without_a_record(submit):
    response = submit(form_token="forged:1abc:notasignature")
    assert response.status_code == 400
    assert AppointmentRequest.objects.count() == 0


class TestBadInput:
    def test_missing_csrf_token_is_a_branded_403(self, request_form):
        browser = Client(enforce_csrf_checks=True, HTTP_X_FORWARDED_PROTO="https")
        response = request_form.send(browser)
        assert response.status_code == 403
        assert "Your form has expired" in response.content.decode()
        assert AppointmentRequest.objects.count() == 0

    # 3 MB is past Django's own limit on what it reads into memory: refused before that.
    @pytest.mark.parametrize("size", [100_000, 3_000_000])
    def test_oversize_body_is_refused_with_a_word_on_why(self, client, request_form, size):
        response = request_form.send(client, message="x" * size)
        assert response.status_code == 413
        assert "Please shorten your message" in response.content.decode()
        assert AppointmentRequest.objects.count() == 0

    def test_invalid_utf8_is_refused(self, client, request_form):
        body = urlencoded(request_form.data).replace("first_name=Ann", "first_name=%FF%FEAnn")
        response = client.post(
            request_form.path, body, content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code == 400
        assert AppointmentRequest.objects.count() == 0

    def test_raw_invalid_bytes_are_refused(self, client, request_form):
        body = urlencoded(request_form.data).encode() + b"&insurance=\xff\xfe"
        response = client.post(
            request_form.path, body, content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code == 400
        assert AppointmentRequest.objects.count() == 0

    def test_a_request_refused_on_the_spanish_form_is_answered_in_spanish(self, client, form_data):
        body = urlencoded(form_data).encode() + b"&insurance=\xff\xfe"
        for path, lang, title in [
            ("/es/contact/", "es", "No pudimos leer su solicitud"),
            ("/contact/", "en", "We could not read your request"),
        ]:
            response = client.post(path, body, content_type="application/x-www-form-urlencoded")
            html = response.content.decode()
            assert response.status_code == 400
            assert f'<html lang="{lang}">' in html and title in html

    @pytest.mark.parametrize(
        ("field", "value"),
        [("service", "brain-surgery"), ("contact_method", "pigeon"), ("best_time", "midnight"),
         ("patient_type", "vip"), ("referral", "tv"), ("had_therapy", "maybe"),
         ("antidepressant_managed_by", "nobody"), ("trial1-duration", "forever"),
         ("trial2-helped", "hugely")],
    )  # fmt: skip
    def test_unknown_choice_values_are_refused(self, submit, request_form, field, value):
        if field not in FIELDS[request_form.name]:
            pytest.skip(f"the {request_form.name} form has no {field}")
        response = submit(**{field: value, "trial1-medicine": "Sertraline"})
        assert response.status_code == 400
        assert "Select a valid choice" in response.content.decode() or "Choose a service" in (
            response.content.decode()
        )
        assert AppointmentRequest.objects.count() == 0

    def test_nul_bytes_are_refused_not_a_500(self, submit):
        assert submit(message="hello\x00world").status_code == 400
        assert AppointmentRequest.objects.count() == 0

    def test_multipart_posts_are_refused(self, client, request_form):
        # The test client's default: multipart.
        response = client.post(request_form.path, request_form.data)
        assert response.status_code == 415
        assert "We could not read your request" in response.content.decode()
        assert AppointmentRequest.objects.count() == 0

    def test_other_methods_are_refused(self, client, request_form):
        assert client.put(request_form.path).status_code == 405
        assert client.delete(request_form.path).status_code == 405
