from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .models import Article, Page, Tag


class ArticleSitemap(Sitemap):
    def items(self):
        return Article.objects.published()

    def lastmod(self, item):
        return item.modified_on


class PageSitemap(Sitemap):
    def items(self):
        return Page.objects.published()

    def lastmod(self, item):
        return item.updated_on


class TagSitemap(Sitemap):
    def items(self):
        return Tag.objects.filter(articles__in=Article.objects.published()).distinct()


class StaticSitemap(Sitemap):
    """Pages that are views rather than content files."""

    names = ["home", "services", "blog:list", "appointments:contact"]

    def items(self):
        return self.names

    def location(self, item):
        return reverse(item)


SITEMAPS = {
    "static": StaticSitemap,
    "pages": PageSitemap,
    "articles": ArticleSitemap,
    "tags": TagSitemap,
}
