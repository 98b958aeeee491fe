"""A quiz answer commits without waiting for the disk (PostgreSQL's synchronous_commit off,
in that transaction only); a lead's sign-up waits as before (docs/performance.md)."""

import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.leads.conftest import signup_data, visitor_signup
from tests.wizard.conftest import started
from wizard.models import Attempt
from wizard.questionnaires import active_weights
from wizard.services import attempt_path, attempt_record_answer, attempt_start
from wizard.views import step_url

# The view's own transaction must be the outermost one, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

# `SET LOCAL synchronous_commit = off`, or set_config('synchronous_commit', 'off', true)
# inside the statement that writes the answer.
NO_FLUSH = re.compile(r"synchronous_commit\W+(=\s*|,\s*)?off", re.IGNORECASE)


def sql_of(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries]


def wal_flushes() -> int:
    """How many times PostgreSQL has flushed its write-ahead log to disk so far."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT wal_sync FROM pg_stat_wal")
        return cursor.fetchone()[0]


def answer_first_step(visitor, attempt: Attempt):
    question = attempt.questionnaire.questions.order_by("order", "pk").first()
    choice = question.choices.order_by("order", "pk").first()
    visitor.get(step_url(attempt, 1))
    return visitor.submit(
        step_url(attempt, 1), {"question": question.pk, "choices": [choice.pk], "action": "next"}
    )


def test_only_the_step_answer_skips_the_flush(seeded_questionnaire, visitors):
    ada, bob = visitors(2)
    attempts = {visitor: started(visitor) for visitor in (ada, bob)}

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
    assert [len(NO_FLUSH.findall(sql)) for sql in map(" ".join, steps)] == [expected, expected]
    assert not any(NO_FLUSH.search(sql) for sql in sql_of(signup))
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

    assert not any(NO_FLUSH.search(sql) for sql in sql_of(queries))


def test_answers_do_not_wait_for_the_disk_and_sign_ups_do(seeded_questionnaire, visitors):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    with connection.cursor() as cursor:
        cursor.execute("SHOW fsync")
        if cursor.fetchone()[0] != "on":
            pytest.skip("this PostgreSQL never flushes (fsync off)")
    ada, bob = visitors(2)
    attempts = {visitor: started(visitor) for visitor in (ada, bob)}
    answer_first_step(ada, attempts[ada])  # the first answer of each takes its own path
    answer_first_step(bob, attempts[bob])

    before = wal_flushes()
    for _ in range(10):  # two visitors, interleaved, each re-answering their question 1
        for visitor in (ada, bob):
            assert answer_first_step(visitor, attempts[visitor]).status_code == 302
    answer_flushes = wal_flushes() - before
    before = wal_flushes()
    for n in range(5):
        response = visitor_signup(ada.client, signup_data(email=f"ada{n}@example.com"))
        assert response.status_code in (200, 302)
    signup_flushes = wal_flushes() - before

    # 20 answers committed: the background writer's flushes at most, not one each.
    assert answer_flushes < 10
    # Every sign-up waited for its own flush.
    assert signup_flushes >= 5
