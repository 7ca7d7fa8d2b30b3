"""Turning bots away without third parties: a honeypot, a minimum fill time, and a per-client
rate limit counted in the database. No raw IP address is stored anywhere."""

import hashlib
import hmac
import ipaddress
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from clinic_site.http import client_ip

from .models import AuditEntry, RateCounter


def looks_like_a_bot(post):
    """True for a filled honeypot or a missing form token: only a bot sends those."""
    return bool(post.get("website") or not post.get("form_token"))


def sent_too_fast(token):
    """True for a form sent faster than a person can fill it. A person with autofill can be
    that fast too, so the form is shown again rather than dropped. `token` is the form token
    as read_form_token read it: None (expired or unreadable) is handled by the caller."""
    return token is not None and token.age < settings.APPOINTMENT_MIN_FILL_SECONDS


def _key(request):
    return key_for_address(client_ip(request))


def key_for_address(address):
    # A keyed hash: the table holds no address, and the code cannot be reversed without the
    # secret key.
    digest = hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()
    return f"contact:{digest[:40]}"


def count_submission(request):
    """Count one more form from this client and return the count, in one statement: the
    caller compares it with the limit, so parallel requests cannot all pass a check made
    before any of them was counted. A window starts with a client's first form and lasts
    APPOINTMENT_RATE_WINDOW_SECONDS, whatever the cache backend."""
    now = timezone.now()
    expires_at = now + timedelta(seconds=settings.APPOINTMENT_RATE_WINDOW_SECONDS)
    table = connection.ops.quote_name(RateCounter._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    # An upsert with RETURNING (SQLite 3.35+, PostgreSQL): a new or expired counter starts
    # again at 1, a live one goes up by 1; the right-hand sides all read the row as it was.
    sql = f"""
        INSERT INTO {table} ("key", "hits", "expires_at") VALUES (%s, 1, %s)
        ON CONFLICT ("key") DO UPDATE SET
            "hits" = CASE WHEN {table}."expires_at" > %s THEN {table}."hits" + 1 ELSE 1 END,
            "expires_at" = CASE WHEN {table}."expires_at" > %s
                THEN {table}."expires_at" ELSE excluded."expires_at" END
        RETURNING "hits"
    """  # noqa: S608 -- the table name is ours; every value is a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, [_key(request), adapt(expires_at), adapt(now), adapt(now)])
        (hits,) = cursor.fetchone()
    if hits == 1:
        # A new window: a good moment to drop the counters whose windows have ended.
        RateCounter.objects.filter(expires_at__lte=now).delete()
    return hits


def within_rate_limit(request):
    """Count this form, then say whether it is within the client's allowance."""
    return count_submission(request) <= settings.APPOINTMENT_RATE_LIMIT


def _counter(address):
    """The live counter of the client at this address (as an operator types it), or None."""
    try:
        address = str(ipaddress.ip_address(address.strip()))  # as the server writes it
    except ValueError:
        raise ValueError("not an IP address") from None
    return RateCounter.objects.filter(
        key=key_for_address(address), expires_at__gt=timezone.now()
    ).first()


def rate_limit_of(address):
    """(forms counted in the current window, when the window ends) for the client at this
    address, or None: for `manage.py rate_limit show`."""
    counter = _counter(address)
    return (counter.hits, counter.expires_at) if counter else None


def lift_rate_limit(address):
    """Let the client at this address send the form again at once, recorded in the audit trail
    as the system's doing (the entry holds no address). True if there was a limit to lift."""
    counter = _counter(address)
    if counter is None:
        return False
    with transaction.atomic():
        counter.delete()
        AuditEntry.record(
            None,
            AuditEntry.Action.CHANGED,
            detail="Lifted the contact form's rate limit for "
            "one client address (manage.py rate_limit lift)",
        )
    return True
