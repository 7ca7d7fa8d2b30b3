"""The safety net, in each language (issue 20): a patient on a phone answers yes to the form's
safety question and sends it; the thank-you page leads with crisis help; the front desk signs in
and finds the request first in the list, with why; the staff e-mail says Urgent and holds no
patient details."""

from datetime import timedelta

import pytest
from django.core import mail
from playwright.sync_api import expect

from appointments.models import AppointmentRequest
from tests.appointments.factories import make_request

from .conftest import sign_in_with_code, staff_device

pytestmark = pytest.mark.django_db(transaction=True)

WORDS = {
    "en": {
        "path": "/contact/",
        "first name": "First name",
        "last name": "Last name",
        "phone": "Phone number",
        "call": "Phone call",
        "morning": "Morning",
        "new": "New patient",
        "consent": "I agree to be contacted",
        "question": "Over the last 2 weeks, have you had thoughts that you would be better off "
        "dead, or of hurting yourself in some way? (optional)",
        "yes": "Yes",
        "send": "Send my request",
        "crisis": "In crisis? Get help now",
        "received": "We have received your request",
        "name": ("Ann", "Example"),
    },
    "es": {
        "path": "/es/contact/",
        "first name": "Nombre",
        "last name": "Apellidos",
        "phone": "Número de teléfono",
        "call": "Llamada telefónica",
        "morning": "Por la mañana",
        "new": "Paciente nuevo",
        "consent": "Acepto que la clínica me contacte",
        "question": "Durante las últimas 2 semanas, ¿ha tenido pensamientos de que estaría mejor "
        "muerto(a) o de lastimarse de alguna manera? (opcional)",
        "yes": "Sí",
        "send": "Enviar mi solicitud",
        "crisis": "¿Está en crisis? Pida ayuda ahora",
        "received": "Hemos recibido su solicitud",
        "name": ("Ana", "Ejemplo"),
    },
}


@pytest.mark.parametrize("language", WORDS)
def test_a_yes_to_the_safety_question_reaches_the_front_desk_first(
    site, phone, staff_roles, new_context, run_worker, settings, screenshot, language
):
    settings.APPOINTMENT_NOTIFY_EMAILS = ["front-desk@clinic.example"]
    words = WORDS[language]
    first, last = words["name"]
    # Requests already waiting, one of them overdue: the new one still comes first.
    make_request(first_name="Olga", last_name="Old", age=timedelta(days=5))
    make_request(first_name="Tom", last_name="Fresh", age=timedelta(hours=1))

    page = phone
    page.goto(site + words["path"])
    page.get_by_label(words["first name"], exact=True).fill(first)
    page.get_by_label(words["last name"], exact=True).fill(last)
    page.get_by_label(words["phone"], exact=True).fill("(772) 555-0123")
    page.get_by_label(words["call"]).check()
    page.get_by_label(words["morning"], exact=True).check()
    page.get_by_label(words["new"]).check()
    question = page.get_by_role("group", name=words["question"])
    expect(question.get_by_role("radio")).to_have_count(3)
    for radio in question.get_by_role("radio").all():
        expect(radio).not_to_be_checked()  # none chosen at first
    question.get_by_label(words["yes"], exact=True).check()
    page.get_by_label(words["consent"]).check()
    screenshot(page, f"{language}-1-question")
    page.get_by_role("button", name=words["send"]).click()

    # Crisis help first: the page's heading, then the numbers, then the request.
    expect(page.get_by_role("heading", level=1)).to_have_text(words["crisis"])
    expect(page.get_by_role("link", name="988").first).to_be_in_viewport()
    expect(page.get_by_role("heading", level=2, name=words["received"])).to_be_visible()
    reference = page.locator(".reference").inner_text()
    screenshot(page, f"{language}-2-thanks")
    request = AppointmentRequest.objects.get(reference=reference)
    assert (request.safety_answer, request.urgent, request.language) == ("yes", True, language)

    # The staff e-mail: Urgent, the reference, nothing the patient typed or answered.
    run_worker()
    (staff,) = [m for m in mail.outbox if m.to == ["front-desk@clinic.example"]]
    assert staff.subject == f"Urgent: New evaluation request {reference}"
    headers = staff.message()
    del headers["Message-ID"], headers["Date"]
    everything = headers.as_string()
    for phi in (first, last, "555-0123", "5550123", "safety", "better off dead", "mejor muerto"):
        assert phi not in everything

    # The front desk: first in the list, and why.
    device = staff_device()
    desk = new_context(viewport={"width": 1440, "height": 900}).new_page()
    sign_in_with_code(desk, site, device)
    desk.goto(site + "/admin/appointments/appointmentrequest/")
    rows = desk.locator("#result_list tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text(f"{first} {last}")
    expect(rows.first.locator(".urgent-badge")).to_have_text("Urgent")
    expect(rows.first.locator(".urgent-reasons")).to_have_text(
        "answered yes to the safety question"
    )
    screenshot(desk, f"{language}-3-front-desk")
    rows.first.get_by_role("link", name=reference).click()
    expect(desk.locator(".field-flagged_because")).to_contain_text(
        "answered yes to the safety question"
    )
    expect(desk.locator(".field-safety_question")).to_contain_text("Yes")
    screenshot(desk, f"{language}-4-request")
