"""Whole-page caching, declared by each view where it is defined:

    @public_page                                  # the same page for every visitor
    @public_page(query={"page": r"[1-9][0-9]*"})  # ... and ?page=2 is a page of its own
    @public_page(per_visitor=fields)              # kept without the fields, filled in per visitor

What it guarantees:
- A public page is rendered once for everyone. PageCacheMiddleware, near the top of MIDDLEWARE,
  answers GET and HEAD from this process's memory or the shared cache, before sessions, auth and
  the view run, with the headers the page was rendered with and its body compressed once. The
  page says `Cache-Control: public, max-age=…`, so an edge cache may keep it too.
- A page is kept under its scheme, script prefix, path and the values of the query parameters its
  view declared (the last of each; empty is absent); nothing else a visitor sends makes a new
  entry: not the Host (absolute links come from settings.SITE_URL; a host outside ALLOWED_HOSTS
  is refused as ever), not ?utm_source=. An undeclared value is served fresh, kept nowhere. With
  a `private_query` parameter (what a visitor typed: ?q=) nothing is kept; the page says no-store.
- Nothing of one visitor reaches another: a request with a cookie other than the CSRF cookie (a
  session) gets a fresh page; only a 200 marked public here, setting no cookie and not varying on
  one, is kept. A page with per-visitor fields is kept without them (its view renders slot(name)
  where each goes; `per_visitor(request)` returns this visitor's values), and filled in inside
  the middleware stack, so the CSRF cookie, CSP and BREACH padding apply. It says no-store.
- A content change shows on every process within PAGE_CACHE_VERSION_CHECK_SECONDS: keys carry the
  content version, asked of settings.PAGE_CACHE_CONTENT_VERSION (a function) at most that often.
- With the shared cache down, pages are served uncached and the failure is logged.
"""

import gzip
import logging
import re
import time
from functools import lru_cache, partial, wraps
from math import inf
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlencode

import brotli
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import DisallowedHost
from django.http import HttpResponse
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_cache_control, patch_vary_headers
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)
SLOT = re.compile("\x00(\\w+)\x00")
BODY_HEADERS = {"content-length", "content-encoding"}  # set for each response
ACCEPTS = {"br": re.compile(r"\bbr\b"), "gzip": re.compile(r"\bgzip\b")}
# This process's copy of the content version, and of the pages it served lately.
_process = SimpleNamespace(version=None, checked_at=-inf, down_until=-inf)
nearby = LocMemCache("pages", {"OPTIONS": {"MAX_ENTRIES": settings.PAGE_CACHE_LOCAL_PAGES}})


def slot(name):
    """Where a visitor's own value goes in a page with per-visitor fields."""
    return f"\x00{name}\x00"


def public_page(view=None, /, *, query=(), private_query=(), per_visitor=None):
    """Declare a view's GET and HEAD responses the same for every visitor (see the module)."""
    if view is None:
        return partial(
            public_page, query=query, private_query=private_query, per_visitor=per_visitor
        )
    allowed = {  # a pattern, or the values themselves
        name: re.compile(v if isinstance(v, str) else "|".join(map(re.escape, v)))
        for name, v in dict(query).items()
    }
    page_cache = {"allowed": allowed, "private": set(private_query), "per_visitor": per_visitor}

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        url = _url(request, page_cache)
        if per_visitor:  # its view renders slots: always filled, kept when `url` says so
            response = _filled(request, url, per_visitor, partial(view, request, *args, **kwargs))
        else:
            response = view(request, *args, **kwargs)
        if per_visitor or not url:
            add_never_cache_headers(response)
        elif response.status_code == 200 and not settings.DEBUG:
            patch_cache_control(response, public=True, max_age=settings.PAGE_CACHE_SECONDS)
        return response

    wrapped.page_cache = page_cache
    return wrapped


def _url(request, page_cache):
    """What makes this request's page distinct, or "" if it must not be kept."""
    kept = {}
    for name, value in parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True):
        if name in page_cache["private"] and value.strip():
            return ""
        if name in page_cache["allowed"]:
            kept[name] = value
    kept = {name: value for name, value in kept.items() if value}
    if any(not page_cache["allowed"][name].fullmatch(value) for name, value in kept.items()):
        return ""
    prefix = request.META.get("SCRIPT_NAME", "")  # part of every link on the page
    return f"{request.scheme}:{prefix}|{request.path_info}?{urlencode(sorted(kept.items()))}"


