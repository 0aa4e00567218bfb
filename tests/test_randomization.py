"""Randomisation inference: reform cohorts reassigned across counties.

Tolerances
----------
- Known answers worked out by hand (4-county panel) and by an independent formula
  (difference of mean first differences, all pairs enumerated with itertools): the statistics
  are sums of a few numbers, compared at ``KNOWN_ATOL = 1e-10``; p-values are ratios of
  counts and must be equal.
- The fast TWFE path (one demeaning for all reassignments) against calling ``twfe`` on each
  reassigned data set: ``SLOW_PATH_RTOL = 1e-9`` (rounding only; observed about 1e-14).
- Uniformity under the null (200 simulated panels, 99 reassignments each): the share of
  p-values <= 0.1 must lie in the central 99.9 % interval of Binomial(200, 0.1) divided by 200,
  and the mean p-value within 0.5 ± 0.07 (about 3.4 standard errors of the mean of 200
  uniform draws).
"""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ylt_eval.errors import ParameterError
from ylt_eval.models import twfe
from ylt_eval.models.randomization import (
    RandomizationResult,
    count_assignments,
    distinct_assignments,
    randomization_inference,
)

DATA = Path(__file__).resolve().parent / "data"
KNOWN_ATOL = 1e-10
SLOW_PATH_RTOL = 1e-9
COLUMNS = {"yname": "y", "tname": "year", "idname": "county", "gname": "g"}


def _two_period_panel(changes: list[float], cohorts: list[int]) -> pd.DataFrame:
    """Counties c0, c1, ... observed in 2020 and 2021 with the given outcome changes."""
    levels = np.arange(len(changes)) * 1.5  # arbitrary county levels, absorbed by the FE
    rows = []
    for index, (change, cohort) in enumerate(zip(changes, cohorts, strict=True)):
        rows.append({"county": f"c{index}", "year": 2020, "g": cohort, "y": levels[index]})
        rows.append({"county": f"c{index}", "year": 2021, "g": cohort, "y": levels[index] + change})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# (d) exactness on tiny panels
# --------------------------------------------------------------------------------------------


def test_four_counties_one_treated_by_hand():
    # Changes 4, 1, 0, -2; county c0 reforms in 2021. With two periods the TWFE coefficient
    # is the treated change minus the mean change of the other three:
    #   c0 treated: 4 - (1 + 0 - 2)/3 = 13/3      c1: 1 - (4 + 0 - 2)/3 = 1/3
    #   c2: 0 - (4 + 1 - 2)/3 = -1                 c3: -2 - (4 + 1 + 0)/3 = -11/3
    # Only the observed assignment has |T| >= 13/3, so p = 1/4.
    panel = _two_period_panel([4.0, 1.0, 0.0, -2.0], [2021, 0, 0, 0])
    result = randomization_inference(panel, **COLUMNS, permutations=999)
    assert result.exact and result.n_assignments == 4 and result.n_permutations == 4
    assert result.observed_statistic == pytest.approx(13 / 3, abs=KNOWN_ATOL)
    np.testing.assert_allclose(
        np.sort(result.permutation_statistics), [-11 / 3, -1.0, 1 / 3, 13 / 3], atol=KNOWN_ATOL
    )
    assert result.p_value == 0.25
    assert any("cannot fall below 0.250" in note for note in result.notes)


@pytest.mark.parametrize("statistic", ["twfe", "cs_simple"])
def test_seven_counties_two_treated_all_21_assignments(statistic):
    changes = [2.5, 1.0, -0.5, 0.25, 3.0, -1.0, 0.0]
    cohorts = [2021, 2021, 0, 0, 0, 0, 0]
    panel = _two_period_panel(changes, cohorts)
    # Independent formula: mean change of the two treated minus mean change of the others.
    delta = np.array(changes)
    expected = []
    for pair in itertools.combinations(range(7), 2):
        treated = np.isin(np.arange(7), pair)
        expected.append(delta[treated].mean() - delta[~treated].mean())
    expected = np.array(expected)
    observed = delta[:2].mean() - delta[2:].mean()
    p_expected = np.mean(np.abs(expected) >= abs(observed) - 1e-12)

    result = randomization_inference(panel, **COLUMNS, statistic=statistic, permutations=21)
    assert result.exact and result.n_permutations == 21
    assert result.observed_statistic == pytest.approx(observed, abs=KNOWN_ATOL)
    np.testing.assert_allclose(
        np.sort(result.permutation_statistics), np.sort(expected), atol=KNOWN_ATOL
    )
    assert result.p_value == p_expected
    assert result.terms == (("post",) if statistic == "twfe" else ("ATT",))


