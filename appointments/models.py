import re
import secrets
from datetime import timedelta

import phonenumbers
from django.conf import settings
from django.db import connections, models, transaction
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic_site import substring_index
from clinic_site.clinic import Service
from clinic_site.text import fold
from clinic_site.times import local_date, local_time  # noqa: F401 (where the app imports them)

from .crisis_terms import KINDS as CRISIS_KINDS
from .crisis_terms import crisis_kinds

# Two requests with the same e-mail address or phone within this many days may be one person.
DUPLICATE_WINDOW = timedelta(days=30)

# What search_text_of reads.
SEARCHED_FIELDS = ["first_name", "last_name", "email", "phone", "reference"]

# Crockford's base32 without I, L, O and U: nothing a caller can misread over the phone.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference():
    """A short reference for the patient and staff to quote: 8 symbols, 40 random bits."""
    code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{code[:4]}-{code[4:]}"


class AppointmentRequestQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=AppointmentRequest.OPEN_STATUSES)

    def ranked(self, *ranks):
        """Requests with one of `ranks` (QueueRank) as stored: exact once refresh_queue_ranks
        has run, which the triage list and the admin index do before they read."""
        return self.filter(queue_rank__in=ranks)

    def overdue(self):
        """Open, waited past the cutoff, and no callback booked (rank_rules)."""
        return self.ranked(QueueRank.OVERDUE)

    def callbacks_due(self):
        """Open requests whose booked callback is today or was missed (rank_rules)."""
        return self.ranked(QueueRank.CALLBACK_DUE)

    def today(self):
        """What the desk works today, in this order: urgent, overdue, callbacks due."""
        return self.ranked(QueueRank.URGENT, QueueRank.OVERDUE, QueueRank.CALLBACK_DUE)

    def in_triage_order(self):
        """What the front desk works first (see rank_rules), the oldest first within each rank:
        the stored rank, walked in its index."""
        return self.order_by(*TRIAGE_ORDER)

    def refresh_queue_ranks(self, now=None):
        """Bring the stored queue ranks up to date with the time: one UPDATE, of the rows whose
        rank differs. Returns how many moved.

        Why a stored rank refreshed like this, rather than the rules in ORDER BY: no index
        serves a CASE, so every page sorted every row (1.2 s at 100,000 rows; bench/RESULTS.md,
        "The triage order"). The writes store the rank (save, triage, log_call, clear_urgent);
        what changes without a write is time. The triage list and the admin index call this
        before they read (one query, so the order is exact to the second);
        send_pending_notifications, which cron runs every few minutes, calls it too, for every
        other reader of the rank.

        It reads only the rows time can move, through the request_queue_rank index: those
        ranked open (they come due) or waiting (a booked callback's day arrives), and those
        overdue but received since the cutoff, because the cutoff counts business days and so
        steps back over a weekend (at 9:00 on Monday it is earlier than at 10:00 on Sunday).
        And the rows below the first rank, which only the release before this one wrote."""
        rank = queue_rank_expression(now)
        ranked = AppointmentRequest.objects.order_by()
        # Index lookups, joined: an OR of the conditions makes SQLite read every open row
        # instead (20 ms rather than 1 at 100,000 rows).
        may_move = [
            ranked.filter(queue_rank__in=[QueueRank.OPEN, QueueRank.WAITING]),
            ranked.filter(queue_rank=QueueRank.OVERDUE, created_at__gte=overdue_cutoff(now)),
            ranked.filter(queue_rank__lt=QueueRank.URGENT),
        ]
        first, *others = (rows.values("pk") for rows in may_move)
        return (
            self.filter(pk__in=first.union(*others, all=True))
            .exclude(queue_rank=rank)
            .update(queue_rank=rank)
        )

    def duplicates_of(self, request_obj):
        """Other requests that may be from the same person: the same e-mail address (in any
        case) or phone, received within DUPLICATE_WINDOW of `request_obj`."""
        found = self.none()
        for field in ("email", "phone"):
            if getattr(request_obj, field):  # blank matches nothing
                found |= _same(field, request_obj)
        return found

    def with_duplicate(self):
        """Each request with `duplicate_pk` and `duplicate_reference`: the latest other request
        with the same e-mail address, or else the latest with the same phone, or None.

        Four subqueries in the list query, for the page's rows only; each walks one index
        (Meta.indexes: the address or phone, then the received time) backwards from the end of
        the window and stops at its first row, and a blank address or phone asks nothing. A
        lookup of "same address or same phone" in one subquery could use neither index: it
        walked the whole window of the received time for every row (1.2 s a page at 10,000
        requests in a month)."""

        def latest(column):
            found = [
                models.Case(
                    models.When(
                        ~models.Q(**{field: ""}),
                        then=models.Subquery(_same(field).values(column)[:1]),
                    )
                )
                for field in ("email", "phone")
            ]
            return Coalesce(*found)

        return self.annotate(duplicate_pk=latest("pk"), duplicate_reference=latest("reference"))

    def possible_duplicates(self):
        """The requests with_duplicate() would give a duplicate (the list's filter): those
        marked when they or their duplicate arrived (possible_duplicate), read from their own
        index in triage order. Working it out when the list asks took 19 s on SQLite and over
        a minute on PostgreSQL at a million requests (bench/RESULTS.md)."""
        return self.filter(possible_duplicate=True)

    def mark_possible_duplicates(self):
        """Set possible_duplicate on the requests here that have a possible duplicate (the
        same rule as with_duplicate: a non-blank address or phone on another request within
        DUPLICATE_WINDOW), and clear it on those that no longer have one (the other was
        purged). Returns how many changed. For requests that save() did not see: written in
        bulk, or by the release before this one."""
        rule = has_duplicate()
        marked = self.filter(rule, possible_duplicate=False).update(possible_duplicate=True)
        cleared = self.filter(possible_duplicate=True).exclude(rule)
        return marked + cleared.update(possible_duplicate=False)

    def search(self, text):
        """The requests whose name, e-mail address, phone or reference hold every word of
        `text`, with or without accents (search_words)."""
        found = self
        table, connection = self.model._meta.db_table, connections[self.db]
        for word in search_words(text):
            # Both sides folded: a plain LIKE, which a trigram index serves on PostgreSQL, and
            # on SQLite the rows its substring index names (the LIKE then reads only those).
            found = found.filter(search_text__contains=word)
            indexed = substring_index.containing(connection, table, "search_text", word)
            if indexed is not None:
                found = found.filter(pk__in=indexed)
        return found

    def fill_search_text(self):
        """Give search_text to the requests without one (stored by the release before this
        one while it still served an upgrade). Returns how many."""
        missing = list(self.filter(search_text="").only(*SEARCHED_FIELDS))
        for request in missing:
            request.search_text = search_text_of(request)
        self.bulk_update(missing, ["search_text"], batch_size=500)
        return len(missing)

    def mark_recent_duplicates(self, now=None):
        """Mark the last day's unmarked requests that have a possible duplicate, with their
        duplicates: those the release before this one stored during an upgrade (it knows no
        mark), and two sent at the same moment by one person (on PostgreSQL neither insert
        sees the other). Returns how many it marked."""
        since = (now or timezone.now()) - timedelta(days=1)
        recent = self.filter(created_at__gte=since, possible_duplicate=False)
        missed = list(recent.filter(has_duplicate()).only("email", "phone", "created_at"))
        for request in missed:
            request.mark_duplicates()
        return len(missed)

    def span(self, cap):
        """{"count", "first", "last"}: how many requests these are, and when the first and the
        last of them were received, at a cost that does not grow with the table. Counting
        stops at cap + 1 (more than `cap`). When all were counted, the first and last come in
        the same query; otherwise from the two ends of the received-time index, each a walk
        that stops at its first match (there are more than `cap` to find)."""
        found = self.order_by()[: cap + 1].aggregate(
            count=models.Count("pk"),
            first=models.Min("created_at"),
            last=models.Max("created_at"),
        )
        if found["count"] > cap:
            received = self.values("created_at")
            ends = AppointmentRequest.objects.order_by().annotate(
                first=models.Subquery(received.order_by("created_at")[:1]),
                last=models.Subquery(received.order_by("-created_at")[:1]),
            )
            found.update(ends.values("first", "last")[0])
        return found

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
    """What the front desk works first; the list sorts by it, then the oldest first. Every
    request has exactly one rank, so the index's "urgent", "overdue" and "callbacks due today"
    never count a request twice.

    In tens: the release before this one stored 0 to 4, and a row it writes during an upgrade is
    told apart by that and ranked again (refresh_queue_ranks)."""

    # Crisis language first, whatever its status, until staff clear the flag.
    URGENT = 10, "Urgent"
    OVERDUE = 20, "Overdue"
    CALLBACK_DUE = 30, "Callback due today (or missed)"
    OPEN = 40, "Open"
    WAITING = 50, "Waiting for a callback on a later day"
    FINISHED = 60, "Finished"


