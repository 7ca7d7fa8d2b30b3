from django.urls import path

from clinic_site.cache import public_page

from . import feeds, views
from .sitemaps import rendered_once

app_name = "blog"

urlpatterns = [
    path("", views.article_list, name="list"),
    path("feed/rss/", public_page(rendered_once(feeds.LatestArticles())), name="rss"),
    path("feed/atom/", public_page(rendered_once(feeds.LatestArticlesAtom())), name="atom"),
    path("tags/<slug:slug>/", views.tag, name="tag"),
    path("<slug:slug>/", views.article_detail, name="article"),
]