def _three_period_panel(seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cohorts = [0, 0, 0, 2, 2, 3]
    rows = []
    for index, cohort in enumerate(cohorts):
        level = rng.normal()
        for year in (1, 2, 3):
            rows.append(
                {"county": f"c{index}", "year": year, "g": cohort, "y": level + rng.normal()}
            )
    return pd.DataFrame(rows)


@pytest.mark.parametrize("test_statistic", ["estimate", "t"])
def test_fast_twfe_path_equals_refitting_every_assignment(test_statistic):
    panel = _three_period_panel()
    result = randomization_inference(
        panel, **COLUMNS, permutations=1000, test_statistic=test_statistic
    )
    cohorts = np.array([0, 0, 0, 2, 2, 3], dtype=float)
    assignments = distinct_assignments(cohorts)
    assert result.exact and result.n_assignments == 60 == len(assignments)
    slow = []
    for row in assignments:
        reassigned = panel.assign(g=np.repeat(row, 3))
        fit = twfe(reassigned, **COLUMNS)
        estimate = fit.estimate_of("post")
        slow.append(
            estimate if test_statistic == "estimate" else estimate / fit.std_error_of("post")
        )
    np.testing.assert_allclose(result.permutation_statistics, slow, rtol=SLOW_PATH_RTOL)
    observed_fit = twfe(panel, **COLUMNS)
    expected_observed = observed_fit.estimate_of("post")
    if test_statistic == "t":
        expected_observed /= observed_fit.std_error_of("post")
    assert result.observed_statistic == pytest.approx(expected_observed, rel=SLOW_PATH_RTOL)
    assert result.p_value == np.mean(np.abs(slow) >= abs(result.observed_statistic) * (1 - 1e-9))


def test_assignment_counting_and_enumeration():
    cohorts = np.array([0, 0, 0, 2020, 2020, 2021], dtype=float)
    assert count_assignments(cohorts) == 60  # 6! / (3! 2! 1!)
    rows = distinct_assignments(cohorts)
    assert rows.shape == (60, 6)
    assert len({tuple(row) for row in rows}) == 60
    assert all(np.array_equal(np.sort(row), np.sort(cohorts)) for row in rows)
    assert any(np.array_equal(row, cohorts) for row in rows)


def test_random_reassignment_when_there_are_more_assignments_than_permutations():
    panel = _three_period_panel()
    result = randomization_inference(panel, **COLUMNS, permutations=59, seed=1)
    assert not result.exact and result.n_permutations == 59 and result.n_assignments == 60
    extreme = np.sum(
        np.abs(result.permutation_statistics) >= abs(result.observed_statistic) * (1 - 1e-9)
    )
    assert result.p_value == (1 + extreme) / 60


# --------------------------------------------------------------------------------------------
# (e) uniform under the null, small with a planted effect
# --------------------------------------------------------------------------------------------


def _staggered_panel(rng: np.random.Generator, effect: float) -> pd.DataFrame:
    n_units, years = 20, np.arange(2015, 2021)
    cohorts = np.array([2017] * 3 + [2019] * 3 + [0] * 14)
    rng.shuffle(cohorts)
    unit_level = rng.normal(size=(n_units, 1))
    year_level = rng.normal(size=(1, years.size))
    noise = rng.normal(size=(n_units, years.size))
    treated = (cohorts[:, None] > 0) & (years[None, :] >= cohorts[:, None])
    outcome = unit_level + year_level + noise + effect * treated
    return pd.DataFrame(
        {
            "county": np.repeat([f"c{i:02d}" for i in range(n_units)], years.size),
            "year": np.tile(years, n_units),
            "g": np.repeat(cohorts, years.size),
            "y": outcome.ravel(),
        }
    )


def test_p_values_are_uniform_under_the_null():
    rng = np.random.default_rng(99)
    n_sims = 200
    p_values = np.array(
        [
            randomization_inference(
                _staggered_panel(rng, 0.0), **COLUMNS, permutations=99, seed=i
            ).p_value
            for i in range(n_sims)
        ]
    )
    low, high = stats.binom.ppf([0.0005, 0.9995], n_sims, 0.1) / n_sims
    assert low <= np.mean(p_values <= 0.1) <= high
    assert abs(p_values.mean() - 0.5) < 0.07
    assert p_values.min() >= 0.01 and p_values.max() <= 1.0


@pytest.mark.parametrize(
    ("statistic", "test_statistic", "permutations"),
    [
        ("twfe", "estimate", 99),
        ("twfe", "t", 99),
        ("cs_simple", "estimate", 19),
        ("cs_simple", "t", 19),
    ],
)
def test_a_large_planted_effect_gets_the_smallest_possible_p_value(
    statistic, test_statistic, permutations
):
    panel = _staggered_panel(np.random.default_rng(1), effect=8.0)
    result = randomization_inference(
        panel,
        **COLUMNS,
        statistic=statistic,
        test_statistic=test_statistic,
        permutations=permutations,
        seed=3,
    )
    assert result.p_value == pytest.approx(1 / (permutations + 1))
    assert result.estimates[0] == pytest.approx(8.0, abs=1.0)


# --------------------------------------------------------------------------------------------
# (f) reproducibility, input not mutated, row order irrelevant; result object
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("statistic", ["twfe", "cs_simple"])
def test_seed_reproduces_and_row_order_and_input_do_not_matter(statistic):
    panel = _staggered_panel(np.random.default_rng(7), effect=0.3)
    before = panel.copy(deep=True)
    options = {"statistic": statistic, "permutations": 49, "seed": 11}
    first = randomization_inference(panel, **COLUMNS, **options)
    pd.testing.assert_frame_equal(panel, before)
    again = randomization_inference(panel, **COLUMNS, **options)
    shuffled = randomization_inference(panel.sample(frac=1.0, random_state=2), **COLUMNS, **options)
    other = randomization_inference(panel, **COLUMNS, **{**options, "seed": 12})
    for result in (again, shuffled):
        np.testing.assert_allclose(
            result.permutation_statistics, first.permutation_statistics, rtol=1e-12, atol=1e-14
        )
        assert result.p_value == first.p_value
        assert result.observed_statistic == pytest.approx(first.observed_statistic, rel=1e-12)
    assert not np.allclose(other.permutation_statistics, first.permutation_statistics)


def test_result_reads_out_and_is_immutable():
    frame = pd.read_csv(DATA / "mpdta.csv")
    result = randomization_inference(
        frame, "lemp", "year", "countyreal", "first.treat", permutations=199, seed=1
    )
    assert isinstance(result, RandomizationResult)
    fit = twfe(frame, "lemp", "year", "countyreal", "first.treat")
    table = result.tidy()
    assert table.loc[0, "estimate"] == fit.estimate_of("post")
    assert table.loc[0, "std_error"] == fit.std_error_of("post")
    assert table.loc[0, "p_value"] == result.p_value
    assert np.isnan(table.loc[0, "conf_low"]) and np.isnan(table.loc[0, "conf_high"])
    assert result.observed_statistic == pytest.approx(fit.estimate_of("post"), rel=1e-10)
    assert result.p_value <= 0.05  # mpdta: p = 0.006 by CRV1
    glance = result.glance()
    assert glance.loc[0, "n_permutations"] == 199 and not glance.loc[0, "exact"]
    assert glance.loc[0, "n_assignments"] > 1e100
    text = result.summary()
    assert "199 random reassignments" in text and "Randomisation p-value" in text
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.p_value = 0.5  # type: ignore[misc]
    with pytest.raises(ValueError):
        result.permutation_statistics[0] = 0.0


@pytest.mark.parametrize(
    "options",
    [
        {"statistic": "did"},
        {"test_statistic": "z"},
        {"permutations": 0},
        {"permutations": 9.0},
        {"seed": "one"},
    ],
)
def test_invalid_options_raise(options):
    with pytest.raises(ParameterError):
        randomization_inference(_three_period_panel(), **COLUMNS, **options)
