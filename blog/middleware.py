import logging

from .content import content_signature, sync_content

logger = logging.getLogger(__name__)


class ContentReloadMiddleware:
    """Development only (settings add it when DEBUG is on): re-sync content/ when a file in it
    has changed since the last request, so an edit shows on the next page load."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.signature = None

    def __call__(self, request):
        signature = content_signature()
        if signature != self.signature:
            report = sync_content()
            for error in report.errors:
                logger.warning("Content not loaded: %s", error)
            self.signature = signature
        return self.get_response(request)
