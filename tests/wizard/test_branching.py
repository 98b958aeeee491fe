"""Branching quizzes as a visitor takes them: the path, Back, changed answers, progress,
skipping ahead, resume, two tabs, and the admin refusing jumps that do not go forward."""

import re

import pytest
from django.core.exceptions import ValidationError

from tests.wizard.conftest import BRANCHED, BRANCHED_JUMPS, END, started
from wizard.models import Choice, Question
from wizard.views import result_url, step_url

pytestmark = pytest.mark.django_db

SPEC, JUMPS = BRANCHED, BRANCHED_JUMPS


@pytest.fixture
def branched(make_questionnaire):
    questionnaire = make_questionnaire(SPEC, jumps=JUMPS)
    return list(questionnaire.questions.order_by("order", "pk"))


def choice(question: Question, k: int) -> Choice:
    return question.choices.order_by("order", "pk")[k]


def shown(response) -> tuple[str, str]:
    """The question on the page and its progress label."""
    page = response.content.decode()
    question = re.search(r'id="wizard-question"[^>]*>([^<]+)<', page)[1]
    progress = re.search(r'id="wizard-progress-label"[^>]*>([^<]+)<', page)[1]
    return question, progress


def post(visitor, attempt, number, question, choices, action="next"):
    visitor.get(step_url(attempt, number))
    return visitor.submit(
        step_url(attempt, number),
        {"question": question.pk, "choices": [c.pk for c in choices], "action": action},
    )


def test_a_jump_skips_questions_and_progress_counts_the_path(visitors, branched):
    (visitor,) = visitors(1)
    q1, _, q3, q4 = branched
    attempt = started(visitor)

    assert shown(visitor.get(step_url(attempt, 1))) == ("Question 1?", "Question 1 of 4")
    response = post(visitor, attempt, 1, q1, [choice(q1, 0)])

    assert response.url == step_url(attempt, 2)
    assert shown(visitor.get(response.url)) == ("Question 3?", "Question 2 of 3")
    response = post(visitor, attempt, 2, q3, [choice(q3, 0)])
    assert shown(visitor.get(response.url)) == ("Question 4?", "Question 3 of 3")
    response = post(visitor, attempt, 3, q4, [choice(q4, 0)])

    attempt.refresh_from_db()
    assert response.url == result_url(attempt)
    assert attempt.path == attempt.result["path"] == [q1.pk, q3.pk, q4.pk]
    assert [a["question"] for a in attempt.result["answers"]] == [q.text for q in (q1, q3, q4)]
    # 3 + 2 + 1 CSM points, nothing for CSPO: Q2 was never asked, so it never counts.
    assert (attempt.csm_score, attempt.cspo_score, attempt.outcome) == (100, 0, "CSM")


def test_back_follows_the_path_not_the_question_order(visitors, branched):
    (visitor,) = visitors(1)
    q1, _, q3, _ = branched
    attempt = started(visitor)
    post(visitor, attempt, 1, q1, [choice(q1, 0)])

    back = post(visitor, attempt, 2, q3, [], action="back")

    assert back.url == step_url(attempt, 1)
    page = visitor.get(back.url)
    assert shown(page) == ("Question 1?", "Question 1 of 3")
    assert f'value="{choice(q1, 0).pk}"' in page.content.decode()


def test_an_answer_that_ends_the_quiz_shows_the_result(visitors, branched):
    (visitor,) = visitors(1)
    q1, _, q3, _ = branched
    attempt = started(visitor)
    post(visitor, attempt, 1, q1, [choice(q1, 0)])

    response = post(visitor, attempt, 2, q3, [choice(q3, 1)])

    attempt.refresh_from_db()
    assert response.url == result_url(attempt)
    assert attempt.result["path"] == [q1.pk, q3.pk]
    # 3 CSM against 2 CSPO: shares of the two questions answered.
    assert (attempt.csm_score, attempt.cspo_score) == (60, 40)


def test_changing_an_earlier_answer_drops_only_answers_no_longer_on_the_path(visitors, branched):
    (visitor,) = visitors(1)
    q1, q2, q3, q4 = branched
    attempt = started(visitor)
    post(visitor, attempt, 1, q1, [choice(q1, 1)])
    post(visitor, attempt, 2, q2, [choice(q2, 0)])
    post(visitor, attempt, 3, q3, [choice(q3, 0)])
    assert shown(visitor.get(step_url(attempt, 4))) == ("Question 4?", "Question 4 of 4")

    response = post(visitor, attempt, 1, q1, [choice(q1, 0)])

    attempt.refresh_from_db()
    assert response.url == step_url(attempt, 2)
    assert attempt.answers == {str(q1.pk): [choice(q1, 0).pk], str(q3.pk): [choice(q3, 0).pk]}
    assert attempt.path == [q1.pk, q3.pk, q4.pk]
    page = visitor.get(step_url(attempt, 2))
    assert shown(page) == ("Question 3?", "Question 2 of 3")
    assert re.search(rf'value="{choice(q3, 0).pk}"[^>]*checked', page.content.decode())
    # Q3 kept its answer, so the visitor may go straight on to Q4.
    assert shown(visitor.get(step_url(attempt, 3))) == ("Question 4?", "Question 3 of 3")
    done = post(visitor, attempt, 3, q4, [choice(q4, 1)])
    attempt.refresh_from_db()
    assert done.url == result_url(attempt)
    assert "Question 2?" not in visitor.get(done.url).content.decode()


