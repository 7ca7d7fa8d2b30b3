"""A request in crisis language is read first: it is flagged urgent, sorts first in the triage
list, says "Urgent" in the staff e-mail, and the patient sees 988 and 911 before anything else."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from appointments.models import AppointmentRequest, AuditEntry

from .factories import make_request

LIST = reverse("admin:appointments_appointmentrequest_changelist")


@pytest.mark.django_db
def test_crisis_language_marks_the_request_urgent_and_the_patient_sees_988_and_911_first(
    client, submit, settings, django_capture_on_commit_callbacks, run_tasks
):
    settings.APPOINTMENT_NOTIFY_EMAILS = ["front-desk@clinic.example"]
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(message="Feeling really HOPELESS... I can't go on like this")
    request = AppointmentRequest.objects.get()
    assert request.urgent
    assert request.urgent_reasons == ["no_way_forward"]

    assert response["Location"] == "/contact/thanks/"  # nothing in the URL says why
    html = client.get("/contact/thanks/").content.decode()
    main = html.split("<main", 1)[1]
    first_heading = re.search(r"<h1[^>]*>(.*?)</h1>", main, re.S)[1]
    assert "In crisis" in first_heading
    assert (
        main.index('href="tel:988"') < main.index('href="tel:911"') < main.index(request.reference)
    )

    run_tasks()
    staff = mail.outbox[0]
    assert staff.subject == f"Urgent: New evaluation request {request.reference}"
    for phi in ("Ann", "Example", "ann@example.org", "HOPELESS", "hopeless", "go on", "reason"):
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
    # The badge, and why: the kind of statement, not the patient's words.
    assert html.count('class="urgent-badge"') == 1
    assert re.search(
        r'<span class="urgent-badge" title="Urgent: suicide or killing oneself">Urgent</span> '
        r'<small class="urgent-reasons">suicide or killing oneself</small>',
        html,
    )

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
