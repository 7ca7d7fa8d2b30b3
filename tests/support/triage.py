"""The triage list as staff reach it: its address, the requests a page of it shows, and what a
request's page posts."""

import re

from django.urls import reverse

LIST = reverse("admin:appointments_appointmentrequest_changelist")


def change_form(**fields):
    """What a request's page sends: status, assignee and the inlines' management forms."""
    return {
        "status": "new",
        "assignee": "",
        "status_changes-TOTAL_FORMS": "0",
        "status_changes-INITIAL_FORMS": "0",
        "notes-TOTAL_FORMS": "0",
        "notes-INITIAL_FORMS": "0",
        "call_attempts-TOTAL_FORMS": "0",
        "call_attempts-INITIAL_FORMS": "0",
        **fields,
    }


def rows(response):
    return re.findall(rf'<a href="{re.escape(LIST)}(\d+)/change/', response.content.decode())
