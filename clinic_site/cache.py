"""Whole-page caching, declared by each view where it is defined:

    @public_page                                  # the same page for every visitor
    @public_page(query={"page": r"[1-9][0-9]*"})  # ... and ?page=2 is a page of its own
    @public_page(per_visitor=fields)              # kept without the fields, filled per visitor

It guarantees:
- A page is rendered once for everyone: PageCacheMiddleware answers GET and HEAD from this
  process's memory or the shared cache, before sessions, auth or the view run. Public pages are
  compressed once and say `Cache-Control: public, max-age=…` (an edge cache may keep them).
- Only the scheme, script prefix, path and the values of declared query parameters make a page:
  not the Host (absolute links use SITE_URL), not ?utm_source=. An undeclared value is served
  fresh; a `private` parameter (what a visitor typed: ?q=) goes to the view named for it.
- Nothing of one visitor reaches another: with a cookie but the CSRF one, a page is rendered
  afresh; only a 200 marked public, setting and varying on no cookie, is kept whole. A page with
  per-visitor fields is kept without them (its view renders slot(name) where each goes, filled
  from per_visitor(request)), says no-store and is compressed for each visitor.
- A sync shows everywhere within PAGE_CACHE_VERSION_CHECK_SECONDS (keys carry the version from
  settings.PAGE_CACHE_CONTENT_VERSION). With the shared cache down, pages are served uncached.
"""

import gzip
import logging
import re
import time
from functools import lru_cache, partial, wraps
from hashlib import md5
from math import inf
from types import SimpleNamespace
from urllib.parse import urlencode

import brotli
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_cache_control, patch_vary_headers
from django.utils.module_loading import import_string

slot = "\x00{}\x00".format  # where a visitor's own value goes: slot("csrf")
SLOT = re.compile("\x00(\\w+)\x00")


def fill(shell, values):
    """`shell` with each slot(name) replaced by values[name]."""
    return SLOT.sub(lambda match: values[match[1]], shell)


CSRF_ONLY = {settings.CSRF_COOKIE_NAME}  # the one cookie a visitor of a kept page may have
# This process's copy of the content version, and of the pages it served lately.
_process = SimpleNamespace(version=None, checked_at=-inf, down_until=-inf, pages={})


def public_page(view=None, /, *, query=(), private=(), per_visitor=None):
    """Declare a view's GET and HEAD responses the same for every visitor (see the module).
    query: {parameter: pattern of the values that make a page of their own};
    private: {parameter: the view (declared too) that serves a request with it}."""
    if view is None:
        return partial(public_page, query=query, private=private, per_visitor=per_visitor)
    allowed = {name: re.compile(pattern) for name, pattern in dict(query).items()}
    page_cache = {"allowed": allowed, "private": dict(private), "per_visitor": per_visitor}
    page_cache["view"] = getattr(view, "__name__", "")  # two views may serve one path

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        other = _private(request, page_cache)
        if other or request.method not in ("GET", "HEAD"):
            return (other or view)(request, *args, **kwargs)
        response = view(request, *args, **kwargs)
        if per_visitor:  # rendered with slots: kept so by PageCacheMiddleware, sent filled in
            response.shell, values = response.content.decode(), per_visitor(request)
            response.content = fill(response.shell, values)
        if per_visitor or not _url(request, page_cache):
            add_never_cache_headers(response)
        elif response.status_code == 200 and not settings.DEBUG:
            patch_cache_control(response, public=True, max_age=settings.PAGE_CACHE_SECONDS)
        return response

    wrapped.page_cache = page_cache
    return wrapped


def _private(request, page_cache):
    """The view for this request's private query parameter (a search), or None."""
    private = page_cache["private"].items()
    return next((view for name, view in private if request.GET.get(name, "").strip()), None)


def _url(request, page_cache):
    """What makes this request's page distinct, or "" if it must not be kept."""
    allowed = page_cache["allowed"]
    kept = sorted((name, request.GET[name]) for name in allowed if request.GET.get(name))
    if any(not allowed[name].fullmatch(value) for name, value in kept):
        return ""
    prefix = request.META.get("SCRIPT_NAME", "")  # part of every link on the page
    return f"{request.scheme}:{prefix}|{request.path_info}|{page_cache['view']}?{urlencode(kept)}"