@pytest.mark.parametrize("number", [3, 4, 9])
def test_skipping_ahead_by_url_redirects_to_the_question_on_the_path(visitors, branched, number):
    (visitor,) = visitors(1)
    q1, *_ = branched
    attempt = started(visitor)
    post(visitor, attempt, 1, q1, [choice(q1, 0)])

    response = visitor.get(step_url(attempt, number))

    assert response.status_code == 302
    assert response.url == step_url(attempt, 2)
    page = visitor.get(response.url).content.decode()
    assert "Please answer the questions in order" in page


def test_resume_goes_to_the_first_unanswered_question_on_the_path(visitors, branched):
    (visitor,) = visitors(1)
    q1, *_ = branched
    attempt = started(visitor)
    post(visitor, attempt, 1, q1, [choice(q1, 0)])

    intro = visitor.get("/wizard/").content.decode()

    assert step_url(attempt, 2) in intro
    assert "Answer 2 to 4 short questions" in intro


def test_two_tabs_an_answer_lands_on_the_question_its_page_showed(visitors, branched):
    (visitor,) = visitors(1)
    q1, q2, q3, _ = branched
    attempt = started(visitor)
    post(visitor, attempt, 1, q1, [choice(q1, 1)])
    post(visitor, attempt, 2, q2, [choice(q2, 0)])
    tab_a = visitor.get(step_url(attempt, 3))  # Q3, third on this path
    assert shown(tab_a)[0] == "Question 3?"

    post(visitor, attempt, 1, q1, [choice(q1, 0)])  # tab B: Q3 is now second
    visitor.page = tab_a
    response = visitor.submit(
        step_url(attempt, 3), {"question": q3.pk, "choices": [choice(q3, 0).pk]}
    )

    attempt.refresh_from_db()
    assert attempt.answers[str(q3.pk)] == [choice(q3, 0).pk]
    assert response.url == step_url(attempt, 3)
    assert shown(visitor.get(response.url)) == ("Question 4?", "Question 3 of 3")


def test_two_tabs_an_answer_to_a_question_no_longer_asked_is_not_saved(visitors, branched):
    (visitor,) = visitors(1)
    q1, q2, *_ = branched
    attempt = started(visitor)
    post(visitor, attempt, 1, q1, [choice(q1, 1)])
    tab_a = visitor.get(step_url(attempt, 2))
    assert shown(tab_a)[0] == "Question 2?"

    post(visitor, attempt, 1, q1, [choice(q1, 0)])  # tab B skips Q2 now
    visitor.page = tab_a
    response = visitor.submit(
        step_url(attempt, 2), {"question": q2.pk, "choices": [choice(q2, 0).pk]}
    )

    attempt.refresh_from_db()
    assert str(q2.pk) not in attempt.answers
    assert response.url == step_url(attempt, 2)
    page = visitor.get(response.url)
    assert shown(page)[0] == "Question 3?"
    assert "no longer asked" in page.content.decode()


def test_two_visitors_on_different_paths_share_one_cache_and_see_their_own(visitors, branched):
    first, second = visitors(2)
    q1, q2, q3, _ = branched
    one, two = started(first), started(second)

    post(first, one, 1, q1, [choice(q1, 0)])
    post(second, two, 1, q1, [choice(q1, 1)])
    post(second, two, 2, q2, [choice(q2, 0)])
    page_one = first.get(step_url(one, 2))
    page_two = second.get(step_url(two, 3))

    assert shown(page_one) == ("Question 3?", "Question 2 of 3")
    assert shown(page_two) == ("Question 3?", "Question 3 of 4")
    for page, attempt, number in ((page_one, one, 2), (page_two, two, 3)):
        html = page.content.decode()
        assert f'action="{step_url(attempt, number)}"' in html
        assert 'value="back"' in html
    done_one = post(first, one, 2, q3, [choice(q3, 1)])
    done_two = post(second, two, 3, q3, [choice(q3, 1)])
    one.refresh_from_db()
    two.refresh_from_db()
    assert (done_one.url, done_two.url) == (result_url(one), result_url(two))
    assert one.result["path"] == [q1.pk, q3.pk]
    assert two.result["path"] == [q1.pk, q2.pk, q3.pk]


