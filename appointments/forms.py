import re
import secrets
import time
import unicodedata
from dataclasses import dataclass

import phonenumbers
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout, LayoutObject
from django import forms
from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clinic_site.clinic import Service, get_clinic

from .models import AppointmentRequest, TreatmentTrial

CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Characters that draw nothing or reorder text (Trojan Source, CVE-2021-42574): what staff read
# in the admin must be what was typed. Refused by Unicode category, so that every one is: the
# format characters (Cf: direction marks and overrides, zero-width characters, the soft hyphen,
# the Arabic letter mark, invisible operators, the tag characters), and the Hangul fillers,
# which are letters (Lo) that draw nothing, so a "name" of them passed as letters.
HANGUL_FILLERS = {"\u115f", "\u1160", "\u3164", "\uffa0"}
# More accents than any language puts on one letter (Vietnamese puts two) smear over the lines
# around them ("Zalgo" text).
MAX_MARKS_PER_LETTER = 4
HIDDEN_FORMATTING_ERROR = _(
    "Remove the invisible formatting characters (such as direction marks or zero-width "
    "spaces); they may have come with copied text."
)
# Besides letters and marks (é, ễ written as e + accents), names hold these: O'Brien, O’Brien,
# Zoë-Anne, St. John.
NAME_PUNCTUATION = set(" -'’.")
TEXT_FIELDS = ["first_name", "last_name", "email", "phone", "insurance", "message"]
# Control characters other than line breaks and tabs have no place in a message either.
MESSAGE_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Namespaces the signature (not a secret). The version is there so that a token of an older
# format fails its signature check instead of decoding into something else.
TOKEN_SALT = "appointments.form-token.v2"  # noqa: S105
TOKEN_MAX_AGE = 24 * 3600  # a form left open longer than this is sent again


@dataclass(frozen=True)
class FormToken:
    nonce: str  # names this submission: a second POST of the same form makes no second record
    age: float  # seconds since the form was served


def new_form_token():
    """A signed nonce with the time the form was served."""
    return signing.dumps([secrets.token_urlsafe(24), time.time()], salt=TOKEN_SALT)


def read_form_token(token):
    """The FormToken, or None if it is forged, garbled or older than TOKEN_MAX_AGE."""
    try:
        nonce, served_at = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return FormToken(nonce, time.time() - served_at)


def has_hidden_formatting(value):
    """True if `value` holds a character that draws nothing or reorders text, or a letter with
    more than MAX_MARKS_PER_LETTER accents."""
    marks = 0
    for char in value:
        category = unicodedata.category(char)
        if category == "Cf" or char in HANGUL_FILLERS:
            return True
        marks = marks + 1 if category[0] == "M" else 0
        if marks > MAX_MARKS_PER_LETTER:
            return True
    return False


def page_language():
    """The language of the page the form is on ("es" at /es/contact/), as a CallLanguage."""
    language = get_language()
    return language if language in AppointmentRequest.CallLanguage.values else "en"


def is_name_character(char):
    return unicodedata.category(char)[0] in "LM" or char in NAME_PUNCTUATION


