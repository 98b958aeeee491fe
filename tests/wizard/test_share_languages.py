"""The share card in German: drawn with German words, each of them in the card's font."""

import pytest
from django.utils import translation
from PIL import ImageDraw

from wizard import share
from wizard.models import Recommendation


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("outcome", list(Recommendation))
def test_every_character_on_the_card_has_a_glyph(monkeypatch, language, outcome):
    """A character the font lacks is drawn as an empty box (once the German "48 %" with
    its no-break space; Pillow's font has no umlauts either): compare each drawn character
    with the font's missing glyph."""
    drawn: list[str] = []
    original = ImageDraw.ImageDraw.text

    def record(self, xy, text, *args, **kwargs):
        drawn.append(text)
        return original(self, xy, text, *args, **kwargs)

    monkeypatch.setattr(ImageDraw.ImageDraw, "text", record)
    with translation.override(language):
        share.draw_card(outcome=outcome, csm_score=48, cspo_score=52)

    font = share._font(36)
    missing = bytes(font.getmask("\U000e0fff"))  # a private-use code point: no glyph
    lacking = {ch for text in drawn for ch in text if bytes(font.getmask(ch)) == missing}
    assert lacking == set()
    if language == "de":
        assert "Empfohlen" in drawn
