import logging
from dataclasses import dataclass
from urllib.parse import parse_qsl

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Exists, OuterRef
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

from . import notify, spam
from .forms import AppointmentRequestForm, ReferralForm, new_form_token, read_form_token
from .models import AppointmentRequest, OutgoingEmail, new_reference

logger = logging.getLogger(__name__)

# The thank-you page learns which request it thanks for from a signed cookie that the POST's
# redirect sets, not from a session: writing a session row after the request's commit was a
# step that could fail (a 500 for a stored request, which invites sending it again). The cookie
# holds the reference and the urgent flag only, signed so it cannot be forged, and lasts an
# hour: long enough to read and reload the page.
THANKS_COOKIE = "request_sent"
THANKS_SALT = "appointments.thanks"
THANKS_SECONDS = 3600


@dataclass(frozen=True)
class RequestPage:
    """A page whose form stores a request: the patient's Contact page, or the clinicians'
    referral page. Both go through the same steps (_submit), with their own form and pages."""

    form_class: type
    template: str
    url: str  # the form's URL name
    thanks_url: str  # its thank-you page's
    cookie: str  # the thank-you page's cookie (see THANKS_COOKIE)


PATIENT_PAGE = RequestPage(
    AppointmentRequestForm,
    "appointments/contact.html",
    "appointments:contact",
    "appointments:thanks",
    THANKS_COOKIE,
)
REFERRAL_PAGE = RequestPage(
    ReferralForm,
    "appointments/refer.html",
    "referrals:refer",
    "referrals:thanks",
    "referral_sent",
)


def _visitor_fields(request):
    """Each visitor's own CSRF token and form token, filled into the kept blank form."""
    return {"csrf": get_token(request), "form_token": new_form_token()}


def request_page(page, name):
    """The view of a RequestPage: its blank form (cached, the same for everyone but for the
    two tokens), and its POST."""

    def view(request):
        if request.method == "POST":
            return _submit(request, page)
        initial = {"form_token": slot("form_token")}
        context = {"csrf_token": slot("csrf")}
        if request.GET.get("service") in Service.values:
            initial["service"] = request.GET["service"]
            # Switching language keeps the treatment chosen (a known value, nothing typed).
            context["language_switch_query"] = f"?service={initial['service']}"
        return _form_page(request, page, page.form_class(initial=initial), context=context)

    view.__name__ = view.__qualname__ = name
    view = public_page(query={"service": "|".join(Service.values)}, per_visitor=_visitor_fields)(
        view
    )
    view = require_http_methods(["GET", "HEAD", "POST"])(view)
    return sensitive_post_parameters()(never_cache(view))


contact = request_page(PATIENT_PAGE, "contact")
refer = request_page(REFERRAL_PAGE, "refer")


@never_cache
@require_GET
def referral_thanks(request):
    """The referrer's thank-you page: the reference, and who hears from us next. Nothing about
    the patient, and no database read."""
    sent = _read_thanks_cookie(request, REFERRAL_PAGE.cookie)
    if sent is None:
        return redirect(REFERRAL_PAGE.url)
    reference, urgent = sent
    return render(
        request,
        "appointments/referral_thanks.html",
        {
            "reference": reference,
            "acknowledge": settings.APPOINTMENT_ACKNOWLEDGE_PATIENT,
            "urgent": urgent,
        },
    )


@never_cache
@require_GET
def thanks(request):
    sent = _read_thanks_cookie(request, THANKS_COOKIE)
    if sent is None:
        return redirect("appointments:contact")
    reference, urgent = sent
    return render(
        request,
        "appointments/thanks.html",
        {
            "reference": reference,
            "acknowledge": settings.APPOINTMENT_ACKNOWLEDGE_PATIENT,
            **_acknowledgement(reference),
            # Crisis language in the request: 988 and 911 come first on the page.
            "urgent": urgent,
        },
    )


def _acknowledgement(reference):
    """What the page says about how we will reach the patient and whether the acknowledgement
    has gone, as far as the database says. What is true now: it is usually still on its way.
    (A bot's made-up reference has no row: it reads the same page, without an address.) The
    page thanks the patient whatever the database does: this part is a courtesy, left out while
    the database fails."""
    patient_email = OutgoingEmail.objects.filter(
        request=OuterRef("pk"), kind=OutgoingEmail.Kind.PATIENT, state=OutgoingEmail.State.SENT
    )
    try:
        stored = (
            AppointmentRequest.objects.filter(reference=reference)
            .annotate(acknowledged=Exists(patient_email))
            .only("email", "contact_method", "phone")
            .first()
        )
    except DatabaseError as exc:
        logger.warning("Thank-you page shown without its details: %s", type(exc).__name__)
        stored = None
    if stored is None:
        return {"email": "", "contact_method": "", "phone": "", "acknowledged": False}
    return {
        "email": stored.email,
        # How we will reach them, as they chose it: the page promises only that.
        "contact_method": stored.contact_method,
        "phone": stored.phone_national,
        "acknowledged": stored.acknowledged,
    }


def _read_thanks_cookie(request, cookie):
    """(reference, urgent) from the cookie the form's redirect set, or None."""
    value = request.get_signed_cookie(
        cookie, default=None, salt=THANKS_SALT, max_age=THANKS_SECONDS
    )
    reference, _colon, urgent = (value or "").partition(":")
    return (reference, urgent == "urgent") if reference else None


def _form_page(request, page, form, status=200, context=None):
    return render(request, page.template, {"form": form, **(context or {})}, status=status)


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
def _submit(request, page):
    problem = _malformed(request)
    if problem:
        return problem
    if spam.looks_like_a_bot(request.POST):
        # An ordinary-looking success, and no record (so nothing to count).
        return _thank(request, page, new_reference())

    token = read_form_token(request.POST["form_token"])
    form = page.form_class(request.POST)
    if token is None:
        return _form_page(request, page, _again(form, EXPIRED), status=400)
    if not form.is_valid():
        return _form_page(request, page, form, status=400)
    if spam.sent_too_fast(token):
        # Maybe a bot, maybe a person with autofill: nothing is stored, and a person can
        # send it again.
        return _form_page(request, page, _again(form, TOO_FAST), status=400)
    # Counted before anything is stored, and the count returned decides: of any number of
    # forms sent at once, only the allowance is stored. A form sent back for corrections is
    # not counted.
    if not spam.within_rate_limit(request):
        return render(request, "appointments/rate_limited.html", status=429)
    try:
        with transaction.atomic():
            form.instance.submission_token = token.nonce
            # The language of the page the form was sent from (/es/contact/: "es"), for the
            # acknowledgement, which a worker with no request writes later.
            form.instance.language = translation.get_language()
            appointment = form.save()  # with its treatment history
            # Its e-mails wait in the outbox, stored with it: the worker sends them, and the
            # patient never waits on a mail server.
            notify.queue_emails(appointment)
    except IntegrityError:
        # The same form sent twice (a double click, a resubmitted page): one record.
        appointment = AppointmentRequest.objects.filter(submission_token=token.nonce).first()
        if appointment is None:
            raise
    return _thank(request, page, appointment.reference, urgent=appointment.urgent)


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


def _thank(request, page, reference, urgent=False):
    """The redirect to the thank-you page. Nothing after the request's commit may fail, so it
    writes nothing to the database: the page's reference rides in a signed cookie (never in the
    URL, which proxies and browser history keep)."""
    response = redirect(page.thanks_url)
    response.set_signed_cookie(
        page.cookie,
        f"{reference}:urgent" if urgent else reference,
        salt=THANKS_SALT,
        max_age=THANKS_SECONDS,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response
