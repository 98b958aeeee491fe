"""The HTML a marketer pastes into a host page."""

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from embed.models import EmbedSite

# The link a host page shows until embed.js frames the quiz (and without JavaScript), by
# language. Host pages are the marketer's, so these are not in the site's catalogue.
LINK_TEXTS = {"en": "Take the CSM or CSPO quiz", "de": "Zum Quiz: CSM oder CSPO?"}


def embed_snippet(site: EmbedSite, language: str = "en") -> str:
    """A link that works without JavaScript, which embed.js swaps for the framed quiz.

    `language` ("en", "de") is the quiz's language: the link goes to the quiz in it and
    data-certguide-language tells embed.js to frame /de/embed/… instead of /embed/…."""
    base = settings.SITE_URL
    with translation.override(language):
        start = reverse("wizard:start")
    marker = f' data-certguide-language="{language}"' if language != settings.LANGUAGE_CODE else ""
    return (
        f'<div data-certguide="quiz" data-certguide-site="{site.name}"{marker}>'
        f'<a href="{base}{start}">{LINK_TEXTS.get(language, LINK_TEXTS["en"])}</a></div>\n'
        f'<script src="{base}{reverse("embed_script")}" async></script>'
    )
