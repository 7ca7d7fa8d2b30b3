"""The same person asking twice ("Sending again because I did not hear back") shows as two
linked requests, not two strangers."""

import random
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from appointments.models import AppointmentRequest
from tests.support.triage import rows

from .factories import make_request

pytestmark = pytest.mark.django_db

LIST = reverse("admin:appointments_appointmentrequest_changelist")


@pytest.fixture
def staff_browser(make_staff, signed_in):
    return signed_in(make_staff())


def duplicate_column(html, request):
    """What `request`'s row in the list says of a possible duplicate (under its status)."""
    own = f'name="_selected_action" value="{request.pk}"'
    row = re.search(rf"<tr>(?:(?!</tr>).)*?{own}(?:(?!</tr>).)*</tr>", html, re.S)[0]
    cell = re.search(r'<td class="field-status_badge">(.*?)</td>', row, re.S)[1]
    found = re.search(r'<small class="duplicate">(.*?)</small>', cell, re.S)
    return found[1] if found else ""


def test_same_email_in_another_case_links_both_ways(staff_browser):
    first = make_request(email="Ann.Example@Example.org", age=timedelta(days=3))
    again = make_request(email="ann.example@example.org", message="Sending again")
    stranger = make_request()
    html = staff_browser.get(LIST).content.decode()
    assert again.reference in duplicate_column(html, first)
    assert first.reference in duplicate_column(html, again)
    assert "href" not in duplicate_column(html, stranger)

    page = staff_browser.get(first.get_admin_url()).content.decode()
    assert f'<a href="{again.get_admin_url()}">{again.reference}</a>' in page
    page = staff_browser.get(again.get_admin_url()).content.decode()
    assert f'<a href="{first.get_admin_url()}">{first.reference}</a>' in page


def test_same_phone_links_and_the_filter_shows_only_possible_duplicates(staff_browser):
    first = make_request(phone="+15615550199", age=timedelta(days=29))
    again = make_request(phone="+15615550199")
    stranger = make_request()
    html = staff_browser.get(f"{LIST}?duplicates=yes").content.decode()
    assert first.reference in html and again.reference in html
    assert stranger.reference not in html


def test_a_request_more_than_30_days_apart_is_not_a_duplicate(staff_browser):
    old = make_request(email="ann@example.org", age=timedelta(days=31))
    new = make_request(email="ann@example.org")
    html = staff_browser.get(LIST).content.decode()
    assert "href" not in duplicate_column(html, old) + duplicate_column(html, new)
    assert "None" in staff_browser.get(new.get_admin_url()).content.decode()


def test_two_patients_who_left_out_their_email_are_not_linked(staff_browser):
    # Both asked for a call and gave only their own phone numbers.
    one = make_request(email="", contact_method="phone", phone="+17725550101")
    other = make_request(email="", contact_method="phone", phone="+17725550102")
    html = staff_browser.get(LIST).content.decode()
    assert "href" not in duplicate_column(html, one)
    assert "href" not in duplicate_column(html, other)


def test_a_duplicate_is_closed_in_one_click_with_a_note_saying_of_which(make_staff, signed_in):
    user = make_staff("frontdesk", first_name="Dana", last_name="Reyes")
    browser = signed_in(user)
    first = make_request(phone="+15615550199", age=timedelta(days=2))
    again = make_request(phone="+15615550199", message="Sending again")
    page = browser.get(again.get_admin_url()).content.decode()
    close = reverse("admin:appointments_appointmentrequest_close_duplicate", args=[again.pk])
    button = re.search(rf'<button [^>]*formaction="{close}"[^>]*>([^<]*)</button>', page)
    assert button[1] == f"Close as duplicate of {first.reference}"
    assert f'value="{first.pk}"' in button[0]

    response = browser.post(close, {"duplicate_of": first.pk})
    assert response.headers["Location"] == first.get_admin_url()
    again.refresh_from_db()
    assert again.status == "closed"
    assert again.notes.get().text == f"Closed as a duplicate of {first.reference}."
    assert again.status_changes.get().changed_by == user
    # Once closed, the page offers it no more.
    assert "Close as duplicate" not in browser.get(again.get_admin_url()).content.decode()


