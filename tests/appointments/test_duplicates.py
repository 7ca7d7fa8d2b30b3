"""The same person asking twice ("Sending again because I did not hear back") shows as two
linked requests, not two strangers."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

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
