from functools import partial
from urllib.parse import parse_qsl

from django.conf import settings
from django.db import IntegrityError, transaction
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods

from clinic_site.cache import public_page, slot
from clinic_site.clinic import Service
from clinic_site.http import error_page

from . import spam, tasks
from .forms import AppointmentRequestForm, new_form_token, read_form_token
from .models import AppointmentRequest, new_reference

SESSION_KEY = "appointment_reference"
URGENT_SESSION_KEY = "appointment_urgent"


def _visitor_fields(request):
    """Each visitor's own CSRF token and form token, filled into the kept blank form."""
    return {"csrf": get_token(request), "form_token": new_form_token()}


@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@public_page(query={"service": "|".join(Service.values)}, per_visitor=_visitor_fields)
def contact(request):
    if request.method == "POST":
        return _submit(request)
    # The blank form, the same for everyone but for the two tokens (slots).
    initial = {"form_token": slot("form_token")}
    context = {"csrf_token": slot("csrf")}
    if request.GET.get("service") in Service.values:
        initial["service"] = request.GET["service"]
        # Switching language keeps the treatment chosen (a known value, nothing typed).
        context["language_switch_query"] = f"?service={initial['service']}"
    return _form_page(request, AppointmentRequestForm(initial=initial), context=context)


@never_cache
@require_GET
def thanks(request):
    reference = request.session.get(SESSION_KEY)
    if not reference:
        return redirect("appointments:contact")
    # What is true now: the acknowledgement is usually still on its way. (A bot's made-up
    # reference has no row: it reads the same page, without an address.)
    stored = AppointmentRequest.objects.filter(reference=reference).first()
    return render(
        request,
        "appointments/thanks.html",
        {
            "reference": reference,
            "acknowledge": settings.APPOINTMENT_ACKNOWLEDGE_PATIENT,
            "email": stored.email if stored else "",
            # How we will reach them, as they chose it: the page promises only that.
            "contact_method": stored.contact_method if stored else "",
            "phone": stored.phone_national if stored else "",
            "acknowledged": bool(stored and stored.patient_acknowledged_at),
            # Crisis language in the request: 988 and 911 come first on the page.
            "urgent": request.session.get(URGENT_SESSION_KEY, False),
        },
    )


def _form_page(request, form, status=200, context=None):
    return render(
        request, "appointments/contact.html", {"form": form, **(context or {})}, status=status
    )


def _malformed(request):
    """A response for a body no browser sends from this form, or None. (Its length and type
    were checked before anything read it: clinic_site.middleware.body_limits.)"""
    try:
        parse_qsl(request.body.decode("utf-8"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        return error_page(
            request,
            400,
            _("We could not read your request"),
            _("Part of what was sent is not valid text. Please check the form and send it again."),
        )
    return None


@sensitive_variables("form")
def _submit(request):
    problem = _malformed(request)
    if problem:
        return problem
    if spam.looks_like_a_bot(request.POST):
        # An ordinary-looking success, and no record (so nothing to count).
        return _thank(request, new_reference())

    token = read_form_token(request.POST["form_token"])
    form = AppointmentRequestForm(request.POST)
    if token is None:
        return _form_page(request, _again(form, EXPIRED), status=400)
    if not form.is_valid():
        return _form_page(request, form, status=400)
    if spam.sent_too_fast(token):
        # Maybe a bot, maybe a person with autofill: nothing is stored, and a person can
        # send it again.
        return _form_page(request, _again(form, TOO_FAST), status=400)
    # Counted before anything is stored, and the count returned decides: of any number of
    # forms sent at once, only the allowance is stored. A form sent back for corrections is
    # not counted.
    if not spam.within_rate_limit(request):
        return render(request, "appointments/rate_limited.html", status=429)
    try:
        with transaction.atomic():
            appointment = form.save(commit=False)
            appointment.submission_token = token.nonce
            # The language of the page the form was sent from (/es/contact/: "es"), for the
            # acknowledgement, which a worker with no request writes later.
            appointment.language = translation.get_language()
            appointment.save()
            # E-mails only once the request is safely stored, and by a task: the patient never
            # waits on a mail server. If the task is lost, cron's send_pending_notifications
            # finds the request unsent.
            transaction.on_commit(partial(tasks.send_request_emails.enqueue, appointment.pk))
    except IntegrityError:
        # The same form sent twice (a double click, a resubmitted page): one record.
        appointment = AppointmentRequest.objects.filter(submission_token=token.nonce).first()
        if appointment is None:
            raise
    return _thank(request, appointment.reference, urgent=appointment.urgent)


EXPIRED = gettext_lazy(
    "This form had been open for too long. Please check your details and send it again."
)
TOO_FAST = gettext_lazy(
    "Your request has not been sent yet. Please check your details and send it again."
)


def _again(form, why):
    """The form again, with what the person typed, a fresh token and a word on why."""
    form.data = form.data.copy()
    form.data["form_token"] = new_form_token()
    form.full_clean()
    form.add_error(None, why)
    return form


def _thank(request, reference, urgent=False):
    session = request.session
    session[SESSION_KEY] = reference  # loads the session the cookie names, if there is one
    session[URGENT_SESSION_KEY] = urgent
    # A new session key: a session cookie planted in this browser beforehand must not show
    # this reference to whoever planted it. Without a stored session (the usual case) the key
    # is None and the response creates one with a new key; cycling it as well would write the
    # session twice (measured: 3 of the POST's 13 database round trips, bench/RESULTS.md).
    if session.session_key is not None:
        session.cycle_key()
    return redirect("appointments:thanks")
