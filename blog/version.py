"""The content version: a number that changes whenever a sync changes what is published.

The page cache keys every page by it (settings.PAGE_CACHE_CONTENT_VERSION names `current`), so a
sync makes every cached page stale at once, on every host, without clearing anything else in the
shared cache. It lives in the shared cache, where every worker and host reads it.
"""

import time

from django.core.cache import cache

KEY = "content-version"


def current():
    return cache.get_or_set(KEY, time.time_ns, timeout=None)


def start_new():
    """After a sync's commit (sync_content): the new content is what every page shows next."""
    cache.set(KEY, time.time_ns(), timeout=None)
