import secrets
from datetime import timedelta

import phonenumbers
from django.conf import settings
from django.db import models, transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic_site.clinic import Service
from clinic_site.times import local_date, local_time  # noqa: F401 (where the app imports them)

from .crisis_terms import KINDS as CRISIS_KINDS
from .crisis_terms import crisis_kinds

# Two requests with the same e-mail address or phone within this many days may be one person.
DUPLICATE_WINDOW = timedelta(days=30)

# Crockford's base32 without I, L, O and U: nothing a caller can misread over the phone.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference():
    """A short reference for the patient and staff to quote: 8 symbols, 40 random bits."""
    code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{code[:4]}-{code[4:]}"


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

    def in_triage_order(self):
        """What the front desk works first (see QueueRank), the oldest first within each rank:
        the stored rank, walked in its index."""
        return self.order_by(*TRIAGE_ORDER)

    def refresh_queue_ranks(self, now=None):
        """Bring the stored queue ranks up to date with the time: one UPDATE, of the rows whose
        rank differs. Returns how many moved.

        Why a stored rank refreshed like this, rather than the rules in ORDER BY: no index
        serves a CASE, so every page sorted every row (1.2 s at 100,000 rows; bench/RESULTS.md,
        "The triage order"). The writes keep the rank right (save, triage, log_call,
        clear_urgent); what changes without a write is time, and time moves only open,
        non-urgent requests. The triage list calls this before it reads (one query, so the
        order is exact to the second); send_pending_notifications, which cron runs every few
        minutes, calls it too, for every other reader of the rank.

        It reads only the rows time can move, through indexes: those ranked open or waiting (a
        request comes due, a booked callback's day arrives), and those received since the
        overdue cutoff, because the cutoff counts business days and so steps back over a
        weekend (at 9:00 on Monday it is earlier than at 10:00 on Sunday): a request overdue on
        Sunday can be "open" again on Monday, as under the rules it replaces. The rows ranked
        due before the cutoff, nearly all open rows when the desk falls behind, stay due."""
        rank = queue_rank_expression(now)
        ranked = AppointmentRequest.objects.order_by()
        # Two lookups in the request_queue_rank index, joined: an OR of the two conditions
        # makes SQLite read every open row instead (20 ms rather than 1 at 100,000 rows).
        waiting_or_open = ranked.filter(queue_rank__in=[QueueRank.OPEN, QueueRank.WAITING])
        due_since_cutoff = ranked.filter(
            queue_rank=QueueRank.DUE, created_at__gte=overdue_cutoff(now)
        )
        may_move = waiting_or_open.values("pk").union(due_since_cutoff.values("pk"), all=True)
        return (
            self.open()
            .filter(pk__in=may_move, urgent=False)
            .exclude(queue_rank=rank)
            .update(queue_rank=rank)
        )

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

    def with_emails(self, which):
        """Requests with an e-mail in the outbox that is `which`: "failing", "waiting" or
        "held" (see OutgoingEmailQuerySet)."""
        return self.filter(pk__in=getattr(OutgoingEmail.objects, which)().values("request_id"))


# Why a request is urgent, as staff read it: the safety question, then the kinds of crisis
# statement in what the patient wrote (crisis_terms.KINDS). The admin only: never an e-mail.
SAFETY_QUESTION_YES = "safety_question"
URGENT_REASONS = {SAFETY_QUESTION_YES: "answered yes to the safety question", **CRISIS_KINDS}


def reasons_for_urgency(request, more_text=()):
    """Why `request` (an AppointmentRequest, as it arrives) is urgent: keys of URGENT_REASONS,
    empty if it is not. `more_text`: what else was typed with it (the treatment history)."""
    reasons = [SAFETY_QUESTION_YES] if request.safety_answer == request.SafetyAnswer.YES else []
    texts = [getattr(request, f) for f in request.FREE_TEXT_FIELDS]
    return reasons + crisis_kinds(*texts, *more_text)


class QueueRank(models.IntegerChoices):
    """What the front desk works first; the list sorts by it, then the oldest first."""

    # Crisis language first, whatever its status, until staff clear the flag.
    URGENT = 0, "Urgent"
    DUE = 1, "Overdue, or a callback due"
    OPEN = 2, "Open"
    WAITING = 3, "Waiting for a callback on a later day"
    FINISHED = 4, "Finished"


# The list's order: the index request_queue_rank serves it, so a page reads 50 rows, not all.
TRIAGE_ORDER = ["queue_rank", "created_at", "pk"]


