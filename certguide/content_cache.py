"""Pages that are the same for every visitor: kept per content generation, served early.

One copy per path, whatever the query string: a visitor's utm_* values are written into the
page's campaign-keeping links when the page is served (fill_campaign), so a flood of
distinct campaign values cannot multiply the cached copies. Only 200 answers are kept.

`cached_page` marks a view's page as shareable and renders it with campaign slots;
`PageCacheMiddleware`, first in MIDDLEWARE, stores the finished response (with every
header the stack gave it) and answers the next anonymous GET for that path before the rest
of the stack runs, as Django's own two-part cache middleware does. Both answer conditional
requests (ETag carrying the content generation, Last-Modified) and mark the page
`Cache-Control: public` so a proxy or CDN can share it; the HTML is gzipped when the
client accepts it, which is safe here because these pages carry no token and no personal
data (certguide.generations refuses to keep a page with a CSRF token).
"""

import dataclasses
import functools
import gzip
import hashlib
import re
import time
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.html import escape
from django.utils.http import http_date, parse_etags

from certguide import generations
from certguide.campaign import CAMPAIGN_SLOT, campaign_params
from certguide.middleware import path_language

# The slot as campaign.signup_url()/wizard_url() write it into an attribute (after "?" or
# an escaped "&").
_SLOT = re.compile(rb"(\?|&amp;)" + re.escape(next(iter(CAMPAIGN_SLOT)).encode()) + rb"=")
# A proxy may share a page for five minutes and serve it a minute longer while it asks
# again; a browser asks every time (max-age=0) and mostly gets a 304.
SHARED_CACHE_CONTROL = "public, max-age=0, s-maxage=300, stale-while-revalidate=60"
# Headers a stored page must not replay: they are per response or recomputed.
_NOT_REPLAYED = {"content-length", "content-encoding", "etag", "last-modified", "date"}
_GZIP_MIN_BYTES = 512


@dataclasses.dataclass(frozen=True)
class StoredPage:
    """A page as every visitor gets it, campaign slots unfilled."""

    content: bytes
    headers: tuple[tuple[str, str], ...]
    modified: float  # when it was rendered (Last-Modified)
    plain: bytes  # `content` with the slots emptied: the common case (no utm_*), once
    gzipped: bytes  # `plain`, gzipped
    # `headers` with the validators, Cache-Control and Vary of `plain` added: the common
    # case's whole answer, worked out once instead of on every request.
    plain_headers: tuple[tuple[str, str], ...]
    plain_etag: str

    @classmethod
    def build(cls, content: bytes, headers, *, generation: str, modified: float):
        plain = fill_campaign(content, {})
        etag = _etag(generation, plain)
        probe = HttpResponse()
        for name, value in headers:
            probe[name] = value
        _add_validators(probe, etag=etag, modified=modified)
        return cls(
            content=content,
            headers=tuple(headers),
            modified=modified,
            plain=plain,
            gzipped=gzip.compress(plain, compresslevel=9),
            plain_headers=tuple(probe.items()),
            plain_etag=etag,
        )


@dataclasses.dataclass(frozen=True)
class _Render:
    generation: str
    content: bytes


def fill_campaign(content: bytes, campaign: dict[str, str]) -> bytes:
    """The page with its campaign slots holding the visitor's utm_* values (or removed)."""
    if not campaign:
        return _SLOT.sub(b"", content)
    query = escape(urlencode(campaign)).encode()
    return _SLOT.sub(lambda match: match.group(1) + query, content)


def page_name(path: str) -> str:
    """The name a path's page is kept under (hashed: a path is the visitor's to choose,
    any length, any character)."""
    return f"page:{hashlib.blake2b(path.encode(), digest_size=16).hexdigest()}"


@functools.lru_cache(maxsize=4096)
def _shared_path(path_info: str) -> bool:
    # The URLconf is fixed for the life of the process; the bound keeps made-up paths from
    # growing the memo.
    try:
        # Before PathLanguageMiddleware: the language prefix only resolves in its language.
        with translation.override(path_language(path_info)):
            return getattr(resolve(path_info).func, "shared_page", False)
    except Resolver404:
        return False


def _shared(request: HttpRequest) -> bool:
    """Whether the path leads to a cached_page view: only those cost a cache look-up."""
    return _shared_path(request.path_info)


def cached_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Make the view's page one copy for every visitor (see the module docstring).

    The view is called with `campaign=CAMPAIGN_SLOT` and passes it on to its template, whose
    campaign-keeping links then carry a slot instead of any visitor's values.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        name = page_name(request.path)
        generation, stored = generations.lookup(generations.Family.CONTENT, name)
        if isinstance(stored, StoredPage):
            response, content = HttpResponse(), stored.content
        else:
            response = view(request, *args, campaign=CAMPAIGN_SLOT, **kwargs)
            if response.status_code != 200:
                return response
            content = response.content
        # For PageCacheMiddleware, on the way out: what to store and under which generation.
        request._shared_page = _Render(generation, content)
        response.content = fill_campaign(content, campaign_params(request.GET))
        return response

    wrapper.shared_page = True  # functools.wraps carries it through outer decorators
    return wrapper


