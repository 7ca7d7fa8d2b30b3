"""A URLconf for error-page tests: the site's own pages plus one that needs the database."""

from django.contrib.auth.models import User
from django.http import HttpResponse
from django.urls import path

from clinic_site.urls import urlpatterns as site_urlpatterns


def needs_database(request):
    return HttpResponse(str(User.objects.count()))


urlpatterns = [path("needs-database/", needs_database), *site_urlpatterns]

handler500 = "clinic_site.views.server_error"
