"""The patient's path, measured: from an article to a sent request on a 390×844 phone in a few
taps, the form on the first screen, readable errors, and the wide layout at 1440×900.

Every step is saved as a screenshot at both sizes (test-results/screenshots/), on every run.
"""

import re

import pytest
from playwright.sync_api import expect

from appointments.models import AppointmentRequest

from .conftest import SHOTS

pytestmark = pytest.mark.django_db(transaction=True)

ARTICLE = "/blog/esketamine-therapy-for-treatment-resistant-depression/"
PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1440, "height": 900}
SIZES = {"phone": PHONE, "wide": WIDE}

# Where the numbers this file asserts are read from the page.
BOX = "el => { const r = el.getBoundingClientRect(); return {x: r.x, y: r.y + scrollY, w: r.width, h: r.height}; }"  # noqa: E501
# One rectangle per line of text: a line holding a single word is what the issue saw.
LINES = """el => {
  const range = document.createRange();
  range.selectNodeContents(el);
  const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
  return {lines: tops.size, words: el.innerText.trim().split(/\\s+/).length};
}"""


@pytest.fixture(params=list(SIZES))
def screen(request, new_context):
    """A touch screen at each size; `screen.size` names it in screenshots."""
    viewport = SIZES[request.param]
    page = new_context(viewport=viewport, is_mobile=request.param == "phone", has_touch=True)
    page = page.new_page()
    page.size = request.param
    page.viewport = viewport
    return page


class Taps:
    """Counts what the patient taps; typing (and the keyboard's Next key) is not a tap."""

    def __init__(self, page, screenshot):
        self.page, self.screenshot, self.count, self.step = page, screenshot, 0, 0

    def __call__(self, locator):
        self.count += 1
        locator.tap()

    def shot(self, name):
        """The whole page, and the screen as the patient sees it at this step."""
        self.step += 1
        name = f"{self.page.size}-{self.step}-{name}"
        self.screenshot(self.page, name)
        self.page.screenshot(path=SHOTS / f"journey-{name}-screen.png")


def test_from_the_top_of_an_article_to_a_sent_request_in_at_most_nine_taps(
    site, screen, screenshot
):
    page, height = screen, screen.viewport["height"]
    taps = Taps(page, screenshot)
    page.goto(site + ARTICLE)
    taps.shot("article-top")

    buttons = page.get_by_role("link", name="Request an evaluation", exact=True)
    expect(buttons).to_have_count(2)  # under the title and at the end
    first = buttons.first.evaluate(BOX)
    assert first["y"] + first["h"] <= 2 * height, first  # within the first two screens
    assert buttons.last.evaluate(BOX)["y"] > page.locator(".article-body").evaluate(BOX)["y"]
    # Every link to the form keeps the service, the header's Contact and the text's too.
    for link in page.locator('a[href^="/contact/"]').all():
        assert link.get_attribute("href") == "/contact/?service=spravato"

    taps(buttons.first)
    expect(page).to_have_url(re.compile(r"/contact/\?service=spravato$"))
    expect(page.get_by_label("Which service are you interested in?")).to_have_value("spravato")
    first_name = page.get_by_label("First name", exact=True)
    box = first_name.evaluate(BOX)
    assert box["y"] + box["h"] <= height, box  # the first field is on the first screen
    taps.shot("form-top")

    taps(first_name)
    page.keyboard.type("Ann")
    page.keyboard.press("Tab")  # the keyboard's Next key
    page.keyboard.type("Example")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # no email needed for a call
    page.keyboard.type("772 555 0123")
    taps(page.get_by_label("Phone call"))
    taps(page.get_by_label("Morning", exact=True))
    taps(page.get_by_label("New patient"))
    taps(page.get_by_label("I agree to be contacted"))
    taps.shot("form-filled")
    taps(page.get_by_role("button", name="Send my request"))

    expect(page.get_by_role("heading", level=1)).to_contain_text("We have received your request")
    taps.shot("sent")
    assert taps.count <= 9, taps.count
    request = AppointmentRequest.objects.get()
    assert (request.service, request.contact_method, request.email) == ("spravato", "phone", "")


def test_contact_page_on_a_phone_has_the_form_on_the_first_screen_and_one_calm_crisis_box(
    site, screen, screenshot
):
    page = screen
    page.goto(site + "/contact/")
    screenshot(page, f"{page.size}-contact")
    box = page.get_by_label("First name", exact=True).evaluate(BOX)
    assert box["y"] + box["h"] <= page.viewport["height"], box
    crisis = page.locator(".crisis")
    expect(crisis).to_have_count(1)
    assert crisis.evaluate(BOX)["y"] < box["y"]  # the crisis lines come first
    # A title and three lines (call, text, veterans), each line a row of 44 px targets.
    assert crisis.evaluate(BOX)["h"] <= 180
    for number in ("988", "text 988", "838255", "741741", "911"):
        target = page.get_by_role("link", name=number, exact=True).evaluate(BOX)
        assert target["w"] >= 44 and target["h"] >= 44, (number, target)