def test_a_frozen_result_keeps_its_path_when_the_jumps_change(visitors, branched, committed):
    (visitor,) = visitors(1)
    q1, _, q3, q4 = branched
    attempt = started(visitor)
    post(visitor, attempt, 1, q1, [choice(q1, 0)])
    post(visitor, attempt, 2, q3, [choice(q3, 0)])
    post(visitor, attempt, 3, q4, [choice(q4, 0)])
    before = visitor.get(result_url(attempt)).content

    jumped = choice(q1, 0)
    jumped.next_question = None
    with committed(execute=True):
        jumped.save()

    attempt.refresh_from_db()
    assert attempt.result["path"] == attempt.path == [q1.pk, q3.pk, q4.pk]
    assert visitor.get(result_url(attempt)).content == before


# --- the admin refuses jumps that do not go forward -------------------------------------


@pytest.mark.parametrize(
    ("source", "target", "message"),
    [
        (2, 0, "jumps only go forward"),
        (2, 2, "cannot lead to itself"),
    ],
)
def test_a_question_jump_must_go_forward(branched, source, target, message):
    question = branched[source]
    question.next_question = branched[target]

    with pytest.raises(ValidationError) as refused:
        question.full_clean()

    assert message in str(refused.value.message_dict["next_question"])


def test_a_choice_jump_must_go_forward_within_its_questionnaire(branched, make_questionnaire):
    other = make_questionnaire(is_active=False, name="Other").questions.first()
    answer = choice(branched[2], 0)

    for target, message in [
        (branched[0], "jumps only go forward"),
        (branched[2], "cannot lead to itself"),
        (other, "belongs to another questionnaire"),
    ]:
        answer.next_question = target
        with pytest.raises(ValidationError) as refused:
            answer.full_clean()
        assert message in str(refused.value)

    answer.next_question, answer.ends_quiz = branched[3], True
    with pytest.raises(ValidationError, match="not both"):
        answer.full_clean()
    answer.ends_quiz = False
    answer.full_clean()


def test_the_admin_refuses_a_backward_jump_with_a_clear_message(admin_client, branched):
    from tests.certguide.conftest import form_data

    q1, _, q3, _ = branched
    url = f"/admin/wizard/question/{q3.pk}/change/"
    data = form_data(admin_client.get(url).content.decode())
    data["choices-0-next_question"] = str(q1.pk)

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "jumps only go forward" in response.content.decode()
    assert choice(q3, 0).next_question is None
    # Only this questionnaire's questions are offered as targets.
    selects = re.findall(
        r'<select name="[^"]*next_question".*?</select>', response.content.decode(), re.S
    )
    options = {int(v) for select in selects for v in re.findall(r'value="(\d+)"', select)}
    assert len(selects) >= 3  # the question's own and one per answer
    assert options == {q.pk for q in branched}


def test_the_questionnaire_page_maps_questions_jumps_and_unreachable_ones(
    admin_client, make_questionnaire
):
    # Both answers to Q1 skip Q2: no path asks it.
    questionnaire = make_questionnaire(SPEC, jumps={(0, 0): 2, (0, 1): 3, (2, 1): END})

    page = admin_client.get(f"/admin/wizard/questionnaire/{questionnaire.pk}/change/")

    html = page.content.decode()
    svg = re.search(r"<svg[^>]*questionnaire-map.*?</svg>", html, re.S)[0]
    assert svg.count('class="map-question') == 4
    assert svg.count('class="map-question map-unreachable"') == 1
    assert "Q2. Question 2? (unreachable)" in svg
    assert svg.count("<path d=") >= 5  # Q1→Q3, Q1→Q4, Q2→Q3, Q3→Q4, Q3→result, Q4→result
    assert 'aria-describedby="map-description"' in svg
    words = re.search(r'<ol id="map-description".*?</ol>', html, re.S)[0]
    assert "“Answer 1.1” leads to Q3; “Answer 1.2” leads to Q4" in words
    assert "Question 2? <strong>(unreachable: no path asks it)</strong>" in words
    assert "“Answer 3.2” leads to the result" in words
    assert "every answer leads to the result" in words


def test_the_preview_page_splits_outcomes_per_path(admin_client, make_questionnaire):
    questionnaire = make_questionnaire(SPEC, jumps=JUMPS, margin=0)

    page = admin_client.get(f"/admin/wizard/questionnaire/{questionnaire.pk}/scoring-preview/")

    html = page.content.decode()
    assert "All 9 combinations were scored: the figures below are <strong>exact</strong>" in html
    assert "4 different paths" in html
    assert '<th scope="row">Q1 → Q2 → Q3 → Q4 → result</th><td>4 (44.4%)</td>' in html
    assert "None: some path reaches every question." in html
