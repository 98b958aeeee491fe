"""Sharing a result: the Open Graph card (a 1200x630 PNG drawn on the server) and the
plain share links of the result page.

A result is frozen at completion, so its card never changes: it is drawn once per attempt,
kept in Django's cache, and served with a year's Cache-Control. The card carries the
outcome and the two percentages only, nothing about the person, and no text chunks.
"""

import functools
import io
import uuid
from urllib.parse import quote, urlencode

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe
from PIL import Image, ImageDraw, ImageFont

from certguide.context_processors import site
from wizard.models import Attempt, Recommendation

CARD_SIZE = (1200, 630)
# Bump when the drawing changes: cards cached under the old version are never read again.
CARD_VERSION = 1
CARD_CACHE_TIMEOUT = 60 * 60 * 24 * 30
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

BRAND = "#1f4e79"
BRAND_DARK = "#143452"
CSM_COLOUR = "#1f4e79"
CSPO_COLOUR = "#8a3b12"
PAPER = "#f3f6f9"
INK = "#1b1f24"
TRACK = "#dde3ea"

# What each outcome is called on the result page, the share card and in share texts, in
# the active language (Recommendation's own labels are the admin's, in English).
HEADLINES = {
    Recommendation.CSM: "Certified ScrumMaster (CSM)",
    Recommendation.CSPO: "Certified Scrum Product Owner (CSPO)",
    Recommendation.BOTH: _("Both CSM and CSPO"),
}


def outcome_label(outcome: Recommendation) -> str:
    return str(HEADLINES[outcome])


def percent(score: int) -> str:
    """A share as the language writes it: "80%" in English, "80 %" in German."""
    return gettext("%(score)s%%") % {"score": score}


def card_alt(*, outcome: Recommendation, csm_score: int, cspo_score: int) -> str:
    """The card's text alternative: everything the image says, in one sentence."""
    return gettext(
        "certguide quiz result: %(outcome)s recommended. Scrum Master (CSM) %(csm)s, "
        "Product Owner (CSPO) %(cspo)s."
    ) % {"outcome": outcome_label(outcome), "csm": percent(csm_score), "cspo": percent(cspo_score)}


@functools.cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    # Pillow's own scalable font (Aileron): no font file of ours, nothing from the system.
    return ImageFont.load_default(size=size)


def _fit(draw: ImageDraw.ImageDraw, text: str, *, width: int, size: int) -> ImageFont.FreeTypeFont:
    """The largest font up to `size` at which `text` fits in `width` pixels."""
    while size > 24 and draw.textlength(text, font=_font(size)) + 2 > width:
        size -= 4
    return _font(size)


