"""Printing the result and the comparison, and colour schemes that paper ignores."""

import io

import pytest
from pypdf import PdfReader

from tests.conftest import make_attempt
from wizard.models import Recommendation

SCREEN_ONLY = (
    "nav, .site-menu, .site-footer, .btn, button, .cta, .wizard-share, .wizard-again, .skip-link"
)


def visible_screen_only(page) -> list[str]:
    """Navigation, buttons and calls to action that would still be drawn."""
    return page.locator(SCREEN_ONLY).evaluate_all(
        """els => els.filter(el => el.getClientRects().length > 0)
                     .map(el => el.tagName + '.' + el.className)"""
    )


def pdf_pages(page) -> list[str]:
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4")))
    return [" ".join(p.extract_text().split()) for p in pdf.pages]


def test_result_prints_without_navigation_or_buttons_and_keeps_scores_with_reasons(
    page, live_server
):
    attempt = make_attempt(outcome=Recommendation.CSPO, csm_score=35, cspo_score=80)
    page.goto(f"{live_server.url}/wizard/result/{attempt.pk}/")
    assert visible_screen_only(page)  # on screen they are there

    page.emulate_media(media="print")

    assert visible_screen_only(page) == []
    summary = page.locator(".wizard-result__summary")
    assert summary.evaluate("el => getComputedStyle(el).breakInside") == "avoid"
    assert summary.get_by_text("How your answers split").is_visible()
    assert summary.get_by_text("You are energised by deciding").is_visible()
    # The score bars keep their colours on paper.
    fill = page.locator(".wizard-score--cspo .wizard-score__fill")
    assert fill.evaluate("el => getComputedStyle(el).printColorAdjust") == "exact"
    first, *_ = pdf_pages(page)
    assert "35%" in first
    assert "80%" in first
    assert "You are energised by deciding what the product should be." in first
    for screen_text in ("Menu", "Copy link", "Share on LinkedIn", "Get the free training"):
        assert screen_text not in " ".join(pdf_pages(page))


def test_comparison_prints_the_whole_table_without_navigation(page, live_server):
    page.goto(live_server.url + "/compare/")
    page.emulate_media(media="print")

    assert visible_screen_only(page) == []
    assert (
        page.locator(".compare-table tbody tr").first.evaluate(
            "el => getComputedStyle(el).breakInside"
        )
        == "avoid"
    )
    text = " ".join(pdf_pages(page))
    for aspect in ("Focus", "Primary role", "Key skills", "Main goal", "Target audience"):
        assert aspect in text
    assert "Get the free training materials" not in text


WHITE, BOOTSTRAP_BODY_TEXT = "rgb(255, 255, 255)", "rgb(33, 37, 41)"
DARK_BODY = ("rgb(33, 37, 41)", "rgb(222, 226, 230)")


@pytest.mark.parametrize(
    ("scheme", "javascript", "colours"),
    [
        ("light", True, (WHITE, BOOTSTRAP_BODY_TEXT)),
        ("dark", True, DARK_BODY),
        ("dark", False, DARK_BODY),
    ],
)
def test_colour_scheme_follows_the_system_with_or_without_javascript_but_paper_stays_light(
    browser, live_server, scheme, javascript, colours
):
    context = browser.new_context(color_scheme=scheme, java_script_enabled=javascript)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        body = page.locator("body")
        style = "el => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color]"

        assert tuple(body.evaluate(style)) == colours

        page.emulate_media(media="print")
        assert tuple(body.evaluate(style)) == (WHITE, BOOTSTRAP_BODY_TEXT)
    finally:
        context.close()
