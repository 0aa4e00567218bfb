"""Wild cluster bootstrap (WCR / WCU) for the static TWFE coefficient.

Tolerances
----------
- Fast against brute force (``BRUTE_ATOL = 1e-8``, absolute, on bootstrap t-statistics of
  order 1): the brute force below re-estimates the full regression with every unit and year
  dummy for each draw (``numpy.linalg.lstsq``), an independent route to the same numbers;
  only floating-point rounding separates them (observed: below 3e-12). The p-values must be
  *equal*: both sides count ``|t*| >= |t|`` with the same tie margin on the same draws.
- Observed t against R fixest 0.12.2 (``REFERENCE_RTOL = 1e-10``; see tests/test_twfe.py).
- Full enumeration against wildboottest 0.3.2 (run once by hand, numbers quoted below):
  exact counts. wildboottest counts ``|t*| > |t|`` and leaves the two draws that reproduce
  the sample (v = ±1, ``|t*| = |t|`` up to rounding) to chance, so its count equals ours or
  ours minus 2; the cases quoted say which.
- Size simulation: 400 data sets with no effect; a rejection count is "within binomial
  tolerance of 5 %" if it lies in the central 99.9 % interval of Binomial(400, 0.05),
  [7, 36]; the CRV1 t-test "over-rejects" if its count exceeds the 99 % quantile, 31.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.linalg
from scipy import stats

from ylt_eval.errors import EstimationError, ParameterError
from ylt_eval.models import twfe
from ylt_eval.models.wild_bootstrap import (
    WEBB_VALUES,
    WildBootstrapResult,
    bootstrap_weights,
    wild_cluster_bootstrap,
)

DATA = Path(__file__).resolve().parent / "data"
BRUTE_ATOL = 1e-8
REFERENCE_RTOL = 1e-10
MPDTA = {"yname": "lemp", "tname": "year", "idname": "countyreal", "gname": "first.treat"}
# R: feols(lemp ~ post | countyreal + year, mpdta, cluster = ~state), state = countyreal %/% 1000
FIXEST_COEF = -0.0365489366740674
FIXEST_SE_STATE = 0.0226632503914406


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    frame = pd.read_csv(DATA / "mpdta.csv")
    frame["state"] = frame["countyreal"] // 1000
    # A time-varying covariate (lpop is constant within county and would be absorbed).
    rng = np.random.default_rng(20240601)
    frame["x"] = frame["lpop"] * (frame["year"] - 2003) / 4 + rng.normal(size=len(frame))
    return frame


# --------------------------------------------------------------------------------------------
# Independent brute force: full dummy regression re-estimated for every draw
# --------------------------------------------------------------------------------------------


class BruteForce:
    """``y ~ post [+ x] + unit dummies + year dummies``, CRV1 t of one column.

    Every draw is a full re-estimation of the dummy regression (one QR of the design, reused
    for all outcome columns); nothing of the fast algorithm (absorption, cluster scores) is
    used.
    """

    def __init__(self, frame: pd.DataFrame, cluster: str, covariates: tuple[str, ...] = ()):
        frame = frame.sort_values(["countyreal", "year"]).reset_index(drop=True)
        post = (frame["first.treat"] > 0) & (frame["year"] >= frame["first.treat"])
        slopes = np.column_stack([post.to_numpy(float), *(frame[c].to_numpy() for c in covariates)])
        units = pd.get_dummies(frame["countyreal"]).to_numpy(float)
        years = pd.get_dummies(frame["year"]).to_numpy(float)[:, 1:]
        self.design = np.column_stack([slopes, units, years])
        self.q, self.r = np.linalg.qr(self.design)
        self.restricted_q: dict[int, np.ndarray] = {}
        self.y = frame["lemp"].to_numpy()
        self.cluster = pd.factorize(frame[cluster], sort=True)[0]
        self.n_clusters = int(self.cluster.max()) + 1
        n = self.y.size
        # fixest's K with unit effects nested in the clusters: slopes + number of years.
        k = slopes.shape[1] + years.shape[1] + 1
        self.factor = (n - 1) / (n - k) * self.n_clusters / (self.n_clusters - 1)

    def fit(self, outcomes: np.ndarray) -> np.ndarray:
        return scipy.linalg.solve_triangular(self.r, self.q.T @ outcomes)

    def t_statistics(self, outcomes: np.ndarray, column: int, null: float) -> np.ndarray:
        """CRV1 t of ``H0: coef[column] = null``, one per outcome column (re-estimated)."""
        coef = self.fit(outcomes)
        residuals = outcomes - self.design @ coef
        # Row `column` of (X'X)^-1 X' = R^-1 Q'.
        unit_vector = np.zeros(self.r.shape[0])
        unit_vector[column] = 1.0
        row = self.q @ scipy.linalg.solve_triangular(self.r, unit_vector, trans="T")
        scores = np.zeros((self.n_clusters, outcomes.shape[1]))
        np.add.at(scores, self.cluster, row[:, None] * residuals)
        return (coef[column] - null) / np.sqrt(self.factor * (scores**2).sum(axis=0))

    def bootstrap(
        self, v: np.ndarray, column: int, null: float, impose_null: bool
    ) -> tuple[float, np.ndarray]:
        """Observed t and bootstrap t* for cluster weights ``v`` (draws × clusters)."""
        observed = float(self.t_statistics(self.y[:, None], column, null)[0])
        if impose_null:
            if column not in self.restricted_q:
                others = np.delete(self.design, column, axis=1)
                self.restricted_q[column] = np.linalg.qr(others)[0]
            others_q = self.restricted_q[column]
            target = self.y - null * self.design[:, column]
            fitted = null * self.design[:, column] + others_q @ (others_q.T @ target)
            star_null = null
        else:
            coef = self.fit(self.y)
            fitted = self.design @ coef
            star_null = float(coef[column])
        residuals = self.y - fitted
        outcomes = fitted[:, None] + residuals[:, None] * v[:, self.cluster].T
        return observed, self.t_statistics(outcomes, column, star_null)


def symmetric_p(observed: float, draws: np.ndarray) -> float:
    margin = 1e-9 * max(abs(observed), 1.0)
    return float(np.mean(np.abs(draws) >= abs(observed) - margin))


@pytest.fixture(scope="module")
def brute_states(mpdta) -> BruteForce:
    return BruteForce(mpdta, "state")


@pytest.fixture(scope="module")
def mpdta_15_states(mpdta) -> pd.DataFrame:
    """Smaller design (15 states, 256 counties) for the variants, to keep the test fast."""
    return _first_states(mpdta, 15)


@pytest.fixture(scope="module")
def brute_15_states_x(mpdta_15_states) -> BruteForce:
    return BruteForce(mpdta_15_states, "state", covariates=("x",))


def _first_states(frame: pd.DataFrame, count: int, skip: int = 0) -> pd.DataFrame:
    states = sorted(frame["state"].unique())[skip : skip + count]
    return frame[frame["state"].isin(states)].copy()


# --------------------------------------------------------------------------------------------
# (a) fast = brute force on mpdta, 29 state clusters
# --------------------------------------------------------------------------------------------


def test_observed_statistic_and_standard_error_are_those_of_twfe(mpdta):
    result = wild_cluster_bootstrap(mpdta, **MPDTA, cluster="state", reps=99, seed=1)
    assert result.estimate_of("post") == pytest.approx(FIXEST_COEF, rel=REFERENCE_RTOL)
    assert result.std_error_of("post") == pytest.approx(FIXEST_SE_STATE, rel=REFERENCE_RTOL)
    assert result.t_statistic == pytest.approx(FIXEST_COEF / FIXEST_SE_STATE, rel=REFERENCE_RTOL)
    assert result.n_clusters == 29
    fit = twfe(mpdta, **MPDTA, cluster="state")
    assert result.crv1_p_value == pytest.approx(fit.tidy()["p_value"].iloc[0], rel=1e-12)


@pytest.mark.parametrize(("weights", "reps"), [("rademacher", 999), ("webb", 499)])
def test_fast_bootstrap_equals_brute_force_on_the_same_draws(mpdta, brute_states, weights, reps):
    result = wild_cluster_bootstrap(
        mpdta, **MPDTA, cluster="state", weights=weights, reps=reps, seed=7
    )
    v = bootstrap_weights(29, reps, weights=weights, seed=7)
    observed, draws = brute_states.bootstrap(v, 0, 0.0, impose_null=True)
    assert not result.enumerated and result.n_draws == reps
    assert observed == pytest.approx(result.t_statistic, rel=1e-12)
    np.testing.assert_allclose(result.bootstrap_statistics, draws, rtol=0, atol=BRUTE_ATOL)
    assert result.p_value == symmetric_p(observed, draws)
    assert 0.05 < result.p_value < 0.5  # CRV1 gives 0.118; the bootstrap is of that order


@pytest.mark.parametrize(
    ("param", "impose_null", "null"),
    [("post", True, 0.0), ("post", False, 0.0), ("x", True, 0.0), ("post", True, -0.05)],
)
def test_fast_equals_brute_force_with_a_covariate_wcu_and_nonzero_nulls(
    mpdta_15_states, brute_15_states_x, param, impose_null, null
):
    result = wild_cluster_bootstrap(
        mpdta_15_states,
        **MPDTA,
        cluster="state",
        xformla="~ x",
        param=param,
        reps=299,
        seed=3,
        impose_null=impose_null,
    )
    v = bootstrap_weights(15, 299, seed=3)
    column = 0 if param == "post" else 1
    observed, draws = brute_15_states_x.bootstrap(v, column, null, impose_null=impose_null)
    function = result.test_function
    assert function.observed_statistic(null) == pytest.approx(observed, rel=1e-10)
    np.testing.assert_allclose(function.statistics(null), draws, rtol=0, atol=BRUTE_ATOL)
    assert result.p_value_at(null) == symmetric_p(observed, draws)


@pytest.mark.parametrize("cluster", ["state", "countyreal"])
def test_fast_equals_brute_force_on_an_unbalanced_panel(mpdta_15_states, cluster):
    unbalanced = mpdta_15_states.sample(frac=0.85, random_state=4)
    n_clusters = unbalanced[cluster].nunique()
    result = wild_cluster_bootstrap(
        unbalanced, **MPDTA, cluster=cluster, xformla="~ x", reps=199, seed=2
    )
    v = bootstrap_weights(n_clusters, 199, seed=2)
    brute = BruteForce(unbalanced, cluster, covariates=("x",))
    observed, draws = brute.bootstrap(v, 0, 0.0, impose_null=True)
    assert result.t_statistic == pytest.approx(observed, rel=1e-10)
    np.testing.assert_allclose(result.bootstrap_statistics, draws, rtol=0, atol=BRUTE_ATOL)
    assert result.p_value == symmetric_p(observed, draws)


def test_confidence_interval_ends_are_where_the_brute_force_test_switches(mpdta, brute_states):
    alpha = 0.1
    result = wild_cluster_bootstrap(mpdta, **MPDTA, cluster="state", reps=399, seed=11, alpha=alpha)
    v = bootstrap_weights(29, 399, seed=11)
    brute = brute_states
    low, high = result.conf_low, result.conf_high
    assert low < result.estimate_of("post") < high
    step = 1e-6 * result.std_error_of("post")
    for end, outward in ((low, -step), (high, step)):
        p_outside = symmetric_p(*brute.bootstrap(v, 0, end + outward, impose_null=True))
        p_inside = symmetric_p(*brute.bootstrap(v, 0, end - outward, impose_null=True))
        assert p_outside <= alpha < p_inside
    table = result.tidy()
    assert table.loc[0, "conf_low"] == low and table.loc[0, "conf_high"] == high
    # Other levels are inverted on the same draws; a wider level gives a wider interval.
    wide_low, wide_high = result.confidence_interval(0.99)
    assert wide_low < low and wide_high > high


# --------------------------------------------------------------------------------------------
# (b) full Rademacher enumeration with few clusters
# --------------------------------------------------------------------------------------------


def test_full_enumeration_with_8_clusters_is_deterministic_and_matches_brute_force(mpdta):
    subset = _first_states(mpdta, 8)
    results = [
        wild_cluster_bootstrap(subset, **MPDTA, cluster="state", reps=9999, seed=seed)
        for seed in (None, 1, 2)
    ]
    first = results[0]
    assert first.enumerated and first.n_draws == 2**8
    assert any("full enumeration" in note for note in first.notes)
    assert {r.p_value for r in results} == {first.p_value}
    assert (first.p_value * 256).is_integer()
    # Independent enumeration of the 256 sign vectors.
    v = np.array(list(itertools.product([-1.0, 1.0], repeat=8)))
    observed, draws = BruteForce(subset, "state").bootstrap(v, 0, 0.0, impose_null=True)
    assert first.p_value == symmetric_p(observed, draws)
    np.testing.assert_allclose(
        np.sort(np.abs(first.bootstrap_statistics)), np.sort(np.abs(draws)), atol=BRUTE_ATOL
    )
    # v = +1 and v = -1 reproduce the sample: t* = ±t.
    assert first.bootstrap_statistics[-1] == pytest.approx(first.t_statistic, rel=1e-10)
    assert first.bootstrap_statistics[0] == pytest.approx(-first.t_statistic, rel=1e-10)


@pytest.mark.parametrize(
    ("count", "skip", "wildboottest_count", "ours_count"),
    [
        # wildboottest 0.3.2, B = 9999 (full enumeration), Rademacher, cluster = state, on
        # the full dummy regression; its p-values were 0.8359375, 0.703125 and 0.06640625.
        (8, 0, 214, 216),  # its rounding left out the two ties
        (9, 5, 360, 360),  # its rounding counted them
        (9, 20, 34, 34),
    ],
)
def test_full_enumeration_matches_wildboottest(mpdta, count, skip, wildboottest_count, ours_count):
    subset = _first_states(mpdta, count, skip)
    result = wild_cluster_bootstrap(subset, **MPDTA, cluster="state", reps=9999)
    assert result.enumerated
    assert round(result.p_value * 2**count) == ours_count
    assert ours_count - wildboottest_count in (0, 2)


def test_webb_weights_are_never_enumerated_and_take_six_values(mpdta):
    subset = _first_states(mpdta, 8)
    result = wild_cluster_bootstrap(
        subset, **MPDTA, cluster="state", weights="webb", reps=999, seed=5
    )
    assert not result.enumerated and result.n_draws == 999
    v = bootstrap_weights(8, 999, weights="webb", seed=5)
    np.testing.assert_array_equal(np.unique(v), np.sort(WEBB_VALUES))
    assert np.mean(v) == pytest.approx(0.0, abs=0.05)
    assert np.mean(v**2) == pytest.approx(1.0, abs=0.05)
    assert not any("Webb's six-point weights" in note for note in result.notes)


# --------------------------------------------------------------------------------------------
# (c) size with 6 treated of 30 clusters
# --------------------------------------------------------------------------------------------


def _null_panel(rng: np.random.Generator) -> pd.DataFrame:
    """30 counties (= clusters), 8 years; 6 reform in year 4; no effect. The reformed
    counties are four times as volatile, as pilot counties often are."""
    n_units, n_years, n_treated = 30, 8, 6
    treated = np.arange(n_units) < n_treated
    scale = np.where(treated, 4.0, 1.0)[:, None]
    shocks = rng.normal(size=(n_units, n_years)) * scale
    noise = rng.normal(size=(n_units, n_years)) * scale * 0.5
    outcome = shocks + noise + rng.normal(size=(n_units, 1))
    return pd.DataFrame(
        {
            "county": np.repeat(np.arange(n_units), n_years),
            "year": np.tile(np.arange(n_years), n_units),
            "g": np.repeat(np.where(treated, 4, 0), n_years),
            "y": outcome.ravel(),
        }
    )


def test_wcr_has_the_right_size_where_crv1_over_rejects():
    rng = np.random.default_rng(2024)
    n_sims = 400
    rejections = np.zeros((n_sims, 2), dtype=bool)
    for i in range(n_sims):
        result = wild_cluster_bootstrap(
            _null_panel(rng), "y", "year", "county", "g", reps=199, seed=i
        )
        rejections[i] = (result.crv1_p_value < 0.05, result.p_value < 0.05)
    crv1, wcr = rejections.sum(axis=0)
    low, high = stats.binom.ppf([0.0005, 0.9995], n_sims, 0.05)
    assert low <= wcr <= high, f"WCR rejected {wcr} of {n_sims}"
    assert crv1 > stats.binom.ppf(0.99, n_sims, 0.05), f"CRV1 rejected {crv1} of {n_sims}"
    assert crv1 > wcr


# --------------------------------------------------------------------------------------------
# (f) reproducibility, input not mutated, row order irrelevant; result object
# --------------------------------------------------------------------------------------------


def test_seed_reproduces_and_row_order_and_input_do_not_matter(mpdta):
    before = mpdta.copy(deep=True)
    kwargs = {"cluster": "state", "reps": 299, "seed": 42, "weights": "webb"}
    first = wild_cluster_bootstrap(mpdta, **MPDTA, **kwargs)
    pd.testing.assert_frame_equal(mpdta, before)
    again = wild_cluster_bootstrap(mpdta, **MPDTA, **kwargs)
    shuffled = mpdta.sample(frac=1.0, random_state=3)
    reordered = wild_cluster_bootstrap(shuffled, **MPDTA, **kwargs)
    other_seed = wild_cluster_bootstrap(mpdta, **MPDTA, **{**kwargs, "seed": 43})
    for result in (again, reordered):
        np.testing.assert_allclose(
            result.bootstrap_statistics, first.bootstrap_statistics, rtol=1e-10, atol=1e-12
        )
        assert result.p_value == first.p_value
        assert result.conf_low == pytest.approx(first.conf_low, rel=1e-9)
        assert result.conf_high == pytest.approx(first.conf_high, rel=1e-9)
    assert not np.allclose(other_seed.bootstrap_statistics, first.bootstrap_statistics)


def test_result_is_immutable_and_reads_out(mpdta):
    result = wild_cluster_bootstrap(mpdta, **MPDTA, cluster="state", reps=99, seed=1)
    assert isinstance(result, WildBootstrapResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.p_value = 0.5  # type: ignore[misc]
    with pytest.raises(ValueError):
        result.bootstrap_statistics[0] = 1.0
    with pytest.raises(ValueError):
        result.test_function.numerator[0, 0] = 1.0
    table = result.tidy()
    assert list(table.columns) == [
        "term",
        "group",
        "time",
        "estimate",
        "std_error",
        "conf_low",
        "conf_high",
        "p_value",
    ]
    assert table.loc[0, "p_value"] == result.p_value
    assert table.loc[0, "std_error"] == pytest.approx(FIXEST_SE_STATE, rel=REFERENCE_RTOL)
    glance = result.glance()
    assert glance.loc[0, "method"] == "WCR" and glance.loc[0, "n_draws"] == 99
    assert glance.loc[0, "vcov"] == "CRV1" and glance.loc[0, "n_treated_clusters"] == 13
    text = result.summary()
    assert "WCR" in text and "99 random Rademacher draws" in text and "Student t(28)" in text


def test_few_clusters_and_few_treated_clusters_are_flagged(mpdta):
    subset = _first_states(mpdta, 9, 20)  # 2 of 9 states have treated counties
    result = wild_cluster_bootstrap(subset, **MPDTA, cluster="state", reps=999)
    assert result.n_treated_clusters == 2
    assert any("MacKinnon & Webb 2017" in note for note in result.notes)
    assert any("Webb's six-point weights" in note for note in result.notes)


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"weights": "mammen"}, ParameterError),
        ({"reps": 0}, ParameterError),
        ({"reps": 9.5}, ParameterError),
        ({"seed": "1"}, ParameterError),
        ({"alpha": 1.0}, ParameterError),
        ({"impose_null": "yes"}, ParameterError),
        ({"param": "lpop"}, ParameterError),
        ({"cluster": "year"}, ParameterError),  # splits every county
        ({"param": "lpop", "xformla": "~ lpop"}, EstimationError),  # absorbed by unit effects
    ],
)
def test_invalid_requests_raise(mpdta, options, error):
    with pytest.raises(error):
        wild_cluster_bootstrap(mpdta, **MPDTA, **{"reps": 99, **options})


@pytest.mark.slow
def test_timing_500_clusters_9999_draws():
    rng = np.random.default_rng(0)
    n_units, n_years = 500, 10
    cohort = np.where(rng.random(n_units) < 0.3, rng.choice([2014, 2016, 2018], n_units), 0)
    frame = pd.DataFrame(
        {
            "county": np.repeat(np.arange(n_units), n_years),
            "year": np.tile(np.arange(2010, 2010 + n_years), n_units),
            "g": np.repeat(cohort, n_years),
            "y": rng.normal(size=n_units * n_years),
        }
    )
    start = time.perf_counter()
    result = wild_cluster_bootstrap(frame, "y", "year", "county", "g", reps=9999, seed=1)
    elapsed = time.perf_counter() - start
    assert result.n_draws == 9999 and result.n_clusters == 500
    assert elapsed < 10.0, f"{elapsed:.1f} s"
