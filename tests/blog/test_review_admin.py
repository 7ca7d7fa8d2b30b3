"""Staff see which articles and pages need a medical review: none yet, or over a year ago."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from blog.models import Page

pytestmark = pytest.mark.django_db


def test_pages_show_their_reviewer_and_the_admin_lists_reviews_due(
    client, content, make_staff, signed_in
):
    today = timezone.localdate()
    content.article("fresh", reviewed_by="Dr. Rivera, MD", reviewed_on=str(today))
    content.article("stale", reviewed_by="Dr. Rivera, MD", reviewed_on=str(today - timedelta(400)))
    content.article("never")
    content.write(
        "pages/about.md",
        {
            "title": "About",
            "summary": "s",
            "reviewed_by": "Dr. Lee, MD",
            "reviewed_on": "2025-03-04",
        },
        "About us.",
    )
    assert not content.sync().errors
    assert "Medically reviewed by Dr. Rivera, MD on" in client.get("/blog/fresh/").content.decode()
    assert "Reviewed by Dr. Lee, MD on" in client.get("/about/").content.decode()

    browser = signed_in(make_staff("lead", role=None, is_superuser=True))
    due = browser.get(reverse("admin:blog_article_changelist") + "?review=yes").content.decode()
    assert "Stale" in due and "Never" in due and "Fresh" not in due
    assert "Not reviewed" in due and "(due again)" in due
    pages = browser.get(reverse("admin:blog_page_changelist") + "?review=yes").content.decode()
    assert "pages/about.md" in pages  # reviewed more than 12 months ago


def test_the_clinical_lead_sees_every_review_due_on_one_card(content, make_staff, signed_in):
    today = timezone.localdate()
    content.article("fresh", reviewed_by="Dr. Rivera, MD", reviewed_on=str(today))
    content.article("stale", reviewed_by="Dr. Rivera, MD", reviewed_on="2025-03-04")
    content.article("never")
    content.write("pages/about.md", {"title": "About", "summary": "s"}, "About us.")
    assert not content.sync().errors

    lead = signed_in(make_staff("lead", role="Clinical lead"))
    index = lead.get(reverse("admin:index")).content.decode()
    card = index.split('class="content-review', 1)[1].split("</details>", 1)[0]
    assert "Content review due: 3" in card and " open>" in card  # no click to read three
    assert "Fresh" not in card
    # Never reviewed first (by title), then the oldest review; articles and pages together,
    # each a link to its page in the admin.
    assert card.index("About") < card.index("Never") < card.index("Stale")
    assert "Page, never reviewed · content/pages/about.md" in card
    assert "Article, last reviewed Mar 4, 2025 by Dr. Rivera, MD" in card
    assert reverse("admin:blog_page_change", args=[Page.objects.get().pk]) in card

    # The article's own page in the admin gives the date the same way.
    stale = card.split("Stale", 1)[0].rsplit('href="', 1)[1].split('"', 1)[0]
    assert '<div class="readonly">Mar 4, 2025</div>' in lead.get(stale).content.decode()

    # The front desk works requests: the card is not theirs.
    desk = signed_in(make_staff("frontdesk"))
    assert "Content review due" not in desk.get(reverse("admin:index")).content.decode()
