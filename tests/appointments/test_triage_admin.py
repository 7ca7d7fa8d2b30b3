"""Clinic staff triage requests in the admin each morning."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments.models import AppointmentRequest, AuditEntry, Note, StatusChange
from tests.support.triage import LIST, change_form, rows

from .factories import make_many, make_request

pytestmark = pytest.mark.django_db


def change_url(request):
    return request.get_admin_url()


@pytest.fixture
def desk(make_staff, signed_in):
    user = make_staff("frontdesk")
    return user, signed_in(user)


@pytest.fixture
def lead(make_staff, signed_in):
    return signed_in(make_staff("lead", role="Clinical lead"))


def test_list_shows_what_staff_need_at_a_glance(desk):
    _, browser = desk
    old = make_request(age=timedelta(days=4), first_name="Olga", last_name="Old")
    make_request(first_name="Nina", last_name="New", service="tms")
    html = browser.get(LIST).content.decode()
    for column in ("Received", "Reference", "Name and contact", "Service", "Message", "Status",
                   "Callback", "Assignee"):  # fmt: skip
        assert f">{column}<" in html or f">{column}</a>" in html, column
    assert old.reference in html
    assert '<strong class="patient-name">Olga Old</strong>' in html and "Nina New" in html
    assert "Phone call · Morning" in html  # how and when they asked to be reached
    assert '<span class="status-badge status-new">New</span>' in html
    assert "4\xa0days ago" in html
    assert html.count('class="overdue"') == 1
    assert "TMS therapy evaluation" in html


def test_oldest_open_requests_come_first_fifty_to_a_page(desk):
    _, browser = desk
    make_many(120)
    first_page = browser.get(LIST)
    assert len(rows(first_page)) == 50
    oldest_open = AppointmentRequest.objects.open().order_by("created_at").first()
    assert rows(first_page)[0] == str(oldest_open.pk)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status__exact=new", {"new-spravato", "new-tms"}),
        ("service__exact=tms", {"new-tms"}),
        ("patient_type__exact=returning", {"contacted-returning"}),
        ("assigned=nobody", {"new-spravato", "new-tms", "contacted-returning"}),
        ("assigned=me", {"mine"}),
        ("overdue=yes", {"new-spravato"}),
    ],
)
def test_filters(desk, query, expected):
    user, browser = desk
    made = {
        "new-spravato": make_request(age=timedelta(days=5)),
        "new-tms": make_request(service="tms"),
        "contacted-returning": make_request(status="contacted", patient_type="returning"),
        "mine": make_request(status="scheduled", assignee=user),
    }
    shown = set(rows(browser.get(f"{LIST}?{query}")))
    assert shown == {str(made[name].pk) for name in expected}


@pytest.mark.parametrize(
    "term", ["Quentin", "quinn@example", "(561) 555-0199", "561-555-0199", "+15615550199",
             "5615550199"],
)  # fmt: skip
def test_search_by_name_email_phone_in_any_format(desk, term):
    _, browser = desk
    wanted = make_request(first_name="Quentin", email="quinn@example.org", phone="+15615550199")
    make_request()
    assert rows(browser.get(LIST, {"q": term})) == [str(wanted.pk)]


def test_search_by_reference(desk):
    _, browser = desk
    wanted = make_request()
    make_request()
    assert rows(browser.get(LIST, {"q": wanted.reference})) == [str(wanted.pk)]


def test_index_shows_new_and_overdue_counts(desk):
    _, browser = desk
    make_request(age=timedelta(days=6))
    make_request()
    make_request(status="closed", age=timedelta(days=9))
    html = browser.get(reverse("admin:index")).content.decode()
    assert re.search(r"<strong>2</strong> new requests", html)
    assert re.search(r"<strong>1</strong> overdue", html)


def test_overdue_means_open_for_more_than_one_business_day(settings):
    from appointments.models import overdue_cutoff

    monday_9am = timezone.make_aware(timezone.datetime(2026, 11, 23, 9, 0))
    # Received on Friday at 10 am: not overdue on Monday at 9 am (one business day later).
    friday = timezone.make_aware(timezone.datetime(2026, 11, 20, 10, 0))
    thursday = timezone.make_aware(timezone.datetime(2026, 11, 19, 10, 0))
    assert not friday < overdue_cutoff(monday_9am)
    assert thursday < overdue_cutoff(monday_9am)
    settings.APPOINTMENT_OVERDUE_BUSINESS_DAYS = 3
    assert not thursday < overdue_cutoff(monday_9am)


def test_list_stays_within_eight_queries(desk, django_assert_max_num_queries):
    _, browser = desk
    make_many(600)
    # The session's idle expiry is written at most once a minute (one UPDATE); this first
    # request is the one that writes it, the steady state is what follows.
    browser.get(reverse("admin:index"))
    for url in (LIST, f"{LIST}?status__exact=new&service__exact=tms", f"{LIST}?overdue=yes",
                f"{LIST}?q=Last12", f"{LIST}?assigned=me", f"{LIST}?p=3"):  # fmt: skip
        # A search reads the search column once more (test_queue_rank.py says why).
        with django_assert_max_num_queries(9 if "q=" in url else 8):
            assert browser.get(url).status_code == 200


def test_patient_fields_are_read_only_and_status_changes_are_recorded(desk):
    user, browser = desk
    request = make_request(first_name="Ann", email="ann@example.org")
    page = browser.get(change_url(request)).content.decode()
    assert 'name="first_name"' not in page and 'name="email"' not in page
    assert 'name="status"' in page and 'name="assignee"' in page

    response = browser.post(
        change_url(request),
        change_form(
            status="contacted",
            assignee=str(user.pk),
            first_name="Mallory",
            email="mallory@example.org",
        ),
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.first_name, request.email) == ("Ann", "ann@example.org")
    assert request.status == "contacted"
    assert request.assignee == user
    change = StatusChange.objects.get(request=request)
    assert (change.from_status, change.to_status, change.changed_by) == ("new", "contacted", user)
    history = browser.get(change_url(request)).content.decode()
    assert "Status history" in history and "Contacted" in history


def test_actions_mark_status_and_assign(desk):
    user, browser = desk
    first, second = make_request(), make_request()
    browser.post(LIST, {"action": "mark_contacted", "_selected_action": [first.pk, second.pk]})
    browser.post(LIST, {"action": "assign_to_me", "_selected_action": [first.pk]})
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == "contacted"
    assert first.assignee == user and second.assignee is None
    assert StatusChange.objects.filter(changed_by=user, to_status="contacted").count() == 2
    for action in ("mark_scheduled", "mark_closed", "mark_spam"):
        browser.post(LIST, {"action": action, "_selected_action": [second.pk]})
    assert list(second.status_changes.values_list("to_status", flat=True)) == [
        "contacted", "scheduled", "closed", "spam",
    ]  # fmt: skip


def test_notes_are_append_only(desk):
    user, browser = desk
    request = make_request()
    form = change_form(**{
        "notes-TOTAL_FORMS": "1",
        "notes-0-text": "Left a voicemail at 10:05.",
        "notes-0-request": str(request.pk),
    })  # fmt: skip
    assert browser.post(change_url(request), form).status_code == 302
    note = Note.objects.get()
    assert (note.text, note.author) == ("Left a voicemail at 10:05.", user)

    page = browser.get(change_url(request)).content.decode()
    assert "Left a voicemail at 10:05." in page
    # The note is shown as text, not in a box to edit; a new one goes in a fresh box.
    assert '<div class="readonly">Left a voicemail at 10:05.</div>' in page
    assert 'name="notes-0-text"' not in page and 'name="notes-1-text"' in page
    assert 'name="notes-0-DELETE"' not in page

    # An attempt to rewrite the existing note is ignored.
    tamper = {**form, "notes-TOTAL_FORMS": "1", "notes-INITIAL_FORMS": "1",
              "notes-0-id": str(note.pk), "notes-0-text": "Never called.",
              "notes-0-DELETE": "on"}  # fmt: skip
    browser.post(change_url(request), tamper)
    note.refresh_from_db()
    assert note.text == "Left a voicemail at 10:05."


def test_no_one_adds_or_deletes_requests_in_the_admin(make_staff, signed_in):
    boss = signed_in(make_staff("boss", role=None, is_superuser=True))
    request = make_request()
    assert boss.get(reverse("admin:appointments_appointmentrequest_add")).status_code == 403
    assert (
        boss.get(
            reverse("admin:appointments_appointmentrequest_delete", args=[request.pk])
        ).status_code
        == 403
    )


def test_viewing_a_request_is_audited_without_phi(desk):
    user, browser = desk
    request = make_request(first_name="Zelda", email="zelda@example.org")
    browser.get(change_url(request))
    entry = AuditEntry.objects.get(action="viewed")
    assert (entry.actor, entry.reference) == (user, request.reference)
    stored = " ".join(str(getattr(entry, f.attname)) for f in AuditEntry._meta.fields)
    assert "Zelda" not in stored and "zelda@" not in stored


def test_changes_are_audited_and_shown_to_the_clinical_lead(desk, lead):
    _, browser = desk
    request = make_request()
    browser.post(LIST, {"action": "mark_contacted", "_selected_action": [request.pk]})
    entry = AuditEntry.objects.get(action="changed")
    assert entry.detail == "status → Contacted"
    # Newest first, this very viewing included.
    assert audit_trail(lead, request) == [
        ("lead", "Viewed", ""),
        ("frontdesk", "Changed", "status → Contacted"),
    ]


def test_front_desk_does_not_see_the_audit_trail_on_a_request(desk):
    _, browser = desk
    request = make_request()
    browser.post(LIST, {"action": "mark_contacted", "_selected_action": [request.pk]})
    html = browser.get(change_url(request)).content.decode()
    assert "Status history" in html
    assert "Audit trail" not in html and 'class="audit-trail"' not in html


def test_looking_at_the_list_or_searching_it_is_audited_without_the_search_terms(desk):
    user, browser = desk
    make_request(first_name="Zelda", last_name="Quist")
    browser.get(LIST)
    browser.get(LIST + "?q=Quist")
    listed, searched = AuditEntry.objects.order_by("at", "pk")
    assert (listed.actor, listed.get_action_display()) == (user, "Viewed the request list")
    assert (searched.actor, searched.get_action_display()) == (user, "Searched the requests")
    assert searched.detail == "1 request(s) matched"
    stored = " ".join(str(getattr(entry, f.attname)) for entry in (listed, searched)
                      for f in AuditEntry._meta.fields)  # fmt: skip
    assert "Quist" not in stored and "Zelda" not in stored


def audit_trail(browser, request):
    """(who, what, detail) for each line of the audit trail on the request's page."""
    html = browser.get(change_url(request)).content.decode()
    table = html.split('<table class="audit-trail">', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr><td>[^<]*</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>", table)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["2025", "2026"]),
        ("?created_at__year=2025", ["December 2025"]),
        ("?created_at__year=2026", ["January 2026", "February 2026", "March 2026"]),
        ("?created_at__year=2026&created_at__month=2", ["February 27", "February 28"]),
    ],
)
def test_date_drill_down_lists_the_dates_requests_span(desk, query, expected):
    _, browser = desk
    for when in ("2025-12-30 10:00", "2026-01-15 10:00", "2026-02-27 10:00",
                 "2026-02-28 23:00", "2026-03-02 10:00"):  # fmt: skip
        make_request(created_at=timezone.make_aware(timezone.datetime.fromisoformat(when)))
    html = browser.get(LIST + query).content.decode()
    toplinks = html.split('<nav class="toplinks">', 1)[1].split("</nav>", 1)[0]
    choices = re.sub(r'<a [^>]*class="date-back">.*?</a>', "", toplinks)
    assert re.findall(r'<a href="\?[^"]*">([^<]+)</a>', choices) == expected


