"""A sync touches only what changed: an unchanged file is neither parsed nor written, and an
edit re-links only the articles it can affect. (Its speed at 1,000 and 5,000 articles is in
bench/growth_content.py.)"""

from datetime import date
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from blog.models import Article

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE")


def links(slug):
    article = Article.objects.get(slug=slug)
    return article.related_slugs, article.previous_slug, article.next_slug


def rows():
    return {row["slug"]: row for row in Article.objects.values()}


def queries_of_a_sync(content):
    with CaptureQueriesContext(connection) as queries:
        report = content.sync()
    assert not report.changed and not report.errors
    return [query["sql"] for query in queries.captured_queries]


def test_a_sync_with_nothing_changed_writes_nothing_and_costs_the_same_for_more_files(content):
    for n in range(3):
        content.article(f"first-{n}", tags=["tms", f"own-{n}"], services=["tms"])
    content.sync()
    few = queries_of_a_sync(content)
    for n in range(30):
        content.article(f"more-{n}", tags=["tms", f"more-{n}"], services=["spravato"])
    content.sync()
    with mock.patch("blog.content.parse_article", side_effect=AssertionError("parsed")):
        many = queries_of_a_sync(content)
    assert len(many) == len(few)
    assert not [sql for sql in few + many if sql.lstrip().upper().startswith(WRITES)]


def test_an_edit_re_links_only_the_articles_it_can_affect(content):
    for n, tag in enumerate(["alpha", "alpha", "alpha", "beta", "beta", "gamma", "gamma"]):
        content.article(f"{tag}-{n}", published=f"2025-01-{n + 1:02d}", tags=[tag])
    content.sync()
    assert links("alpha-0")[0] == ["alpha-2", "alpha-1"]
    before = rows()

    # alpha-1 is about beta now: the alpha articles list it, the beta ones may list it now.
    content.article("alpha-1", published="2025-01-02", tags=["beta"])
    report = content.sync()

    assert report.relinked == ["alpha-0", "alpha-1", "alpha-2", "beta-3", "beta-4"]
    after = rows()
    assert {slug for slug in after if after[slug] != before[slug]} == {
        "alpha-0", "alpha-1", "alpha-2", "beta-3", "beta-4",
    }  # fmt: skip
    assert links("alpha-0")[0] == ["alpha-2"]
    assert links("beta-3")[0] == ["beta-4", "alpha-1"]
    assert links("alpha-1") == (["beta-4", "beta-3"], "alpha-0", "alpha-2")


def test_an_edit_that_changes_no_link_writes_only_its_own_row(content):
    for n in range(4):
        content.article(f"article-{n}", published=f"2025-01-{n + 1:02d}", tags=["tms"])
    content.sync()
    content.article("article-2", published="2025-01-03", tags=["tms"], body="New words.")
    with CaptureQueriesContext(connection) as queries:
        report = content.sync()
    assert report.updated == ["articles/article-2.md"]
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1 and "body_html" in updates[0]


def test_an_article_is_linked_on_the_first_sync_after_its_date(content):
    content.article("older", published="2025-01-01", tags=["tms"])
    content.article("newer", published="2025-02-01", tags=["tms"])
    content.article("scheduled", published="2099-01-01", tags=["tms"])
    content.sync()
    assert links("newer") == (["older"], "older", "")
    assert links("scheduled") == ([], "", "")

    with mock.patch("django.utils.timezone.localdate", return_value=date(2099, 1, 1)):
        report = content.sync()
    assert not report.changed  # no file changed: the date came
    assert links("scheduled") == (["newer", "older"], "newer", "")
    assert links("newer") == (["scheduled", "older"], "older", "scheduled")


def test_an_article_that_leaves_the_site_and_comes_back_is_linked_afresh(content):
    for n in range(3):
        content.article(f"article-{n}", published=f"2025-01-{n + 1:02d}", tags=["tms"])
    content.sync()
    moved = content.article("article-1", published="2099-01-01", tags=["tms"])
    content.sync()  # dated later: off the site until then
    assert links("article-1") == ([], "", "")
    assert links("article-0") == (["article-2"], "", "article-2")

    with mock.patch("django.utils.timezone.localdate", return_value=date(2099, 1, 1)):
        content.sync()
        assert links("article-1") == (["article-2", "article-0"], "article-2", "")
        moved.unlink()
        report = content.sync()
    assert report.unpublished == ["articles/article-1.md"]
    assert links("article-1") == ([], "", "")
    assert links("article-2") == (["article-0"], "article-0", "")


def test_a_renamed_file_keeps_its_article_under_its_new_path(content):
    old = content.article("kept", slug="kept-article", tags=["tms"])
    content.sync()
    old.rename(old.with_name("renamed.md"))
    report = content.sync()
    assert report.updated == ["articles/renamed.md"] and not report.unpublished
    assert Article.objects.get(slug="kept-article").source_path == "articles/renamed.md"
    assert content.sync().unchanged == ["articles/renamed.md"]


def test_a_file_is_rendered_again_when_a_fact_it_quotes_changes_even_in_a_shared_section(
    content, settings, tmp_path
):
    clinic_file = tmp_path / "clinic.toml"
    clinic_file.write_text(settings.CLINIC_FILE.read_text())
    settings.CLINIC_FILE = clinic_file
    (content.root / "includes").mkdir()
    content.raw("includes/call.md", "Call us on {clinic.phone}.\n")
    content.article("quoting", body="Intro.\n\n{include:call}\n")
    content.article("plain", body="No facts here.")
    content.sync()
    assert content.sync().unchanged == ["articles/plain.md", "articles/quoting.md"]

    clinic_file.write_text(clinic_file.read_text().replace('phone = "', 'phone = "+1 ', 1))
    settings.CLINIC_FILE = clinic_file  # read again
    report = content.sync()
    assert report.updated == ["articles/quoting.md"]
    assert report.unchanged == ["articles/plain.md"]
    assert "Call us on +1 (772)" in Article.objects.get(slug="quoting").body_html
