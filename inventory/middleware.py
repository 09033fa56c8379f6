"""Request guards that run before Django reads a request body."""

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _


class RequestSizeLimitMiddleware:
    """Refuse (413) a body larger than the largest upload the site accepts, before it is read.

    Django would otherwise stream a multi-gigabyte upload to a temporary file before the form
    could say it is too large. The limit is the import limit plus 1 MB for the form around it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit_mb = settings.STOCKWISE["IMPORT_MAX_UPLOAD_MB"] + 1
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit_mb * 1024 * 1024:
            return HttpResponse(
                _("The request is too large: %(limit)s MB at most.") % {"limit": limit_mb},
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
