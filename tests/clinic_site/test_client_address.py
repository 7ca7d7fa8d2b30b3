"""Whose address the contact form's rate limit and the staff sign-in lockout count: behind N
trusted proxies, the Nth address from the right of X-Forwarded-For (the one our own outermost
proxy saw); whatever a client writes to the left of it is ignored (docs/deployment.md, "Behind
a proxy")."""

import pytest
from django.test import RequestFactory

from clinic_site.http import client_ip

PATIENT = "203.0.113.5"
PROXY = "10.0.0.1"  # nginx, as gunicorn sees it
CDN = "198.51.100.1"  # a CDN in front of nginx
FORGED = "6.6.6.6"  # what a bot writes into its own X-Forwarded-For


def address(proxies, forwarded=None, settings=None, remote=PROXY):
    settings.RATE_LIMIT_TRUSTED_PROXIES = proxies
    headers = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    request = RequestFactory().get("/", REMOTE_ADDR=remote, **headers)
    return client_ip(request)


@pytest.mark.parametrize(
    ("proxies", "forwarded"),
    [
        # One proxy: nginx appends (or, as our example, sets) the address it saw.
        (1, PATIENT),
        (1, f"{FORGED}, {PATIENT}"),
        (1, f"{FORGED}, 7.7.7.7, {PATIENT}"),
        (1, f"{FORGED},{PATIENT}"),
        (1, f" , {FORGED} ,, {PATIENT} "),
        # Two: the CDN appends the patient's address, then nginx appends the CDN's.
        (2, f"{PATIENT}, {CDN}"),
        (2, f"{FORGED}, {PATIENT}, {CDN}"),
        (2, f"{FORGED}, 7.7.7.7, {PATIENT}, {CDN}"),
    ],
)
def test_behind_trusted_proxies_the_address_our_outermost_proxy_saw_is_counted(
    proxies, forwarded, settings
):
    assert address(proxies, forwarded, settings) == PATIENT


def test_without_a_trusted_proxy_a_forwarded_address_is_not_believed(settings):
    assert address(0, f"{FORGED}, {PATIENT}", settings, remote=PATIENT) == PATIENT


@pytest.mark.parametrize("forwarded", [None, "", " , "])
def test_a_request_that_did_not_come_through_the_proxy_counts_by_its_connection(
    forwarded, settings
):
    """A missing header (a health check from the proxy's host, or anyone who reached gunicorn
    directly) counts as the connection's address, never as nobody's."""
    assert address(1, forwarded, settings) == PROXY


def test_fewer_forwarded_addresses_than_proxies_count_by_the_connection(settings):
    """Two proxies trusted, but the request came through one (a bypassed CDN): the only
    address in the header is whatever the client wrote, so it is not believed."""
    assert address(2, FORGED, settings) == PROXY


def test_a_connection_without_an_address_is_counted_as_one_client(settings):
    """A Unix socket gives no address: such requests share one allowance rather than crash."""
    settings.RATE_LIMIT_TRUSTED_PROXIES = 0
    request = RequestFactory().get("/")
    del request.META["REMOTE_ADDR"]
    assert client_ip(request) == ""
