"""Whole-page caching for public pages, served before the rest of the middleware runs.

Views say they are public with `@public_page`. `PageCacheMiddleware`, near the top of
MIDDLEWARE, answers a repeat visit from the cache without sessions, auth, CSP or the view: it
stores the finished response (with every header the other middleware added) once, already
compressed with brotli and gzip, so a hit costs a dictionary lookup and no compression.

Two layers: the shared cache (the database cache or Redis, so every worker and host sees a page
rendered once) and a small per-process copy in front of it. Keys carry a content version;
syncing the content sets a new one, so every cached page is stale at once without clearing the
rest of the shared cache (whatever else lives there). Each process reads the version from the
shared cache at most once every PAGE_CACHE_VERSION_CHECK_SECONDS, so a sync on one host shows on
every other host within that many seconds, and at once in the process that ran it.

Form pages (FORM_PAGES: the Contact page) differ between first-time visitors only in the CSRF
token and the form's signed timestamp. They are kept as a shell with those two left blank and
filled in for each visitor, so the form is not rendered again for everyone; the visitor still
gets a CSRF cookie and token of their own, and GZipMiddleware compresses the page (with its
padding against BREACH) per request, as for any page carrying a token.

A visitor with a cookie other than the CSRF token (a signed-in member of staff, a patient with a
session) always gets a fresh page, and a response that sets a cookie or varies on one is never
stored. When the shared cache is down, pages are served uncached and the failure is logged.
"""

import gzip
import hashlib
import logging
import re
import threading
import time
from collections import OrderedDict
from functools import wraps
from urllib.parse import parse_qsl, urlencode

import brotli
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.http import HttpResponse, QueryDict
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.module_loading import import_string

from .clinic import Service
from .http import page_language

logger = logging.getLogger(__name__)

VERSION_KEY = "content-version"
# The query parameters a public page may read, with the values worth a cache entry. Any other
# parameter (a tracking tag, a cache-buster) is left out of the key, so it neither misses nor
# creates an entry; a page that does not read `page` (`p` in the sitemap) stores nothing
# under it either.
CACHE_QUERY = {
    **{name: re.compile(r"[1-9][0-9]{0,3}") for name in ("page", "p")},
    "service": re.compile("|".join(re.escape(value) for value in Service.values)),
}
# Searches are never cached: what a patient types stays out of the cache.
UNCACHED_QUERY = {"q"}
# URL name: {hidden field: function making its value for each visitor}. The CSRF token is
# always filled in; these pages are only served from the cache to a visitor with no cookie.
FORM_PAGES = {"appointments:contact": {"form_token": "appointments.forms.new_form_token"}}
SLOT = "\x00{}\x00"
# Headers recomputed for each response served from the cache.
PER_RESPONSE = {"content-length", "content-encoding", "vary", "expires"}
ACCEPTS_BR = re.compile(r"\bbr\b")
ACCEPTS_GZIP = re.compile(r"\bgzip\b")


class _Local:
    """This process's view of the content version and its copies of pages."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.version = None
        self.checked_at = float("-inf")
        self.down_until = float("-inf")
        self.pages = OrderedDict()
        self.kept = {}


_local = _Local()


def content_version():
    """The current content version, read from the shared cache at most once per interval."""
    now = time.monotonic()
    if now - _local.checked_at < settings.PAGE_CACHE_VERSION_CHECK_SECONDS:
        return _local.version
    version = cache.get(VERSION_KEY)
    if version is None:
        version = time.time_ns()
        if not cache.add(VERSION_KEY, version, timeout=None):
            version = cache.get(VERSION_KEY, version)
    _remember_version(version, now)
    return version


def _remember_version(version, now):
    with _local.lock:
        if version != _local.version:
            _local.pages.clear()
            _local.kept.clear()
        _local.version, _local.checked_at = version, now


def bump_content_version():
    version = time.time_ns()
    cache.set(VERSION_KEY, version, timeout=None)
    _remember_version(version, time.monotonic())


def kept_for_content(key, make):
    """make(), kept in this process until the content changes: the parts that every visitor's
    page shares for one content version (the search page's shell, an article's card).

    Only for what is the same for every visitor and holds nothing a visitor typed. With the
    shared cache down (or in development) nothing is kept: make() runs each time."""
    if settings.DEBUG or time.monotonic() < _local.down_until:
        return make()
    try:
        version = content_version()
    except Exception:
        logger.exception("Shared cache unavailable: content version unknown")
        return make()
    found = _local.kept.get(key)
    if found is not None and found[0] == version:
        return found[1]
    value = make()
    with _local.lock:
        if version == _local.version:
            _local.kept[key] = (version, value)
    return value


def public_page(view):
    """Mark a view's pages as the same for every visitor, so PageCacheMiddleware may keep them."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.public_page = True
        if not settings.DEBUG:  # in development an edited file shows on reload
            patch_cache_control(response, max_age=settings.PAGE_CACHE_SECONDS)
        return response

    wrapped.public_page = True
    return wrapped


