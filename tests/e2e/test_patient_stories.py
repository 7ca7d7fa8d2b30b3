"""What a prospective patient does on the site, in a real browser on a phone-sized screen."""

import re

import pytest
from playwright.sync_api import expect

from appointments.models import AppointmentRequest

pytestmark = pytest.mark.django_db(transaction=True)

ARTICLE = "The Breakthrough Impact of Esketamine Therapy on Treatment-Resistant Depression"


def fill_in_as_a_person(page, **overrides):
    """Fill the form by its labels, as someone using it would."""
    values = {
        "First name": "Ann",
        "Last name": "Example",
        "Email address": "ann@example.org",
        "Phone number": "(772) 555-0123",
        **overrides,
    }
    for label, value in values.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("Phone call").check()
    page.get_by_label("Morning", exact=True).check()
    page.get_by_label("New patient").check()
    page.get_by_label("I agree to be contacted").check()


def test_patient_reads_an_article_and_requests_an_evaluation_from_it(site, phone, screenshot):
    page = phone
    page.goto(site + "/")
    screenshot(page, "1-home")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Articles").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Articles")
    page.get_by_role("link", name=ARTICLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ARTICLE)
    expect(page.get_by_role("complementary", name="In crisis? Get help now").first).to_be_visible()
    screenshot(page, "2-article")

    page.get_by_role("link", name="Request an evaluation").first.click()
    expect(page).to_have_url(re.compile(r"/contact/\?service=spravato$"))
    service = page.get_by_label("Which service are you interested in?")
    expect(service).to_have_value("spravato")
    # The crisis line is on screen before the patient scrolls.
    expect(page.get_by_role("link", name="988").first).to_be_in_viewport()

    fill_in_as_a_person(page)
    page.get_by_label("Anything else you would like us to know? (optional)").fill(
        "Evenings are hard for me; mornings are best."
    )
    screenshot(page, "3-form-filled")
    page.get_by_role("button", name="Send my request").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("We have received your request")
    reference = page.locator(".reference").inner_text()
    screenshot(page, "4-thanks")
    request = AppointmentRequest.objects.get()
    assert request.reference == reference
    assert (request.first_name, request.service, request.phone) == (
        "Ann",
        "spravato",
        "+17725550123",
    )

    # Refreshing the thank-you page sends nothing again.
    page.reload()
    expect(page.locator(".reference")).to_have_text(reference)
    assert AppointmentRequest.objects.count() == 1


def test_patient_walks_from_home_to_a_service_page_to_the_form(site, phone, screenshot):
    page = phone
    page.goto(site + "/")
    page.get_by_role("link", name="TMS therapy").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("TMS therapy")
    screenshot(page, "service")
    page.get_by_role("link", name="Request an evaluation").first.click()
    expect(page.get_by_label("Which service are you interested in?")).to_have_value("tms")
    screenshot(page, "form")


def test_patient_makes_mistakes_on_the_form_and_recovers(site, phone, screenshot):
    page = phone
    page.goto(site + "/contact/")
    fill_in_as_a_person(page, **{"Email address": "ann@example", "Phone number": ""})
    page.get_by_label("Text message", exact=True).check()
    page.get_by_label("I agree to be contacted").uncheck()
    page.get_by_role("button", name="Send my request").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There are problems with your request")
    expect(summary).to_be_focused()
    screenshot(page, "errors")
    errors = summary.get_by_role("link")
    expect(errors).to_have_text(
        [
            "Enter an email address like name@example.com.",
            "Enter your phone number so that we can send you a text message.",
            "Tick this box so that we may contact you.",
        ]
    )
    # Each error leads to its field, which says what is wrong.
    errors.nth(1).click()
    phone_field = page.get_by_label("Phone number")
    expect(phone_field).to_be_focused()
    expect(phone_field).to_have_attribute("aria-invalid", "true")
    # What was typed is still there.
    expect(page.get_by_label("First name", exact=True)).to_have_value("Ann")
    expect(page.get_by_label("Text message", exact=True)).to_be_checked()

    phone_field.fill("772 555 0123")
    page.get_by_label("Email address").fill("ann@example.org")
    page.get_by_label("I agree to be contacted").check()
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("We have received your request")
    request = AppointmentRequest.objects.get()
    assert (request.email, request.contact_method) == ("ann@example.org", "text")


def test_the_form_works_without_javascript(site, new_context):
    page = new_context(java_script_enabled=False, viewport={"width": 320, "height": 700}).new_page()
    page.goto(site + "/contact/?service=therapy")
    fill_in_as_a_person(page)
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("We have received your request")
    assert AppointmentRequest.objects.get().service == "therapy"


def test_a_double_click_sends_one_request(site, phone):
    page = phone
    page.goto(site + "/contact/")
    fill_in_as_a_person(page)
    page.get_by_role("button", name="Send my request").dblclick()
    expect(page.get_by_role("heading", level=1)).to_contain_text("We have received your request")
    assert AppointmentRequest.objects.count() == 1
