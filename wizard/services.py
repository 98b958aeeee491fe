"""Writes to wizard rows: start an attempt, record an answer, complete, erase, activate.

The flow is hand-made on the ``Attempt`` row rather than django-formtools: the row already
holds the state (answers, furthest step), while formtools keeps its state in session or
cookie storage, which would give public pages a session, tie an attempt to one browser
storage instead of its URL (two tabs would mix), and need sticky state across instances.
"""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import get_language

from certguide.campaign import UTM_KEYS, Tracking
from wizard.models import Attempt, Questionnaire
from wizard.questionnaires import questionnaire_weights
from wizard.scoring import QuestionnaireWeights, QuestionWeights, route, score, valid_answer
from wizard.signals import quiz_completed


class WizardError(Exception):
    """A step that cannot be taken; views turn each into a redirect or a 4xx page."""


class AttemptAlreadyCompleted(WizardError):
    pass


class StepNotReached(WizardError):
    def __init__(self, furthest: int) -> None:
        super().__init__(f"step {furthest + 1} is the furthest one reached")
        self.furthest = furthest


class InvalidAnswer(WizardError):
    pass


class AnswersMissing(WizardError):
    def __init__(self, first_missing: int) -> None:
        super().__init__(f"question {first_missing + 1} has no valid answer")
        self.first_missing = first_missing


@transaction.atomic
def attempt_start(*, questionnaire_id: int, tracking: Tracking | None = None) -> Attempt:
    """Start an attempt at the questionnaire, keeping where the visitor came from (its
    utm_* values and referrer; an attempt has no placement)."""
    tracking = tracking or Tracking()
    return Attempt.objects.create(
        questionnaire_id=questionnaire_id, referrer=tracking.referrer, **tracking.utm()
    )


def stored_answers(attempt: Attempt) -> dict[int, list[int]]:
    """The attempt's answers keyed by question id, as scoring reads them."""
    return {
        int(qid): ids
        for qid, ids in attempt.answers.items()
        if isinstance(ids, list) and str(qid).isdigit()
    }


def attempt_path(attempt: Attempt, weights: QuestionnaireWeights) -> tuple[QuestionWeights, ...]:
    """The questions on the attempt's current path, in the order they are asked."""
    return route(weights, stored_answers(attempt))


def first_unanswered(attempt: Attempt, weights: QuestionnaireWeights) -> int | None:
    """Position on the path of the first question without a valid answer, or None when
    every question on the path is answered."""
    answers = stored_answers(attempt)
    for position, question in enumerate(route(weights, answers)):
        if valid_answer(question, answers.get(question.id)) is None:
            return position
    return None


@dataclass(frozen=True)
class _Answered:
    """An attempt's state once an answer is recorded."""

    answers: dict[str, list[int]]
    path: list[int]
    step: int
    completes: bool  # every question on the path answered, the last one just now


def _answered(
    attempt: Attempt,
    weights: QuestionnaireWeights,
    index: int,
    choice_ids: Sequence[int],
    finish: bool,
) -> _Answered:
    if attempt.is_completed:
        raise AttemptAlreadyCompleted
    answers = stored_answers(attempt)
    path = route(weights, answers)
    if not 0 <= index < len(path):
        raise InvalidAnswer("no such question on this path")
    reachable = _furthest(path, answers)
    if index > reachable:
        raise StepNotReached(reachable)
    question = path[index]
    picked = sorted(set(choice_ids))
    if valid_answer(question, picked) is None:
        raise InvalidAnswer("those choices do not answer this question")

    answers[question.id] = picked
    path = route(weights, answers)
    on_path = {q.id for q in path}
    unanswered = [q for q in path if valid_answer(q, answers.get(q.id)) is None]
    return _Answered(
        answers={str(qid): ids for qid, ids in answers.items() if qid in on_path},
        path=[q.id for q in path],
        step=_furthest(path, answers),
        completes=finish and index == len(path) - 1 and not unanswered,
    )


def attempt_record_answer(
    *,
    attempt: Attempt,
    weights: QuestionnaireWeights,
    index: int,
    choice_ids: Sequence[int],
    finish: bool = True,
) -> Attempt:
    """Save the answer to the question at position ``index`` of the attempt's path.

    The path is worked out again from the answers: an answer that changes it drops the
    answers to questions no longer on it (they would neither score nor show), and nothing
    else. ``step`` becomes the position of the first unanswered question on the path.
    With ``finish`` (the Next button, not Back), answering the last question on the path
    with every question on it answered completes the attempt in the same transaction.

    Two tabs posting at once cannot overwrite each other's answers. The answer is worked
    out from ``attempt`` as the caller read it and written in one statement that succeeds
    only if nobody wrote the attempt since (its revision); as a transaction of its own, it
    does not wait for the disk (see _commit_without_flush). When somebody did write it,
    when the copy read refuses the answer, or when the answer completes the attempt, the
    row is locked, read again and written in a transaction.
    """
    try:
        answered = _answered(attempt, weights, index, choice_ids, finish)
    except WizardError:
        answered = None  # decided again on the attempt as it is now, below
    if (
        answered is not None
        and not answered.completes
        and Attempt.objects.answer_if_unchanged(
            attempt, answers=answered.answers, path=answered.path, step=answered.step
        )
    ):
        return attempt
    return _record_answer_locked(
        attempt_id=attempt.pk, weights=weights, index=index, choice_ids=choice_ids, finish=finish
    )