@pytest.mark.parametrize(
    ("utc", "shown"),
    [("2026-01-15 15:05", "Jan 15, 2026, 10:05 a.m. EST"),
     ("2026-07-15 15:05", "Jul 15, 2026, 11:05 a.m. EDT")],
)  # fmt: skip
def test_every_time_on_a_request_is_in_the_clinics_zone_and_names_it(desk, lead, utc, shown):
    user, browser = desk
    at = timezone.datetime.fromisoformat(utc + "+00:00")
    request = make_request(created_at=at, status_changed_at=at)
    StatusChange.objects.create(
        request=request, from_status="new", to_status="contacted", changed_by=user, changed_at=at
    )
    Note.objects.create(request=request, text="Called back.", author=user, created_at=at)
    AuditEntry.objects.create(actor=user, actor_username="frontdesk", action="changed",
                              reference=request.reference, at=at)  # fmt: skip
    request.log_call("voicemail", user, at=at)

    page = lead.get(change_url(request)).content.decode()
    assert f"Note by frontdesk at {shown}" in page
    # received, status since, the calls, history, note, audit trail: one format throughout
    assert page.count(shown) >= 6
    assert shown in page.split("Calls so far", 1)[1].split("</table>", 1)[0]
    history = page.split("Status history", 1)[1].split("</table>", 1)[0]
    assert shown in history
    assert shown in page.split('class="audit-trail"', 1)[1]
    # Not the UTC time, in either clock (whole words: the call form's own time field shows the
    # time the test runs, which may well contain "3:05").
    assert not re.search(r"(?<![:\d])(15|0?3):05(?![:\d])", page)
    assert shown in browser.get(LIST).content.decode()