def draw_card(*, outcome: Recommendation, csm_score: int, cspo_score: int) -> bytes:
    """Draw a result's share card and return it as PNG bytes (no metadata chunks).

    Its words are translated; Pillow's font has no umlauts, so the card's German avoids
    them (tests/wizard/test_share_languages.py checks every character has a glyph)."""
    width, height = CARD_SIZE
    margin = 72
    image = Image.new("RGB", CARD_SIZE, PAPER)
    draw = ImageDraw.Draw(image)

    # Brand band along the top.
    draw.rectangle([0, 0, width, 96], fill=BRAND)
    draw.text((margin, 48), "certguide", font=_font(44), fill="white", anchor="lm", stroke_width=1)
    draw.text(
        (width - margin, 48),
        # Translators: drawn on the share card with a font that has no umlauts (ä, ö, ü, ß).
        gettext("CSM or CSPO? Quiz result"),
        font=_font(30),
        fill="white",
        anchor="rm",
    )

    # Translators: drawn on the share card with a font that has no umlauts (ä, ö, ü, ß).
    draw.text((margin, 150), gettext("Recommended"), font=_font(34), fill="#3d4650", anchor="ls")
    headline = outcome_label(outcome)
    draw.text(
        (margin, 230),
        headline,
        font=_fit(draw, headline, width=width - 2 * margin, size=64),
        fill=BRAND_DARK,
        anchor="ls",
        stroke_width=1,
    )

    bar_left, bar_right = margin, width - margin
    for top, label, score, colour in (
        (290, "Scrum Master (CSM)", csm_score, CSM_COLOUR),
        (410, "Product Owner (CSPO)", cspo_score, CSPO_COLOUR),
    ):
        draw.text((bar_left, top + 36), label, font=_font(36), fill=INK, anchor="ls")
        draw.text(
            (bar_right, top + 36),
            # Pillow's font has no glyph for the no-break space German puts before "%".
            percent(score).replace("\u00a0", " "),
            font=_font(44),
            fill=INK,
            anchor="rs",
            stroke_width=1,
        )
        bar = [bar_left, top + 54, bar_right, top + 90]
        draw.rounded_rectangle(bar, radius=8, fill=TRACK)
        filled = bar_left + round((bar_right - bar_left) * max(0, min(score, 100)) / 100)
        if filled > bar_left:
            draw.rounded_rectangle([bar_left, bar[1], filled, bar[3]], radius=8, fill=colour)

    draw.rectangle([0, height - 72, width, height], fill=BRAND_DARK)
    draw.text(
        (margin, height - 36),
        # Translators: drawn on the share card with a font that has no umlauts (ä, ö, ü, ß).
        gettext("Which Scrum certification fits you? Take the two-minute quiz."),
        font=_font(28),
        fill="white",
        anchor="lm",
    )

    buffer = io.BytesIO()
    # Pillow's default compression: optimize=True took 4x as long (130 ms) for 3% fewer bytes.
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def card_cache_key(attempt_id: uuid.UUID, language: str | None = None) -> str:
    """One card per attempt and language (its words are translated)."""
    return f"certguide:share-card:v{CARD_VERSION}:{language or get_language()}:{attempt_id}"


def card_png(attempt: Attempt) -> bytes:
    """The attempt's card from the cache, drawn and stored on a miss (or with no cache)."""
    key = card_cache_key(attempt.pk)
    png = cache.get(key)
    # Anything but PNG bytes under the key (another release's shape) is redrawn, not served.
    if isinstance(png, bytes) and png.startswith(PNG_SIGNATURE):
        return png
    png = draw_card(
        outcome=Recommendation(attempt.outcome),
        csm_score=attempt.csm_score,
        cspo_score=attempt.cspo_score,
    )
    cache.set(key, png, CARD_CACHE_TIMEOUT)
    return png


def _completed_attempt(attempt_id: uuid.UUID) -> Attempt | None:
    attempt = (
        Attempt.objects.filter(pk=attempt_id, completed_at__isnull=False)
        .only("pk", "outcome", "csm_score", "cspo_score")
        .first()
    )
    if attempt is None or attempt.outcome not in Recommendation.values:
        return None
    return attempt


@require_safe
def card(request: HttpRequest, attempt_id: uuid.UUID) -> HttpResponse:
    """The result's share card. Its URL is the permalink's (an unguessable attempt id)."""
    attempt = _completed_attempt(attempt_id)
    if attempt is None:
        response = render(request, "wizard/not_found.html", status=404)
    else:
        response = HttpResponse(card_png(attempt), content_type="image/png")
        # A completed result never changes; the URL changes with CARD_VERSION.
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def share_context(request: HttpRequest, attempt: Attempt) -> dict[str, str]:
    """What the result page needs to share itself: absolute URLs, the card and its alt
    text, and plain links to LinkedIn, X and email (nothing loaded from them)."""
    base = site(request)["SITE_URL"]
    url = base + reverse("wizard:result", kwargs={"attempt_id": attempt.pk})
    outcome = Recommendation(attempt.outcome)
    text = gettext("My Scrum certification quiz result: %(outcome)s. Which one fits you?") % {
        "outcome": outcome_label(outcome)
    }
    return {
        "url": url,
        "card_url": base
        + reverse("wizard:card", kwargs={"attempt_id": attempt.pk})
        + f"?v={CARD_VERSION}",
        "card_alt": card_alt(
            outcome=outcome, csm_score=attempt.csm_score, cspo_score=attempt.cspo_score
        ),
        "linkedin": "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": url}),
        "x": "https://x.com/intent/post?" + urlencode({"text": text, "url": url}),
        "email": f"mailto:?subject={quote(text)}&body={quote(url)}",
    }
