from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.wizard.conftest import END, build_weights
from wizard.models import Recommendation
from wizard.scoring import percentages, route, score

CSM, CSPO, BOTH = Recommendation.CSM, Recommendation.CSPO, Recommendation.BOTH

# Three single-choice questions: choice 0 leans CSM, 1 leans CSPO, 2 is neutral.
# The third question's choice 3 marks the "lead an Agile transformation" aim.
TABLE = [[(3, 0), (0, 3), (0, 0)], [(2, 0), (0, 2), (1, 1)], [(1, 0), (0, 1), (0, 0), (1, 0, True)]]


@pytest.mark.parametrize(
    ("picks", "margin", "expected"),
    [
        # (choice index per question), margin, (csm %, cspo %, outcome)
        ((0, 0, 0), 10, (100, 0, CSM)),
        ((1, 1, 1), 10, (0, 100, CSPO)),
        ((0, 1, 0), 10, (67, 33, CSM)),
        ((1, 0, 1), 10, (33, 67, CSPO)),
        # An exact tie is BOTH, whatever the order of the answers.
        ((0, 1, 1), 0, (50, 50, BOTH)),
        ((1, 0, 0), 0, (50, 50, BOTH)),
        # No points at all: 50/50 and BOTH.
        ((2, 2, 2), 10, (50, 50, BOTH)),
        # 2 vs 3 points: 40/60. The margin edge is inclusive.
        ((1, 0, 2), 20, (40, 60, BOTH)),
        ((1, 0, 2), 19, (40, 60, CSPO)),
        ((0, 2, 1), 34, (67, 33, BOTH)),
        ((0, 2, 1), 33, (67, 33, CSM)),
        # Aiming to lead a transformation recommends both, even when CSM dominates.
        ((0, 0, 3), 10, (100, 0, BOTH)),
    ],
)
def test_scoring_table(picks, margin, expected):
    weights = build_weights(TABLE, margin=margin)
    answers = {q.id: [q.choices[i].id] for q, i in zip(weights.questions, picks, strict=True)}

    result = score(weights, answers)

    assert (result.csm_score, result.cspo_score, result.outcome) == expected


@pytest.mark.parametrize(
    ("csm", "cspo", "expected"),
    [
        (0, 0, (50, 50)),
        (1, 0, (100, 0)),
        (1, 1, (50, 50)),
        (1, 2, (33, 67)),
        (2, 1, (67, 33)),
        # Halves round to even, so the two orientations mirror each other.
        (1, 7, (12, 88)),
        (7, 1, (88, 12)),
        (3, 5, (38, 62)),
        (5, 3, (62, 38)),
        (1, 199, (0, 100)),
    ],
)
def test_percentages_sum_to_100_and_mirror(csm, cspo, expected):
    assert percentages(csm, cspo) == expected


def test_multiple_choice_adds_every_chosen_answer():
    weights = build_weights([[(2, 0), (0, 1), (0, 1), (0, 1)]], multiple=(0,), margin=0)
    question = weights.questions[0]

    result = score(weights, {question.id: [c.id for c in question.choices]})

    assert (result.csm_score, result.cspo_score, result.outcome) == (40, 60, CSPO)
    assert len(result.contributions) == 4


def test_choices_of_other_questions_are_ignored():
    weights = build_weights(TABLE)
    first, second, _ = weights.questions

    result = score(weights, {first.id: [second.choices[0].id]})

    assert result.contributions == ()
    assert result.outcome == BOTH


def test_reasons_rank_the_answers_that_pulled_toward_the_outcome():
    weights = build_weights(TABLE, margin=0)
    q1, q2, q3 = weights.questions

    result = score(
        weights, {q1.id: [q1.choices[1].id], q2.id: [q2.choices[0].id], q3.id: [q3.choices[1].id]}
    )

    # CSPO 4 vs CSM 2: the 3-point answer first, then the 1-point one; the CSM answer is no reason.
    assert result.outcome == CSPO
    assert result.reasons() == ["Because of Q1 choice 1", "Because of Q3 choice 1"]
    assert [c.choice for c in result.contributions][-1] == "Q2 choice 0"


def test_transformation_answer_is_the_first_reason_for_both():
    weights = build_weights(TABLE)
    q1, q2, q3 = weights.questions

    result = score(
        weights, {q1.id: [q1.choices[0].id], q2.id: [q2.choices[0].id], q3.id: [q3.choices[3].id]}
    )

    assert result.outcome == BOTH
    assert result.reasons()[0] == "Because of Q3 choice 3"


# --- properties -------------------------------------------------------------------------

points = st.integers(min_value=0, max_value=20)
# "Recommends both" is rare, as in a real questionnaire.
choice_spec = st.tuples(points, points, st.integers(0, 5).map(lambda n: n == 0))
questionnaire_spec = st.lists(st.lists(choice_spec, min_size=1, max_size=5), min_size=1, max_size=6)


