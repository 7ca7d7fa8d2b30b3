"""What each role may do, the CSV export, and deleting requests after the retention period."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from appointments.export import safe_cell
from appointments.models import AppointmentRequest, AuditEntry, Note, StatusChange

from .factories import make_request

pytestmark = pytest.mark.django_db

LIST = reverse("admin:appointments_appointmentrequest_changelist")
AUDIT = reverse("admin:appointments_auditentry_changelist")
USERS = reverse("admin:auth_user_changelist")


@pytest.fixture
def desk(make_staff, signed_in):
    return signed_in(make_staff("frontdesk", role="Front desk"))


@pytest.fixture
def lead(make_staff, signed_in):
    return signed_in(make_staff("lead", role="Clinical lead"))


@pytest.fixture
def boss(make_staff, signed_in):
    return signed_in(make_staff("boss", role=None, is_superuser=True))


def actions_offered(browser):
    html = browser.get(LIST).content.decode()
    return set(re.findall(r'<option value="([a-z_]+)">', html))


class TestRoles:
    def test_front_desk_triages_but_cannot_export_purge_audit_or_manage_staff(self, desk):
        request = make_request()
        assert desk.get(LIST).status_code == 200
        assert desk.get(request.get_admin_url()).status_code == 200
        offered = actions_offered(desk)
        assert {"mark_contacted", "mark_scheduled", "mark_closed", "mark_spam",
                "assign_to_me"} <= offered  # fmt: skip
        assert "export_csv" not in offered and "purge_selected" not in offered
        response = desk.post(LIST, {"action": "export_csv", "_selected_action": [request.pk]})
        assert response.get("Content-Type", "").startswith("text/html")
        assert not AuditEntry.objects.filter(action="exported").exists()
        assert desk.get(AUDIT).status_code == 403
        assert desk.get(USERS).status_code == 403
        assert desk.get(reverse("admin:auth_group_changelist")).status_code == 403

    def test_clinical_lead_also_exports_purges_and_reads_the_audit_trail(self, lead):
        make_request()
        offered = actions_offered(lead)
        assert {"export_csv", "purge_selected", "mark_contacted"} <= offered
        assert lead.get(AUDIT).status_code == 200
        assert lead.get(reverse("admin:appointments_auditentry_add")).status_code == 403
        assert lead.get(USERS).status_code == 403

    def test_superusers_manage_staff(self, boss):
        assert boss.get(USERS).status_code == 200
        assert boss.get(reverse("admin:auth_user_add")).status_code == 200

    def test_anonymous_visitors_see_nothing(self):
        request = make_request()
        visitor = Client(HTTP_X_FORWARDED_PROTO="https")
        for url in (LIST, request.get_admin_url(), reverse("admin:index")):
            response = visitor.get(url)
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("admin:login"))

    def test_signed_in_non_staff_users_see_nothing(self, django_user_model, signed_in):
        user = django_user_model.objects.create_user("patient", password="x" * 20)
        browser = signed_in(user)
        request = make_request()
        response = browser.get(request.get_admin_url())
        assert response.status_code == 302
        assert "Ann" not in browser.get(reverse("admin:login")).content.decode()


class TestExport:
    def test_lead_exports_the_selection_as_csv_and_it_is_audited(self, lead):
        chosen = make_request(first_name="Ann", service="tms")
        make_request(first_name="Other")
        response = lead.post(LIST, {"action": "export_csv", "_selected_action": [chosen.pk]})
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert "attachment;" in response["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows[0][:3] == ["Reference", "Received", "Status"]
        assert len(rows) == 2
        assert rows[1][0] == chosen.reference
        assert "TMS therapy evaluation" in rows[1]
        file_name = re.search(r'filename="([^"]+)"', response["Content-Disposition"])[1]
        exported = AuditEntry.objects.filter(action="exported", actor_username="lead")
        assert exported.get(reference="").detail == f"1 request(s) to {file_name}"
        assert exported.get(reference=chosen.reference).detail == f"in {file_name}"
        assert exported.count() == 2

    def test_each_exported_request_names_the_export_in_its_trail(self, lead):
        requests = [make_request() for _ in range(3)]
        lead.post(LIST, {"action": "export_csv", "_selected_action": [r.pk for r in requests[:2]]})
        exported = AuditEntry.objects.filter(action="exported").exclude(reference="")
        assert set(exported.values_list("reference", flat=True)) == {
            r.reference for r in requests[:2]
        }
        html = lead.get(requests[0].get_admin_url()).content.decode()
        assert "Exported" in html and ".csv" in html

    def test_export_follows_the_filters_when_all_are_selected(self, lead):
        make_request(service="tms")
        make_request(service="tms")
        make_request(service="spravato")
        response = lead.post(
            f"{LIST}?service__exact=tms",
            {"action": "export_csv", "select_across": "1", "index": "0",
             "_selected_action": [r.pk for r in AppointmentRequest.objects.all()]},
        )  # fmt: skip
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert len(rows) == 3  # header and the two TMS requests

    @pytest.mark.parametrize(
        "typed", ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]
    )
    def test_cells_that_would_run_as_formulas_are_neutralised(self, lead, typed):
        request = make_request(message=typed, insurance=typed)
        response = lead.post(LIST, {"action": "export_csv", "_selected_action": [request.pk]})
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        message = rows[1][rows[0].index("Message")]
        assert message == "'" + typed
        assert rows[1][rows[0].index("Phone")] == "'" + request.phone

    def test_plain_cells_are_left_alone(self):
        assert safe_cell("Ann") == "Ann"
        assert safe_cell("a=b") == "a=b"


class TestRetention:
    def old(self, status, days):
        return make_request(status=status, age=timedelta(days=days))

    def test_dry_run_reports_and_deletes_nothing(self):
        expired = self.old("closed", 400)
        out = io.StringIO()
        call_command("purge_requests", "--older-than", "365", "--dry-run", stdout=out)
        assert "Would delete 1 request(s)." in out.getvalue()
        assert expired.reference in out.getvalue()
        assert AppointmentRequest.objects.filter(pk=expired.pk).exists()
        assert not AuditEntry.objects.exists()

    def test_purge_deletes_only_finished_requests_older_than_the_limit(self):
        gone = [self.old("closed", 400), self.old("declined", 400), self.old("spam", 400)]
        kept = [self.old("new", 400), self.old("contacted", 400), self.old("scheduled", 400),
                self.old("closed", 30)]  # fmt: skip
        Note.objects.create(request=gone[0], text="called")
        out = io.StringIO()
        call_command("purge_requests", "--older-than", "365", stdout=out)
        assert "Deleted 3 request(s)." in out.getvalue()
        assert set(AppointmentRequest.objects.all()) == set(kept)
        assert not Note.objects.exists()
        purged = AuditEntry.objects.filter(action="purged")
        assert sorted(purged.values_list("reference", flat=True)) == sorted(
            r.reference for r in gone
        )
        assert purged.first().detail == "retention: older than 365 days"

    def test_status_option_narrows_the_purge(self):
        spam, closed = self.old("spam", 400), self.old("closed", 400)
        call_command("purge_requests", "--older-than", "365", "--status", "spam",
                     stdout=io.StringIO())  # fmt: skip
        assert list(AppointmentRequest.objects.all()) == [closed]
        assert not AppointmentRequest.objects.filter(pk=spam.pk).exists()

    def test_open_requests_can_never_be_purged(self):
        self.old("new", 400)
        with pytest.raises(CommandError, match="only closed, declined, spam"):
            call_command("purge_requests", "--status", "new", stdout=io.StringIO())
        assert AppointmentRequest.objects.count() == 1

    def test_default_age_is_the_retention_setting(self, settings):
        settings.APPOINTMENT_RETENTION_DAYS = 30
        self.old("closed", 31)
        kept = self.old("closed", 29)
        call_command("purge_requests", stdout=io.StringIO())
        assert list(AppointmentRequest.objects.all()) == [kept]

    def test_audit_entries_survive_the_purge_and_hold_no_phi(self, desk):
        request = self.old("closed", 400)
        request.first_name, request.email = "Zelda", "zelda@example.org"
        request.save()
        desk.get(request.get_admin_url())
        call_command("purge_requests", stdout=io.StringIO())
        entries = AuditEntry.objects.filter(reference=request.reference)
        assert sorted(entries.values_list("action", flat=True)) == ["purged", "viewed"]
        for entry in entries:
            stored = " ".join(str(getattr(entry, f.attname)) for f in AuditEntry._meta.fields)
            assert "Zelda" not in stored and "zelda" not in stored

    def test_lead_purges_from_the_admin_but_open_requests_stay(self, lead):
        closed, new = self.old("closed", 10), make_request()
        lead.post(LIST, {"action": "purge_selected", "_selected_action": [closed.pk, new.pk]})
        assert list(AppointmentRequest.objects.all()) == [new]
        assert AuditEntry.objects.get(action="purged").actor_username == "lead"

    def test_privacy_notice_states_the_retention_setting(self, client, site_content, settings):
        text = client.get("/privacy/").content.decode()
        assert f"<strong>{settings.APPOINTMENT_RETENTION_DAYS} days</strong>" in text


def test_status_history_goes_with_the_request_but_audit_stays(lead):
    request = make_request(status="closed", age=timedelta(days=400))
    request.change_status("spam", None)
    call_command("purge_requests", stdout=io.StringIO())
    assert not StatusChange.objects.exists()
    assert AuditEntry.objects.filter(reference=request.reference).exists()
