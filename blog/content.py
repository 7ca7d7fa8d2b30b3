"""Markdown files in, articles and pages out.

Files in content/articles/ become articles and files in content/pages/ become clinic pages.
Each is parsed (YAML front matter), rendered once with python-markdown, sanitised with nh3 and
stored, so a GET never renders Markdown. A broken file is reported, by file and field, and
skipped: what was published from it before stays as it was.
"""

import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import frontmatter
import markdown
import nh3
import yaml
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from clinic_site.cache import bump_content_version
from clinic_site.services import CONTENT_SERVICES

from . import images, search
from .models import Article, Page, Tag

# Part of every file's hash: raise it when rendering changes, so the next sync re-renders all.
RENDERER_VERSION = "3"

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Ids the page layout uses; a heading in a file must not take one of them.
RESERVED_IDS = {"main", "content", "crisis-title", "toc-title"}

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "caption", "code", "dd", "div", "dl", "dt", "em", "h2",
    "h3", "h4", "hr", "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td",
    "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "*": {"id"},
    "a": {"href", "title"},
    "abbr": {"title"},
    "ol": {"start"},
    "td": {"align"},
    "th": {"align", "scope"},
}
ALLOWED_CLASSES = {"a": {"footnote-ref", "footnote-backref"}, "div": {"footnote"}}
URL_SCHEMES = {"http", "https", "mailto", "tel", "sms"}

ARTICLE_FIELDS = {
    "title", "slug", "summary", "published", "updated", "author", "reviewer", "reviewed",
    "tags", "services", "image", "image_alt", "draft",
}  # fmt: skip
PAGE_FIELDS = {
    "title", "slug", "summary", "section", "service", "order", "nav_title", "reviewer",
    "reviewed", "updated", "draft",
}  # fmt: skip


@dataclass
class ContentError(Exception):
    path: str
    field: str
    message: str

    def __str__(self):
        where = f"{self.path}: " + (f"field '{self.field}': " if self.field else "")
        return where + self.message


@dataclass
class SyncReport:
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    unpublished: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    @property
    def changed(self):
        return bool(self.created or self.updated or self.unpublished)


# --- Rendering ----------------------------------------------------------------------------


def _heading_slug(value, separator):
    slug = slugify(value) or "section"
    return f"{slug}-section" if slug in RESERVED_IDS else slug


def render_markdown(text):
    """Markdown to (sanitised HTML, table of contents, plain text)."""
    md = markdown.Markdown(
        extensions=["toc", "tables", "attr_list", "footnotes", "sane_lists"],
        extension_configs={"toc": {"toc_depth": "2-3", "slugify": _heading_slug}},
        output_format="html",
    )
    raw_html = md.convert(text)
    body_html = sanitise(raw_html)
    return body_html, _toc(md.toc_tokens), plain_text(body_html)


def sanitise(raw_html):
    """Keep the markup Markdown makes; drop scripts, event handlers, styles and odd URLs."""
    return nh3.clean(
        raw_html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel=None,
    )


def plain_text(body_html):
    text = html.unescape(nh3.clean(body_html, tags=set()))
    return re.sub(r"\s+", " ", text).strip()


def _toc(tokens):
    return [
        {
            "id": token["id"],
            "name": html.unescape(token["name"]),
            "children": _toc(token["children"]),
        }
        for token in tokens
    ]


# --- Parsing ------------------------------------------------------------------------------


