"""The triage tool: clinic staff work each request to an outcome here.

What the patient typed is read-only; staff change the status and the assignee, log calls and
add notes. Views, changes, calls, notes, exports and purges are written to the audit trail.
The list opens in the order the front desk works: see models.rank_rules and TRIAGE_ORDER.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.timesince import timesince
from django.utils.translation import get_language_info
from django.views.decorators.http import require_POST

from clinic_site.admin import ReadOnlyAdmin, one_choice_filter

from . import export, notify, report_views, retention
from .models import (
    TRIAGE_ORDER,
    AppointmentRequest,
    AuditEntry,
    CallAttempt,
    Note,
    OutgoingEmail,
    adequate_trial_count,
    local_date,
    local_time,
    national_phone,
    search_words,
)

Status = AppointmentRequest.Status

PATIENT_FIELDS = AppointmentRequest.PATIENT_FIELDS
# The full record on a request's page opens with these, the phone and e-mail as links.
CONTACT_FIELDS = [
    "first_name",
    "last_name",
    "phone_link",
    "email_link",
    "contact_method",
    "best_time",
    "call_language",
]


def call_language_name(request):
    """The language to speak to the patient in ("Spanish"): the one they chose on the form, or
    for a request from before that question, the language of the page they wrote from."""
    return get_language_info(request.call_language or request.language)["name"]


# What the patient sent, read through these displays: the safety answer with its question, the
# service with the trials reported and the treatment history's table after it.
READ_AS = {
    "safety_answer": ["safety_question"],
    "service": ["service_and_trials", "treatment_history"],
}
REFERRED_BY = "Referred by"
REFERRER_DISPLAY = [
    "referrer_name",
    "referrer_practice",
    "referrer_phone_link",
    "referrer_fax_number",
    "referrer_email_link",
    "diagnosis",
    "antidepressant_managed_by",
]


def flagged_because(request):
    """Why a request was flagged, as staff read it: the safety answer and the kinds of crisis
    statement, never the patient's words."""
    return "; ".join(request.urgent_reason_labels) or "reason not recorded (flagged before "
    "reasons were kept, or by hand)"


def staff_name(user):
    return (user.get_full_name() or user.get_username()) if user else ""


class StatusFilter(admin.SimpleListFilter):
    """The statuses, and "Open" (new or contacted), which the index's cards link to. It keeps
    the parameter of Django's own status filter, so existing links still work."""

    title = "status"
    parameter_name = "status__exact"

    def lookups(self, request, model_admin):
        return [("open", "Open (new or contacted)"), *Status.choices]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.open()
        if self.value():
            return queryset.filter(status=self.value())
        return queryset


class AssignedFilter(admin.SimpleListFilter):
    title = "assigned to"
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("me", "Me"), ("nobody", "Nobody")]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assignee=request.user)
        if self.value() == "nobody":
            return queryset.filter(assignee__isnull=True)
        return queryset


# These three read the stored queue rank, which changelist_view refreshes first: the index's
# "Today" cards link to them, and no request is in two of them.
TodayFilter = one_choice_filter(
    "today", "today", "Urgent, overdue and callbacks due", lambda qs: qs.today()
)
OverdueFilter = one_choice_filter(
    "overdue", "overdue", "Overdue (no callback booked)", lambda qs: qs.overdue()
)
CallbackFilter = one_choice_filter(
    "callback", "callback", "Due today (or missed)", lambda qs: qs.callbacks_due()
)
DuplicateFilter = one_choice_filter(
    "possible duplicates",
    "duplicates",
    "Possible duplicates",
    lambda qs: qs.possible_duplicates(),
)


class EmailFilter(admin.SimpleListFilter):
    """Requests whose e-mails need a person: the admin index's e-mail cards link here."""

    title = "e-mails"
    parameter_name = "email"

    def lookups(self, request, model_admin):
        return [
            ("failing", "Not sent: failed"),
            ("waiting", f"Waiting over {settings.APPOINTMENT_SEND_STALE_MINUTES} minutes"),
            ("held", "Held since a restore"),
        ]

    def queryset(self, request, queryset):
        if self.value() in {"failing", "waiting", "held"}:
            return queryset.with_emails(self.value())
        return queryset


