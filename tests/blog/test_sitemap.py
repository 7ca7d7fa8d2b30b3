"""The sitemap and the feeds: rendered once per content version for every host, not on every
page-cache miss; the sitemap split into an index past the protocol's 50,000 URLs."""

import re
from datetime import date
from unittest import mock
from xml.etree import ElementTree

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import resolve
from django.utils import translation

from blog.sitemaps import BothLanguages

pytestmark = pytest.mark.django_db

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def fetch(url):
    """What the view answers when the page cache has no copy (its copy lasts minutes)."""
    with translation.override("es" if url.startswith("/es/") else "en"):
        match = resolve(url)
        return match.func(RequestFactory().get(url, secure=True), **match.kwargs)


def locs(xml):
    root = ElementTree.fromstring(xml)  # noqa: S314 (our own sitemap)
    return [loc.text for loc in root.iterfind(".//s:loc", NS)]


@pytest.mark.parametrize("url", ["/sitemap.xml", "/blog/feed/rss/", "/es/blog/feed/atom/"])
def test_sitemap_and_feeds_are_rendered_once_until_the_content_changes(
    url, content, django_assert_num_queries, django_capture_on_commit_callbacks
):
    content.article("first-article", title="First article")
    with django_capture_on_commit_callbacks(execute=True):
        content.sync()
    first = fetch(url)
    assert b"first-article" in first.content
    with django_assert_num_queries(0):
        again = fetch(url)
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]

    content.article("second-article", title="Second article")
    with django_capture_on_commit_callbacks(execute=True):
        content.sync()
    assert b"second-article" in fetch(url).content


def test_an_article_enters_the_sitemap_and_feeds_on_its_date(content):
    content.article("scheduled", published="2099-01-01")
    content.sync()
    assert b"/blog/scheduled/" not in fetch("/sitemap.xml").content
    assert b"/blog/scheduled/" not in fetch("/blog/feed/rss/").content
    with mock.patch("django.utils.timezone.localdate", return_value=date(2099, 1, 1)):
        assert b"/blog/scheduled/" in fetch("/sitemap.xml").content
        assert b"/blog/scheduled/" in fetch("/blog/feed/rss/").content


def test_past_the_url_limit_the_sitemap_is_an_index_of_smaller_sitemaps(
    client, site_content, monkeypatch
):
    whole = locs(client.get("/sitemap.xml").content)
    assert len(whole) > 20
    monkeypatch.setattr(BothLanguages, "limit", 5)
    cache.clear()  # as after a sync
    index = client.get("/sitemap.xml")
    assert index.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex')
    parts = locs(index.content)
    assert "https://testserver/sitemap-articles.xml" in parts
    assert "https://testserver/sitemap-static.xml?p=2" in parts
    found = []
    for part in parts:
        response = client.get(re.sub("^https://testserver", "", part))
        assert response.status_code == 200, part
        assert len(locs(response.content)) <= 5
        found += locs(response.content)
    assert sorted(found) == sorted(whole)
