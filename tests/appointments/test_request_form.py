"""A prospective patient asks for an evaluation through the Contact page."""

import re

import pytest
from django.core import mail

from appointments.forms import read_form_token
from appointments.models import AppointmentRequest

from .conftest import aged_token, urlencoded

pytestmark = pytest.mark.django_db


def test_contact_page_shows_the_form_with_a_crisis_notice_first(client):
    response = client.get("/contact/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index('class="crisis crisis--compact"') < html.index("<form")
    assert 'href="tel:988"' in html and 'href="tel:911"' in html
    for label in ("First name", "Last name", "Email address", "Phone number",
                  "How should we contact you?", "Best time to reach you",
                  "Which service are you interested in?", "Have you been a patient here before?",
                  "Insurance (optional)", "How did you hear about us? (optional)"):  # fmt: skip
        assert label in html
    assert "Please do not include detailed medical history" in html
    assert "voicemail or a text message" in html
    # No box to tick that it is not an emergency: a sentence beside the crisis lines instead.
    assert "consent_not_emergency" not in html
    intro = html.split("<form", 1)[0]
    assert intro.index('href="tel:988"') < intro.index("This form is not watched around the clock.")
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize("service", ["spravato", "tms", "evaluation", "therapy"])
def test_service_in_the_link_is_preselected(client, service):
    html = client.get(f"/contact/?service={service}").content.decode()
    assert re.search(rf'<option value="{service}" selected>', html)


def test_unknown_service_in_the_link_is_ignored(client):
    html = client.get("/contact/?service=<script>").content.decode()
    assert '<option value="not-sure" selected>' in html
    assert "<script>" not in html.split("<form", 1)[1]


def test_a_good_request_is_stored_and_the_patient_sees_a_reference(client, submit):
    response = submit()
    assert response.status_code == 302
    assert response["Location"] == "/contact/thanks/"
    request = AppointmentRequest.objects.get()
    assert (request.first_name, request.last_name) == ("Ann", "Example")
    assert request.phone == "+17725550123"
    assert request.service == "spravato"
    assert request.status == AppointmentRequest.Status.NEW
    assert request.consent_contact
    assert request.safety_answer == ""  # not answered: optional
    assert not request.urgent

    thanks = client.get("/contact/thanks/")
    html = thanks.content.decode()
    assert request.reference in html
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", request.reference)
    assert "within one business day" in html
    # Nothing has been sent yet, and the page does not pretend otherwise.
    assert "We will send a short confirmation with your reference to <strong>ann@" in html
    assert "We have sent" not in html
    assert 'href="tel:988"' in html
    assert "no-store" in thanks["Cache-Control"] or "no-cache" in thanks["Cache-Control"]
    # The reference stays out of the URL.
    assert request.reference not in response["Location"]


def test_references_are_not_guessable(client):
    from appointments.models import new_reference

    references = {new_reference() for _ in range(2000)}
    assert len(references) == 2000


def test_refreshing_the_thank_you_page_does_not_resubmit(client, submit):
    submit()
    for _ in range(3):
        assert client.get("/contact/thanks/").status_code == 200
    assert AppointmentRequest.objects.count() == 1


def test_a_double_click_makes_one_record(client, submit, form_data):
    first = submit()
    second = submit()  # the same form, the same token
    assert first.status_code == second.status_code == 302
    assert AppointmentRequest.objects.count() == 1
    reference = AppointmentRequest.objects.get().reference
    assert reference in client.get("/contact/thanks/").content.decode()


def test_thank_you_page_without_a_request_goes_to_the_form(client):
    response = client.get("/contact/thanks/")
    assert response.status_code == 302
    assert response["Location"] == "/contact/"


class TestValidation:
    def errors(self, response):
        html = response.content.decode()
        summary = html.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
        return html, re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)

    def test_missing_fields_are_listed_at_the_top_and_linked_to_each_field(self, submit):
        response = submit(first_name="", contact_method=None, consent_contact=None)
        assert response.status_code == 400
        html, errors = self.errors(response)
        assert html.startswith("<!doctype html>")
        assert "<title>Error: Request an evaluation" in html
        assert errors == [
            ("id_first_name", "Enter your first name."),
            ("id_contact_method_0", "Choose how we should contact you."),
            ("id_consent_contact", "Tick this box so that we may contact you."),
        ]
        assert AppointmentRequest.objects.count() == 0

    def test_fields_with_errors_point_to_their_messages(self, submit):
        html, _ = self.errors(submit(email="not-an-email"))
        field = re.search(r"<input[^>]+id=\"id_email\"[^>]*>", html).group(0)
        assert 'aria-invalid="true"' in field
        assert re.search(r'aria-describedby="[^"]*\bid_email_error\b', field)
        assert 'id="id_email_error"' in html
        assert "Enter an email address like name@example.com." in html

    def test_help_text_is_announced_with_its_field(self, client):
        html = client.get("/contact/").content.decode()
        field = re.search(r"<textarea[^>]+>", html).group(0)
        assert 'aria-describedby="id_message_helptext"' in field

    def test_values_are_kept_after_an_error(self, submit):
        html, _ = self.errors(submit(email="bad", message="Please call after 3pm."))
        assert 'value="Ann"' in html
        assert 'value="bad"' in html
        assert "Please call after 3pm." in html
        assert re.search(r'value="phone"[^>]*checked', html)

    def test_names_are_trimmed(self, submit):
        submit(first_name="  Ann  ", last_name="\tExample ")
        request = AppointmentRequest.objects.get()
        assert (request.first_name, request.last_name) == ("Ann", "Example")

    @pytest.mark.parametrize("name", ["A" * 101, "Ann\x07", "A\u0085nn", "   "])
    def test_bad_names_are_refused(self, submit, name):
        response = submit(first_name=name)
        assert response.status_code == 400
        assert AppointmentRequest.objects.count() == 0

    @pytest.mark.parametrize(
        "name",
        ["José", "O'Brien", "O’Brien", "Nguyễn", "Nguye\u0302\u0303n", "Zoë-Anne", "St. John"],
    )
    def test_names_from_everywhere_are_welcome(self, submit, name):
        assert submit(first_name=name, last_name=name).status_code == 302
        assert AppointmentRequest.objects.get().last_name == name

    @pytest.mark.parametrize(
        "name", ["Visit https://evil.example", "Ann <b>", "Ann; appeal now", "R2D2", "Ann@home"]
    )
    def test_names_hold_letters_not_links_or_sentences(self, submit, name):
        _, errors = self.errors(submit(last_name=name))
        assert errors == [
            ("id_last_name", "Use letters, spaces, hyphens, apostrophes and periods only.")
        ]
        assert AppointmentRequest.objects.count() == 0

    @pytest.mark.parametrize("char", ["\u202e", "\u2066", "\u200b", "\u200d", "\ufeff", "\u2060"])
    @pytest.mark.parametrize(
        "field", ["first_name", "last_name", "email", "phone", "insurance", "message"]
    )
    def test_invisible_formatting_characters_are_refused_in_every_field(self, submit, field, char):
        typed = {"first_name": "Ann", "last_name": "Example", "email": "ann@example.org",
                 "phone": "7725550123", "insurance": "Acme", "message": "Hello"}[field]  # fmt: skip
        _, errors = self.errors(submit(**{field: typed[:2] + char + typed[2:]}))
        assert [message for target, message in errors if target == f"id_{field}"] == [
            "Remove the invisible formatting characters (such as direction marks or zero-width "
            "spaces); they may have come with copied text."
        ]
        assert AppointmentRequest.objects.count() == 0

    # Refused by Unicode category (issue 21, finding 7): every format character (Cf: the Arabic
    # letter mark, the soft hyphen, invisible operators, tag characters, bidi controls,
    # zero-width characters) and the Hangul fillers, which draw nothing.
    @pytest.mark.parametrize(
        "char",
        ["\u061c", "\u00ad", "\u2061", "\U000e0001", "\U000e0041", "\U000e007f", "\u180e",
         "\u3164", "\u115f", "\u1160", "\uffa0"],
    )  # fmt: skip
    @pytest.mark.parametrize(
        "field", ["first_name", "last_name", "email", "phone", "insurance", "message"]
    )
    def test_format_characters_and_fillers_are_refused_in_every_field(self, submit, field, char):
        typed = {"first_name": "Ann", "last_name": "Example", "email": "ann@example.org",
                 "phone": "7725550123", "insurance": "Acme", "message": "Hello"}[field]  # fmt: skip
        _, errors = self.errors(submit(**{field: typed[:2] + char + typed[2:]}))
        assert [message for target, message in errors if target == f"id_{field}"] == [
            "Remove the invisible formatting characters (such as direction marks or zero-width "
            "spaces); they may have come with copied text."
        ]
        assert AppointmentRequest.objects.count() == 0

    @pytest.mark.parametrize("name", ["\u3164", "\u3164\u3164", "\u115f\u1160", "\uffa0"])
    def test_a_name_of_fillers_alone_is_refused(self, submit, name):
        _, errors = self.errors(submit(first_name=name))
        assert [target for target, _ in errors] == ["id_first_name"]
        assert AppointmentRequest.objects.count() == 0

    @pytest.mark.parametrize("field", ["last_name", "insurance", "message"])
    def test_a_letter_piled_with_accents_is_refused(self, submit, field):
        _, errors = self.errors(submit(**{field: "E" + "\u0301" * 99}))
        assert [message for target, message in errors if target == f"id_{field}"] == [
            "Remove the invisible formatting characters (such as direction marks or zero-width "
            "spaces); they may have come with copied text."
        ]
        assert AppointmentRequest.objects.count() == 0

    def test_four_accents_on_a_letter_are_fine_five_are_not(self, submit):
        # Vietnamese writes two on one letter (ệ as e + circumflex + dot below).
        assert submit(last_name="Nguye\u0302\u0323n" + "\u0301\u0300").status_code == 302
        assert submit(last_name="Ae" + "\u0301" * 5).status_code == 400

    def test_hundred_character_names_are_fine(self, submit):
        assert submit(first_name="A" * 100).status_code == 302

    @pytest.mark.parametrize(
        ("typed", "stored"),
        [("772-555-0123", "+17725550123"), ("+1 (772) 555 0123", "+17725550123"),
         ("7725550123", "+17725550123"), ("+44 20 7946 0958", "+442079460958")],
    )  # fmt: skip
    def test_phone_numbers_are_normalised(self, submit, typed, stored):
        assert submit(phone=typed).status_code == 302
        assert AppointmentRequest.objects.get().phone == stored

    @pytest.mark.parametrize("phone", ["123", "call me", "555-0000-999-1234567"])
    def test_bad_phone_numbers_are_refused(self, submit, phone):
        _, errors = self.errors(submit(phone=phone))
        assert errors == [("id_phone", "Enter a phone number like (772) 555-0123.")]

    def test_text_messages_need_a_phone_number(self, submit):
        _, errors = self.errors(submit(contact_method="text", phone=""))
        assert errors == [
            ("id_phone", "Enter your phone number so that we can send you a text message.")
        ]

    def test_email_contact_needs_no_phone(self, submit):
        assert submit(contact_method="email", phone="").status_code == 302

    def test_a_call_needs_a_phone_number_and_no_email_address(self, submit):
        _, errors = self.errors(submit(contact_method="phone", phone="", email=""))
        assert errors == [("id_phone", "Enter your phone number so that we can call you.")]
        assert submit(contact_method="phone", email="").status_code == 302
        assert AppointmentRequest.objects.get().email == ""

    def test_email_contact_needs_an_email_address(self, submit):
        _, errors = self.errors(submit(contact_method="email", email="", phone=""))
        assert errors == [("id_email", "Enter your email address so that we can email you.")]

    def test_message_is_limited_to_2000_characters(self, submit):
        assert submit(message="x" * 2001).status_code == 400
        assert submit(message="x" * 2000).status_code == 302

    def test_consent_to_be_contacted_is_required(self, submit):
        _, errors = self.errors(submit(consent_contact=None))
        assert errors == [("id_consent_contact", "Tick this box so that we may contact you.")]

    @pytest.mark.parametrize("token", ["two days old", "garbled:1abc:notasignature"])
    def test_expired_form_asks_the_person_to_send_again_and_keeps_values(self, submit, token):
        if token == "two days old":
            token = aged_token(2 * 24 * 3600)
        response = submit(form_token=token)
        html = response.content.decode()
        assert response.status_code == 400
        assert "This form had been open for too long" in html
        assert 'value="Ann"' in html
        assert AppointmentRequest.objects.count() == 0
        # A fresh token, so that sending the form again (after a person's pause) goes through.
        fresh = re.search(r'name="form_token" value="([^"]+)"', html)[1]
        assert read_form_token(fresh) is not None


