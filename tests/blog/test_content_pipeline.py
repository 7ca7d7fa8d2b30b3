"""Markdown files in content/ become articles: rendered once, sanitised, and never broken by
a bad file."""

import io
import re
import struct
import textwrap
import zlib

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image

from blog.models import Article, Tag

pytestmark = pytest.mark.django_db


def test_sync_renders_markdown_once_into_html_text_toc_and_reading_time(content):
    body = """
        Intro paragraph with *emphasis*.[^1]

        ## First section

        1. one
        2. two

        ## Second section

        | Dose | When |
        | --- | --- |
        | 1 | Monday |

        ### A detail {: #custom-anchor }

        - a bullet

        [^1]: A footnote.
    """
    body = textwrap.dedent(body) + "\n" + "word " * 400
    content.article("long-read", body=body, tags=["TMS", "Care"])
    report = content.sync()
    assert report.created == ["articles/long-read.md"]

    article = Article.objects.get(slug="long-read")
    assert "<em>emphasis</em>" in article.body_html
    assert '<h2 id="first-section">First section</h2>' in article.body_html
    assert "<table>" in article.body_html
    assert 'id="custom-anchor"' in article.body_html
    assert 'class="footnote"' in article.body_html
    assert "<ol>" in article.body_html
    assert [item["id"] for item in article.toc] == ["first-section", "second-section"]
    assert article.toc[1]["children"][0]["id"] == "custom-anchor"
    assert "emphasis" in article.body_text and "<" not in article.body_text
    assert article.word_count > 400
    assert article.reading_minutes == round(article.word_count / 200)
    assert sorted(t.slug for t in article.tags.all()) == ["care", "tms"]


def test_footnotes_are_numbered_as_read_with_one_back_link_each():
    from blog.content import render_markdown

    html, _, _ = render_markdown(
        "Label[^label], ours[^ours], label again[^label], REMS[^rems], label[^label].\n\n"
        "[^label]: The label.\n[^rems]: The REMS.\n[^ours]: Our article.\n"
    )
    assert re.findall(r'class="footnote-ref" href="#fn:\w+">(\d)<', html) == list("12131")
    notes = html.split('class="footnote"', 1)[1]
    assert re.findall(r'<li id="fn:(\w+)">', notes) == ["label", "ours", "rems"]
    assert notes.count('class="footnote-backref"') == 3


def test_sync_is_idempotent(content):
    content.article("stable")
    first = content.sync()
    synced_at = Article.objects.get(slug="stable").synced_at
    second = content.sync()
    assert first.created == ["articles/stable.md"]
    assert second.unchanged == ["articles/stable.md"]
    assert not second.changed
    assert Article.objects.get(slug="stable").synced_at == synced_at
    assert Article.objects.count() == 1


def test_edited_file_updates_its_article(content):
    path = content.article("edited", title="Old title")
    content.sync()
    content.article("edited", title="New title")
    report = content.sync()
    assert report.updated == [str(path.relative_to(content.root))]
    assert Article.objects.get(slug="edited").title == "New title"


def test_file_that_disappears_unpublishes_its_article(content):
    gone = content.article("going")
    content.article("staying")
    content.sync()
    gone.unlink()
    report = content.sync()
    assert report.unpublished == ["articles/going.md"]
    assert not Article.objects.get(slug="going").is_published
    assert list(Article.objects.published().values_list("slug", flat=True)) == ["staying"]


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("---\ntitle: [unclosed\n---\nBody\n", "front matter", "not valid YAML"),
        ("No front matter at all.\n", "front matter", "is missing"),
        (
            "---\nslug: no-title\nsummary: s\npublished: 2025-01-01\nauthor: A\n---\nBody\n",
            "title",
            "is required",
        ),
        (
            "---\ntitle: T\nsummary: s\npublished: 2025-01-01\nauthor: A\n"
            "services: [acupuncture]\n---\nBody\n",
            "services",
            "unknown service 'acupuncture'",
        ),
        (
            "---\ntitle: T\nsummary: s\npublished: 2025-01-01\nauthor: A\n"
            "image: images/missing.jpg\nimage_alt: A photo\n---\nBody\n",
            "image",
            "does not exist",
        ),
        (
            "---\ntitle: T\nsummary: s\npublished: soon\nauthor: A\n---\nBody\n",
            "published",
            "not a date",
        ),
        (
            "---\ntitle: T\nsumary: typo\npublished: 2025-01-01\nauthor: A\n---\nBody\n",
            "sumary",
            "not a known field",
        ),
    ],
    ids=["malformed", "no-front-matter", "no-title", "unknown-service", "missing-image",
         "bad-date", "unknown-field"],
)  # fmt: skip
def test_bad_file_gets_an_error_naming_file_and_field(content, text, field, message):
    content.raw("articles/broken.md", text)
    with pytest.raises(CommandError) as excinfo:
        call_command("sync_content", content_dir=str(content.root), stderr=io.StringIO())
    report = content.sync()
    assert "1 file(s) not loaded" in str(excinfo.value)
    [error] = report.errors
    assert error.path == "articles/broken.md"
    assert error.field == field
    assert message in str(error)
    assert f"articles/broken.md: field '{field}'" in str(error)