def queue_rank(request, now=None):
    """The rank of `request` (an AppointmentRequest, saved or not) at `now`: stored on the row
    by every write that changes its status, urgent flag or callback date. The same rules, in
    SQL, are queue_rank_expression, which refreshes the ranks that time changes."""
    if request.urgent:
        return QueueRank.URGENT
    if request.status not in AppointmentRequest.OPEN_STATUSES:
        return QueueRank.FINISHED
    today = timezone.localdate(now)
    callback = request.callback_due_on
    if callback and callback > today:
        return QueueRank.WAITING
    if (callback and callback <= today) or request.created_at < overdue_cutoff(now):
        return QueueRank.DUE
    return QueueRank.OPEN


def queue_rank_expression(now=None):
    """queue_rank's rules as an SQL expression over a row's columns, for the UPDATE that
    refreshes the ranks (AppointmentRequestQuerySet.refresh_queue_ranks) and the migration that
    set them first. A test holds the two to the same answers."""
    is_open = models.Q(status__in=AppointmentRequest.OPEN_STATUSES)
    today = timezone.localdate(now)
    return models.Case(
        models.When(urgent=True, then=QueueRank.URGENT),
        models.When(is_open & overdue_q(now), then=QueueRank.DUE),
        models.When(is_open & models.Q(callback_due_on__lte=today), then=QueueRank.DUE),
        models.When(is_open & models.Q(callback_due_on__gt=today), then=QueueRank.WAITING),
        models.When(is_open, then=QueueRank.OPEN),
        default=QueueRank.FINISHED,
        output_field=models.SmallIntegerField(),
    )


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
        "call_language",
        "service",
        "patient_type",
        "insurance",
        "referral",
        "message",
        "had_therapy",
        "safety_answer",
        "consent_contact",
    ]
    # What a referring clinician adds on the referral form: read-only for staff too.
    REFERRER_FIELDS = [
        "referrer_name",
        "referrer_practice",
        "referrer_phone",
        "referrer_fax",
        "referrer_email",
        "diagnosis",
        "antidepressant_managed_by",
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

    class CallLanguage(models.TextChoices):
        # The languages of the site's pages, as the patient names them on the form.
        ENGLISH = "en", _("English")
        SPANISH = "es", _("Spanish")

    class SafetyAnswer(models.TextChoices):
        """The answer to the form's safety question (PHQ-9 item 9: forms.py, safety_answer)."""

        YES = "yes", _("Yes")
        NO = "no", _("No")
        DECLINED = "declined", _("I'd rather not say")

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

    class Therapy(models.TextChoices):
        NOW = "now", _("Yes, now")
        PAST = "past", _("Yes, in the past")
        NO = "no", _("No")

    # Staff labels (the admin is in English); the referral form words its own question.
    class Source(models.TextChoices):
        PATIENT = "patient", "Patient"
        REFERRAL = "referral", "Referral"

    class AntidepressantManager(models.TextChoices):
        REFERRER = "referrer", _("I will keep managing it")
        CLINIC = "clinic", _("I would like your clinic to take it over")

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
    # Blank: not answered (the question is optional, and requests from before it have none).
    # (Database defaults here and below: an app server still on the release before, during a
    # rolling upgrade, inserts rows without these columns. docs/deployment.md, "Upgrading".)
    safety_answer = models.CharField(
        "safety question", max_length=10, choices=SafetyAnswer.choices, blank=True, db_default=""
    )
    consent_contact = models.BooleanField(default=False)
    # The language the patient asked us to speak when we call (or write), whatever the page was
    # in. Blank: not asked (requests from before the question; an older release's inserts).
    call_language = models.CharField(
        "preferred language",
        max_length=2,
        choices=CallLanguage.choices,
        blank=True,
        db_default="",
    )

    # The patient's own account of the antidepressants they tried is TreatmentTrial rows; this
    # is the form's other treatment question (insurers ask for both before TMS or Spravato).
    had_therapy = models.CharField(
        "therapy for depression",
        max_length=10,
        choices=Therapy.choices,
        blank=True,
        default="",
        db_default="",
    )

    # Who sent it: the patient, or a clinician through the referral form (/refer/), whose
    # details follow. Blank on a patient's request.
    source = models.CharField(
        max_length=10, choices=Source.choices, default=Source.PATIENT, db_default=Source.PATIENT
    )
    referrer_name = models.CharField(
        "referring clinician", max_length=200, blank=True, default="", db_default=""
    )
    referrer_practice = models.CharField(
        "practice", max_length=200, blank=True, default="", db_default=""
    )
    # E.164, as the patient's phone.
    referrer_phone = models.CharField(
        "referrer's phone", max_length=20, blank=True, default="", db_default=""
    )
    referrer_fax = models.CharField(
        "referrer's fax", max_length=20, blank=True, default="", db_default=""
    )
    referrer_email = models.EmailField(
        "referrer's e-mail", max_length=254, blank=True, default="", db_default=""
    )
    diagnosis = models.CharField(max_length=300, blank=True, default="", db_default="")
    antidepressant_managed_by = models.CharField(
        "oral antidepressant managed by",
        max_length=10,
        choices=AntidepressantManager.choices,
        blank=True,
        default="",
        db_default="",
    )

    # The language of the page the form was sent from: the patient's acknowledgement is
    # written in it, and staff see it (and may call back in it).
    language = models.CharField(
        max_length=8, choices=settings.LANGUAGES, default="en", editable=False
    )

    created_at = models.DateTimeField("received", default=timezone.now, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    # Set when the request arrives if the patient answered yes to the safety question or wrote
    # crisis language (crisis_terms.py); staff clear it with clear_urgent().
    urgent = models.BooleanField(default=False)
    # Why it was flagged, as it arrived (keys of URGENT_REASONS), so staff see why: kept when
    # staff clear the flag. Empty for requests flagged before reasons were kept.
    urgent_reasons = models.JSONField(
        "urgent because", default=list, db_default=[], blank=True, editable=False
    )
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
    # Where the request stands in the front desk's order (QueueRank): set by every write that
    # changes status, urgent or callback_due_on, and refreshed for the passing of time by
    # AppointmentRequestQuerySet.refresh_queue_ranks.
    queue_rank = models.SmallIntegerField(
        choices=QueueRank.choices, default=QueueRank.OPEN, editable=False
    )

    objects = AppointmentRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["-urgent", "-created_at"], name="request_urgent_received"),
            # The triage list's order (TRIAGE_ORDER): a page walks the index and stops.
            models.Index(fields=["queue_rank", "created_at", "id"], name="request_queue_rank"),
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
            ("view_reply_report", "Can view the reply-time report"),
        ]

    def __str__(self):
        # The reference, not the name: __str__ shows up in logs, audit entries and admin history.
        return f"Request {self.reference}"

    # Free text the patient (or their clinician) wrote, read for crisis language; the names of
    # the medicines they tried are read too (reasons_for_urgency's `more_text`).
    FREE_TEXT_FIELDS = ["message", "insurance", "diagnosis"]

    def save(self, *args, **kwargs):
        if self._state.adding and not self.urgent_reasons:
            self.flag_if_urgent()
        self.queue_rank = queue_rank(self)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "queue_rank"}
        super().save(*args, **kwargs)

    def flag_if_urgent(self, more_text=()):
        """Set the urgent flag and its reasons from what arrived (reasons_for_urgency): save()
        does it for a new request; a form that stores more text with it calls it first."""
        self.urgent_reasons = reasons_for_urgency(self, more_text)
        self.urgent = self.urgent or bool(self.urgent_reasons)

    def clear_urgent(self, by):
        """Take the urgent flag off on behalf of `by`, with an audit entry. Returns False if
        it was not set."""
        with transaction.atomic():
            stored = AppointmentRequest.objects.select_for_update().get(pk=self.pk)
            cleared = stored.urgent
            if cleared:
                stored.urgent = False
                stored.queue_rank = queue_rank(stored)
                AppointmentRequest.objects.filter(pk=self.pk).update(
                    urgent=False, queue_rank=stored.queue_rank
                )
                AuditEntry.record(by, AuditEntry.Action.CHANGED, self.reference, "urgent → cleared")
        self.urgent = False
        self.queue_rank = stored.queue_rank
        return cleared

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
            # Its place in the front desk's order, from the stored row with the changes made.
            for name, value in changes.items():
                setattr(stored, name, value)
            changes["queue_rank"] = queue_rank(stored)
            AppointmentRequest.objects.filter(pk=self.pk).update(**changes)
            for name, value in changes.items():
                setattr(self, name, value)
            AuditEntry.record(
                by, AuditEntry.Action.CHANGED, self.reference, self._change_text(changes)
            )
        return [name for name in changes if name not in {"status_changed_at", "queue_rank"}]

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
            stored = AppointmentRequest.objects.select_for_update().get(pk=self.pk)
            stored.callback_due_on = callback_on
            attempt = CallAttempt.objects.create(
                request=self,
                outcome=outcome,
                by=by,
                at=at or timezone.now(),
                next_callback_on=callback_on,
            )
            self.queue_rank = queue_rank(stored)
            AppointmentRequest.objects.filter(pk=self.pk).update(
                callback_due_on=callback_on, queue_rank=self.queue_rank
            )
            self.callback_due_on = callback_on
            # The outcome's name and the date only: nothing the patient said.
            detail = attempt.get_outcome_display()
            if callback_on:
                detail += f", callback on {callback_on:%Y-%m-%d}"
            AuditEntry.record(by, AuditEntry.Action.CALLED, self.reference, detail)
        return attempt

    def close_as_duplicate(self, original, by):
        """Close this request as a repeat of `original` on behalf of `by`: a note says which,
        and the status becomes Closed, all or nothing."""
        with transaction.atomic():
            self.add_note(f"Closed as a duplicate of {original.reference}.", by)
            self.change_status(self.Status.CLOSED, by)

    @property
    def urgent_reason_labels(self):
        """Why the request was flagged, in words staff read (URGENT_REASONS)."""
        return [URGENT_REASONS.get(reason, reason) for reason in self.urgent_reasons]

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES

    @property
    def is_overdue(self):
        waiting = self.callback_due_on and self.callback_due_on > timezone.localdate()
        return self.is_open and not waiting and self.created_at < overdue_cutoff()

    @property
    def phone_national(self):
        return national_phone(self.phone)