@lru_cache(maxsize=4096)
def _declared(urlconf, path):
    """What the view at `path` declared, or None."""
    language = translation.get_language_from_path(path) or settings.LANGUAGE_CODE
    try:
        with translation.override(language):  # /es/… resolves with Spanish active
            return getattr(resolve(path, urlconf).func, "page_cache", None)
    except Resolver404:
        return None


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        page_cache = None
        if request.method in ("GET", "HEAD") and not any(
            name != settings.CSRF_COOKIE_NAME for name in request.COOKIES
        ):
            page_cache = _declared(settings.ROOT_URLCONF, request.path_info)
        if not page_cache or page_cache["per_visitor"]:
            return self.get_response(request)
        try:
            request.get_host()
        except DisallowedHost:  # answered further in: a 400
            return self.get_response(request)
        key = _key("page", _url(request, page_cache))
        entry = key and _get(key)
        if entry:
            return _respond(entry, request)
        response = self.get_response(request)
        if not key or not (
            response.status_code == 200
            and "public" in response.get("Cache-Control", "")
            and not response.cookies
            and "cookie" not in response.get("Vary", "").lower()
            and not response.streaming
        ):
            return response
        body = response.content  # compressed once; these pages hold no secret (BREACH)
        bodies = {"identity": body}
        if len(body) >= 200:
            bodies.update(br=brotli.compress(body, quality=9), gzip=gzip.compress(body, mtime=0))
        return _respond(_set(key, _entry(response, bodies=bodies)), request)


def _key(kind, url):
    """The cache key for a page, or "" when nothing is kept (development, shared cache down)."""
    now = time.monotonic()
    if not url or settings.DEBUG or now < _process.down_until:
        return ""
    if not 0 <= now - _process.checked_at < settings.PAGE_CACHE_VERSION_CHECK_SECONDS:
        try:
            version = import_string(settings.PAGE_CACHE_CONTENT_VERSION)()
        except Exception:
            return _cache_down()
        _process.version, _process.checked_at = version, now
    return f"{kind}:{_process.version}:{url}"


def _get(key):
    entry = nearby.get(key)
    if entry is None:
        try:
            entry = cache.get(key)
        except Exception:
            return _cache_down()
        if entry:
            nearby.set(key, entry, timeout=entry["expires"] - time.time())
    return entry


def _set(key, entry):
    try:
        cache.set(key, entry, timeout=settings.PAGE_CACHE_SECONDS)
        nearby.set(key, entry, timeout=settings.PAGE_CACHE_SECONDS)
    except Exception:
        _cache_down()
    return entry


def _cache_down():
    logger.exception("Shared cache unavailable: serving pages uncached")
    _process.down_until = time.monotonic() + settings.PAGE_CACHE_VERSION_CHECK_SECONDS
    nearby.clear()
    return ""


def _entry(response, **body):
    """What is kept of a response: status, headers (those of the body aside) and `body`."""
    headers = [(k, v) for k, v in response.items() if k.lower() not in BODY_HEADERS]
    expires = time.time() + settings.PAGE_CACHE_SECONDS
    return {"status": response.status_code, "headers": headers, "expires": expires, **body}


def _response(entry, body, encoding=None):
    response = HttpResponse(body, status=entry["status"])
    for name, value in entry["headers"]:
        response.headers[name] = value
    response.headers["Content-Length"] = str(len(response.content))
    if encoding:
        response.headers["Content-Encoding"] = encoding
    return response


def _respond(entry, request):
    """A kept page, in the best encoding the client takes."""
    accepts = request.META.get("HTTP_ACCEPT_ENCODING", "")
    bodies = entry["bodies"]
    encoding = next((e for e in ("br", "gzip") if e in bodies and ACCEPTS[e].search(accepts)), None)
    response = _response(entry, bodies[encoding or "identity"], encoding)
    if len(bodies) > 1:
        patch_vary_headers(response, ["Accept-Encoding"])
    return response


def _filled(request, url, per_visitor, render):
    """The page with this visitor's fields filled in, from its kept copy (rendered and kept
    first if there is none)."""
    key = _key("fields", url)
    entry = key and _get(key)
    if not entry:
        response = render()
        entry = _entry(response, page=response.content.decode())
        if key and response.status_code == 200:
            _set(key, entry)
    values = per_visitor(request)
    return _response(entry, SLOT.sub(lambda match: values[match[1]], entry["page"]))
