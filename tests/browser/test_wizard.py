"""The quiz in a real browser, by keyboard alone, with and without JavaScript."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import (
    RESULT,
    answer_by_keyboard,
    assert_accessible,
    check_page,
    step,
    tab_to,
)
from tests.wizard.conftest import BRANCHED, BRANCHED_JUMPS, make_questionnaire
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
        expect(page.locator("#wizard-question")).to_be_focused()
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


def _shown(page) -> tuple[str, str]:
    return (
        page.locator("#wizard-question").inner_text().strip(),
        page.locator("#wizard-progress-label").inner_text().strip(),
    )


def _press(page, button: str, then: int | None, answer: int | None = None) -> None:
    """Pick answer ``answer`` (if given), press ``button`` and wait for step ``then``
    (the result when None)."""
    if answer is not None:
        page.get_by_role("radio").nth(answer).check()
    page.get_by_role("button", name=button).click()
    page.wait_for_url(RESULT if then is None else step(then))


def _start(page, url: str) -> None:
    page.goto(url + "/wizard/")
    _press(page, "Start the quiz", 1)


def test_without_javascript_a_branched_quiz_follows_the_path_back_and_forth(
    browser, live_server, make_questionnaire
):
    make_questionnaire(BRANCHED, jumps=BRANCHED_JUMPS)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        _start(page, live_server.url)
        assert _shown(page) == ("Question 1?", "Question 1 of 4")
        _press(page, "Next", 2, answer=1)
        assert _shown(page) == ("Question 2?", "Question 2 of 4")
        _press(page, "Next", 3, answer=0)

        # Back twice along the path, then an answer that jumps past Question 2.
        _press(page, "Back", 2)
        _press(page, "Back", 1)
        _press(page, "Next", 2, answer=0)
        assert _shown(page) == ("Question 3?", "Question 2 of 3")
        _press(page, "Back", 1)
        assert page.get_by_role("radio").nth(0).is_checked()
        _press(page, "Next", 2)
        _press(page, "Next", 3, answer=0)
        assert _shown(page) == ("Question 4?", "Question 3 of 3")
        _press(page, "See my result", None, answer=0)

        answers = page.locator(".wizard-answers").inner_text()
        assert "Question 3?" in answers
        assert "Question 2?" not in answers
        attempt = Attempt.objects.get()
        q1, _, q3, q4 = attempt.questionnaire.questions.order_by("order")
        assert attempt.result["path"] == [q1.pk, q3.pk, q4.pk]
    finally:
        context.close()


def test_two_tabs_of_a_branched_quiz_each_answer_their_own_question(
    page, live_server, make_questionnaire
):
    make_questionnaire(BRANCHED, jumps=BRANCHED_JUMPS)
    _start(page, live_server.url)
    _press(page, "Next", 2, answer=1)
    other = page.context.new_page()
    other.goto(page.url)
    assert _shown(other)[0] == "Question 2?"

    # The first tab goes back and takes the branch that skips Question 2 ...
    _press(page, "Back", 1)
    _press(page, "Next", 2, answer=0)
    assert _shown(page) == ("Question 3?", "Question 2 of 3")
    # ... so the second tab's answer to Question 2 is not kept, and it is told why.
    other.get_by_role("radio").nth(0).check()
    other.get_by_role("button", name="Next").click()
    other.wait_for_load_state()
    assert _shown(other) == ("Question 3?", "Question 2 of 3")
    assert "no longer asked" in other.locator("main").inner_text()
    attempt = Attempt.objects.get()
    assert len(attempt.answers) == 1
