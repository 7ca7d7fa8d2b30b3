import secrets
from datetime import timedelta

import phonenumbers
from django.conf import settings
from django.db import models, transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic_site.services import Service

from .crisis_terms import mentions_crisis

# Two requests with the same e-mail address or phone within this many days may be one person.
DUPLICATE_WINDOW = timedelta(days=30)

# Crockford's base32 without I, L, O and U: nothing a caller can misread over the phone.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference():
    """A short reference for the patient and staff to quote: 8 symbols, 40 random bits."""
    code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{code[:4]}-{code[4:]}"


def local_time(value):
    """A time as staff read it everywhere: in the clinic's zone (TIME_ZONE), named (EST or
    EDT), so a note, the status history and the audit trail never mix UTC and local times."""
    return timezone.localtime(value).strftime("%b %d, %Y, %I:%M %p %Z")


class AppointmentRequestQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=AppointmentRequest.OPEN_STATUSES)

    def overdue(self, now=None):
        """Open, older than the cutoff, and not waiting for a callback booked for a later day
        (staff have tried, and said when they will try again)."""
        return self.open().filter(overdue_q(now))

    def callbacks_due(self, now=None):
        """Open requests whose next callback is today or was missed."""
        return self.open().filter(callback_due_on__lte=timezone.localdate(now))

    def in_triage_order(self, now=None):
        return self.order_by(*triage_ordering(now))

    def duplicates_of(self, request_obj):
        """Other requests that may be from the same person: the same e-mail address (in any
        case) or phone, received within DUPLICATE_WINDOW of `request_obj`."""
        same = _same_person(
            models.Value(request_obj.email), request_obj.phone, request_obj.created_at
        )
        return self.alias(email_key=Lower("email")).filter(same).exclude(pk=request_obj.pk)

    def with_duplicate(self):
        """Each request with `duplicate_pk` and `duplicate_reference`: the latest other request
        that may be from the same person, or None. Two subqueries in the one list query, each
        an index lookup (see Meta.indexes)."""
        outer = [models.OuterRef(name) for name in ("email", "phone", "created_at")]
        others = (
            AppointmentRequest.objects.alias(email_key=Lower("email"))
            .filter(_same_person(*outer))
            .exclude(pk=models.OuterRef("pk"))
            .order_by("-created_at")
        )
        return self.annotate(
            duplicate_pk=models.Subquery(others.values("pk")[:1]),
            duplicate_reference=models.Subquery(others.values("reference")[:1]),
        )

    def pending_notification(self):
        """Requests whose staff e-mail, or patient acknowledgement, has not gone out yet."""
        pending = models.Q(staff_notified_at__isnull=True)
        if settings.APPOINTMENT_ACKNOWLEDGE_PATIENT:
            pending |= models.Q(patient_acknowledged_at__isnull=True) & ~models.Q(email="")
        return self.exclude(status=AppointmentRequest.Status.SPAM).filter(pending)

    def due_for_sending(self, now=None):
        """Pending requests whose back-off has passed and whose attempts are not used up."""
        now = now or timezone.now()
        return self.pending_notification().filter(
            models.Q(next_attempt_at__isnull=True) | models.Q(next_attempt_at__lte=now),
            notification_attempts__lt=settings.APPOINTMENT_MAX_SEND_ATTEMPTS,
        )

    def staff_not_notified(self):
        """Requests whose staff e-mail failed at least once and has not gone out since: staff
        would not know of them but for the admin index."""
        return self.exclude(status=AppointmentRequest.Status.SPAM).filter(
            staff_notified_at__isnull=True, notification_attempts__gt=0
        )


def triage_ordering(now=None):
    """What the front desk works first: urgent, then overdue or a callback due, then the other
    open ones, then those waiting for a callback on a later day, then the finished ones; the
    oldest first within each. An ORDER BY expression rather than an annotation, so that the
    list's count and date range queries stay plain."""
    is_open = models.Q(status__in=AppointmentRequest.OPEN_STATUSES)
    today = timezone.localdate(now)
    rank = models.Case(
        # Crisis language first, whatever its status, until staff clear the flag.
        models.When(urgent=True, then=0),
        models.When(is_open & overdue_q(now), then=1),
        models.When(is_open & models.Q(callback_due_on__lte=today), then=1),
        models.When(is_open & models.Q(callback_due_on__gt=today), then=3),
        models.When(is_open, then=2),
        default=4,
        output_field=models.IntegerField(),
    )
    return [rank.asc(), "created_at", "pk"]


