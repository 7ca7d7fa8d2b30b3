from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client

from blog.content import sync_content

SITE_CONTENT = Path(__file__).resolve().parents[1] / "content"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Cached pages and rate-limit counters from one test must not leak into the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client():
    """A visitor's browser reaching the site over HTTPS through the proxy, as in production."""
    return Client(HTTP_X_FORWARDED_PROTO="https", HTTP_HOST="testserver")


@pytest.fixture
def site_content(db):
    """The clinic's real articles and pages, loaded as `make run` loads them."""
    report = sync_content(SITE_CONTENT)
    assert not report.errors, report.errors
    return report
