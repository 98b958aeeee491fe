"""Reading questionnaires for the flow: once from the database, then from the cache.

Every step page needs the whole questionnaire (questions and choices). It changes only
when a marketer saves it in the admin, so it is cached as plain ``QuestionnaireWeights`` in
the questionnaire family of certguide.generations (bumped after any questionnaire,
question or choice is saved or deleted; see WizardConfig.ready).

The texts are the active language's (modeltranslation falls back to the English where the
German is empty), so each language has its own copy; the points, jumps and margin are the
same rows in every copy, so a quiz scores the same in every language.
"""

from django.db.models import Prefetch

from certguide import generations
from wizard.models import Choice, Question, Questionnaire
from wizard.scoring import ChoiceWeights, QuestionnaireWeights, QuestionWeights


def load_weights(questionnaire: Questionnaire) -> QuestionnaireWeights:
    """The questionnaire straight from the database, its texts in the active language: two
    queries (questions, choices)."""
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
                next_question=q.next_question_id,
                choices=tuple(
                    ChoiceWeights(
                        id=c.pk,
                        text=c.text,
                        csm_points=c.csm_points,
                        cspo_points=c.cspo_points,
                        recommends_both=c.recommends_both,
                        explanation=c.explanation,
                        next_question=c.next_question_id,
                        ends_quiz=c.ends_quiz,
                    )
                    for c in q.choices.all()
                ),
            )
            for q in questions.order_by("order", "pk")
        ),
    )


def questionnaire_weights(questionnaire_id: int) -> QuestionnaireWeights | None:
    """The questionnaire's questions and choices (None if it was deleted), from the cache
    when it has them."""

    def load() -> QuestionnaireWeights | None:
        questionnaire = Questionnaire.objects.filter(pk=questionnaire_id).first()
        return None if questionnaire is None else load_weights(questionnaire)

    return generations.cached(generations.Family.QUESTIONNAIRE, f"weights:{questionnaire_id}", load)


def active_weights() -> QuestionnaireWeights | None:
    """The questionnaire visitors take now, or None when a marketer has none active."""

    def load() -> QuestionnaireWeights | None:
        questionnaire = Questionnaire.objects.active().first()
        return None if questionnaire is None else load_weights(questionnaire)

    return generations.cached(generations.Family.QUESTIONNAIRE, "active", load)