def test_patient_is_acknowledged_and_staff_notified_without_phi(
    submit, settings, django_capture_on_commit_callbacks, run_tasks
):
    settings.APPOINTMENT_NOTIFY_EMAILS = ["front-desk@clinic.example"]
    settings.SITE_URL = "https://clinic.example"
    with django_capture_on_commit_callbacks(execute=True):
        submit(message="My private story", insurance="Acme Health")
    # The request itself sends nothing: the task worker does.
    assert mail.outbox == []
    run_tasks()
    request = AppointmentRequest.objects.get()
    staff, patient = mail.outbox
    assert staff.to == ["front-desk@clinic.example"]
    assert staff.subject == f"New evaluation request {request.reference}"
    assert "Spravato (esketamine) evaluation" in staff.body
    assert f"https://clinic.example{request.get_admin_url()}" in staff.body
    headers = staff.message()
    # Random digits, not ours (a Message-ID once held "555").
    del headers["Message-ID"], headers["Date"]
    everything_staff_got = staff.subject + staff.body + str(headers)
    for phi in ("Ann", "Example", "ann@example.org", "555", "private story", "Acme"):
        assert phi not in everything_staff_got

    assert patient.to == ["ann@example.org"]
    assert "Ann" not in patient.subject
    assert patient.body.startswith("Hello,\n")
    assert request.reference in patient.body and request.reference in patient.subject
    assert "within one business day" in patient.body
    for other in ("Spravato", "esketamine", "Example", "private story", "Acme"):
        assert other not in patient.body + patient.subject
    request.refresh_from_db()
    assert request.staff_notified_at and request.patient_acknowledged_at


