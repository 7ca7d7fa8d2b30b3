"""Whole-page caching, declared by each view where it is defined:

    @public_page                                  # the same page for every visitor
    @public_page(query={"page": r"[1-9][0-9]*"})  # ... and ?page=2 is a page of its own
    @public_page(per_visitor=fields)              # kept without the fields, filled per visitor

It guarantees:
- A page is rendered once for everyone: PageCacheMiddleware, near the top of MIDDLEWARE, answers
  GET and HEAD from this process's memory or the shared cache, before sessions, auth or the view
  run, with the headers it was rendered with. Public pages are compressed once and say
  `Cache-Control: public, max-age=…`, so an edge cache may keep them too.
- A page is kept under its scheme, script prefix, path and the query values its view declared
  (the last of each; empty is absent), nothing else: not the Host (absolute links come from
  SITE_URL), not ?utm_source=. An undeclared value is served fresh and kept nowhere. A request
  with a `private_query` parameter (what a visitor typed: ?q=) is served by the view named for it.
- Nothing of one visitor reaches another: a request with a cookie but the CSRF one gets a fresh
  page; only a 200 marked public that sets no cookie, nor varies on one, is kept whole. A page
  with per-visitor fields is kept without them (its view renders slot(name) where each goes;
  per_visitor(request) gives this visitor's values) and says no-store.
- A content change shows on every process within PAGE_CACHE_VERSION_CHECK_SECONDS: keys carry
  the content version from settings.PAGE_CACHE_CONTENT_VERSION, asked for at most that often.
- With the shared cache down, pages are served uncached and the failure is logged.
"""

import gzip
import logging
import re
import time
from functools import lru_cache, partial, wraps
from hashlib import md5
from math import inf
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlencode

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
CSRF_ONLY = {settings.CSRF_COOKIE_NAME}  # the one cookie a visitor of a kept page may have
ACCEPTS = {"br": re.compile(r"\bbr\b"), "gzip": re.compile(r"\bgzip\b")}
# This process's copy of the content version, and of the pages it served lately.
_process = SimpleNamespace(version=None, checked_at=-inf, down_until=-inf, pages={})


def public_page(view=None, /, *, query=(), private_query=(), per_visitor=None):
    """Declare a view's GET and HEAD responses the same for every visitor (see the module).
    query: {parameter: pattern of the values that make a page of their own};
    private_query: {parameter: the view (declared too) that serves a request with it}."""
    if view is None:
        return partial(
            public_page, query=query, private_query=private_query, per_visitor=per_visitor
        )
    allowed = {name: re.compile(pattern) for name, pattern in dict(query).items()}
    page_cache = {"allowed": allowed, "private": dict(private_query), "per_visitor": per_visitor}
    page_cache["view"] = getattr(view, "__name__", "")  # two views may serve one path

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        other = _private(request, page_cache)
        if other or request.method not in ("GET", "HEAD"):
            return (other or view)(request, *args, **kwargs)
        response = view(request, *args, **kwargs)
        if per_visitor:  # rendered with slots: kept so (PageCacheMiddleware), sent filled in
            response.shell = response.content.decode()
            response.content = _fill(response.shell, per_visitor(request))
        if per_visitor or not _url(request, page_cache):
            add_never_cache_headers(response)
        elif response.status_code == 200 and not settings.DEBUG:
            patch_cache_control(response, public=True, max_age=settings.PAGE_CACHE_SECONDS)
        return response

    wrapped.page_cache = page_cache
    return wrapped


def _private(request, page_cache):
    """The view for this request's private query parameter (a search), or None."""
    names = [name for name in page_cache["private"] if request.GET.get(name, "").strip()]
    return page_cache["private"][names[0]] if names else None


def _language(path):
    return translation.get_language_from_path(path) or settings.LANGUAGE_CODE


def _fill(shell, values):
    return SLOT.sub(lambda match: values[match[1]], shell)


def _url(request, page_cache):
    """What makes this request's page distinct, or "" if it must not be kept."""
    kept = {}
    for name, value in parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True):
        if name in page_cache["allowed"]:
            kept[name] = value
    kept = sorted((name, value) for name, value in kept.items() if value)
    if any(not page_cache["allowed"][name].fullmatch(value) for name, value in kept):
        return ""
    prefix = request.META.get("SCRIPT_NAME", "")  # part of every link on the page
    path = f"{prefix}|{request.path_info}|{page_cache['view']}"
    return f"{request.scheme}:{path}?{urlencode(kept)}"


