"""Error e-mails to the clinic's IT contact (settings.ADMINS, from DJANGO_ADMINS), without
patient data.

Why e-mail rather than an error-tracking service: it goes through the clinic's own mail server,
which already carries the staff notifications, so no third party receives anything (a hosted
tracker would need a business-associate agreement), and it needs no new package. Django's
report is built to help a developer, so it carries the request's query string, GET values,
cookies (the session key), every request header (the client's address, X-Forwarded-For), and the
exception's message (PostgreSQL's quotes the refused row). `PrivateReport` keeps what locates
the fault (the exception's type and scrubbed message, the traceback's files, lines and code, the
path, the view, the signed-in staff username, the field and cookie names) and drops every
value. Tested in tests/appointments/test_error_reports.py.
"""

import threading
import time
import traceback

from django.utils.log import AdminEmailHandler
from django.views.debug import ExceptionReporter

from .logging import without_row_values

HIDDEN = "(not sent)"
# The request headers an error report may show: none of them says who the visitor is.
SAFE_META = {
    "REQUEST_METHOD",
    "PATH_INFO",
    "SCRIPT_NAME",
    "SERVER_PROTOCOL",
    "CONTENT_TYPE",
    "CONTENT_LENGTH",
    "HTTP_HOST",
    "HTTP_X_FORWARDED_PROTO",
    "wsgi.url_scheme",
}
# The same fault is mailed once in this many seconds by each process: a broken release answers
# every request with a 500, and each e-mail is sent while its request waits.
REPEAT_SECONDS = 600


class PrivateReport(ExceptionReporter):
    def get_traceback_data(self):
        data = super().get_traceback_data()
        data["exception_value"] = without_row_values(data.get("exception_value"))
        data["exception_notes"] = without_row_values(data.get("exception_notes"))
        for frame in data.get("frames", []):
            frame["vars"] = []
            if frame.get("exc_cause") is not None:
                frame["exc_cause"] = without_row_values(str(frame["exc_cause"]))
        request = self.request
        if request is not None:
            data["request_GET_items"] = [(name, HIDDEN) for name in request.GET]
            data["filtered_POST_items"] = [(name, HIDDEN) for name in request.POST]
            data["request_FILES_items"] = [(name, HIDDEN) for name in request.FILES]
            data["request_COOKIES_items"] = [(name, HIDDEN) for name in request.COOKIES]
            data["request_meta"] = {
                name: value for name, value in data["request_meta"].items() if name in SAFE_META
            }
        return data

    def _get_raw_insecure_uri(self):
        # Without the query string, which may hold a search a patient typed.
        return f"{self.request.scheme}://{self.request._get_raw_host()}{self.request.path}"


class ErrorMail(AdminEmailHandler):
    """Django's error e-mail with PrivateReport (text only: the HTML page would show each
    frame's local variables), each distinct fault at most once per REPEAT_SECONDS."""

    def __init__(self):
        super().__init__(include_html=False, reporter_class=f"{__name__}.PrivateReport")
        self.last_sent = {}
        self.sent_lock = threading.Lock()

    def emit(self, record):
        fault = _fault(record)
        now = time.monotonic()
        with self.sent_lock:
            if now - self.last_sent.get(fault, float("-inf")) < REPEAT_SECONDS:
                return
            self.last_sent[fault] = now
        super().emit(record)


def _fault(record):
    """What makes two errors the same: the exception's type and where it was raised, or the
    place the message was logged from."""
    if record.exc_info and record.exc_info[2] is not None:
        last = traceback.extract_tb(record.exc_info[2])[-1]
        return (record.exc_info[0], last.filename, last.lineno)
    return (record.name, record.pathname, record.lineno)