def test_command_prints_each_error_and_exits_non_zero(content, capsys):
    content.raw("articles/broken.md", "---\ntitle: [unclosed\n---\nBody\n")
    content.article("fine")
    with pytest.raises(CommandError):
        call_command("sync_content", content_dir=str(content.root))
    err = capsys.readouterr().err
    assert "articles/broken.md: field 'front matter': is not valid YAML" in err


def test_missing_alt_text_is_an_error(content):
    (content.root / "images").mkdir()
    Image.new("RGB", (64, 32), "teal").save(content.root / "images/photo.jpg")
    content.article("pictured", image="images/photo.jpg")
    [error] = content.sync().errors
    assert (error.path, error.field) == ("articles/pictured.md", "image_alt")


def test_duplicate_slug_is_an_error_and_the_first_file_wins(content):
    content.article("a-first", slug="same-slug", title="First")
    content.article("b-second", slug="same-slug", title="Second")
    [error] = content.sync().errors
    assert (error.path, error.field) == ("articles/b-second.md", "slug")
    assert "already used by articles/a-first.md" in error.message
    assert Article.objects.get(slug="same-slug").title == "First"


def test_broken_edit_leaves_the_published_article_intact(content):
    content.article("steady", title="Good version")
    content.sync()
    content.raw("articles/steady.md", "---\ntitle: [broken\n---\nBody\n")
    report = content.sync()
    assert report.errors and not report.unpublished
    article = Article.objects.get(slug="steady")
    assert article.is_published
    assert article.title == "Good version"


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert('x')</script>",
        '<img src="x" onerror="alert(1)">',
        '<a href="javascript:alert(1)">click</a>',
        '<p onclick="alert(1)" style="color:red">styled</p>',
        "[link](javascript:alert(1))",
        '<iframe src="https://evil.example"></iframe>',
    ],
)
def test_script_and_event_handlers_in_markdown_never_reach_a_page(content, client, attack):
    content.article("attack", body=f"Before.\n\n{attack}\n\nAfter.")
    content.sync()
    html = client.get("/blog/attack/").content.decode()
    # The text: its first paragraph (apart, before the request button) and the rest.
    body = "".join(re.findall(r'<div class="article-(?:lead|body)">(.*?)</div>', html, re.S))
    assert "Before." in body and "After." in body
    for bad in ("<script", "onerror", "onclick", "javascript:", "<iframe", "style="):
        assert bad not in body.lower()


def test_hero_image_is_resized_to_webp_and_jpeg(content, settings):
    (content.root / "images").mkdir()
    Image.new("RGB", (1600, 900), "teal").save(content.root / "images/clinic.jpg")
    content.article("with-hero", image="images/clinic.jpg", image_alt="The clinic's front door")
    report = content.sync()
    assert not report.errors
    hero = Article.objects.get(slug="with-hero").hero
    assert hero["alt"] == "The clinic's front door"
    assert (hero["width"], hero["height"]) == (1200, 675)
    assert [s["width"] for s in hero["sources"]["webp"]] == [480, 800, 1200]
    for fmt, pil_format in (("webp", "WEBP"), ("jpeg", "JPEG")):
        for source in hero["sources"][fmt]:
            path = settings.GENERATED_IMAGES_DIR / source["path"].removeprefix("content/")
            with Image.open(path) as made:
                assert made.format == pil_format
                assert made.width == source["width"]


