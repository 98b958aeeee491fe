"""Sharing a result in a real browser: the copy-link button with JavaScript, a selectable
link without it, and the card the Open Graph tags point at."""

from tests.browser.conftest import tab_to
from tests.conftest import make_attempt
from wizard.models import Recommendation


def result_path(attempt) -> str:
    return f"/wizard/result/{attempt.pk}/"


def test_copy_link_button_copies_the_permalink_and_says_so(browser, live_server):
    attempt = make_attempt(outcome=Recommendation.CSM, csm_score=70, cspo_score=30)
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    try:
        page.goto(live_server.url + result_path(attempt))
        permalink = page.locator("#share-url").input_value()

        tab_to(page, "Copy link")
        page.keyboard.press("Enter")

        status = page.get_by_role("status")
        status.filter(has_text="Link copied.").wait_for()
        assert page.evaluate("navigator.clipboard.readText()") == permalink
        assert permalink.endswith(result_path(attempt))
    finally:
        context.close()


def test_without_javascript_the_link_is_there_to_select(browser, live_server):
    attempt = make_attempt()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server.url + result_path(attempt))

        assert not page.get_by_role("button", name="Copy link").is_visible()
        field = page.get_by_label("Link to this result")
        assert field.is_visible()
        field.focus()
        page.keyboard.press("ControlOrMeta+a")
        selected = field.evaluate("f => f.value.slice(f.selectionStart, f.selectionEnd)")
        assert selected.endswith(result_path(attempt))
        for name in ("Share on LinkedIn", "Share on X", "Share by email"):
            assert page.get_by_role("link", name=name).is_visible()
    finally:
        context.close()


def test_the_open_graph_image_is_a_1200_by_630_png(page, live_server):
    attempt = make_attempt()
    page.goto(live_server.url + result_path(attempt))
    og_image = page.locator('meta[property="og:image"]').get_attribute("content")
    alt = page.locator('meta[property="og:image:alt"]').get_attribute("content")

    # SITE_URL is the tests' http://testserver; the path is what the live server answers.
    path = og_image.split("testserver", 1)[1]
    size = page.evaluate(
        """src => new Promise((resolve, reject) => {
            const image = new Image();
            image.onload = () => resolve([image.naturalWidth, image.naturalHeight]);
            image.onerror = reject;
            image.src = src;
        })""",
        path,
    )

    assert size == [1200, 630]
    assert "Certified Scrum Product Owner (CSPO)" in alt
