"""An answer is worked out from the attempt as its step page read it and written only if
nobody wrote the attempt since: two tabs of one visitor never overwrite each other's
answers, and a warm step POST costs two statements."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.wizard.conftest import started
from wizard.models import Attempt
from wizard.questionnaires import questionnaire_weights
from wizard.services import AttemptAlreadyCompleted, attempt_record_answer, attempt_start
from wizard.views import step_url

pytestmark = pytest.mark.django_db

THREE_QUESTIONS = [[(3, 0), (0, 3)], [(2, 0), (0, 2)], [(1, 0), (0, 1)]]


@pytest.fixture
def quiz(make_questionnaire):
    questionnaire = make_questionnaire(THREE_QUESTIONS)
    weights = questionnaire_weights(questionnaire.pk)
    attempt = attempt_start(questionnaire_id=questionnaire.pk)
    return weights, attempt


def answer(attempt, weights, index: int, pick: int) -> Attempt:
    question = weights.questions[index]
    return attempt_record_answer(
        attempt=attempt, weights=weights, index=index, choice_ids=[question.choices[pick].id]
    )


def stored_answers(attempt: Attempt) -> dict[str, list[int]]:
    return Attempt.objects.get(pk=attempt.pk).answers


def test_an_answer_from_a_tab_read_earlier_keeps_the_answer_written_since(quiz):
    weights, attempt = quiz
    answer(attempt, weights, 0, 0)
    tab_a = Attempt.objects.by_id(attempt.pk)
    tab_b = Attempt.objects.by_id(attempt.pk)  # both pages shown before either is posted

    answer(tab_a, weights, 1, 1)  # tab A answers question 2
    answer(tab_b, weights, 0, 1)  # tab B, read before that, changes question 1

    q1, q2, _ = weights.questions
    assert stored_answers(attempt) == {
        str(q1.id): [q1.choices[1].id],
        str(q2.id): [q2.choices[1].id],
    }
    assert Attempt.objects.get(pk=attempt.pk).step == 2  # question 3 is next


def test_an_answer_from_a_tab_read_before_the_result_is_refused(quiz):
    weights, attempt = quiz
    stale = Attempt.objects.by_id(attempt.pk)
    for index in range(3):
        attempt = answer(attempt, weights, index, 0)
    assert attempt.is_completed
    result = Attempt.objects.get(pk=attempt.pk).result

    with pytest.raises(AttemptAlreadyCompleted):
        answer(stale, weights, 0, 1)

    stored = Attempt.objects.get(pk=attempt.pk)
    assert stored.result == result  # the result someone already has is not rewritten
    assert stored.answers[str(weights.questions[0].id)] == [weights.questions[0].choices[0].id]


def test_two_visitors_answering_in_turn_each_keep_their_own_answers(make_questionnaire, visitors):
    questionnaire = make_questionnaire(THREE_QUESTIONS)
    weights = questionnaire_weights(questionnaire.pk)
    ada, bob = visitors(2)
    attempts = {visitor: started(visitor) for visitor in (ada, bob)}

    for index in range(2):  # interleaved: Ada, Bob, Ada, Bob
        for pick, visitor in enumerate((ada, bob)):
            question = weights.questions[index]
            visitor.get(step_url(attempts[visitor], index + 1))
            response = visitor.submit(
                step_url(attempts[visitor], index + 1),
                {"question": question.id, "choices": [question.choices[pick].id]},
            )
            assert response.status_code == 302
            assert response.url == step_url(attempts[visitor], index + 2)

    for pick, visitor in enumerate((ada, bob)):
        assert stored_answers(attempts[visitor]) == {
            str(q.id): [q.choices[pick].id] for q in weights.questions[:2]
        }


def test_a_warm_step_post_reads_the_attempt_once_and_writes_it_once(quiz, visitors):
    weights, attempt = quiz
    (ada,) = visitors(1)
    question = weights.questions[0]
    ada.get(step_url(attempt, 1))
    ada.submit(step_url(attempt, 1), {"question": question.id, "choices": [question.choices[0].id]})
    ada.get(step_url(attempt, 1))

    with CaptureQueriesContext(connection) as queries:
        response = ada.submit(
            step_url(attempt, 1), {"question": question.id, "choices": [question.choices[1].id]}
        )

    assert response.status_code == 302
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert statements == ["SELECT", "UPDATE"]
    assert stored_answers(attempt) == {str(question.id): [question.choices[1].id]}
