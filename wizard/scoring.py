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
    # Where picking this answer leads: a later question's id, or the result (ends_quiz).
    next_question: int | None = None
    ends_quiz: bool = False

    def swapped(self) -> "ChoiceWeights":
        return replace(self, csm_points=self.cspo_points, cspo_points=self.csm_points)


@dataclass(frozen=True, slots=True)
class QuestionWeights:
    id: int
    text: str
    choices: tuple[ChoiceWeights, ...]
    multiple: bool = False
    help_text: str = ""
    # Where the question leads whatever the answer; None: the next one in order.
    next_question: int | None = None

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

    @property
    def branched(self) -> bool:
        return any(
            q.next_question is not None
            or any(c.next_question is not None or c.ends_quiz for c in q.choices)
            for q in self.questions
        )

    def path_lengths(self) -> tuple[int, int]:
        """The fewest and the most questions a visitor can be asked."""
        shortest: list[int] = [0] * len(self.questions)
        longest: list[int] = [0] * len(self.questions)
        for index in range(len(self.questions) - 1, -1, -1):
            question = self.questions[index]
            answers: list[Collection[int] | None] = [[c.id] for c in question.choices] or [None]
            if question.multiple and question.choices:
                answers = [[c.id for c in question.choices]]  # Several jumps: the nearest wins.
                answers += [[c.id] for c in question.choices]
            after = [self.next_index(index, a) for a in answers]
            shortest[index] = 1 + min(0 if n is None else shortest[n] for n in after)
            longest[index] = 1 + max(0 if n is None else longest[n] for n in after)
        return (shortest[0], longest[0]) if self.questions else (0, 0)

    def position(self, question_id: int) -> int | None:
        """The question's index in questionnaire order, None when it is not in it."""
        return next((n for n, q in enumerate(self.questions) if q.id == question_id), None)

    def next_index(self, index: int, choice_ids: Collection[int] | None) -> int | None:
        """The index of the question after question ``index`` answered with ``choice_ids``
        (None: the result comes next). Without an answer, the question's own jump or the
        next question in order: the path as far as it can be known.

        Of several picked answers with jumps, the one leading least far wins, so no question
        a picked answer leads to is skipped. A jump that does not go forward (a marketer
        reordered questions after setting it) is ignored, so every path still ends.
        """
        question = self.questions[index]
        targets: list[int | None] = []
        for choice in question.choices:
            if choice_ids is None or choice.id not in choice_ids:
                continue
            if choice.ends_quiz:
                targets.append(None)
            elif choice.next_question is not None:
                target = self.position(choice.next_question)
                if target is not None and target > index:
                    targets.append(target)
        if targets:
            ahead = [t for t in targets if t is not None]
            return min(ahead) if ahead else None
        if question.next_question is not None:
            target = self.position(question.next_question)
            if target is not None and target > index:
                return target
        return index + 1 if index + 1 < len(self.questions) else None

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


def valid_answer(question: QuestionWeights, choice_ids: object) -> list[int] | None:
    """The answer if it fits the question (known choices; exactly one for single choice),
    else None (e.g. a choice deleted since it was picked)."""
    if isinstance(choice_ids, (str, bytes)) or not isinstance(choice_ids, Collection):
        return None
    picked = list(choice_ids)
    known = {c.id for c in question.choices}
    if not picked or not all(isinstance(i, int) and i in known for i in picked):
        return None
    if not question.multiple and len(picked) != 1:
        return None
    return picked


def route(
    questionnaire: QuestionnaireWeights, answers: Mapping[int, Collection[int]]
) -> tuple[QuestionWeights, ...]:
    """The visitor's path: the questions asked, in order, as ``answers`` route them.

    From the first question, each answered question leads where its answer jumps; an
    unanswered (or no longer valid) answer leads where the question does without one, so
    the path reaches the result and its length is what the progress indicator counts.
    """
    path: list[QuestionWeights] = []
    index: int | None = 0 if questionnaire.questions else None
    while index is not None:
        question = questionnaire.questions[index]
        path.append(question)
        picked = valid_answer(question, answers.get(question.id))
        index = questionnaire.next_index(index, picked)
    return tuple(path)


def score(questionnaire: QuestionnaireWeights, answers: Mapping[int, Collection[int]]) -> Score:
    """Score ``answers`` ({question id: chosen choice ids}) against the questionnaire.

    Only the answered questions on the path the answers take count (see ``route``): an
    answer to a question the path skips, left from before an earlier answer changed, never
    counts, and the percentages are shares of what was answered, so paths of different
    lengths compare. Choice ids that do not belong to their question, and questions that
    are not in the questionnaire, are ignored: callers validate answers before they are
    stored.
    Contributions are ranked by how hard they pulled toward the outcome (answers marked
    "recommends both" first when the outcome is BOTH), ties kept in questionnaire order.
    """
    chosen: list[tuple[QuestionWeights, ChoiceWeights]] = []
    for question in route(questionnaire, answers):
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