# The list's order: the index request_queue_rank serves it, so a page reads 50 rows, not all.
TRIAGE_ORDER = ["queue_rank", "created_at", "pk"]


def rank_rules(now=None):
    """The front desk's order, written once: (rank, condition) pairs, in order; a request has
    the rank of the first condition it meets at `now`. Nothing else decides a rank, "overdue"
    or "callback due": queue_rank() applies these rules to a request in hand (every write
    stores its result), queue_rank_expression() applies them in SQL (the refresh for the
    passing of time), and the list's filters, badges and the index's counts read the rank."""
    today = timezone.localdate(now)
    return [
        (QueueRank.URGENT, models.Q(urgent=True)),
        (QueueRank.FINISHED, ~models.Q(status__in=AppointmentRequest.OPEN_STATUSES)),
        # Waited past the cutoff, and no one has booked a callback: a request the desk called
        # on time and promised to call again today is a callback due, not late.
        (
            QueueRank.OVERDUE,
            models.Q(callback_due_on=None, created_at__lt=overdue_cutoff(now)),
        ),
        (QueueRank.CALLBACK_DUE, models.Q(callback_due_on__lte=today)),
        (QueueRank.WAITING, models.Q(callback_due_on__gt=today)),
        (QueueRank.OPEN, models.Q()),
    ]