@st.composite
def weights_and_answers(draw, *, branched: bool = True):
    """A questionnaire (branched unless told otherwise) and an answer to EVERY question,
    on the path or not: answers left over from before a path changed look like that."""
    spec = draw(questionnaire_spec)
    multiple = tuple(n for n in range(len(spec)) if draw(st.booleans()))
    jumps, question_jumps = {}, {}
    if branched:
        # Any target, backwards and to itself too: the flow must ignore those, and a
        # questionnaire saved before a reorder can hold them.
        target = st.one_of(st.none(), st.just(END), st.integers(0, len(spec) - 1))
        for n, choices in enumerate(spec):
            for k in range(len(choices)):
                if (jump := draw(target)) is not None:
                    jumps[n, k] = jump
            if (jump := draw(st.one_of(st.none(), st.integers(0, len(spec) - 1)))) is not None:
                question_jumps[n] = jump
    weights = build_weights(
        spec,
        margin=draw(st.integers(0, 100)),
        multiple=multiple,
        jumps=jumps,
        question_jumps=question_jumps,
    )
    answers = {}
    for question in weights.questions:
        ids = [c.id for c in question.choices]
        if question.multiple:
            answers[question.id] = draw(st.sets(st.sampled_from(ids), min_size=1))
        else:
            answers[question.id] = {draw(st.sampled_from(ids))}
    return weights, answers


@given(weights_and_answers(), st.integers(min_value=1, max_value=50), st.data())
def test_adding_csm_points_never_lowers_the_csm_share(case, extra, data):
    weights, answers = case
    question = data.draw(st.sampled_from(weights.questions))
    boosted_id = data.draw(st.sampled_from(sorted(answers[question.id])))
    boosted = build_weights(
        [
            [
                (
                    c.csm_points + (extra if c.id == boosted_id else 0),
                    c.cspo_points,
                    c.recommends_both,
                )
                for c in q.choices
            ]
            for q in weights.questions
        ],
        margin=weights.margin,
        multiple=tuple(n for n, q in enumerate(weights.questions) if q.multiple),
    )
    boosted = replace(
        boosted,
        questions=tuple(
            replace(
                b,
                next_question=q.next_question,
                choices=tuple(
                    replace(bc, next_question=c.next_question, ends_quiz=c.ends_quiz)
                    for bc, c in zip(b.choices, q.choices, strict=True)
                ),
            )
            for b, q in zip(boosted.questions, weights.questions, strict=True)
        ),
    )

    before, after = score(weights, answers), score(boosted, answers)

    assert after.csm_score >= before.csm_score
    assert after.csm_score + after.cspo_score == 100
    # More CSM never turns a CSM recommendation into CSPO.
    assert not (before.outcome == CSM and after.outcome == CSPO)


@given(weights_and_answers())
def test_swapping_the_weights_swaps_the_outcome(case):
    weights, answers = case
    mirror = {CSM: CSPO, CSPO: CSM, BOTH: BOTH}

    original, swapped = score(weights, answers), score(weights.swapped(), answers)

    assert swapped.outcome == mirror[original.outcome]
    assert (swapped.csm_score, swapped.cspo_score) == (original.cspo_score, original.csm_score)
    assert swapped.reasons() == original.reasons()


@given(weights_and_answers())
def test_a_path_only_goes_forward_and_always_ends(case):
    weights, answers = case
    order = [weights.position(q.id) for q in route(weights, answers)]

    assert order[0] == 0
    assert order == sorted(set(order))


@given(weights_and_answers(), st.data())
def test_no_unanswered_question_ever_changes_a_result(case, data):
    weights, answers = case
    path = route(weights, answers)
    on_path = {q.id for q in path}
    asked = {qid: ids for qid, ids in answers.items() if qid in on_path}
    # Whatever is (or is not) stored for the questions the path skips.
    skipped = [q for q in weights.questions if q.id not in on_path]
    leftovers = {
        q.id: data.draw(st.sets(st.sampled_from([c.id for c in q.choices]), min_size=1))
        for q in skipped
        if data.draw(st.booleans())
    }

    result = score(weights, asked)

    assert route(weights, asked) == path
    assert score(weights, answers) == result
    assert score(weights, {**asked, **leftovers}) == result


@given(weights_and_answers())
def test_a_path_scores_as_a_questionnaire_of_just_its_questions(case):
    """Shares of what was answered: a short path and a long one compare."""
    weights, answers = case
    path = route(weights, answers)
    linear = replace(
        weights,
        questions=tuple(
            replace(
                q,
                next_question=None,
                choices=tuple(replace(c, next_question=None, ends_quiz=False) for c in q.choices),
            )
            for q in path
        ),
    )

    assert score(weights, answers) == score(linear, answers)
