import re
import secrets
import time
import unicodedata
from dataclasses import dataclass

import phonenumbers
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout
from django import forms
from django.conf import settings
from django.core import signing
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clinic_site.clinic import Service, get_clinic

from .models import AppointmentRequest

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


class AppointmentRequestForm(forms.ModelForm):
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
        self.fields["referral"].choices = [("", _("Choose one"))] + list(
            AppointmentRequest.Referral.choices
        )
        # Radio buttons start with none chosen, rather than with a "---------" choice.
        for name, choices in (
            ("contact_method", AppointmentRequest.ContactMethod.choices),
            ("best_time", AppointmentRequest.BestTime.choices),
            ("patient_type", AppointmentRequest.PatientType.choices),
        ):
            self.fields[name].choices = choices
        language = self.fields["call_language"]
        language.initial = page_language()
        # What the clinic has confirmed about Spanish (clinic.toml); until it does, nothing is
        # promised beyond passing the preference on.
        language.help_text = get_clinic().spanish_contact or _(
            "We will pass this on to our team. We cannot yet promise that someone who speaks "
            "Spanish will be available."
        )
        self.fields["service"].error_messages["invalid_choice"] = _(
            "Choose a service from the list."
        )
        for name in ("first_name", "last_name"):
            self.fields[name].widget.attrs["maxlength"] = 100
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Fieldset(_("About you"), "first_name", "last_name", "email", "phone"),
            Fieldset(_("How to reach you"), "contact_method", "best_time", "call_language"),
            Fieldset(
                _("Your request"), "service", "patient_type", "insurance", "referral", "message"
            ),
            Fieldset(_("A question we ask everyone"), "safety_answer"),
            Fieldset(_("Before you send"), "consent_contact"),
            Div("website", css_class="hp", aria_hidden="true"),
            "form_token",
        )

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
        raw = self.cleaned_data.get("phone", "").strip()
        if not raw:
            return ""
        try:
            number = phonenumbers.parse(raw, settings.PHONE_DEFAULT_REGION)
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise forms.ValidationError(_("Enter a phone number like (772) 555-0123."))
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

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
        for name in TEXT_FIELDS:
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
            for error in field.errors:
                target = field.auto_id
                if isinstance(field.field.widget, forms.RadioSelect):
                    target = f"{field.auto_id}_0"
                items.append((target, error))
        for error in self.non_field_errors():
            items.append(("", error))
        return items