def queue_rank(request, now=None):
    """The rank of `request` (an AppointmentRequest, saved or not) at `now`, by rank_rules."""
    return next(rank for rank, rule in rank_rules(now) if _meets(request, rule))


def queue_rank_expression(now=None):
    """The rank at `now` as an SQL expression over a row's columns, by rank_rules: for the
    UPDATE that refreshes the ranks time changes (refresh_queue_ranks) and for migrations."""
    *ranked, (otherwise, _) = rank_rules(now)
    return models.Case(
        *(models.When(rule, then=models.Value(rank)) for rank, rule in ranked),
        default=models.Value(otherwise),
        output_field=models.SmallIntegerField(),
    )


# The lookups rank_rules uses, as the database judges them: a comparison with NULL fails.
_LOOKUPS = {
    "exact": lambda value, wanted: value == wanted,
    "in": lambda value, wanted: value in wanted,
    "lt": lambda value, wanted: value is not None and value < wanted,
    "lte": lambda value, wanted: value is not None and value <= wanted,
    "gt": lambda value, wanted: value is not None and value > wanted,
}


def _meets(obj, rule):
    """Whether `obj` meets `rule`, a Q of lookups on its own fields, judged in Python (a
    request in hand needs no query to be ranked)."""

    def holds(child):
        if isinstance(child, models.Q):
            return _meets(obj, child)
        path, wanted = child
        field, _, lookup = path.partition("__")
        return _LOOKUPS[lookup or "exact"](getattr(obj, field), wanted)

    met = (all if rule.connector == models.Q.AND else any)(map(holds, rule.children))
    return met != rule.negated


def has_duplicate(model=None):
    """The rule with_duplicate applies, as a condition on the outer query's request (`model`:
    a migration's historical model, which has none of this module's methods)."""
    return (~models.Q(email="") & models.Exists(_same("email", model=model))) | (
        ~models.Q(phone="") & models.Exists(_same("phone", model=model))
    )


def _same(field, request=None, model=None):
    """Other requests with the same `field` ("email", in any case, or "phone") as `request`,
    received within DUPLICATE_WINDOW of it, the latest first. Without `request`, a subquery:
    the same as the outer query's row."""
    if request is None:
        value, received, pk = (models.OuterRef(name) for name in (field, "created_at", "pk"))
    else:
        value, received, pk = models.Value(getattr(request, field)), request.created_at, request.pk
    same = {"email_key": Lower(value)} if field == "email" else {"phone": value}
    return (
        (model or AppointmentRequest)
        .objects.alias(email_key=Lower("email"))
        .filter(
            **same,
            created_at__gte=received - DUPLICATE_WINDOW,
            created_at__lte=received + DUPLICATE_WINDOW,
        )
        .exclude(pk=pk)
        .order_by("-created_at")
    )


