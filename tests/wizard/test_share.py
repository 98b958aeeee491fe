"""The result's share card (Open Graph image) and share links."""

import io
import re
import uuid
from html import unescape
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.test import Client
from PIL import Image

from tests.conftest import make_attempt
from tests.leads.conftest import make_lead
from tests.test_faults import redis_down
from wizard import share
from wizard.models import Recommendation

# A fixture from the fault tests, reused here.
__all__ = ["redis_down"]

pytestmark = pytest.mark.django_db

EMAIL = "adelheid.wilhelmina@example.com"
NAME = "Adelheid-Wilhelmina"


def meta(html: str) -> dict[str, str]:
    """The page's <meta property|name=… content=…> tags."""
    return {
        key: unescape(value)
        for key, value in re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)"', html)
    }


def png_chunks(data: bytes) -> list[bytes]:
    """The chunk types of a PNG file, in order."""
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    chunks, at = [], 8
    while at < len(data):
        length = int.from_bytes(data[at : at + 4], "big")
        chunks.append(data[at + 4 : at + 8])
        at += 12 + length
    return chunks


def visitor() -> Client:
    return Client(enforce_csrf_checks=True)


def card_path(attempt) -> str:
    return f"/wizard/result/{attempt.pk}/card.png"


def test_result_page_names_a_valid_card_without_personal_data():
    attempt = make_attempt(outcome=Recommendation.CSPO, csm_score=35, cspo_score=80)
    make_lead(email=EMAIL, first_name=NAME, attempt=attempt)

    tags = meta(visitor().get(f"/wizard/result/{attempt.pk}/").content.decode())
    image_url = urlsplit(tags["og:image"])
    response = visitor().get(image_url.path, dict(parse_qs(image_url.query)))

    assert image_url.scheme in ("http", "https")
    assert image_url.netloc
    assert image_url.path == card_path(attempt)
    assert tags["twitter:card"] == "summary_large_image"
    assert tags["og:image:width"] == "1200"
    assert tags["og:image:height"] == "630"
    assert tags["og:image:alt"] == (
        "certguide quiz result: Certified Scrum Product Owner (CSPO) recommended. "
        "Scrum Master (CSM) 35%, Product Owner (CSPO) 80%."
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG"
    assert image.size == (1200, 630)
    # Pixels only: no text, EXIF or other metadata chunk that could carry anything.
    assert image.text == {}
    assert set(png_chunks(response.content)) == {b"IHDR", b"IDAT", b"IEND"}
    assert EMAIL.encode() not in response.content
    assert NAME.encode() not in response.content


def test_card_is_long_cached_and_not_indexed():
    attempt = make_attempt()

    response = visitor().get(card_path(attempt))

    assert "max-age=31536000" in response["Cache-Control"]
    assert "immutable" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex"


@pytest.mark.parametrize(
    ("outcome", "csm", "cspo"),
    [(Recommendation.CSM, 90, 10), (Recommendation.CSPO, 20, 80), (Recommendation.BOTH, 50, 55)],
)
def test_cards_differ_with_the_result(outcome, csm, cspo):
    attempt = make_attempt(outcome=outcome, csm_score=csm, cspo_score=cspo)
    other = make_attempt(outcome=Recommendation.CSPO, csm_score=0, cspo_score=100)

    mine = visitor().get(card_path(attempt)).content
    theirs = visitor().get(card_path(other)).content

    assert mine != theirs
    assert Image.open(io.BytesIO(mine)).size == (1200, 630)


def test_each_card_is_drawn_once_for_any_number_of_visitors():
    first = make_attempt(outcome=Recommendation.CSM, csm_score=70, cspo_score=30)
    second = make_attempt(outcome=Recommendation.CSPO, csm_score=30, cspo_score=70)
    ada, bob = visitor(), visitor()

    with mock.patch.object(share, "draw_card", wraps=share.draw_card) as draw:
        a1 = ada.get(card_path(first)).content
        b2 = bob.get(card_path(second)).content
        b1 = bob.get(card_path(first)).content
        a2 = ada.get(card_path(second)).content

    assert draw.call_count == 2
    assert a1 == b1
    assert b2 == a2
    assert a1 != a2


def test_a_cached_card_costs_one_query(django_assert_num_queries):
    attempt = make_attempt()
    visitor().get(card_path(attempt))

    with (
        mock.patch.object(share, "draw_card") as draw,
        django_assert_num_queries(1),
    ):
        response = visitor().get(card_path(attempt))

    assert response.status_code == 200
    draw.assert_not_called()


def test_a_new_card_version_draws_again_and_changes_the_image_url(monkeypatch):
    attempt = make_attempt()
    visitor().get(card_path(attempt))
    before = meta(visitor().get(f"/wizard/result/{attempt.pk}/").content.decode())["og:image"]
    monkeypatch.setattr(share, "CARD_VERSION", share.CARD_VERSION + 1)
    cache.clear()  # the rendered result page too, as a deploy's new content version would

    with mock.patch.object(share, "draw_card", wraps=share.draw_card) as draw:
        visitor().get(card_path(attempt))
    after = meta(visitor().get(f"/wizard/result/{attempt.pk}/").content.decode())["og:image"]

    assert draw.call_count == 1
    assert before != after


def test_something_else_under_the_cache_key_is_redrawn_not_served():
    attempt = make_attempt()
    cache.set(share.card_cache_key(attempt.pk), {"shape": "from another release"})

    response = visitor().get(card_path(attempt))

    assert response.status_code == 200
    assert Image.open(io.BytesIO(response.content)).size == (1200, 630)


def test_card_is_served_while_the_cache_is_down(redis_down):
    attempt = make_attempt()

    first = visitor().get(card_path(attempt))
    again = visitor().get(card_path(attempt))

    assert first.status_code == again.status_code == 200
    assert first.content == again.content
    assert Image.open(io.BytesIO(first.content)).size == (1200, 630)


def test_no_card_for_an_unknown_or_unfinished_attempt():
    unfinished = make_attempt(completed_at=None, outcome="", csm_score=None, cspo_score=None)

    assert visitor().get(f"/wizard/result/{uuid.uuid4()}/card.png").status_code == 404
    assert visitor().get(card_path(unfinished)).status_code == 404
    assert visitor().get("/wizard/result/not-a-uuid/card.png").status_code == 404


def test_card_answers_only_get_and_head():
    attempt = make_attempt()

    assert visitor().head(card_path(attempt)).status_code == 200
    assert visitor().post(card_path(attempt)).status_code in (403, 405)
    assert Client().post(card_path(attempt)).status_code == 405


def test_share_links_carry_the_permalink_and_load_nothing():
    attempt = make_attempt(outcome=Recommendation.CSM, csm_score=75, cspo_score=25)
    html = visitor().get(f"/wizard/result/{attempt.pk}/").content.decode()
    permalink = f"http://testserver/wizard/result/{attempt.pk}/"
    hrefs = [unescape(h) for h in re.findall(r'href="([^"]+)"', html)]

    linkedin = next(h for h in hrefs if h.startswith("https://www.linkedin.com/"))
    x = next(h for h in hrefs if h.startswith("https://x.com/intent/post"))
    email = next(h for h in hrefs if h.startswith("mailto:"))

    assert parse_qs(urlsplit(linkedin).query)["url"] == [permalink]
    assert parse_qs(urlsplit(x).query)["url"] == [permalink]
    assert "Certified ScrumMaster (CSM)" in parse_qs(urlsplit(x).query)["text"][0]
    assert parse_qs(urlsplit(email).query)["body"] == [permalink]
    # The copy field holds the link for visitors without JavaScript; the button is shown
    # by share.js only.
    assert re.search(rf'<input[^>]+id="share-url"[^>]+value="{permalink}" readonly', html)
    assert re.search(r"<button[^>]+data-copy-from=\"share-url\" hidden>Copy link</button>", html)
    # Nothing from another origin is loaded: no script or image from them.
    assert not re.search(r'<(script|img|iframe)[^>]+(src)="https?://', html)
