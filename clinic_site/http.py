"""Helpers every app may use: the branded error response and the client's address."""

from django.conf import settings
from django.shortcuts import render
from django.utils import translation


def page_language(request):
    """The language of the page asked for, from its URL (/es/...): known even before
    LocaleMiddleware has run, as when a request is refused at the door."""
    return translation.get_language_from_path(request.path_info) or settings.LANGUAGE_CODE


def error_page(request, status, title, message):
    """The branded error page (templates/error.html) with `status`: the phone and crisis line
    on it, and nothing of what was sent. `title` and `message` are lazy translations, rendered
    in the page's language."""
    with translation.override(page_language(request)):
        return render(
            request,
            "error.html",
            {"status": status, "title": title, "message": message},
            status=status,
        )


def client_ip(request):
    """The client's address; behind N trusted proxies, the Nth address from the right of
    X-Forwarded-For (the one our own proxy saw). The contact form's rate limit and the
    staff sign-in lockout (django-axes) both count by it."""
    proxies = settings.RATE_LIMIT_TRUSTED_PROXIES
    if proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")
