"""The HTML a marketer pastes into a host page."""

from django.conf import settings
from django.urls import reverse

from embed.models import EmbedSite


def embed_snippet(site: EmbedSite) -> str:
    """A link that works without JavaScript, which embed.js swaps for the framed quiz."""
    base = settings.SITE_URL
    return (
        f'<div data-certguide="quiz" data-certguide-site="{site.name}">'
        f'<a href="{base}{reverse("wizard:start")}">Take the CSM or CSPO quiz</a></div>\n'
        f'<script src="{base}{reverse("embed_script")}" async></script>'
    )
