import pytest

from tests.wizard.conftest import END, build_weights
from wizard.models import Recommendation
from wizard.preview import option_count, preview_scoring

CSM, CSPO, BOTH = Recommendation.CSM, Recommendation.CSPO, Recommendation.BOTH
# Q1 decides, Q2 is too weak to matter at margin 0, Q3 carries no points at all.
TINY = [[(3, 0), (0, 3)], [(1, 0), (0, 1)], [(0, 0), (0, 0)]]


def split(preview):
    return {s.outcome: (s.count, s.percent) for s in preview.shares}


def test_tiny_questionnaire_split_and_inert_questions():
    preview = preview_scoring(build_weights(TINY, margin=0))

    assert (preview.total, preview.examined, preview.sampled) == (8, 8, False)
    assert split(preview) == {CSM: (4, 50.0), CSPO: (4, 50.0), BOTH: (0, 0.0)}
    assert preview.near_ties == 0
    assert preview.inert_questions == ("Question 2", "Question 3")


def test_a_wider_margin_turns_close_calls_into_both_and_makes_q2_matter():
    preview = preview_scoring(build_weights(TINY, margin=50))

    # 3 vs 1 point is 75/25: 50 apart, inside the margin.
    assert split(preview) == {CSM: (2, 25.0), CSPO: (2, 25.0), BOTH: (4, 50.0)}
    assert preview.inert_questions == ("Question 3",)


def test_near_ties_are_counted_within_margin_plus_five():
    # 4 vs 3 is 57/43 (14 apart: near, window 15); 6 vs 3 is 67/33 (34 apart: clear).
    preview = preview_scoring(build_weights([[(4, 3)], [(0, 0), (2, 0)]], margin=10))

    assert split(preview)[CSM] == (2, 100.0)
    assert (preview.near_tie_window, preview.near_ties, preview.near_tie_percent) == (15, 1, 50.0)


def test_multiple_choice_counts_every_non_empty_subset_and_forced_both():
    weights = build_weights([[(1, 0), (0, 1), (0, 0, True)]], multiple=(0,), margin=0)

    preview = preview_scoring(weights)

    assert option_count(weights.questions[0]) == 7
    assert preview.total == 7
    # Four subsets contain the "recommends both" choice; {1,0}+{0,1} ties: 5 BOTH.
    assert split(preview)[BOTH][0] == 5
    assert preview.forced_both == 4
    assert split(preview)[CSM][0] == split(preview)[CSPO][0] == 1


def test_above_the_limit_a_deterministic_sample_is_scored():
    weights = build_weights(
        [[(3, 0), (0, 3), (1, 1)], [(1, 0), (0, 1), (2, 2), (0, 0)]] * 3, margin=5
    )

    first = preview_scoring(weights, limit=200)
    again = preview_scoring(weights, limit=200)

    assert first.total == 12**3
    assert (first.sampled, first.examined) == (True, 200)
    assert sum(s.count for s in first.shares) == 200
    assert first == again


@pytest.mark.parametrize("limit", [10, 20_000])
def test_exact_and_sampled_agree_that_a_pointless_question_is_inert(limit):
    weights = build_weights(
        [[(3, 0), (0, 3)], [(0, 0), (0, 0), (0, 0)], [(1, 0), (0, 4)]], margin=0
    )

    preview = preview_scoring(weights, limit=limit)

    assert preview.inert_questions == ("Question 2",)


# --- branched questionnaires ------------------------------------------------------------

# Q1: answer 1 jumps to Q3, answer 2 goes on to Q2. Q3: answer 2 ends the quiz.
BRANCHED = [[(3, 0), (0, 3)], [(0, 5), (5, 0)], [(2, 0), (0, 2)], [(1, 0), (0, 1)]]
BRANCHED_JUMPS = {(0, 0): 2, (2, 1): END}


def paths(preview):
    return {p.label: (p.count, {s.outcome: s.count for s in p.shares}) for p in preview.paths}


