from urllib.parse import quote

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.html import escape
from django.utils.translation import get_language, gettext

from clinic_site.cache import fill, public_page, slot

from .models import Article, Tag
from .search import CAP, search
from .seo import article_jsonld

PER_PAGE = 10
# ?page=1 to ?page=9999: the pages a list can have.
PAGE_NUMBER = r"[1-9][0-9]{0,3}"


def _query(request):
    # NUL is no part of a search term, and marks the slots of a kept page.
    return request.GET.get("q", "").replace("\x00", "").strip()[:200]


def _results(request):
    """This search's query, title and results, for the slots of the search page."""
    query = _query(request)
    try:
        number = int(request.GET.get("page", 1))
    except ValueError:
        number = 1
    found, number, results = search(query, number, PER_PAGE)
    cards, escaped = _cards(results), escape(query)
    results = fill(
        _frame(found, number, bool(query), bool(cards)),
        {"query": escaped, "query_url": escape(quote(query)), "cards": "".join(cards)},
    )
    return {
        "query": escaped,
        "page_title": " " + gettext("(page %(number)s)") % {"number": number} if number > 1 else "",
        "page_query": f"?page={number}" if number > 1 else "",
        "results": results,
    }


# The frame of a search's results (how many were found, the links to other pages), rendered once
# in a process for each count, page and language, with slots for the query and the cards: what a
# visitor typed is filled in for each search and kept nowhere (bench/RESULTS.md: rendering the
# frame for each search was a sixth of its time).
FRAMES = {}


def _frame(found, number, query, cards):
    key = (found, number, query, cards, get_language(), get_script_prefix())
    frame = FRAMES.get(key)
    if frame is None:
        if len(FRAMES) > 5000:
            FRAMES.clear()
        context = {
            "query": slot("query") if query else "",
            "query_url": slot("query_url"),
            # The page's numbers, links and "Page 2 of 10", as the article list has them.
            "page": Paginator(range(min(found, CAP)), PER_PAGE).page(number),
            "cards": [slot("cards")] if cards else [],
            "more": found > CAP,
            "cap": CAP,
        }
        frame = FRAMES[key] = render_to_string("blog/_results.html", context)
    return frame


# Cards of searched articles, each rendered once in a process for each version of the article
# (bench/RESULTS.md: at 1,000 articles rendering ten cards was most of a search's time).
CARDS = {}


def _cards(found):
    """The cards of these (id, version) articles, the first two above the fold."""
    language, prefix = get_language(), get_script_prefix()
    keys = [(pk, version, i < 2, language, prefix) for i, (pk, version) in enumerate(found)]
    missing = [key for key in keys if key not in CARDS]
    if missing:
        if len(CARDS) > 5000:
            CARDS.clear()
        articles = Article.objects.cards().in_bulk([key[0] for key in missing])
        for key in missing:
            if key[0] in articles:
                context = {
                    "article": articles[key[0]],
                    "above_the_fold": key[2],
                    "content_in_english": key[3] != "en",
                }
                CARDS[key] = render_to_string("blog/_article_card.html", context)
    return [CARDS[key] for key in keys if key in CARDS]


@public_page(per_visitor=_results)
def search_page(request):
    """The list page around a search's results, the same for every search: kept, and each
    search's query and results filled in."""
    slots = {name: slot(name) for name in ("query", "page_title", "page_query", "results")}
    return render(request, "blog/article_list.html", {"query": slots["query"], "slots": slots})


# ?q= is a search, what a visitor typed: served by `search_page`, never kept with the list.
@public_page(query={"page": PAGE_NUMBER}, private={"q": search_page})
def article_list(request):
    page = Paginator(Article.objects.published().cards(), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "blog/article_list.html", {"page": page, "articles": page.object_list})


@public_page(query={"page": PAGE_NUMBER})
def tag(request, slug):
    tag = get_object_or_404(Tag, slug=slug)
    page = Paginator(tag.articles.published().cards(), PER_PAGE).get_page(request.GET.get("page"))
    if not page.object_list:
        return render(request, "blog/article_list.html", {"tag": tag, "page": page}, status=404)
    return render(
        request,
        "blog/article_list.html",
        {"page": page, "articles": page.object_list, "tag": tag},
    )


@public_page
def article_detail(request, slug):
    article = get_object_or_404(Article.objects.published().prefetch_related("tags"), slug=slug)
    # Related, previous and next were worked out at sync time: one query fetches them all.
    linked = Article.objects.cards_by_slug(
        [*article.related_slugs, article.previous_slug, article.next_slug]
    )
    return render(
        request,
        "blog/article_detail.html",
        {
            "article": article,
            "related": [linked[s] for s in article.related_slugs if s in linked],
            "previous": linked.get(article.previous_slug),
            "next": linked.get(article.next_slug),
            "jsonld": article_jsonld(article),
            # Every link to the form from here preselects the article's treatment.
            "contact_service": article.primary_service,
        },
    )