def national_phone(e164):
    """A stored phone as a caller dials it here: "(772) 555-0188" rather than "+17725550188"."""
    try:
        number = phonenumbers.parse(e164, settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return e164
    region = phonenumbers.region_code_for_number(number)
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if region == settings.PHONE_DEFAULT_REGION
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


class TreatmentTrial(models.Model):
    """One antidepressant the patient says they tried, as typed on the request form or the
    referral form: what the patient typed, read-only for staff. Insurers ask for each trial
    before they cover TMS or Spravato; the front desk reads these before the first call. PHI:
    the admin (and the CSV export, under its rules) only, never an e-mail."""

    # Rough answers on purpose: a patient rarely knows the weeks. The 6-week line is what
    # ADEQUATE_DURATIONS counts (see adequate_trial_count).
    class Duration(models.TextChoices):
        UNDER_6_WEEKS = "under6w", _("Less than 6 weeks")
        UP_TO_3_MONTHS = "6w-3m", _("6 weeks to 3 months")
        OVER_3_MONTHS = "over3m", _("More than 3 months")
        NOT_SURE = "not_sure", _("Not sure")

    class Helped(models.TextChoices):
        YES = "yes", _("Yes")
        PARTLY = "partly", _("A little")
        NO = "no", _("No")
        NOT_SURE = "not_sure", _("Not sure")

    class StoppedBecause(models.TextChoices):
        NOT_ENOUGH = "no_help", _("It did not help enough")
        SIDE_EFFECTS = "side_fx", _("Side effects")
        STILL_TAKING = "still", _("Still taking it")
        OTHER = "other", _("Another reason")

    request = models.ForeignKey(
        AppointmentRequest, on_delete=models.CASCADE, related_name="treatment_trials"
    )
    medicine = models.CharField(max_length=100)
    duration = models.CharField("how long", max_length=10, choices=Duration.choices, blank=True)
    helped = models.CharField("did it help", max_length=10, choices=Helped.choices, blank=True)
    stopped_because = models.CharField(
        "why stopped", max_length=10, choices=StoppedBecause.choices, blank=True
    )
    # The row's place on the form, so staff read them in the order they were typed.
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self):
        # No medicine: __str__ reaches logs and admin history.
        return f"Treatment {self.position} of {self.request}"