@lru_cache(maxsize=4096)
def _declared(urlconf, path):
    """What the view at `path` declared, or None."""
    try:
        with translation.override(_language(path)):  # /es/… resolves with Spanish active
            return getattr(resolve(path, urlconf).func, "page_cache", None)
    except Resolver404:
        return None


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        # A page with per-visitor fields, filled in here, hands out CSRF tokens: their cookie.
        self.csrf = CsrfViewMiddleware(get_response)

    def __call__(self, request):
        page_cache, key = self.find(request)
        entry = key and _get(key)
        if entry and "shell" in entry:
            return self.filled(entry, request, page_cache)
        if entry:
            return _respond(entry, request)
        response = self.get_response(request)
        if not key or response.status_code != 200 or set(response.cookies) - CSRF_ONLY:
            return response
        if hasattr(response, "shell"):
            _set(key, {**_entry(response), "shell": response.shell})
        elif "public" in response.get("Cache-Control", "") and not (
            response.cookies or "cookie" in response.get("Vary", "").lower()
        ):
            body = response.content  # compressed once: these pages hold no secret (BREACH)
            bodies = {"identity": body, "br": brotli.compress(body, quality=9)}
            bodies["gzip"] = gzip.compress(body)
            return _respond(_set(key, {**_entry(response), "bodies": bodies}), request)
        return response

    def find(self, request):
        """(what the page's view declared, its key), or (None, "") if it may not be kept."""
        page_cache = request.method in ("GET", "HEAD") and _declared(
            settings.ROOT_URLCONF, request.path_info
        )
        if not page_cache or set(request.COOKIES) - CSRF_ONLY:
            return None, ""
        page_cache = getattr(_private(request, page_cache), "page_cache", page_cache)
        try:
            request.get_host()
        except DisallowedHost:  # answered further in: a 400
            return None, ""
        return page_cache, _key(_url(request, page_cache))

    def filled(self, entry, request, page_cache):
        self.csrf.process_request(request)  # the visitor's own CSRF secret, if they have one
        with translation.override(_language(request.path_info)):
            page = _fill(entry["shell"], page_cache["per_visitor"](request))
        response = _respond({**entry, "bodies": {"identity": page}}, request)
        return self.csrf.process_response(request, response)


def _key(url):
    """The cache key for a page, or "" when nothing is kept (development, shared cache down)."""
    now = time.monotonic()
    if not url or settings.DEBUG or now < _process.down_until:
        return ""
    if not 0 <= now - _process.checked_at < settings.PAGE_CACHE_VERSION_CHECK_SECONDS:
        version = _shared(import_string(settings.PAGE_CACHE_CONTENT_VERSION))
        if version != _process.version:
            _process.pages = {}
        _process.version, _process.checked_at = version, now
    url = md5(url.encode(), usedforsecurity=False).hexdigest()
    return _process.version and f"page:{_process.version}:{url}"


def _get(key):
    entry = _process.pages.get(key)
    if entry is None and (entry := _shared(cache.get, key)):
        _keep(key, entry)
    return entry if entry and entry["expires"] > time.time() else None


def _set(key, entry):
    _shared(cache.set, key, entry, timeout=settings.PAGE_CACHE_SECONDS)
    return _keep(key, entry)


def _keep(key, entry):
    if len(_process.pages) >= settings.PAGE_CACHE_LOCAL_PAGES:
        _process.pages = {}  # as good as least-recently-used for a few hundred pages
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


def _entry(response):
    body_headers = ("content-length", "content-encoding")  # each response's own
    headers = [(k, v) for k, v in response.items() if k.lower() not in body_headers]
    expires = time.time() + settings.PAGE_CACHE_SECONDS
    return {"status": response.status_code, "headers": headers, "expires": expires}


def _respond(entry, request):
    """A kept page, in the best encoding the client takes."""
    accepts, bodies = request.META.get("HTTP_ACCEPT_ENCODING", ""), entry["bodies"]
    encoding = next((e for e in ("br", "gzip") if e in bodies and ACCEPTS[e].search(accepts)), "")
    response = HttpResponse(bodies[encoding or "identity"], status=entry["status"])
    for name, value in entry["headers"]:
        response.headers[name] = value
    response.headers["Content-Length"] = str(len(response.content))
    if encoding:
        response.headers["Content-Encoding"] = encoding
    if len(bodies) > 1:
        patch_vary_headers(response, ["Accept-Encoding"])
    return response
