"""How a set of answers becomes a recommendation. Pure: no request, no database.

Everything else (the completion service, the admin's scoring preview, the tests) calls
``score()`` with plain dataclasses, so the rules live in exactly one place.

The rules:
- Each chosen answer adds its CSM points and its CSPO points to two totals.
- The totals become whole percentages that always add up to 100, rounded half to even:
  that rounding is symmetric, so swapping every CSM and CSPO weight swaps the two
  percentages exactly (round-half-up would not: 12.5 and 87.5 would give 13 and 88).
- With no points at all there is nothing to lean on: 50/50, and the outcome is BOTH.
- BOTH when the percentages are ``margin`` points apart or closer, or when any chosen answer
  is marked ``recommends_both`` (aiming to lead an Agile transformation). An exact tie is
  always within the margin, so a tie is BOTH by design, never whichever came first.
- Otherwise the larger share wins.
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace

from wizard.models import Recommendation


@dataclass(frozen=True, slots=True)
class ChoiceWeights:
    id: int
    text: str
    csm_points: int = 0
    cspo_points: int = 0
    recommends_both: bool = False
    explanation: str = ""

    def swapped(self) -> "ChoiceWeights":
        return replace(self, csm_points=self.cspo_points, cspo_points=self.csm_points)


@dataclass(frozen=True, slots=True)
class QuestionWeights:
    id: int
    text: str
    choices: tuple[ChoiceWeights, ...]
    multiple: bool = False
    help_text: str = ""

    def choice(self, choice_id: int) -> ChoiceWeights | None:
        return next((c for c in self.choices if c.id == choice_id), None)


@dataclass(frozen=True, slots=True)
class QuestionnaireWeights:
    """A questionnaire as scoring sees it: also what the cache holds for the flow."""

    id: int
    name: str
    margin: int
    questions: tuple[QuestionWeights, ...]

    def __len__(self) -> int:
        return len(self.questions)

    def swapped(self) -> "QuestionnaireWeights":
        return replace(
            self,
            questions=tuple(
                replace(q, choices=tuple(c.swapped() for c in q.choices)) for q in self.questions
            ),
        )


@dataclass(frozen=True, slots=True)
class Contribution:
    """One chosen answer and how much it pulled toward the outcome (``lean``)."""

    question: str
    choice: str
    explanation: str
    csm_points: int
    cspo_points: int
    recommends_both: bool
    lean: int


@dataclass(frozen=True, slots=True)
class Score:
    csm_score: int
    cspo_score: int
    outcome: Recommendation
    # Every chosen answer, the ones that drove the outcome first.
    contributions: tuple[Contribution, ...]

    def reasons(self, limit: int = 3) -> list[str]:
        """The explanations of the answers that pulled toward the outcome, strongest first."""
        driving = [c for c in self.contributions if c.recommends_both or c.lean > 0]
        return [c.explanation or c.choice for c in driving[:limit]]


def percentages(csm_total: int, cspo_total: int) -> tuple[int, int]:
    """Whole percentages summing to 100, rounded half to even; 50/50 with no points."""
    total = csm_total + cspo_total
    if total <= 0:
        return 50, 50
    quotient, remainder = divmod(100 * csm_total, total)
    if 2 * remainder > total or (2 * remainder == total and quotient % 2 == 1):
        quotient += 1
    return quotient, 100 - quotient


def decide(csm_score: int, cspo_score: int, *, margin: int, any_both: bool) -> Recommendation:
    """The outcome for two percentages: BOTH within the margin or when an answer forces it."""
    if any_both or abs(csm_score - cspo_score) <= margin:
        return Recommendation.BOTH
    return Recommendation.CSM if csm_score > cspo_score else Recommendation.CSPO


def _lean(choice: ChoiceWeights, outcome: Recommendation) -> int:
    if outcome == Recommendation.CSM:
        return choice.csm_points - choice.cspo_points
    if outcome == Recommendation.CSPO:
        return choice.cspo_points - choice.csm_points
    # For BOTH the answers that matter are the ones with weight on both sides.
    return min(choice.csm_points, choice.cspo_points)


def score(questionnaire: QuestionnaireWeights, answers: Mapping[int, Collection[int]]) -> Score:
    """Score ``answers`` ({question id: chosen choice ids}) against the questionnaire.

    Choice ids that do not belong to their question, and questions that are not in the
    questionnaire, are ignored: callers validate answers before they are stored.
    Contributions are ranked by how hard they pulled toward the outcome (answers marked
    "recommends both" first when the outcome is BOTH), ties kept in questionnaire order.
    """
    chosen: list[tuple[QuestionWeights, ChoiceWeights]] = []
    for question in questionnaire.questions:
        picked = set(answers.get(question.id, ()))
        chosen.extend((question, c) for c in question.choices if c.id in picked)

    csm_total = sum(c.csm_points for _, c in chosen)
    cspo_total = sum(c.cspo_points for _, c in chosen)
    csm_score, cspo_score = percentages(csm_total, cspo_total)
    outcome = decide(
        csm_score,
        cspo_score,
        margin=questionnaire.margin,
        any_both=any(c.recommends_both for _, c in chosen),
    )
    contributions = [
        Contribution(
            question=q.text,
            choice=c.text,
            explanation=c.explanation,
            csm_points=c.csm_points,
            cspo_points=c.cspo_points,
            recommends_both=c.recommends_both,
            lean=_lean(c, outcome),
        )
        for q, c in chosen
    ]
    # sorted() is stable: equal pulls keep the questionnaire's order.
    ranked = sorted(
        contributions,
        key=lambda c: (outcome == Recommendation.BOTH and c.recommends_both, c.lean),
        reverse=True,
    )
    return Score(
        csm_score=csm_score, cspo_score=cspo_score, outcome=outcome, contributions=tuple(ranked)
    )