@pytest.mark.parametrize("url", ["/contact/", "/es/contact/", ARTICLE])
def test_the_compact_crisis_box_stays_compact_on_a_small_phone_in_both_languages(
    site, new_context, url
):
    small = {"width": 360, "height": 740}
    page = new_context(viewport=small, is_mobile=True, has_touch=True).new_page()
    page.goto(site + url)
    crisis = page.locator(".crisis--compact")
    expect(crisis).to_have_count(1)
    crisis.screenshot(path=SHOTS / f"crisis-compact-360-{url.strip('/').replace('/', '_')}.png")
    # Every line (988 by call and text, veterans, the text line, 911) in at most four rows of
    # tap targets under the title: a quarter of the screen, the form's first field close below.
    assert crisis.evaluate(BOX)["h"] <= 200
    for link in crisis.get_by_role("link").all():
        target = link.evaluate(BOX)
        assert target["w"] >= 44 and target["h"] >= 44, (link.inner_text(), target)
    assert page.evaluate("document.documentElement.scrollWidth") <= small["width"]


def test_errors_stand_under_their_group_and_read_as_sentences(site, screen, screenshot):
    page = screen
    page.goto(site + "/contact/?service=tms")
    page.get_by_label("First name", exact=True).fill("Ann")
    page.get_by_label("Last name", exact=True).fill("Example")
    page.get_by_label("Email", exact=True).check()
    page.get_by_role("button", name="Send my request").click()

    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport(ratio=1)
    screenshot(page, f"{page.size}-errors-summary")
    expect(summary.get_by_role("link")).to_have_text(
        [
            "Enter your email address so that we can email you.",
            "Choose the best time to reach you.",
            "Tell us whether you are a new or returning patient.",
            "Tick this box so that we may contact you.",
        ]
    )
    errors = page.locator(".invalid-feedback")
    expect(errors).to_have_count(4)
    form_width = page.locator(".request-form").evaluate(BOX)["w"]
    for error in errors.all():
        lines = error.evaluate(LINES)
        # No line of one word: each line carries several words.
        assert lines["words"] / lines["lines"] >= 3, (error.inner_text(), lines)
    # A group's error spans the group, above its options, not beside the last one.
    group_error = page.locator("#div_id_best_time .invalid-feedback")
    assert group_error.evaluate(BOX)["w"] >= min(form_width, 600) * 0.8
    assert (
        group_error.evaluate(BOX)["y"] < page.get_by_label("Morning", exact=True).evaluate(BOX)["y"]
    )
    group_error.scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / f"errors-group-{page.size}.png")


def test_a_wide_screen_puts_the_contents_beside_the_article(site, new_context, screenshot):
    page = new_context(viewport=WIDE).new_page()
    page.goto(site + ARTICLE)
    screenshot(page, "wide-article")
    text = page.locator(".article-body").evaluate(BOX)
    toc = page.locator(".toc--beside").evaluate(BOX)
    assert toc["x"] >= text["x"] + text["w"], (text, toc)  # side by side
    assert toc["y"] < text["y"] + text["h"]
    assert text["w"] >= 600 and text["w"] + toc["w"] >= 0.6 * WIDE["width"], (text, toc)
    # It stays in view as the patient reads on.
    page.mouse.wheel(0, 3000)
    expect(page.locator(".toc--beside")).to_be_in_viewport()
    page.screenshot(path=SHOTS / "wide-article-scrolled.png")


def test_footnotes_read_one_two_three_with_one_back_link_each(site, new_context):
    page = new_context(viewport=WIDE).new_page()
    page.goto(site + "/services/spravato/")
    numbers = page.locator(".footnote-ref").all_inner_texts()
    first_seen = list(dict.fromkeys(numbers))
    assert first_seen == [str(n) for n in range(1, len(first_seen) + 1)]
    for note in page.locator(".footnote li").all():
        expect(note.locator(".footnote-backref")).to_have_count(1)


def test_plain_zeros_in_phone_numbers_and_a_plain_feed_line(site, new_context):
    page = new_context(viewport=PHONE).new_page()
    page.goto(site + "/about/")
    for element in (page.locator(".header-phone"), page.locator("footer address")):
        family = element.evaluate("el => getComputedStyle(el).fontFamily")
        assert "Atkinson" not in family, family
    page.locator(".header-phone").screenshot(path=SHOTS / "phone-digits.png")
    page.goto(site + "/blog/")
    # The line read "RSS or · Atom": a separator drawn by CSS, which innerText leaves out.
    separators = page.get_by_text("Follow new articles").evaluate(
        "p => [...p.querySelectorAll('a')].map((a) => getComputedStyle(a, '::before').content)"
    )
    assert set(separators) <= {"none", "normal"}, separators
