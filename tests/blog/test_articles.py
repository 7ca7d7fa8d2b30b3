"""Patients and search engines reading the articles."""

import json
import re
from unittest import mock

import pytest
from django.test import RequestFactory

from blog.middleware import ContentReloadMiddleware
from blog.models import Article
from blog.views import article_detail

pytestmark = pytest.mark.django_db

ESKETAMINE = "/blog/esketamine-therapy-for-treatment-resistant-depression/"
UNLOCKING = "/blog/spravato-and-therapy-for-treatment-resistant-depression/"


def jsonld(html):
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [json.loads(block) for block in blocks]


def test_blog_lists_newest_first_with_summary_date_and_reading_time(client, content):
    content.article("older", published="2025-01-01", summary="What the older one says.")
    content.article("newer", published="2025-02-01")
    content.sync()
    html = client.get("/blog/").content.decode()
    assert html.index("Newer") < html.index("Older")
    assert "What the older one says." in html
    assert '<time datetime="2025-01-01">January 1, 2025</time>' in html
    assert re.search(r"\d+ min read", html)


def test_blog_is_paginated(client, content):
    for day in range(1, 13):
        content.article(f"post-{day:02d}", published=f"2025-03-{day:02d}")
    content.sync()
    first = client.get("/blog/").content.decode()
    second = client.get("/blog/?page=2").content.decode()
    assert "Post 12" in first and "Post 03" in first and "Post 02" not in first
    assert "Post 02" in second and "Post 01" in second
    assert "Page 2 of 2" in second
    assert 'rel="canonical" href="https://testserver/blog/?page=2"' in second


def test_article_shows_reviewer_and_updated_date_when_present(client, content):
    content.article(
        "reviewed",
        reviewed_by="Dr. Rivera, MD",
        reviewed_on="2025-05-02",
        updated="2025-05-01",
    )
    content.sync()
    html = client.get("/blog/reviewed/").content.decode()
    assert "Medically reviewed by Dr. Rivera, MD on" in html
    assert '<time datetime="2025-05-02">May 2, 2025</time>' in html
    assert "Updated <time" in html
    [data] = jsonld(html)
    assert data["reviewedBy"] == {"@type": "Person", "name": "Dr. Rivera, MD"}
    assert data["lastReviewed"] == "2025-05-02"
    assert data["dateModified"] == "2025-05-01"


def test_article_links_related_articles_and_neighbours(client, site_content):
    html = client.get(ESKETAMINE).content.decode()
    related = html.split('id="related-title"', 1)[1]
    assert UNLOCKING in related
    # Unlocking Hope has no known publication date: it is dated by its last change, later.
    assert f'<a href="{UNLOCKING}" rel="next">' in html


def test_article_seo_and_sharing_tags(client, site_content):
    html = client.get(ESKETAMINE).content.decode()
    assert "<title>The Breakthrough Impact of Esketamine Therapy" in html
    assert '<meta name="description" content="How esketamine works' in html
    assert f'<link rel="canonical" href="https://testserver{ESKETAMINE}">' in html
    assert '<meta property="og:type" content="article">' in html
    assert '<meta property="og:title" content="The Breakthrough Impact' in html
    assert '<meta name="twitter:card" content="summary">' in html
    assert 'type="application/rss+xml"' in html and 'type="application/atom+xml"' in html
    [data] = jsonld(html)
    assert "MedicalWebPage" in data["@type"] and "BlogPosting" in data["@type"]
    assert data["author"] == {"@type": "Person", "name": "Dylan Chase"}
    assert data["datePublished"] == "2025-12-11"
    assert data["dateModified"] == "2026-12-06"  # its corrections (the box at its end)


def test_unknown_or_unpublished_article_is_a_404(client, content):
    content.article("draft-piece", draft=True)
    content.sync()
    assert client.get("/blog/draft-piece/").status_code == 404
    assert client.get("/blog/no-such-article/").status_code == 404


def test_tag_page_lists_the_articles_with_that_tag(client, site_content):
    html = client.get("/blog/tags/therapy/").content.decode()
    assert "Articles about therapy" in html
    assert "Unlocking Hope" in html
    assert "The Breakthrough Impact" not in html
    assert client.get("/blog/tags/no-such-tag/").status_code == 404


class TestSearch:
    def results(self, client, query):
        html = client.get("/blog/", {"q": query}).content.decode()
        return re.findall(r'class="article-card__title"><a href="/blog/([^/]+)/">', html)

    def test_finds_words_in_the_body(self, client, content):
        content.article("alpha", title="Alpha", body="Patients describe the induction phase.")
        content.article("beta", title="Beta", body="Nothing to see here.")
        content.sync()
        assert self.results(client, "induction") == ["alpha"]

    def test_ranks_title_matches_first(self, client, content):
        content.article(
            "body-heavy",
            title="Living with depression",
            body="Maintenance " * 30,
            published="2025-06-01",
        )
        content.article(
            "title-match",
            title="Maintenance treatment explained",
            body="About the later phase.",
            published="2025-01-01",
        )
        content.sync()
        assert self.results(client, "maintenance") == ["title-match", "body-heavy"]

    def test_matches_word_forms_and_needs_every_word(self, client, content):
        content.article("forms", title="Forms", body="Treatments for resistant depression.")
        content.sync()
        assert self.results(client, "treatment") == ["forms"]
        assert self.results(client, "treatment resistant") == ["forms"]
        assert self.results(client, "treatment unicorn") == []

    def test_search_syntax_and_markup_in_the_query_are_harmless(self, client, content):
        content.article("safe", title="Safe", body="Plain words.")
        content.sync()
        for query in ['"', "NOT OR AND", "plain*)(", "<script>alert(1)</script>", "':*&|!"]:
            response = client.get("/blog/", {"q": query})
            assert response.status_code == 200
            assert "<script>alert" not in response.content.decode()

    def test_no_results_say_so(self, client, site_content):
        html = client.get("/blog/", {"q": "zebra"}).content.decode()
        assert "0 articles found" in html
        assert '<meta name="robots" content="noindex">' in html

    def test_search_leaves_out_unpublished_articles(self, client, content):
        content.article("hidden", title="Hidden esketamine", draft=True)
        content.article("shown", title="Shown esketamine")
        content.sync()
        assert self.results(client, "esketamine") == ["shown"]