def test_small_hero_image_is_not_upscaled(content):
    (content.root / "images").mkdir()
    Image.new("RGB", (600, 400), "navy").save(content.root / "images/small.png")
    content.article("small-hero", image="images/small.png", image_alt="A small picture")
    content.sync()
    hero = Article.objects.get(slug="small-hero").hero
    assert [s["width"] for s in hero["sources"]["jpeg"]] == [480, 600]
    assert (hero["width"], hero["height"]) == (600, 400)


def test_tags_are_shared_between_articles(content):
    content.article("one", tags=["Spravato", "TRD"])
    content.article("two", tags=["Spravato"])
    content.sync()
    assert Tag.objects.get(slug="spravato").articles.count() == 2


def test_related_and_neighbours_are_worked_out_at_sync_time(content):
    content.article("oldest", published="2025-01-01", tags=["tms"], services=["tms"])
    content.article("middle", published="2025-02-01", tags=["spravato"], services=["spravato"])
    content.article("newest", published="2025-03-01", tags=["spravato"], services=["spravato"])
    content.sync()
    middle = Article.objects.get(slug="middle")
    assert middle.related_slugs == ["newest"]
    assert (middle.previous_slug, middle.next_slug) == ("oldest", "newest")


@pytest.mark.parametrize(
    ("front_matter", "field", "message"),
    [
        ("section: shop", "section", "must be one of: services, clinic"),
        ("section: services", "service", "is required for a service page"),
        ("section: services\nservice: acupuncture", "service", "unknown service 'acupuncture'"),
        ("order: -1", "order", "must be a whole number"),
        ("nav_title: " + "x" * 101, "nav_title", "is 101 characters; the limit is 100"),
        ("reviewed_on: 2025-01-01", "reviewed_by", "is required when 'reviewed_on' is given"),
    ],
)
def test_bad_page_gets_an_error_naming_file_and_field(content, front_matter, field, message):
    content.raw("pages/broken.md", f"---\ntitle: T\nsummary: s\n{front_matter}\n---\nBody\n")
    [error] = content.sync().errors
    assert str(error).startswith(f"pages/broken.md: field '{field}': {message}")


