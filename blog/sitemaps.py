from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .models import Article, Page, Tag


class BothLanguages(Sitemap):
    """Each page at its English and its Spanish address, each naming the other (hreflang), on
    settings.SITE_URL whatever Host the sitemap was asked under."""

    i18n = True
    alternates = True
    x_default = True

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc


class ArticleSitemap(BothLanguages):
    def items(self):
        return Article.objects.published()

    def lastmod(self, item):
        return item.modified_on


class PageSitemap(BothLanguages):
    def items(self):
        return Page.objects.published()

    def lastmod(self, item):
        return item.updated_on


class TagSitemap(BothLanguages):
    def items(self):
        return Tag.objects.filter(articles__in=Article.objects.published()).distinct()


class StaticSitemap(BothLanguages):
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