def test_rss_and_atom_feeds_list_the_articles(client, site_content):
    rss = client.get("/blog/feed/rss/")
    atom = client.get("/blog/feed/atom/")
    assert rss["Content-Type"].startswith("application/rss+xml")
    assert atom["Content-Type"].startswith("application/atom+xml")
    for feed in (rss, atom):
        text = feed.content.decode()
        assert "The Breakthrough Impact of Esketamine Therapy" in text
        assert f"https://testserver{ESKETAMINE}" in text


def test_sitemap_covers_every_public_page(client, site_content):
    xml = client.get("/sitemap.xml").content.decode()
    for path in [
        "/", "/blog/", "/contact/", "/services/", "/services/spravato/", "/services/tms/",
        "/about/", "/privacy/", "/accessibility/", ESKETAMINE, UNLOCKING, "/blog/tags/therapy/",
    ]:  # fmt: skip
        assert f"<loc>https://testserver{path}</loc>" in xml, path


def test_robots_txt_names_the_sitemap_but_not_where_the_admin_lives(client):
    text = client.get("/robots.txt").content.decode()
    assert "admin" not in text
    assert "Disallow: /contact/thanks/" in text
    assert "Disallow: /es/contact/thanks/" in text
    assert "Sitemap: https://testserver/sitemap.xml" in text


def test_no_markdown_is_rendered_while_serving_pages(client, site_content):
    with mock.patch("markdown.Markdown.convert", side_effect=AssertionError("rendered")):
        assert client.get(ESKETAMINE).status_code == 200
        assert client.get("/blog/").status_code == 200
        assert client.get("/services/spravato/").status_code == 200


@pytest.fixture
def many_articles(content):
    tags = ["spravato", "tms", "therapy", "trd", "safety"]
    for n in range(200):
        content.article(
            f"generated-{n:03d}",
            published=f"2024-{n % 12 + 1:02d}-{n % 28 + 1:02d}",
            tags=[tags[n % 5], tags[(n + 1) % 5]],
            services=["spravato" if n % 2 else "tms"],
            body=f"## Part one\n\nText {n}.\n\n## Part two\n\nMore.\n\n## Part three\n\nEnd.",
        )
    report = content.sync()
    assert len(report.created) == 200


def test_article_page_needs_at_most_three_queries(
    client, many_articles, django_assert_max_num_queries
):
    with django_assert_max_num_queries(3):
        response = client.get("/blog/generated-100/")
    html = response.content.decode()
    assert html.count('class="card article-card"') == 3  # related articles were found
    assert 'rel="prev"' in html and 'rel="next"' in html


@pytest.mark.parametrize("url", ["/blog/", "/blog/?page=7", "/blog/tags/tms/", "/blog/?q=text"])
def test_list_pages_need_at_most_three_queries(
    client, many_articles, django_assert_max_num_queries, url
):
    with django_assert_max_num_queries(3):
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count('class="card article-card"') == 10


def test_pages_are_cached_and_the_cache_is_dropped_when_content_syncs(
    client, content, django_assert_num_queries, django_capture_on_commit_callbacks
):
    content.article("cached", title="First title")
    content.sync()
    first = client.get("/blog/cached/")
    assert "max-age=" in first["Cache-Control"]
    with django_assert_num_queries(0):
        assert "First title" in client.get("/blog/cached/").content.decode()
    content.article("cached", title="Second title")
    with django_capture_on_commit_callbacks(execute=True):
        content.sync()
    assert "Second title" in client.get("/blog/cached/").content.decode()


def test_in_development_an_edited_file_shows_on_the_next_page_load(content, settings):
    settings.DEBUG = True
    path = content.article("live", title="Before the edit")
    middleware = ContentReloadMiddleware(lambda request: article_detail(request, slug="live"))
    request = RequestFactory().get("/blog/live/")
    assert "Before the edit" in middleware(request).content.decode()
    text = path.read_text().replace("Before the edit", "After the edit")
    path.write_text(text)
    assert "After the edit" in middleware(RequestFactory().get("/blog/live/")).content.decode()


def test_articles_are_read_only_in_the_admin(make_staff, signed_in, site_content):
    admin_client = signed_in(make_staff("boss", role=None, is_superuser=True))
    article = Article.objects.get(slug="esketamine-therapy-for-treatment-resistant-depression")
    changelist = admin_client.get("/admin/blog/article/", HTTP_X_FORWARDED_PROTO="https")
    assert changelist.status_code == 200
    assert "articles/esketamine-therapy-for-treatment-resistant-depression.md" in (
        changelist.content.decode()
    )
    page = admin_client.get(
        f"/admin/blog/article/{article.pk}/change/", HTTP_X_FORWARDED_PROTO="https"
    ).content.decode()
    assert "View on site" in page
    assert 'name="title"' not in page  # no editable fields
    assert "Edit content/articles/" in page
    assert (
        admin_client.get("/admin/blog/article/add/", HTTP_X_FORWARDED_PROTO="https").status_code
        == 403
    )
