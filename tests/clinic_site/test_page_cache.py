"""Public pages come from the page cache: a repeat visit never reaches the view or the database,
looks exactly like a fresh page (headers included), and a content sync shows at once. Nothing a
visitor sends but the page's own address and the query values its view declared makes a new
entry, and nothing a visitor typed is kept."""

import gzip
import pickle
import re
import shutil
import time

import brotli
import pytest
from django.conf import settings as django_settings
from django.core.cache import cache

from blog import version
from blog.content import sync_content
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
def cache_writes(monkeypatch):
    """Every value the site writes to the shared cache in the test, whichever backend it is."""
    writes = []
    real_set = cache.set

    def record(key, value, *args, **kwargs):
        writes.append(pickle.dumps(value))
        return real_set(key, value, *args, **kwargs)

    monkeypatch.setattr(cache, "set", record)
    return writes


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
    # What an edge cache in front (nginx) reads: it may keep this page for everyone.
    assert re.fullmatch(r"public, max-age=\d+|max-age=\d+, public", cached["Cache-Control"])
    assert cached["Content-Type"] == fresh["Content-Type"]
    assert not cached.cookies


def test_cached_pages_are_compressed_once_not_on_every_request(client, site_content):
    responses = [client.get(ARTICLE, HTTP_ACCEPT_ENCODING="gzip, deflate, br") for _ in range(3)]
    assert {r["Content-Encoding"] for r in responses} == {"br"}
    assert "Accept-Encoding" in responses[2]["Vary"]
    # Compressing each response would differ each time (GZipMiddleware pads against BREACH):
    # the same bytes twice are the copy compressed when the page was kept.
    gzipped = [client.get(ARTICLE, HTTP_ACCEPT_ENCODING=a) for a in ("gzip", "br;q=0, gzip")]
    assert gzipped[0]["Content-Encoding"] == "gzip"
    assert gzipped[0].content == gzipped[1].content
    assert responses[1].content == responses[2].content
    plain = client.get(ARTICLE, HTTP_ACCEPT_ENCODING="")
    assert not plain.has_header("Content-Encoding")
    assert body(gzipped[0]) == body(plain) == body(responses[0])
    assert int(plain["Content-Length"]) == len(plain.content)


@pytest.mark.parametrize("url", ["/blog/?q=spravato", "/contact/"])
def test_a_page_filled_per_visitor_comes_compressed_as_the_browser_asks(client, site_content, url):
    """Each visitor's copy is compressed for them: brotli for a browser that takes it, gzip
    (padded by GZipMiddleware) for one that takes only gzip, and the same page either way."""
    client.get(url)  # the page around the per-visitor fields is kept
    pages = {}
    codings = {"gzip, deflate, br": "br", "gzip": "gzip", "br;q=0, gzip": "gzip", "": ""}
    for accepts, coding in codings.items():
        response = client.get(url, HTTP_ACCEPT_ENCODING=accepts)
        assert response.get("Content-Encoding", "") == coding
        assert "no-store" in response["Cache-Control"]
        if accepts:
            assert "Accept-Encoding" in response["Vary"]
        # The tokens are each visitor's own: compare the page without them.
        pages[accepts] = re.sub(r'value="[^"]{20,}"', "", body(response))
    assert pages["gzip, deflate, br"] == pages["gzip"] == pages["br;q=0, gzip"] == pages[""]
    assert "Spravato" in pages[""]


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
    now = [time.monotonic() + 60]  # well after whatever an earlier test last checked
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    client.get(ARTICLE)
    client.get(ARTICLE)
    assert len(views_entered) == 1
    version.start_new()  # what another host's sync does after its commit
    now[0] += 0.5
    client.get(ARTICLE)
    assert len(views_entered) == 1  # within the interval this process may still serve its copy
    now[0] += 0.6
    client.get(ARTICLE)
    assert len(views_entered) == 2


def test_query_strings_a_page_does_not_declare_make_no_new_entry(
    client, site_content, views_entered, cache_writes, django_assert_num_queries
):
    client.get("/blog/")
    client.get("/")
    assert len(cache_writes) == 2
    with django_assert_num_queries(0):
        for junk in ["?utm_source=mail", "?fbclid=1&x=2", "?page=&utm_campaign=spring", "?q="]:
            assert client.get("/blog/" + junk).status_code == 200
        for unused in ["/?page=2", "/?page=3", "/?anything=4"]:
            assert client.get(unused).status_code == 200
    assert len(cache_writes) == 2
    assert views_entered.count("blog/article_list.html") == 1
    # A page the list has is a page of its own, kept once.
    client.get("/blog/?page=1&utm_source=mail")
    client.get("/blog/?utm_source=x&page=1")
    assert views_entered.count("blog/article_list.html") == 2
    assert len(cache_writes) == 3


