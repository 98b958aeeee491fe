import pytest

from tests.wizard.conftest import build_weights
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
