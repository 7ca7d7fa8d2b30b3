from django.conf import settings

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
