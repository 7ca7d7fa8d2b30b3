from django.conf import settings


def permissions_policy(get_response):
    """Django has no setting for Permissions-Policy, so add the one from settings."""

    def middleware(request):
        response = get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response

    return middleware
