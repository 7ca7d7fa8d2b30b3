"""Template tags for triage in the admin: the index page's counts, and the list's date
drill-down.

The date drill-down works without scanning the table.

Django's date hierarchy lists the years (or months, or days) that have rows with a SELECT
DISTINCT over every matching row; at 100,000 requests that one query takes most of the page's
time. Requests arrive every day, so the range between the first and the last matching request
(one indexed MIN/MAX) names the same years, months and days.
"""

import datetime

from django import template
from django.conf import settings
from django.contrib.admin.templatetags.admin_list import date_hierarchy
from django.db.models import Count, Max, Min
from django.utils import formats, timezone
from django.utils.text import capfirst

from appointments import notify
from appointments.models import AppointmentRequest, QueueRank, local_time

register = template.Library()


def today_cards():
    """The index's "Today": what the desk works first, in its order, each request counted once
    (a request has one queue rank), in one query over the rank's index. Each card's query
    string is the list filter that shows those very requests, so a count and its list cannot
    disagree."""
    requests = AppointmentRequest.objects
    requests.refresh_queue_ranks()  # what came due since the last write counts now
    by_rank = requests.today().order_by().values("queue_rank").annotate(n=Count("pk"))
    counts = dict(by_rank.values_list("queue_rank", "n"))
    cards = [
        (QueueRank.URGENT, "urgent__exact=1", ("urgent",) * 2, "triage-urgent"),
        (QueueRank.OVERDUE, "overdue=yes", ("overdue",) * 2, ""),
        (
            QueueRank.CALLBACK_DUE,
            "callback=yes",
            ("callback due today", "callbacks due today"),
            "",
        ),
    ]
    return [
        {"count": counts.get(rank, 0), "query": query, "label": label, "class": css}
        for rank, query, label, css in cards
    ]


def triage_cards(user):
    """The index's other cards: what each counts, the query string of the list filters that
    show those very requests, and its wording. An alert card shows only when its count is not
    zero."""
    requests = AppointmentRequest.objects
    stale = settings.APPOINTMENT_SEND_STALE_MINUTES
    return [
        {
            "queryset": requests.filter(status=AppointmentRequest.Status.NEW),
            "query": "status__exact=new",
            "label": ("new request", "new requests"),
        },
        {
            "queryset": requests.open().filter(assignee=user),
            "query": "status__exact=open&assigned=me",
            "label": ("open and assigned to me",) * 2,
        },
        {
            "queryset": requests.with_emails("failing"),
            "query": "email=failing",
            "label": (
                "request with an e-mail that could not be sent",
                "requests with an e-mail that could not be sent",
            ),
            "alert": True,
        },
        {
            "queryset": requests.with_emails("waiting"),
            "query": "email=waiting",
            "label": (
                f"request with e-mails waiting over {stale} minutes",
                f"requests with e-mails waiting over {stale} minutes",
            ),
            "alert": True,
        },
        {
            "queryset": requests.with_emails("held"),
            "query": "email=held",
            "label": (
                "request with e-mails held since a restore: send or drop them",
                "requests with e-mails held since a restore: send or drop them",
            ),
            "alert": True,
        },
    ]


@register.inclusion_tag("appointments/_triage_counts.html", takes_context=True)
def triage_counts(context):
    """The cards, for the admin index of staff who may see requests."""
    user = context["request"].user
    if not user.has_perm("appointments.view_appointmentrequest"):
        return {"cards": None}
    seen = notify.worker_last_seen()
    return {
        "today": today_cards(),
        "cards": [{**card, "count": card["queryset"].count()} for card in triage_cards(user)],
        # No worker has said it is alive lately: nothing is being sent.
        "worker_missing": notify.worker_missing(seen),
        "worker_seen": local_time(seen) if seen else None,
    }


def _months(first, last):
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        yield datetime.date(year, month, 1)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _days(first, last):
    day = first.date()
    while day <= last.date():
        yield day
        day += datetime.timedelta(days=1)


@register.inclusion_tag("admin/date_hierarchy.html")
def range_date_hierarchy(cl):
    field = cl.date_hierarchy
    year, month, day = (cl.params.get(f"{field}__{part}") for part in ("year", "month", "day"))
    if year and month and day:
        return date_hierarchy(cl)  # one day chosen: no query is made for it

    def link(filters):
        return cl.get_query_string(filters, [f"{field}__"])

    # The list's paginator finds the range with its count (admin.TriagePaginator).
    span = getattr(cl.paginator, "span", None) or cl.queryset.aggregate(
        first=Min(field), last=Max(field)
    )
    if not span["first"]:
        return {"show": False}
    first, last = timezone.localtime(span["first"]), timezone.localtime(span["last"])

    if not year and first.year == last.year:
        # Like Django: a range within one year opens at its months, within one month at days.
        year = first.year
        month = first.month if first.month == last.month else None
    if year and month:
        return {
            "show": True,
            "back": {"link": link({f"{field}__year": year}), "title": str(year)},
            "choices": [
                {
                    "link": link(
                        {f"{field}__year": year, f"{field}__month": month, f"{field}__day": d.day}
                    ),
                    "title": capfirst(formats.date_format(d, "MONTH_DAY_FORMAT")),
                }
                for d in _days(first, last)
            ],
        }
    if year:
        return {
            "show": True,
            "back": {"link": link({}), "title": "All dates"},
            "choices": [
                {
                    "link": link({f"{field}__year": year, f"{field}__month": m.month}),
                    "title": capfirst(formats.date_format(m, "YEAR_MONTH_FORMAT")),
                }
                for m in _months(first, last)
            ],
        }
    return {
        "show": True,
        "back": None,
        "choices": [
            {"link": link({f"{field}__year": str(y)}), "title": str(y)}
            for y in range(first.year, last.year + 1)
        ],
    }
