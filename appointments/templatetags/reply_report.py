"""The reply-time report's words for numbers, and its link on the admin index."""

from django import template

from appointments import report
from appointments.report_views import PERMISSION

register = template.Library()


@register.filter
def num(value):
    """1234 as "1,234"."""
    return f"{value:,}"


@register.filter
def wait(value):
    """A Wait (or None) as business time: "3 h 05 min", "at least 26 h 00 min", "–"."""
    return report.wait_text(value)


@register.filter
def share(figures):
    """ "82 % (41 of 50)", or "–" when no request was due yet."""
    return report.share_text(figures)


@register.filter
def business_time(seconds):
    return report.duration(seconds)


@register.filter
def moment(epoch_seconds):
    return report.moment(epoch_seconds)


@register.inclusion_tag("appointments/_reply_report_link.html", takes_context=True)
def reply_report_link(context):
    """The report's link, for the admin index of those who may read it."""
    return {"show": context["request"].user.has_perm(PERMISSION)}
