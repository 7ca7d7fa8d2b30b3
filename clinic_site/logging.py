"""The site's logging: what a log line may hold, its time, its format (settings.LOGGING is
`logging_config()`), and where errors go.

What a patient types goes into the database and the admin, never into a log line. Two ways it
could get there, both closed here: a query string (runserver's request line), and the database's
own error message, which on PostgreSQL quotes the row it refused ("DETAIL: Failing row contains
(Ann, Example, ann@example.org, ...)", "Key (email)=(ann@example.org) already exists"). SQLite's
messages name the constraint and columns, never values.
"""

import logging
import re
import time

from pythonjsonlogger.json import JsonFormatter

# PostgreSQL puts the row's values in the DETAIL part of its message, which comes last (a HINT
# may follow). A value may hold line breaks, so everything from DETAIL on goes.
ROW_VALUES = re.compile(r"DETAIL:.*|Failing row contains.*|Key \([^)]*\)=\(.*", re.DOTALL)
LEFT_OUT = "DETAIL: (left out of logs: it may quote what a patient typed)"


def without_row_values(text):
    return ROW_VALUES.sub(LEFT_OUT, text) if isinstance(text, str) else text


def scrub_exception(exc):
    """Take the row's values out of an exception and those it came from (Django's
    IntegrityError wraps psycopg's), in place: every handler and formatter after this one,
    and the e-mail to the admins, then prints the clean message."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if any(isinstance(arg, str) and ROW_VALUES.search(arg) for arg in exc.args):
            exc.args = tuple(without_row_values(arg) for arg in exc.args)
        exc = exc.__cause__ or exc.__context__


class NoRowValues(logging.Filter):
    """On every handler: a record's message and exception lose any row values the database
    quoted (issue 21, finding 4). Tested with a real IntegrityError on PostgreSQL
    (tests/appointments/test_error_reports.py)."""

    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: let logging report it as it would
            return True
        clean = without_row_values(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and record.exc_info[1] is not None:
            scrub_exception(record.exc_info[1])
            record.exc_text = None  # formatted again, from the clean exception
        return True


class DropQueryStrings(logging.Filter):
    """runserver logs each request line; cut query strings, which can hold what a patient typed."""

    def filter(self, record):
        if record.args and isinstance(record.args, tuple) and isinstance(record.args[0], str):
            line = record.args[0]
            if "?" in line:
                method_path, _, rest = line.partition("?")
                version = rest.rsplit(" ", 1)[-1] if " " in rest else ""
                record.args = (f"{method_path} {version}".strip(), *record.args[1:])
        return True


class UTCTimes:
    """Times in UTC, ISO 8601, the zone named: 2026-11-28T15:04:05.123Z. The host's own logs
    (journald, nginx) are in UTC; Django sets the process's zone to the clinic's, and a time
    with no zone beside them was an hour or five off without saying so."""

    converter = time.gmtime
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"


class PlainFormatter(UTCTimes, logging.Formatter):
    pass


class JSONLineFormatter(UTCTimes, JsonFormatter):
    """One JSON object a line (DJANGO_LOG_FORMAT=json), for a log collector."""


def logging_config(level="INFO", fmt="plain", mail_admins=False):
    """settings.LOGGING. `fmt`: "plain" or "json". `mail_admins`: errors are e-mailed to
    settings.ADMINS (clinic_site.error_reports says what such an e-mail holds)."""
    filters = ["no_row_values", "no_query_strings"]
    handlers = ["console", "mail_admins"] if mail_admins else ["console"]
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {
                "()": "clinic_site.logging.PlainFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            },
            "json": {
                "()": "clinic_site.logging.JSONLineFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            },
        },
        "filters": {
            "no_row_values": {"()": "clinic_site.logging.NoRowValues"},
            "no_query_strings": {"()": "clinic_site.logging.DropQueryStrings"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": fmt, "filters": filters}
        },
        "root": {"handlers": handlers, "level": level},
        "loggers": {
            "django": {"handlers": handlers, "level": "INFO", "propagate": False},
            # Its INFO lines repeat every sign-in; failures and lockouts are WARNING.
            "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
            # Bots send other sites' names in the Host header all day: a line, not an e-mail.
            "django.security.DisallowedHost": {
                "handlers": ["console"],
                "level": "WARNING",
                "propagate": False,
            },
        },
    }
    if mail_admins:
        config["handlers"]["mail_admins"] = {
            "class": "clinic_site.error_reports.ErrorMail",
            "level": "ERROR",
            "filters": filters,
        }
    return config
