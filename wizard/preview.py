"""The scoring preview: how a questionnaire's outcomes split over every way to answer it.

Pure (no database): the admin view builds ``QuestionnaireWeights`` and renders the
``Preview``. A single-choice question contributes each of its choices; a multiple-choice
question contributes every NON-EMPTY subset of its choices, because the form requires at
least one pick. Up to ``limit`` combinations are enumerated exactly; above it, ``limit``
combinations are drawn at random with a fixed seed (with replacement), so the numbers are
stable from one page load to the next and the page stays fast.

A near-tie is a combination recommended CSM or CSPO whose two percentages are at most
``margin + 5`` points apart: a small change of weights would turn it into BOTH.
A question "never changes the outcome" when, holding every other answer fixed, no other
answer to it changes the outcome (exactly when enumerating; in sampled mode, one other
answer is tried per question and per sampled combination).
"""

import itertools
import random
from dataclasses import dataclass

from wizard.models import Recommendation
from wizard.scoring import QuestionnaireWeights, QuestionWeights, decide, percentages

DEFAULT_LIMIT = 20_000
NEAR_TIE_EXTRA = 5

# One way to answer a question: (CSM points, CSPO points, recommends both).
Option = tuple[int, int, bool]


@dataclass(frozen=True, slots=True)
class OutcomeShare:
    outcome: Recommendation
    count: int
    percent: float


@dataclass(frozen=True, slots=True)
class Preview:
    total: int  # combinations that exist
    examined: int  # combinations scored (== total unless sampled)
    sampled: bool
    margin: int
    near_tie_window: int
    shares: tuple[OutcomeShare, ...]
    near_ties: int
    forced_both: int  # BOTH because an answer recommends both
    inert_questions: tuple[str, ...]

    @property
    def near_tie_percent(self) -> float:
        return _percent(self.near_ties, self.examined)


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def option_count(question: QuestionWeights) -> int:
    n = len(question.choices)
    return 2**n - 1 if question.multiple else n


def option(question: QuestionWeights, index: int) -> Option:
    """The ``index``-th way to answer: a choice, or for multiple choice the subset whose
    bitmask is ``index + 1``."""
    if not question.multiple:
        c = question.choices[index]
        return c.csm_points, c.cspo_points, c.recommends_both
    mask = index + 1
    picked = [c for bit, c in enumerate(question.choices) if mask >> bit & 1]
    return (
        sum(c.csm_points for c in picked),
        sum(c.cspo_points for c in picked),
        any(c.recommends_both for c in picked),
    )


def _outcome(csm: int, cspo: int, both_count: int, margin: int) -> tuple[Recommendation, int]:
    csm_score, cspo_score = percentages(csm, cspo)
    gap = abs(csm_score - cspo_score)
    return decide(csm_score, cspo_score, margin=margin, any_both=both_count > 0), gap


def preview_scoring(
    questionnaire: QuestionnaireWeights, *, limit: int = DEFAULT_LIMIT, seed: int = 0
) -> Preview:
    """Score every combination of answers (or a deterministic sample above ``limit``)."""
    margin = questionnaire.margin
    window = margin + NEAR_TIE_EXTRA
    questions = [q for q in questionnaire.questions if q.choices]
    counts = [option_count(q) for q in questions]
    total = 1
    for count in counts:
        total *= count
    sampled = total > limit

    tally = dict.fromkeys(Recommendation, 0)
    near_ties = forced = 0
    influential = [False] * len(questions)

    def record(outcome: Recommendation, gap: int, both_count: int) -> None:
        nonlocal near_ties, forced
        tally[outcome] += 1
        if outcome != Recommendation.BOTH and gap <= window:
            near_ties += 1
        if both_count:
            forced += 1

    if not sampled:
        options = [[option(q, i) for i in range(n)] for q, n in zip(questions, counts, strict=True)]
        outcomes: list[Recommendation] = []
        for combo in itertools.product(*options):
            csm = sum(o[0] for o in combo)
            cspo = sum(o[1] for o in combo)
            both = sum(o[2] for o in combo)
            outcome, gap = _outcome(csm, cspo, both, margin)
            outcomes.append(outcome)
            record(outcome, gap, both)
        # itertools.product is mixed-radix with the last question varying fastest.
        strides = [1] * len(questions)
        for n in range(len(questions) - 2, -1, -1):
            strides[n] = strides[n + 1] * counts[n + 1]
        for n, (stride, count) in enumerate(zip(strides, counts, strict=True)):
            for flat, outcome in enumerate(outcomes):
                first = flat - (flat // stride % count) * stride
                if outcomes[first] != outcome:
                    influential[n] = True
                    break
        examined = total
    else:
        rng = random.Random(seed)  # noqa: S311 -- a reproducible sample, not a secret.
        for _ in range(limit):
            picks = [option(q, rng.randrange(n)) for q, n in zip(questions, counts, strict=True)]
            csm = sum(o[0] for o in picks)
            cspo = sum(o[1] for o in picks)
            both = sum(o[2] for o in picks)
            outcome, gap = _outcome(csm, cspo, both, margin)
            record(outcome, gap, both)
            for n, (question, count) in enumerate(zip(questions, counts, strict=True)):
                if influential[n] or count < 2:
                    continue
                current = picks[n]
                other = option(question, rng.randrange(count))
                changed, _ = _outcome(
                    csm - current[0] + other[0],
                    cspo - current[1] + other[1],
                    both - current[2] + other[2],
                    margin,
                )
                influential[n] = changed != outcome
        examined = limit

    shares = tuple(
        OutcomeShare(outcome=o, count=tally[o], percent=_percent(tally[o], examined))
        for o in (Recommendation.CSM, Recommendation.CSPO, Recommendation.BOTH)
    )
    inert = tuple(q.text for q, hit in zip(questions, influential, strict=True) if not hit)
    inert += tuple(q.text for q in questionnaire.questions if not q.choices)
    return Preview(
        total=total,
        examined=examined,
        sampled=sampled,
        margin=margin,
        near_tie_window=window,
        shares=shares,
        near_ties=near_ties,
        forced_both=forced,
        inert_questions=inert,
    )
