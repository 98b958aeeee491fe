"""A quiz answer commits without waiting for the disk (PostgreSQL's synchronous_commit off,
in that transaction only); a lead's sign-up waits as before (docs/performance.md)."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.leads.conftest import signup_data, visitor_signup
from wizard.models import Attempt
from wizard.questionnaires import active_weights
from wizard.services import attempt_path, attempt_record_answer, attempt_start
from wizard.views import step_url

# The view's own transaction must be the outermost one, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

NO_FLUSH = "SET LOCAL synchronous_commit = off"


def sql_of(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries]


def answer_first_step(visitor, attempt: Attempt):
    question = attempt.questionnaire.questions.order_by("order", "pk").first()
    choice = question.choices.order_by("order", "pk").first()
    visitor.get(step_url(attempt, 1))
    return visitor.submit(
        step_url(attempt, 1), {"question": question.pk, "choices": [choice.pk], "action": "next"}
    )


def test_only_the_step_answer_skips_the_flush(seeded_questionnaire, visitors):
    ada, bob = visitors(2)
    attempts = {}
    for visitor in (ada, bob):
        visitor.get("/wizard/")
        started = visitor.submit("/wizard/", {})
        attempts[visitor] = Attempt.objects.get(pk=started.url.split("/")[2])

    steps = []
    for visitor in (ada, bob):
        with CaptureQueriesContext(connection) as queries:
            response = answer_first_step(visitor, attempts[visitor])
        assert response.status_code == 302
        steps.append(sql_of(queries))
    with CaptureQueriesContext(connection) as signup:
        response = visitor_signup(ada.client, signup_data(email="ada@example.com"))
    assert response.status_code in (200, 302)
    with connection.cursor() as cursor:
        cursor.execute(
            "SHOW synchronous_commit" if connection.vendor == "postgresql" else "SELECT 'on'"
        )
        (after,) = cursor.fetchone()

    for visitor in (ada, bob):
        attempts[visitor].refresh_from_db()
        assert attempts[visitor].step == 1  # each answer was saved, on its own attempt
    expected = 1 if connection.vendor == "postgresql" else 0
    assert [sql.count(NO_FLUSH) for sql in map(" ".join, steps)] == [expected, expected]
    assert not any(NO_FLUSH in sql for sql in sql_of(signup))
    # SET LOCAL ends with its transaction: the connection is back to the durable default.
    assert after == "on"


def test_inside_a_callers_transaction_the_answer_waits_for_the_flush(seeded_questionnaire):
    weights = active_weights()
    attempt = attempt_start(questionnaire_id=weights.id)
    question = attempt_path(attempt, weights)[0]
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        attempt_record_answer(
            attempt=attempt, weights=weights, index=0, choice_ids=[question.choices[0].id]
        )

    assert not any(NO_FLUSH in sql for sql in sql_of(queries))
