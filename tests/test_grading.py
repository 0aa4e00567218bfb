"""Tests of ylt_eval.metrics.grading: ranks, 优/良/中/差 grades, min–max scores, entropy
weights and composite scores. Expected values are worked out by hand in the comments."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ylt_eval.errors import ParameterError
from ylt_eval.metrics.grading import (
    COMPOSITE_COLUMNS,
    WEIGHT_COLUMNS,
    competition_ranks,
    composite_scores,
    entropy_weights,
    grade_by_rank,
    min_max_scores,
    rank_by_direction,
)

NAN = float("nan")


def grades(values, direction="up", **options):
    return [None if pd.isna(g) else g for g in grade_by_rank(values, direction, **options)]


def ranks(values, direction="up", **options):
    return [None if pd.isna(r) else int(r) for r in rank_by_direction(values, direction, **options)]


# ---------------------------------------------------------------------------------------------
# Ranks and grades
# ---------------------------------------------------------------------------------------------


def test_four_counties_get_one_grade_each():
    assert grades([1, 2, 3, 4]) == ["差", "中", "良", "优"]
    assert grades([1, 2, 3, 4], "down") == ["优", "良", "中", "差"]


def test_grade_boundaries_for_eight_and_ten_counties():
    # n = 8: 优 rank ≤ 2, 良 ≤ 4, 中 ≤ 6, 差 7–8.
    assert grades(list(range(8, 0, -1))) == ["优", "优", "良", "良", "中", "中", "差", "差"]
    # n = 10: 优 rank ≤ 2.5, 良 ≤ 5, 中 ≤ 7.5, else 差.
    assert grades(list(range(10, 0, -1))) == [
        "优", "优", "良", "良", "良", "中", "中", "差", "差", "差",
    ]  # fmt: skip
    # n = 5: 优 rank ≤ 1.25, 良 ≤ 2.5, 中 ≤ 3.75.
    assert grades([5, 4, 3, 2, 1]) == ["优", "良", "中", "差", "差"]


def test_custom_cutoffs():
    # Cutoffs 0.1/0.5/0.9 with n = 10: 优 rank 1, 良 2–5, 中 6–9, 差 10.
    expected = ["优", "良", "良", "良", "良", "中", "中", "中", "中", "差"]
    assert grades(list(range(10, 0, -1)), cutoffs=(0.1, 0.5, 0.9)) == expected


def test_ties_share_the_best_rank_and_grade():
    assert ranks([5, 5, 3, 1]) == [1, 1, 3, 4]
    assert grades([5, 5, 3, 1]) == ["优", "优", "中", "差"]
    assert ranks([2, 2, 2, 2]) == [1, 1, 1, 1]
    assert grades([2, 2, 2, 2]) == ["优"] * 4


def test_fewer_than_four_counties_get_ranks_but_no_grades():
    assert grades([3, 1, 2]) == [None, None, None]
    assert ranks([3, 1, 2]) == [1, 3, 2]
    # Missing values do not count: three values and a NaN are still too few.
    assert grades([3, 1, 2, NAN]) == [None] * 4
    assert grades([3, 1, 2, NAN, 4]) == ["良", "差", "中", None, "优"]
    assert ranks([3, 1, 2, NAN, 4]) == [2, 4, 3, None, 1]
    # The minimum is a parameter. With n = 3 the rule gives 良 to the best county
    # (rank 1 > 0.25·3 but ≤ 0.5·3), 中 to rank 2 (≤ 2.25) and 差 to rank 3: no 优 at all,
    # which is why grades start at four counties by default.
    assert grades([3, 1, 2], min_peers=3) == ["良", "差", "中"]


def test_target_direction_ranks_by_distance_and_monitor_is_not_ranked():
    # Distances to 1: 0.2, 0.1, 0.0, 0.5.
    assert ranks([0.8, 1.1, 1.0, 0.5], "target", target_value=1.0) == [3, 2, 1, 4]
    assert grades([0.8, 1.1, 1.0, 0.5], "target", target_value=1.0) == ["中", "良", "优", "差"]
    assert ranks([1, 2, 3, 4], "monitor") == [None] * 4
    assert grades([1, 2, 3, 4], "monitor") == [None] * 4


def test_series_index_is_kept():
    values = pd.Series([1.0, 2.0, 3.0, 4.0], index=["a", "b", "c", "d"])
    result = grade_by_rank(values, "up")
    assert list(result.index) == ["a", "b", "c", "d"]
    assert result["d"] == "优"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"cutoffs": (0.5, 0.25, 0.75)}, "increasing"),
        ({"cutoffs": (0.25, 0.5)}, "increasing"),
        ({"cutoffs": (0.0, 0.5, 0.75)}, "strictly between"),
        ({"min_peers": 0}, "min_peers"),
    ],
)
def test_bad_grading_options(options, message):
    with pytest.raises(ParameterError, match=message):
        grade_by_rank([1, 2, 3, 4], "up", **options)


def test_bad_direction():
    with pytest.raises(ParameterError, match="direction"):
        rank_by_direction([1, 2], "sideways")
    with pytest.raises(ParameterError, match="target_value"):
        rank_by_direction([1, 2], "target")


# ---------------------------------------------------------------------------------------------
# Normalisation and entropy weights
# ---------------------------------------------------------------------------------------------


def test_min_max_scores():
    np.testing.assert_allclose(min_max_scores([10, 20, 30], "up"), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(min_max_scores([10, 20, 30], "down"), [1.0, 0.5, 0.0])
    # Distances to 1: 0.2, 0.1, 0 → oriented −0.2, −0.1, 0.
    np.testing.assert_allclose(
        min_max_scores([0.8, 1.1, 1.0], "target", target_value=1.0), [0.0, 0.5, 1.0]
    )
    np.testing.assert_allclose(min_max_scores([7, 7, 7], "up"), [1.0, 1.0, 1.0])
    result = min_max_scores([10, NAN, 30], "up")
    assert result[0] == 0.0 and np.isnan(result[1]) and result[2] == 1.0


def test_entropy_weights_hand_computed_three_by_two():
    # Column 1: s = 0, 0.5, 1 → p = 0, 1/3, 2/3;
    #   Σ p ln p = (1/3)(−1.0986123) + (2/3)(−0.4054651) = −0.6365142
    #   e1 = 0.6365142 / ln 3 = 0.5793808, d1 = 0.4206192.
    # Column 2: s = 1, 1, 0.5 → p = 0.4, 0.4, 0.2;
    #   Σ p ln p = 0.8(−0.9162907) + 0.2(−1.6094379) = −1.0549202
    #   e2 = 1.0549202 / ln 3 = 0.9602302, d2 = 0.0397698.
    # w1 = 0.4206192 / 0.4603890 = 0.913618, w2 = 0.086382.
    weights = entropy_weights([[0.0, 1.0], [0.5, 1.0], [1.0, 0.5]])
    np.testing.assert_allclose(weights, [0.913618, 0.086382], atol=2e-6)
    assert math.isclose(weights.sum(), 1.0)


def test_entropy_weights_edge_cases():
    # A constant column does not discriminate: weight 0.
    np.testing.assert_allclose(entropy_weights([[0.0, 1.0], [1.0, 1.0]]), [1.0, 0.0])
    # Nothing discriminates: equal weights.
    np.testing.assert_allclose(entropy_weights([[1.0, 0.5], [1.0, 0.5]]), [0.5, 0.5])
    # Two equal non-zero values are as spread as they can be: entropy 1, weight 0; the NaN is
    # left out of its column.
    np.testing.assert_allclose(
        entropy_weights([[0.0, 1.0], [1.0, 1.0], [0.5, NAN]]), [1.0, 0.0], atol=1e-12
    )
    with pytest.raises(ParameterError, match="non-negative"):
        entropy_weights([[-1.0, 1.0], [1.0, 1.0]])
    with pytest.raises(ParameterError, match="2-D"):
        entropy_weights([1.0, 2.0])


# ---------------------------------------------------------------------------------------------
# Composite scores
# ---------------------------------------------------------------------------------------------


def composite_input():
    # primary_visit_share (up):  A 40, B 50, C 60, D 80 → s = 0, 0.25, 0.5, 1
    # drug_share_county (down):  A 30, B 40, C 50, D 50 → s = 1, 0.5, 0, 0
    rows = []
    for code, values in (
        ("primary_visit_share", (40.0, 50.0, 60.0, 80.0)),
        ("drug_share_county", (30.0, 40.0, 50.0, 50.0)),
    ):
        for county, value in zip("ABCD", values, strict=True):
            rows.append((f"10000{county}", "某省", 2023, code, value))
    return pd.DataFrame(rows, columns=["county_code", "province", "year", "indicator", "value"])


def test_equal_weight_composite_by_hand():
    result = composite_scores(composite_input())
    scores = result.scores.set_index("county_code")
    assert tuple(result.scores.columns) == COMPOSITE_COLUMNS
    # Equal weights: A (0 + 1)/2 = 50, B (0.25 + 0.5)/2 = 37.5, C 25, D 50.
    np.testing.assert_allclose(scores["score"].to_numpy(), [50.0, 37.5, 25.0, 50.0])
    assert list(scores["rank"]) == [1, 3, 4, 1]
    assert list(scores["grade"]) == ["优", "中", "差", "优"]
    assert list(scores["n_peers"]) == [4, 4, 4, 4]
    assert list(scores["coverage"]) == [1.0] * 4
    weights = result.weights
    assert tuple(weights.columns) == WEIGHT_COLUMNS
    np.testing.assert_allclose(weights["weight"].to_numpy(), [0.5, 0.5])


def test_entropy_composite_uses_entropy_weights_of_the_normalised_matrix():
    result = composite_scores(composite_input(), method="entropy")
    matrix = np.array([[0.0, 1.0], [0.25, 0.5], [0.5, 0.0], [1.0, 0.0]])
    expected_weights = entropy_weights(matrix)
    weights = result.weights.set_index("indicator")["weight"]
    np.testing.assert_allclose(
        [weights["primary_visit_share"], weights["drug_share_county"]], expected_weights
    )
    np.testing.assert_allclose(result.scores["score"].to_numpy(), 100.0 * matrix @ expected_weights)


def test_composite_coverage_and_missing_indicator():
    frame = composite_input()
    frame.loc[(frame["county_code"] == "10000A") & (frame["indicator"] == "drug_share_county"),
              "value"] = NAN  # fmt: skip
    # drug_share_county now B 40, C 50, D 50 → s = 1, 0, 0; A has only s = 0 on the first.
    scores = composite_scores(frame).scores.set_index("county_code")
    assert scores.loc["10000A", "coverage"] == 0.5
    assert scores.loc["10000A", "score"] == 0.0
    assert scores.loc["10000B", "score"] == pytest.approx(62.5)  # (0.25 + 1) / 2
    assert scores.loc["10000A", "n_indicators"] == 1
    strict = composite_scores(frame, min_coverage=0.6).scores.set_index("county_code")
    assert np.isnan(strict.loc["10000A", "score"])
    assert pd.isna(strict.loc["10000A", "grade"]) and pd.isna(strict.loc["10000A", "rank"])
    # Three scored counties are too few for grades.
    assert strict["grade"].isna().all()


def test_composite_selection_and_errors():
    frame = pd.concat(
        [
            composite_input(),
            pd.DataFrame(
                {
                    "county_code": ["10000A"],
                    "province": ["某省"],
                    "year": [2023],
                    "indicator": ["inpatient_cost_per_admission"],  # monitor: left out
                    "value": [9000.0],
                }
            ),
        ]
    )
    result = composite_scores(frame)
    assert set(result.weights["indicator"]) == {"primary_visit_share", "drug_share_county"}
    only = composite_scores(frame, codes=["primary_visit_share"])
    assert list(only.scores["score"]) == [0.0, 25.0, 50.0, 100.0]
    with pytest.raises(ParameterError, match="cannot enter"):
        composite_scores(frame, codes=["inpatient_cost_per_admission"])
    with pytest.raises(ParameterError, match="method"):
        composite_scores(frame, method="pca")


def test_composite_is_row_order_independent_and_does_not_mutate():
    frame = composite_input()
    before = frame.copy()
    first = composite_scores(frame, method="entropy")
    pd.testing.assert_frame_equal(frame, before)
    shuffled = frame.sample(frac=1.0, random_state=3).reset_index(drop=True)
    second = composite_scores(shuffled, method="entropy")
    pd.testing.assert_frame_equal(first.scores, second.scores)
    pd.testing.assert_frame_equal(first.weights, second.weights)


def test_vectorised_ranks_agree_with_pandas_on_random_groups_with_ties():
    rng = np.random.default_rng(11)
    score = rng.integers(0, 6, 400).astype(np.float64)  # many ties
    score[rng.random(400) < 0.1] = NAN
    groups = rng.integers(0, 9, 400)
    expected = pd.Series(score).groupby(groups).rank(method="min", ascending=False).to_numpy()
    np.testing.assert_array_equal(competition_ranks(score, groups), expected)
