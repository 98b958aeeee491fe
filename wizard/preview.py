"""The scoring preview: how a questionnaire's outcomes split over every way to answer it.

Pure (no database): the admin view builds ``QuestionnaireWeights`` and renders the
``Preview``. Paths and answers are enumerated together: from the first question, each way
to answer a question (a single-choice question's choices; for a multiple-choice question
every NON-EMPTY subset, because the form requires at least one pick) leads where its jump
says (see ``QuestionnaireWeights.next_index``), so a combination is one complete journey:
the questions asked and the answer to each. Up to ``limit`` combinations are enumerated
exactly; above it, ``limit`` combinations are drawn at random with a fixed seed (with
replacement), each combination equally likely (a way to answer is drawn in proportion to
the combinations after it), so the numbers are stable from one page load to the next.

A near-tie is a combination recommended CSM or CSPO whose two percentages are at most
``margin + 5`` points apart: a small change of weights would turn it into BOTH.
A question "never changes the outcome" when changing only its answer (keeping every other
answer still on the new path, and answering a question the change brings onto the path
with its first answer, or at random when sampling) never changes the outcome: every other
answer is tried in exact mode, one other answer per question and sampled combination above
the limit.
"""

import bisect
import itertools
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace

from wizard.models import Recommendation
from wizard.scoring import QuestionnaireWeights, QuestionWeights, decide, percentages

DEFAULT_LIMIT = 20_000
NEAR_TIE_EXTRA = 5
# The preview lists this many of the most common paths; the rest are summed up.
PATHS_SHOWN = 15


@dataclass(frozen=True, slots=True)
class Option:
    """One way to answer a question: its points, and where it leads (None: the result)."""

    csm: int
    cspo: int
    both: bool
    next: int | None
    text: str


@dataclass(frozen=True, slots=True)
class OutcomeShare:
    outcome: Recommendation
    count: int
    percent: float


@dataclass(frozen=True, slots=True)
class PathSplit:
    """The combinations that take one path, and how their outcomes split."""

    questions: tuple[int, ...]  # 1-based numbers in questionnaire order
    count: int
    percent: float
    shares: tuple[OutcomeShare, ...]

    @property
    def label(self) -> str:
        return " → ".join(f"Q{n}" for n in self.questions) + " → result"


@dataclass(frozen=True, slots=True)
class Jump:
    """A jump as the preview reports it: from question ``source`` (1-based), by an answer
    (or by the question itself when ``choice`` is empty), to ``target`` (1-based)."""

    source: int
    choice: str
    target: int | None  # None: the answer ends the quiz
    skipped: tuple[int, ...] = ()  # questions no path reaches because of this jump

    @property
    def label(self) -> str:
        by = f"answer “{self.choice}”" if self.choice else "the question itself"
        if self.target is None:
            return f"Q{self.source}, {by}, ends the quiz"
        return f"Q{self.source}, {by}, jumps to Q{self.target}"


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
    paths: tuple[PathSplit, ...] = ()  # the most common first, at most PATHS_SHOWN
    path_count: int = 0  # distinct paths among the combinations examined
    unreachable: tuple[str, ...] = ()  # questions no path reaches
    hiding_jumps: tuple[Jump, ...] = ()  # jumps that make a later question unreachable
    ignored_jumps: tuple[Jump, ...] = ()  # jumps that do not go forward: visitors never take them

    @property
    def near_tie_percent(self) -> float:
        return _percent(self.near_ties, self.examined)

    @property
    def branched(self) -> bool:
        return self.path_count > 1 or bool(self.unreachable or self.ignored_jumps)


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def option_count(question: QuestionWeights) -> int:
    n = len(question.choices)
    return 2**n - 1 if question.multiple else n


def options(questionnaire: QuestionnaireWeights, index: int) -> list[Option]:
    """Every way to answer question ``index``: a choice, or for multiple choice each subset
    (bitmask ``k + 1`` for the k-th), with where it leads. A question without answers has
    one empty way through, so a path never stops at it."""
    question = questionnaire.questions[index]
    if not question.choices:
        return [Option(0, 0, False, questionnaire.next_index(index, None), "")]
    result = []
    for k in range(option_count(question)):
        if question.multiple:
            picked = [c for bit, c in enumerate(question.choices) if (k + 1) >> bit & 1]
        else:
            picked = [question.choices[k]]
        result.append(
            Option(
                csm=sum(c.csm_points for c in picked),
                cspo=sum(c.cspo_points for c in picked),
                both=any(c.recommends_both for c in picked),
                next=questionnaire.next_index(index, [c.id for c in picked]),
                text=", ".join(c.text for c in picked),
            )
        )
    return result