# What counts as an adequate trial in what the patient reports. The Spravato label defines
# treatment-resistant depression as not responding adequately to at least two oral
# antidepressants "of adequate dose and duration" in the current episode (PI §14 Clinical
# studies; content/pages/spravato.md cites it); the label gives no number of weeks, and the
# studies behind it (TRANSFORM-2, Popova et al., Am J Psychiatry 2019) counted a trial as
# adequate when taken for at least 6 weeks at an adequate dose. The form asks roughly how long,
# not the dose nor the episode, so the count is of medicines the patient reports taking for 6
# weeks or more: a figure for the front desk's first call, never a diagnosis or an assessment
# of eligibility (the clinician's evaluation decides that).
ADEQUATE_DURATIONS = {TreatmentTrial.Duration.UP_TO_3_MONTHS, TreatmentTrial.Duration.OVER_3_MONTHS}


def adequate_trial_count(trials):
    """How many different medicines (by name, in any case) among `trials` the patient reports
    taking for 6 weeks or more (ADEQUATE_DURATIONS)."""
    return len(
        {
            " ".join(t.medicine.casefold().split())
            for t in trials
            if t.duration in ADEQUATE_DURATIONS
        }
    )


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
        return f"{self.get_outcome_display()}, {local_time(self.at)}"


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
        # One INSERT on its own: bulk_create would wrap it in a transaction, which on SQLite is
        # two more statements (BEGIN IMMEDIATE, COMMIT) on every list and request page.
        return cls.objects.create(**cls._values(user, action, reference, detail))

    @classmethod
    def record_each(cls, user, action, references, detail=""):
        """One entry per reference, all written in one query."""
        return cls.objects.bulk_create(
            cls(**cls._values(user, action, reference, detail)) for reference in references
        )

    @staticmethod
    def _values(user, action, reference, detail):
        actor = user if getattr(user, "is_authenticated", False) else None
        return {
            "actor": actor,
            "actor_username": actor.get_username() if actor else "system",
            "action": action,
            "reference": reference,
            "detail": detail[:500],
        }


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


