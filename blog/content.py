"""Markdown files in, articles and pages out.

Files in content/articles/ become articles and files in content/pages/ become clinic pages.
Each is parsed (YAML front matter), rendered once with python-markdown, sanitised with nh3 and
stored, so a GET never renders Markdown. A broken file is reported, by file and field, and
skipped: what was published from it before stays as it was.
"""

import hashlib
import heapq
import html
import re
import subprocess
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from itertools import combinations, islice
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
    # Articles whose related articles were worked out again (the changed ones and their
    # neighbours), whether or not the result differed.
    relinked: list = field(default_factory=list)

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


def _read(raw, rel):
    try:
        post = frontmatter.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ContentError(rel, "", "the file is not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark else ""
        raise ContentError(rel, "front matter", f"is not valid YAML{line}") from None
    if not isinstance(post.metadata, dict) or not post.metadata:
        raise ContentError(rel, "front matter", "is missing: start the file with --- and YAML")
    return post.metadata, post.content


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
    """The body with each {clinic.fact} replaced by the fact."""
    clinic = get_clinic("en")  # the texts are English

    def fact(match):
        name = match.group(1)
        if name not in CLINIC_FACTS:
            known = ", ".join(f"{{clinic.{n}}}" for n in sorted(CLINIC_FACTS))
            raise ContentError(rel, "body", f"{match.group(0)} is not a clinic fact ({known})")
        return getattr(clinic, name)

    return CLINIC_FACT.sub(fact, body)


# A section several files share, written once in content/includes/<name>.md and placed on a
# line of its own as {include:name} (the Spravato page and both Spravato articles carry the same
# Important safety information, so a correction to it is made in one place).
INCLUDE = re.compile(r"^\{include:([a-z0-9-]+)\}[ \t]*$", re.MULTILINE)


def _included(content_dir, name):
    """The bytes of content/includes/<name>.md, or None if there is no such file."""
    path = Path(content_dir) / "includes" / f"{name}.md"
    return path.read_bytes() if path.is_file() else None


def _with_includes(body, rel, content_dir):
    """The body with each {include:name} replaced by content/includes/name.md."""

    def include(match):
        included = _included(content_dir, match.group(1))
        if included is None:
            raise ContentError(rel, "body", f"{match.group(0)}: no file includes/{match[1]}.md")
        return included.decode("utf-8")

    return INCLUDE.sub(include, body)


def source_hash(raw, content_dir, image_bytes=b""):
    """What a file's rendering depends on: the renderer, the file, its image, the sections it
    includes and the clinic facts it quotes (so that an edited include or a changed fact
    re-renders the files using it). It needs only bytes, so a file whose hash is stored is
    known to be unchanged before it is parsed."""
    included = []

    def include(match):
        included.append(_included(content_dir, match.group(1)) or b"")
        return included[-1].decode("utf-8", "replace")

    text = INCLUDE.sub(include, raw.decode("utf-8", "replace"))
    clinic = get_clinic("en")
    names = CLINIC_FACT.findall(text)
    facts = "\n".join(getattr(clinic, name) for name in names if name in CLINIC_FACTS)
    digest = hashlib.sha256(RENDERER_VERSION.encode() + raw)
    digest.update(image_bytes)
    digest.update(b"".join(included))
    digest.update(facts.encode())
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


def parse_article(path, content_dir, raw):
    rel = str(path.relative_to(content_dir))
    meta, body = _read(raw, rel)
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
    body = _with_clinic_facts(_with_includes(body, rel, content_dir), rel)
    fields.update(source_path=rel, source_hash=source_hash(raw, content_dir, image_bytes))
    return {
        "fields": fields,
        "body": body,
        "tags": form.cleaned_data["tags"],
        "image": (image_path, form.cleaned_data["image_alt"]) if image_path else None,
    }


def parse_page(path, content_dir, raw):
    rel = str(path.relative_to(content_dir))
    meta, body = _read(raw, rel)
    fields = _front_matter(PageFrontMatter, meta, body, rel, path).model_fields()
    body = _with_clinic_facts(_with_includes(body, rel, content_dir), rel)
    fields.update(source_path=rel, source_hash=source_hash(raw, content_dir))
    return {"fields": fields, "body": body}


# --- Syncing ------------------------------------------------------------------------------


class _Stored:
    """What the last sync left of one model, read in one query: a file whose bytes are those of
    a published row costs a hash and a lookup, never a parse or a query of its own."""

    def __init__(self, model):
        rows = model.objects.values_list("slug", "source_path", "source_hash", "is_published")
        self.state = {}
        self.published_from = {}  # (path, hash): slug
        for slug, path, digest, published in rows:
            self.state[slug] = (path, digest, published)
            if published:
                self.published_from[path, digest] = slug

    def unchanged(self, rel, raw, content_dir):
        """The item of a file that has not changed since it was published, else None. (A
        file with an image never matches: the stored hash holds the image's bytes too, so
        it is parsed, and its image processed, as before.)"""
        digest = source_hash(raw, content_dir)
        slug = self.published_from.get((rel, digest))
        if slug is None:
            return None
        fields = {"slug": slug, "source_path": rel, "source_hash": digest, "is_published": True}
        return {"fields": fields, "image": None}

    def is_unchanged(self, fields):
        stored = self.state.get(fields["slug"])
        return stored == (fields["source_path"], fields["source_hash"], fields["is_published"])

    def published_gone(self, kept_slugs, broken_paths):
        """Slugs of the published rows no file gave this time (a broken file's row stays)."""
        return sorted(
            slug
            for slug, (path, _, published) in self.state.items()
            if published and slug not in kept_slugs and path not in broken_paths
        )


def _parse_folder(folder, content_dir, parse, stored, report):
    parsed, broken_paths, seen = [], set(), {}
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        rel = str(path.relative_to(content_dir))
        try:
            raw = path.read_bytes()
            item = stored.unchanged(rel, raw, content_dir) or parse(path, content_dir, raw)
            slug = item["fields"]["slug"]
            if slug in seen:
                raise ContentError(rel, "slug", f"{slug!r} is already used by {seen[slug]}")
            seen[slug] = rel
            parsed.append(item)
        except ContentError as error:
            report.errors.append(error)
            broken_paths.add(rel)
    return parsed, broken_paths


def _save(model, item, stored, report, extra=()):
    """The saved row if the file changed, else None (and nothing is written)."""
    fields = item["fields"]
    if stored.is_unchanged(fields):
        report.unchanged.append(fields["source_path"])
        return None
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
    return obj


def _unpublish_missing(model, stored, kept_slugs, broken_paths, report):
    """Unpublish the rows whose file is gone; returns their slugs."""
    gone = stored.published_gone(set(kept_slugs), broken_paths)
    if gone:
        model.objects.filter(slug__in=gone).update(is_published=False)
        report.unpublished += sorted(stored.state[slug][0] for slug in gone)
    return gone


def _hero(item):
    if not item["image"]:
        return {"hero": None}
    path, alt = item["image"]
    return {"hero": images.process_hero(path, item["fields"]["slug"], alt)}


def _set_tags(article, names):
    tags = []
    for name in names:
        slug = slugify(name)
        tag, _ = Tag.objects.get_or_create(slug=slug, defaults={"name": name})
        tags.append(tag)
    article.tags.set(tags)


def sync_content(content_dir=None):
    """Bring the database in line with the files. Returns a SyncReport; never raises for a
    broken file (its errors are in the report) so one bad file cannot stop the others.

    Only what changed is written: an unchanged file is recognised by its hash without being
    parsed, and an edit re-links only the articles it can affect."""
    content_dir = Path(content_dir or settings.CONTENT_DIR)
    report = SyncReport()
    stored_articles, stored_pages = _Stored(Article), _Stored(Page)
    articles, broken_articles = _parse_folder(
        content_dir / "articles", content_dir, parse_article, stored_articles, report
    )
    pages, broken_pages = _parse_folder(
        content_dir / "pages", content_dir, parse_page, stored_pages, report
    )

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
        changed = set()
        for item, extra in valid_articles:
            try:
                article = _save(Article, item, stored_articles, report, extra)
            except ContentError as error:
                report.errors.append(error)
                continue
            if article:
                _set_tags(article, item["tags"])
                changed.add(article.slug)
        for item in pages:
            try:
                _save(Page, item, stored_pages, report)
            except ContentError as error:
                report.errors.append(error)
        kept = [item["fields"]["slug"] for item, _ in valid_articles]
        changed.update(_unpublish_missing(Article, stored_articles, kept, broken_articles, report))
        kept = [item["fields"]["slug"] for item in pages]
        _unpublish_missing(Page, stored_pages, kept, broken_pages, report)
        report.relinked = _link_content(changed)
        # Every sync, changed or not: the first one after the index's migration fills it.
        search.update_index()
        # Cached pages go stale once the new content is visible to other connections.
        transaction.on_commit(version.start_new)
    return report


# --- Linking ------------------------------------------------------------------------------

# An article's related articles are the RELATED ones sharing the most with it, a shared tag
# counting TAG_WEIGHT and a shared service SERVICE_WEIGHT; between equals, the newest.
RELATED = 3
TAG_WEIGHT = 2
SERVICE_WEIGHT = 1
# RelatedIndex lists every combination of an article's tags and services: 2**INDEXED_KEYS at
# most. An article with more is compared with every article instead.
INDEXED_KEYS = 8


class RelatedIndex:
    """Finds each article's related articles without comparing it with every other one.

    Articles are numbered newest first (the same day: by slug). For every combination of an
    article's tags and services, a list holds the articles having all of them, in that order.
    An article's related ones are found by walking the lists of its own combinations, the
    heaviest first: an article that shares exactly combination C with it scores exactly C's
    weight, and sits in C's list in date order, so each walk stops after the first few of
    those, and the walks stop once three articles score more than any combination left.

    A single list per tag would not do: with a few popular tags (a clinic's blog has them),
    every article shares one with a large part of the others, and scoring those grows with
    the square of the number of articles (bench/RESULTS.md)."""

    def __init__(self, articles):
        """`articles`: (tag ids, services) for each article, newest first."""
        self.tags = [frozenset(tags) for tags, _ in articles]
        self.services = [frozenset(services) for _, services in articles]
        self.keys = [
            tuple(
                sorted(
                    [(TAG_WEIGHT, "tag", tag) for tag in tags]
                    + [(SERVICE_WEIGHT, "service", service) for service in services]
                )
            )
            for tags, services in zip(self.tags, self.services, strict=True)
        ]
        self.lists = defaultdict(list)
        self.wide = []  # articles with more than INDEXED_KEYS tags and services
        self._heaviest_first = {}
        for number, keys in enumerate(self.keys):
            if len(keys) > INDEXED_KEYS:
                self.wide.append(number)
                continue
            for size in range(1, len(keys) + 1):
                for combination in combinations(keys, size):
                    self.lists[combination].append(number)

    def score(self, one, other):
        return TAG_WEIGHT * len(self.tags[one] & self.tags[other]) + SERVICE_WEIGHT * len(
            self.services[one] & self.services[other]
        )

    def related(self, number):
        """The numbers of the articles most related to article `number`, best first."""
        best = []  # (score, -number) of the best found so far: a heap, the worst first

        def keep(score, other):
            (heapq.heappush if len(best) < RELATED else heapq.heappushpop)(best, (score, -other))

        keys = self.keys[number]
        if len(keys) > INDEXED_KEYS:
            others = range(len(self.tags))
        else:
            others = self.wide
            for weight, combination in self._by_weight(keys):
                if len(best) == RELATED and best[0][0] > weight:
                    break  # three articles score more than any combination left
                for other in self.lists.get(combination, ()):
                    if len(best) == RELATED and best[0] > (weight, -other):
                        break  # older than three that score as much
                    if other != number and self.score(number, other) == weight:
                        keep(weight, other)
        for other in others:
            score = self.score(number, other)
            if score and other != number:
                keep(score, other)
        return [-negated for _, negated in heapq.nlargest(RELATED, best)]

    def neighbours(self, number):
        """The articles sharing a tag or a service with article `number`."""
        found = set(self.wide)
        for key in self.keys[number]:
            found.update(self.lists.get((key,), ()))
        return found

    def _by_weight(self, keys):
        found = self._heaviest_first.get(keys)
        if found is None:
            found = sorted(
                (
                    (sum(weight for weight, _, _ in combination), combination)
                    for size in range(1, len(keys) + 1)
                    for combination in combinations(keys, size)
                ),
                key=lambda weighed: -weighed[0],
            )
            self._heaviest_first[keys] = found
        return found


def _link_content(changed):
    """Related articles and previous/next for the published articles, and each service page's
    newest articles; a row is written only if its links change. Returns the slugs of the
    articles whose related ones were worked out again.

    `changed`: the slugs of the articles this sync created, edited or unpublished. An article's
    related list can change only if one of them is in it or could now be: so only those, the
    articles listing one, and the articles sharing a tag or service with one are worked out
    again. An article whose date has come since the last sync counts as changed."""
    visible = Article.objects.published()
    rows = sorted(
        visible.values_list(
            "pk", "slug", "published_on", "services", "related_slugs", "previous_slug",
            "next_slug", named=True,
        ),
        key=lambda row: (-row.published_on.toordinal(), row.slug),
    )  # fmt: skip
    slugs = [row.slug for row in rows]
    # Previous is the next older article, next the next newer one.
    chain = [
        (slugs[n + 1] if n + 1 < len(slugs) else "", slugs[n - 1] if n else "")
        for n in range(len(slugs))
    ]
    # Every published article but a site's only one has a previous or a next article, and an
    # article that leaves the site loses both (below): one with neither has just come.
    changed = set(changed)
    if len(rows) > 1:
        changed.update(row.slug for row in rows if not (row.previous_slug or row.next_slug))
    relink, index = set(), None
    if changed:
        tags = defaultdict(set)
        through = Article.tags.through.objects.filter(article__in=visible)
        for article_id, tag_id in through.values_list("article_id", "tag_id"):
            tags[article_id].add(tag_id)
        index = RelatedIndex([(tags[row.pk], row.services) for row in rows])
        for number, row in enumerate(rows):
            if row.slug in changed:
                relink |= {number, *index.neighbours(number)}
            elif changed.intersection(row.related_slugs):
                relink.add(number)
    updates = []
    for number, row in enumerate(rows):
        related = (
            [slugs[other] for other in index.related(number)]
            if number in relink
            else row.related_slugs
        )
        links = (related, *chain[number])
        if links != (row.related_slugs, row.previous_slug, row.next_slug):
            updates.append(Article(pk=row.pk, **dict(zip(LINK_FIELDS, links, strict=True))))
    Article.objects.bulk_update(updates, LINK_FIELDS, batch_size=500)
    # An article that left the site (unpublished, or dated later) keeps no links, so that it is
    # linked afresh if it comes back.
    left = changed.difference(slugs)
    if left:
        Article.objects.filter(slug__in=left).exclude(previous_slug="", next_slug="").update(
            related_slugs=[], previous_slug="", next_slug=""
        )
    _link_service_pages(rows)
    return sorted(slugs[number] for number in relink)


LINK_FIELDS = ["related_slugs", "previous_slug", "next_slug"]


def _link_service_pages(rows):
    """Each service page's newest articles about its service (`rows`: newest first)."""
    service_pages = Page.objects.published().filter(section=Page.Section.SERVICES)
    for page in service_pages.only("pk", "service", "related_slugs"):
        about = (row.slug for row in rows if page.service in row.services)
        related = list(islice(about, RELATED))
        if related != page.related_slugs:
            Page.objects.filter(pk=page.pk).update(related_slugs=related)


def content_signature(content_dir=None):
    """What changes when any content file changes: used to re-sync in development."""
    content_dir = Path(content_dir or settings.CONTENT_DIR)
    signature = []
    for path in content_dir.rglob("*"):
        if path.is_file():
            stat = path.stat()
            signature.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(sorted(signature))
