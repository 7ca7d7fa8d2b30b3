"""A patient opens an article on a phone, in English and in Spanish, and starts reading on the
first screen: the navigation is one row, the request button and the crisis lines (short) follow
the first paragraph, and the table of contents is folded until they open it (no script needed).

Screenshots of each first screen are saved in test-results/screenshots/."""

import pytest
from playwright.sync_api import expect

from .conftest import SHOTS

pytestmark = pytest.mark.django_db(transaction=True)

ARTICLE = "/blog/esketamine-therapy-for-treatment-resistant-depression/"
PHONES = {"390x844": {"width": 390, "height": 844}, "360x740": {"width": 360, "height": 740}}
CRISIS = {"": "In crisis? Get help now", "/es": "¿Está en crisis? Pida ayuda ahora"}
CONTENTS = {"": "On this page", "/es": "En esta página"}
BOX = "el => { const r = el.getBoundingClientRect(); return {x: r.x, y: r.y + scrollY, w: r.width, h: r.height}; }"  # noqa: E501


@pytest.fixture(params=list(PHONES))
def small_screen(request, new_context):
    viewport = PHONES[request.param]
    page = new_context(viewport=viewport, is_mobile=True, has_touch=True).new_page()
    page.size, page.viewport = request.param, viewport
    return page


@pytest.mark.parametrize("language", ["", "/es"], ids=["english", "spanish"])
def test_the_articles_first_paragraph_is_on_the_first_phone_screen(site, small_screen, language):
    page = small_screen
    page.goto(site + language + ARTICLE)
    page.screenshot(path=SHOTS / f"phone-article-{language.strip('/') or 'en'}-{page.size}.png")

    first = page.locator("article .prose p").first
    top = first.evaluate(BOX)["y"]
    # Its first line at least: the top and one line of text above the screen's bottom edge.
    assert top + 30 <= page.viewport["height"], f"the text starts at {top}px"

    # The navigation is one row: every item on the same line ("Contact" included).
    items = page.get_by_role("navigation", name="Main" if not language else "Principal")
    tops = {round(link.evaluate(BOX)["y"]) for link in items.get_by_role("link").all()}
    assert len(tops) == 1, tops

    # The crisis lines are still there, as their own landmark, right after that paragraph.
    crisis = page.get_by_role("complementary", name=CRISIS[language])
    expect(crisis).to_be_visible()
    assert top < crisis.evaluate(BOX)["y"] < page.locator(".article-body").evaluate(BOX)["y"]
    for link in crisis.get_by_role("link").all():
        box = link.evaluate(BOX)
        assert box["w"] >= 44 and box["h"] >= 44, (link.inner_text(), box)

    # The contents are folded; a tap opens them, and a link in them leads into the text.
    contents = page.get_by_role("navigation", name=CONTENTS[language])
    expect(contents.get_by_role("link")).to_have_count(0)  # folded: nothing to tap but the title
    contents.get_by_text(CONTENTS[language]).tap()
    expect(contents.get_by_role("link").first).to_be_visible()
    contents.get_by_role("link").first.tap()
    expect(page.locator(".article-body h2").first).to_be_in_viewport()


def test_the_contents_stay_open_beside_the_text_on_a_wide_screen(site, new_context):
    page = new_context(viewport={"width": 1440, "height": 900}).new_page()
    page.goto(site + ARTICLE)
    contents = page.get_by_role("navigation", name="On this page")
    expect(contents.get_by_role("heading", name="On this page")).to_be_visible()
    expect(contents.get_by_role("link").first).to_be_visible()


def test_a_thumb_can_hit_each_target_that_was_too_small(site, new_context):
    """Issue 25's measurements at 390 px: radio rows 29 px, a phone number in a sentence 21 px,
    footer links 22 px, footnote numbers 20×18 and their back-links 13×20."""
    page = new_context(viewport=PHONES["390x844"], is_mobile=True, has_touch=True).new_page()

    def size(locator):
        box = locator.evaluate(BOX)
        return box["w"], box["h"]

    page.goto(site + "/contact/")
    for choice in ("Phone call", "Morning", "New patient", "English", "Yes"):
        label = page.locator("label.form-check-label", has_text=choice).first
        assert size(label)[1] >= 44, (choice, size(label))
    for link in page.locator('main a[href^="tel:"]').all():  # in sentences, and the crisis lines
        assert size(link)[1] >= 44, (link.inner_text(), size(link))
    for link in page.locator(".site-footer a").all():
        assert size(link)[1] >= 44, (link.inner_text(), size(link))

    page.goto(site + "/services/spravato/")
    for link in page.locator('.callout a[href^="tel:"]').all():
        assert size(link)[1] >= 44, (link.inner_text(), size(link))
    for link in page.locator(".footnote-ref").all():
        width, height = size(link)
        assert width >= 24 and height >= 24, (link.inner_text(), width, height)
    for link in page.locator(".footnote-backref").all():
        width, height = size(link)
        assert width >= 44 and height >= 44, (width, height)
