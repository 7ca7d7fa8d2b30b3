"""A clinician refers a patient through /refer/: the request lands in the same queue, marked as a
referral with the referrer shown; the referrer is acknowledged, and no e-mail names the patient
or their medicines. (Bad input, rate limit and body limits: test_spam_and_bad_input.py,
test_rate_limit.py and tests/clinic_site/test_request_limits.py run against both forms.)"""

import re
from datetime import date, datetime, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from appointments.models import AppointmentRequest, QueueRank
from appointments.report import Period, reply_report

from .conftest import send
from .factories import make_request

pytestmark = pytest.mark.django_db

LIST = reverse("admin:appointments_appointmentrequest_changelist")
HISTORY = {
    "trial1-medicine": "Escitalopram (Lexapro)",
    "trial1-duration": "over3m",
    "trial1-helped": "no",
    "trial2-medicine": "Duloxetine (Cymbalta)",
    "trial2-duration": "6w-3m",
    "trial2-stopped_because": "side_fx",
}


@pytest.fixture
def refer(client, referral_data):
    """Send the referral form, with `changes`, from the test's client."""
    return lambda path="/refer/", **changes: send(client, {**referral_data, **changes}, path)


def errors(response):
    summary = response.content.decode().split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    return re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)


def test_the_referral_form_asks_what_a_referral_needs(client):
    response = client.get("/refer/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Refer a patient</h1>" in html
    for label in ("Your name", "Practice or clinic", "Your phone number",
                  "Your fax number (optional)", "Your email address (optional)",
                  "Patient&#x27;s first name", "Patient&#x27;s phone number", "Referred for",
                  "Diagnosis (optional)", "Reason for referral", "Medicine 1",
                  "Who will manage the patient&#x27;s oral antidepressant? (optional)",
                  "The patient knows about this referral"):  # fmt: skip
        assert label in html, label
    # Crisis lines first, as on the patients' form.
    assert html.index('href="tel:988"') < html.index("<form")
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


def test_the_frame_is_in_spanish_at_es_refer(client):
    html = client.get("/es/refer/").content.decode()
    assert "<h1>Derivar a un paciente</h1>" in html
    assert "Medicamento 1" in html
    assert 'action="/es/refer/"' in html


def test_a_referral_lands_in_the_queue_marked_with_the_referrer(client, refer):
    response = refer(**HISTORY)
    assert response.status_code == 302
    assert response["Location"] == "/refer/thanks/"
    request = AppointmentRequest.objects.get()
    assert request.source == AppointmentRequest.Source.REFERRAL
    assert (request.referrer_name, request.referrer_practice) == (
        "Dr. Rosa Referrer, MD",
        "Stuart Family Medicine",
    )
    assert request.referrer_phone == "+17725550199"
    assert request.referrer_email == "rosa@practice.example"
    assert request.diagnosis.startswith("Major depressive disorder")
    assert request.antidepressant_managed_by == "referrer"
    # The clinic calls the patient, as for any request.
    assert (request.phone, request.contact_method) == ("+17725550123", "phone")
    assert request.status == "new" and not request.urgent
    medicines = list(request.treatment_trials.values_list("medicine", flat=True))
    assert medicines == ["Escitalopram (Lexapro)", "Duloxetine (Cymbalta)"]

    html = client.get("/refer/thanks/").content.decode()
    assert request.reference in html
    assert "call the patient within one business day" in html
    assert "Ann" not in html.split("<main", 1)[1]  # the page does not repeat the patient's name


def test_a_patients_request_is_marked_as_the_patients(submit):
    submit()
    assert AppointmentRequest.objects.get().source == AppointmentRequest.Source.PATIENT


def test_the_referrer_is_acknowledged_and_no_email_names_the_patient_or_medicines(
    refer, run_worker, settings
):
    settings.APPOINTMENT_NOTIFY_EMAILS = ["front-desk@clinic.example"]
    refer(**HISTORY, email="ann@example.org", insurance="Acme Health")
    run_worker()
    request = AppointmentRequest.objects.get()
    by_recipient = {tuple(message.to): message for message in mail.outbox}
    # The referrer and staff; the patient hears from the clinic by phone, not by e-mail.
    assert set(by_recipient) == {("rosa@practice.example",), ("front-desk@clinic.example",)}
    acknowledgement = by_recipient["rosa@practice.example",]
    assert request.reference in acknowledgement.subject
    assert "we received your referral" in acknowledgement.subject
    assert "call the patient within one business day" in " ".join(acknowledgement.body.split())
    assert by_recipient["front-desk@clinic.example",].subject == (
        f"New referral {request.reference}"
    )
    for message in mail.outbox:
        text = " ".join([message.subject, message.body, *message.to])
        for phi in ("Ann", "Example", "ann@example.org", "5550123", "Escitalopram", "Lexapro",
                    "Duloxetine", "depressive", "F33", "Acme", "Two adequate trials"):  # fmt: skip
            assert phi not in text, (phi, message.subject)


def test_a_referral_in_spanish_is_acknowledged_in_spanish(refer, run_worker):
    refer(path="/es/refer/")
    run_worker()
    (acknowledgement,) = mail.outbox
    assert "hemos recibido su derivación" in acknowledgement.subject


def test_without_an_email_the_referrer_gets_no_acknowledgement_but_a_fax_will_do(refer, run_worker):
    assert refer(referrer_email="", referrer_fax="772-555-0100").status_code == 302
    assert AppointmentRequest.objects.get().referrer_fax == "+17725550100"
    run_worker()
    assert mail.outbox == []


def test_the_referrer_must_leave_a_fax_or_an_email_for_our_reply(refer):
    response = refer(referrer_email="", referrer_fax="")
    assert response.status_code == 400
    assert errors(response) == [
        ("id_referrer_email", "Enter your email address or fax number, for our reply.")
    ]


def test_what_a_referral_cannot_do_without(refer):
    response = refer(referrer_name="", referrer_practice="", referrer_phone="", phone="",
                     message="", consent_contact="")  # fmt: skip
    assert [target for target, _ in errors(response)] == [
        "id_referrer_name",
        "id_referrer_practice",
        "id_referrer_phone",
        "id_phone",
        "id_message",
        "id_consent_contact",
    ]
    assert AppointmentRequest.objects.count() == 0


@pytest.mark.parametrize(
    "field",
    ["referrer_name", "referrer_practice", "referrer_phone", "referrer_email", "diagnosis",
     "first_name", "message", "trial1-medicine"],
)  # fmt: skip
def test_invisible_formatting_characters_are_refused_in_the_referrers_fields(refer, field):
    typed = {"referrer_phone": "7725550199", "referrer_email": "rosa@practice.example"}.get(
        field, "Sertraline"
    )
    response = refer(**{field: typed[:2] + "\u202e" + typed[2:]})
    assert response.status_code == 400
    assert errors(response) == [
        (
            f"id_{field}",
            "Remove the invisible formatting characters (such as direction marks or zero-width "
            "spaces); they may have come with copied text.",
        )
    ]
    assert AppointmentRequest.objects.count() == 0


def test_crisis_language_in_the_reason_puts_the_referral_first(client, refer):
    refer(message="He told me last week he wants to end his life.")
    request = AppointmentRequest.objects.get()
    assert request.urgent and request.queue_rank == QueueRank.URGENT
    html = client.get("/refer/thanks/").content.decode()
    assert "your referral goes to the top of our list" in html
    assert "call 911" in html


def test_the_front_desk_finds_referrals_under_their_own_filter_with_the_referrer_one_tap_away(
    refer, make_staff, signed_in
):
    patient = make_request(first_name="Paula", last_name="Patient")
    refer(**HISTORY)
    referral = AppointmentRequest.objects.get(source="referral")
    desk = signed_in(make_staff())
    listed = desk.get(LIST, {"source__exact": "referral"}).content.decode()
    assert "Referral" in desk.get(LIST).content.decode()  # the filter is offered
    assert referral.reference in listed and patient.reference not in listed

    html = desk.get(referral.get_admin_url()).content.decode()
    assert "Referred by" in html
    assert '<a href="tel:+17725550199" class="phone">(772) 555-0199</a>' in html
    assert "Dr. Rosa Referrer, MD" in html and "Stuart Family Medicine" in html
    assert "I will keep managing it" in html
    assert "2 trials reported" in html
    assert "Referred by" not in desk.get(patient.get_admin_url()).content.decode()


def test_the_reply_time_report_counts_referrals_apart(refer, settings):
    settings.TIME_ZONE = "America/New_York"
    make_request()
    refer()
    monday = timezone.make_aware(datetime(2026, 11, 16, 10))
    AppointmentRequest.objects.update(created_at=monday)
    report = reply_report(
        Period(date(2026, 11, 16), date(2026, 11, 22)), now=monday + timedelta(days=1)
    )
    sources = dict(report.groups("source"))
    assert (sources["Patient"].requests, sources["Referral"].requests) == (1, 1)