def _read(path, rel):
    try:
        raw = path.read_bytes()
        post = frontmatter.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ContentError(rel, "", "the file is not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark else ""
        raise ContentError(rel, "front matter", f"is not valid YAML{line}") from None
    if not isinstance(post.metadata, dict) or not post.metadata:
        raise ContentError(rel, "front matter", "is missing: start the file with --- and YAML")
    return post.metadata, post.content, raw


def _text(meta, rel, name, *, required=True, max_length=None):
    value = meta.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ContentError(rel, name, "is required")
        return ""
    if not isinstance(value, str):
        raise ContentError(rel, name, "must be text")
    value = value.strip()
    if max_length and len(value) > max_length:
        raise ContentError(rel, name, f"is {len(value)} characters; the limit is {max_length}")
    return value


def _date(meta, rel, name, *, required=False):
    value = meta.get(name)
    if value is None:
        if required:
            raise ContentError(rel, name, "is required (YYYY-MM-DD)")
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ContentError(rel, name, f"{value!r} is not a date (YYYY-MM-DD)") from None


def _list(meta, rel, name):
    value = meta.get(name) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ContentError(rel, name, "must be a list of words")
    return [v.strip() for v in value]


def _services(meta, rel, name="services"):
    services = _list(meta, rel, name)
    for service in services:
        if service not in CONTENT_SERVICES:
            known = ", ".join(CONTENT_SERVICES)
            raise ContentError(rel, name, f"unknown service {service!r}; use one of: {known}")
    return services


def _common(meta, body, rel, path, allowed):
    unknown = sorted(set(meta) - allowed)
    if unknown:
        raise ContentError(rel, unknown[0], f"is not a known field ({', '.join(sorted(allowed))})")
    slug = meta.get("slug", path.stem)
    if not isinstance(slug, str) or not SLUG_RE.match(slug) or len(slug) > 100:
        raise ContentError(
            rel, "slug", f"{slug!r} must be lowercase words joined by hyphens (100 at most)"
        )
    if re.search(r"^#\s", body, re.MULTILINE):
        raise ContentError(rel, "body", "uses a level-1 heading; the title is the page's h1")
    if not body.strip():
        raise ContentError(rel, "body", "is empty")
    reviewer = _text(meta, rel, "reviewer", required=False, max_length=100)
    reviewed = _date(meta, rel, "reviewed")
    if reviewed and not reviewer:
        raise ContentError(rel, "reviewer", "is required when 'reviewed' is given")
    return {
        "slug": slug,
        "title": _text(meta, rel, "title", max_length=200),
        "summary": _text(meta, rel, "summary", max_length=300),
        "reviewer": reviewer,
        "reviewed_on": reviewed,
        "updated_on": _date(meta, rel, "updated"),
        "is_published": not meta.get("draft", False),
    }


def _hash(raw, *extra):
    digest = hashlib.sha256(RENDERER_VERSION.encode() + raw)
    for part in extra:
        digest.update(part)
    return digest.hexdigest()


def parse_article(path, content_dir):
    rel = str(path.relative_to(content_dir))
    meta, body, raw = _read(path, rel)
    fields = _common(meta, body, rel, path, ARTICLE_FIELDS)
    fields.update(
        author=_text(meta, rel, "author", max_length=100),
        published_on=_date(meta, rel, "published", required=True),
        services=_services(meta, rel),
    )
    tags = _list(meta, rel, "tags")
    image_bytes = b""
    image_path = None
    if meta.get("image"):
        image_path = (content_dir / str(meta["image"])).resolve()
        if content_dir.resolve() not in image_path.parents:
            raise ContentError(rel, "image", "must be a file inside the content folder")
        if not image_path.is_file():
            raise ContentError(rel, "image", f"file {meta['image']} does not exist")
        alt = meta.get("image_alt")
        if not isinstance(alt, str) or not alt.strip():
            raise ContentError(rel, "image_alt", "is required with an image: describe it")
        image_bytes = image_path.read_bytes()
    elif meta.get("image_alt"):
        raise ContentError(rel, "image", "is missing but 'image_alt' is given")
    fields.update(source_path=rel, source_hash=_hash(raw, image_bytes))
    return {
        "fields": fields,
        "body": body,
        "tags": tags,
        "image": (image_path, meta.get("image_alt", "").strip()) if image_path else None,
    }


def parse_page(path, content_dir):
    rel = str(path.relative_to(content_dir))
    meta, body, raw = _read(path, rel)
    fields = _common(meta, body, rel, path, PAGE_FIELDS)
    section = meta.get("section", Page.Section.CLINIC)
    if section not in Page.Section.values:
        raise ContentError(rel, "section", f"must be one of: {', '.join(Page.Section.values)}")
    service = ""
    if section == Page.Section.SERVICES:
        services = _services({"service": meta.get("service")}, rel, "service")
        if len(services) != 1:
            raise ContentError(rel, "service", "is required for a service page")
        service = services[0]
    order = meta.get("order", 100)
    if not isinstance(order, int) or order < 0:
        raise ContentError(rel, "order", "must be a whole number")
    fields.update(
        section=section,
        service=service,
        order=order,
        nav_title=_text(meta, rel, "nav_title", required=False, max_length=100),
        source_path=rel,
        source_hash=_hash(raw),
    )
    return {"fields": fields, "body": body}


# --- Syncing ------------------------------------------------------------------------------


def _parse_folder(folder, content_dir, parse, report):
    parsed, broken_paths, seen = [], set(), {}
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        try:
            item = parse(path, content_dir)
            slug, rel = item["fields"]["slug"], item["fields"]["source_path"]
            if slug in seen:
                raise ContentError(rel, "slug", f"{slug!r} is already used by {seen[slug]}")
            seen[slug] = rel
            parsed.append(item)
        except ContentError as error:
            report.errors.append(error)
            broken_paths.add(str(path.relative_to(content_dir)))
    return parsed, broken_paths


def _save(model, item, report, extra=()):
    fields = item["fields"]
    existing = model.objects.filter(slug=fields["slug"]).first()
    if (
        existing
        and existing.source_hash == fields["source_hash"]
        and existing.is_published == (fields["is_published"])
    ):
        report.unchanged.append(fields["source_path"])
        return existing, False
    body_html, toc, body_text = render_markdown(item["body"])
    values = {
        **fields,
        "body_html": body_html,
        "body_text": body_text,
        "toc": toc,
        "word_count": len(body_text.split()),
        "synced_at": timezone.now(),
        **dict(extra),
    }
    obj, created = model.objects.update_or_create(slug=fields["slug"], defaults=values)
    (report.created if created else report.updated).append(fields["source_path"])
    return obj, True


def _unpublish_missing(model, kept_slugs, broken_paths, report):
    gone = model.objects.filter(is_published=True).exclude(slug__in=kept_slugs)
    for obj in gone.exclude(source_path__in=broken_paths):
        obj.is_published = False
        obj.save(update_fields=["is_published"])
        report.unpublished.append(obj.source_path)


def _hero(item):
    if not item["image"]:
        return {"hero": None}
    path, alt = item["image"]
    return {"hero": images.process_hero(path, item["fields"]["slug"], alt)}


def _link_content():
    """Related articles (shared tags, then services, then recency) and previous/next; the
    newest articles about each service page's service."""
    articles = list(Article.objects.published().prefetch_related("tags").order_by("published_on"))
    tag_sets = {a.pk: {t.pk for t in a.tags.all()} for a in articles}
    for index, article in enumerate(articles):
        scored = []
        for other in articles:
            if other.pk == article.pk:
                continue
            score = 2 * len(tag_sets[article.pk] & tag_sets[other.pk]) + len(
                set(article.services) & set(other.services)
            )
            if score:
                scored.append((-score, -other.published_on.toordinal(), other.slug))
        related = [slug for _, _, slug in sorted(scored)[:3]]
        previous_slug = articles[index - 1].slug if index > 0 else ""
        next_slug = articles[index + 1].slug if index + 1 < len(articles) else ""
        if (related, previous_slug, next_slug) != (
            article.related_slugs,
            article.previous_slug,
            article.next_slug,
        ):
            Article.objects.filter(pk=article.pk).update(
                related_slugs=related, previous_slug=previous_slug, next_slug=next_slug
            )
    newest_first = articles[::-1]
    for page in Page.objects.published().filter(section=Page.Section.SERVICES):
        related = [a.slug for a in newest_first if page.service in a.services][:3]
        if related != page.related_slugs:
            Page.objects.filter(pk=page.pk).update(related_slugs=related)


def _set_tags(article, names):
    tags = []
    for name in names:
        slug = slugify(name)
        tag, _ = Tag.objects.get_or_create(slug=slug, defaults={"name": name})
        tags.append(tag)
    article.tags.set(tags)


def sync_content(content_dir=None):
    """Bring the database in line with the files. Returns a SyncReport; never raises for a
    broken file (its errors are in the report) so one bad file cannot stop the others."""
    content_dir = Path(content_dir or settings.CONTENT_DIR)
    report = SyncReport()
    articles, broken_articles = _parse_folder(
        content_dir / "articles", content_dir, parse_article, report
    )
    pages, broken_pages = _parse_folder(content_dir / "pages", content_dir, parse_page, report)

    valid_articles = []
    for item in articles:
        try:
            extra = _hero(item)
        except images.ImageError as error:
            report.errors.append(ContentError(item["fields"]["source_path"], "image", str(error)))
            broken_articles.add(item["fields"]["source_path"])
            continue
        valid_articles.append((item, extra))

    with transaction.atomic():
        for item, extra in valid_articles:
            article, changed = _save(Article, item, report, extra)
            if changed:
                _set_tags(article, item["tags"])
        for item in pages:
            _save(Page, item, report)
        _unpublish_missing(
            Article, [i["fields"]["slug"] for i, _ in valid_articles], broken_articles, report
        )
        _unpublish_missing(Page, [i["fields"]["slug"] for i in pages], broken_pages, report)
        if report.changed:
            _link_content()
            search.rebuild_index()
        # Cached pages are dropped once the new content is visible to other connections.
        transaction.on_commit(bump_content_version)
    return report


def content_signature(content_dir=None):
    """What changes when any content file changes: used to re-sync in development."""
    content_dir = Path(content_dir or settings.CONTENT_DIR)
    signature = []
    for path in content_dir.rglob("*"):
        if path.is_file():
            stat = path.stat()
            signature.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(sorted(signature))