def overdue_q(now=None):
    """The overdue condition, for open requests (see AppointmentRequestQuerySet.overdue)."""
    return models.Q(created_at__lt=overdue_cutoff(now)) & ~models.Q(
        callback_due_on__gt=timezone.localdate(now)
    )


def _same_person(email, phone, created_at):
    """The condition "same e-mail address or phone, within DUPLICATE_WINDOW of created_at";
    the arguments are values or OuterRefs."""
    # Since a patient who asks for a call may leave the address out, blank matches nothing.
    same_email = models.Q(email_key=Lower(email)) & ~models.Q(email="")
    same_phone = models.Q(phone=phone) & ~models.Q(phone="")
    return (same_email | same_phone) & models.Q(
        created_at__gte=created_at - DUPLICATE_WINDOW,
        created_at__lte=created_at + DUPLICATE_WINDOW,
    )


def overdue_cutoff(now=None):
    """Requests received before this are overdue while open: older than the configured
    number of business days (weekends skipped)."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    days = settings.APPOINTMENT_OVERDUE_BUSINESS_DAYS
    cutoff = local
    while days > 0:
        cutoff -= timedelta(days=1)
        if cutoff.weekday() < 5:
            days -= 1
    return cutoff


class AppointmentRequest(models.Model):
    """A prospective patient's request for an evaluation. What the patient typed is PHI: it
    lives here and in the admin only."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        CONTACTED = "contacted", "Contacted"
        SCHEDULED = "scheduled", "Scheduled"
        CLOSED = "closed", "Closed"
        DECLINED = "declined", "Declined"
        SPAM = "spam", "Spam"

    OPEN_STATUSES = [Status.NEW, Status.CONTACTED]
    # What the patient typed, in the form's order: read-only for staff.
    PATIENT_FIELDS = [
        "first_name",
        "last_name",
        "email",
        "phone",
        "contact_method",
        "best_time",
        "service",
        "patient_type",
        "insurance",
        "referral",
        "message",
        "consent_contact",
        "consent_not_emergency",
    ]

    # The choices the patient reads on the form, so in their language (lazy: the admin, which
    # is always in English, shows them in English).
    class ContactMethod(models.TextChoices):
        PHONE = "phone", _("Phone call")
        EMAIL = "email", _("Email")
        TEXT = "text", _("Text message")

    class BestTime(models.TextChoices):
        # Not tied to office hours, which may change (or be unknown): a part of the day.
        MORNING = "morning", _("Morning")
        AFTERNOON = "afternoon", _("Afternoon")
        ANY = "any", _("Any time")

    class PatientType(models.TextChoices):
        NEW = "new", _("New patient")
        RETURNING = "returning", _("Returning patient")

    class Referral(models.TextChoices):
        SEARCH = "search", _("Search engine")
        CLINICIAN = "clinician", _("My doctor or therapist")
        FRIEND = "friend", _("Friend or family")
        INSURANCE = "insurance", _("Insurance directory")
        ARTICLE = "article", _("An article on this site")
        OTHER = "other", _("Other")

    reference = models.CharField(max_length=9, unique=True, default=new_reference, editable=False)
    # The signed form token's nonce: a second POST of the same form (a double click, a
    # resubmitted page) finds this and makes no second record.
    submission_token = models.CharField(max_length=64, unique=True, editable=False)

    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    # Blank when the patient chose a call or a text and gave no address (the form decides).
    email = models.EmailField(max_length=254, blank=True)
    # Stored as E.164 (+17722105450), the form's normalised value; staff see `phone_national`.
    phone = models.CharField(max_length=20, blank=True)
    contact_method = models.CharField(max_length=10, choices=ContactMethod.choices)
    best_time = models.CharField(max_length=10, choices=BestTime.choices)
    service = models.CharField(max_length=20, choices=Service.choices)
    patient_type = models.CharField(max_length=10, choices=PatientType.choices)
    insurance = models.CharField(max_length=100, blank=True)
    referral = models.CharField(
        "how they heard of us", max_length=10, choices=Referral.choices, blank=True
    )
    message = models.TextField(max_length=2000, blank=True)
    consent_contact = models.BooleanField(default=False)
    consent_not_emergency = models.BooleanField(default=False)
    # The language of the page the form was sent from: the patient's acknowledgement is
    # written in it, and staff see it (and may call back in it).
    language = models.CharField(
        max_length=8, choices=settings.LANGUAGES, default="en", editable=False
    )

    created_at = models.DateTimeField("received", default=timezone.now, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    # Set when the request arrives if what the patient wrote has crisis language
    # (crisis_terms.py); staff clear it with clear_urgent().
    urgent = models.BooleanField(default=False)
    status_changed_at = models.DateTimeField(default=timezone.now)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_requests",
    )

    # Set from the latest call attempt (log_call), so the list can sort and filter on it.
    callback_due_on = models.DateField("callback due", null=True, blank=True)

    staff_notified_at = models.DateTimeField(null=True, blank=True)
    patient_acknowledged_at = models.DateTimeField(null=True, blank=True)
    # When a sender claimed each e-mail (appointments/notify.py): one sender at a time, and a
    # claim left by a sender that died is taken over once it is older than the lease.
    staff_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    patient_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    notification_attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The exception's class name only: an SMTP error message can quote an address.
    notification_error = models.CharField(max_length=100, blank=True)

    objects = AppointmentRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["-urgent", "-created_at"], name="request_urgent_received"),
            # For possible duplicates: the same e-mail (in any case) or phone, near in time.
            models.Index(Lower("email"), "created_at", name="request_email_received"),
            models.Index(fields=["phone", "created_at"], name="request_phone_received"),
            models.Index(fields=["status", "-created_at"], name="request_status_received"),
            models.Index(fields=["service", "-created_at"], name="request_service_received"),
            models.Index(fields=["assignee", "-created_at"], name="request_assignee_received"),
        ]
        permissions = [
            ("export_appointmentrequest", "Can export appointment requests"),
            ("purge_appointmentrequest", "Can purge old appointment requests"),
        ]

    def __str__(self):
        # The reference, not the name: __str__ shows up in logs, audit entries and admin history.
        return f"Request {self.reference}"

    # Free text the patient wrote, read for crisis language.
    FREE_TEXT_FIELDS = ["message", "insurance"]

    def save(self, *args, **kwargs):
        if self._state.adding and not self.urgent:
            self.urgent = mentions_crisis(*(getattr(self, f) for f in self.FREE_TEXT_FIELDS))
        super().save(*args, **kwargs)

    def clear_urgent(self, by):
        """Take the urgent flag off on behalf of `by`, with an audit entry. Returns False if
        it was not set."""
        with transaction.atomic():
            cleared = AppointmentRequest.objects.filter(pk=self.pk, urgent=True).update(
                urgent=False
            )
            if cleared:
                AuditEntry.record(by, AuditEntry.Action.CHANGED, self.reference, "urgent → cleared")
        self.urgent = False
        return bool(cleared)

    def get_admin_url(self):
        return reverse("admin:appointments_appointmentrequest_change", args=[self.pk])

    def change_status(self, new, by):
        """Move to status `new` on behalf of `by`. Returns False if it already had it."""
        return bool(self.triage(by, status=new))

    def assign(self, user, by):
        """Give the request to `user` (None: to nobody). Returns False if it already had it."""
        return bool(self.triage(by, assignee=user))

    def triage(self, by, **changes):
        """Change `status` and/or `assignee`, and write the status history and one audit entry
        with them, all or nothing. Returns the names of the fields that changed."""
        with transaction.atomic():
            # Compared with the stored row, locked, so two people working the same request
            # at once each record the step they really took.
            stored = AppointmentRequest.objects.select_for_update().get(pk=self.pk)
            changes = {
                name: value
                for name, value in changes.items()
                if getattr(value, "pk", value)
                != getattr(stored, self._meta.get_field(name).attname)
            }
            if not changes:
                return []
            if "status" in changes:
                changes["status_changed_at"] = timezone.now()
                StatusChange.objects.create(
                    request=self,
                    from_status=stored.status,
                    to_status=changes["status"],
                    changed_by=by,
                    changed_at=changes["status_changed_at"],
                )
            AppointmentRequest.objects.filter(pk=self.pk).update(**changes)
            for name, value in changes.items():
                setattr(self, name, value)
            AuditEntry.record(
                by, AuditEntry.Action.CHANGED, self.reference, self._change_text(changes)
            )
        return [name for name in changes if name != "status_changed_at"]

    def _change_text(self, changes):
        """What the audit trail says about a change: "status → Contacted, assignee → ann"."""
        parts = []
        if "status" in changes:
            parts.append(f"status → {self.get_status_display()}")
        if "assignee" in changes:
            parts.append(f"assignee → {self.assignee or 'nobody'}")
        return ", ".join(parts)

    def add_note(self, text, by):
        """Add an internal note by `by`, and its audit entry, all or nothing."""
        with transaction.atomic():
            note = Note.objects.create(request=self, text=text, author=by)
            AuditEntry.record(by, AuditEntry.Action.NOTE_ADDED, self.reference)
        return note

    def log_call(self, outcome, by, callback_on=None, at=None):
        """Record a call attempt by `by` and its audit entry, all or nothing; the request's next
        callback becomes `callback_on` (None: none booked)."""
        with transaction.atomic():
            attempt = CallAttempt.objects.create(
                request=self,
                outcome=outcome,
                by=by,
                at=at or timezone.now(),
                next_callback_on=callback_on,
            )
            AppointmentRequest.objects.filter(pk=self.pk).update(callback_due_on=callback_on)
            self.callback_due_on = callback_on
            # The outcome's name and the date only: nothing the patient said.
            detail = attempt.get_outcome_display()
            if callback_on:
                detail += f", callback on {callback_on:%Y-%m-%d}"
            AuditEntry.record(by, AuditEntry.Action.CALLED, self.reference, detail)
        return attempt

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES

    @property
    def is_overdue(self):
        waiting = self.callback_due_on and self.callback_due_on > timezone.localdate()
        return self.is_open and not waiting and self.created_at < overdue_cutoff()

    @property
    def phone_national(self):
        """The phone as a caller dials it here: "(772) 555-0188" rather than "+17725550188"."""
        try:
            number = phonenumbers.parse(self.phone, settings.PHONE_DEFAULT_REGION)
        except phonenumbers.NumberParseException:
            return self.phone
        region = phonenumbers.region_code_for_number(number)
        style = (
            phonenumbers.PhoneNumberFormat.NATIONAL
            if region == settings.PHONE_DEFAULT_REGION
            else phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
        return phonenumbers.format_number(number, style)


class StatusChange(models.Model):
    """One step of a request's history: who moved it from which status to which, and when."""

    request = models.ForeignKey(
        AppointmentRequest, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=10, choices=AppointmentRequest.Status.choices)
    to_status = models.CharField(max_length=10, choices=AppointmentRequest.Status.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "pk"]

    def __str__(self):
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"


class CallAttempt(models.Model):
    """One call the front desk made to the patient: its outcome and the next callback date.
    Only ever added, through AppointmentRequest.log_call."""

    class Outcome(models.TextChoices):
        NO_ANSWER = "no_answer", "No answer"
        VOICEMAIL = "voicemail", "No answer, left voicemail"
        SPOKE = "spoke", "Spoke with the patient"
        WRONG_NUMBER = "wrong", "Wrong number"

    request = models.ForeignKey(
        AppointmentRequest, on_delete=models.CASCADE, related_name="call_attempts"
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    at = models.DateTimeField("called at", default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    next_callback_on = models.DateField("next callback", null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.get_outcome_display()} at {self.at:%Y-%m-%d %H:%M}"


class Note(models.Model):
    """An internal note on a request. Notes are only ever added: never edited or deleted."""

    request = models.ForeignKey(AppointmentRequest, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField(max_length=5000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"Note by {self.author} at {local_time(self.created_at)}"


class AuditEntry(models.Model):
    """Who viewed, changed, exported or purged which request. It names the request by its
    reference, not by a key, so it outlives the request, and it holds no patient details."""

    class Action(models.TextChoices):
        VIEWED = "viewed", "Viewed"
        LISTED = "listed", "Viewed the request list"
        SEARCHED = "searched", "Searched the requests"
        CHANGED = "changed", "Changed"
        NOTE_ADDED = "note", "Added a note"
        CALLED = "called", "Logged a call"
        EXPORTED = "exported", "Exported"
        PURGED = "purged", "Purged"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept as text too, so the entry still says who it was if the account is deleted.
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=10, choices=Action.choices)
    reference = models.CharField(max_length=9, blank=True, db_index=True)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name_plural = "audit entries"

    def __str__(self):
        return f"{local_time(self.at)} {self.actor_username} {self.action} {self.reference}"

    @classmethod
    def record(cls, user, action, reference="", detail=""):
        return cls.record_each(user, action, [reference], detail)[0]

    @classmethod
    def record_each(cls, user, action, references, detail=""):
        """One entry per reference, all written in one query."""
        actor = user if getattr(user, "is_authenticated", False) else None
        return cls.objects.bulk_create(
            cls(
                actor=actor,
                actor_username=actor.get_username() if actor else "system",
                action=action,
                reference=reference,
                detail=detail[:500],
            )
            for reference in references
        )


class RateCounter(models.Model):
    """How many forms one client has sent in the current window. A table of its own rather than
    the shared cache: a cache may cull it, flush it or lose it to a flood of cached pages, and
    each cache backend keeps its own idea of a timeout. The key is a keyed hash of the
    client's address (appointments.spam), never the address itself."""

    key = models.CharField(max_length=64, primary_key=True)
    hits = models.PositiveIntegerField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.hits} until {self.expires_at:%Y-%m-%d %H:%M}"
