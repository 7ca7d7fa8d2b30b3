from datetime import datetime, time

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed

from clinic_site.clinic import get_clinic

from .models import Article


class LatestArticles(Feed):
    """Links are absolute on settings.SITE_URL, whatever Host the feed was asked under."""

    description_template = None
    url_name = "blog:rss"

    def title(self):
        return f"{get_clinic().name}: articles"

    def link(self):
        return settings.SITE_URL + reverse("blog:list")

    def feed_url(self):
        return settings.SITE_URL + reverse(self.url_name)

    def item_link(self, item):
        return settings.SITE_URL + item.get_absolute_url()

    def description(self):
        return "Articles on treatment-resistant depression, Spravato (esketamine) and TMS."

    def items(self):
        return Article.objects.published().prefetch_related("tags")[:20]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary

    def item_author_name(self, item):
        return item.author

    def item_pubdate(self, item):
        return timezone.make_aware(datetime.combine(item.published_on, time(9)))

    def item_updateddate(self, item):
        return timezone.make_aware(datetime.combine(item.modified_on, time(9)))

    def item_categories(self, item):
        return [tag.name for tag in item.tags.all()]


class LatestArticlesAtom(LatestArticles):
    feed_type = Atom1Feed
    url_name = "blog:atom"

    def subtitle(self):
        return self.description()
