"""Se habla español: a patient switches the site to Spanish on a phone, reads the Spravato page,
sends a request with a mistake, puts it right (the button says "Enviando…" while it goes), asks
to be called in Spanish, and gets the thank-you page and the acknowledgement in Spanish; the
front desk sees the call preference in the list, on the request's page and in its e-mail.

The form, the thank-you page and the e-mail are asserted word for word (their Spanish is this
app's); the other pages by their lang="es", their address and a few of their Spanish words."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from appointments.models import AppointmentRequest

from .conftest import sign_in_with_code, staff_device

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_patient_requests_an_evaluation_in_spanish_and_staff_see_es(
    site, phone, staff_roles, new_context, run_worker, screenshot, settings
):
    settings.APPOINTMENT_NOTIFY_EMAILS = ["front-desk@clinic.example"]
    page = phone
    page.goto(site + "/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    # The language switch is a plain link.
    page.locator("a.language-switch[hreflang=es]").click()
    expect(page).to_have_url(site + "/es/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    screenshot(page, "1-home-es")

    # Servicios, then Spravato: the page's frame in Spanish, its clinical text in English (so
    # marked), with one plain sentence saying so.
    page.get_by_role("navigation", name="Principal").get_by_role("link", name="Servicios").click()
    expect(page).to_have_url(site + "/es/services/")
    page.locator('main a[href="/es/services/spravato/"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(
        page.get_by_text("Por ahora, este texto solo está disponible en inglés.")
    ).to_be_visible()
    expect(page.locator(".article-body")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="¿Está en crisis? Pida ayuda ahora")).to_be_visible()
    screenshot(page, "2-spravato-es")
    page.locator('main a[href^="/es/contact/"]').first.click()
    expect(page).to_have_url(re.compile(r"/es/contact/(\?service=spravato)?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Solicitar una evaluación")

    # A mistake: the first name left empty.
    page.get_by_label("Apellidos", exact=True).fill("Ejemplo")
    page.get_by_label("Dirección de correo electrónico", exact=True).fill("ana@example.org")
    page.get_by_label("Número de teléfono", exact=True).fill("(772) 555-0123")
    page.get_by_label("Llamada telefónica").check()
    page.get_by_label("Por la mañana", exact=True).check()
    # The call in Spanish: the Spanish form starts with it chosen, and says honestly what the
    # clinic can promise (clinic.toml confirms nothing yet).
    expect(page.get_by_label("Español", exact=True)).to_be_checked()
    expect(page.get_by_text("Todavía no podemos garantizar")).to_be_visible()
    page.get_by_label("¿Qué servicio le interesa?").select_option("spravato")
    page.get_by_label("Paciente nuevo").check()
    page.get_by_label("Acepto que la clínica me contacte").check()
    page.get_by_role("button", name="Enviar mi solicitud").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Hay un problema con su solicitud")
    expect(summary.get_by_role("link", name="Escriba su nombre.")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    screenshot(page, "3-error-es")
    assert AppointmentRequest.objects.count() == 0

    page.get_by_label("Nombre", exact=True).fill("Ana")
    # While it goes, the button says so in Spanish (the JavaScript catalogue's word). The send
    # is held here long enough to read it (a listener after the site's own cancels it), then
    # made.
    form = page.locator("form[data-once]")
    form.evaluate("form => form.addEventListener('submit', (event) => event.preventDefault())")
    page.get_by_role("button", name="Enviar mi solicitud").click()
    expect(form.locator("button[type=submit]")).to_have_text("Enviando…")
    with page.expect_navigation():
        form.evaluate("form => form.submit()")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Gracias. Hemos recibido su solicitud"
    )
    expect(page).to_have_url(site + "/es/contact/thanks/")
    reference = page.locator(".reference").inner_text()
    screenshot(page, "4-thanks-es")
    request = AppointmentRequest.objects.get()
    assert (request.reference, request.language, request.first_name) == (reference, "es", "Ana")
    assert request.call_language == "es"

    # The worker sends the acknowledgement, in Spanish.
    run_worker()
    (ack,) = [message for message in mail.outbox if message.to == ["ana@example.org"]]
    assert ack.subject.endswith(f": recibimos su solicitud ({reference})")
    assert ack.body.startswith("Hola:\n")
    assert f"Su número de referencia: {reference}" in ack.body
    assert "Ana" not in ack.body + ack.subject
    # The front desk's e-mail: which language to call in, and still nothing the patient typed.
    (staff,) = [message for message in mail.outbox if message.to == ["front-desk@clinic.example"]]
    assert "Preferred language: Spanish\n" in staff.body
    assert "Ana" not in staff.body

    # The front desk, in English, sees the language to call in, in the list.
    device = staff_device()
    desk = new_context(viewport={"width": 1440, "height": 900}).new_page()
    sign_in_with_code(desk, site, device)
    desk.goto(site + "/admin/appointments/appointmentrequest/")
    row = desk.locator("#result_list tbody tr", has_text=reference)
    expect(row.locator(".contact-pref")).to_contain_text("Spanish")
    desk.get_by_role("link", name="Español").click()
    expect(desk).to_have_url(re.compile(r"language__exact=es"))
    expect(desk.locator("#result_list tbody tr")).to_have_count(1)
    screenshot(desk, "5-admin-es")
    # And on the request's page, beside how to reach the patient.
    desk.locator("#result_list tbody tr").get_by_role("link", name=reference).click()
    expect(desk.locator(".field-call_language")).to_contain_text("Preferred language:")
    expect(desk.locator(".field-call_language .readonly")).to_have_text("Spanish")
    screenshot(desk, "6-admin-request-es")