class _ReadTrackingQuery(QueryDict):
    """request.GET, noting which parameters the view read: the cache key holds those only."""

    def __init__(self, query_string):
        self.read = set()
        super().__init__(query_string)
        self.read.clear()  # parsing looked each key up; the view has read nothing yet

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def getlist(self, key, default=None):
        self.read.add(key)
        return super().getlist(key, default)

    def __contains__(self, key):
        self.read.add(key)
        return super().__contains__(key)

    def __iter__(self):
        self.read.add("*")  # a view that walks every parameter: not cacheable by parameter
        return super().__iter__()


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.csrf = CsrfViewMiddleware(get_response)

    def __call__(self, request):
        url = self._url(request)
        if url is None:
            return self.get_response(request)
        try:
            version = content_version()
            # A page this process holds was public when kept: no need to resolve the URL.
            entry = self._fetch_local(version, url)
            if entry is None:
                form = self._form_or_public(request)
                if form is False:
                    return self.get_response(request)
                entry = self._fetch_shared(version, url)
        except Exception:
            return self._shared_cache_down(request)
        if entry is not None:
            if "shell" in entry and request.COOKIES:
                # The visitor's own CSRF secret must be kept: render the page for them.
                return self.get_response(request)
            return self._respond(entry, request)
        request.page_cache_form = form
        response = self.get_response(request)
        return self._store(request, response, version, url)

    def process_view(self, request, view, args, kwargs):
        if hasattr(request, "page_cache_form"):
            request.GET = _ReadTrackingQuery(request.META.get("QUERY_STRING", ""))

    def _url(self, request):
        """The URL a page would be kept under, or None when this request is never served from
        the cache."""
        if settings.DEBUG or request.method != "GET" or time.monotonic() < _local.down_until:
            return None
        path = request.path_info
        if path.startswith(settings.STATIC_URL):
            return None
        cookies = request.COOKIES
        if cookies and any(name != settings.CSRF_COOKIE_NAME for name in cookies):
            return None
        query = []
        for name, value in parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True):
            if name in UNCACHED_QUERY and value.strip():
                return None
            if name in CACHE_QUERY:
                if not CACHE_QUERY[name].fullmatch(value):
                    return None
                query.append((name, value))
        # The Host header as sent: pages are only ever kept under a host that get_host() (in
        # _form_or_public) accepted, so an unknown host never finds one.
        host = request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME")
        # The script prefix is part of every link on the page (reverse() puts it there), so it
        # is part of the key: a prefix one request brought never reaches another's page.
        prefix = request.META.get("SCRIPT_NAME", "")
        return f"{request.scheme}://{host}{prefix}|{path}?{urlencode(sorted(query))}"

    def _form_or_public(self, request):
        """The form fields to fill in (a form page), None (a public page) or False (neither)."""
        try:
            # Before LocaleMiddleware: /es/ pages resolve only with Spanish active.
            with translation.override(page_language(request)):
                match = resolve(request.path_info)
            request.get_host()
        except (Resolver404, DisallowedHost):  # answered further in: a 404, a 400
            return False
        form = FORM_PAGES.get(match.view_name)
        if form is not None:
            return False if request.COOKIES else form
        return None if getattr(match.func, "public_page", False) else False

    def _fetch_local(self, version, url):
        entry = _local.pages.get(_key(version, url))
        return entry if entry is not None and entry["expires"] > time.time() else None

    def _fetch_shared(self, version, url):
        key = _key(version, url)
        entry = cache.get(key)
        if entry is None or entry["expires"] <= time.time():
            return None
        self._keep_locally(key, entry)
        return entry

    def _keep_locally(self, key, entry):
        with _local.lock:
            _local.pages[key] = entry
            while len(_local.pages) > settings.PAGE_CACHE_LOCAL_PAGES:
                _local.pages.popitem(last=False)

    def _store(self, request, response, version, url):
        reads = getattr(request.GET, "read", None)
        form = request.page_cache_form
        if (
            reads is None
            or "*" in reads
            or not reads <= CACHE_QUERY.keys() | UNCACHED_QUERY
            or response.status_code != 200
            or response.streaming
            or response.has_header("Content-Encoding")
        ):
            return response
        if form is None:
            cacheable = (
                getattr(response, "public_page", False)
                and not response.cookies
                and "cookie" not in response.get("Vary", "").lower()
                and "private" not in response.get("Cache-Control", "")
            )
            entry = _entry(response) if cacheable else None
        else:
            entry = _form_entry(response, form)
        if entry is None:
            return response
        # Key the page by the parameters its view read: /?page=2 on the home page is the home
        # page, and is kept (once) under its plain URL.
        base, _, query = url.partition("?")
        url = f"{base}?{urlencode([(k, v) for k, v in parse_qsl(query) if k in reads])}"
        key = _key(version, url)
        try:
            cache.set(key, entry, timeout=settings.PAGE_CACHE_SECONDS)
        except Exception:
            self._shared_cache_down(None)
            return response
        self._keep_locally(key, entry)
        return response if form else self._respond(entry, request)

    def _respond(self, entry, request):
        if "shell" in entry:
            return self._fill(entry, request)
        accepts = request.META.get("HTTP_ACCEPT_ENCODING", "")
        bodies = entry["bodies"]
        if "br" in bodies and ACCEPTS_BR.search(accepts):
            encoding = "br"
        elif "gzip" in bodies and ACCEPTS_GZIP.search(accepts):
            encoding = "gzip"
        else:
            encoding = "identity"
        response = _response(entry, bodies[encoding])
        if len(bodies) > 1:
            patch_vary_headers(response, ("Accept-Encoding",))
        if encoding != "identity":
            response.headers["Content-Encoding"] = encoding
        return response

    def _fill(self, entry, request):
        """A form page from its shell, with this visitor's own CSRF token and form values."""
        body = entry["shell"].replace(SLOT.format("csrf").encode(), get_token(request).encode())
        for field, make in entry["fields"].items():
            body = body.replace(SLOT.format(field).encode(), import_string(make)().encode())
        return self.csrf.process_response(request, _response(entry, body))

    def _shared_cache_down(self, request):
        """Serve without the cache, and leave the shared cache alone for a moment: a cache that
        is down must not add a failed connection to every request."""
        logger.exception("Shared cache unavailable: serving pages uncached")
        _local.down_until = time.monotonic() + settings.PAGE_CACHE_VERSION_CHECK_SECONDS
        with _local.lock:
            _local.pages.clear()
        return None if request is None else self.get_response(request)


