"""The form asks everyone one direct, optional safety question (PHQ-9 item 9). A yes marks the
request urgent with that reason for staff, and the thank-you page leads with crisis help; the
answer stays in the database and the admin, never in an e-mail."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from appointments.models import URGENT_REASONS, AppointmentRequest

from .conftest import send
from .factories import make_request

pytestmark = pytest.mark.django_db

QUESTION = (
    "Over the last 2 weeks, have you had thoughts that you would be better off dead, or of "
    "hurting yourself in some way? (optional)"
)
PREGUNTA = (
    "Durante las últimas 2 semanas, ¿ha tenido pensamientos de que estaría mejor muerto(a) o de "
    "lastimarse de alguna manera? (opcional)"
)
LIST = reverse("admin:appointments_appointmentrequest_changelist")


def radios(html):
    return re.findall(r'<input type="radio"[^>]* name="safety_answer"[^>]*>', html)


@pytest.mark.parametrize(
    ("path", "question", "answers"),
    [
        ("/contact/", QUESTION, ["Yes", "No", "I&#x27;d rather not say"]),
        ("/es/contact/", PREGUNTA, ["Sí", "No", "Prefiero no decirlo"]),
    ],
)
def test_the_question_is_asked_in_each_language_with_nothing_chosen(
    client, path, question, answers
):
    html = client.get(path).content.decode()
    fieldset = html.split('id="div_id_safety_answer"', 1)[1].split("</fieldset>", 1)[0]
    assert re.search(rf"<legend[^>]*>\s*{re.escape(question)}\s*</legend>", fieldset)
    inputs = radios(html)
    assert [re.search(r'value="([^"]+)"', i)[1] for i in inputs] == ["yes", "no", "declined"]
    assert not any("checked" in i or "required" in i for i in inputs)
    for answer in answers:
        assert re.search(rf">\s*{re.escape(answer)}\s*</label>", fieldset)


def test_yes_marks_the_request_urgent_with_its_reason_and_crisis_help_comes_first(client, submit):
    submit(safety_answer="yes", message="Is Spravato covered by Aetna?")
    request = AppointmentRequest.objects.get()
    assert (request.safety_answer, request.urgent) == ("yes", True)
    assert request.urgent_reasons == ["safety_question"]
    main = client.get("/contact/thanks/").content.decode().split("<main", 1)[1]
    assert "In crisis" in re.search(r"<h1[^>]*>(.*?)</h1>", main, re.S)[1]
    assert main.index('href="tel:988"') < main.index(request.reference)


@pytest.mark.parametrize("answer", ["no", "declined", None])
def test_no_rather_not_say_and_no_answer_do_not_flag_a_request_by_themselves(
    client, submit, answer
):
    assert submit(safety_answer=answer).status_code == 302
    request = AppointmentRequest.objects.get()
    assert request.safety_answer == (answer or "")
    assert (request.urgent, request.urgent_reasons) == (False, [])
    assert "<h1>Thank you. We have received your request</h1>" in (
        client.get("/contact/thanks/").content.decode()
    )


def test_no_does_not_hide_crisis_language_in_the_message(submit):
    submit(safety_answer="no", message="I've been saving up my pills")
    request = AppointmentRequest.objects.get()
    assert (request.urgent, request.urgent_reasons) == (True, ["plan"])


def test_yes_and_crisis_language_give_both_reasons(submit):
    submit(safety_answer="yes", message="Everyone would be better off without me")
    assert AppointmentRequest.objects.get().urgent_reasons == ["safety_question", "burden"]


def test_an_answer_that_is_not_a_choice_is_refused(submit):
    response = submit(safety_answer="maybe")
    assert response.status_code == 400
    assert "Choose yes, no or I&#x27;d rather not say." in response.content.decode()
    assert AppointmentRequest.objects.count() == 0


def test_spanish_yes_flags_the_request_too(client, form_data):
    response = send(client, {**form_data, "safety_answer": "yes"}, path="/es/contact/")
    assert response["Location"] == "/es/contact/thanks/"
    request = AppointmentRequest.objects.get()
    assert (request.language, request.urgent, request.urgent_reasons) == (
        "es",
        True,
        ["safety_question"],
    )


def test_staff_see_the_answer_and_why_it_was_flagged(make_staff, signed_in):
    browser = signed_in(make_staff())
    yes = make_request(safety_answer="yes", message="I've been saving my pills")
    unanswered = make_request(message="Do you take Medicare?")
    page = browser.get(yes.get_admin_url()).content.decode()
    assert re.search(r"Flagged because:.*?answered yes to the safety question; plan, method or "
                     r"preparations", page, re.S)  # fmt: skip
    assert re.search(r"Safety question: thoughts of being better off dead.*?Yes</div>", page, re.S)
    page = browser.get(unanswered.get_admin_url()).content.decode()
    assert re.search(r"Safety question: .*?Not answered</div>", page, re.S)
    assert re.search(r"Flagged because:.*?Not flagged</div>", page, re.S)
    listing = browser.get(LIST).content.decode()
    assert (
        '<small class="urgent-reasons">answered yes to the safety question; plan, method or '
        "preparations</small>" in listing
    )


def test_an_old_flag_without_reasons_says_so_and_a_cleared_flag_keeps_its_reasons(
    make_staff, signed_in
):
    user = make_staff()
    browser = signed_in(user)
    old = make_request(urgent=True)  # flagged before reasons were kept
    assert old.urgent_reasons == []
    assert "reason not recorded" in browser.get(old.get_admin_url()).content.decode()
    flagged = make_request(safety_answer="yes")
    flagged.clear_urgent(user)
    page = browser.get(flagged.get_admin_url()).content.decode()
    assert "answered yes to the safety question (flag cleared)" in page


def test_the_answer_and_the_reasons_are_in_no_e_mail(
    submit, settings, django_capture_on_commit_callbacks, run_tasks
):
    settings.APPOINTMENT_NOTIFY_EMAILS = ["front-desk@clinic.example"]
    with django_capture_on_commit_callbacks(execute=True):
        submit(safety_answer="yes", message="I wrote a goodbye note")
    run_tasks()
    request = AppointmentRequest.objects.get()
    staff, patient = mail.outbox
    assert staff.subject == f"Urgent: New evaluation request {request.reference}"
    assert patient.to == ["ann@example.org"]
    for message in (staff, patient):
        text = (message.subject + message.body).lower()
        for words in ("safety", "better off dead", "goodbye", "note", *URGENT_REASONS.values()):
            assert words not in text, (words, message.subject)
