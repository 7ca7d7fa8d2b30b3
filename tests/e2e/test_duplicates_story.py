"""A patient who heard nothing writes again from a phone, typing the name without its accent;
the front desk finds both requests under "Possible duplicates" and by the name typed either
way, on a desktop screen."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from appointments.models import AppointmentRequest
from tests.appointments.factories import make_request

from .conftest import sign_in_with_code, staff_device

pytestmark = pytest.mark.django_db(transaction=True)


def rows(page):
    return page.locator("#result_list tbody tr")


def test_a_patient_writing_again_is_found_as_a_possible_duplicate_and_by_name(
    site, phone, staff_roles, new_context, screenshot
):
    first = make_request(
        first_name="Inés", last_name="Ramírez", phone="+17725550123", age=timedelta(days=6)
    )
    make_request(first_name="Tom", last_name="Stranger", age=timedelta(days=2))

    page = phone
    page.goto(site + "/contact/?service=spravato")
    page.get_by_label("First name", exact=True).fill("Ines")
    page.get_by_label("Last name", exact=True).fill("Ramirez")
    page.get_by_label("Phone number", exact=True).fill("(772) 555-0123")
    page.get_by_label("Phone call").check()
    page.get_by_label("Morning", exact=True).check()
    page.get_by_label("New patient").check()
    page.get_by_label("I agree to be contacted").check()
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("We have received your request")
    again = AppointmentRequest.objects.exclude(pk=first.pk).get(last_name="Ramirez")

    desk = new_context(viewport={"width": 1440, "height": 900}).new_page()
    sign_in_with_code(desk, site, staff_device())
    desk.goto(site + "/admin/appointments/appointmentrequest/")
    desk.get_by_role("link", name="Possible duplicates").click()
    expect(rows(desk)).to_have_count(2)
    for request in (first, again):
        expect(desk.locator("#result_list")).to_contain_text(request.reference)
    expect(desk.locator("#result_list")).not_to_contain_text("Stranger")
    screenshot(desk, "1-possible-duplicates")

    for typed in ("Ramirez", "Ramírez"):
        desk.goto(site + "/admin/appointments/appointmentrequest/")
        desk.get_by_label("Search requests").fill(typed)
        desk.get_by_label("Search requests").press("Enter")
        expect(rows(desk)).to_have_count(2)
    screenshot(desk, "2-search")
