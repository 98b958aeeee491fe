"""Rendered pages that are the same for every visitor, kept per content generation.

One copy per path, whatever the query string: a visitor's utm_* values are written into the
page's campaign-keeping links when the page is served (fill_campaign), so a flood of
distinct campaign values cannot multiply the cached copies. Only 200 answers are kept; a
hit touches no database.
"""

import re
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.utils.html import escape

from certguide import generations
from certguide.campaign import CAMPAIGN_SLOT, campaign_params

# The slot as campaign.signup_url()/wizard_url() write it into an attribute (after "?" or
# an escaped "&").
_SLOT = re.compile(rb"(\?|&amp;)" + re.escape(next(iter(CAMPAIGN_SLOT)).encode()) + rb"=")


def fill_campaign(content: bytes, campaign: dict[str, str]) -> bytes:
    """The page with its campaign slots holding the visitor's utm_* values (or removed)."""
    if not campaign:
        return _SLOT.sub(b"", content)
    query = escape(urlencode(campaign)).encode()
    return _SLOT.sub(lambda match: match.group(1) + query, content)


def cached_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve the view's page from the content generation's cache.

    The view is called with `campaign=CAMPAIGN_SLOT` and passes it on to its template, whose
    campaign-keeping links then carry a slot instead of any visitor's values.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        name = f"page:{request.path}"
        generation, content = generations.lookup(generations.Family.CONTENT, name)
        if content is generations.MISSING:
            response = view(request, *args, campaign=CAMPAIGN_SLOT, **kwargs)
            if response.status_code != 200:
                return response
            content = response.content
            generations.keep(generations.Family.CONTENT, name, generation, content)
        else:
            response = HttpResponse()
        response.content = fill_campaign(content, campaign_params(request.GET))
        return response

    return wrapper
