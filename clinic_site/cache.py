"""Whole-page caching for public pages, served before the rest of the middleware runs.

Views say they are public with `@public_page`. `PageCacheMiddleware`, near the top of
MIDDLEWARE, answers a repeat visit from the cache without sessions, auth, CSP or the view: it
stores the finished response (with every header the other middleware added) once, already
compressed with brotli and gzip, so a hit costs a dictionary lookup and no compression.

Two layers: the shared cache (the database cache or Redis, so every worker and host sees a page
rendered once) and a small per-process copy in front of it. Keys carry a content version;
syncing the content sets a new one, so every cached page is stale at once without clearing the
rest of the shared cache (rate limits live there). Each process reads the version from the
shared cache at most once every PAGE_CACHE_VERSION_CHECK_SECONDS, so a sync on one host shows on
every other host within that many seconds, and at once in the process that ran it.

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
from django.urls import Resolver404, resolve
from django.utils.cache import patch_cache_control, patch_vary_headers

logger = logging.getLogger(__name__)

VERSION_KEY = "content-version"
# The query parameters a public page may read, with the values worth a cache entry. Any other
# parameter (a tracking tag, a cache-buster) is left out of the key, so it neither misses nor
# creates an entry; a page that does not read `page` (`p` in the sitemap) stores nothing
# under it either.
CACHE_QUERY = {name: re.compile(r"[1-9][0-9]{0,3}") for name in ("page", "p")}
# Searches are never cached: what a patient types stays out of the cache.
UNCACHED_QUERY = {"q"}
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
        _local.version, _local.checked_at = version, now


def bump_content_version():
    version = time.time_ns()
    cache.set(VERSION_KEY, version, timeout=None)
    _remember_version(version, time.monotonic())


def public_page(view):
    """Mark a view's pages as the same for every visitor, so PageCacheMiddleware may keep them.

    The view sees the whole query string; the response records which parameters it read, so the
    cache key holds those and nothing else."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        request.GET = _ReadTrackingQuery(request.GET)
        response = view(request, *args, **kwargs)
        response.public_page_reads = request.GET.read
        patch_cache_control(response, max_age=settings.PAGE_CACHE_SECONDS)
        return response

    wrapped.public_page = True
    return wrapped


class _ReadTrackingQuery(QueryDict):
    def __init__(self, query):
        self.read = set()
        super().__init__(mutable=True)
        self.update(query)
        self._mutable = False
        self.read.clear()

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

    def __call__(self, request):
        url = self._cacheable_url(request)
        if url is None:
            return self.get_response(request)
        try:
            version = content_version()
            entry = self._fetch(version, url)
        except Exception:
            return self._shared_cache_down(request)
        if entry is not None:
            return _respond(entry, request)
        response = self.get_response(request)
        return self._store(request, response, version, url)

    def _cacheable_url(self, request):
        """The URL a page is kept under, or None when this request is never served from cache."""
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
        try:
            if not getattr(resolve(path).func, "public_page", False):
                return None
            host = request.get_host()
        except (Resolver404, DisallowedHost):  # answered further in: a 404, a 400
            return None
        return f"{request.scheme}://{host}{path}?{urlencode(sorted(query))}"

    def _fetch(self, version, url):
        now = time.time()
        key = _key(version, url)
        entry = _local.pages.get(key)
        if entry is None:
            entry = cache.get(key)
            if entry is None:
                return None
            self._keep_locally(key, entry)
        if entry["expires"] <= now:
            return None
        return entry

    def _keep_locally(self, key, entry):
        with _local.lock:
            _local.pages[key] = entry
            while len(_local.pages) > settings.PAGE_CACHE_LOCAL_PAGES:
                _local.pages.popitem(last=False)

    def _store(self, request, response, version, url):
        reads = getattr(response, "public_page_reads", None)
        if (
            reads is None
            or "*" in reads
            or not reads <= CACHE_QUERY.keys() | UNCACHED_QUERY
            or response.status_code != 200
            or response.streaming
            or response.cookies
            or response.has_header("Content-Encoding")
            or "cookie" in response.get("Vary", "").lower()
            or "private" in response.get("Cache-Control", "")
        ):
            return response
        # Key the page by the parameters its view read: /?page=2 on the home page is the home
        # page, and is kept (once) under its plain URL.
        base, _, query = url.partition("?")
        kept = [(name, value) for name, value in parse_qsl(query) if name in reads]
        url = f"{base}?{urlencode(kept)}"
        entry = _entry(response)
        key = _key(version, url)
        try:
            cache.set(key, entry, timeout=settings.PAGE_CACHE_SECONDS)
        except Exception:
            self._shared_cache_down(None)
            return response
        self._keep_locally(key, entry)
        return _respond(entry, request)

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


def _entry(response):
    """The finished response, with its body compressed once for every later visitor.

    These pages hold no secret (no CSRF token, nothing from a session), so compressing them
    without the random padding GZipMiddleware adds against BREACH is safe."""
    body = response.content
    bodies = {"identity": body}
    if len(body) >= 200:
        bodies["br"] = brotli.compress(body, quality=9)
        bodies["gzip"] = gzip.compress(body, compresslevel=9, mtime=0)
    headers = [(k, v) for k, v in response.items() if k.lower() not in PER_RESPONSE]
    vary = response.get("Vary")
    return {
        "status": response.status_code,
        "headers": headers,
        "vary": vary,
        "bodies": bodies,
        "expires": time.time() + settings.PAGE_CACHE_SECONDS,
    }


def _respond(entry, request):
    accepts = request.META.get("HTTP_ACCEPT_ENCODING", "")
    bodies = entry["bodies"]
    if "br" in bodies and ACCEPTS_BR.search(accepts):
        encoding = "br"
    elif "gzip" in bodies and ACCEPTS_GZIP.search(accepts):
        encoding = "gzip"
    else:
        encoding = "identity"
    response = HttpResponse(bodies[encoding], status=entry["status"])
    for name, value in entry["headers"]:
        response.headers[name] = value
    if entry["vary"]:
        response.headers["Vary"] = entry["vary"]
    if len(bodies) > 1:
        patch_vary_headers(response, ("Accept-Encoding",))
    if encoding != "identity":
        response.headers["Content-Encoding"] = encoding
    response.headers["Content-Length"] = str(len(bodies[encoding]))
    return response
