"""Whole-page caching for public pages, dropped whenever the content changes.

Cache keys carry a content version; syncing the content sets a new version, so every cached
page is stale at once without clearing the rest of the shared cache (rate limits live there).
"""

import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.views.decorators.cache import cache_page

VERSION_KEY = "content-version"


def content_version():
    version = cache.get(VERSION_KEY)
    if version is None:
        version = time.time_ns()
        if not cache.add(VERSION_KEY, version, timeout=None):
            version = cache.get(VERSION_KEY, version)
    return version


def bump_content_version():
    cache.set(VERSION_KEY, time.time_ns(), timeout=None)


def public_page(view):
    """Cache a public page (not in development, and not search results)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if settings.DEBUG or request.GET.get("q"):
            return view(request, *args, **kwargs)
        cached_view = cache_page(
            settings.PAGE_CACHE_SECONDS, key_prefix=f"page-{content_version()}"
        )(view)
        return cached_view(request, *args, **kwargs)

    return wrapped
