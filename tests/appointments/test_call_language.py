"""A patient says which language to speak when the clinic contacts them (English or Spanish),
and the front desk sees it before picking up the phone: in the list, on the request's page and
in the staff e-mail. What the form promises about Spanish comes from clinic.toml, and nothing
is promised until the clinic says so."""

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail

from appointments.models import AppointmentRequest

from .conftest import send
from .factories import make_request

pytestmark = pytest.mark.django_db

LIST = "/admin/appointments/appointmentrequest/"


def checked(html, name):
    """The value of the radio button `name` that the page ticks."""
    return re.findall(rf'<input type="radio"[^>]* name="{name}" value="(\w+)"[^>]*checked', html)


def test_the_spanish_form_asks_the_language_and_starts_with_spanish(client, site_content):
    html = client.get("/es/contact/").content.decode()
    assert "¿En qué idioma prefiere que le contactemos?" in html
    labels = re.findall(r'for="id_call_language_\d" class="form-check-label">\s*(\w+)', html)
    assert labels == ["Inglés", "Español"]
    assert checked(html, "call_language") == ["es"]
    english = client.get("/contact/").content.decode()
    assert "Which language should we speak when we contact you?" in english
    assert checked(english, "call_language") == ["en"]


def test_until_the_clinic_confirms_it_no_one_is_promised_a_call_in_spanish(client, site_content):
    html = client.get("/es/contact/").content.decode()
    assert "Todavía no podemos garantizar que haya alguien disponible que hable español." in html
    assert "Le llamará" not in html


def test_the_clinics_own_promise_about_spanish_is_shown_when_it_gives_one(
    client, site_content, settings, tmp_path
):
    clinic = Path(django_settings.CLINIC_FILE).read_text()
    own = tmp_path / "clinic.toml"
    own.write_text(
        clinic.replace(
            "[es]\n",
            'spanish_contact = "A member of our team who speaks Spanish will call you."\n'
            "[es]\n"
            'spanish_contact = "Le llamará un miembro de nuestro equipo que habla español."\n',
        )
    )
    settings.CLINIC_FILE = own
    assert "Le llamará un miembro de nuestro equipo" in client.get("/es/contact/").content.decode()
    english = client.get("/contact/").content.decode()
    assert "A member of our team who speaks Spanish will call you." in english
    assert "We cannot yet promise" not in english


def test_a_spanish_call_preference_reaches_the_front_desk(
    client, form_data, settings, run_worker, make_staff, signed_in
):
    settings.APPOINTMENT_NOTIFY_EMAILS = ["front-desk@clinic.example"]
    response = send(client, {**form_data, "call_language": "es"}, path="/es/contact/")
    assert response.status_code == 302
    request = AppointmentRequest.objects.get()
    assert request.call_language == "es"

    run_worker()
    (staff,) = [m for m in mail.outbox if m.to == ["front-desk@clinic.example"]]
    assert "Preferred language: Spanish\n" in staff.body
    assert "Ann" not in staff.body  # still no PHI

    desk = signed_in(make_staff("frontdesk"))
    listed = desk.get(LIST).content.decode()
    assert re.search(r'class="contact-pref">[^<]*· Spanish</small>', listed)
    page = desk.get(request.get_admin_url()).content.decode()
    assert re.search(r"Preferred language:</label>\s*<div class=\"readonly\">Spanish</div>", page)


def test_a_patient_on_the_spanish_site_may_ask_for_english(
    client, form_data, make_staff, signed_in
):
    send(client, {**form_data, "call_language": "en"}, path="/es/contact/")
    request = AppointmentRequest.objects.get()
    assert (request.language, request.call_language) == ("es", "en")
    listed = signed_in(make_staff("frontdesk")).get(LIST).content.decode()
    assert re.search(r'class="contact-pref">[^<]*</small>', listed)
    assert not re.search(r'class="contact-pref">[^<]*Spanish</small>', listed)


def test_a_post_without_the_question_takes_the_pages_language(client, form_data):
    """A browser always sends it (one choice starts ticked); a script may not."""
    send(client, form_data, path="/es/contact/")
    assert AppointmentRequest.objects.get().call_language == "es"


def test_requests_from_before_the_question_show_their_pages_language(make_staff, signed_in):
    make_request(language="es")  # call_language blank: not asked
    listed = signed_in(make_staff("frontdesk")).get(LIST).content.decode()
    assert re.search(r'class="contact-pref">[^<]*· Spanish</small>', listed)


def test_an_unknown_language_is_refused_in_the_patients_language(client, form_data):
    response = send(client, {**form_data, "call_language": "fr"}, path="/es/contact/")
    assert response.status_code == 400
    assert "Elija inglés o español." in response.content.decode()
