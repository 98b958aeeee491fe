"""Every public page in a real browser: accessible at both widths, no console errors."""

import pytest
from django.template.loader import render_to_string

from leads.models import Lead
from leads.tokens import Purpose
from tests.browser.conftest import check_page
from tests.conftest import make_attempt
from tests.leads.conftest import make_lead, token_for

# Content pages are in test_content.py, the quiz in test_wizard.py, the sign-up form and
# materials in test_journeys.py; these are the remaining pages a visitor can reach.
PUBLIC_PAGES = [
    ("not-found", "/no-such-page/"),
    ("check-your-email", "/free-training/check-your-email/"),
    ("broken-link", "/free-training/confirm/not-a-real-token/"),
    ("broken-unsubscribe-link", "/free-training/unsubscribe/not-a-real-token/"),
    ("result-not-found", "/wizard/result/00000000-0000-0000-0000-000000000000/"),
    ("check-your-email-de", "/de/free-training/check-your-email/"),
    ("broken-link-de", "/de/free-training/confirm/not-a-real-token/"),
]
# The same pages in German (issue 17); the German content and quiz pages are checked in
# test_german.py.
PUBLIC_PAGES += [(f"de-{name}", f"/de{path}") for name, path in PUBLIC_PAGES]


@pytest.mark.parametrize(("name", "path"), PUBLIC_PAGES)
def test_public_page_is_accessible_at_both_widths(page, live_server, axe, problems, name, path):
    problems.expected_error_documents.add(live_server.url + path)
    page.goto(live_server.url + path)

    assert page.locator("h1").count() == 1
    check_page(page, axe, name)


# Pages a visitor reaches from the links in our emails: the confirm button, the
# materials with the PDF download (and the page shown instead once unsubscribed), and the
# unsubscribe button.
LINKED_PAGES = [
    ("confirm", Lead.Status.PENDING, Purpose.CONFIRM, "/free-training/confirm/{}/", 200),
    ("materials", Lead.Status.CONFIRMED, Purpose.MATERIALS, "/free-training/materials/{}/", 200),
    (
        "materials-unavailable",
        Lead.Status.UNSUBSCRIBED,
        Purpose.MATERIALS,
        "/free-training/materials/{}/",
        403,
    ),
    (
        "unsubscribe",
        Lead.Status.CONFIRMED,
        Purpose.UNSUBSCRIBE,
        "/free-training/unsubscribe/{}/",
        200,
    ),
]
# The same pages in German (longer words: the layout must hold them at 360 px too).
LINKED_PAGES += [
    (f"{name}-de", status, purpose, f"/de{path}", code)
    for name, status, purpose, path, code in LINKED_PAGES
]


@pytest.mark.parametrize(("name", "status", "purpose", "path", "code"), LINKED_PAGES)
def test_pages_linked_from_emails_are_accessible_in_both_schemes(
    page, live_server, axe, problems, name, status, purpose, path, code
):
    lead = make_lead(status=status, attempt=make_attempt())
    url = live_server.url + path.format(token_for(lead, purpose))
    problems.expected_error_documents.add(url)

    response = page.goto(url)

    assert response.status == code
    assert page.locator("h1").count() == 1
    check_page(page, axe, name)


# Error pages that stand alone (no nav, nothing from the database), drawn by Django's
# handlers; the browser gets each one, rendered here, at a URL of the live server so that
# the page's stylesheets load from it as they would.
STANDALONE_ERRORS = ["400", "403", "403_csrf", "500", "503"]


@pytest.mark.parametrize("template", STANDALONE_ERRORS)
def test_standalone_error_pages_are_accessible_in_both_schemes(page, live_server, axe, template):
    html = render_to_string(f"{template}.html")
    url = f"{live_server.url}/error-page-{template}/"
    page.route(url, lambda route: route.fulfill(status=200, body=html, content_type="text/html"))

    page.goto(url)

    assert page.locator("h1").count() == 1
    check_page(page, axe, f"error-{template}")


def test_skip_link_moves_focus_to_main_content(page, live_server):
    page.goto(live_server.url + "/")

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
    page.keyboard.press("Enter")

    assert page.evaluate("document.activeElement.id") == "main"


def test_content_security_policy_is_enforced_and_reported(page, live_server, problems):
    page.goto(live_server.url + "/")

    page.evaluate(
        """() => {
            const s = document.createElement('script');
            s.textContent = 'window.inlineRan = true';
            document.body.appendChild(s);
        }"""
    )

    assert page.evaluate("window.inlineRan === true") is False
    assert any("Content Security Policy" in m for m in problems.messages)
    problems.messages.clear()  # the violation was the point of this test
