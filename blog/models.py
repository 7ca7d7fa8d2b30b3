from datetime import timedelta

from django.db import models
from django.urls import reverse
from django.utils import timezone


class Tag(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("blog:tag", args=[self.slug])


class ArticleQuerySet(models.QuerySet):
    # What an article card (lists, related articles, the home page) shows.
    CARD_FIELDS = (
        "slug",
        "title",
        "summary",
        "published_on",
        "dated_by_file",
        "updated_on",
        "word_count",
        "hero",
    )

    def published(self):
        return self.filter(is_published=True, published_on__lte=timezone.localdate())

    def cards(self):
        return self.only(*self.CARD_FIELDS)

    def cards_by_slug(self, slugs):
        """{slug: article} for the published ones among `slugs`, in one query."""
        wanted = [slug for slug in slugs if slug]
        return {a.slug: a for a in self.published().cards().filter(slug__in=wanted)}


class ContentFields(models.Model):
    """What articles and pages share: a Markdown file in content/, rendered once at sync time."""

    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, help_text="The meta description.")
    body_html = models.TextField(help_text="Rendered and sanitised at sync time.")
    body_text = models.TextField(help_text="Plain text, for search.")
    toc = models.JSONField(default=list, blank=True)
    word_count = models.PositiveIntegerField(default=0)
    source_path = models.CharField(max_length=300, help_text="The file under content/.")
    source_hash = models.CharField(max_length=64)
    is_published = models.BooleanField(default=True)
    synced_at = models.DateTimeField(default=timezone.now)

    # The table of contents shows from this many headings on (articles 3, pages 4).
    toc_min_headings = 3

    class Meta:
        abstract = True

    def __str__(self):
        return self.title

    @property
    def reading_minutes(self):
        # 200 words a minute: a comfortable pace for health information.
        return max(1, round(self.word_count / 200))

    @property
    def show_toc(self):
        return len(self.toc) >= self.toc_min_headings


# A clinical text is reviewed again after this long.
REVIEW_EVERY = timedelta(days=365)


def review_due():
    """Content whose medical review is missing or more than REVIEW_EVERY old."""
    cutoff = timezone.localdate() - REVIEW_EVERY
    return models.Q(reviewed_on__isnull=True) | models.Q(reviewed_on__lt=cutoff)


class Article(ContentFields):
    author = models.CharField(max_length=100)
    reviewer = models.CharField(max_length=100, blank=True)
    reviewed_on = models.DateField(null=True, blank=True)
    published_on = models.DateField()
    # True when the front matter gives no publication date: published_on is then the date the
    # file last changed, and pages say "Updated", never "Published", for it.
    dated_by_file = models.BooleanField(default=False)
    updated_on = models.DateField(null=True, blank=True)
    tags = models.ManyToManyField(Tag, related_name="articles", blank=True)
    services = models.JSONField(default=list, blank=True)
    # Precomputed at sync time, so the article page needs one query for all of them.
    related_slugs = models.JSONField(default=list, blank=True)
    previous_slug = models.SlugField(max_length=100, blank=True)
    next_slug = models.SlugField(max_length=100, blank=True)
    hero = models.JSONField(
        null=True, blank=True, help_text="Processed hero image: alt, width, height, sources."
    )

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_on", "-id"]
        indexes = [models.Index(fields=["is_published", "-published_on"])]
        # Articles and pages alike: the admin index tells whoever has it which reviews are due.
        permissions = [("review_content", "Is told when a clinical text's review is due")]

    def get_absolute_url(self):
        return reverse("blog:article", args=[self.slug])

    @property
    def primary_service(self):
        return self.services[0] if self.services else ""

    @property
    def modified_on(self):
        return self.updated_on or self.published_on


class PageQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)


class Page(ContentFields):
    """A clinic page (a service, about, privacy, accessibility) written in Markdown."""

    class Section(models.TextChoices):
        SERVICES = "services", "Services"
        CLINIC = "clinic", "Clinic"

    section = models.CharField(max_length=20, choices=Section.choices, default=Section.CLINIC)
    service = models.CharField(max_length=20, blank=True)
    order = models.PositiveSmallIntegerField(default=100)
    nav_title = models.CharField(max_length=100, blank=True)
    reviewer = models.CharField(max_length=100, blank=True)
    reviewed_on = models.DateField(null=True, blank=True)
    updated_on = models.DateField(null=True, blank=True)
    # For a service page: the newest articles about its service, worked out at sync time.
    related_slugs = models.JSONField(default=list, blank=True)

    toc_min_headings = 4

    objects = PageQuerySet.as_manager()

    class Meta:
        ordering = ["section", "order", "title"]

    def get_absolute_url(self):
        if self.section == self.Section.SERVICES:
            return reverse("service", args=[self.slug])
        return reverse("page", args=[self.slug])
