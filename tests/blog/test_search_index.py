"""How search keeps up with the content and stays cheap: every search runs one query on the
index in the database, which each content sync brings in line with the articles; a word in every
article costs what a rare one does; only the results are rendered for a search, the page around
them once per content version. The same words find the same articles on SQLite and PostgreSQL
(the suite runs on both: each expectation below holds on each)."""

import re

import pytest

pytestmark = pytest.mark.django_db


def results(client, query, **params):
    html = client.get("/blog/", {"q": query, **params}).content.decode()
    return re.findall(r'class="article-card__title"><a href="/blog/([^/]+)/">', html)


@pytest.fixture
def synced(content, django_capture_on_commit_callbacks):
    """Sync as a release does: the commit tells every process that the content changed."""

    def sync():
        with django_capture_on_commit_callbacks(execute=True):
            content.sync()

    return sync


@pytest.fixture
def list_renders(monkeypatch):
    """How many times the list page's whole template was rendered."""
    import blog.views

    calls = []
    real_render = blog.views.render

    def render(request, template, *args, **kwargs):
        calls.append(template)
        return real_render(request, template, *args, **kwargs)

    monkeypatch.setattr(blog.views, "render", render)
    return calls


def test_an_edited_article_is_found_by_its_new_words_only(client, content, synced):
    content.article("phases", title="Phases", body="Patients describe the induction phase.")
    synced()
    assert results(client, "induction") == ["phases"]
    content.article("phases", title="Phases", body="Patients describe the maintenance phase.")
    synced()
    assert results(client, "induction") == []
    assert results(client, "maintenance") == ["phases"]


def test_a_removed_article_no_longer_matches(client, content, synced):
    kept = content.article("kept", title="Kept esketamine")
    gone = content.article("gone", title="Gone esketamine")
    synced()
    assert sorted(results(client, "esketamine")) == ["gone", "kept"]
    gone.unlink()
    synced()
    assert results(client, "esketamine") == ["kept"]
    assert kept.exists()


def test_a_word_in_every_article_costs_what_a_rare_word_does(
    client, content, synced, django_assert_max_num_queries
):
    for day in range(1, 106):
        body = "Induction, then maintenance." if day == 7 else "Maintenance."
        content.article(
            f"post-{day:03d}", published=f"2024-{1 + day // 28:02d}-{1 + day % 28:02d}", body=body
        )
    synced()
    queries = {}
    for word in ("induction", "maintenance"):
        with django_assert_max_num_queries(10) as captured:
            html = client.get("/blog/", {"q": word}).content.decode()
        queries[word] = len(captured)
        assert word in html
    assert queries["induction"] == queries["maintenance"]
    assert results(client, "induction") == ["post-007"]
    html = client.get("/blog/", {"q": "maintenance"}).content.decode()
    assert "More than 100 articles found for “maintenance”" in html
    # Newest first, ten to a page, up to the hundredth.
    assert results(client, "maintenance")[:2] == ["post-105", "post-104"]
    assert "Page 1 of 10" in html
    assert results(client, "maintenance", page=10)[-1] == "post-006"


SAME_ON_EVERY_DATABASE = [
    ("depressed", ["stems"]),  # "depressed" and "depression" share a stem
    ("TREATMENTS", ["stems"]),
    ("resist", ["stems"]),  # the start of a word
    ("cafe", ["accents"]),  # "café"
    ("año", ["accents"]),
    ("re", []),  # two letters: the whole word only
    ("is", ["stems"]),
    ("covid 19", ["numbers"]),
    ("19", ["numbers"]),
    ("treatment-resistant", ["stems"]),
    ("maintenance", ["title", "accents"]),  # the title match first, then newest
    ("maintenance café", ["accents"]),
    ("'\"*:&|!() NOT", []),
]


@pytest.mark.parametrize(("query", "found"), SAME_ON_EVERY_DATABASE)
def test_the_same_words_find_the_same_articles_on_every_database(
    client, content, synced, query, found
):
    content.article(
        "stems",
        title="Stems",
        body="Depression is common. Treatment-resistant depression resists treatments.",
        published="2025-03-03",
    )
    content.article(
        "accents",
        title="Accents",
        body="A café each año, and maintenance.",
        published="2025-03-02",
    )
    content.article("numbers", title="Numbers", body="COVID-19 and 2025.", published="2025-03-04")
    content.article(
        "title", title="Maintenance", body="About the later phase.", published="2025-03-01"
    )
    content.article(
        "stems-2", title="Care", body="Maintenance of care.", draft=True, published="2025-03-05"
    )
    synced()
    assert results(client, query) == found