def _etag(generation: str, content: bytes) -> str:
    return f'"{generation[:12]}-{hashlib.blake2b(content, digest_size=8).hexdigest()}"'


def _add_validators(response: HttpResponse, *, etag: str, modified: float) -> None:
    response["ETag"] = etag
    response["Last-Modified"] = http_date(modified)
    response["Cache-Control"] = SHARED_CACHE_CONTROL
    patch_vary_headers(response, ["Accept-Encoding"])


def _client_has(request: HttpRequest, etag: str) -> bool:
    return etag in parse_etags(request.headers.get("if-none-match", ""))


def _not_modified(response: HttpResponse) -> HttpResponseNotModified:
    not_modified = HttpResponseNotModified()
    for header in ("ETag", "Last-Modified", "Cache-Control", "Vary"):
        not_modified[header] = response[header]
    return not_modified


def _finish(request: HttpRequest, response: HttpResponse, *, generation: str, modified: float):
    """Validators, shared caching and, when accepted, gzip; or a 304 when the client's copy
    is current."""
    etag = _etag(generation, response.content)
    _add_validators(response, etag=etag, modified=modified)
    return _not_modified(response) if _client_has(request, etag) else _gzip(request, response)


def _accepts_gzip(request: HttpRequest, content: bytes) -> bool:
    return (
        len(content) >= _GZIP_MIN_BYTES
        and "gzip" in request.headers.get("accept-encoding", "").lower()
    )


def _gzip(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if not _accepts_gzip(request, response.content):
        return response
    response.content = gzip.compress(response.content, compresslevel=6)
    response["Content-Encoding"] = "gzip"
    if response.has_header("Content-Length"):  # set by CommonMiddleware for the plain body
        response["Content-Length"] = str(len(response.content))
    return response


def _storable(request: HttpRequest, response: HttpResponse) -> bool:
    """A response every visitor may get: no cookie set, not varying on cookies, and from
    the scheme the site is served on."""
    vary = response.get("Vary", "").lower()
    return (
        not response.cookies
        and "cookie" not in vary
        and (request.is_secure() or not settings.SECURE_SSL_REDIRECT)
    )


def _anonymous(request: HttpRequest) -> bool:
    # Signed-in staff and visitors with a message waiting take the whole stack.
    return settings.SESSION_COOKIE_NAME not in request.COOKIES and "messages" not in request.COOKIES


class PageCacheMiddleware:
    """First in MIDDLEWARE: answers an anonymous GET of a stored page at once, and stores
    the pages cached_page marked on their way out (see the module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Stored pages are kept per language, as everything certguide.generations keeps:
        # read in the page's (without activating it: a stored page needs no translation)
        # and, through the whole stack, store in it, before and after PathLanguageMiddleware.
        language = path_language(request.path_info)
        early = request.method in ("GET", "HEAD") and _anonymous(request) and _shared(request)
        if early and (request.is_secure() or not settings.SECURE_SSL_REDIRECT):
            request.get_host()  # the host check the skipped middleware would have made
            generation, stored = generations.lookup(
                generations.Family.CONTENT, page_name(request.path), language=language
            )
            if isinstance(stored, StoredPage) and stored.headers:
                return self._replay(request, stored, generation)
        with translation.override(language):
            return self._serve(request, early=early)

    def _serve(self, request: HttpRequest, *, early: bool) -> HttpResponse:
        response = self.get_response(request)
        render = getattr(request, "_shared_page", None)
        if render is None or response.status_code != 200 or response.cookies:
            return response
        modified = time.time()
        if early and _storable(request, response):
            headers = tuple(
                (name, value)
                for name, value in response.items()
                if name.lower() not in _NOT_REPLAYED
            )
            stored = StoredPage.build(
                render.content, headers, generation=render.generation, modified=modified
            )
            generations.keep(
                generations.Family.CONTENT, page_name(request.path), render.generation, stored
            )
        return _finish(request, response, generation=render.generation, modified=modified)

    def _replay(self, request: HttpRequest, stored: StoredPage, generation: str) -> HttpResponse:
        campaign = campaign_params(request.GET) if request.META.get("QUERY_STRING") else {}
        if campaign:  # the visitor's utm_* values go into the page's links
            response = HttpResponse(fill_campaign(stored.content, campaign))
            for name, value in stored.headers:
                response[name] = value
            return _finish(request, response, generation=generation, modified=stored.modified)
        # The common case: every header was worked out when the page was stored.
        zipped = _accepts_gzip(request, stored.plain)
        response = HttpResponse(stored.gzipped if zipped else stored.plain)
        for name, value in stored.plain_headers:
            response[name] = value
        if _client_has(request, stored.plain_etag):
            return _not_modified(response)
        if zipped:
            response["Content-Encoding"] = "gzip"
        # A known length spares the server a chunked answer.
        response["Content-Length"] = str(len(response.content))
        return response
