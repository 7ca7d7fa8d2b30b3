"""The front desk's morning, on a desktop screen and on a phone: open the callbacks due today,
call the patient, log a voicemail with a callback for tomorrow, and watch the list reorder."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from appointments.models import AuditEntry, CallAttempt, local_date
from tests.appointments.factories import make_request

from .conftest import PHONE, sign_in_with_code, staff_device

pytestmark = pytest.mark.django_db(transaction=True)

SCREENS = {
    "desktop": {"viewport": {"width": 1440, "height": 900}},
    "phone": {"viewport": PHONE, "is_mobile": True, "has_touch": True},
}


def names_in_order(page):
    return [
        name.strip() for name in page.locator("#result_list tbody .patient-name").all_inner_texts()
    ]


@pytest.mark.parametrize("screen", SCREENS)
def test_front_desk_calls_back_logs_a_voicemail_and_the_list_reorders(
    site, staff_roles, new_context, screenshot, screen
):
    page = new_context(**SCREENS[screen]).new_page()
    device = staff_device(first_name="Dana", last_name="Reyes")
    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)
    maria = make_request(
        first_name="Maria",
        last_name="Lopez",
        phone="+17725550188",
        status="contacted",
        age=timedelta(days=2),
        callback_due_on=today,
    )
    make_request(first_name="Olga", last_name="Old", age=timedelta(days=5))
    make_request(first_name="Tom", last_name="Fresh", service="tms", age=timedelta(hours=1))
    make_request(first_name="Cleo", last_name="Closed", status="closed", age=timedelta(days=9))
    make_request(first_name="Uma", last_name="Urgent", urgent=True, age=timedelta(minutes=30))

    sign_in_with_code(page, site, device)
    card = page.get_by_role("link", name="1 callback due today")
    expect(card).to_be_visible()
    screenshot(page, "1-index")

    card.click()
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    call = page.locator("#result_list").get_by_role("link", name="(772) 555-0188")
    expect(call).to_have_attribute("href", "tel:+17725550188")
    screenshot(page, "2-callbacks-due")

    page.get_by_role("link", name=maria.reference).click()
    call = page.get_by_role("link", name="Call (772) 555-0188")
    expect(call).to_have_attribute("href", "tel:+17725550188")
    expect(call).to_be_in_viewport()  # on the first screen: nothing to hunt for
    screenshot(page, "3-request")

    page.get_by_label("Outcome:").first.select_option(label="No answer, left voicemail")
    page.get_by_label("Next callback:").first.fill(f"{tomorrow:%Y-%m-%d}")
    screenshot(page, "4-logging-the-call")
    page.get_by_role("button", name="Save", exact=True).first.click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    attempt = CallAttempt.objects.get(request=maria)
    assert (attempt.outcome, attempt.by, attempt.next_callback_on) == (
        "voicemail",
        device.user,
        tomorrow,
    )
    assert AuditEntry.objects.filter(action="called", reference=maria.reference).exists()

    # The saved page is the list, filtered to callbacks due: Maria has left it.
    expect(page.locator("#result_list tbody tr")).to_have_count(0)
    page.goto(site + "/admin/appointments/appointmentrequest/")
    # Urgent first, then overdue, then the open ones oldest first, then Maria's callback
    # tomorrow, then the closed ones.
    assert names_in_order(page) == [
        "Uma Urgent",
        "Olga Old",
        "Tom Fresh",
        "Maria Lopez",
        "Cleo Closed",
    ]
    row = page.locator("#result_list tbody tr").filter(has_text="Maria Lopez")
    expect(row.locator(".callback-date")).to_have_text(local_date(tomorrow, year=False))
    screenshot(page, "5-reordered")
    # Nothing is cut off at the right edge on either screen.
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    page.goto(site + "/admin/")
    expect(page.get_by_role("link", name="0 callbacks due today")).to_be_visible()
    bullets = page.locator(".triage-counts li").first.evaluate(
        "li => getComputedStyle(li).listStyleType"
    )
    assert bullets == "none"
    screenshot(page, "6-index-after")
