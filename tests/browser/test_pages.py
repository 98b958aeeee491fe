"""Every public page in a real browser: accessible at both widths, no console errors."""

import pytest

from tests.browser.conftest import check_page

# Content pages are in test_content.py, the quiz in test_wizard.py, the sign-up form and
# materials in test_journeys.py; these are the remaining pages a visitor can reach.
PUBLIC_PAGES = [
    ("not-found", "/no-such-page/"),
    ("check-your-email", "/free-training/check-your-email/"),
    ("broken-link", "/free-training/confirm/not-a-real-token/"),
    ("broken-unsubscribe-link", "/free-training/unsubscribe/not-a-real-token/"),
    ("result-not-found", "/wizard/result/00000000-0000-0000-0000-000000000000/"),
]


@pytest.mark.parametrize(("name", "path"), PUBLIC_PAGES)
def test_public_page_is_accessible_at_both_widths(page, live_server, axe, problems, name, path):
    problems.expected_error_documents.add(live_server.url + path)
    page.goto(live_server.url + path)

    assert page.locator("h1").count() == 1
    check_page(page, axe, name)


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
