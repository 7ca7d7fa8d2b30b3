"""The reply-time report in the admin: the clinical lead reads it and downloads its figures,
front desk cannot, each view is audited, and it reads what staff record (calls, status
changes) without showing anything but references."""

import csv
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from appointments.models import AuditEntry, CallAttempt, StatusChange
from appointments.report import Period, reply_report

from .factories import make_request

pytestmark = pytest.mark.django_db

REPORT = reverse("admin:appointments_reply_report")
ZONE = ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def _clinic_zone(settings):
    settings.TIME_ZONE = "America/New_York"


@pytest.fixture
def lead_user(make_staff):
    return make_staff("lead", role="Clinical lead")


@pytest.fixture
def lead(lead_user, signed_in):
    return signed_in(lead_user)


def local(day, hour, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=ZONE)


def contacted(request_obj, by, when, status="contacted"):
    """Staff move the request to `status` (its history says when)."""
    request_obj.change_status(status, by)
    StatusChange.objects.filter(request=request_obj, to_status=status).update(changed_at=when)


def test_clinical_lead_and_superusers_read_the_report_front_desk_gets_403(
    make_staff, signed_in, lead
):
    desk = signed_in(make_staff("frontdesk", role="Front desk"))
    boss = signed_in(make_staff("boss", role=None, is_superuser=True))
    assert lead.get(REPORT).status_code == 200
    assert boss.get(REPORT).status_code == 200
    assert desk.get(REPORT).status_code == 403
    assert desk.get(REPORT + "?format=csv").status_code == 403
    index = reverse("admin:index")
    assert REPORT in lead.get(index).content.decode()
    assert REPORT not in desk.get(index).content.decode()


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(REPORT)
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_first_contact_is_the_first_call_or_the_first_reply_whichever_came_first(lead_user):
    # Monday 9 am: the status was changed at 10, the call logged at 11 (after the fact).
    replied_first = make_request(created_at=local(16, 9))
    contacted(replied_first, lead_user, local(16, 10))
    replied_first.log_call(CallAttempt.Outcome.SPOKE, lead_user, at=local(16, 11))
    # Tuesday 9 am: a voicemail at 9:30 is the first attempt; Scheduled came on Thursday.
    called_first = make_request(created_at=local(17, 9))
    called_first.log_call(CallAttempt.Outcome.VOICEMAIL, lead_user, at=local(17, 9, 30))
    contacted(called_first, lead_user, local(19, 12), status="scheduled")
    # Closed on Wednesday without a call or a reply: not a contact.
    closed = make_request(created_at=local(18, 9))
    closed.change_status("closed", lead_user)
    # Not contacted: waiting. Spam: not a request at all.
    make_request(created_at=local(18, 10))
    make_request(created_at=local(18, 11), status="spam")

    report = reply_report(Period(date(2026, 11, 16), date(2026, 11, 22)), now=local(23, 12))

    total = report.total
    assert total.requests == 4
    assert (total.within, total.closed, total.overdue) == (2, 1, 1)
    assert sorted(total.waits)[:2] == pytest.approx([1800, 3600], abs=0.01)  # ½ hour, 1 hour


def test_viewing_and_downloading_are_audited_and_nothing_but_references_is_shown(lead, lead_user):
    patient = make_request(
        first_name="Maria",
        last_name="Lopez",
        email="maria@example.org",
        message="I feel hopeless and want to die",
        age=timedelta(hours=3),
    )
    assert patient.urgent

    page = lead.get(REPORT + "?period=4weeks").content.decode()
    for detail in ("Maria", "Lopez", "maria@example.org", "hopeless"):
        assert detail not in page
    assert patient.reference in page  # the urgent wait, shown unjudged (no target is set)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.LISTED)
    assert entry.actor == lead_user
    assert entry.detail.startswith("Reply-time report") and "1 request(s)" in entry.detail

    download = lead.get(REPORT + "?period=4weeks&format=csv")
    assert download["Content-Type"].startswith("text/csv")
    assert "no-store" in download["Cache-Control"]
    text = download.content.decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["Group", "Value", "Requests"]
    assert [row[0] for row in rows[1:3]] == ["All requests", "Urgent requests"]
    assert len([row for row in rows if row[0] == "Week"]) == 4
    for detail in ("Maria", "Lopez", "maria@example.org", "hopeless", patient.reference):
        assert detail not in text
    exported = AuditEntry.objects.get(action=AuditEntry.Action.EXPORTED)
    filename = download["Content-Disposition"].split('filename="')[1].rstrip('"')
    assert exported.actor == lead_user and filename in exported.detail


def test_urgent_requests_over_the_clinic_target_are_listed_by_reference(
    lead, lead_user, tmp_path, settings
):
    toml = settings.CLINIC_FILE.read_text().replace(
        "# urgent_reply_hours = 1", "urgent_reply_hours = 1"
    )
    settings.CLINIC_FILE = tmp_path / "clinic.toml"
    settings.CLINIC_FILE.write_text(toml)
    today = date.today()
    monday = today - timedelta(days=today.weekday() + 7)  # last week's: a whole business day
    received = datetime(monday.year, monday.month, monday.day, 10, tzinfo=ZONE)
    late = make_request(created_at=received, message="thinking about suicide")
    late.log_call(CallAttempt.Outcome.SPOKE, lead_user, at=received + timedelta(hours=2))
    prompt = make_request(created_at=received, message="I want to kill myself")
    prompt.log_call(CallAttempt.Outcome.SPOKE, lead_user, at=received + timedelta(minutes=20))

    page = lead.get(REPORT + "?period=4weeks").content.decode()

    assert "called within 1 h 00 min of business time" in page
    assert late.reference in page and late.get_admin_url() in page
    assert prompt.reference not in page


def test_an_urgent_request_counts_as_urgent_after_staff_clear_the_flag(lead_user):
    flagged = make_request(created_at=local(16, 9), message="I want to kill myself")
    flagged.log_call(CallAttempt.Outcome.SPOKE, lead_user, at=local(16, 9, 15))
    flagged.clear_urgent(lead_user)
    make_request(created_at=local(16, 10))

    report = reply_report(Period(date(2026, 11, 16), date(2026, 11, 22)), now=local(23, 12))

    assert (report.total.requests, report.urgent.requests) == (2, 1)
    assert [u.reference for u in report.urgent_waits] == [flagged.reference]


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("start=2026-11-20&end=2026-11-01", "The first date must not be after the last."),
        ("start=2025-01-01&end=2026-11-01", "A period can be at most a year."),
        ("start=2026-11-01", "Give both dates, or pick a period above."),
    ],
)
def test_dates_that_make_no_period_are_explained(lead, query, error):
    page = lead.get(f"{REPORT}?period=dates&{query}").content.decode()
    assert error in page
    assert "Download these figures" not in page
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.LISTED).exists()


def test_dates_picked_give_that_period_week_by_week(lead):
    page = lead.get(f"{REPORT}?period=dates&start=2026-06-01&end=2026-06-30").content.decode()
    assert "Jun 1 – Jun 30, 2026" in page
    assert "Jun 29 – Jun 30: 0 requests" in page  # the chart's last, shorter week
