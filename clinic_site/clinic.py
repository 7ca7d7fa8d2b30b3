"""The clinic's facts (name, address, phone, hours, reply promise), read once from one TOML
file. Hours are optional: when they are not known, pages ask people to call for them."""

import tomllib
from dataclasses import dataclass, field
from datetime import time
from functools import cache

from django.conf import settings


@dataclass(frozen=True)
class Hours:
    days: tuple[str, ...]
    label: str
    opens: time
    closes: time

    @property
    def display(self):
        return f"{self.label}, {_clock(self.opens)} to {_clock(self.closes)}"


@dataclass(frozen=True)
class Clinic:
    name: str
    short_name: str
    phone: str
    phone_e164: str
    street: str
    city: str
    region: str
    postal_code: str
    country: str
    reply_within: str  # "one business day": what every page promises
    map_url: str = ""
    hours: tuple[Hours, ...] = field(default_factory=tuple)

    @property
    def tel_href(self):
        return f"tel:{self.phone_e164}"

    @property
    def address_line(self):
        return f"{self.street}, {self.city}, {self.region} {self.postal_code}"


def _clock(value):
    text = value.strftime("%I:%M %p").lstrip("0").lower()
    return text.replace(":00", "")


def load_clinic(path):
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    hours = tuple(
        Hours(
            days=tuple(entry["days"]),
            label=entry["label"],
            opens=time.fromisoformat(entry["opens"]),
            closes=time.fromisoformat(entry["closes"]),
        )
        for entry in data.pop("hours", [])
    )
    return Clinic(hours=hours, **data)


@cache
def get_clinic():
    return load_clinic(settings.CLINIC_FILE)