def _outcome(csm: int, cspo: int, both: bool, margin: int) -> tuple[Recommendation, int]:
    csm_score, cspo_score = percentages(csm, cspo)
    gap = abs(csm_score - cspo_score)
    return decide(csm_score, cspo_score, margin=margin, any_both=both), gap


def _reachable(questionnaire: QuestionnaireWeights, table: list[list[Option]]) -> set[int]:
    seen: set[int] = set()
    todo = [0] if table else []
    while todo:
        index = todo.pop()
        if index in seen:
            continue
        seen.add(index)
        todo.extend(o.next for o in table[index] if o.next is not None)
    return seen


def _without(questionnaire: QuestionnaireWeights, jump: Jump) -> QuestionnaireWeights:
    """The questionnaire with one jump taken away (the question's, or one answer's)."""
    index = jump.source - 1
    question = questionnaire.questions[index]
    if not jump.choice:
        question = replace(question, next_question=None)
    else:
        question = replace(
            question,
            choices=tuple(
                replace(c, next_question=None, ends_quiz=False) if c.text == jump.choice else c
                for c in question.choices
            ),
        )
    questions = list(questionnaire.questions)
    questions[index] = question
    return replace(questionnaire, questions=tuple(questions))


def _jumps(questionnaire: QuestionnaireWeights) -> tuple[list[Jump], list[Jump]]:
    """The jumps that go forward, and those that do not (ignored by the flow)."""
    forward, ignored = [], []
    for index, question in enumerate(questionnaire.questions):
        named = [("", question.next_question)]
        named += [(c.text, c.next_question) for c in question.choices]
        for choice in question.choices:
            if choice.ends_quiz and index + 1 < len(questionnaire.questions):
                forward.append(Jump(source=index + 1, choice=choice.text, target=None))
        for text, target_id in named:
            if target_id is None:
                continue
            target = questionnaire.position(target_id)
            if target is None:
                continue
            jump = Jump(source=index + 1, choice=text, target=target + 1)
            (forward if target > index else ignored).append(jump)
    return forward, ignored


def reachability(
    questionnaire: QuestionnaireWeights,
) -> tuple[tuple[int, ...], tuple[Jump, ...], tuple[Jump, ...]]:
    """The indices of the questions no path reaches, the jumps that hide them (taking the
    jump away makes the question reachable again), and the jumps the flow ignores because
    they go backwards."""
    table = [options(questionnaire, n) for n in range(len(questionnaire.questions))]
    reached = _reachable(questionnaire, table)
    missing = [n for n in range(len(table)) if n not in reached]
    forward, ignored = _jumps(questionnaire)
    hiding = []
    if missing:
        for jump in forward:
            without = _without(questionnaire, jump)
            again = _reachable(
                without, [options(without, n) for n in range(len(without.questions))]
            )
            skipped = tuple(n + 1 for n in missing if n in again)
            if skipped:
                hiding.append(Jump(jump.source, jump.choice, jump.target, skipped))
    return tuple(missing), tuple(hiding), tuple(ignored)


# A combination: per question on its path, (question index, option index).
Combination = tuple[tuple[int, int], ...]


def _combinations(table: list[list[Option]]) -> Iterator[Combination]:
    def walk(index: int | None, prefix: Combination) -> Iterator[Combination]:
        if index is None:
            yield prefix
            return
        for k, option in enumerate(table[index]):
            yield from walk(option.next, (*prefix, (index, k)))

    if table:
        yield from walk(0, ())


def _counts(table: list[list[Option]]) -> list[int]:
    """How many combinations start at each question (the questions after it included)."""
    counts = [0] * len(table)
    for index in range(len(table) - 1, -1, -1):
        counts[index] = sum(1 if o.next is None else counts[o.next] for o in table[index])
    return counts


def _draw(
    table: list[list[Option]], cumulative: list[list[int]], rng: random.Random
) -> Combination:
    """One combination, each equally likely: a way to answer is drawn in proportion to the
    combinations that follow it (``cumulative`` holds their running totals per question)."""
    combination: list[tuple[int, int]] = []
    index: int | None = 0
    while index is not None:
        running = cumulative[index]
        k = bisect.bisect_right(running, rng.randrange(running[-1]))
        combination.append((index, k))
        index = table[index][k].next
    return tuple(combination)


def _complete(
    table: list[list[Option]],
    kept: dict[int, int],
    start: int,
    changed: int,
    rng: random.Random | None,
) -> Combination:
    """The combination after question ``start`` is answered with option ``changed``:
    answers still on the new path are kept; a newly reached question gets its first
    option (or a random one when sampling)."""
    combination = [(start, changed)]
    index = table[start][changed].next
    while index is not None:
        if index in kept:
            k = kept[index]
        else:
            k = rng.randrange(len(table[index])) if rng is not None else 0
        combination.append((index, k))
        index = table[index][k].next
    return tuple(combination)


