"""Turning bots away without third parties: a honeypot, a minimum fill time, and a per-client
rate limit held in the shared cache. No raw IP address is stored anywhere."""

import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache

from clinic_site.http import client_ip


def looks_like_a_bot(post):
    """True for a filled honeypot or a missing form token: only a bot sends those."""
    return bool(post.get("website") or not post.get("form_token"))


def sent_too_fast(token):
    """True for a form sent faster than a person can fill it. A person with autofill can be
    that fast too, so the form is shown again rather than dropped. `token` is the form token
    as read_form_token read it: None (expired or unreadable) is handled by the caller."""
    return token is not None and token.age < settings.APPOINTMENT_MIN_FILL_SECONDS


def _key(request):
    # A keyed hash: the cache holds no address, and the code cannot be reversed without the
    # secret key. It expires with the rate-limit window.
    digest = hmac.new(
        settings.SECRET_KEY.encode(), client_ip(request).encode(), hashlib.sha256
    ).hexdigest()
    return f"contact-rate:{digest[:40]}"


def is_rate_limited(request):
    return (cache.get(_key(request)) or 0) >= settings.APPOINTMENT_RATE_LIMIT


def count_submission(request):
    key = _key(request)
    window = settings.APPOINTMENT_RATE_WINDOW_SECONDS
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1
