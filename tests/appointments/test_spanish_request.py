"""A patient who reads the site in Spanish sends the request form in Spanish, reads its errors
and the thank-you page in Spanish, and gets the acknowledgement in Spanish; staff read English
and see which language each request came in."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from appointments.models import AppointmentRequest

from .conftest import aged_token, urlencoded
from .factories import make_request

pytestmark = pytest.mark.django_db

LIST = reverse("admin:appointments_appointmentrequest_changelist")


def send(browser, data, path="/es/contact/"):
    return browser.post(path, urlencoded(data), content_type="application/x-www-form-urlencoded")


def hidden(html, name):
    return re.search(rf'name="{name}" value="([^"]+)"', html)[1]


def test_the_form_reads_in_spanish_at_es_contact(client, site_content):
    html = client.get("/es/contact/?service=tms").content.decode()
    assert '<html lang="es">' in html
    assert "Solicitar una evaluación" in html
    assert "¿Qué servicio le interesa?" in html
    assert "Evaluación para terapia TMS" in html  # the brand name kept, the rest in Spanish
    assert 'value="tms" selected' in html
    assert "Llamada telefónica" in html and "Enviar mi solicitud" in html
    # The form sends to the Spanish address, so its errors come back in Spanish too.
    assert 'action="/es/contact/"' in html
    assert "Phone call" not in html and "Send my request" not in html


def test_a_mistake_is_explained_in_spanish(client, form_data):
    response = send(client, {**form_data, "first_name": "", "phone": "12", "consent_contact": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Hay problemas con su solicitud" in html
    assert "Escriba su nombre." in html
    assert "Escriba un número de teléfono como (772) 555-0123." in html
    assert "Marque esta casilla para que podamos contactarle." in html
    assert AppointmentRequest.objects.count() == 0


def test_a_form_sent_too_fast_is_sent_back_with_a_spanish_word_on_why(client, form_data):
    response = send(client, {**form_data, "form_token": aged_token(0)})
    assert response.status_code == 400
    assert "Su solicitud todavía no se ha enviado." in response.content.decode()


def test_the_rate_limit_page_is_in_spanish(client, form_data, settings):
    settings.APPOINTMENT_RATE_LIMIT = 1
    send(client, {**form_data, "form_token": aged_token(20)})
    response = send(client, {**form_data, "form_token": aged_token(20)})
    assert response.status_code == 429
    html = response.content.decode()
    assert '<html lang="es">' in html
    assert "Ya hemos recibido varias solicitudes suyas" in html


def test_a_spanish_request_is_stored_as_es_and_acknowledged_in_spanish(
    client, form_data, settings, django_capture_on_commit_callbacks, run_worker
):
    settings.APPOINTMENT_NOTIFY_EMAILS = ["front-desk@clinic.example"]
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, {**form_data, "message": "Mi historia privada"})
    assert response.status_code == 302
    assert response["Location"] == "/es/contact/thanks/"
    thanks = client.get(response["Location"]).content.decode()
    assert "Gracias. Hemos recibido su solicitud" in thanks
    request = AppointmentRequest.objects.get()
    assert request.language == "es"

    with translation.override("en"):  # a worker's own language must not matter
        run_worker()
    staff, patient = mail.outbox
    assert patient.subject.endswith(f": recibimos su solicitud ({request.reference})")
    assert patient.body.startswith("Hola:\n")
    assert f"Su número de referencia: {request.reference}" in patient.body
    # The crisis lines as each service states them for Spanish speakers
    # (tests/clinic_site/test_crisis_lines.py has them all).
    assert "llame o envíe un mensaje de texto al 988" in patient.body
    assert "para español, marque 2 o escriba AYUDA" in patient.body
    assert "envíe AYUDA por mensaje de texto al 741741" in patient.body
    assert "HOME" not in patient.body
    assert "en un plazo de un día hábil" in patient.body  # the clinic's promise, in Spanish
    for typed in ("Ann", "Example", "Mi historia privada", "555"):
        assert typed not in patient.subject + patient.body
    # Staff read English, whatever the patient's language.
    assert staff.subject == f"New evaluation request {request.reference}"
    assert "A new evaluation request has arrived." in staff.body
    assert "Spravato (esketamine) evaluation" in staff.body


def test_an_english_request_stays_english(
    client, form_data, django_capture_on_commit_callbacks, run_worker
):
    with django_capture_on_commit_callbacks(execute=True):
        send(client, form_data, path="/contact/")
    request = AppointmentRequest.objects.get()
    assert request.language == "en"
    with translation.override("es"):
        run_worker()
    (patient,) = [m for m in mail.outbox if m.to == ["ann@example.org"]]
    assert patient.body.startswith("Hello,\n")
    assert "we received your request" in patient.subject
    assert "within one business day" in patient.body
    assert "- text HOME to 741741 (Crisis Text Line);\n- call 911" in patient.body


def test_staff_see_each_requests_language_and_filter_by_it(make_staff, signed_in):
    browser = signed_in(make_staff("frontdesk"))
    spanish = make_request(first_name="Lucía", language="es")
    english = make_request(first_name="Laura")
    html = browser.get(LIST).content.decode()

    # Beside how to reach them: named when it is not English.
    def how_to_reach(first_name):
        return re.search(
            rf'>{first_name} [^<]*</strong>.*?<small class="contact-pref">([^<]*)</small>', html
        )[1]

    assert how_to_reach("Lucía") == "Phone call · Morning · Spanish"
    assert how_to_reach("Laura") == "Phone call · Morning"
    only_spanish = browser.get(LIST, {"language__exact": "es"}).content.decode()
    assert spanish.get_admin_url() in only_spanish
    assert english.get_admin_url() not in only_spanish
    # The admin stays in English, whatever the browser asks for.
    assert 'lang="en"' in browser.get(LIST, HTTP_ACCEPT_LANGUAGE="es").content.decode()


def test_the_export_names_each_requests_language(make_staff, signed_in):
    browser = signed_in(make_staff("lead", role="Clinical lead"))
    request = make_request(language="es")
    response = browser.post(
        LIST, {"action": "export_csv", "_selected_action": [request.pk]}, follow=False
    )
    header, row = (line.split(",") for line in response.content.decode().splitlines()[:2])
    assert row[header.index("Language")] == "es"


def test_the_kept_spanish_form_is_spanish_with_tokens_of_each_visitors_own(
    site_content, settings, form_data, monkeypatch
):
    import appointments.views

    rendered = []
    real_render = appointments.views.render
    monkeypatch.setattr(
        appointments.views, "render", lambda *a, **k: rendered.append(a[1]) or real_render(*a, **k)
    )
    settings.APPOINTMENT_MIN_FILL_SECONDS = 0
    visitors = [
        Client(HTTP_X_FORWARDED_PROTO="https", HTTP_HOST="testserver", enforce_csrf_checks=True)
        for _ in range(2)
    ]
    # The English page first: the Spanish one is kept apart from it, not served in its place.
    Client(HTTP_X_FORWARDED_PROTO="https", HTTP_HOST="testserver").get("/contact/")
    pages = [visitor.get("/es/contact/").content.decode() for visitor in visitors]
    for html in pages:
        assert '<html lang="es">' in html and "Enviar mi solicitud" in html
    assert hidden(pages[0], "form_token") != hidden(pages[1], "form_token")
    # Rendered once in each language: the second Spanish visitor got the kept page.
    assert len(rendered) == 2
    response = visitors[1].post(
        "/es/contact/",
        urlencoded(
            {
                **form_data,
                "csrfmiddlewaretoken": hidden(pages[1], "csrfmiddlewaretoken"),
                "form_token": hidden(pages[1], "form_token"),
            }
        ),
        content_type="application/x-www-form-urlencoded",
        HTTP_REFERER="https://testserver/es/contact/",
    )
    assert response.status_code == 302
    assert AppointmentRequest.objects.get().language == "es"


def test_the_spanish_form_reads_naturally(client, site_content):
    """Issue 25, point 15: two surnames are common ("Apellidos"), a part of the day reads "Por
    la mañana", and the promise is "en un plazo de", as the home page says it."""
    html = client.get("/es/contact/").content.decode()
    for words in ("Apellidos", "Por la mañana", "Por la tarde", "Le llamamos en un plazo de"):
        assert words in html, words
    assert "dentro de" not in html


def test_the_spanish_service_cards_say_esketamina(client, site_content):
    for path in ("/es/services/", "/es/"):
        html = client.get(path).content.decode()
        assert "Spravato (esketamina)</a>" in html, path
        assert "esketamine)</a>" not in html, path
        assert "Por ahora, las páginas de cada servicio solo están disponibles en inglés." in html
    assert "Por ahora, nuestros artículos solo están disponibles en inglés." in html  # /es/