class OutgoingEmailQuerySet(models.QuerySet):
    def due(self, now=None):
        """Waiting, and its time has come (a new e-mail, a retry after its back-off, or one
        whose sender's lease ran out)."""
        return self.filter(
            state=OutgoingEmail.State.PENDING, next_try_at__lte=now or timezone.now()
        )

    def waiting(self, now=None):
        """Not sent, and queued longer than APPOINTMENT_SEND_STALE_MINUTES ago: the worker is
        missing, or the mail server refuses."""
        cutoff = (now or timezone.now()) - timedelta(
            minutes=settings.APPOINTMENT_SEND_STALE_MINUTES
        )
        return self.filter(state=OutgoingEmail.State.PENDING, created_at__lt=cutoff)

    def failing(self):
        """Failed at least once and not sent since, or given up: staff should know."""
        State = OutgoingEmail.State
        return self.filter(
            models.Q(state=State.FAILED) | models.Q(state=State.PENDING) & ~models.Q(last_error="")
        )

    def held(self):
        return self.filter(state=OutgoingEmail.State.HELD)


class OutgoingEmail(models.Model):
    """One e-mail to send about a request: the outbox that appointments/notify.py sends from.

    Written in the transaction that stores the request, so a stored request always has its
    e-mails queued and a request that was not stored has none. It holds no PHI: the message is
    built from the request when it is sent, and `last_error` is an exception's class name."""

    class Kind(models.TextChoices):
        STAFF = "staff", "Staff e-mail"
        PATIENT = "patient", "Patient acknowledgement"
        REFERRER = "referrer", "Referrer acknowledgement"

    class State(models.TextChoices):
        PENDING = "pending", "Not sent yet"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (no more attempts)"
        HELD = "held", "Held since a restore"
        DROPPED = "dropped", "Dropped by staff"

    request = models.ForeignKey(AppointmentRequest, on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    # Each sender's claim counts as an attempt, and its number is the claim: a sender writes
    # the outcome only while the row still carries the number it claimed.
    attempts = models.PositiveSmallIntegerField(default=0)
    # When it is next due: at once, after a failure's back-off, or, while a sender holds it,
    # when that sender's lease ends.
    next_try_at = models.DateTimeField(default=timezone.now)
    # The exception's class name only: an SMTP error message can quote an address.
    last_error = models.CharField(max_length=100, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = OutgoingEmailQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "kind"], name="one_email_of_each_kind")
        ]
        # The senders' claim (pending, due first) and the admin's counts (failed, held).
        indexes = [models.Index(fields=["state", "next_try_at"], name="email_state_due")]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.request}"


class WorkerHeartbeat(models.Model):
    """When an e-mail worker last said it was alive: written by appointments.notify.run_worker
    every HEARTBEAT_SECONDS, read by /healthz and the admin index. One row for all workers."""

    name = models.CharField(max_length=20, primary_key=True)
    seen_at = models.DateTimeField()

    def __str__(self):
        return f"{self.name} worker seen at {local_time(self.seen_at)}"
