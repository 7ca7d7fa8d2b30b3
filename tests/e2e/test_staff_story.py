"""A front-desk member of staff signs in with a one-time code and triages a new request."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from appointments.models import AppointmentRequest, AuditEntry, Note
from tests.appointments.factories import make_request

from .conftest import sign_in_with_code, staff_device

pytestmark = pytest.mark.django_db(transaction=True)

PATIENT_FIELDS = AppointmentRequest.PATIENT_FIELDS


def test_front_desk_signs_in_with_a_code_and_triages_a_new_spravato_request(
    site, staff_roles, page, screenshot
):
    device = staff_device()
    wanted = make_request(
        first_name="Maria", last_name="Lopez", service="spravato", age=timedelta(hours=3)
    )
    make_request(first_name="Tom", service="tms")
    make_request(first_name="Sam", service="spravato", status="contacted")
    before = {field: getattr(wanted, field) for field in PATIENT_FIELDS}

    sign_in_with_code(page, site, device)

    expect(page.get_by_text("new requests")).to_be_visible()  # counts on arrival
    screenshot(page, "1-index")
    page.get_by_role("link", name="Appointment requests", exact=True).first.click()
    page.get_by_role("link", name="New", exact=True).click()
    page.get_by_role("link", name="Spravato (esketamine) evaluation", exact=True).click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Maria Lopez")
    screenshot(page, "2-filtered")

    rows.first.get_by_role("link", name=wanted.reference).click()
    expect(page.get_by_text("Maria", exact=True)).to_be_visible()
    page.locator("#id_notes-0-text").fill("Called Maria, left a voicemail about Thursday.")
    page.get_by_label("Status:").select_option("contacted")
    page.get_by_role("button", name="Save", exact=True).first.click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    screenshot(page, "3-saved")

    wanted.refresh_from_db()
    assert wanted.status == "contacted"
    assert Note.objects.get(request=wanted).author == device.user
    assert {field: getattr(wanted, field) for field in PATIENT_FIELDS} == before
    actions = list(
        AuditEntry.objects.filter(reference=wanted.reference)
        .order_by("at", "pk")
        .values_list("action", flat=True)
    )
    assert actions == ["viewed", "changed", "note"]

    # The request's page shows the step in its history; the audit trail is the clinical
    # lead's to read, not the front desk's.
    page.get_by_role("link", name=wanted.reference).first.click()
    expect(page.get_by_role("heading", name="Status history")).to_be_visible()
    expect(page.get_by_text("Called Maria, left a voicemail about Thursday.")).to_be_visible()
    expect(page.locator("table.audit-trail")).to_have_count(0)
    assert AppointmentRequest.objects.get(pk=wanted.pk).first_name == "Maria"