def search_text_of(request):
    """What a search of the list looks in: the name, e-mail address, phone digits and
    reference (with and without its dash), folded (clinic_site.text.fold), so that "Ramirez"
    finds "Ramírez" and the other way round, on either database, and a phone in any format is
    found by its digits."""
    values = {name: getattr(request, name) for name in SEARCHED_FIELDS}
    values["phone"] = re.sub(r"\D", "", values["phone"])
    # A reference of digits alone ("1234-5678") reads as a phone number: searched as digits.
    values["compact reference"] = values["reference"].replace("-", "")
    return fold(" ".join(values.values()))


PHONE_LIKE = re.compile(r"[\d\s()+./-]+")


def search_words(text):
    """What a search for `text` looks for, each in search_text: its folded words, or, for what
    reads as a phone number ("(561) 555-0199", "+1 561…"), its digits."""
    # No stored text holds a control character, and neither PostgreSQL nor SQLite's index
    # takes a NUL ("?q=abc%00": a 500 for staff otherwise).
    text = "".join(char for char in text if char.isprintable() or char.isspace())
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 4 and PHONE_LIKE.fullmatch(text):
        return [digits]
    return fold(text).split()


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

    # The list's "possible duplicates" filter: set by save() on a new request and the requests
    # it may repeat (mark_duplicates), and by mark_possible_duplicates for the others.
    possible_duplicate = models.BooleanField(default=False, db_default=False, editable=False)
    # What the list's search reads (search_text_of): kept by save(). Blank on a row the release
    # before this one stored during an upgrade, until fill_search_text() reaches it.
    search_text = models.TextField(editable=False, blank=True, db_default="")
    # Set from the latest call attempt (log_call), so the list can sort and filter on it.
    callback_due_on = models.DateField("callback due", null=True, blank=True)
    # Where the request stands in the front desk's order (rank_rules): stored by every write
    # (save, and _write for the rest), refreshed for the passing of time by
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
            # The possible-duplicates filter, in triage order: only the marked rows are in it.
            models.Index(
                fields=["queue_rank", "created_at", "id"],
                condition=models.Q(possible_duplicate=True),
                name="request_duplicates_rank",
            ),
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
        self.search_text = search_text_of(self)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "queue_rank", "search_text"}
        adding = self._state.adding
        super().save(*args, **kwargs)
        if adding:
            self.mark_duplicates()

    def mark_duplicates(self):
        """Mark this request and the requests it may repeat (duplicates_of) as possible
        duplicates, if there are any: what the list's filter reads. Only the unmarked are
        written: a phone many requests share (a care home's, or "555-0123" typed by many)
        would otherwise have every new request rewrite, and lock, all the others."""
        others = AppointmentRequest.objects.duplicates_of(self)
        if others.exists():
            others.filter(possible_duplicate=False).update(possible_duplicate=True)
            AppointmentRequest.objects.filter(pk=self.pk).update(possible_duplicate=True)
            self.possible_duplicate = True

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
                self._write(stored, urgent=False)
                AuditEntry.record(by, AuditEntry.Action.CHANGED, self.reference, "urgent → cleared")
        self.urgent, self.queue_rank = stored.urgent, stored.queue_rank
        return cleared

    def _write(self, stored, **changes):
        """Write `changes` to the row, with the queue rank they give it: `stored` is the row as
        locked, so the rank comes from every field as stored with these changes made. This
        object takes the changes too. Returns them, with the rank."""
        for name, value in changes.items():
            setattr(stored, name, value)
        changes["queue_rank"] = stored.queue_rank = queue_rank(stored)
        AppointmentRequest.objects.filter(pk=self.pk).update(**changes)
        for name, value in changes.items():
            setattr(self, name, value)
        return changes

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
            changes = self._write(stored, **changes)
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
            attempt = CallAttempt.objects.create(
                request=self,
                outcome=outcome,
                by=by,
                at=at or timezone.now(),
                next_callback_on=callback_on,
            )
            self._write(stored, callback_due_on=callback_on)
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
        return queue_rank(self) == QueueRank.OVERDUE

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
        # The values worked out once: `user` is often request.user, a lazy object that costs
        # on every touch (most of a 10,000-request export's time, once per entry).
        values = cls._values(user, action, "", detail)
        actor = values.pop("actor")
        values["actor_id"] = actor.pk if actor else None
        return cls.objects.bulk_create(
            cls(**{**values, "reference": reference}) for reference in references
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
