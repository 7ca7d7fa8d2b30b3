"""The front desk's order, kept on the row: the list opens urgent first, then overdue, then
callbacks due, then the other open requests, then those waiting for a later callback, then the
finished ones, as it would if the order were worked out on every page; a step staff take moves
a request at once, and the passing of time moves it with no one touching it."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import call_command
from django.utils import timezone

from appointments.admin import AppointmentRequestAdmin
from appointments.models import AppointmentRequest, CallAttempt, QueueRank, queue_rank_expression
from tests.support.triage import LIST, change_form, rows

from .factories import make_request

pytestmark = pytest.mark.django_db

LATER = [timedelta(0), timedelta(hours=1), timedelta(days=1), timedelta(days=3), timedelta(days=8)]


@pytest.fixture
def desk(make_staff, signed_in):
    user = make_staff("frontdesk")
    return user, signed_in


@pytest.fixture
def a_morning():
    """A mix of what the desk finds in the list: each kind of request, fresh and old."""
    today = timezone.localdate()
    return [
        make_request(status="closed", age=timedelta(days=10)),
        make_request(status="scheduled", age=timedelta(hours=5), callback_due_on=today),
        make_request(age=timedelta(days=6), callback_due_on=today + timedelta(days=1)),
        make_request(age=timedelta(hours=3), callback_due_on=today + timedelta(days=2)),
        make_request(age=timedelta(hours=1)),
        make_request(status="contacted", age=timedelta(hours=2)),
        make_request(age=timedelta(hours=3), callback_due_on=today),
        make_request(age=timedelta(days=2), callback_due_on=today - timedelta(days=1)),
        make_request(age=timedelta(days=5)),
        make_request(urgent=True, age=timedelta(minutes=5)),
        make_request(urgent=True, status="closed", age=timedelta(days=9)),
    ]


def order_worked_out_in_full(now):
    """The order as the list used to work it out on every page: the rules in ORDER BY."""
    requests = AppointmentRequest.objects.order_by(
        queue_rank_expression(now).asc(), "created_at", "pk"
    )
    return [str(pk) for pk in requests.values_list("pk", flat=True)]


def list_seen_at(when, user, signed_in):
    """The triage list as the desk sees it at `when`, with nothing written since the requests
    were made."""
    with mock.patch("django.utils.timezone.now", return_value=when):
        return rows(signed_in(user).get(LIST))


@pytest.mark.parametrize("later", LATER, ids=lambda d: f"{d.days}d{d.seconds // 3600}h")
def test_the_list_keeps_the_desks_order_as_time_passes_with_no_write(a_morning, desk, later):
    user, signed_in = desk
    when = timezone.now() + later
    assert list_seen_at(when, user, signed_in) == order_worked_out_in_full(when)


def test_a_fresh_request_and_a_booked_callback_come_due_with_no_one_touching_them(desk):
    user, signed_in = desk
    today = timezone.localdate()
    closed = make_request(status="closed", age=timedelta(days=10))
    waiting = make_request(age=timedelta(hours=4), callback_due_on=today + timedelta(days=1))
    fresh = make_request(age=timedelta(hours=1))
    old = make_request(age=timedelta(days=6))
    now = timezone.now()
    ids = [str(r.pk) for r in (old, fresh, waiting, closed)]
    assert list_seen_at(now, user, signed_in) == ids
    # A week on: both have waited past the cutoff (overdue), and the callback's day has
    # passed (a callback due, after the overdue ones).
    ids = [str(r.pk) for r in (old, fresh, waiting, closed)]
    assert list_seen_at(now + timedelta(days=7), user, signed_in) == ids
    assert AppointmentRequest.objects.get(pk=fresh.pk).queue_rank == QueueRank.OVERDUE
    assert AppointmentRequest.objects.get(pk=waiting.pk).queue_rank == QueueRank.CALLBACK_DUE


TODAY = timezone.localdate


@pytest.mark.parametrize(
    ("request_fields", "rank"),
    [
        ({"urgent": True, "status": "closed", "age": timedelta(days=9)}, QueueRank.URGENT),
        ({"urgent": True, "age": timedelta(minutes=5)}, QueueRank.URGENT),
        ({"age": timedelta(days=5)}, QueueRank.OVERDUE),
        ({"status": "contacted", "age": timedelta(days=5)}, QueueRank.OVERDUE),
        # Called on time, and a callback booked for today: due, not late.
        ({"age": timedelta(days=3), "callback_due_on": "today"}, QueueRank.CALLBACK_DUE),
        ({"age": timedelta(hours=3), "callback_due_on": "today"}, QueueRank.CALLBACK_DUE),
        ({"age": timedelta(days=3), "callback_due_on": "yesterday"}, QueueRank.CALLBACK_DUE),
        ({"age": timedelta(hours=1)}, QueueRank.OPEN),
        ({"status": "contacted", "age": timedelta(hours=2)}, QueueRank.OPEN),
        ({"age": timedelta(days=6), "callback_due_on": "tomorrow"}, QueueRank.WAITING),
        ({"status": "scheduled", "callback_due_on": "today"}, QueueRank.FINISHED),
        ({"status": "closed", "age": timedelta(days=10)}, QueueRank.FINISHED),
    ],
)
def test_each_request_has_the_rank_the_rules_give_it(request_fields, rank):
    days = {"yesterday": -1, "today": 0, "tomorrow": 1}
    if "callback_due_on" in request_fields:
        when = days[request_fields["callback_due_on"]]
        request_fields["callback_due_on"] = TODAY() + timedelta(days=when)
    made = make_request(**request_fields)
    assert made.queue_rank == rank
    assert AppointmentRequest.objects.get(pk=made.pk).queue_rank == rank
    # Worked out again by the database, as the refresh does: it moves nothing.
    assert AppointmentRequest.objects.refresh_queue_ranks() == 0
    assert made.is_overdue == (rank == QueueRank.OVERDUE)


def test_a_rank_stored_by_the_release_before_is_worked_out_again():
    # During an upgrade the previous release, still serving, stores its own ranks (0 to 4).
    made = {rank: make_request(**fields) for rank, fields in [
        (QueueRank.OPEN, {}),
        (QueueRank.FINISHED, {"status": "closed"}),
        (QueueRank.OVERDUE, {"age": timedelta(days=5)}),
    ]}  # fmt: skip
    AppointmentRequest.objects.update(queue_rank=2)
    assert AppointmentRequest.objects.refresh_queue_ranks() == 3
    for rank, request in made.items():
        assert AppointmentRequest.objects.get(pk=request.pk).queue_rank == rank


def in_stored_order():
    """The order read from the stored ranks alone, without refreshing them."""
    return list(AppointmentRequest.objects.in_triage_order())


def test_each_step_staff_take_moves_the_request_at_once(desk, a_morning):
    user, _ = desk
    now = timezone.now()
    today = timezone.localdate()
    assert [str(r.pk) for r in in_stored_order()] == order_worked_out_in_full(now)
    overdue = a_morning[8]

    def stands(request):
        """Its stored rank, once the stored order is checked against the full rules."""
        assert [str(r.pk) for r in in_stored_order()] == order_worked_out_in_full(now)
        return AppointmentRequest.objects.get(pk=request.pk).queue_rank

    overdue.change_status(AppointmentRequest.Status.CLOSED, user)
    assert stands(overdue) == QueueRank.FINISHED
    overdue.change_status(AppointmentRequest.Status.CONTACTED, user)
    assert stands(overdue) == QueueRank.OVERDUE
    overdue.log_call(CallAttempt.Outcome.VOICEMAIL, user, callback_on=today + timedelta(days=1))
    assert stands(overdue) == QueueRank.WAITING
    overdue.log_call(CallAttempt.Outcome.NO_ANSWER, user, callback_on=today)
    assert stands(overdue) == QueueRank.CALLBACK_DUE

    urgent = a_morning[9]
    assert in_stored_order()[0] == a_morning[10]  # the older urgent one, though closed
    assert urgent.clear_urgent(user)
    assert stands(urgent) == QueueRank.OPEN
    assert a_morning[10].clear_urgent(user)
    assert stands(a_morning[10]) == QueueRank.FINISHED


def test_a_status_changed_on_the_request_page_moves_it_in_the_list(desk):
    user, signed_in = desk
    browser = signed_in(user)
    first = make_request(age=timedelta(days=5))
    second = make_request(age=timedelta(hours=1))
    assert rows(browser.get(LIST)) == [str(first.pk), str(second.pk)]
    response = browser.post(first.get_admin_url(), change_form(status="scheduled"))
    assert response.status_code == 302
    browser.get(LIST)  # the "changed successfully" message, with its own link to the request
    assert rows(browser.get(LIST)) == [str(second.pk), str(first.pk)]


def test_a_request_urgent_on_arrival_ranks_first():
    request = make_request(message="I want to end my life", age=timedelta(hours=1))
    assert request.urgent and request.queue_rank == QueueRank.URGENT
    assert AppointmentRequest.objects.get(pk=request.pk).queue_rank == QueueRank.URGENT


def test_the_periodic_command_moves_requests_that_came_due():
    request = make_request()
    # Received a week ago, as far as the table knows, with its rank from when it was new.
    AppointmentRequest.objects.filter(pk=request.pk).update(
        created_at=timezone.now() - timedelta(days=7)
    )
    assert AppointmentRequest.objects.get(pk=request.pk).queue_rank == QueueRank.OPEN
    call_command("send_pending_notifications")
    assert AppointmentRequest.objects.get(pk=request.pk).queue_rank == QueueRank.OVERDUE


@pytest.mark.parametrize("query", ["", "?status__exact=new", "?p=2", "?q=Patient"])
def test_the_list_page_runs_at_most_eight_queries(desk, django_assert_max_num_queries, query):
    user, signed_in = desk
    browser = signed_in(user)
    for n in range(60):
        make_request(age=timedelta(hours=n * 7), assignee=user if n % 3 else None)
    browser.get(LIST)  # the session's once-a-minute refresh is not the list's
    # A search reads the search column once more, before the count: it looks its matches up
    # by key after that.
    with django_assert_max_num_queries(9 if "q=" in query else 8):
        response = browser.get(LIST + query)
    assert response.status_code == 200 and rows(response)


def test_a_request_overdue_over_the_weekend_is_open_again_on_monday_morning(desk, settings):
    # The cutoff counts business days, so it steps back when the weekend ends: at 9:00 on
    # Monday a day's wait reaches Friday 9:00, at 10:00 on Sunday it reached Friday 10:00.
    settings.APPOINTMENT_OVERDUE_BUSINESS_DAYS = 1
    user, signed_in = desk
    zone = timezone.get_current_timezone()

    def at(day, hour, minute=0):
        return timezone.datetime(2026, 11, day, hour, minute, tzinfo=zone)

    old = make_request(created_at=at(26, 8))
    friday = make_request(created_at=at(27, 9, 30))
    saturday = make_request(created_at=at(28, 12))
    called_back = make_request(created_at=at(29, 8), callback_due_on=at(29, 8).date())
    sunday, monday = at(29, 10), at(30, 9)
    assert list_seen_at(sunday, user, signed_in) == order_worked_out_in_full(sunday)
    assert order_worked_out_in_full(sunday) == [
        str(r.pk) for r in (old, friday, called_back, saturday)
    ]
    assert list_seen_at(monday, user, signed_in) == order_worked_out_in_full(monday)
    assert order_worked_out_in_full(monday) == [
        str(r.pk) for r in (old, called_back, friday, saturday)
    ]


@pytest.mark.parametrize("query", ["", "?status__exact=new", "?p=2", "?q=Patient", "?today=yes"])
def test_past_the_count_cap_the_list_says_so_and_costs_the_same_queries(
    desk, django_assert_max_num_queries, monkeypatch, query
):
    # The cap is 10,000 and a page 50 rows: here 30 and 10, and 60 requests stand in for a
    # million.
    monkeypatch.setattr("appointments.admin.COUNT_CAP", 30)
    monkeypatch.setattr(AppointmentRequestAdmin, "list_per_page", 10)
    user, signed_in = desk
    browser = signed_in(user)
    for n in range(60):
        make_request(age=timedelta(hours=n * 7), callback_due_on=timezone.localdate())
    browser.get(LIST)
    # The queries above, and the two ends of the dates.
    with django_assert_max_num_queries(10 if "q=" in query else 9):
        response = browser.get(LIST + query)
    html = response.content.decode()
    assert "30+ appointment requests" in html or "30+ results" in html, query
    assert len(rows(response)) == 10
