"""The front desk's morning: the list in the order to work it, a call logged with its
callback date, phone numbers to tap, and index cards that count what their links list."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone

from appointments.models import AppointmentRequest, AuditEntry, CallAttempt
from tests.support.triage import LIST, change_form, rows

from .factories import make_request

pytestmark = pytest.mark.django_db

VOICEMAIL = CallAttempt.Outcome.VOICEMAIL


def today():
    return timezone.localdate()


@pytest.fixture
def desk(make_staff, signed_in):
    user = make_staff("frontdesk", first_name="Dana", last_name="Reyes")
    return user, signed_in(user)


def test_list_opens_urgent_then_overdue_and_due_callbacks_then_oldest_open_then_the_rest(desk):
    _, browser = desk
    closed = make_request(status="closed", age=timedelta(days=10))
    waiting = make_request(age=timedelta(days=6), callback_due_on=today() + timedelta(days=1))
    fresh_new = make_request(age=timedelta(hours=1))
    fresh_old = make_request(status="contacted", age=timedelta(hours=2))
    callback_today = make_request(age=timedelta(hours=3), callback_due_on=today())
    overdue = make_request(age=timedelta(days=5))
    urgent = make_request(urgent=True, age=timedelta(minutes=5))
    expected = [urgent, overdue, callback_today, fresh_old, fresh_new, waiting, closed]
    assert rows(browser.get(LIST)) == [str(r.pk) for r in expected]
    assert list(AppointmentRequest.objects.in_triage_order()) == expected


def test_a_booked_callback_takes_a_request_out_of_overdue_and_into_callbacks_on_its_day():
    old = make_request(age=timedelta(days=5))
    assert old.is_overdue and list(AppointmentRequest.objects.overdue()) == [old]
    old.log_call(VOICEMAIL, None, callback_on=today() + timedelta(days=1))
    assert not old.is_overdue and not AppointmentRequest.objects.overdue().exists()
    assert not AppointmentRequest.objects.callbacks_due().exists()
    # The desk keeps its promise of a call today: a callback due, not an overdue request.
    old.log_call(CallAttempt.Outcome.NO_ANSWER, None, callback_on=today())
    assert list(AppointmentRequest.objects.callbacks_due()) == [old]
    assert not old.is_overdue and not AppointmentRequest.objects.overdue().exists()


def test_logging_a_call_sets_the_callback_and_is_audited_without_phi(make_staff):
    ann = make_staff("ann")
    request = make_request()
    tomorrow = today() + timedelta(days=1)
    attempt = request.log_call(VOICEMAIL, ann, callback_on=tomorrow)
    assert CallAttempt.objects.get() == attempt
    assert (attempt.request, attempt.by, attempt.next_callback_on) == (request, ann, tomorrow)
    assert AppointmentRequest.objects.get(pk=request.pk).callback_due_on == tomorrow
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.reference) == (ann, "called", request.reference)
    assert entry.detail == f"No answer, left voicemail, callback on {tomorrow:%Y-%m-%d}"

    request.log_call(CallAttempt.Outcome.SPOKE, ann)
    assert AppointmentRequest.objects.get(pk=request.pk).callback_due_on is None
    assert AuditEntry.objects.first().detail == "Spoke with the patient"


def test_when_the_audit_cannot_be_written_no_call_is_recorded(make_staff):
    request = make_request()
    with (
        mock.patch.object(AuditEntry, "record", side_effect=DatabaseError),
        pytest.raises(DatabaseError),
    ):
        request.log_call(VOICEMAIL, make_staff("ann"), callback_on=today())
    assert not CallAttempt.objects.exists()
    assert AppointmentRequest.objects.get(pk=request.pk).callback_due_on is None


def test_a_call_logged_on_the_request_page_sets_the_callback(desk):
    user, browser = desk
    request = make_request()
    tomorrow = today() + timedelta(days=1)
    # The call was made at 9:40 this morning, clinic time (the browser's date-and-time box).
    called = timezone.localtime().replace(hour=9, minute=40, second=0, microsecond=0)
    response = browser.post(
        request.get_admin_url(),
        change_form(
            **{
                "call_attempts-TOTAL_FORMS": "1",
                "call_attempts-0-outcome": "voicemail",
                "call_attempts-0-at": f"{called:%Y-%m-%dT%H:%M}",
                "call_attempts-0-next_callback_on": f"{tomorrow:%Y-%m-%d}",
            }
        ),
    )
    assert response.status_code == 302
    attempt = CallAttempt.objects.get(request=request)
    assert (attempt.outcome, attempt.by, attempt.next_callback_on) == ("voicemail", user, tomorrow)
    assert attempt.at == called
    request.refresh_from_db()
    assert request.callback_due_on == tomorrow
    assert AuditEntry.objects.filter(action="called", actor=user).count() == 1
    page = browser.get(request.get_admin_url()).content.decode()
    assert "No answer, left voicemail" in page and "Dana Reyes" in page


def test_a_call_logged_without_a_time_was_made_now(desk):
    _, browser = desk
    request = make_request()
    before = timezone.now()
    browser.post(
        request.get_admin_url(),
        change_form(
            **{
                "call_attempts-TOTAL_FORMS": "1",
                "call_attempts-0-outcome": "spoke",
                "call_attempts-0-at": "",
            }
        ),
    )
    attempt = CallAttempt.objects.get(request=request)
    assert before <= attempt.at <= timezone.now()
    assert attempt.next_callback_on is None


@pytest.mark.parametrize(
    ("stored", "shown"),
    [("+17725550188", "(772) 555-0188"), ("+442079460958", "+44 20 7946 0958"), ("", "")],
)
def test_phones_show_as_dialled_here(stored, shown):
    assert make_request(phone=stored).phone_national == shown


def test_request_page_has_links_to_call_and_write_in_national_format(desk):
    _, browser = desk
    request = make_request(phone="+17725550188", email="ann@example.org")
    page = browser.get(request.get_admin_url()).content.decode()
    assert '<a class="call-button" href="tel:+17725550188">Call (772) 555-0188</a>' in page
    assert '<a href="mailto:ann@example.org">ann@example.org</a>' in page
    assert ">+17725550188<" not in page and "E.164" not in page
    # Who, why and how to reach them, then the call to log and Save; what the patient sent
    # in full comes after.
    assert page.index("Reach them") < page.index("Log a call") < page.index('name="_save"')
    assert page.index('name="_save"') < page.index("Internal notes")
    assert page.index("Internal notes") < page.index("What the patient sent")


def test_list_shows_phone_best_time_and_an_escaped_message_preview(desk):
    _, browser = desk
    make_request(
        phone="+17725550188",
        best_time="afternoon",
        message="<b>Please</b> call me after work. " * 10,
        callback_due_on=today(),
    )
    html = browser.get(LIST).content.decode()
    assert '<a href="tel:+17725550188" class="phone">(772) 555-0188</a>' in html
    assert "Phone call · Afternoon" in html
    preview = re.search(r'class="field-message_preview">(.*?)</td>', html).group(1)
    assert preview.startswith("&lt;b&gt;Please&lt;/b&gt; call me") and preview.endswith("…")
    assert len(preview) < 100


def test_staff_are_shown_by_full_name(desk, make_staff):
    user, browser = desk
    make_staff("jo")  # no full name: the username stands in
    request = make_request(assignee=user)
    assert ">Dana Reyes<" in browser.get(LIST).content.decode()
    page = browser.get(request.get_admin_url()).content.decode()
    assert re.search(rf'<option value="{user.pk}" selected>Dana Reyes</option>', page)
    assert re.search(r'<option value="\d+">jo</option>', page)


def test_each_index_card_counts_the_requests_its_link_lists(desk, make_staff):
    user, browser = desk
    other = make_staff("lee")
    make_request(assignee=user)
    make_request(status="contacted", assignee=user, callback_due_on=today())
    make_request(status="closed", assignee=user, callback_due_on=today() - timedelta(days=1))
    make_request(assignee=other, age=timedelta(days=5))
    make_request(callback_due_on=today() - timedelta(days=2), age=timedelta(days=3))
    make_request(callback_due_on=today() + timedelta(days=1), age=timedelta(days=4))
    make_request(status="scheduled", age=timedelta(days=8))
    # Its staff e-mail failed; another waited 20 minutes; a third was held at a restore.
    make_request().emails.create(kind="staff", attempts=1, last_error="SMTPServerDisconnected")
    make_request().emails.create(kind="staff", created_at=timezone.now() - timedelta(minutes=20))
    make_request().emails.create(kind="patient", state="held")
    html = browser.get(reverse("admin:index")).content.decode()
    cards = re.findall(r'<a href="([^"]+)"><strong>(\d+)</strong> ([^<]+)</a>', html)
    counted = {label.strip(): int(count) for _, count, label in cards}
    assert counted == {
        "urgent": 0,
        "new requests": 7,
        # The one waiting 3 days with a callback missed 2 days ago is a callback due, once.
        "overdue": 1,
        "callbacks due today": 2,
        "open and assigned to me": 2,
        "request with an e-mail that could not be sent": 1,
        "request with e-mails waiting over 15 minutes": 1,
        "request with e-mails held since a restore: send or drop them": 1,
    }
    for link, count, label in cards:
        assert len(rows(browser.get(link.replace("&amp;", "&")))) == int(count), label


def test_today_counts_urgent_then_overdue_then_callbacks_each_request_once(desk):
    _, browser = desk
    urgent_and_late = make_request(urgent=True, age=timedelta(days=4))
    overdue = make_request(age=timedelta(days=5))
    # Called on time the day it came, and promised a call today.
    on_time = make_request(status="contacted", age=timedelta(days=3), callback_due_on=today())
    missed = make_request(age=timedelta(days=4), callback_due_on=today() - timedelta(days=1))
    make_request()  # fresh: not for today yet
    make_request(age=timedelta(days=6), callback_due_on=today() + timedelta(days=1))

    html = browser.get(reverse("admin:index")).content.decode()
    block = html.split('id="triage-today"', 1)[1].split("</ul>", 1)[0]
    cards = re.findall(r'<a href="([^"]+)"[^>]*><strong>(\d+)</strong> ([^<]+)</a>', block)
    assert [(label.strip(), int(n)) for _, n, label in cards] == [
        ("urgent", 1),
        ("overdue", 1),
        ("callbacks due today", 2),
    ]
    listed = [rows(browser.get(link.replace("&amp;", "&"))) for link, _, _ in cards]
    assert listed == [
        [str(urgent_and_late.pk)],
        [str(overdue.pk)],
        [str(missed.pk), str(on_time.pk)],
    ]
    # The list's "Today" holds the same requests, in that order.
    assert rows(browser.get(LIST + "?today=yes")) == sum(listed, [])

    # On time, with the callback today: no red "Overdue" on it in the list (it is beside the
    # callback date).
    list_html = browser.get(LIST).content.decode()
    badge = r'value="(\d+)".*?class="field-callback_due">(.*?)</td>'
    badges = dict(re.findall(badge, list_html, re.S))
    assert "Overdue" in badges[str(overdue.pk)]
    assert "Overdue" not in badges[str(on_time.pk)] + badges[str(missed.pk)]
