"""A URLconf for error-page tests: the site's own pages plus one that needs the database."""

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpResponse
from django.urls import path

from clinic_site.urls import urlpatterns as site_urlpatterns


def needs_database(request):
    return HttpResponse(str(User.objects.count()))


def suspicious(request):
    raise SuspiciousOperation("a malformed request")


def forbidden(request):
    raise PermissionDenied


urlpatterns = [
    path("needs-database/", needs_database),
    path("suspicious/", suspicious),
    path("forbidden/", forbidden),
    *site_urlpatterns,
]

handler400 = "clinic_site.views.bad_request"
handler403 = "clinic_site.views.permission_denied"
handler404 = "clinic_site.views.page_not_found"
handler500 = "clinic_site.views.server_error"
