"""Treatment history and referrals, in a real browser: a patient on a phone lists the
antidepressants they tried, a clinician refers a patient from a desktop, and the front desk
finds both in the admin as the clinic needs them for a first call."""

import pytest
from django.core import mail
from playwright.sync_api import expect

from appointments.models import AppointmentRequest
from tests.appointments.factories import make_request

from .conftest import sign_in_with_code, staff_device

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"width": 1440, "height": 900}


def front_desk(page, site):
    sign_in_with_code(page, site, staff_device())


def test_a_patient_on_a_phone_adds_two_medicines_and_staff_see_two_trials(
    site, phone, staff_roles, new_context, screenshot
):
    page = phone
    page.goto(site + "/contact/?service=tms")
    page.get_by_label("First name", exact=True).fill("Ann")
    page.get_by_label("Last name", exact=True).fill("Example")
    page.get_by_label("Phone number", exact=True).fill("(772) 555-0123")
    page.get_by_label("Phone call").check()
    page.get_by_label("Morning", exact=True).check()
    page.get_by_label("New patient").check()

    first = page.get_by_role("group", name="Medicine 1")
    first.get_by_label("Medicine", exact=True).fill("Sertraline (Zoloft)")
    first.get_by_label("Taken for how long, roughly?").select_option(label="More than 3 months")
    first.get_by_label("Did it help?").select_option(label="A little")
    first.get_by_label("Why was it stopped?").select_option(label="It did not help enough")
    second = page.get_by_role("group", name="Medicine 2")
    second.get_by_label("Medicine", exact=True).fill("Bupropion")
    second.get_by_label("Taken for how long, roughly?").select_option(label="6 weeks to 3 months")
    second.get_by_label("Why was it stopped?").select_option(label="Side effects")
    # The other rows wait behind "Add more medicines", out of the way on a small screen.
    expect(page.get_by_role("group", name="Medicine 3")).to_be_hidden()
    page.get_by_role("group", name="Have you had therapy (talking treatment) for depression?")\
        .get_by_label("Yes, in the past").check()  # fmt: skip
    # Every field fits the phone's width: nothing to scroll sideways.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    page.get_by_label("I agree to be contacted").check()
    screenshot(page, "1-history")
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("We have received your request")

    request = AppointmentRequest.objects.get()
    assert request.had_therapy == "past"
    assert request.treatment_trials.count() == 2

    desk = new_context(viewport=DESKTOP).new_page()
    front_desk(desk, site)
    desk.goto(site + request.get_admin_url())
    # On the first screen, beside the service asked for.
    expect(desk.locator(".first-screen").get_by_text("2 trials reported")).to_be_in_viewport()
    table = desk.locator("table.treatment-history")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator("tbody tr").first).to_contain_text("Sertraline (Zoloft)")
    expect(table.locator("tbody tr").nth(1)).to_contain_text("Side effects")
    screenshot(desk, "2-staff")


def test_a_clinician_refers_a_patient_and_the_front_desk_finds_it_under_referral(
    site, new_context, staff_roles, run_worker, settings, screenshot
):
    settings.APPOINTMENT_NOTIFY_EMAILS = ["front-desk@clinic.example"]
    make_request(first_name="Paula", last_name="Patient")  # a patient's own request
    page = new_context(viewport=DESKTOP).new_page()
    page.goto(site + "/refer/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Refer a patient")
    page.get_by_label("Your name").fill("Dr. Rosa Referrer, MD")
    page.get_by_label("Practice or clinic").fill("Stuart Family Medicine")
    page.get_by_label("Your phone number").fill("(772) 555-0199")
    page.get_by_label("Your email address (optional)").fill("rosa@practice.example")
    page.get_by_label("Patient's first name").fill("Walter")
    page.get_by_label("Patient's last name").fill("Whitfield")
    page.get_by_label("Patient's phone number").fill("(772) 555-0123")
    page.get_by_label("Referred for").select_option("spravato")
    page.get_by_label("Diagnosis (optional)").fill("MDD, recurrent, severe (F33.2)")
    page.get_by_label("Reason for referral").fill("Two adequate trials without remission.")
    row = page.get_by_role("group", name="Medicine 1")
    row.get_by_label("Medicine", exact=True).fill("Escitalopram (Lexapro)")
    row.get_by_label("Taken for how long, roughly?").select_option(label="More than 3 months")
    row = page.get_by_role("group", name="Medicine 2")
    row.get_by_label("Medicine", exact=True).fill("Venlafaxine (Effexor)")
    row.get_by_label("Taken for how long, roughly?").select_option(label="6 weeks to 3 months")
    page.get_by_label("I will keep managing it").check()
    page.get_by_label("The patient knows about this referral").check()
    screenshot(page, "1-referral")
    page.get_by_role("button", name="Send the referral").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you. We have received your referral"
    )
    reference = page.locator(".reference").inner_text()

    # The referrer's acknowledgement; no e-mail names the patient or their medicines.
    run_worker()
    assert sorted(m.to[0] for m in mail.outbox) == [
        "front-desk@clinic.example",
        "rosa@practice.example",
    ]
    for message in mail.outbox:
        everything = message.message().as_string()
        assert reference in everything
        for phi in ("Walter", "Whitfield", "5550123", "Escitalopram", "Lexapro", "Venlafaxine",
                    "Effexor", "F33", "remission"):  # fmt: skip
            assert phi not in everything, phi

    desk = new_context(viewport=DESKTOP).new_page()
    front_desk(desk, site)
    desk.goto(site + "/admin/appointments/appointmentrequest/")
    desk.locator("#changelist-filter").get_by_role("link", name="Referral").click()
    rows = desk.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Walter Whitfield")
    screenshot(desk, "2-filtered")
    desk.get_by_role("link", name=reference).click()
    referrer = desk.locator("fieldset", has_text="Referred by")
    call = referrer.get_by_role("link", name="(772) 555-0199")
    expect(call).to_have_attribute("href", "tel:+17725550199")
    expect(referrer).to_contain_text("Stuart Family Medicine")
    # The referrer's number is one tap away on the first screen too.
    first_screen = desk.locator(".first-screen")
    expect(first_screen.get_by_role("link", name="(772) 555-0199")).to_be_in_viewport()
    expect(first_screen.get_by_text("2 trials reported")).to_be_visible()
    screenshot(desk, "3-referral")