def test_paths_and_answers_are_enumerated_together_with_the_split_per_path():
    preview = preview_scoring(build_weights(BRANCHED, margin=0, jumps=BRANCHED_JUMPS))

    # Q1→Q3→Q4: 1*1*2; Q1→Q3 (end): 1; Q1→Q2→Q3→Q4: 1*2*1*2; Q1→Q2→Q3 (end): 2.
    assert (preview.total, preview.sampled, preview.path_count) == (9, False, 4)
    assert paths(preview) == {
        "Q1 → Q2 → Q3 → Q4 → result": (4, {CSM: 2, CSPO: 2, BOTH: 0}),
        "Q1 → Q3 → Q4 → result": (2, {CSM: 2, CSPO: 0, BOTH: 0}),
        # Q2's second answer with Q3's second: 5 against 5, a tie.
        "Q1 → Q2 → Q3 → result": (2, {CSM: 0, CSPO: 1, BOTH: 1}),
        "Q1 → Q3 → result": (1, {CSM: 1, CSPO: 0, BOTH: 0}),
    }
    assert split(preview) == {CSM: (5, 55.6), CSPO: (3, 33.3), BOTH: (1, 11.1)}
    assert sum(p.count for p in preview.paths) == preview.total
    assert preview.unreachable == ()


def test_above_the_limit_paths_are_sampled_each_combination_equally_likely():
    weights = build_weights(BRANCHED, margin=0, jumps=BRANCHED_JUMPS)

    preview = preview_scoring(weights, limit=3, seed=1)
    many = preview_scoring(build_weights(BRANCHED * 3, margin=0, jumps=BRANCHED_JUMPS), limit=900)

    assert (preview.sampled, preview.examined) == (True, 3)
    assert (many.sampled, many.examined) == (True, 900)
    # Equally likely combinations: the long path holds 4 of the 9 combinations of the
    # first four questions, so it is the most common start by far.
    assert many.paths[0].questions[:4] == (1, 2, 3, 4)


def test_a_jump_that_skips_a_question_on_every_path_is_reported():
    # Q1's both answers jump to Q3 (one by the question, one by itself): Q2 is never asked.
    weights = build_weights(
        [[(3, 0), (0, 3)], [(5, 0), (0, 5)], [(1, 0), (0, 1)]],
        margin=0,
        jumps={(0, 0): 2},
        question_jumps={0: 2},
    )

    preview = preview_scoring(weights)

    assert preview.unreachable == ("Q2. Question 2",)
    # Taking the question's jump away lets answer 2 reach Q2; taking answer 1's away still
    # leaves the question's jump: only the question's jump hides Q2.
    assert [(j.label, j.skipped) for j in preview.hiding_jumps] == [
        ("Q1, the question itself, jumps to Q3", (2,))
    ]
    # An unreachable question is not reported as one that never changes the outcome.
    assert "Question 2" not in preview.inert_questions


def test_answers_jumping_past_a_question_each_hide_it():
    weights = build_weights(
        [[(3, 0), (0, 3)], [(5, 0), (0, 5)], [(1, 0), (0, 1)]],
        margin=0,
        jumps={(0, 0): 2, (0, 1): END},
    )

    preview = preview_scoring(weights)

    assert preview.unreachable == ("Q2. Question 2",)
    assert [(j.label, j.skipped) for j in preview.hiding_jumps] == [
        ("Q1, answer “Q1 choice 1”, ends the quiz", (2,)),
        ("Q1, answer “Q1 choice 0”, jumps to Q3", (2,)),
    ]


def test_backward_jumps_are_reported_as_ignored():
    weights = build_weights([[(3, 0), (0, 3)], [(1, 0), (0, 1)]], jumps={(1, 0): 0})

    preview = preview_scoring(weights)

    assert [j.label for j in preview.ignored_jumps] == ["Q2, answer “Q2 choice 0”, jumps to Q1"]
    assert preview.path_count == 1


def test_a_routing_question_without_points_still_changes_the_outcome():
    # Q1 carries no points but decides whether Q2 (CSM) or Q3 (CSPO) is asked.
    weights = build_weights(
        [[(0, 0), (0, 0)], [(3, 0)], [(0, 3)]], margin=0, jumps={(0, 0): 2, (1, 0): END}
    )

    for limit in (20_000, 1):
        assert "Question 1" not in preview_scoring(weights, limit=limit).inert_questions
