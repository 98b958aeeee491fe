"""The site in German in a real browser: a visitor switches language and takes the quiz in
German, a German browser is offered the German page, and the German pages are accessible."""

import re

import pytest
from django.template.loader import render_to_string
from django.utils import translation
from playwright.sync_api import expect

from tests.browser.conftest import RESULT, answer_by_keyboard, check_page, step, tab_to
from tests.certguide.conftest import PUBLIC_PAGES
from tests.conftest import make_attempt
from tests.wizard.conftest import make_questionnaire
from wizard.models import Recommendation

__all__ = ["make_questionnaire"]

QUIZ = [[(3, 0), (0, 3)], [(2, 0), (0, 2)], [(1, 0), (0, 1)]]


def test_home_switcher_quiz_and_result_all_in_german(page, live_server, make_questionnaire):
    make_questionnaire(QUIZ)
    page.goto(live_server.url + "/compare/")

    # The switcher keeps the page: /compare/ becomes /de/compare/.
    switcher = page.get_by_role("navigation", name="Language")
    switcher.get_by_role("link", name="Deutsch").click()
    page.wait_for_url(live_server.url + "/de/compare/")
    assert page.locator("html").get_attribute("lang") == "de"
    expect(page.get_by_role("navigation", name="Sprache").get_by_role("link", name="Deutsch"))\
        .to_have_attribute("aria-current", "true")  # fmt: skip

    page.get_by_role("link", name="Startseite").first.click()
    page.wait_for_url(live_server.url + "/de/")
    expect(page.locator("h1")).to_have_text(
        "CSM oder CSPO: Welche Scrum-Zertifizierung passt zu Ihnen?"
    )
    page.get_by_role("link", name="Zum Zwei-Minuten-Quiz").click()
    page.wait_for_url(live_server.url + "/de/wizard/")
    assert page.locator("h1").inner_text() == "Welche Scrum-Zertifizierung passt zu Ihnen?"

    tab_to(page, "Quiz starten")
    page.keyboard.press("Enter")
    for number in range(1, 4):
        page.wait_for_url(step(number))
        assert "/de/wizard/" in page.url
        expect(page.locator("#wizard-progress-label")).to_have_text(f"Frage {number} von 3")
        answer_by_keyboard(page)

    page.wait_for_url(RESULT)
    assert "/de/wizard/result/" in page.url
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.locator("h1").inner_text().startswith("Unsere Empfehlung für Sie")
    expect(page.get_by_role("heading", name="So verteilen sich Ihre Antworten")).to_be_visible()
    assert re.fullmatch(r"\d+\u00a0%", page.locator(".wizard-score__value").first.inner_text())
    # The copy button speaks German too (its text comes from the page, not share.js).
    page.get_by_role("button", name="Link kopieren").click()
    expect(page.locator(".wizard-share__status")).not_to_be_empty()
    assert "Link" in page.locator(".wizard-share__status").inner_text()
    assert "copied" not in page.locator(".wizard-share__status").inner_text()


def test_a_german_browser_is_offered_the_german_page_and_can_dismiss_it(browser, live_server):
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    try:
        page.goto(live_server.url + "/choose/")
        offer = page.get_by_role("link", name="Diese Seite gibt es auch auf Deutsch")
        expect(offer).to_be_visible()
        assert offer.get_attribute("href") == "/de/choose/"
        # By keyboard: the offer comes right after the skip link.
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        expect(offer).to_be_focused()
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")  # "Hinweis schließen"
        expect(offer).to_be_hidden()
        expect(page.locator("#main")).to_be_focused()

        page.goto(live_server.url + "/")  # dismissed: stays away
        expect(page.get_by_role("link", name="Diese Seite gibt es auch auf Deutsch")).to_be_hidden()
    finally:
        context.close()


def test_an_english_browser_is_not_offered_german(browser, live_server):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        expect(page.locator("[data-language-offer]")).to_be_hidden()
    finally:
        context.close()


GERMAN_PAGES = [f"/de{path}" for path in PUBLIC_PAGES] + ["/de/wizard/"]


@pytest.mark.parametrize("path", GERMAN_PAGES)
def test_german_page_fits_and_is_accessible_at_both_widths(page, live_server, axe, path):
    page.goto(f"{live_server.url}{path}?utm_source=newsletter")
    assert page.locator("html").get_attribute("lang") == "de"
    check_page(page, axe, path.strip("/").replace("/", "-"))


def test_german_result_and_not_found_are_accessible(page, live_server, axe, problems):
    attempt = make_attempt(outcome=Recommendation.BOTH, csm_score=48, cspo_score=52)
    page.goto(f"{live_server.url}/de/wizard/result/{attempt.pk}/")
    check_page(page, axe, "de-wizard-result")

    missing = f"{live_server.url}/de/no-such-page/"
    problems.expected_error_documents.add(missing)
    page.goto(missing)
    assert page.locator("h1").inner_text() == "Diese Seite haben wir nicht gefunden"
    check_page(page, axe, "de-not-found")


@pytest.mark.parametrize("template", ["400", "403", "403_csrf", "500", "503"])
def test_german_standalone_error_pages_are_accessible(page, live_server, axe, template):
    with translation.override("de"):
        html = render_to_string(f"{template}.html")
    url = f"{live_server.url}/de/error-page-{template}/"
    page.route(url, lambda route: route.fulfill(status=200, body=html, content_type="text/html"))

    page.goto(url)

    assert page.locator("html").get_attribute("lang") == "de"
    check_page(page, axe, f"de-error-{template}")
