"""A prospective patient reads "Could this treatment be right for me?" with JavaScript off, and
goes on to ask for an evaluation of that treatment: the self-check sends nothing and stores
nothing on the way."""

import re

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from appointments.models import AppointmentRequest

from .conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True)

TREATMENTS = {
    "spravato": ("Could Spravato be right for me?", "Request an evaluation for Spravato"),
    "tms": ("Could TMS be right for me?", "Request an evaluation for TMS"),
}


@pytest.mark.parametrize("service", TREATMENTS)
def test_the_self_check_works_without_javascript_and_leads_to_the_form(
    site, new_context, screenshot, service
):
    heading, link = TREATMENTS[service]
    page = new_context(viewport=PHONE, is_mobile=True, java_script_enabled=False).new_page()
    sent = []
    page.on("request", lambda request: sent.append((request.method, request.url)))
    page.goto(f"{site}/services/{service}/")
    check = page.locator(".callout", has=page.get_by_role("heading", name=heading))
    expect(check).to_be_visible()
    expect(check.get_by_role("listitem")).not_to_have_count(0)
    # Nothing to fill in: the questions are read, not sent.
    expect(check.locator("form, input, select, textarea, button")).to_have_count(0)
    check.scroll_into_view_if_needed()
    screenshot(page, "1-self-check")

    check.get_by_role("link", name=link).click()
    expect(page).to_have_url(re.compile(rf"/contact/\?service={service}$"))
    expect(page.get_by_label("Which service are you interested in?")).to_have_value(service)
    screenshot(page, "2-form")
    assert {method for method, _ in sent} == {"GET"}
    assert AppointmentRequest.objects.count() == 0
    assert Session.objects.count() == 0