def test_no_column_looks_sorted_while_the_list_is_in_triage_order(desk):
    _, browser = desk
    make_request()
    html = browser.get(LIST).content.decode()
    assert 'class="sorted' not in html
    # Once staff sort by a column, its header says so.
    sorted_by_received = browser.get(LIST, {"o": "1"}).content.decode()
    header = re.search(r'<th scope="col" class="([^"]*column-received[^"]*)"', sorted_by_received)
    assert "sorted ascending" in header[1]


def test_a_requests_change_history_opens(desk):
    user, browser = desk
    request = make_request()
    browser.post(change_url(request), change_form(status="contacted", assignee=str(user.pk)))
    history = reverse("admin:appointments_appointmentrequest_history", args=[request.pk])
    response = browser.get(history)
    assert response.status_code == 200
    assert "frontdesk" in response.content.decode()


@pytest.mark.parametrize(
    "lookup",
    ["message__icontains=sad", "first_name__startswith=Zel", "email__contains=zelda",
     "insurance__iexact=Aetna", "assignee__username=ann", "created_at__gte=2026-01-01"],
)  # fmt: skip
def test_field_lookups_the_list_does_not_offer_are_refused_and_never_logged(desk, caplog, lookup):
    _, browser = desk
    make_request(first_name="Zelda", email="zelda@example.org", message="I feel sad")
    caplog.set_level("DEBUG")
    response = browser.get(f"{LIST}?{lookup}")
    assert response.status_code == 400
    assert "Zelda" not in response.content.decode()
    assert not AuditEntry.objects.filter(action__in=["listed", "searched"]).exists()
    term = lookup.split("=")[1]
    assert all(term not in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    "query",
    ["urgent__exact=1", "status__exact=open", "service__exact=tms", "language__exact=es",
     "patient_type__exact=new", "created_at__year=2026&created_at__month=3", "duplicates=yes",
     "today=yes", "o=1", "p=1"],
)  # fmt: skip
def test_the_filters_the_list_offers_still_work(desk, query):
    _, browser = desk
    make_request()
    assert browser.get(f"{LIST}?{query}").status_code == 200


