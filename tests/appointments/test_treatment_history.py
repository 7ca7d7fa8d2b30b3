"""A patient says which antidepressants they tried, and whether they had therapy: optional rows
on the request form, kept as rows of their own, shown to staff as a table with the number of
trials reported, never in an e-mail, and gone with the request when it is purged."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from appointments import retention
from appointments.models import AppointmentRequest, TreatmentTrial, adequate_trial_count

from .factories import make_request

pytestmark = pytest.mark.django_db

LIST = reverse("admin:appointments_appointmentrequest_changelist")
TWO_MEDICINES = {
    "trial1-medicine": "Sertraline (Zoloft)",
    "trial1-duration": "over3m",
    "trial1-helped": "partly",
    "trial1-stopped_because": "no_help",
    "trial2-medicine": "Bupropion",
    "trial2-duration": "6w-3m",
    "trial2-helped": "no",
    "trial2-stopped_because": "side_fx",
}


def errors(response):
    html = response.content.decode()
    summary = html.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    return re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)


def test_the_form_offers_rows_with_common_names_and_the_therapy_question(client):
    html = client.get("/contact/").content.decode()
    assert "Treatments you have tried (optional)" in html
    assert '<datalist id="antidepressant-names">' in html
    assert '<option value="Sertraline (Zoloft)">' in html
    # Two rows on the screen, four more behind "Add more medicines", which opens without
    # JavaScript; every name can be typed (the list only suggests).
    shown, more = html.split('<details class="more-trials">')
    assert shown.count('list="antidepressant-names"') == 2
    assert more.split("</details>")[0].count('list="antidepressant-names"') == 4
    assert "<summary>Add more medicines</summary>" in more
    for label in ("Medicine 1", "Taken for how long, roughly?", "Did it help?",
                  "Why was it stopped?",
                  "Have you had therapy (talking treatment) for depression?"):  # fmt: skip
        assert label in html
    # Nothing about the history is required.
    assert not re.search(r'name="trial1-[^"]+"[^>]*required', html)


def test_the_rows_are_in_spanish_on_the_spanish_form(client):
    html = client.get("/es/contact/").content.decode()
    assert "Medicamento 1" in html
    assert "Agregar más medicamentos" in html
    assert "¿Ha recibido terapia (psicoterapia) para la depresión?" in html


def test_two_medicines_are_kept_as_rows_in_the_order_typed(submit):
    assert submit(**TWO_MEDICINES, had_therapy="past").status_code == 302
    request = AppointmentRequest.objects.get()
    assert request.had_therapy == "past"
    rows = list(request.treatment_trials.values_list("position", "medicine", "duration"))
    assert rows == [(1, "Sertraline (Zoloft)", "over3m"), (2, "Bupropion", "6w-3m")]


def test_rows_left_empty_make_no_rows_and_a_page_without_them_still_sends(submit):
    # The rows' fields are missing altogether from a page the previous release served.
    assert submit(**{"trial3-medicine": "", "trial3-duration": ""}).status_code == 302
    assert TreatmentTrial.objects.count() == 0
    assert AppointmentRequest.objects.get().had_therapy == ""


def test_a_row_without_the_medicines_name_says_what_to_fix_and_keeps_the_rest(submit):
    response = submit(**{**TWO_MEDICINES, "trial2-medicine": "", "message": "Kept"})
    assert response.status_code == 400
    assert errors(response) == [
        ("id_trial2-medicine", "Enter the medicine&#x27;s name, or leave this row empty.")
    ]
    html = response.content.decode()
    assert 'value="Sertraline (Zoloft)"' in html and "Kept</textarea>" in html
    assert AppointmentRequest.objects.count() == 0


def test_a_row_typed_behind_add_more_stays_in_sight_when_the_form_comes_back(submit):
    response = submit(**{"trial5-medicine": "Fluoxetine", "email": "not-an-address"})
    html = response.content.decode()
    assert '<details class="more-trials" open>' in html
    assert 'value="Fluoxetine"' in html


@pytest.mark.parametrize("char", ["\u202e", "\u200b", "\u2066"])
def test_invisible_characters_in_a_medicines_name_are_refused(submit, char):
    response = submit(**{"trial1-medicine": "Sert" + char + "raline"})
    assert response.status_code == 400
    assert [target for target, _ in errors(response)] == ["id_trial1-medicine"]
    assert AppointmentRequest.objects.count() == 0


def test_crisis_language_typed_as_a_medicine_marks_the_request_urgent(submit):
    submit(**{"trial1-medicine": "I want to kill myself"})
    assert AppointmentRequest.objects.get().urgent


class TestTrialsReported:
    """What "N trials reported" counts: different medicines taken 6 weeks or more, as the
    patient reports (models.adequate_trial_count says why)."""

    @staticmethod
    def trials(*rows):
        return [TreatmentTrial(medicine=name, duration=duration) for name, duration in rows]

    def test_six_weeks_or_more_count_shorter_or_unknown_do_not(self):
        rows = self.trials(
            ("Sertraline", "over3m"), ("Bupropion", "6w-3m"), ("Prozac", "under6w"),
            ("Celexa", "not_sure"), ("Paxil", ""),
        )  # fmt: skip
        assert adequate_trial_count(rows) == 2

    def test_the_same_medicine_twice_is_one_trial(self):
        rows = self.trials(("Sertraline", "over3m"), ("sertraline ", "6w-3m"))
        assert adequate_trial_count(rows) == 1


def test_staff_see_the_history_as_a_table_with_the_trials_reported_by_the_service(
    client, submit, make_staff, signed_in
):
    submit(**TWO_MEDICINES, **{"trial3-medicine": "Prozac", "trial3-duration": "under6w"})
    request = AppointmentRequest.objects.get()
    html = signed_in(make_staff()).get(request.get_admin_url()).content.decode()
    service = html.index("Spravato (esketamine) evaluation")
    reported = html.index("2 trials reported")
    table = html.index('<table class="audit-trail treatment-history">')
    assert service < reported < table
    cells = re.findall(r"<td>([^<]*)</td>", html[table:].split("</table>")[0])
    assert cells == [
        "Sertraline (Zoloft)", "More than 3 months", "A little", "It did not help enough",
        "Bupropion", "6 weeks to 3 months", "No", "Side effects",
        "Prozac", "Less than 6 weeks", "–", "–",
    ]  # fmt: skip
    # Read-only: nothing in the table is a field staff could change.
    assert 'name="trial' not in html and 'name="treatment_trials' not in html


def test_a_request_without_a_history_says_so(make_staff, signed_in):
    request = make_request()
    html = signed_in(make_staff()).get(request.get_admin_url()).content.decode()
    assert "(no treatment history given)" in html
    assert "trials reported" not in html


def test_no_email_carries_the_medicines(submit, run_worker, settings):
    settings.APPOINTMENT_NOTIFY_EMAILS = ["front-desk@clinic.example"]
    submit(**TWO_MEDICINES)
    run_worker()
    assert len(mail.outbox) == 2  # the staff e-mail and the patient's acknowledgement
    for message in mail.outbox:
        text = message.subject + message.body
        for typed in ("Sertraline", "Zoloft", "Bupropion", "trial", "tried"):
            assert typed not in text


def test_the_history_is_purged_with_its_request(submit):
    submit(**TWO_MEDICINES)
    request = AppointmentRequest.objects.get()
    AppointmentRequest.objects.filter(pk=request.pk).update(status="closed")
    report = retention.purge(retention.expired(0, now=request.created_at + timedelta(days=1)))
    assert report.references == [request.reference]
    assert TreatmentTrial.objects.count() == 0


def test_the_clinical_leads_export_lists_the_history_under_its_rules(submit, make_staff, signed_in):
    submit(**TWO_MEDICINES, had_therapy="now")
    request = AppointmentRequest.objects.get()
    lead = signed_in(make_staff("lead", role="Clinical lead"))
    response = lead.post(LIST, {"action": "export_csv", "_selected_action": [request.pk]})
    header, row = list(csv.reader(io.StringIO(response.content.decode())))
    exported = dict(zip(header, row, strict=True))
    assert exported["Antidepressants tried"] == (
        "Sertraline (Zoloft) (More than 3 months, helped: A little, stopped: It did not help "
        "enough); Bupropion (6 weeks to 3 months, helped: No, stopped: Side effects)"
    )
    assert exported["Trials of 6 weeks or more"] == "2"
    assert exported["Therapy for depression"] == "Yes, now"
    assert exported["Source"] == "Patient"