def test_acknowledgement_carries_nothing_the_submitter_typed(
    submit, django_capture_on_commit_callbacks, run_tasks
):
    # Someone types another person's address and a "name" that reads as a message from us.
    typed = {
        "first_name": "Dear customer. Your claim was denied. Appeal at once",
        "last_name": "O'Brien-Nguyễn",
        "email": "victim@example.org",
        "phone": "(772) 555-0199",
        "insurance": "Call 1-800-SCAMMER",
        "message": "Pay at https://evil.example/appeal",
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert submit(**typed).status_code == 302
    run_tasks()
    request = AppointmentRequest.objects.get()
    (patient,) = [m for m in mail.outbox if m.to == ["victim@example.org"]]
    body = patient.subject + patient.body
    assert request.reference in body
    for value in [*typed.values(), "denied", "Appeal", "claim", "555", "+17725550199"]:
        if value != "victim@example.org":
            assert value not in body, value


def test_a_name_with_a_link_is_refused_and_no_email_goes_out(
    submit, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(first_name="Appeal at https://evil.example", email="victim@example.org")
    assert response.status_code == 400
    assert mail.outbox == []


def test_a_planted_session_cookie_does_not_reveal_the_victims_reference(form_data):
    from django.conf import settings
    from django.test import Client

    from .conftest import send

    attacker = Client(HTTP_X_FORWARDED_PROTO="https")
    send(attacker, form_data)  # the attacker's own request gives them a session
    planted = attacker.cookies[settings.SESSION_COOKIE_NAME].value
    own_reference = attacker.get("/contact/thanks/").context["reference"]

    victim = Client(HTTP_X_FORWARDED_PROTO="https")
    victim.cookies[settings.SESSION_COOKIE_NAME] = planted
    assert send(victim, {**form_data, "form_token": aged_token(30)}).status_code == 302
    victims_reference = victim.get("/contact/thanks/").context["reference"]
    assert victims_reference != own_reference

    seen_by_attacker = attacker.get("/contact/thanks/", follow=True).content.decode()
    assert victims_reference not in seen_by_attacker


def test_patient_acknowledgement_can_be_turned_off(
    submit, settings, django_capture_on_commit_callbacks, run_tasks
):
    settings.APPOINTMENT_NOTIFY_EMAILS = ["front-desk@clinic.example"]
    settings.APPOINTMENT_ACKNOWLEDGE_PATIENT = False
    with django_capture_on_commit_callbacks(execute=True):
        submit()
    run_tasks()
    assert [m.to for m in mail.outbox] == [["front-desk@clinic.example"]]


def test_script_in_any_field_is_stored_as_text_and_shown_escaped(submit, make_staff, signed_in):
    attack = "<script>alert(1)</script>"
    assert submit(insurance=attack, message=attack).status_code == 302
    request = AppointmentRequest.objects.get()
    assert request.insurance == attack and request.message == attack
    staff = signed_in(make_staff())
    html = staff.get(request.get_admin_url()).content
    assert b"<script>alert(1)</script>" not in html
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_error_reports_never_include_what_the_patient_typed(rf, form_data):
    from importlib import import_module

    from django.conf import settings
    from django.views.debug import SafeExceptionReporterFilter

    from appointments.views import contact

    request = rf.post(
        "/contact/", urlencoded(form_data), content_type="application/x-www-form-urlencoded"
    )
    request._dont_enforce_csrf_checks = True
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    contact(request)
    reported = SafeExceptionReporterFilter().get_post_parameters(request)
    assert reported["email"] != "ann@example.org"
    assert set(reported.values()) == {"********************"}
