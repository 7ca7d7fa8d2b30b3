from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from clinic_site.cache import public_page

from .models import Article, Tag
from .search import order_by_ids, search_ids
from .seo import article_jsonld

PER_PAGE = 10


@public_page
def article_list(request):
    query = request.GET.get("q", "").strip()[:200]
    if query:
        # Paginate the ranked ids, then fetch only this page's articles in that order.
        page = Paginator(search_ids(query), PER_PAGE).get_page(request.GET.get("page"))
        articles = order_by_ids(Article.objects.cards(), page.object_list)
    else:
        page = Paginator(Article.objects.published().cards(), PER_PAGE).get_page(
            request.GET.get("page")
        )
        articles = page.object_list
    return render(
        request,
        "blog/article_list.html",
        {"page": page, "articles": articles, "query": query},
    )


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
