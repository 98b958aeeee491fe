"""Rendered content pages kept in Django's cache until marketers change the content.

Every cache key carries a content version. Saving or deleting any content row replaces the
version (see the receivers at the end of certguide/models.py), so every page rendered
before the change is simply never read again and ages out of the cache on its own.
"""

import hashlib
import json
import uuid
from collections.abc import Callable
from functools import wraps

from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from certguide.campaign import campaign_params

VERSION_KEY = "certguide:content-version"
# A saved change reaches every process at once through a shared cache (Redis). With the
# default per-process cache, other gunicorn workers keep their own copy of the version, so
# a short lifetime bounds how long they can show the old page.
PAGE_TIMEOUT = 5 * 60


def content_version() -> str:
    """The current content version, created on first use (or after the cache lost it)."""
    version = cache.get(VERSION_KEY)
    if version is None:
        # add() so two first requests agree on one version instead of overwriting each other.
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def _replace_version() -> None:
    # A fresh random value, never a counter: a counter restarted after eviction could
    # come back to a number whose stale pages are still cached.
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)


def content_changed(**kwargs: object) -> None:
    """Signal receiver: forget every rendered content page, now and once more at commit.

    Now, so the change shows at once to the code that made it; again at commit, because a
    page rendered by another request between the first bump and the commit may have cached
    the old content under the new version.
    """
    _replace_version()
    transaction.on_commit(_replace_version)


def page_cache_key(path: str, campaign: dict[str, str]) -> str:
    """Key for one rendered page: the content version, the path and the kept utm values."""
    fingerprint = hashlib.sha256(json.dumps([path, sorted(campaign.items())]).encode()).hexdigest()
    return f"certguide:page:{content_version()}:{fingerprint}"


def cached_content_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve a content page from the cache; the view gets the kept utm values as `campaign`.

    A cache hit touches no database. Only 200 answers are stored, so a 404 is never cached.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        campaign = campaign_params(request.GET)
        key = page_cache_key(request.path, campaign)
        content = cache.get(key)
        if content is not None:
            return HttpResponse(content)
        response = view(request, *args, campaign=campaign, **kwargs)
        if response.status_code == 200:
            cache.set(key, response.content, PAGE_TIMEOUT)
        return response

    return wrapper
