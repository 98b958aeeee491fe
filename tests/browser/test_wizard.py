"""The quiz in a real browser, by keyboard alone, with and without JavaScript."""

import re

from tests.browser.conftest import (
    RESULT,
    answer_by_keyboard,
    assert_accessible,
    check_page,
    step,
    tab_to,
)
from tests.wizard.conftest import make_questionnaire
from wizard.models import Attempt

# A fixture from the wizard's own tests, reused here.
__all__ = ["make_questionnaire"]


# Small questionnaires of the tests' own keep these walks short; the seeded one is
# walked in test_every_seeded_step_and_the_result_are_accessible_at_both_widths.
QUIZ = [[(3, 0), (0, 3)], [(2, 0), (0, 2), (1, 1)], [(1, 0), (0, 1)]]


def test_keyboard_alone_reaches_an_accessible_result(page, live_server, axe, make_questionnaire):
    make_questionnaire(QUIZ, multiple=(1,))
    page.goto(live_server.url + "/wizard/")
    assert_accessible(axe, page, "wizard intro")

    tab_to(page, "Start the quiz")
    page.keyboard.press("Enter")
    for number in range(1, 4):
        page.wait_for_url(step(number))
        # The question's heading has focus, so it is what a screen reader announces.
        page.wait_for_function("document.activeElement.id === 'wizard-question'")
        if number in (1, 2):
            assert_accessible(axe, page, f"wizard step {number}")
        answer_by_keyboard(page)

    page.wait_for_url(RESULT)
    assert page.locator("h1").inner_text().startswith("Your recommendation")
    assert_accessible(axe, page, "wizard result")
    assert Attempt.objects.completed().count() == 1


def test_without_javascript_back_and_next_work(browser, live_server, make_questionnaire):
    make_questionnaire(QUIZ)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/wizard/")
        page.get_by_role("button", name="Start the quiz").click()
        page.wait_for_url(step(1))
        page.get_by_role("radio").nth(1).check()
        page.get_by_role("button", name="Next").click()
        page.wait_for_url(step(2))

        page.get_by_role("button", name="Back").click()

        page.wait_for_url(step(1))
        assert page.get_by_role("radio").nth(1).is_checked()
    finally:
        context.close()


def test_every_seeded_step_and_the_result_are_accessible_at_both_widths(page, live_server, axe):
    page.goto(live_server.url + "/wizard/")
    check_page(page, axe, "wizard-intro")
    page.get_by_role("button", name="Start the quiz").click()

    number = 0
    while not RESULT.search(page.url):
        number += 1
        page.wait_for_url(step(number))
        # Answers are real radios or checkboxes, grouped under the question as legend.
        group = page.locator("main fieldset")
        assert group.locator("legend").inner_text().strip()
        kinds = set(
            group.locator("input:not([type=hidden])").evaluate_all(
                "inputs => inputs.map(i => i.type)"
            )
        )
        assert kinds in ({"radio"}, {"checkbox"})
        check_page(page, axe, f"wizard-step-{number}")
        page.set_viewport_size({"width": 1280, "height": 900})
        group.locator("input").first.check()
        before = page.url
        page.get_by_role("button", name=re.compile("^(Next|See my result)$")).click()
        page.wait_for_url(lambda url, before=before: url != before)

    assert number >= 6
    check_page(page, axe, "wizard-result")