def huge_png(path, width=20000, height=20000):
    """A few hundred bytes that claim 20000 × 20000 pixels: a decompression bomb."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = zlib.compress(b"\0" * 1024)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def test_one_bad_file_is_named_and_the_others_still_sync(content):
    # Lists nested 2,000 deep: python-markdown recurses once a level.
    content.article("deep-list", body="- " * 2000 + "Too deep.")
    content.raw("pages/deep-page.md", "---\ntitle: T\nsummary: s\n---\n" + "1. " * 2000 + "x\n")
    (content.root / "images").mkdir()
    huge_png(content.root / "images/bomb.png")
    content.article("bomb", image="images/bomb.png", image_alt="Nothing, really")
    content.article("fine")

    report = content.sync()

    assert sorted(str(error) for error in report.errors) == [
        "articles/bomb.md: field 'image': bomb.png has too many pixels to process safely; "
        "resize it (2,400 pixels wide is plenty)",
        "articles/deep-list.md: field 'body': is nested too deeply (quotes or lists) to render",
        "pages/deep-page.md: field 'body': is nested too deeply (quotes or lists) to render",
    ]
    assert report.created == ["articles/fine.md"]
    assert list(Article.objects.values_list("slug", flat=True)) == ["fine"]


@pytest.mark.parametrize(
    ("markdown_text", "kept_clear_of"),
    [("## Skip here {#main}", "main"), ("## Help {: #crisis-title-footer }", "crisis-title"),
     ("## Main", "main"), ("## Related reading {#related-title}", "related-title")],
)  # fmt: skip
def test_a_heading_never_takes_an_id_the_layout_uses(content, client, markdown_text, kept_clear_of):
    content.article("ids", body=f"Intro.\n\n{markdown_text}\n\nText.")
    assert not content.sync().errors
    html = client.get("/blog/ids/").content.decode()
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "an id is used twice"
    assert html.count('id="main"') == 1 and '<main id="main"' in html
    heading_id = Article.objects.get(slug="ids").toc[0]["id"]
    assert heading_id.startswith(kept_clear_of) and heading_id.endswith("-section")


@pytest.mark.parametrize("draft", ['"false"', '"true"', "yes please", "1", '""'])
def test_draft_must_be_true_or_false(content, draft):
    content.raw(
        "articles/maybe.md",
        f"---\ntitle: T\nsummary: s\npublished: 2025-01-01\nauthor: A\ndraft: {draft}\n---\nB\n",
    )
    [error] = content.sync().errors
    assert str(error) == "articles/maybe.md: field 'draft': must be true or false, without quotes"
    assert not Article.objects.exists()


@pytest.mark.parametrize(("draft", "published"), [("true", False), ("false", True), ("no", True)])
def test_draft_true_keeps_an_article_off_the_site(content, draft, published):
    content.raw(
        "articles/maybe.md",
        f"---\ntitle: T\nsummary: s\npublished: 2025-01-01\nauthor: A\ndraft: {draft}\n---\nB\n",
    )
    assert not content.sync().errors
    assert Article.objects.get().is_published is published


def test_a_clinic_fact_in_a_file_comes_from_clinic_toml(client, content):
    from clinic_site.clinic import get_clinic

    content.write(
        "pages/help.md", {"title": "Help", "summary": "s"}, "We reply within {clinic.reply_within}."
    )
    content.write("pages/typo.md", {"title": "Typo", "summary": "s"}, "Call {clinic.fax}.")
    [error] = content.sync().errors
    assert str(error).startswith("pages/typo.md: field 'body': {clinic.fax} is not a clinic fact")
    assert f"We reply within {get_clinic().reply_within}." in client.get("/help/").content.decode()


def test_a_shared_section_is_written_once_and_each_file_that_includes_it_shows_it(client, content):
    (content.root / "includes").mkdir()
    content.raw("includes/safety.md", "## Important safety information\n\nRisk one.\n")
    content.article("one", body="Intro.\n\n{include:safety}\n\nAfter.")
    content.write("pages/two.md", {"title": "Two", "summary": "s"}, "{include:safety}")
    assert not content.sync().errors
    assert "Risk one." in client.get("/blog/one/").content.decode()
    assert "Risk one." in client.get("/two/").content.decode()
    # One edit to the shared file reaches every file that includes it at the next sync.
    content.raw("includes/safety.md", "## Important safety information\n\nRisk two.\n")
    report = content.sync()
    assert sorted(report.updated) == ["articles/one.md", "pages/two.md"]
    assert "Risk two." in Article.objects.get(slug="one").body_html


def test_including_a_missing_section_is_an_error_naming_the_file(content):
    content.article("one", body="{include:nowhere}")
    [error] = content.sync().errors
    assert str(error) == (
        "articles/one.md: field 'body': {include:nowhere}: no file includes/nowhere.md"
    )


def test_a_box_keeps_its_class_and_its_markdown_but_no_other_class(client, content):
    content.article(
        "boxed",
        body="""
        <div class="callout callout--corrections" markdown>

        ## Corrections {#corrections}

        - **What changed.** Why.[^1]

        </div>

        <p class="sneaky">Text.</p>

        [^1]: A source.
        """,
    )
    assert not content.sync().errors
    body = client.get("/blog/boxed/").content.decode().split('<div class="article-body">', 1)[1]
    assert '<div class="callout callout--corrections">' in body
    assert '<h2 id="corrections">Corrections</h2>' in body
    assert "<strong>What changed.</strong>" in body and 'class="footnote-ref"' in body
    assert "sneaky" not in body and "markdown" not in body.split('<div class="footnote">')[0]


def test_the_request_button_and_crisis_lines_follow_an_articles_first_paragraph(content, client):
    content.article("opens", body="First words.\n\nSecond words.")
    content.article("heading-first", body="## A heading\n\nWords.")
    content.sync()
    html = client.get("/blog/opens/").content.decode()
    first, crisis = html.index("First words."), html.index('class="crisis crisis--compact"')
    assert first < html.index('class="button"') < crisis < html.index("Second words.")
    # A text that opens with something else keeps it first, whole, after them.
    html = client.get("/blog/heading-first/").content.decode()
    assert 'class="article-lead"' not in html
    assert html.index('class="crisis crisis--compact"') < html.index(">A heading</h2>")