def test_a_value_a_page_does_not_declare_is_served_fresh_and_kept_nowhere(
    client, site_content, views_entered, cache_writes
):
    for _ in range(2):
        response = client.get("/blog/?page=abc")
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
    assert views_entered.count("blog/article_list.html") == 2
    assert cache_writes == []


def test_what_a_visitor_searches_for_is_never_kept(client, site_content, cache_writes):
    for _ in range(2):
        response = client.get("/blog/?q=spravato+zeppelin")
        assert "no-store" in response["Cache-Control"]
        assert "zeppelin" in response.content.decode()
    client.get("/es/blog/?q=zeppelin&page=2")
    assert cache_writes  # the page around the results is kept ...
    assert not any(b"zeppelin" in value for value in cache_writes)  # ... the search is not


def test_visitors_with_a_session_always_get_a_fresh_page(
    client, site_content, make_staff, signed_in, views_entered
):
    client.get(ARTICLE)
    staff = signed_in(make_staff())
    staff.get(ARTICLE)
    staff.get(ARTICLE)
    assert len(views_entered) == 3
    assert staff.get("/" + django_settings.ADMIN_URL_PATH).status_code == 200
    client.get(ARTICLE)
    assert len(views_entered) == 3


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


# Issue 21, finding 8: ways to flood or skip the cache.


def test_a_host_variant_is_answered_from_the_same_cached_page(
    client, site_content, settings, django_assert_num_queries, cache_writes
):
    settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1"]
    first = client.get(ARTICLE)
    for port in (8000, 8001, 65000):
        with django_assert_num_queries(0):
            variant = client.get(ARTICLE, HTTP_HOST=f"127.0.0.1:{port}")
        assert variant.status_code == 200
        assert body(variant) == body(first)
    assert len(cache_writes) == 1
    # The page names the site's own address, whatever Host it was first asked for under.
    assert 'rel="canonical" href="https://testserver/blog/' in body(first)
    assert "127.0.0.1" not in body(client.get("/", HTTP_HOST="127.0.0.1:8001"))
    # A host the site does not serve is still refused, cached page or not.
    assert client.get(ARTICLE, HTTP_HOST="evil.example").status_code == 400


def test_a_page_number_on_a_page_without_pages_is_answered_from_the_cache(
    client, site_content, django_assert_num_queries
):
    client.get("/")
    for number in (2, 3, 99):
        with django_assert_num_queries(0):
            assert client.get(f"/?page={number}").status_code == 200


def test_head_is_answered_from_the_cache(client, site_content, django_assert_num_queries):
    get = client.get(ARTICLE, HTTP_ACCEPT_ENCODING="br")
    with django_assert_num_queries(0):
        head = client.head(ARTICLE, HTTP_ACCEPT_ENCODING="br")
    assert head.status_code == 200
    assert head.content == b""
    assert head["Content-Length"] == get["Content-Length"]
    assert head["Content-Encoding"] == "br"
    # And a HEAD first keeps the page for the GET after it.
    client.head("/services/")
    with django_assert_num_queries(0):
        assert client.get("/services/").status_code == 200


def test_what_an_edge_cache_in_front_may_keep(client, site_content):
    """nginx in production keeps what says public, and nothing that says private or no-store."""
    for url in ["/", ARTICLE, "/es/services/", "/blog/?page=1", "/sitemap.xml", "/blog/feed/rss/"]:
        cache_control = client.get(url)["Cache-Control"]
        assert "public" in cache_control and "max-age=" in cache_control, url
    for url in ["/contact/", "/es/contact/?service=tms", "/blog/?q=spravato", "/blog/?page=x"]:
        cache_control = client.get(url)["Cache-Control"]
        assert "no-store" in cache_control and "private" in cache_control, url
        assert "public" not in cache_control, url
    assert "public" not in client.get("/blog/no-such-article/").get("Cache-Control", "")
