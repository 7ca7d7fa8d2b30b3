"""Public pages come from the page cache: a repeat visit never reaches the view or the database,
looks exactly like a fresh page (headers included), and a content sync shows at once."""

import gzip
import re
import shutil
import time

import brotli
import pytest
from django.conf import settings as django_settings
from django.core.cache import cache

from blog.content import sync_content
from clinic_site import cache as page_cache
from tests.conftest import SITE_CONTENT

ARTICLE = "/blog/esketamine-therapy-for-treatment-resistant-depression/"
SECURITY_HEADERS = [
    "Content-Security-Policy",
    "Strict-Transport-Security",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
    "Permissions-Policy",
    "X-Frame-Options",
    "Cache-Control",
]


@pytest.fixture(autouse=True)
def _fresh_process_cache():
    page_cache._local.reset()
    yield
    page_cache._local.reset()


@pytest.fixture
def views_entered(monkeypatch):
    """How many times a blog view rendered a page."""
    import blog.views

    calls = []
    real_render = blog.views.render

    def render(*args, **kwargs):
        calls.append(args[1])
        return real_render(*args, **kwargs)

    monkeypatch.setattr(blog.views, "render", render)
    return calls


@pytest.fixture
def page_keys(monkeypatch):
    """The pages stored in the shared cache during the test (whichever backend it runs with),
    seen through the cache the middleware writes to rather than the backend's insides."""
    stored = set()

    class Recording:
        def __getattr__(self, name):
            return getattr(cache, name)

        def set(self, key, *args, **kwargs):
            stored.add(key)
            return cache.set(key, *args, **kwargs)

    monkeypatch.setattr(page_cache, "cache", Recording())
    return lambda: sorted(stored)


def body(response):
    decode = {"br": brotli.decompress, "gzip": gzip.decompress}.get(
        response.get("Content-Encoding"), lambda data: data
    )
    return decode(response.content).decode()


def test_a_repeat_visit_runs_no_query_and_never_reaches_the_view(
    client, site_content, views_entered, django_assert_num_queries
):
    first = client.get(ARTICLE)
    assert first.status_code == 200
    assert views_entered == ["blog/article_detail.html"]
    with django_assert_num_queries(0):
        again = client.get(ARTICLE)
    assert again.status_code == 200
    assert views_entered == ["blog/article_detail.html"]
    assert body(again) == body(first)


def test_a_cached_page_carries_the_same_headers_as_a_fresh_one(client, site_content):
    fresh = client.get("/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    cached = client.get("/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    for header in SECURITY_HEADERS:
        assert cached[header] == fresh[header], header
    assert cached["X-Frame-Options"] == "DENY"
    assert "max-age=" in cached["Cache-Control"]
    assert cached["Content-Type"] == fresh["Content-Type"]
    assert not cached.cookies


def test_cached_pages_are_compressed_once_not_on_every_request(client, site_content, monkeypatch):
    compressed = []
    real = page_cache.brotli.compress
    monkeypatch.setattr(
        page_cache.brotli, "compress", lambda data, **kw: compressed.append(1) or real(data, **kw)
    )
    responses = [client.get(ARTICLE, HTTP_ACCEPT_ENCODING="gzip, deflate, br") for _ in range(3)]
    assert len(compressed) == 1
    assert {r["Content-Encoding"] for r in responses} == {"br"}
    assert responses[1].content == responses[2].content
    assert "Accept-Encoding" in responses[2]["Vary"]
    gzipped = client.get(ARTICLE, HTTP_ACCEPT_ENCODING="gzip")
    assert gzipped["Content-Encoding"] == "gzip"
    plain = client.get(ARTICLE, HTTP_ACCEPT_ENCODING="")
    assert not plain.has_header("Content-Encoding")
    assert body(gzipped) == body(plain) == body(responses[0])
    assert int(plain["Content-Length"]) == len(plain.content)


def test_a_content_sync_shows_on_the_next_request(
    client, db, tmp_path, settings, django_capture_on_commit_callbacks
):
    folder = tmp_path / "content"
    shutil.copytree(SITE_CONTENT, folder)
    settings.GENERATED_IMAGES_DIR = tmp_path / "generated"
    sync_content(folder)
    assert "Meet the clinic" not in body(client.get("/about/"))
    page = folder / "pages" / "about.md"
    title = re.compile(r"^title: .*$", flags=re.M)
    renamed = title.sub('title: "Meet the clinic"', page.read_text(), count=1)
    page.write_text(renamed)
    with django_capture_on_commit_callbacks(execute=True):
        assert not sync_content(folder).errors
    assert "Meet the clinic" in body(client.get("/about/"))


def test_a_sync_on_another_host_shows_within_the_version_check_interval(
    client, site_content, settings, views_entered, monkeypatch
):
    settings.PAGE_CACHE_VERSION_CHECK_SECONDS = 1
    now = [1000.0]
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: now[0])
    client.get(ARTICLE)
    client.get(ARTICLE)
    assert len(views_entered) == 1
    # Another host synced: it wrote a new version to the shared cache.
    cache.set(page_cache.VERSION_KEY, time.time_ns(), timeout=None)
    now[0] += 0.5
    client.get(ARTICLE)
    assert len(views_entered) == 1  # within the interval this process may still serve its copy
    now[0] += 0.6
    client.get(ARTICLE)
    assert len(views_entered) == 2


def test_query_strings_a_page_does_not_read_make_no_cache_entries(
    client, site_content, views_entered, page_keys
):
    client.get("/blog/")
    assert len(page_keys()) == 1
    for junk in ["?utm_source=mail", "?fbclid=1&x=2", "?page=1&utm_campaign=spring"]:
        assert client.get("/blog/" + junk).status_code == 200
    for unused in ["/?page=2", "/?page=3", "/?anything=4"]:
        assert client.get(unused).status_code == 200
    assert len(page_keys()) == 3  # /blog/, /blog/?page=1 (the list reads it) and /
    version = page_cache.content_version()
    kept = [
        "https://testserver|/blog/?",
        "https://testserver|/blog/?page=1",
        "https://testserver|/?",
    ]
    assert page_keys() == sorted(page_cache._key(version, url) for url in kept)
    assert views_entered.count("blog/article_list.html") == 2


def test_searches_are_never_cached(client, site_content, page_keys):
    client.get("/blog/?q=spravato")
    client.get("/blog/?q=spravato")
    assert page_keys() == []


def test_visitors_with_a_session_always_get_a_fresh_page(
    client, site_content, make_staff, signed_in, views_entered, page_keys
):
    client.get(ARTICLE)
    staff = signed_in(make_staff())
    staff.get(ARTICLE)
    staff.get(ARTICLE)
    assert len(views_entered) == 3
    assert staff.get("/" + django_settings.ADMIN_URL_PATH).status_code == 200
    assert len(page_keys()) == 1


def test_with_the_shared_cache_down_public_pages_are_served_uncached(
    client, site_content, settings, caplog
):
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        },
    }
    for url in ["/", ARTICLE, "/services/", "/blog/", "/sitemap.xml", "/blog/feed/rss/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Content-Security-Policy" in response
    assert "Shared cache unavailable" in caplog.text