@transaction.atomic
def _record_answer_locked(
    *,
    attempt_id: uuid.UUID,
    weights: QuestionnaireWeights,
    index: int,
    choice_ids: Sequence[int],
    finish: bool,
) -> Attempt:
    locked = Attempt.objects.by_id(attempt_id, for_update=True)
    if locked is None:
        raise Attempt.DoesNotExist
    answered = _answered(locked, weights, index, choice_ids, finish)
    _commit_without_flush()
    locked.answers, locked.path, locked.step = answered.answers, answered.path, answered.step
    locked.revision += 1
    locked.save(update_fields=["answers", "path", "step", "revision", "updated_at"])
    if answered.completes:
        return attempt_complete(attempt=locked, weights=weights)
    return locked


def _commit_without_flush() -> None:
    """Let the current transaction commit without waiting for its WAL flush to disk
    (PostgreSQL's ``synchronous_commit = off``, for this transaction only).

    A quiz answer is worth less than a lead: a database crash may lose the last fraction
    of a second of answers (the visitor clicks Next again), never corrupts anything, and
    each step POST stops waiting for an fsync. Only when this transaction is the
    outermost one: inside a caller's transaction the setting would also cover the
    caller's writes, which may be a lead. Leads, confirmations and unsubscribes never
    take this path (docs/performance.md).
    """
    connection = transaction.get_connection()
    if connection.vendor == "postgresql" and len(connection.atomic_blocks) == 1:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def _furthest(path: Sequence[QuestionWeights], answers: Mapping[int, object]) -> int:
    """The furthest position a visitor may open: the first unanswered question on the
    path, or the last question when all are answered."""
    for position, question in enumerate(path):
        if valid_answer(question, answers.get(question.id)) is None:
            return position
    return max(len(path) - 1, 0)


def furthest_position(attempt: Attempt, weights: QuestionnaireWeights) -> int:
    """The furthest position on the attempt's path its visitor may open (0-based)."""
    answers = stored_answers(attempt)
    return _furthest(route(weights, answers), answers)


def _result_texts(weights: QuestionnaireWeights, answers: Mapping[int, Sequence[int]]) -> dict:
    """The questions, chosen answers and reasons along the answers' path, in the language
    of `weights`' texts."""
    return {
        "answers": [
            {
                "question": q.text,
                "choices": [c.text for c in q.choices if c.id in answers[q.id]],
            }
            for q in route(weights, answers)
        ],
        "reasons": score(weights, answers).reasons(),
    }


# savepoint=False: when called from attempt_record_answer it joins that transaction
# (one fewer round trip per final step); called alone it is its own transaction.
@transaction.atomic(savepoint=False)
def attempt_complete(*, attempt: Attempt, weights: QuestionnaireWeights) -> Attempt:
    """Score the attempt and freeze the outcome, the path and the explanation on the row.

    ``result`` keeps the question and answer texts along the path and the reasons as they
    were, so editing the questionnaire later never changes a result someone already has.
    """
    missing = first_unanswered(attempt, weights)
    if missing is not None:
        raise AnswersMissing(missing)
    answers = stored_answers(attempt)
    path = route(weights, answers)
    outcome = score(weights, answers)
    texts = {get_language(): _result_texts(weights, answers)}
    for language, _name in settings.LANGUAGES:
        if language not in texts:
            with translation.override(language):
                # The same rows in that language's copy (cached per language).
                texts[language] = _result_texts(
                    questionnaire_weights(weights.id) or weights, answers
                )
    result = {
        "questionnaire": weights.name,
        "margin": weights.margin,
        "path": [q.id for q in path],
        # In the language the quiz was finished in; "texts" has every site language's.
        **texts[get_language()],
        "texts": texts,
        "contributions": [asdict(c) for c in outcome.contributions],
    }
    now = timezone.now()
    fields = {
        "completed_at": now,
        "updated_at": now,
        "csm_score": outcome.csm_score,
        "cspo_score": outcome.cspo_score,
        "outcome": outcome.outcome,
        "result": result,
        "path": result["path"],
    }
    # The completed_at guard makes a second completion (another tab) a no-op, not a rewrite.
    if not Attempt.objects.filter(pk=attempt.pk, completed_at__isnull=True).update(**fields):
        raise AttemptAlreadyCompleted
    for name, value in fields.items():
        setattr(attempt, name, value)
    quiz_completed.send(sender=Attempt, attempt=attempt)
    return attempt


@transaction.atomic
def attempts_erase_personal_data(*, attempts: QuerySet[Attempt]) -> int:
    """Blank the tracking data (utm_* and referrer) of many attempts at once; how many."""
    return attempts.update(**dict.fromkeys((*UTM_KEYS, "referrer"), ""))


@transaction.atomic
def questionnaire_activate(*, questionnaire: Questionnaire) -> Questionnaire:
    """Make this the questionnaire visitors take; the one active before is switched off.

    Attempts already started keep their own questionnaire.
    """
    Questionnaire.objects.filter(is_active=True).exclude(pk=questionnaire.pk).update(
        is_active=False
    )
    questionnaire.is_active = True
    questionnaire.save(update_fields=["is_active", "updated_at"])
    return questionnaire
