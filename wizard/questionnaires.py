"""Reading questionnaires for the flow: once from the database, then from the cache.

Every step page needs the whole questionnaire (questions and choices). It changes only
when a marketer saves it in the admin, so it is cached as plain ``QuestionnaireWeights``
and invalidated by bumping a generation number whenever a questionnaire, question or
choice is saved or deleted (the signal receivers at the bottom). QuerySet ``update()``
calls bypass those signals; nothing in certguide edits questionnaires that way.
"""

import uuid

from django.core.cache import cache
from django.db.models import Prefetch
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from wizard.models import Choice, Question, Questionnaire
from wizard.scoring import ChoiceWeights, QuestionnaireWeights, QuestionWeights

GENERATION_KEY = "wizard:questionnaires:generation"
TIMEOUT = 60 * 60 * 24
NO_ACTIVE = "none"


def _generation() -> str:
    return cache.get_or_set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)


def forget_questionnaires() -> None:
    """Make every cached questionnaire stale (a new generation nobody has cached yet)."""
    cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)


def load_weights(questionnaire: Questionnaire) -> QuestionnaireWeights:
    """The questionnaire straight from the database: two queries (questions, choices)."""
    questions = Question.objects.filter(questionnaire_id=questionnaire.pk).prefetch_related(
        Prefetch("choices", queryset=Choice.objects.order_by("order", "pk"))
    )
    return QuestionnaireWeights(
        id=questionnaire.pk,
        name=questionnaire.name,
        margin=questionnaire.both_margin,
        questions=tuple(
            QuestionWeights(
                id=q.pk,
                text=q.text,
                help_text=q.help_text,
                multiple=q.kind == Question.Kind.MULTIPLE,
                choices=tuple(
                    ChoiceWeights(
                        id=c.pk,
                        text=c.text,
                        csm_points=c.csm_points,
                        cspo_points=c.cspo_points,
                        recommends_both=c.recommends_both,
                        explanation=c.explanation,
                    )
                    for c in q.choices.all()
                ),
            )
            for q in questions.order_by("order", "pk")
        ),
    )


# Weights this process has already unpickled, by cache key. The key carries the
# generation, so an edit anywhere makes these unreachable; the dict is kept small.
_in_process: dict[str, QuestionnaireWeights] = {}


def questionnaire_weights(questionnaire: Questionnaire) -> QuestionnaireWeights:
    """The questionnaire's questions and choices, from the cache when it has them."""
    key = f"wizard:weights:{_generation()}:{questionnaire.pk}"
    weights = _in_process.get(key)
    if weights is None:
        weights = cache.get(key)
        if weights is None:
            weights = load_weights(questionnaire)
            cache.set(key, weights, TIMEOUT)
        if len(_in_process) >= 16:
            _in_process.clear()
        _in_process[key] = weights
    return weights


def answer_fragment_key(
    *, question: QuestionWeights, number: int, total: int, picked: list[str]
) -> list[str]:
    """What the cached HTML of a step's unanswered-or-answered form depends on.

    The question itself (id, texts, choices) is part of the key, so a saved edit is a
    cache miss without reading the generation a second time in the request: the weights
    it comes from were already read under the current one. The cache tag hashes the key.
    """
    return [repr(question), f"{number}/{total}", ",".join(sorted(picked))]


def active_questionnaire() -> Questionnaire | None:
    """The questionnaire visitors take now, or None when a marketer has none active."""
    key = f"wizard:active:{_generation()}"
    cached = cache.get(key)
    if cached is None:
        cached = Questionnaire.objects.active().first() or NO_ACTIVE
        cache.set(key, cached, TIMEOUT)
    return None if cached == NO_ACTIVE else cached


@receiver(post_save, sender=Questionnaire, dispatch_uid="wizard_forget_on_questionnaire_save")
@receiver(post_delete, sender=Questionnaire, dispatch_uid="wizard_forget_on_questionnaire_del")
@receiver(post_save, sender=Question, dispatch_uid="wizard_forget_on_question_save")
@receiver(post_delete, sender=Question, dispatch_uid="wizard_forget_on_question_delete")
@receiver(post_save, sender=Choice, dispatch_uid="wizard_forget_on_choice_save")
@receiver(post_delete, sender=Choice, dispatch_uid="wizard_forget_on_choice_delete")
def _forget_on_edit(**kwargs) -> None:
    forget_questionnaires()
