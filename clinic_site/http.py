"""Responses every app may send."""

from django.shortcuts import render


def error_page(request, status, title, message):
    """The branded error page (templates/error.html) with `status`: the phone and crisis line
    on it, and nothing of what was sent."""
    return render(
        request,
        "error.html",
        {"status": status, "title": title, "message": message},
        status=status,
    )
