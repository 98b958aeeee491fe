import importlib

import pytest
from django.apps import apps

from wizard.models import Attempt, Choice, Question, Questionnaire
from wizard.scoring import ChoiceWeights, QuestionnaireWeights, QuestionWeights

# A choice spec is (csm_points, cspo_points) or (csm_points, cspo_points, recommends_both).
ChoiceSpec = tuple[int, int] | tuple[int, int, bool]
# Jumps by index: {(question n, choice k): question index, or END}; {question n: index}.
END = "end"
ChoiceJumps = dict[tuple[int, int], int | str]

# A small branched quiz: Q1's answer 1 leans CSM and jumps to Q3, its answer 2 leans CSPO
# and goes on to Q2; Q3's answer 2 ends the quiz.
BRANCHED = [[(3, 0), (0, 3)], [(0, 5), (5, 0)], [(2, 0), (0, 2)], [(1, 0), (0, 1)]]
BRANCHED_JUMPS = {(0, 0): 2, (2, 1): END}


def _choice_target(jumps: ChoiceJumps, n: int, k: int) -> int | None:
    target = jumps.get((n, k))
    return None if target is None or target == END else int(target) + 1


def build_weights(
    questions: list[list[ChoiceSpec]],
    *,
    margin: int = 10,
    multiple: tuple[int, ...] = (),
    jumps: ChoiceJumps | None = None,
    question_jumps: dict[int, int] | None = None,
) -> QuestionnaireWeights:
    """Plain scoring input: question n has id n+1, its choice k has id (n+1)*100+k.
    ``jumps`` and ``question_jumps`` name targets by question index."""
    jumps = jumps or {}
    question_jumps = question_jumps or {}
    return QuestionnaireWeights(
        id=1,
        name="Test",
        margin=margin,
        questions=tuple(
            QuestionWeights(
                id=n + 1,
                text=f"Question {n + 1}",
                multiple=n in multiple,
                choices=tuple(
                    ChoiceWeights(
                        id=(n + 1) * 100 + k,
                        text=f"Q{n + 1} choice {k}",
                        csm_points=spec[0],
                        cspo_points=spec[1],
                        recommends_both=len(spec) > 2 and bool(spec[2]),
                        explanation=f"Because of Q{n + 1} choice {k}",
                        next_question=_choice_target(jumps, n, k),
                        ends_quiz=jumps.get((n, k)) == END,
                    )
                    for k, spec in enumerate(choices)
                ),
                next_question=question_jumps[n] + 1 if n in question_jumps else None,
            )
            for n, choices in enumerate(questions)
        ),
    )


def start_attempt(client, data: dict[str, str] | None = None) -> Attempt:
    """Press Start on the intro, as a visitor does, and return the attempt it made."""
    response = client.post("/wizard/", data or {})
    assert response.status_code == 302
    return Attempt.objects.get(pk=response.url.split("/")[2])


def started(visitor) -> Attempt:
    """Open the intro and press Start as `visitor` (a tests.conftest.Visitor: CSRF checked,
    the page's own token sent back); the attempt it made."""
    visitor.get("/wizard/")
    response = visitor.submit("/wizard/", {})
    assert response.status_code == 302
    return Attempt.objects.get(pk=response.url.split("/")[2])


@pytest.fixture
def seeded_questionnaire(db) -> Questionnaire:
    """The default questionnaire from the data migration.

    Re-seeded when missing: a transactional test (browser, concurrency) flushes the
    tables, and with --reuse-db the next run would otherwise start without it.
    """
    migration = importlib.import_module("wizard.migrations.0002_seed_default_questionnaire")
    migration.seed(apps, None)
    branch = importlib.import_module(
        "wizard.migrations.0005_record_paths_and_branch_default_questionnaire"
    )
    branch.add_branch(apps, None)
    german = importlib.import_module("wizard.migrations.0007_translate_questionnaire_german")
    german.seed_german(apps, None)
    return Questionnaire.objects.get(name=migration.NAME)


@pytest.fixture
def make_weights():
    return build_weights


@pytest.fixture
def make_questionnaire(db):
    """A questionnaire in the database from the same compact spec as make_weights."""

    def make(
        questions: list[list[ChoiceSpec]] | None = None,
        *,
        margin: int = 10,
        multiple: tuple[int, ...] = (),
        is_active: bool = True,
        name: str = "Test questionnaire",
        jumps: ChoiceJumps | None = None,
        question_jumps: dict[int, int] | None = None,
    ) -> Questionnaire:
        if is_active:
            Questionnaire.objects.filter(is_active=True).update(is_active=False)
        questionnaire = Questionnaire.objects.create(
            name=name, is_active=is_active, both_margin=margin
        )
        spec = questions if questions is not None else [[(3, 0), (0, 3)], [(2, 0), (0, 2)]]
        for n, choices in enumerate(spec):
            question = Question.objects.create(
                questionnaire=questionnaire,
                order=n,
                text=f"Question {n + 1}?",
                kind=Question.Kind.MULTIPLE if n in multiple else Question.Kind.SINGLE,
            )
            for k, choice in enumerate(choices):
                Choice.objects.create(
                    question=question,
                    order=k,
                    text=f"Answer {n + 1}.{k + 1}",
                    csm_points=choice[0],
                    cspo_points=choice[1],
                    recommends_both=len(choice) > 2 and bool(choice[2]),
                    explanation=f"Explanation {n + 1}.{k + 1}",
                )
        questions = list(questionnaire.questions.order_by("order", "pk"))
        for (n, k), target in (jumps or {}).items():
            choice = questions[n].choices.order_by("order", "pk")[k]
            if target == END:
                choice.ends_quiz = True
            else:
                choice.next_question = questions[int(target)]
            choice.save()
        for n, target in (question_jumps or {}).items():
            questions[n].next_question = questions[target]
            questions[n].save()
        return questionnaire

    return make


@pytest.fixture
def make_superuser(db, django_user_model):
    def make(username: str = "admin"):
        return django_user_model.objects.create_superuser(
            username=username, email=f"{username}@example.com", password="pw"
        )

    return make
