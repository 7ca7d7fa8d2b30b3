from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from blog import pages, sitemaps

from . import views
from .cache import public_page

# Staff pages and the files for crawlers: one address, in English.
urlpatterns = [
    path("robots.txt", views.robots_txt, name="robots"),
    path("sitemap.xml", sitemaps.sitemap, name="sitemap"),
    path("sitemap-<slug:section>.xml", sitemaps.section_sitemap, name="sitemap-section"),
    path(settings.ADMIN_URL_PATH, admin.site.urls),
]

# The patients' pages: English at /, Spanish at /es/.
urlpatterns += i18n_patterns(
    path("", pages.home, name="home"),
    path("blog/", include("blog.urls")),
    path("contact/", include("appointments.urls")),
    path("refer/", include("appointments.referral_urls")),
    path("services/", pages.services, name="services"),
    path("services/<slug:slug>/", pages.service, name="service"),
    # The words static/js says, in the page's language (locale/*/djangojs.po): a first-party
    # script, the same for everyone, kept and served like a public page.
    path(
        "jsi18n/",
        public_page(JavaScriptCatalog.as_view(domain="djangojs")),
        name="javascript-catalog",
    ),
    # Clinic pages from content/pages/ (about, privacy, accessibility); keep this last.
    path("<slug:slug>/", pages.page, name="page"),
    prefix_default_language=False,
)

handler400 = "clinic_site.views.bad_request"
handler403 = "clinic_site.views.permission_denied"
handler404 = "clinic_site.views.page_not_found"
handler500 = "clinic_site.views.server_error"
