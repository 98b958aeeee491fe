"""Middleware for what Django's own does not do: database outages and Permissions-Policy."""

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)

# What Django raises when it cannot reach the database or lost the connection; anything
# else (IntegrityError, ProgrammingError) is a bug and stays a 500.
DATABASE_UNREACHABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """The branded 503 page, asking clients and crawlers to come back shortly."""
    # No RequestContext: context processors may need the database that is down.
    response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    # An outage page must not be cached by a proxy and served after recovery.
    add_never_cache_headers(response)
    return response


class DatabaseUnavailableMiddleware:
    """Answer 503 instead of 500 when a view fails because the database is unreachable.

    The next request simply tries again: Django drops a broken connection at the end of
    the request (CONN_HEALTH_CHECKS), so recovery needs no restart.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DATABASE_UNREACHABLE):
            return None
        # One line, no traceback: an outage is an operations event, not a code bug.
        logger.warning(
            "database unreachable, answered 503 for %s %s: %s",
            request.method,
            request.path,
            str(exception).strip().splitlines()[0] if str(exception).strip() else "",
        )
        return database_unavailable(request)


class PermissionsPolicyMiddleware:
    """Refuse the browser features in settings.PERMISSIONS_POLICY_DENIED on every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = ", ".join(f"{feature}=()" for feature in settings.PERMISSIONS_POLICY_DENIED)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.policy)
        return response
