"""A request in crisis language is read first: it is flagged urgent, sorts first in the triage
list, says "Urgent" in the staff e-mail, and the patient sees 988 and 911 before anything else."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from appointments.crisis_terms import mentions_crisis
from appointments.models import AppointmentRequest, AuditEntry

from .factories import make_request

LIST = reverse("admin:appointments_appointmentrequest_changelist")

MUST_FLAG = [
    # English, plain
    "I have been thinking about suicide",
    "I feel suicidal most nights",
    "sometimes I want to kill myself",
    "I have a history of self-harm",
    "I hurt myself last week",
    "I took an overdose in March",
    "I feel like there is no reason to live",
    "I just want to end it all",
    "I want to die",
    "my family would be better off dead without me, I mean I'd be better off dead",
    "I can't go on like this",
    "Feeling really hopeless… need to talk to someone soon",
    "nothing to live for anymore",
    "I don't want to be alive",
    # English, case, punctuation and typos
    "SUICIDAL THOUGHTS",
    "Suicidee thoughts",
    "thinking of killlling myself",
    "self harm",
    "selfharm",
    "self--harm!!",
    "kill. my. self",
    "I cant go on",
    "I can’t go on",  # typographic apostrophe
    "hopelesssss",
    "OVERDOSED twice",
    "end-it-all",
    # Spanish
    "He pensado en el suicidio",
    "quiero suicidarme",
    "a veces pienso en matarme",
    "he pensado en quitarme la vida",
    "tengo miedo de hacerme daño",
    "tomé una sobredosis",
    "no quiero vivir",
    "quiero acabar con todo",
    "me siento sin esperanza",
    # Spanish, accents, case and typos
    "QUITARME LA VÍDA",
    "hacerme dano",
    "Suicídio",
    "me quiero morir!!!",
    "ya no puedo más",
]

MUST_NOT_FLAG = [
    "",
    "I would like to know if Spravato is covered by my insurance.",
    "Please call me after 3 pm, I work mornings.",
    "My doctor referred me for TMS therapy.",
    "Sending again because I did not hear back.",
    "Can I bring my wife to the first appointment?",
    "I have tried two antidepressants and they did not help much.",
    "Do you have parking near the office?",
    "My skill with computers is limited, so please phone me.",
    "Hola, quisiera información sobre el tratamiento con Spravato.",
    "¿Aceptan el seguro Blue Cross? Gracias.",
    "Prefiero que me llamen por la tarde.",
    "Mi médico me recomendó la terapia TMS.",
    "I live about 20 minutes away in Port St. Lucie.",
    "I want to live a fuller life and get back to work.",
]


@pytest.mark.parametrize("text", MUST_FLAG)
def test_crisis_language_is_found_however_it_is_written(text):
    assert mentions_crisis(text)


@pytest.mark.parametrize("text", MUST_NOT_FLAG)
def test_ordinary_messages_are_not_flagged(text):
    assert not mentions_crisis(text)


def test_the_tables_are_big_enough():
    assert len(MUST_FLAG) >= 30 and len(MUST_NOT_FLAG) >= 15


@pytest.mark.django_db
def test_crisis_language_marks_the_request_urgent_and_the_patient_sees_988_and_911_first(
    client, submit, settings, django_capture_on_commit_callbacks, run_worker
):
    settings.APPOINTMENT_NOTIFY_EMAILS = ["front-desk@clinic.example"]
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(message="Feeling really HOPELESS... need to talk to someone soon")
    request = AppointmentRequest.objects.get()
    assert request.urgent

    assert response["Location"] == "/contact/thanks/"  # nothing in the URL says why
    html = client.get("/contact/thanks/").content.decode()
    main = html.split("<main", 1)[1]
    first_heading = re.search(r"<h1[^>]*>(.*?)</h1>", main, re.S)[1]
    assert "In crisis" in first_heading
    assert (
        main.index('href="tel:988"') < main.index('href="tel:911"') < main.index(request.reference)
    )

    run_worker()
    staff = mail.outbox[0]
    assert staff.subject == f"Urgent: New evaluation request {request.reference}"
    for phi in ("Ann", "Example", "ann@example.org", "HOPELESS", "hopeless", "someone soon"):
        assert phi not in staff.subject + staff.body


@pytest.mark.django_db
def test_an_ordinary_request_thanks_first_and_is_not_urgent(client, submit):
    submit(message="Is parking available?")
    assert not AppointmentRequest.objects.get().urgent
    html = client.get("/contact/thanks/").content.decode()
    assert "<h1>Thank you. We have received your request</h1>" in html


@pytest.mark.django_db
def test_urgent_requests_sort_first_with_a_badge_and_count_on_the_index(make_staff, signed_in):
    browser = signed_in(make_staff())
    older_urgent = make_request(message="I want to end it all")
    for _ in range(3):
        make_request(message="Just a question about insurance")
    html = browser.get(LIST).content.decode()
    first_row = re.search(rf'<a href="{re.escape(LIST)}(\d+)/change/', html)[1]
    assert first_row == str(older_urgent.pk)
    assert html.count('<span class="urgent-badge">Urgent</span>') == 1

    index = browser.get(reverse("admin:index")).content.decode()
    assert re.search(r"<strong>1</strong> urgent", index)
    assert older_urgent.reference in browser.get(f"{LIST}?urgent__exact=1").content.decode()


@pytest.mark.django_db
def test_staff_clear_the_flag_and_it_is_audited(make_staff, signed_in):
    user = make_staff()
    browser = signed_in(user)
    request = make_request(message="sobredosis")
    assert request.urgent
    browser.post(LIST, {"action": "clear_urgent", "_selected_action": [request.pk]})
    request.refresh_from_db()
    assert not request.urgent
    entry = AuditEntry.objects.get(reference=request.reference, action="changed")
    assert entry.actor == user and entry.detail == "urgent → cleared"
    # Clearing it again changes nothing and records nothing.
    assert not request.clear_urgent(user)
    assert AuditEntry.objects.filter(reference=request.reference).count() == 1
