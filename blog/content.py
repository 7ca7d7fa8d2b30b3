"""Markdown files in, articles and pages out.

Files in content/articles/ become articles and files in content/pages/ become clinic pages.
Each is parsed (YAML front matter), rendered once with python-markdown, sanitised with nh3 and
stored, so a GET never renders Markdown. A broken file is reported, by file and field, and
skipped: what was published from it before stays as it was.
"""

import hashlib
import html
import re
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import frontmatter
import markdown
import nh3
import yaml
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from markdown.treeprocessors import Treeprocessor

from clinic_site.clinic import get_clinic

from . import images, search, version
from .front_matter import ArticleFrontMatter, PageFrontMatter
from .models import Article, Page, Tag

# Part of every file's hash: raise it when rendering changes, so the next sync re-renders all.
RENDERER_VERSION = "5"

# Templates whose ids a heading in a file must not take (`{#main}` would otherwise give a
# heading the id of the layout's <main>, and the skip link would land on it).
LAYOUT_TEMPLATE_DIRS = [settings.BASE_DIR / "templates", Path(__file__).parent / "templates"]

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
# A file may set a box apart with <div class="callout" markdown> ... </div> (md_in_html): the
# Important safety information and the Corrections at the end of a corrected text.
ALLOWED_CLASSES = {
    "a": {"footnote-ref", "footnote-backref"},
    "div": {"footnote", "callout", "callout--safety", "callout--corrections"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel", "sms"}
# python-markdown gives a source cited three times three back-links ("↩↩↩"); one, to the
# first citation, is enough.
EXTRA_BACKLINKS = re.compile(r'<a class="footnote-backref" href="#fnref\d+:[^"]*"[^>]*>.*?</a>')


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


@cache
def layout_ids():
    """(ids, prefixes) written in the templates: `id="main"` is an id; `id="crisis-title{{ …`
    is a prefix, since the template adds to it."""
    ids, prefixes = set(), set()
    for folder in LAYOUT_TEMPLATE_DIRS:
        for path in folder.rglob("*.html"):
            for name, templated in re.findall(
                r'(?<![\w-])id="([A-Za-z][\w-]*)(\{)?', path.read_text()
            ):
                (prefixes if templated else ids).add(name)
    return frozenset(ids), tuple(sorted(prefixes))


def _free_id(value):
    """`value`, or `value-section` if the layout uses that id."""
    ids, prefixes = layout_ids()
    return f"{value}-section" if value in ids or value.startswith(prefixes) else value


def _heading_slug(value, separator):
    return _free_id(slugify(value) or "section")


class _LayoutIds(Treeprocessor):
    """Renames an id a file sets itself ({#main}) if the layout uses it. It runs after
    attr_list sets ids and before toc reads them."""

    def run(self, root):
        for element in root.iter():
            if "id" in element.attrib:
                element.attrib["id"] = _free_id(element.attrib["id"])


class _LayoutIdsExtension(markdown.Extension):
    def extendMarkdown(self, md):  # noqa: N802 (python-markdown's name)
        md.treeprocessors.register(_LayoutIds(md), "layout_ids", 6)


def render_markdown(text):
    """Markdown to (sanitised HTML, table of contents, plain text)."""
    md = markdown.Markdown(
        extensions=[
            "toc",
            "tables",
            "attr_list",
            "footnotes",
            "sane_lists",
            "md_in_html",
            _LayoutIdsExtension(),
        ],
        extension_configs={
            "toc": {"toc_depth": "2-3", "slugify": _heading_slug},
            # Numbered in the order the reader meets them (1, 2, 3), whatever order the
            # sources are listed in; U+FE0E keeps the arrow text, not an emoji.
            "footnotes": {"USE_DEFINITION_ORDER": False, "BACKLINK_TEXT": "&#8617;&#xFE0E;"},
        },
        output_format="html",
    )
    raw_html = EXTRA_BACKLINKS.sub("", md.convert(text))
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


def _front_matter(form_class, meta, body, rel, path):
    """The checked front matter as model fields, or a ContentError naming the first bad field."""
    form = form_class(meta, default_slug=path.stem)
    form.is_valid()
    error = form.first_error()
    if error:
        raise ContentError(rel, *error)
    if re.search(r"^#\s", body, re.MULTILINE):
        raise ContentError(rel, "body", "uses a level-1 heading; the title is the page's h1")
    if not body.strip():
        raise ContentError(rel, "body", "is empty")
    return form


# Clinic facts a file may quote, written {clinic.name}: stated once, in content/clinic.toml.
CLINIC_FACT = re.compile(r"\{clinic\.(\w+)\}")
CLINIC_FACTS = {"name", "phone", "reply_within"}


def _with_clinic_facts(body, rel):
    """The body with each {clinic.fact} replaced by the fact, and the facts it used (for the
    hash, so that a changed fact re-renders the file)."""
    clinic, used = get_clinic("en"), []  # the texts are English

    def fact(match):
        name = match.group(1)
        if name not in CLINIC_FACTS:
            known = ", ".join(f"{{clinic.{n}}}" for n in sorted(CLINIC_FACTS))
            raise ContentError(rel, "body", f"{match.group(0)} is not a clinic fact ({known})")
        used.append(getattr(clinic, name))
        return used[-1]

    body = CLINIC_FACT.sub(fact, body)
    return body, "\n".join(used).encode()


# A section several files share, written once in content/includes/<name>.md and placed on a
# line of its own as {include:name} (the Spravato page and both Spravato articles carry the same
# Important safety information, so a correction to it is made in one place).
INCLUDE = re.compile(r"^\{include:([a-z0-9-]+)\}[ \t]*$", re.MULTILINE)


def _with_includes(body, rel, content_dir):
    """The body with each {include:name} replaced by content/includes/name.md, and those
    files' bytes (for the hash, so that an edited include re-renders the files using it)."""
    used = []

    def include(match):
        path = Path(content_dir) / "includes" / f"{match.group(1)}.md"
        if not path.is_file():
            raise ContentError(rel, "body", f"{match.group(0)}: no file includes/{path.name}")
        used.append(path.read_bytes())
        return used[-1].decode("utf-8")

    body = INCLUDE.sub(include, body)
    return body, b"".join(used)


def _hash(raw, *extra):
    digest = hashlib.sha256(RENDERER_VERSION.encode() + raw)
    for part in extra:
        digest.update(part)
    return digest.hexdigest()


def file_changed_on(path):
    """The date a file last changed: its last commit in git history, or, outside a git
    checkout (or before the file's first commit), its modification time."""
    try:
        out = subprocess.run(  # noqa: S603 (fixed arguments, our own file name)
            ["git", "log", "-1", "--format=%ct", "--", path.name],  # noqa: S607
            cwd=path.parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out = ""
    when = int(out) if out else path.stat().st_mtime
    # The clinic's calendar date, as Article.objects.published() compares it.
    return timezone.localtime(datetime.fromtimestamp(when, tz=UTC)).date()


def parse_article(path, content_dir):
    rel = str(path.relative_to(content_dir))
    meta, body, raw = _read(path, rel)
    form = _front_matter(ArticleFrontMatter, meta, body, rel, path)
    image_bytes = b""
    image_path = None
    if image := form.cleaned_data["image"]:
        image_path = (content_dir / image).resolve()
        if content_dir.resolve() not in image_path.parents:
            raise ContentError(rel, "image", "must be a file inside the content folder")
        if not image_path.is_file():
            raise ContentError(rel, "image", f"file {image} does not exist")
        image_bytes = image_path.read_bytes()
    fields = form.model_fields()
    fields["dated_by_file"] = fields["published_on"] is None
    if fields["dated_by_file"]:
        fields["published_on"] = file_changed_on(path)
    body, included = _with_includes(body, rel, content_dir)
    body, facts = _with_clinic_facts(body, rel)
    fields.update(source_path=rel, source_hash=_hash(raw, image_bytes, included, facts))
    return {
        "fields": fields,
        "body": body,
        "tags": form.cleaned_data["tags"],
        "image": (image_path, form.cleaned_data["image_alt"]) if image_path else None,
    }


def parse_page(path, content_dir):
    rel = str(path.relative_to(content_dir))
    meta, body, raw = _read(path, rel)
    fields = _front_matter(PageFrontMatter, meta, body, rel, path).model_fields()
    body, included = _with_includes(body, rel, content_dir)
    body, facts = _with_clinic_facts(body, rel)
    fields.update(source_path=rel, source_hash=_hash(raw, included, facts))
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
    try:
        body_html, toc, body_text = render_markdown(item["body"])
    except RecursionError:
        # Thousands of nested quotes or lists: python-markdown recurses once per level.
        raise ContentError(
            fields["source_path"], "body", "is nested too deeply (quotes or lists) to render"
        ) from None
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
            try:
                article, changed = _save(Article, item, report, extra)
            except ContentError as error:
                report.errors.append(error)
                continue
            if changed:
                _set_tags(article, item["tags"])
        for item in pages:
            try:
                _save(Page, item, report)
            except ContentError as error:
                report.errors.append(error)
        _unpublish_missing(
            Article, [i["fields"]["slug"] for i, _ in valid_articles], broken_articles, report
        )
        _unpublish_missing(Page, [i["fields"]["slug"] for i in pages], broken_pages, report)
        if report.changed:
            _link_content()
        # Every sync, changed or not: the first one after the index's migration fills it.
        search.update_index()
        # Cached pages go stale once the new content is visible to other connections.
        transaction.on_commit(version.start_new)
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