def phone_e164(raw):
    """A phone number as typed, in E.164 (+17725550123), "" for none; ValidationError if it is
    not a number."""
    raw = raw.strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise forms.ValidationError(_("Enter a phone number like (772) 555-0123."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# Suggestions for the medicine's name (a datalist: any other name can be typed). Common oral
# antidepressants in the US, generic name first, then a brand name people may remember.
COMMON_ANTIDEPRESSANTS = [
    "Sertraline (Zoloft)",
    "Escitalopram (Lexapro)",
    "Citalopram (Celexa)",
    "Fluoxetine (Prozac)",
    "Paroxetine (Paxil)",
    "Venlafaxine (Effexor)",
    "Desvenlafaxine (Pristiq)",
    "Duloxetine (Cymbalta)",
    "Bupropion (Wellbutrin)",
    "Mirtazapine (Remeron)",
    "Vortioxetine (Trintellix)",
    "Vilazodone (Viibryd)",
    "Trazodone",
    "Nortriptyline (Pamelor)",
    "Amitriptyline",
]
# Rows on the form, and how many are shown before "Add more medicines" (a <details>: it opens
# without JavaScript). Six is more than the four trials some plans ask for before TMS; more
# can go in the message.
TRIAL_ROWS = 6
TRIAL_ROWS_SHOWN = 2


class TreatmentTrialForm(forms.ModelForm):
    """One row of the treatment history. A row left empty is no row (empty_permitted)."""

    class Meta:
        model = TreatmentTrial
        fields = ["medicine", "duration", "helped", "stopped_because"]
        # Worded for both forms: the patient's, and a clinician's about their patient.
        labels = {
            "medicine": _("Medicine"),
            "duration": _("Taken for how long, roughly?"),
            "helped": _("Did it help?"),
            "stopped_because": _("Why was it stopped?"),
        }
        widgets = {
            "medicine": forms.TextInput(
                attrs={"list": "antidepressant-names", "autocomplete": "off", "maxlength": 100}
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, empty_permitted=True, use_required_attribute=False, **kwargs)
        # Needed only in a row that is used (clean): no "required" mark on an optional row.
        self.fields["medicine"].required = False
        for name in ("duration", "helped", "stopped_because"):
            self.fields[name].choices = [("", _("Choose one")), *self.fields[name].choices[1:]]

    def clean_medicine(self):
        value = self.cleaned_data.get("medicine", "").strip()
        if has_hidden_formatting(self.data.get(self.add_prefix("medicine"), "")):
            raise forms.ValidationError(HIDDEN_FORMATTING_ERROR)
        if CONTROL_CHARS.search(value):
            raise forms.ValidationError(_("Remove the special characters."))
        return value

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("medicine") and "medicine" not in self.errors:
            self.add_error("medicine", _("Enter the medicine's name, or leave this row empty."))
        return cleaned


def treatment_trial_forms(data=None):
    """The treatment history's rows, each a form of its own (prefix trial1 … trial6). Not a
    formset: a POST without the rows' fields (a page the previous release served, a script)
    is a request with no history, not a broken form."""
    return [TreatmentTrialForm(data, prefix=f"trial{n}") for n in range(1, TRIAL_ROWS + 1)]


class TreatmentTrialRows(LayoutObject):
    """Where the form's layout shows the treatment history's rows."""

    def render(self, form, context, template_pack=None, **kwargs):
        return render_to_string(
            "appointments/_treatment_trials.html",
            {
                # (the row's number, its form)
                "shown": list(enumerate(form.trials, start=1))[:TRIAL_ROWS_SHOWN],
                "more": list(enumerate(form.trials, start=1))[TRIAL_ROWS_SHOWN:],
                # Open when a hidden row holds something, so nothing typed is out of sight.
                "open_more": any(trial.has_changed() for trial in form.trials[TRIAL_ROWS_SHOWN:]),
                "names": COMMON_ANTIDEPRESSANTS,
            },
        )


class AppointmentRequestForm(forms.ModelForm):
    """The patient's request (the Contact page), with the treatment history's rows
    (`self.trials`): validated, saved and summarised with it."""

    # Typed text checked for invisible formatting characters (clean).
    text_fields = TEXT_FIELDS
    service = forms.ChoiceField(
        label=_("Which service are you interested in?"),
        choices=Service.choices,
        initial=Service.NOT_SURE,
    )
    consent_contact = forms.BooleanField(
        label=_(
            "I agree to be contacted by the method I chose, including a voicemail or a text "
            "message from the clinic."
        ),
        required=True,
        error_messages={"required": _("Tick this box so that we may contact you.")},
    )
    # The Patient Health Questionnaire's item 9 (PHQ-9; Kroenke, Spitzer & Williams, J Gen
    # Intern Med 2001;16:606-13; public domain, "no permission required to reproduce, translate,
    # display or distribute"), asked as yes or no over its own period, the last two weeks. The
    # Spanish is Pfizer's Spanish (US) translation of the item ("Pensamientos de que estaría
    # mejor muerto(a) o de lastimarse de alguna manera"). Chosen over the C-SSRS screener
    # because it is one question a patient answers alone, with no follow-up to branch to, and
    # it covers self-harm as well as a wish to be dead. Optional: no one has to answer it; yes
    # marks the request urgent (models.reasons_for_urgency).
    safety_answer = forms.ChoiceField(
        label=_(
            "Over the last 2 weeks, have you had thoughts that you would be better off dead, "
            "or of hurting yourself in some way? (optional)"
        ),
        help_text=_(
            "We ask everyone this. If you answer yes, your request goes to the top of our list. "
            "If you are in danger now, call or text 988, or call 911."
        ),
        choices=AppointmentRequest.SafetyAnswer.choices,
        widget=forms.RadioSelect,
        required=False,
        error_messages={"invalid_choice": _("Choose yes, no or I'd rather not say.")},
    )
    # Optional for the form only: a browser always sends it (one choice is ticked from the
    # start, the page's language); a post without it is taken as the page's language too.
    call_language = forms.ChoiceField(
        label=_("Which language should we speak when we contact you?"),
        choices=AppointmentRequest.CallLanguage.choices,
        widget=forms.RadioSelect,
        required=False,
        error_messages={"invalid_choice": _("Choose English or Spanish.")},
    )
    phone = forms.CharField(
        label=_("Phone number"),
        required=False,
        max_length=30,
        help_text=_("Needed if you would like a call or a text message."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    # Hidden from people (off-screen, not focusable, hidden from screen readers): a bot that
    # fills every field fills this one.
    website = forms.CharField(
        required=False,
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    form_token = forms.CharField(widget=forms.HiddenInput)

    class Meta:
        model = AppointmentRequest
        fields = AppointmentRequest.PATIENT_FIELDS
        labels = {
            "first_name": _("First name"),
            "last_name": _("Last name"),
            "email": _("Email address"),
            "contact_method": _("How should we contact you?"),
            "best_time": _("Best time to reach you"),
            "patient_type": _("Have you been a patient here before?"),
            "insurance": _("Insurance (optional)"),
            "referral": _("How did you hear about us? (optional)"),
            "message": _("Anything else you would like us to know? (optional)"),
            "had_therapy": _("Have you had therapy (talking treatment) for depression?"),
        }
        help_texts = {
            "email": _("Needed if you would like us to email you."),
            "insurance": _("For example, the name of your insurance company and plan."),
            "message": _(
                "Up to 2,000 characters. Please do not include detailed medical "
                "history; we will ask about it when we talk."
            ),
        }
        widgets = {
            "first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "contact_method": forms.RadioSelect,
            "best_time": forms.RadioSelect,
            "patient_type": forms.RadioSelect,
            "had_therapy": forms.RadioSelect,
            "insurance": forms.TextInput(attrs={"autocomplete": "off"}),
            "message": forms.Textarea(attrs={"rows": 5, "maxlength": 2000}),
        }
        error_messages = {
            "first_name": {"required": _("Enter your first name.")},
            "last_name": {"required": _("Enter your last name.")},
            "email": {
                "required": _("Enter your email address."),
                "invalid": _("Enter an email address like name@example.com."),
            },
            "contact_method": {"required": _("Choose how we should contact you.")},
            "best_time": {"required": _("Choose the best time to reach you.")},
            "patient_type": {"required": _("Tell us whether you are a new or returning patient.")},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.trials = treatment_trial_forms(self.data if self.is_bound else None)
        if "referral" in self.fields:
            self.fields["referral"].choices = [("", _("Choose one"))] + list(
                AppointmentRequest.Referral.choices
            )
        # Radio buttons start with none chosen, rather than with a "---------" choice.
        for name, choices in (
            ("contact_method", AppointmentRequest.ContactMethod.choices),
            ("best_time", AppointmentRequest.BestTime.choices),
            ("patient_type", AppointmentRequest.PatientType.choices),
            ("had_therapy", AppointmentRequest.Therapy.choices),
        ):
            if name in self.fields:
                self.fields[name].choices = choices
        if "call_language" in self.fields:
            language = self.fields["call_language"]
            language.initial = page_language()
            # What the clinic has confirmed about Spanish (clinic.toml); until it does,
            # nothing is promised beyond passing the preference on.
            language.help_text = get_clinic().spanish_contact or _(
                "We will pass this on to our team. We cannot yet promise that someone who "
                "speaks Spanish will be available."
            )
        self.fields["service"].error_messages["invalid_choice"] = _(
            "Choose a service from the list."
        )
        for name in ("first_name", "last_name"):
            self.fields[name].widget.attrs["maxlength"] = 100
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = self.layout()

    def layout(self):
        return Layout(
            Fieldset(_("About you"), "first_name", "last_name", "email", "phone"),
            Fieldset(_("How to reach you"), "contact_method", "best_time", "call_language"),
            Fieldset(
                _("Your request"), "service", "patient_type", "insurance", "referral", "message"
            ),
            self.history_fieldset(_("Treatments you have tried (optional)")),
            Fieldset(_("A question we ask everyone"), "safety_answer"),
            Fieldset(_("Before you send"), "consent_contact"),
            *self.spam_fields(),
        )

    @staticmethod
    def history_fieldset(title):
        return Fieldset(title, TreatmentTrialRows(), "had_therapy", css_class="treatment-history")

    @staticmethod
    def spam_fields():
        return [Div("website", css_class="hp", aria_hidden="true"), "form_token"]

    def is_valid(self):
        # Every row is validated, so each shows its own errors.
        rows_valid = [trial.is_valid() for trial in self.trials]
        return super().is_valid() and all(rows_valid)

    def filled_trials(self):
        """The rows with something in them, as TreatmentTrial objects not yet saved."""
        return [
            TreatmentTrial(position=position, **trial.cleaned_data)
            for position, trial in enumerate(
                (t for t in self.trials if t.is_valid() and t.has_changed()), start=1
            )
        ]

    def save(self, commit=True):
        """The request and its treatment history, with the urgent flag read from all the text
        typed (the medicines' names too). Call inside the transaction that stores it."""
        trials = self.filled_trials()
        self.instance.flag_if_urgent([trial.medicine for trial in trials])
        request_obj = super().save(commit)
        if commit:
            for trial in trials:
                trial.request = request_obj
            TreatmentTrial.objects.bulk_create(trials)
        return request_obj

    def _clean_name(self, name):
        value = self.cleaned_data.get(name, "").strip()
        if not all(map(is_name_character, value)) or not any(map(str.isalpha, value)):
            raise forms.ValidationError(
                _("Use letters, spaces, hyphens, apostrophes and periods only.")
            )
        if not 1 <= len(value) <= 100:
            raise forms.ValidationError(_("Use between 1 and 100 characters."))
        return value

    def clean_first_name(self):
        return self._clean_name("first_name")

    def clean_last_name(self):
        return self._clean_name("last_name")

    def clean_phone(self):
        return phone_e164(self.cleaned_data.get("phone", ""))

    def clean_call_language(self):
        return self.cleaned_data.get("call_language") or page_language()

    def clean_insurance(self):
        value = self.cleaned_data.get("insurance", "").strip()
        if CONTROL_CHARS.search(value):
            raise forms.ValidationError(_("Remove the special characters."))
        return value

    def clean_message(self):
        value = self.cleaned_data.get("message", "").strip()
        if MESSAGE_CONTROL_CHARS.search(value):
            raise forms.ValidationError(_("Remove the special characters."))
        return value

    def clean(self):
        cleaned = super().clean()
        for name in self.text_fields:
            if has_hidden_formatting(str(self.data.get(name, ""))):
                # This says what to fix, rather than the field's own error for the same text.
                self.errors.pop(name, None)
                self.add_error(name, HIDDEN_FORMATTING_ERROR)
        # Ask only for the address the patient chose to be reached at: an email address for
        # email, a phone number for a call or a text. The other one stays optional.
        method = cleaned.get("contact_method")
        needed = {
            "phone": ("phone", _("Enter your phone number so that we can call you.")),
            "text": ("phone", _("Enter your phone number so that we can send you a text message.")),
            "email": ("email", _("Enter your email address so that we can email you.")),
        }
        if method in needed:
            field, message = needed[method]
            if not cleaned.get(field) and field not in self.errors:
                self.add_error(field, message)
        return cleaned

    def error_summary(self):
        """(field id to link to, message) for every error, in the order of the form."""
        items = []
        for field in self:
            if field.name == "had_therapy":  # the history's rows come just before it
                for trial in self.trials:
                    items += _field_errors(trial)
            items += _field_errors(self, [field])
        for error in self.non_field_errors():
            items.append(("", error))
        return items


def _field_errors(form, fields=None):
    """(field id to link to, message) for each error of `fields` (default: all of `form`'s)."""
    items = []
    for field in fields if fields is not None else form:
        for error in field.errors:
            target = field.auto_id
            if isinstance(field.field.widget, forms.RadioSelect):
                target = f"{field.auto_id}_0"
            items.append((target, error))
    return items


class ReferralForm(AppointmentRequestForm):
    """A clinician's referral (/refer/): the patient form's rules (names, phone, hidden
    characters, the treatment history, the urgent flag on free text), with the referrer's
    details, the diagnosis and who manages the oral antidepressant. The clinic then contacts
    the patient by phone, as it does any request."""

    text_fields = [*TEXT_FIELDS, *AppointmentRequest.REFERRER_FIELDS]
    safety_answer = None  # the patient's own question (PHQ-9 item 9); the referrer's text is read
    service = forms.ChoiceField(
        label=_("Referred for"),
        choices=Service.choices,
        initial=Service.NOT_SURE,
    )
    phone = forms.CharField(
        label=_("Patient's phone number"),
        max_length=30,
        help_text=_("We call the patient to arrange the evaluation."),
        widget=forms.TextInput(attrs={"type": "tel"}),
        error_messages={"required": _("Enter the patient's phone number.")},
    )
    referrer_phone = forms.CharField(
        label=_("Your phone number"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
        error_messages={"required": _("Enter your phone number.")},
    )
    referrer_fax = forms.CharField(
        label=_("Your fax number (optional)"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    consent_contact = forms.BooleanField(
        label=_("The patient knows about this referral and agrees to be contacted by the clinic."),
        required=True,
        error_messages={"required": _("Tick this box to confirm that we may contact the patient.")},
    )

    class Meta(AppointmentRequestForm.Meta):
        fields = [
            *AppointmentRequest.REFERRER_FIELDS[:5],
            "first_name",
            "last_name",
            "phone",
            "email",
            "service",
            "insurance",
            "diagnosis",
            "had_therapy",
            "message",
            "antidepressant_managed_by",
            "consent_contact",
        ]
        labels = {
            "referrer_name": _("Your name"),
            "referrer_practice": _("Practice or clinic"),
            "referrer_email": _("Your email address (optional)"),
            "first_name": _("Patient's first name"),
            "last_name": _("Patient's last name"),
            "email": _("Patient's email address (optional)"),
            "insurance": _("Patient's insurance (optional)"),
            "diagnosis": _("Diagnosis (optional)"),
            "had_therapy": _("Has the patient had therapy for depression?"),
            "message": _("Reason for referral"),
            "antidepressant_managed_by": _(
                "Who will manage the patient's oral antidepressant? (optional)"
            ),
        }
        help_texts = {
            "referrer_name": _("With your credentials, for example Dr. Jane Smith, MD."),
            "referrer_email": _("We send our acknowledgement here. Give a fax or an email."),
            "diagnosis": _("As on your records, with the ICD-10 code if you have it."),
            "message": _("Up to 2,000 characters."),
        }
        widgets = {
            **AppointmentRequestForm.Meta.widgets,
            "referrer_name": forms.TextInput(attrs={"autocomplete": "name", "maxlength": 200}),
            "referrer_practice": forms.TextInput(
                attrs={"autocomplete": "organization", "maxlength": 200}
            ),
            "referrer_email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "first_name": forms.TextInput(attrs={"autocomplete": "off"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "off"}),
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
            "diagnosis": forms.TextInput(attrs={"autocomplete": "off", "maxlength": 300}),
            "antidepressant_managed_by": forms.RadioSelect,
        }
        error_messages = {
            "referrer_name": {"required": _("Enter your name.")},
            "referrer_practice": {"required": _("Enter the name of your practice.")},
            "referrer_email": {"invalid": _("Enter an email address like name@example.com.")},
            "first_name": {"required": _("Enter the patient's first name.")},
            "last_name": {"required": _("Enter the patient's last name.")},
            "email": {"invalid": _("Enter an email address like name@example.com.")},
            "message": {"required": _("Enter the reason for the referral.")},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("referrer_name", "referrer_practice", "message"):
            self.fields[name].required = True
        self.fields[
            "antidepressant_managed_by"
        ].choices = AppointmentRequest.AntidepressantManager.choices
        # What the patient form asks and a referral does not: the clinic calls the patient.
        Source = AppointmentRequest.Source
        self.instance.source = Source.REFERRAL
        self.instance.contact_method = AppointmentRequest.ContactMethod.PHONE
        self.instance.best_time = AppointmentRequest.BestTime.ANY
        self.instance.patient_type = AppointmentRequest.PatientType.NEW

    def layout(self):
        return Layout(
            Fieldset(
                _("About you"),
                "referrer_name",
                "referrer_practice",
                "referrer_phone",
                "referrer_fax",
                "referrer_email",
            ),
            Fieldset(_("The patient"), "first_name", "last_name", "phone", "email", "insurance"),
            Fieldset(_("The referral"), "service", "diagnosis", "message"),
            self.history_fieldset(_("Antidepressants tried (optional)")),
            Fieldset(_("The oral antidepressant"), "antidepressant_managed_by"),
            Fieldset(_("Before you send"), "consent_contact"),
            *self.spam_fields(),
        )

    def clean_referrer_phone(self):
        return phone_e164(self.cleaned_data.get("referrer_phone", ""))

    def clean_referrer_fax(self):
        return phone_e164(self.cleaned_data.get("referrer_fax", ""))

    def _clean_line(self, name):
        value = self.cleaned_data.get(name, "").strip()
        if CONTROL_CHARS.search(value):
            raise forms.ValidationError(_("Remove the special characters."))
        return value

    def clean_referrer_name(self):
        return self._clean_line("referrer_name")

    def clean_referrer_practice(self):
        return self._clean_line("referrer_practice")

    def clean_diagnosis(self):
        return self._clean_line("diagnosis")

    def clean(self):
        cleaned = super().clean()
        fax_or_email = ("referrer_fax", "referrer_email")
        if not any(cleaned.get(name) for name in fax_or_email) and not any(
            name in self.errors for name in fax_or_email
        ):
            self.add_error(
                "referrer_email", _("Enter your email address or fax number, for our reply.")
            )
        return cleaned
