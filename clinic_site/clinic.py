"""The clinic: the services it offers (`Service`), and its facts (name, address, phone, hours,
reply promise, holidays), read once from one TOML file. Hours are optional: when they are not known,
pages ask people to call for them.

The words among them (the reply promise, the days of the hours) are given in each of the site's
languages: a `[es]` table overrides them for the Spanish pages (and `label_es` an hours block's
days), so a Spanish page never promises "one business day" in English."""

import tomllib
from dataclasses import dataclass, field
from datetime import date, time
from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver
from django.utils import formats
from django.utils.translation import get_language, gettext, override
from django.utils.translation import gettext_lazy as _

# The services the clinic offers. Articles, service pages and the request form all name a
# service by these values, so `/contact/?service=spravato` means the same thing everywhere.


# The labels are lazy: the form shows them in the patient's language; the admin and the staff
# e-mail, always in English, show them in English. Brand names stay as they are.
class Service(models.TextChoices):
    SPRAVATO = "spravato", _("Spravato (esketamine) evaluation")
    TMS = "tms", _("TMS therapy evaluation")
    EVALUATION = "evaluation", _("Psychiatric evaluation / medication management")
    THERAPY = "therapy", _("Therapy")
    NOT_SURE = "not-sure", _("Not sure yet")


# Services an article or page can be about ("not sure" is only an answer on the form).
CONTENT_SERVICES = [s.value for s in Service if s != Service.NOT_SURE]


@dataclass(frozen=True)
class Hours:
    days: tuple[str, ...]
    label: str
    opens: time
    closes: time

    language: str = "en"

    @property
    def display(self):
        if self.language == "en":
            return f"{self.label}, {_clock(self.opens)} to {_clock(self.closes)}"
        with override(self.language):
            return gettext("%(days)s, %(opens)s to %(closes)s") % {
                "days": self.label,
                "opens": formats.time_format(self.opens),
                "closes": formats.time_format(self.closes),
            }


@dataclass(frozen=True)
class Clinic:
    name: str
    phone: str
    phone_e164: str
    street: str
    city: str
    region: str
    postal_code: str
    country: str
    reply_within: str  # "one business day": what every page promises
    # The name the patient's e-mail goes out under (sender and subject), which others may read
    # on a lock screen; "" for none (the subject then names no clinic).
    short_name: str = ""
    map_url: str = ""
    hours: tuple[Hours, ...] = field(default_factory=tuple)
    # The promise as a number, for the reply-time report: the words above stay as written.
    reply_business_days: int = 1
    # How soon an urgent request should be called, in business hours; None until the clinic
    # sets one (the report then shows urgent waits without judging them).
    urgent_reply_hours: float | None = None
    # Days the clinic is closed all day (business time skips them), oldest first.
    holidays: tuple[date, ...] = field(default_factory=tuple)
    # What the clinic promises a patient who asks to be contacted in Spanish, in the page's
    # language; "" until the clinic confirms it (the form then promises only to pass it on).
    spanish_contact: str = ""
    # What the service pages say about cost and waiting, once the clinic confirms it; until
    # then each is empty and the pages say "call us to ask". The insurance plans accepted; the
    # price without insurance and how soon a first evaluation can be booked, each by service
    # (a Service value: "spravato"), as the clinic words them.
    insurers: tuple[str, ...] = field(default_factory=tuple)
    self_pay: dict = field(default_factory=dict)
    evaluation_wait: dict = field(default_factory=dict)

    @property
    def tel_href(self):
        return f"tel:{self.phone_e164}"

    @property
    def address_line(self):
        return f"{self.street}, {self.city}, {self.region} {self.postal_code}"


def _clock(value):
    text = value.strftime("%I:%M %p").lstrip("0").lower()
    return text.replace(":00", "")


def load_clinic(path, language="en"):
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    # Each language's own words; English is the file's top level.
    translated = {code: data.pop(code, {}) for code, _name in settings.LANGUAGES}
    hours = tuple(
        Hours(
            days=tuple(entry["days"]),
            label=entry.get(f"label_{language}", entry["label"]),
            opens=time.fromisoformat(entry["opens"]),
            closes=time.fromisoformat(entry["closes"]),
            language=language,
        )
        for entry in data.pop("hours", [])
    )
    # TOML dates (2026-12-25) or the same written as strings.
    holidays = tuple(sorted(date.fromisoformat(str(day)) for day in data.pop("holidays", [])))
    data |= translated.get(language, {})
    insurers = tuple(data.pop("insurers", ()))
    return Clinic(hours=hours, holidays=holidays, insurers=insurers, **data)


def get_clinic(language=None):
    """The clinic's facts in `language` (default: the language of the page being made)."""
    return _clinic_in(language or get_language() or settings.LANGUAGE_CODE)


@cache
def _clinic_in(language):
    return load_clinic(settings.CLINIC_FILE, language)


@receiver(setting_changed)
def _read_again(setting, **kwargs):
    # Tests point CLINIC_FILE at another file.
    if setting in ("CLINIC_FILE", "LANGUAGES"):
        _clinic_in.cache_clear()
