"""Monday morning at the front desk, on a desktop screen and on a phone: the list fits beside its
filters, the first urgent request opens with its reason on the first screen, and the call is
logged with a callback from there. axe-core finds nothing wrong with the list or the request."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from appointments.models import AuditEntry, CallAttempt, local_date
from tests.appointments.factories import make_request
from tests.support.checkers import AXE, RUN_AXE, describe_violation

from .conftest import PHONE, sign_in_with_code, staff_device

pytestmark = pytest.mark.django_db(transaction=True)

SCREENS = {
    "desktop": {"viewport": {"width": 1440, "height": 900}},
    "phone": {"viewport": PHONE, "is_mobile": True, "has_touch": True},
}
URGENT_MESSAGE = (
    "I have tried four antidepressants and nothing has helped. Lately I sometimes think of "
    "hurting myself. My psychiatrist suggested Spravato; please call me."
)


def assert_no_violations(page):
    # Through the browser's developer interface, which the page's CSP does not govern.
    page.evaluate(AXE.read_text())
    violations = page.evaluate(RUN_AXE)
    assert not violations, "\n".join(describe_violation(page.url, v) for v in violations)


def a_busy_monday():
    """The long names, long services and messages that made the list overflow, a Spanish
    speaker, a possible duplicate, a callback due and an urgent request."""
    today = timezone.localdate()
    make_request(
        first_name="Maximiliano",
        last_name="Fitzgerald-Wellington",
        service="evaluation",
        message="Looking for medication management after my last doctor retired. " * 3,
        age=timedelta(days=6),
    )
    make_request(
        first_name="Lucía",
        last_name="García-Márquez",
        language="es",
        contact_method="text",
        best_time="afternoon",
        message="Mi médico me habló del Spravato.",
        age=timedelta(days=1),
    )
    make_request(first_name="Sam", last_name="Again", phone="+17725550150", age=timedelta(days=3))
    make_request(first_name="Sam", last_name="Again", phone="+17725550150", age=timedelta(hours=5))
    make_request(
        first_name="Cal",
        last_name="Back",
        status="contacted",
        callback_due_on=today,
        age=timedelta(days=2),
    )
    return make_request(
        first_name="Rosa",
        last_name="Urgent",
        phone="+17725550177",
        safety_answer="yes",
        message=URGENT_MESSAGE,
        best_time="morning",
        age=timedelta(hours=2),
    )


@pytest.mark.parametrize("screen", SCREENS)
def test_front_desk_reads_the_urgent_reason_first_and_logs_the_call(
    site, staff_roles, new_context, screenshot, screen
):
    page = new_context(**SCREENS[screen]).new_page()
    device = staff_device(first_name="Dana", last_name="Reyes")
    rosa = a_busy_monday()
    tomorrow = timezone.localdate() + timedelta(days=1)

    sign_in_with_code(page, site, device)
    page.get_by_role("link", name="Appointment requests", exact=True).first.click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(6)
    first = rows.first
    # Urgent first, saying why, with the number to tap and the message's beginning.
    expect(first.locator(".patient-name")).to_have_text("Rosa Urgent")
    because = "answered yes to the safety question; self-harm"
    expect(first.locator(".urgent-reasons")).to_have_text(because)
    expect(first.get_by_role("link", name="(772) 555-0177")).to_be_visible()
    expect(first.locator(".field-message_preview")).to_contain_text("I have tried four")
    spanish = rows.filter(has_text="Lucía García-Márquez")
    expect(spanish.locator(".contact-pref")).to_have_text("Text message · Afternoon · Spanish")
    # "Urgent" and "New" are told apart by more than their words.
    urgent_colour, new_colour = (
        first.locator(selector).evaluate("el => getComputedStyle(el).backgroundColor")
        for selector in (".urgent-badge", ".status-new")
    )
    assert urgent_colour != new_colour
    # In triage order, no column header claims to be the sort.
    expect(page.locator("#result_list thead th.sorted")).to_have_count(0)
    screenshot(page, "1-list")

    # Nothing off to the side: the whole list and its filters on one screen's width.
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    results = page.locator("#changelist .results")
    assert results.evaluate("el => el.scrollWidth <= el.clientWidth")
    if screen == "desktop":
        expect(page.locator("#changelist-filter")).to_be_in_viewport()
        expect(first.locator(".field-assignee_name")).to_be_in_viewport()
        # A focus ring that shows: three pixels, not the browser's one.
        page.locator("#searchbar").focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")
        assert page.evaluate("getComputedStyle(document.activeElement).outlineWidth") == "3px"
    else:
        # The filters come after the rows on a phone: a link at the top reaches them.
        filters = page.get_by_role("link", name="Filters")
        expect(filters).to_be_in_viewport()
        filters.click()
        expect(page.get_by_role("heading", name="Filter")).to_be_in_viewport()
    assert_no_violations(page)

    first.get_by_role("link", name=rosa.reference).click()
    expect(page.get_by_role("heading", name=f"Request {rosa.reference}")).to_be_visible()
    # Who, why and how to reach them, without scrolling.
    expect(page.get_by_role("heading", name="Rosa Urgent")).to_be_in_viewport()
    reasons = page.locator(".first-screen .reasons")
    expect(reasons).to_have_text(f"Urgent because: {because}")
    expect(reasons).to_be_in_viewport()
    expect(page.locator(".first-screen .safety")).to_contain_text("Yes")
    message = page.locator(".first-screen .message")
    expect(message).to_have_text(URGENT_MESSAGE)
    expect(message).to_be_in_viewport()
    call = page.get_by_role("link", name="Call (772) 555-0177")
    expect(call).to_have_attribute("href", "tel:+17725550177")
    expect(call).to_be_in_viewport()
    expect(page.locator(".first-screen")).to_contain_text("Phone call · Morning")
    save = page.get_by_role("button", name="Save", exact=True).first
    if screen == "desktop":
        expect(page.get_by_label("Outcome:").first).to_be_in_viewport()
        expect(save).to_be_in_viewport()
    else:
        expect(page.get_by_role("link", name="Log a call")).to_be_in_viewport()
    screenshot(page, "2-request")
    assert_no_violations(page)

    if screen == "phone":
        page.get_by_role("link", name="Log a call").click()
    page.get_by_label("Outcome:").first.select_option(label="No answer, left voicemail")
    page.get_by_label("Next callback:").first.fill(f"{tomorrow:%Y-%m-%d}")
    save.click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    attempt = CallAttempt.objects.get(request=rosa)
    assert (attempt.outcome, attempt.by, attempt.next_callback_on) == (
        "voicemail",
        device.user,
        tomorrow,
    )
    assert AuditEntry.objects.filter(action="called", reference=rosa.reference).exists()

    # Back on the list, Rosa's row shows the callback; she is still urgent, so still first.
    row = page.locator("#result_list tbody tr").first
    expect(row.locator(".patient-name")).to_have_text("Rosa Urgent")
    expect(row.locator(".callback-date")).to_have_text(local_date(tomorrow, year=False))
    screenshot(page, "3-after-the-call")
