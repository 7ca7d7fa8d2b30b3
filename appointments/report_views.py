"""The reply-time report's page in the admin, and its CSV (the figures: appointments/report.py).

For the clinical lead and superusers (the permission appointments.view_reply_report, given to
roles in staff/roles.py); anyone else on staff gets 403. Each view and each download is written
to the audit trail, like a view of the request list.
"""

import csv
import secrets

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from clinic_site.clinic import get_clinic

from . import report as reports
from .export import safe_cell
from .models import AppointmentRequest, AuditEntry, local_time

PERMISSION = "appointments.view_reply_report"
DEFAULT_PERIOD = "week"


DATE = forms.DateInput(attrs={"type": "date"})


class PeriodForm(forms.Form):
    """The period: a preset, or two dates (at most a year apart, not after today)."""

    period = forms.ChoiceField(
        choices=[*reports.PRESETS.items(), ("dates", "Dates")], required=False
    )
    start = forms.DateField(label="From", required=False, widget=DATE)
    end = forms.DateField(label="To", required=False, widget=DATE)

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        for name in ("start", "end"):
            self.fields[name].widget.attrs["max"] = f"{today:%Y-%m-%d}"

    def clean(self):
        data = super().clean()
        if data.get("period") != "dates" or self.errors:
            return data
        start, end = data.get("start"), data.get("end")
        if not start or not end:
            raise forms.ValidationError("Give both dates, or pick a period above.")
        if start > end:
            raise forms.ValidationError("The first date must not be after the last.")
        if start > self.today:
            raise forms.ValidationError("The first date must not be after today.")
        if end - start >= reports.LONGEST_PERIOD:
            raise forms.ValidationError("A period can be at most a year.")
        return data

    def chosen_period(self):
        data = self.cleaned_data
        if data.get("period") == "dates":
            return reports.Period(data["start"], min(data["end"], self.today))
        return reports.Period.of(data.get("period") or DEFAULT_PERIOD, self.today)


def reply_report(request, site):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    now = timezone.now()
    form = PeriodForm(request.GET, today=timezone.localdate(now))
    report = reports.reply_report(form.chosen_period(), now) if form.is_valid() else None
    if report and request.GET.get("format") == "csv":
        return _csv_download(request, report)
    if report:
        AuditEntry.record(
            request.user,
            AuditEntry.Action.LISTED,
            detail=f"Reply-time report, {report.period}: {report.total.requests} request(s)",
        )
    clinic = get_clinic("en")
    context = {
        **site.each_context(request),
        "title": "Reply times: is the promise kept?",
        "form": form,
        "report": report,
        "clinic": clinic,
        "presets": [
            {"key": key, "label": label, "current": report and report.period.preset == key}
            for key, label in reports.PRESETS.items()
        ],
        "zone": timezone.get_current_timezone_name(),
        "hours": clinic.hours,
        "holidays": clinic.holidays,
    }
    if report:
        context |= _figures(request, report)
    return TemplateResponse(request, "appointments/reply_report.html", context)


def _figures(request, report):
    chart = reports.chart_rows(report)
    links = dict(
        AppointmentRequest.objects.filter(
            reference__in=[u.reference for u in report.urgent_waits]
        ).values_list("reference", "pk")
    )
    return {
        "now_text": local_time(report.now),
        "summary_rows": [("Urgent requests", report.urgent), ("All requests", report.total)],
        "urgent_rows": [
            {"wait": u, "url": reverse("admin:appointments_appointmentrequest_change", args=[pk])}
            for u in report.urgent_waits
            if (pk := links.get(u.reference))
        ],
        "chart": chart,
        "chart_height": len(chart) * reports.CHART_ROW_HEIGHT,
        "week_rows": [(row["label"], row["figures"]) for row in chart],
        "breakdowns": [
            (f"reply-{name}", breakdown.title, report.groups(name))
            for name, breakdown in reports.BREAKDOWNS.items()
        ],
        "csv_query": _query(request, format="csv"),
    }


def _query(request, **changes):
    params = request.GET.copy()
    for name, value in changes.items():
        params[name] = value
    return params.urlencode()


def _csv_download(request, report):
    period = report.period
    name = f"reply-times-{period.first:%Y%m%d}-{period.last:%Y%m%d}-{secrets.token_hex(3)}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    for row in reports.csv_rows(report):
        writer.writerow([safe_cell(value) for value in row])
    AuditEntry.record(
        request.user,
        AuditEntry.Action.EXPORTED,
        detail=f"Reply-time report, {period}: {report.total.requests} request(s), to {name}",
    )
    return response
