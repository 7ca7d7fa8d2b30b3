"""The sitemap, and the rule that it and the feeds are rendered once per content version.

The sitemap lists every page in both languages with its hreflang alternates: at 1,000 articles
it is 2,000 URLs and close to a megabyte, and took longer to render than any page. It, and the
feeds, change only when the content does, so each is rendered on the first request after a
sync and kept in the shared cache (every host's) until the next sync.
"""

import hashlib
import logging
from functools import partial, wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from clinic_site.cache import public_page

from . import version
from .models import Article, Page, Tag

logger = logging.getLogger(__name__)

# A kept copy outlives its content version by at most this long (keys carry the version).
KEPT_SECONDS = 24 * 60 * 60


def rendered_once(view, query=()):
    """`view`'s 200 answers kept in the shared cache, for every host, until the content changes
    or the day does (an article dated today appears today). The page cache's own copy lasts
    minutes; this one spares the render when that copy expires. Only for views whose answer
    is the same for every visitor and depends on nothing but the content, the URL and the
    parameters named in `query`."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if settings.DEBUG:  # in development an edited file shows on reload
            return view(request, *args, **kwargs)
        # Not the Host: links come from SITE_URL (BothLanguages), the same under every host.
        url = f"{request.scheme}:{request.path}?" + "&".join(
            f"{name}={request.GET.get(name, '')}" for name in query
        )
        try:
            digest = hashlib.sha256(url.encode()).hexdigest()
            key = f"rendered:{version.current()}:{timezone.localdate()}:{digest}"
            kept = cache.get(key)
        except Exception:
            logger.exception("Shared cache unavailable: %s rendered afresh", request.path)
            return view(request, *args, **kwargs)
        if kept is None:
            response = view(request, *args, **kwargs)
            if response.status_code != 200:
                return response
            if hasattr(response, "render"):
                response.render()
            kept = {"content": response.content, "headers": dict(response.headers)}
            try:
                cache.set(key, kept, timeout=KEPT_SECONDS)
            except Exception:
                logger.exception("Shared cache unavailable: %s not kept", request.path)
        return HttpResponse(kept["content"], headers=kept["headers"])

    return wrapped


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

    def url_count(self):
        items = self.items()
        count = items.count() if isinstance(items, QuerySet) else len(items)
        return count * len(self._languages())


class BySlug(BothLanguages):
    """Items whose address is the URL named `url_name` with their slug: reversed once per
    language, not for each of the three addresses of each item (half of the render)."""

    url_name = None
    PLACEHOLDER = "slug-placeholder"

    def location(self, item):
        if not hasattr(self, "_patterns"):
            self._patterns = {}
        language = get_language()
        if language not in self._patterns:
            self._patterns[language] = reverse(self.url_name, args=[self.PLACEHOLDER])
        return self._patterns[language].replace(self.PLACEHOLDER, item.slug)


class ArticleSitemap(BySlug):
    url_name = "blog:article"

    def items(self):
        return Article.objects.published().only("slug", "published_on", "updated_on")

    def lastmod(self, item):
        return item.modified_on


class PageSitemap(BothLanguages):
    def items(self):
        return Page.objects.published().only("slug", "section", "updated_on")

    def lastmod(self, item):
        return item.updated_on


class TagSitemap(BySlug):
    url_name = "blog:tag"

    def items(self):
        return Tag.objects.filter(articles__in=Article.objects.published()).distinct()


class StaticSitemap(BothLanguages):
    """Pages that are views rather than content files."""

    names = ["home", "services", "blog:list", "appointments:contact", "referrals:refer"]

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


def _sitemap_or_index(request):
    """The sitemap; past the protocol's 50,000 URLs, an index of one sitemap per section, each
    in pages of 50,000 (https://www.sitemaps.org/protocol.html#index). At about 430 bytes a URL,
    50,000 stay well under the protocol's 50 MB."""
    if sum(section().url_count() for section in SITEMAPS.values()) <= BothLanguages.limit:
        return sitemap_views.sitemap(request, SITEMAPS)
    return sitemap_views.index(request, SITEMAPS, sitemap_url_name="sitemap-section")


# Django's sitemap views read the page number from `p`: ?p=2 is a page of its own.
PAGES = {"p": r"[1-9][0-9]{0,3}"}
sitemap = public_page(query=PAGES)(rendered_once(_sitemap_or_index, query=["p"]))
section_sitemap = public_page(query=PAGES)(
    rendered_once(partial(sitemap_views.sitemap, sitemaps=SITEMAPS), query=["p"])
)