def _key(version, url):
    return f"page:{version}:{hashlib.md5(url.encode(), usedforsecurity=False).hexdigest()}"


def _headers(response):
    return {
        "status": response.status_code,
        "headers": [(k, v) for k, v in response.items() if k.lower() not in PER_RESPONSE],
        "vary": response.get("Vary"),
        "expires": time.time() + settings.PAGE_CACHE_SECONDS,
    }


def _entry(response):
    """The finished response, with its body compressed once for every later visitor.

    These pages hold no secret (no CSRF token, nothing from a session), so compressing them
    without the random padding GZipMiddleware adds against BREACH is safe."""
    body = response.content
    bodies = {"identity": body}
    if len(body) >= 200:
        bodies["br"] = brotli.compress(body, quality=9)
        bodies["gzip"] = gzip.compress(body, compresslevel=9, mtime=0)
    return {**_headers(response), "bodies": bodies}


def _form_entry(response, fields):
    """A form page with its per-visitor values blanked, or None if they cannot be found once
    each, or if the response sets any cookie but the CSRF one."""
    if set(response.cookies) - {settings.CSRF_COOKIE_NAME}:
        return None
    shell = response.content
    for field, slot in [("csrfmiddlewaretoken", "csrf"), *((f, f) for f in fields)]:
        found = re.findall(rf'name="{field}" value="([^"]+)"'.encode(), shell)
        if len(found) != 1 or shell.count(found[0]) != 1:
            return None
        shell = shell.replace(found[0], SLOT.format(slot).encode())
    return {**_headers(response), "shell": shell, "fields": fields}


def _response(entry, body):
    response = HttpResponse(body, status=entry["status"])
    for name, value in entry["headers"]:
        response.headers[name] = value
    if entry["vary"]:
        response.headers["Vary"] = entry["vary"]
    response.headers["Content-Length"] = str(len(body))
    return response