# The last: an accent typed as its own character after the letter (as some keyboards send it).
@pytest.mark.parametrize(
    "term", ["Ramirez", "Ramírez", "RAMÍREZ", "ramirez", "Luis Ramirez", "Rami\u0301rez"]
)
def test_search_finds_a_name_with_or_without_its_accents(desk, term):
    _, browser = desk
    typed = [make_request(first_name="Luis", last_name=name) for name in ("Ramírez", "Ramirez")]
    make_request(first_name="Luisa", last_name="Ramos")
    found = rows(browser.get(LIST, {"q": term}))
    assert sorted(found) == sorted(str(r.pk) for r in typed)


def test_a_request_stored_by_the_release_before_is_found_once_the_sweep_has_run(desk):
    from django.core.management import call_command

    _, browser = desk
    # The previous release, still serving during an upgrade, stores no search text.
    request = make_request(first_name="Zoë", last_name="Núñez")
    AppointmentRequest.objects.filter(pk=request.pk).update(search_text="")
    assert rows(browser.get(LIST, {"q": "Nunez"})) == []
    call_command("send_pending_notifications")
    assert rows(browser.get(LIST, {"q": "Nunez"})) == [str(request.pk)]
    assert rows(browser.get(LIST, {"q": "zoe núñez"})) == [str(request.pk)]


def test_a_reference_of_digits_alone_is_found_as_typed_or_without_its_dash(desk):
    _, browser = desk
    wanted = make_request(reference="1234-5678")
    make_request()
    for typed in ("1234-5678", "12345678", "1234 5678"):
        assert rows(browser.get(LIST, {"q": typed})) == [str(wanted.pk)], typed
