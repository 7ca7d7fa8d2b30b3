import re

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.translation import get_language, gettext

from clinic_site.cache import kept_for_content, public_page

from .models import Article, Tag
from .search import search_ids
from .seo import article_jsonld

PER_PAGE = 10
SLOTS = ("query", "page_title", "page_query", "results")
SLOT = "\x00{}\x00"
SLOT_RE = re.compile("\x00(" + "|".join(SLOTS) + ")\x00")


@public_page
def article_list(request):
    # NUL is no part of a search term, and marks the slots of the search page's shell.
    query = request.GET.get("q", "").replace("\x00", "").strip()[:200]
    if query:
        return search(request, query)
    page = Paginator(Article.objects.published().cards(), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "blog/article_list.html",
        {"page": page, "articles": page.object_list, "query": query},
    )


def search(request, query):
    """A search's page: the list page's shell with this search's query and results filled in.

    Each search runs against the index (blog/search.py); what is the same for every search (the
    page around the results, each article's card) is rendered once per content version and
    kept in this process, so a search costs the index lookup and a small template, not the
    whole page. Nothing here keeps what a visitor typed."""
    page = Paginator(search_ids(query), PER_PAGE).get_page(request.GET.get("page"))
    results = render_to_string(
        "blog/_results.html", {"query": query, "page": page, "cards": _cards(page.object_list)}
    )
    shell = kept_for_content(
        ("search-shell", request.scheme, request.get_host(), request.path),
        lambda: _search_shell(request),
    )
    values = {
        "query": escape(query),
        "page_title": " " + gettext("(page %(number)s)") % {"number": page.number}
        if page.number > 1
        else "",
        "page_query": f"?page={page.number}" if page.number > 1 else "",
        "results": results,
    }
    # One pass: nothing filled in is read again for slots.
    return HttpResponse(SLOT_RE.sub(lambda match: values[match[1]], shell))


def _search_shell(request):
    slots = {name: SLOT.format(name) for name in SLOTS}
    context = {"query": slots["query"], "slots": slots}
    return render(request, "blog/article_list.html", context).content.decode()


def _cards(ids):
    """These articles' cards in this order, the first two above the fold: each one rendered
    once per content version, and the missing ones fetched in one query."""
    kept = kept_for_content(("article-cards", get_language()), dict)
    wanted = [(pk, i < 2) for i, pk in enumerate(ids)]
    missing = {pk for pk, above in wanted if (pk, above) not in kept}
    if missing:
        articles = Article.objects.cards().in_bulk(missing)
        for pk, above in wanted:
            if (pk, above) not in kept and pk in articles:
                kept[pk, above] = render_to_string(
                    "blog/_article_card.html",
                    {"article": articles[pk], "above_the_fold": above},
                )
    return [kept[key] for key in wanted if key in kept]


@public_page
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
            "jsonld": article_jsonld(article, request),
            # Every link to the form from here preselects the article's treatment.
            "contact_service": article.primary_service,
        },
    )
