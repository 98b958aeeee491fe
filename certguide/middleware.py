"""Middleware for what Django's own does not do: the client address behind a load balancer,
database outages and Permissions-Policy."""

import contextlib
import ipaddress
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils import translation
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


class ClientAddressMiddleware:
    """Behind load balancers, put the real client address in REMOTE_ADDR.

    Each trusted proxy appends the address it received the request from to
    X-Forwarded-For, so the entry TRUSTED_PROXY_HOPS places from the right is the one the
    outermost trusted proxy saw; anything further left was written by the client and may
    be forged. The header is believed only when the peer and every proxy hop between it
    and that entry are in TRUSTED_PROXIES: a client reaching gunicorn directly could
    otherwise name any address (and get a fresh sign-up limit with each). Without this,
    every visitor would share the balancer's address (and one sign-up rate limit).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.hops = settings.TRUSTED_PROXY_HOPS
        if not self.hops:
            raise MiddlewareNotUsed
        self.proxies = [
            ipaddress.ip_network(entry.strip(), strict=False)
            for entry in settings.TRUSTED_PROXIES
            if entry.strip()
        ]
        self.get_response = get_response

    def _is_proxy(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.proxies)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        forwarded = [
            entry.strip()
            for entry in request.headers.get("x-forwarded-for", "").split(",")
            if entry.strip()
        ]
        if len(forwarded) >= self.hops:
            chain = [
                request.META.get("REMOTE_ADDR", ""),
                *forwarded[len(forwarded) - self.hops + 1 :],
            ]
            if all(self._is_proxy(address) for address in chain):
                # Not an address means a misconfigured proxy: keep the peer's address then.
                with contextlib.suppress(ValueError):
                    request.META["REMOTE_ADDR"] = str(ipaddress.ip_address(forwarded[-self.hops]))
        return self.get_response(request)


def path_language(path: str) -> str:
    """The language a path is in: its prefix (/de/…), else the default (English at /)."""
    return translation.get_language_from_path(path) or settings.LANGUAGE_CODE


class PathLanguageMiddleware:
    """Speak the language of the URL, and only that (instead of Django's LocaleMiddleware).

    A page's language is its address: /de/… is German, everything else English, whatever
    the browser's Accept-Language or a cookie says. So a shared link and a search engine
    get what they asked for, no response varies by Accept-Language (one copy per path in
    every cache), and the admin, which lives outside the language prefixes, stays English.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = path_language(request.path_info)
        request.LANGUAGE_CODE = language
        with translation.override(language):
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
