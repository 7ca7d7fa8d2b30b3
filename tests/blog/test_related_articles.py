"""Each article links three related articles (the ones sharing the most tags, then services,
then the newest) and its neighbours in time; each service page, the newest articles about its
service. All worked out at sync time."""

import random

import pytest

from blog.content import RelatedIndex
from blog.models import Article, Page

pytestmark = pytest.mark.django_db

ESKETAMINE = "esketamine-therapy-for-treatment-resistant-depression"
UNLOCKING = "spravato-and-therapy-for-treatment-resistant-depression"


def links(slug):
    article = Article.objects.get(slug=slug)
    return article.related_slugs, article.previous_slug, article.next_slug


def test_the_clinics_articles_link_as_they_always_have(site_content):
    # What the sync worked out before the index (pinned on main's code): the two articles are
    # each other's related article; the undated one shows its file's date, the newer.
    assert links(ESKETAMINE) == ([UNLOCKING], "", UNLOCKING)
    assert links(UNLOCKING) == ([ESKETAMINE], ESKETAMINE, "")
    service_pages = Page.objects.filter(section=Page.Section.SERVICES)
    assert {page.slug: page.related_slugs for page in service_pages} == {
        "spravato": [UNLOCKING, ESKETAMINE],
        "therapy": [UNLOCKING],
        "tms": [],
        "evaluation": [],
    }


def test_related_articles_share_the_most_tags_then_services_then_are_the_newest(content):
    content.article("subject", published="2025-06-01", tags=["a", "b"], services=["tms"])
    content.article("both-tags", published="2025-01-01", tags=["a", "b"])  # scores 4
    content.article("tag-and-service", published="2025-02-01", tags=["a"], services=["tms"])  # 3
    content.article("tag-older", published="2025-03-01", tags=["b"])  # 2
    content.article("tag-newer", published="2025-04-01", tags=["a"])  # 2
    content.article("service-only", published="2025-05-01", services=["tms"])  # 1
    content.article("nothing-shared", published="2025-05-15", tags=["c"], services=["spravato"])
    content.sync()
    assert links("subject")[0] == ["both-tags", "tag-and-service", "tag-newer"]
    # Fewer than three share anything: only those are shown.
    assert links("nothing-shared")[0] == []
    assert links("service-only")[0] == ["subject", "tag-and-service"]


def test_articles_of_the_same_day_follow_their_slugs(content):
    for slug in ["day-c", "day-a", "day-b"]:
        content.article(slug, published="2025-03-01", tags=["tms"])
    content.article("subject", published="2025-01-01", tags=["tms"])
    content.sync()
    assert links("subject") == (["day-a", "day-b", "day-c"], "", "day-c")
    assert links("day-b") == (["day-a", "day-c", "subject"], "day-c", "day-a")


def _every_pair(articles, number):
    """The rule, comparing the article with every other: what the index must find."""
    tags, services = articles[number]
    scored = []
    for other, (other_tags, other_services) in enumerate(articles):
        score = 2 * len(tags & other_tags) + len(services & other_services)
        if other != number and score:
            scored.append((-score, other))  # numbered newest first: a lower number is newer
    return [other for _, other in sorted(scored)[:3]]


@pytest.mark.parametrize("size", [1, 2, 5, 40, 400])
def test_the_index_finds_what_comparing_every_pair_finds(size):
    rng = random.Random(size)
    vocabulary = list(range(12))
    weights = [1 / (rank + 1) for rank in range(12)]  # a few popular tags, many rare ones
    articles = []
    for _ in range(size):
        # Up to eleven tags: an article with more than RelatedIndex lists is compared with
        # every other one instead.
        count = rng.choice([0, 1, 2, 3, 4, 5, 11])
        tags = {rng.choices(vocabulary, weights)[0] for _ in range(count)}
        services = set(rng.sample(["spravato", "tms", "evaluation", "therapy"], rng.randint(0, 2)))
        articles.append((tags, services))
    index = RelatedIndex(articles)
    for number in range(size):
        assert index.related(number) == _every_pair(articles, number), number