def test_the_page_around_the_results_is_rendered_once_per_content_version(
    client, content, synced, list_renders
):
    content.article("alpha", title="Alpha", body="Induction phase.")
    content.article("beta", title="Beta", body="Maintenance phase.")
    synced()
    first = client.get("/blog/", {"q": "induction"}).content.decode()
    second = client.get("/blog/", {"q": "maintenance"}).content.decode()
    assert list_renders == ["blog/article_list.html"]
    # Each visitor sees their own search, and nothing of anyone else's.
    assert "Search results for “induction”" in first and "maintenance" not in first.lower()
    assert "Search results for “maintenance”" in second and "induction" not in second.lower()
    assert 'value="maintenance"' in second and "1 article found" in second
    content.article("beta", title="Beta renamed", body="Maintenance phase.")
    synced()
    assert "Beta renamed" in client.get("/blog/", {"q": "maintenance"}).content.decode()
    assert list_renders == ["blog/article_list.html"] * 2


def test_later_pages_of_a_search_keep_the_query(client, content, synced):
    for day in range(1, 13):
        content.article(f"post-{day:02d}", published=f"2025-03-{day:02d}", body="Esketamine.")
    synced()
    html = client.get("/blog/", {"q": "esketamine", "page": 2}).content.decode()
    assert "Search results for “esketamine” (page 2)" in html
    assert 'rel="canonical" href="https://testserver/blog/?page=2"' in html
    assert 'href="?q=esketamine&amp;page=1" rel="prev"' in html
    assert "12 articles found" in html
    assert len(re.findall('class="card article-card"', html)) == 2


def test_two_searches_that_find_as_many_each_show_their_own_words_in_text_and_links(
    client, content, synced
):
    """The count and page links are rendered once for every search that found as many; the
    words filled into them are each visitor's own, escaped for the page and for a link."""
    import blog.views

    for day in range(1, 13):
        content.article(
            f"post-{day:02d}", published=f"2025-03-{day:02d}", body="Esketamine & ketamine."
        )
    synced()
    blog.views.FRAMES.clear()
    pages = {
        query: client.get("/blog/", {"q": query, "page": 2}).content.decode()
        for query in ("esketamine", 'ketamine "&" <esketamine>')
    }
    assert len(blog.views.FRAMES) == 1
    assert "12 articles found for “esketamine”" in pages["esketamine"]
    assert 'href="?q=esketamine&amp;page=1" rel="prev"' in pages["esketamine"]
    other = pages['ketamine "&" <esketamine>']
    assert "12 articles found for “ketamine &quot;&amp;&quot; &lt;esketamine&gt;”" in other
    assert 'href="?q=ketamine%20%22%26%22%20%3Cesketamine%3E&amp;page=1" rel="prev"' in other
    assert "for “esketamine”" not in other and "<esketamine>" not in other
    # What either visitor typed is in no kept frame.
    assert not any("ketamine" in frame for frame in blog.views.FRAMES.values())


def test_the_words_of_a_search_stay_in_no_memory_of_the_process(client, content, synced):
    """The stemmer, the kept frames and the kept cards hold nothing a visitor typed."""
    import gc

    import blog.search
    import blog.views

    content.article("zeppelins", title="Zeppelins", body="Zeppelinish esketamine.")
    synced()
    assert results(client, "zeppelinish esketamine") == ["zeppelins"]
    assert results(client, "blimpish") == []
    kept = [*gc.get_referents(blog.search.STEMMER), blog.views.FRAMES]
    assert "blimp" not in repr(kept) and "zeppelinish" not in repr(kept)


@pytest.mark.parametrize("asked", ["3", "99", "ten"])
def test_an_old_link_past_the_last_page_shows_the_last_page_or_the_first(
    client, content, synced, asked
):
    """A search's results shrink when articles go; a bookmarked page number still finds them."""
    for day in range(1, 13):
        content.article(f"post-{day:02d}", published=f"2025-03-{day:02d}", body="Esketamine.")
    synced()
    html = client.get("/blog/", {"q": "esketamine", "page": asked}).content.decode()
    assert "12 articles found" in html
    if asked == "ten":
        assert "Page 1 of 2" in html
        assert results(client, "esketamine", page=asked)[0] == "post-12"
    else:
        assert "Page 2 of 2" in html and "(page 2)" in html
        assert results(client, "esketamine", page=asked) == ["post-02", "post-01"]


def test_a_search_that_finds_nothing_says_so_on_any_page(client, content, synced):
    content.article("alpha", title="Alpha", body="Induction phase.")
    synced()
    for page in ("1", "4"):
        html = client.get("/blog/", {"q": "maintenance", "page": page}).content.decode()
        assert "0 articles found for “maintenance”" in html
        assert "Page 1" not in html and results(client, "maintenance", page=page) == []


def test_an_article_dated_tomorrow_is_found_from_tomorrow_on(client, content, synced, settings):
    from datetime import timedelta

    from django.utils import timezone

    tomorrow = timezone.localdate() + timedelta(days=1)
    content.article("soon", title="Soon esketamine", published=tomorrow.isoformat())
    synced()
    assert results(client, "esketamine") == []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "localdate", lambda *args: tomorrow)
        assert results(client, "esketamine") == ["soon"]
