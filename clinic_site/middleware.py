from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .http import error_page
from .views import healthz


def permissions_policy(get_response):
    """Django has no setting for Permissions-Policy, so add the one from settings."""

    def middleware(request):
        response = get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response

    return middleware


def health_check(get_response):
    """The load balancer's probe, answered first: before the HTTPS redirect and the Host
    check, because a probe speaks plain HTTP to the server's own address."""

    def middleware(request):
        if request.path == settings.HEALTH_PATH:
            return healthz(request)
        return get_response(request)

    return middleware


def _is_admin(request):
    # "/admin" too, which only redirects to "/admin/".
    return (request.path + "/").startswith("/" + settings.ADMIN_URL_PATH)


def admin_noindex(get_response):
    """Search engines leave the staff admin out, told on its own responses: robots.txt, which
    anyone can read, does not name where the admin lives."""

    def middleware(request):
        response = get_response(request)
        if _is_admin(request):
            response.headers["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return middleware


def body_limits(get_response):
    """Refuse a request body by its declared length and type, before anything reads it.

    The CSRF check reads request.POST, and Django's multipart parser writes uploaded files to
    disk as it reads, whatever their size: a limit checked in a view comes after both. The
    public site takes small form posts only; the admin takes what Django reads into memory.
    """

    def middleware(request):
        admin = _is_admin(request)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE if admin else settings.PUBLIC_MAX_BODY_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length > limit:
            return error_page(
                request,
                413,
                _("Your request is too long to send"),
                _("Please shorten your message and send it again."),
            )
        if length < 0 or "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            return _unreadable(request, 400)
        if length and not admin and request.content_type != "application/x-www-form-urlencoded":
            return _unreadable(request, 415)
        return get_response(request)

    return middleware


def _unreadable(request, status):
    return error_page(
        request, status, _("We could not read your request"), _("Please send it again.")
    )