def test_only_a_possible_duplicate_can_be_named_and_only_by_post(make_staff, signed_in):
    browser = signed_in(make_staff())
    request = make_request(phone="+15615550199")
    stranger = make_request()
    close = reverse("admin:appointments_appointmentrequest_close_duplicate", args=[request.pk])
    assert browser.get(close).status_code == 405
    assert browser.post(close, {"duplicate_of": stranger.pk}).status_code == 404
    request.refresh_from_db()
    assert request.status == "new"


def listed_as_duplicates(browser):
    return set(map(int, rows(browser.get(LIST, {"duplicates": "yes"}))))


def test_the_filter_lists_exactly_the_requests_the_list_links(staff_browser):
    # People writing again days or weeks apart, by the same address (in any case) or phone, a
    # household sharing a phone, and strangers; some without an address.
    rng = random.Random(23)
    emails, phones = ["", "ann@example.org", "ANN@example.org"], ["", "+17725550101"]
    for n in range(40):  # fewer possible duplicates than a page holds (50)
        make_request(
            email=rng.choice([*emails, "bo@example.org", f"s{n}@example.org"]),
            phone=rng.choice([*phones, "+17725550102", f"+1561555{n:04d}"]),
            age=timedelta(days=rng.uniform(0, 120)),
        )
    linked = {
        r.pk for r in AppointmentRequest.objects.with_duplicate() if r.duplicate_pk is not None
    }
    assert 10 < len(linked) <= 40
    assert listed_as_duplicates(staff_browser) == linked

    # The same requests written in bulk (as an import or the release before this one would),
    # then marked as the upgrade marks them.
    AppointmentRequest.objects.update(possible_duplicate=False)
    assert listed_as_duplicates(staff_browser) == set()
    assert AppointmentRequest.objects.all().mark_possible_duplicates() == len(linked)
    assert listed_as_duplicates(staff_browser) == linked


# The address with a capital only Python folds (SQLite's LOWER folds ASCII letters alone).
@pytest.mark.parametrize(
    "contact", [{"phone": "+15615550199"}, {"email": "zoe@ÉCOLE.example", "phone": ""}]
)
def test_purging_a_request_takes_its_duplicate_out_of_the_filter(staff_browser, contact):
    first = make_request(**contact, status="closed", age=timedelta(days=400))
    again = make_request(**contact, age=timedelta(days=380))
    assert listed_as_duplicates(staff_browser) == {first.pk, again.pk}

    call_command("purge_requests", "--older-than", "390", stdout=StringIO())

    assert listed_as_duplicates(staff_browser) == set()
    assert not AppointmentRequest.objects.filter(possible_duplicate=True).exists()


def test_a_request_the_release_before_stored_joins_the_filter_once_the_sweep_has_run(
    staff_browser,
):
    first = make_request(email="ann@example.org", age=timedelta(days=3))
    # Stored by the previous release during an upgrade, which knows no mark (or sent twice at
    # the same moment, each insert blind to the other).
    again = make_request(email="ann@example.org")
    AppointmentRequest.objects.update(possible_duplicate=False)
    assert listed_as_duplicates(staff_browser) == set()

    call_command("send_pending_notifications", stdout=StringIO())

    assert listed_as_duplicates(staff_browser) == {first.pk, again.pk}


def test_a_phone_many_requests_share_does_not_make_each_new_one_rewrite_the_others():
    # A care home's number, or one typed by many: the 21st request must not write (and lock)
    # the 20 before it, which every new request would then wait on.
    for _ in range(20):
        make_request(phone="+17725550123")
    written = []

    def count_rows(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith("UPDATE") and "possible_duplicate" in sql:
            written.append(context["cursor"].rowcount)
        return result

    with connection.execute_wrapper(count_rows):
        latest = make_request(phone="+17725550123")
    assert sum(written) == 1  # itself
    assert latest.possible_duplicate
    assert AppointmentRequest.objects.filter(possible_duplicate=True).count() == 21
