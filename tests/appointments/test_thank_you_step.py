"""Once a request is stored, the patient is thanked: nothing after the commit can turn it into an
error that invites them to send it again (issue 21, finding 3). Where a failure can still
come, the page says the request may have arrived and asks for a call, not a second copy."""

import time
from unittest import mock

import pytest
from django.db import DatabaseError, OperationalError
from django.test import Client

from appointments.models import AppointmentRequest

from .conftest import aged_token, send, urlencoded

pytestmark = pytest.mark.django_db


def thank_you_page(browser, response):
    assert response.status_code == 302
    assert response["Location"] == "/contact/thanks/"  # nothing about the request in the URL
    page = browser.get(response["Location"])
    assert page.status_code == 200
    return page.content.decode()


def test_a_session_store_that_fails_after_the_commit_still_thanks_the_patient(client, submit):
    """What the fault test found: the session was written after the request's commit, and
    when that write failed the patient read a 500 for a request that was stored."""
    with mock.patch(
        "django.contrib.sessions.backends.db.SessionStore.save",
        side_effect=OperationalError("terminating connection due to administrator command"),
    ):
        response = submit()
        html = thank_you_page(client, response)
    (request,) = AppointmentRequest.objects.all()
    assert f'class="reference">{request.reference}<' in html


def test_the_thank_you_page_needs_no_database(client, submit):
    response = submit()
    (request,) = AppointmentRequest.objects.all()
    with mock.patch(
        "django.db.backends.utils.CursorWrapper.execute", side_effect=OperationalError("down")
    ):
        html = thank_you_page(client, response)
    assert f'class="reference">{request.reference}<' in html
    # What only the database knows (how we will reach them) is left out, not made up.
    assert "by the method you chose" in html


def test_the_thank_you_cookie_holds_no_patient_data_and_cannot_be_forged(client, submit):
    response = submit()
    (request,) = AppointmentRequest.objects.all()
    cookie = response.cookies["request_sent"]
    assert cookie["httponly"] and cookie["secure"] and cookie["samesite"] == "Lax"
    assert 0 < int(cookie["max-age"]) <= 3600
    for typed in ("Ann", "Example", "ann@example.org", "5550123"):
        assert typed not in cookie.value

    forged = Client(HTTP_X_FORWARDED_PROTO="https")
    forged.cookies["request_sent"] = cookie.value.replace(request.reference, "ABCD-EFGH")
    assert forged.get("/contact/thanks/")["Location"] == "/contact/"


def test_the_thank_you_page_expires_after_an_hour(client, submit):
    submit()
    with mock.patch("django.core.signing.time.time", return_value=time.time() + 3601):
        response = client.get("/contact/thanks/")
    assert response.status_code == 302 and response["Location"] == "/contact/"


def test_a_planted_cookie_does_not_reveal_the_victims_reference(form_data):
    """Someone who sets their own thank-you (or session) cookie in another person's browser
    never reads that person's reference from their own."""
    from django.conf import settings

    attacker = Client(HTTP_X_FORWARDED_PROTO="https")
    send(attacker, form_data)
    own_reference = attacker.get("/contact/thanks/").context["reference"]

    victim = Client(HTTP_X_FORWARDED_PROTO="https")
    victim.cookies["request_sent"] = attacker.cookies["request_sent"].value
    victim.cookies[settings.SESSION_COOKIE_NAME] = "planted-session-key"
    assert send(victim, {**form_data, "form_token": aged_token(30)}).status_code == 302
    victims_reference = victim.get("/contact/thanks/").context["reference"]
    assert victims_reference != own_reference

    seen_by_attacker = attacker.get("/contact/thanks/", follow=True).content.decode()
    assert victims_reference not in seen_by_attacker


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/contact/", ["may have reached us", "Please do not send it again.", "Call us"]),
        ("/es/contact/", ["Es posible que", "No la envíe de nuevo", "Llámenos"]),
    ],
)
def test_a_failure_while_sending_the_form_says_do_not_send_it_again(form_data, path, words):
    """Whatever fails while a form is sent, it may already be stored (a commit whose answer
    was lost, say): the error page asks for a call, never for a second copy."""
    browser = Client(HTTP_X_FORWARDED_PROTO="https", raise_request_exception=False)
    with mock.patch(
        "appointments.models.AppointmentRequest.save", side_effect=DatabaseError("lost")
    ):
        response = browser.post(
            path, urlencoded(form_data), content_type="application/x-www-form-urlencoded"
        )
    html = response.content.decode()
    assert response.status_code == 500
    for phrase in words:
        assert phrase in html
    assert "try again" not in html.lower() and "inténtelo" not in html.lower()


@pytest.mark.urls("tests.clinic_site.urls_failing")
def test_a_failure_on_an_ordinary_page_still_suggests_trying_again():
    browser = Client(HTTP_X_FORWARDED_PROTO="https", raise_request_exception=False)
    with mock.patch(
        "django.db.backends.base.base.BaseDatabaseWrapper.ensure_connection",
        side_effect=OperationalError("connection refused"),
    ):
        html = browser.get("/needs-database/").content.decode()
    assert "Please try again in a few minutes" in html