class NoteInline(admin.StackedInline):
    """Append-only: existing notes are shown read-only; a new one can be added."""

    model = Note
    verbose_name_plural = "Internal notes"
    fields = ["text"]
    extra = 1
    can_delete = False

    def get_fields(self, request, obj=None):
        return ["text"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CallAttemptInline(admin.StackedInline):
    """Log a call attempt: append-only, like notes; saved through AppointmentRequest.log_call.
    Stacked, not tabular: each field keeps its label, and it fits a phone."""

    model = CallAttempt
    # The heading of the one form shown (max_num); each form's own heading is hidden.
    verbose_name = verbose_name_plural = "log a call"
    # One row on a desktop (the admin stacks the fields on a phone).
    fields = [("outcome", "at", "next_callback_on")]
    extra = 1
    max_num = 1
    can_delete = False

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # The browser's own date and time pickers (a phone's wheel), each with its one label:
        # the admin's split date/time boxes leave the two inputs without one.
        if db_field.name == "at":
            return forms.DateTimeField(
                label="Called at",
                required=False,
                help_text="If empty: now.",
                widget=forms.DateTimeInput(
                    attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
                ),
            )
        if db_field.name == "next_callback_on":
            return forms.DateField(
                label="Next callback",
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_queryset(self, request):
        # Only the form for the call being made, on the first screen: the calls before it are
        # listed with the request's history (AppointmentRequestAdmin.calls_so_far).
        return super().get_queryset(request).none()

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Past this many matching requests the list says "10,000+" rather than count them all (at a
# million requests, counting was most of the page's time); the pages go on to the 201st.
COUNT_CAP = 10_000
FEW_MATCHES = 1_000  # get_search_results


class AtLeast(int):
    """A count that stopped at its cap: it compares as cap + 1 and reads "10,000+" (in the
    admin's own templates, which print the list's count, and in the audit trail)."""

    def __str__(self):
        return f"{self - 1:,}+"

    def __format__(self, spec):
        return str(self)


class TriagePaginator(Paginator):
    """The request list's paginator: a capped count, and a page's rows found before anything
    is worked out for them.

    The count also finds the first and last received time, which the date drill-down
    (templatetags/triage.py) needs, in the same query (AppointmentRequestQuerySet.span).

    A page's rows are found first, by key, and only then looked up again (by TriageChangeList,
    with their possible duplicates): PostgreSQL works out a select list for every row it skips,
    so page 200 looked for the duplicates of 10,000 requests."""

    span = None

    @cached_property
    def count(self):
        self.span = self.object_list.span(COUNT_CAP)
        count = self.span["count"]
        return AtLeast(count) if count > COUNT_CAP else count

    def _get_page(self, object_list, number, paginator):
        if isinstance(object_list, QuerySet) and object_list.query.is_sliced:
            object_list = self.object_list.filter(pk__in=object_list.values("pk"))
        return super()._get_page(object_list, number, paginator)


class TriageChangeList(ChangeList):
    """The list opens in triage order (get_ordering), which no column shows. Django would mark
    the column of the model's default ordering ("Received") as the one sorted by; no header is
    marked until staff sort by a column."""

    def get_ordering_field_columns(self):
        return super().get_ordering_field_columns() if ORDER_VAR in self.params else {}

    def get_results(self, request):
        super().get_results(request)
        # Only the rows shown (50 at most) look for their possible duplicates.
        self.result_list = self.result_list.with_duplicate()


def mark_as(status):
    """The admin action "Mark as <status>" for the selected requests."""

    @admin.action(description=f"Mark as {status.label.lower()}", permissions=["change"])
    def action(modeladmin, request, queryset):
        moved = sum(obj.change_status(status, request.user) for obj in queryset)
        modeladmin.message_user(request, f"{moved} request(s) marked {status.label.lower()}.")

    return action


@admin.register(AppointmentRequest)
class AppointmentRequestAdmin(admin.ModelAdmin):
    # Nine columns fit beside the filters on a 1440 px screen: what belongs together shares a
    # cell (the name with how to reach them; the status with its badges; the callback with
    # "Overdue"); the e-mail, the patient type and the duplicate's details are on the request's
    # page.
    list_display = [
        "received",
        "reference",
        "name",
        "service_short",
        "message_preview",
        "status_badge",
        "callback_due",
        "assignee_name",
    ]
    list_display_links = ["reference"]
    list_filter = [
        "urgent",
        StatusFilter,
        "source",
        "service",
        "patient_type",
        "language",
        AssignedFilter,
        TodayFilter,
        OverdueFilter,
        CallbackFilter,
        EmailFilter,
        DuplicateFilter,
    ]
    search_fields = ["search_text"]  # the box; get_search_results says how it searches
    search_help_text = "Search by name, email, phone (any format) or reference."
    date_hierarchy = "created_at"
    list_per_page = 50
    list_select_related = ["assignee"]
    # Counting the whole table on every page view is the slowest part at 100,000 rows.
    show_full_result_count = False
    actions = [
        "mark_contacted",
        "mark_scheduled",
        "mark_closed",
        "mark_spam",
        "clear_urgent",
        "assign_to_me",
        "export_csv",
        "purge_selected",
        "send_emails_again",
        "drop_held_emails",
    ]
    # The change form (templates/admin/appointments/appointmentrequest/change_form.html) opens
    # with who, why and how to reach them (first_screen), then the first fieldset and the call
    # to log, with Save: all on the first screen. Notes, history and the full record follow.
    inlines = [CallAttemptInline, NoteInline]
    readonly_fields = [
        "reference",
        "received_at",
        *CONTACT_FIELDS,
        *PATIENT_FIELDS,
        "language",
        "status_since",
        "callback_booked",
        "urgent",
        "flagged_because",
        "safety_question",
        "calls_so_far",
        "status_history",
        "service_and_trials",
        "treatment_history",
        *REFERRER_DISPLAY,
        "possible_duplicates",
        "notifications",
        "audit_trail",
    ]
    fieldsets = [
        (None, {"fields": [("status", "assignee")]}),
        ("Calls so far", {"fields": ["calls_so_far"]}),
        ("Status history", {"fields": ["status_history"]}),
        # A referral's: who sent it and what they add (get_fieldsets leaves it out otherwise).
        # Its name, practice and phone are also on the first screen.
        (REFERRED_BY, {"fields": REFERRER_DISPLAY}),
        (
            "What the patient sent (read-only)",
            {
                "fields": [
                    "reference",
                    "received_at",
                    *CONTACT_FIELDS,
                    "language",
                    *(
                        shown
                        for f in PATIENT_FIELDS
                        if f not in {"email", "phone", *CONTACT_FIELDS}
                        for shown in READ_AS.get(f, [f])
                    ),
                ]
            },
        ),
        (
            "Triage",
            {"fields": ["urgent", "flagged_because", "status_since", "callback_booked"]},
        ),
        ("Possible duplicates", {"fields": ["possible_duplicates"]}),
        ("E-mails", {"fields": ["notifications"]}),
        ("Audit trail", {"fields": ["audit_trail"], "classes": ["collapse"]}),
    ]

    # Counts of each filter's choices (?_facets) would count the table once per choice.
    show_facets = admin.ShowFacets.NEVER

    def get_paginator(self, request, queryset, *args, **kwargs):
        # The history view pages Django's change log with this too: it gets Django's own.
        if queryset.model is not self.model:
            return Paginator(queryset, *args, **kwargs)
        return TriagePaginator(queryset, *args, **kwargs)

    def get_changelist(self, request, **kwargs):
        return TriageChangeList

    def lookup_allowed(self, lookup, value, request):
        # Only what the filters and the date drill-down offer. Any other field lookup in the
        # list's address (?message__icontains=…) would search what patients wrote outside the
        # search box, and the audit trail would call it a listing: it is refused with a 400,
        # whose log line names the lookup, never the value.
        return lookup in self.offered_lookups(request)

    def offered_lookups(self, request):
        offered = {f"{self.date_hierarchy}__{part}" for part in ("year", "month", "day")}
        for item in self.get_list_filter(request):
            if isinstance(item, str):  # a field's own filter
                offered |= {f"{item}__exact", f"{item}__isnull"}
            else:
                offered.add(item.parameter_name)
        return offered

    def get_urls(self):
        # The reply-time report (report_views.py), beside the list it is about.
        report = self.admin_site.admin_view(report_views.reply_report)
        close = self.admin_site.admin_view(self.close_duplicate_view)
        return [
            path("report/", report, {"site": self.admin_site}, name="appointments_reply_report"),
            path(
                "<int:object_id>/close-duplicate/",
                close,
                name="appointments_appointmentrequest_close_duplicate",
            ),
            *super().get_urls(),
        ]

    @method_decorator(require_POST)
    def close_duplicate_view(self, request, object_id):
        """ "Close as duplicate of …", a button on the request's page: one click."""
        obj = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        original = get_object_or_404(
            AppointmentRequest.objects.duplicates_of(obj), pk=request.POST.get("duplicate_of")
        )
        obj.close_as_duplicate(original, request.user)
        # The flag is not taken off with it: what made it urgent may be in this one only.
        still_urgent = (
            " It stays flagged urgent, at the top of the list, until the flag is cleared."
            if obj.urgent
            else ""
        )
        self.message_user(
            request,
            f"{obj.reference} closed as a duplicate of {original.reference}.{still_urgent}",
        )
        return redirect(original.get_admin_url())

    def get_ordering(self, request):
        # Worked first, first (a sortable column's header overrides it): the stored queue rank,
        # which changelist_view brings up to date before the list is read.
        return TRIAGE_ORDER

    # --- columns ---

    @admin.display(description="Received", ordering="created_at")
    def received(self, obj):
        return format_html(
            '<span title="{}">{}</span><br><small>{} ago</small>',
            local_time(obj.created_at),
            local_date(timezone.localdate(obj.created_at), year=False),
            timesince(obj.created_at).split(",")[0],
        )

    @admin.display(description="Name and contact", ordering="last_name")
    def name(self, obj):
        # Who, and how to reach them: the number to tap, then how and when they asked to be
        # contacted, and the language to speak when it is not English.
        how = [obj.get_contact_method_display(), obj.get_best_time_display().split(" (")[0]]
        if (obj.call_language or obj.language) != "en":
            how.append(call_language_name(obj))
        return format_html(
            '<strong class="patient-name">{} {}</strong>{}<small class="contact-pref">{}</small>',
            obj.first_name,
            obj.last_name,
            self.phone_link(obj),
            " · ".join(str(part) for part in how),
        )

    @admin.display(description="Phone")
    def phone_link(self, obj):
        if not obj.phone:
            return ""
        return format_html('<a href="tel:{}" class="phone">{}</a>', obj.phone, obj.phone_national)

    @admin.display(description="Email")
    def email_link(self, obj):
        return format_html('<a href="mailto:{}">{}</a>', obj.email, obj.email) if obj.email else ""

    @admin.display(description="Message", empty_value="")
    def message_preview(self, obj):
        return Truncator(" ".join(obj.message.split())).chars(70)

    @admin.display(description="Assignee", ordering="assignee__first_name", empty_value="")
    def assignee_name(self, obj):
        return staff_name(obj.assignee)

    @admin.display(description="Callback", ordering="callback_due_on")
    def callback_due(self, obj):
        # The next callback and whether the request is overdue: the two "when" questions.
        when = local_date(obj.callback_due_on, year=False) if obj.callback_due_on else ""
        return format_html(
            '<span class="callback-date">{}</span>{}',
            when,
            format_html('<strong class="overdue">{}</strong>', "Overdue") if obj.is_overdue else "",
        )

    @admin.display(description="Service", ordering="service")
    def service_short(self, obj):
        return obj.get_service_display().split(" (")[0]

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj):
        urgent = ""
        if obj.urgent:
            # Why, under the badge: the front desk reads it before opening the request.
            because = flagged_because(obj)
            urgent = format_html(
                '<span class="urgent-badge" title="Urgent: {}">Urgent</span> '
                '<small class="urgent-reasons">{}</small>',
                because,
                because,
            )
        duplicate = ""
        if obj.duplicate_pk is not None:
            duplicate = format_html(
                '<small class="duplicate">Possible duplicate of <a href="{}">{}</a></small>',
                reverse("admin:appointments_appointmentrequest_change", args=[obj.duplicate_pk]),
                obj.duplicate_reference,
            )
        return format_html(
            '{}<span class="status-badge status-{}">{}</span>{}',
            urgent,
            obj.status,
            obj.get_status_display(),
            duplicate,
        )

    # --- one request ---

    @admin.display(description="Calls")
    def calls_so_far(self, obj):
        calls = obj.call_attempts.select_related("by")
        if not calls:
            return "None yet"
        return format_html(
            '<table class="calls"><thead><tr><th>When</th><th>Outcome</th><th>By</th>'
            "<th>Next callback</th></tr></thead><tbody>{}</tbody></table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        local_time(call.at),
                        call.get_outcome_display(),
                        staff_name(call.by),
                        local_date(call.next_callback_on) if call.next_callback_on else "",
                    )
                    for call in calls
                ),
            ),
        )

    @admin.display(description="Changes")
    def status_history(self, obj):
        changes = obj.status_changes.select_related("changed_by")
        if not changes:
            return "None yet"
        return format_html(
            '<table class="calls"><thead><tr><th>Changed at</th><th>From</th><th>To</th>'
            "<th>By</th></tr></thead><tbody>{}</tbody></table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        local_time(change.changed_at),
                        change.get_from_status_display(),
                        change.get_to_status_display(),
                        staff_name(change.changed_by),
                    )
                    for change in changes
                ),
            ),
        )

    @admin.display(description="Callback due")
    def callback_booked(self, obj):
        return local_date(obj.callback_due_on) if obj.callback_due_on else "None booked"

    def first_screen(self, obj):
        """What the top of a request's page shows (_first_screen.html): who, why and how to
        reach them, in the words and formats of the list."""
        how = [obj.get_contact_method_display(), obj.get_best_time_display()]
        return {
            "name": f"{obj.first_name} {obj.last_name}",
            "received": local_time(obj.created_at),
            "ago": timesince(obj.created_at).split(",")[0],
            "service": obj.get_service_display(),
            "trials": self.service_and_trials(obj) if self._trials(obj) else "",
            "referrer": self.referrer(obj),
            "patient_type": obj.get_patient_type_display(),
            "badges": format_html(
                '{}<span class="status-badge status-{}">{}</span>',
                mark_safe('<span class="urgent-badge">Urgent</span> ') if obj.urgent else "",
                obj.status,
                obj.get_status_display(),
            ),
            "urgent": obj.urgent,
            "reasons": flagged_because(obj) if obj.urgent or obj.urgent_reasons else "",
            "safety_answer": obj.get_safety_answer_display() or "Not answered",
            "message": obj.message,
            "phone": obj.phone,
            "phone_national": obj.phone_national,
            "email": obj.email,
            "prefers": " · ".join(str(part) for part in how),
            "language": call_language_name(obj),
            "callback": local_date(obj.callback_due_on) if obj.callback_due_on else "",
            "overdue": obj.is_overdue,
            "duplicates": AppointmentRequest.objects.duplicates_of(obj).order_by("-created_at")[:3],
        }

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            # The heading names the request, never the patient (the title is in the history).
            context.update(
                title=f"Request {obj.reference}", subtitle=None, first_screen=self.first_screen(obj)
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description="Same e-mail or phone within 30 days")
    def possible_duplicates(self, obj):
        others = AppointmentRequest.objects.duplicates_of(obj).order_by("-created_at")[:20]
        if not others:
            return "None"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">{}</a>, received {}, {}</li>',
                (
                    (
                        other.get_admin_url(),
                        other.reference,
                        local_time(other.created_at),
                        other.get_status_display(),
                    )
                    for other in others
                ),
            ),
        )

    @admin.display(description="Flagged because")
    def flagged_because(self, obj):
        if not obj.urgent and not obj.urgent_reasons:
            return "Not flagged"
        return flagged_because(obj) + ("" if obj.urgent else " (flag cleared)")

    @admin.display(
        description="Safety question: thoughts of being better off dead or of hurting "
        "themselves, last 2 weeks (PHQ-9 item 9)"
    )
    def safety_question(self, obj):
        return obj.get_safety_answer_display() or "Not answered"

    @admin.display(description="Service")
    def referrer(self, obj):
        """A referral's sender as the first screen names them: who, where, the number to tap."""
        if obj.source != AppointmentRequest.Source.REFERRAL:
            return ""
        who = ", ".join(part for part in [obj.referrer_name, obj.referrer_practice] if part)
        return format_html("{} {}", who, self.referrer_phone_link(obj))

    def service_and_trials(self, obj):
        trials = self._trials(obj)
        if not trials:
            return format_html(
                "{} <small>(no treatment history given)</small>", obj.get_service_display()
            )
        count = adequate_trial_count(trials)
        return format_html(
            '{} · <strong class="trials-reported">{} trial{} reported</strong> <small>{}</small>',
            obj.get_service_display(),
            count,
            "" if count == 1 else "s",
            # models.adequate_trial_count says why 6 weeks, and why this is no assessment.
            "(antidepressants taken 6 weeks or more, as reported; dose not asked; "
            "not a clinical assessment)",
        )

    @admin.display(description="Antidepressants tried")
    def treatment_history(self, obj):
        trials = self._trials(obj)
        if not trials:
            return "None given"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    t.medicine,
                    t.get_duration_display() or "–",
                    t.get_helped_display() or "–",
                    t.get_stopped_because_display() or "–",
                )
                for t in trials
            ),
        )
        return format_html(
            '<table class="audit-trail treatment-history"><thead><tr><th scope="col">Medicine</th>'
            '<th scope="col">How long</th><th scope="col">Helped</th>'
            '<th scope="col">Why stopped</th></tr></thead><tbody>{}</tbody></table>',
            rows,
        )

    @staticmethod
    def _trials(obj):
        # Read once for the page's two displays.
        if not hasattr(obj, "_trials"):
            obj._trials = list(obj.treatment_trials.all())
        return obj._trials

    @admin.display(description="Phone")
    def referrer_phone_link(self, obj):
        number = obj.referrer_phone
        if not number:
            return ""
        return format_html('<a href="tel:{}" class="phone">{}</a>', number, national_phone(number))

    @admin.display(description="Fax")
    def referrer_fax_number(self, obj):
        return national_phone(obj.referrer_fax) if obj.referrer_fax else ""

    @admin.display(description="Email")
    def referrer_email_link(self, obj):
        email = obj.referrer_email
        return format_html('<a href="mailto:{}">{}</a>', email, email) if email else ""

    @admin.display(description="Received")
    def received_at(self, obj):
        return local_time(obj.created_at)

    @admin.display(description="Status since")
    def status_since(self, obj):
        return local_time(obj.status_changed_at)

    @admin.display(description="E-mails")
    def notifications(self, obj):
        def state(email):
            if email.state == OutgoingEmail.State.SENT:
                return f"sent {local_time(email.sent_at)}"
            if email.state != OutgoingEmail.State.PENDING:
                return format_html('<strong class="unsent">{}</strong>', email.get_state_display())
            if email.next_try_at > timezone.now() and email.attempts:
                when = f"next attempt {local_time(email.next_try_at)}"
            else:
                when = "queued"
            return format_html('<strong class="unsent">not sent</strong> ({})', when)

        emails = obj.emails.order_by("-kind")  # the staff e-mail first
        if not emails:
            return "None queued"
        return format_html_join(
            "",
            "<p>{}: {}. Attempts: {}{}</p>",
            (
                (
                    email.get_kind_display(),
                    state(email),
                    email.attempts,
                    f". Last error: {email.last_error}" if email.last_error else "",
                )
                for email in emails
            ),
        )

    @admin.display(description="Audit trail")
    def audit_trail(self, obj):
        entries = AuditEntry.objects.filter(reference=obj.reference)[:100]
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    local_time(e.at),
                    e.actor_username,
                    e.get_action_display(),
                    e.detail,
                )
                for e in entries
            ),
        )
        return format_html(
            '<table class="audit-trail"><thead><tr><th>When</th><th>Who</th><th>What</th>'
            "<th>Detail</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    def get_search_results(self, request, queryset, search_term):
        # Names with or without accents, a phone in any format: AppointmentRequestQuerySet.search.
        if not search_words(search_term):  # the list without a search: Django asks all the same
            return queryset, False
        found = queryset.search(search_term)
        # A word of three letters or more is found through an index on either database. One or
        # two letters ("Ng", "Li") are found by reading every row, so a search that finds few
        # requests reads them once, and the count and the page look those few up by key (a
        # two-letter name at a million requests on PostgreSQL: 440 ms as two reads). Not for
        # many: 10,000 keys in a query cost more than the index (398 ms against 102).
        keys = list(found.order_by().values_list("pk", flat=True)[: FEW_MATCHES + 1])
        if len(keys) <= FEW_MATCHES:
            return queryset.filter(pk__in=keys), False
        return found, False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name != "assignee":
            return super().formfield_for_foreignkey(db_field, request, **kwargs)
        kwargs["queryset"] = get_user_model().objects.filter(is_staff=True, is_active=True)
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        field.label_from_instance = staff_name
        return field

    def get_fieldsets(self, request, obj=None):
        # The trail is the clinical lead's to read, here as in its own list (front desk: 403).
        left_out = set() if self.can_read_audit(request) else {"Audit trail"}
        if obj is None or obj.source != AppointmentRequest.Source.REFERRAL:
            left_out.add(REFERRED_BY)
        return [(name, opts) for name, opts in self.fieldsets if name not in left_out]

    def get_readonly_fields(self, request, obj=None):
        if self.can_read_audit(request):
            return super().get_readonly_fields(request, obj)
        return [name for name in self.readonly_fields if name != "audit_trail"]

    @staticmethod
    def can_read_audit(request):
        return request.user.has_perm("appointments.view_auditentry")

    def changelist_view(self, request, extra_context=None):
        # The list needs the width that the apps' sidebar takes (the breadcrumbs remain).
        extra_context = {
            "is_nav_sidebar_enabled": False,
            # Not Django's "Select appointment request to change": the list is worked, in order.
            "title": "Appointment requests",
            **(extra_context or {}),
        }
        # The requests that became overdue, or whose callback day came, since the last write
        # move up now: one UPDATE over the open requests (see refresh_queue_ranks).
        AppointmentRequest.objects.refresh_queue_ranks()
        response = super().changelist_view(request, extra_context)
        # The list shows names: who looked is recorded; what they searched for never is.
        if request.method == "GET" and getattr(response, "context_data", None):
            changelist = response.context_data.get("cl")
            if changelist is not None:
                Action = AuditEntry.Action
                action = Action.SEARCHED if changelist.query else Action.LISTED
                AuditEntry.record(
                    request.user, action, detail=f"{changelist.result_count} request(s) matched"
                )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            obj = response.context_data.get("original")
            if obj is not None:
                AuditEntry.record(request.user, AuditEntry.Action.VIEWED, obj.reference)
        return response

    def save_model(self, request, obj, form, change):
        # Status and assignee are the only fields staff edit; the model writes them with their
        # history and audit entry, comparing with the stored row (the form has already put the
        # new values on obj).
        obj.triage(request.user, **{name: getattr(obj, name) for name in form.changed_data})

    def save_formset(self, request, form, formset, change):
        # Only new notes and calls are taken (existing ones are read-only), through the model's
        # methods; the admin's own change message then names them as saved.
        obj = form.instance
        if formset.model is Note:
            formset.save(commit=False)
            formset.new_objects = [obj.add_note(n.text, request.user) for n in formset.new_objects]
        elif formset.model is CallAttempt:
            formset.save(commit=False)
            formset.new_objects = [
                obj.log_call(c.outcome, request.user, callback_on=c.next_callback_on, at=c.at)
                for c in formset.new_objects
            ]
        else:
            super().save_formset(request, form, formset, change)

    def has_add_permission(self, request):
        return False  # requests come from the Contact page only

    def has_delete_permission(self, request, obj=None):
        return False  # see purge_selected and `manage.py purge_requests`

    def has_export_permission(self, request):
        return request.user.has_perm("appointments.export_appointmentrequest")

    def has_purge_permission(self, request):
        return request.user.has_perm("appointments.purge_appointmentrequest")

    # --- actions ---

    mark_contacted = mark_as(Status.CONTACTED)
    mark_scheduled = mark_as(Status.SCHEDULED)
    mark_closed = mark_as(Status.CLOSED)
    mark_spam = mark_as(Status.SPAM)

    @admin.action(description="Clear the urgent flag", permissions=["change"])
    def clear_urgent(self, request, queryset):
        cleared = sum(obj.clear_urgent(request.user) for obj in queryset.filter(urgent=True))
        self.message_user(request, f"Urgent flag cleared on {cleared} request(s).")

    @admin.action(description="Assign to me", permissions=["change"])
    def assign_to_me(self, request, queryset):
        for obj in queryset.exclude(assignee=request.user):
            obj.assign(request.user, request.user)
        self.message_user(request, "Assigned to you.")

    @admin.action(description="Send their held or failed e-mails now", permissions=["change"])
    def send_emails_again(self, request, queryset):
        count = notify.send_again(queryset, by=request.user)
        self.message_user(request, f"{count} e-mail(s) will be sent within a minute.")

    @admin.action(description="Drop their held e-mails (never send them)", permissions=["change"])
    def drop_held_emails(self, request, queryset):
        count = notify.drop_held(queryset, by=request.user)
        self.message_user(request, f"{count} held e-mail(s) dropped.")

    @admin.action(description="Export selected to CSV", permissions=["export"])
    def export_csv(self, request, queryset):
        return export.csv_response(queryset, by=request.user)

    @admin.action(
        description="Purge selected (closed, declined or spam only)", permissions=["purge"]
    )
    def purge_selected(self, request, queryset):
        selected = queryset.count()
        report = retention.purge(
            queryset.filter(status__in=retention.PURGEABLE_STATUSES),
            actor=request.user,
            why="purged from the admin",
        )
        kept = selected - report.count
        self.message_user(
            request,
            f"Purged {report.count} request(s)."
            + (f" {kept} not closed, declined or spam were kept." if kept else ""),
            messages.SUCCESS if report.count else messages.WARNING,
        )


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The audit trail, read-only. Only the clinical lead has the permission to see it."""

    list_display = ["when", "actor_username", "action", "reference", "detail"]
    list_filter = ["action"]
    search_fields = ["reference", "actor_username"]
    date_hierarchy = "at"
    list_per_page = 100

    @admin.display(description="At", ordering="at")
    def when(self, obj):
        return local_time(obj.at)
