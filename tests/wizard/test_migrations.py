"""The branching migrations on a database that already has attempts."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("wizard", "0004_question_choice_jumps_attempt_path")]
AFTER = [("wizard", "0005_record_paths_and_branch_default_questionnaire")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture(autouse=True)
def _latest_schema_afterwards():
    """Later tests need every migration (0006 added the translated columns)."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_attempts_get_their_path_and_frozen_results_stay_as_they_were():
    old = migrate(BEFORE)
    Questionnaire = old.get_model("wizard", "Questionnaire")
    Attempt = old.get_model("wizard", "Attempt")
    default = Questionnaire.objects.get(name__endswith="(default)")
    linear = list(default.questions.order_by("order", "pk").values_list("pk", flat=True))
    frozen = {"answers": [{"question": "What energises you most at work?", "choices": ["x"]}]}
    done = Attempt.objects.create(
        questionnaire=default, result=frozen, outcome="CSM", completed_at="2026-10-01T00:00Z"
    )
    unfinished = Attempt.objects.create(questionnaire=default, answers={str(linear[0]): [1]})

    new = migrate(AFTER)

    Attempt = new.get_model("wizard", "Attempt")
    Question = new.get_model("wizard", "Question")
    assert Attempt.objects.get(pk=done.pk).path == linear
    assert Attempt.objects.get(pk=done.pk).result == frozen
    assert Attempt.objects.get(pk=unfinished.pk).answers == {str(linear[0]): [1]}
    questions = Question.objects.filter(questionnaire_id=default.pk).order_by("order", "pk")
    texts = [q.text for q in questions]
    assert texts[3] == "Which kind of work appeals to you more?"
    assert len(texts) == len(linear) + 1
    role = questions.get(text="What is your current role?")
    jumps = {c.text: c.next_question_id for c in role.choices.all()}
    assert jumps["Scrum Master"] == questions[4].pk
    assert jumps["Project manager"] is None