def _totals(table: list[list[Option]], combination: Combination) -> tuple[int, int, bool]:
    csm = cspo = 0
    both = False
    for index, k in combination:
        option = table[index][k]
        csm += option.csm
        cspo += option.cspo
        both = both or option.both
    return csm, cspo, both


def _shares(tally: Counter, whole: int) -> tuple[OutcomeShare, ...]:
    return tuple(
        OutcomeShare(outcome=o, count=tally[o], percent=_percent(tally[o], whole))
        for o in (Recommendation.CSM, Recommendation.CSPO, Recommendation.BOTH)
    )


def preview_scoring(
    questionnaire: QuestionnaireWeights, *, limit: int = DEFAULT_LIMIT, seed: int = 0
) -> Preview:
    """Score every path-and-answers combination (or a deterministic sample above
    ``limit``): the outcome split overall and per path, near-ties, questions that never
    change the outcome, and the questions no path reaches with the jumps that hide them."""
    margin = questionnaire.margin
    window = margin + NEAR_TIE_EXTRA
    table = [options(questionnaire, n) for n in range(len(questionnaire.questions))]
    counts = _counts(table)
    total = counts[0] if table else 0
    sampled = total > limit
    rng = random.Random(seed) if sampled else None  # noqa: S311 -- reproducible, not secret.

    combinations: Iterator[Combination]
    if sampled:
        cumulative = [
            list(itertools.accumulate(1 if o.next is None else counts[o.next] for o in row))
            for row in table
        ]
        combinations = (_draw(table, cumulative, rng) for _ in range(limit))
    else:
        combinations = _combinations(table)

    tally: Counter = Counter()
    by_path: dict[tuple[int, ...], Counter] = {}
    near_ties = forced = examined = 0
    influential = [not question.choices for question in questionnaire.questions]
    for combination in combinations:
        examined += 1
        csm, cspo, both = _totals(table, combination)
        outcome, gap = _outcome(csm, cspo, both, margin)
        tally[outcome] += 1
        by_path.setdefault(tuple(n for n, _ in combination), Counter())[outcome] += 1
        near_ties += outcome != Recommendation.BOTH and gap <= window
        forced += both
        if all(influential[n] for n, _ in combination):
            continue
        both_count = sum(table[n][k].both for n, k in combination)
        # The points of the answers before each position, to score neighbours quickly.
        before = _totals(table, ())
        for position, (index, k) in enumerate(combination):
            option = table[index][k]
            if not influential[index] and len(table[index]) > 1:
                kept = dict(combination[position + 1 :])
                others = [j for j in range(len(table[index])) if j != k]
                if sampled:
                    others = [rng.choice(others)]
                for other in others:
                    swap = table[index][other]
                    if swap.next == option.next:  # Same path on: only this answer differs.
                        changed, _ = _outcome(
                            csm - option.csm + swap.csm,
                            cspo - option.cspo + swap.cspo,
                            both_count - option.both + swap.both > 0,
                            margin,
                        )
                    else:
                        tail = _totals(table, _complete(table, kept, index, other, rng))
                        changed, _ = _outcome(
                            before[0] + tail[0], before[1] + tail[1], before[2] or tail[2], margin
                        )
                    if changed != outcome:
                        influential[index] = True
                        break
            before = (before[0] + option.csm, before[1] + option.cspo, before[2] or option.both)

    paths = sorted(by_path.items(), key=lambda item: (-item[1].total(), item[0]))
    unreachable, hiding, ignored = reachability(questionnaire)
    reached = {n for path in by_path for n in path}
    inert = tuple(
        q.text
        for n, (q, hit) in enumerate(zip(questionnaire.questions, influential, strict=True))
        if not hit and n in reached
    )
    inert += tuple(q.text for q in questionnaire.questions if not q.choices)
    return Preview(
        total=total,
        examined=examined,
        sampled=sampled,
        margin=margin,
        near_tie_window=window,
        shares=_shares(tally, examined),
        near_ties=near_ties,
        forced_both=forced,
        inert_questions=inert,
        paths=tuple(
            PathSplit(
                questions=tuple(n + 1 for n in path),
                count=tally_.total(),
                percent=_percent(tally_.total(), examined),
                shares=_shares(tally_, tally_.total()),
            )
            for path, tally_ in paths[:PATHS_SHOWN]
        ),
        path_count=len(paths),
        unreachable=tuple(f"Q{n + 1}. {questionnaire.questions[n].text}" for n in unreachable),
        hiding_jumps=hiding,
        ignored_jumps=ignored,
    )