@lru_cache(maxsize=4096)
def _declared(urlconf, path):
    try:
        with translation.override(translation.get_language_from_path(path)):  # /es/…: Spanish
            return getattr(resolve(path, urlconf).func, "page_cache", None)
    except Resolver404:
        return None


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response, self.csrf = get_response, CsrfViewMiddleware(get_response)

    def __call__(self, request):
        page_cache, key = self.find(request)
        entry = key and _get(key)
        if entry and "shell" in entry:
            return self.filled(entry, request, page_cache)
        if entry:
            return _respond(entry, _accepted(request))
        response = self.get_response(request)
        if not key or response.status_code != 200 or set(response.cookies) - CSRF_ONLY:
            return response
        public = "public" in response.get("Cache-Control", "") and not response.cookies
        if hasattr(response, "shell"):
            _set(key, response, shell=response.shell)
        elif public and "cookie" not in response.get("Vary", "").lower():
            body = response.content  # compressed once: these pages hold no secret (BREACH)
            br, gz = brotli.compress(body, quality=9), gzip.compress(body)
            patch_vary_headers(response, ["Accept-Encoding"])  # once, for every copy
            entry = _set(key, response, identity=body, br=br, gzip=gz)
            return _respond(entry, _accepted(request))
        return response

    def find(self, request):
        if request.method not in ("GET", "HEAD") or set(request.COOKIES) - CSRF_ONLY:
            return None, ""
        page_cache = _declared(settings.ROOT_URLCONF, request.path_info)
        page_cache = page_cache and getattr(_private(request, page_cache), "page_cache", page_cache)
        try:
            return page_cache, page_cache and request.get_host() and _key(_url(request, page_cache))
        except DisallowedHost:  # answered further in: a 400
            return None, ""

    def filled(self, entry, request, page_cache):
        self.csrf.process_request(request)  # the visitor's own CSRF secret, if they have one
        language = translation.get_language_from_path(request.path_info) or settings.LANGUAGE_CODE
        with translation.override(language):
            values = page_cache["per_visitor"](request)
        page = fill(entry["shell"], values)
        filled, accepts = {**entry, "identity": page}, _accepted(request)
        if "br" in accepts:
            # Compressed for this visitor: brotli's quality 3 is as small as GZipMiddleware's
            # gzip and takes half the time (bench/RESULTS.md). No padding against BREACH: the
            # page's one secret, the CSRF token, is masked anew in every response (a secret
            # a per-visitor field adds must be so too).
            filled["br"] = brotli.compress(page.encode(), quality=3)
        response = _respond(filled, accepts)
        patch_vary_headers(response, ["Accept-Encoding"])
        return self.csrf.process_response(request, response)


def _key(url):
    """The cache key for a page, or "" when nothing is kept (development, shared cache down)."""
    now = time.monotonic()
    if not url or settings.DEBUG or now < _process.down_until:
        return ""
    if not 0 <= now - _process.checked_at < settings.PAGE_CACHE_VERSION_CHECK_SECONDS:
        _process.version = _shared(import_string(settings.PAGE_CACHE_CONTENT_VERSION))
        _process.checked_at = now
    if len(_process.pages) > settings.PAGE_CACHE_LOCAL_PAGES:
        _process.pages = {}  # as good as least-recently-used for a few hundred pages
    url = md5(url.encode(), usedforsecurity=False).hexdigest()
    return _process.version and f"page:{_process.version}:{url}"


def _get(key):
    entry = _process.pages.get(key) or _shared(cache.get, key)
    if entry and entry["expires"] > time.time():
        return _process.pages.setdefault(key, entry)


def _set(key, response, **bodies):
    headers = [(k, v) for k, v in response.items() if k.lower() != "content-length"]
    expires = time.time() + settings.PAGE_CACHE_SECONDS
    entry = {"status": response.status_code, "headers": headers, "expires": expires, **bodies}
    _shared(cache.set, key, entry, timeout=settings.PAGE_CACHE_SECONDS)
    _process.pages[key] = entry
    return entry


def _shared(call, *args, **kwargs):
    """call(…) on the shared cache; if it is down, False, and it is left alone for a while."""
    try:
        return call(*args, **kwargs)
    except Exception:
        logging.getLogger(__name__).exception("Shared cache unavailable: pages served uncached")
        _process.down_until = time.monotonic() + settings.PAGE_CACHE_VERSION_CHECK_SECONDS
        _process.pages = {}
        return False


_REFUSED = re.compile(r";\s*q\s*=\s*0(\.0*)?\s*$")


def _accepted(request):
    """The content codings the client takes ("br;q=0" refuses brotli)."""
    codings = request.META.get("HTTP_ACCEPT_ENCODING", "").lower().split(",")
    return {c.split(";")[0].strip() for c in codings if not _REFUSED.search(c)}


def _respond(entry, accepts):  # in the best encoding the client takes (`_accepted`)
    encoding = next((e for e in ("br", "gzip") if e in entry and e in accepts), "")
    response = HttpResponse(entry[encoding or "identity"], status=entry["status"])
    for name, value in entry["headers"]:
        response.headers[name] = value
    response.headers["Content-Length"] = str(len(response.content))
    if encoding:
        response.headers["Content-Encoding"] = encoding
    return response
