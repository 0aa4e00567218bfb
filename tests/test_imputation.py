"""Borusyak–Jaravel–Spiess imputation estimator: brute force, equivalences and known answers.

There are no R reference numbers for this estimator, so it is checked three other ways:

(a) a brute-force computation on tiny panels with dense dummy matrices, a pseudo-inverse and
    explicit loops over cohort × period cells (the BJS / ``did_imputation`` formulas written
    out literally), for estimates and standard errors;
(b) the equivalence with a regression of y on unit and period dummies plus one dummy per
    treated observation, whose coefficients are the imputed effects;
(c) mpdta, whose 2004 cohort has a single untreated period (pyfixest's did2s crashes there).

Tolerances
----------
- ``BRUTE_FORCE_ATOL = 1e-10``: both sides solve the same least-squares problems exactly, by
  different algorithms; differences are rounding (observed below 1e-13).
- ``KNOWN_ANSWER_ATOL = 1e-9``: noise-free simulations, estimand computed from the
  data-generating process by hand.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ylt_eval.errors import EstimationError, ParameterError
from ylt_eval.models import TIDY_COLUMNS, twfe
from ylt_eval.models.imputation import ImputationResult, imputation

DATA = Path(__file__).resolve().parent / "data"
BRUTE_FORCE_ATOL = 1e-10
KNOWN_ANSWER_ATOL = 1e-9
MPDTA = {"yname": "lemp", "tname": "year", "idname": "countyreal", "gname": "first.treat"}


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(DATA / "mpdta.csv")


@pytest.fixture(scope="module")
def mpdta_fit(mpdta: pd.DataFrame) -> ImputationResult:
    return imputation(mpdta, **MPDTA)


# --------------------------------------------------------------------------------------------
# (a) Brute force
# --------------------------------------------------------------------------------------------


def _tiny_panel() -> pd.DataFrame:
    """Eight units, periods 1-6, unbalanced, never-treated and three cohorts, three regions.

    Cohort 4 has two units in region r1 and one in r2, so that with regional clusters the
    cell averages of effects weight units unequally (cluster weight × estimand weight).
    """
    rng = np.random.default_rng(42)
    cohorts = {"A": 0, "B": 0, "C": 4, "D": 4, "E": 5, "F": 3, "G": 0, "H": 4}
    region = {"A": "r1", "C": "r1", "D": "r1", "B": "r2", "H": "r2", "E": "r3", "F": "r3"}
    region["G"] = "r1"
    rows = [
        {"id": unit, "t": t, "g": g, "region": region[unit], "y": rng.normal() + 0.2 * t}
        for unit, g in cohorts.items()
        for t in range(1, 7)
        if (unit, t) not in {("B", 5), ("E", 1), ("G", 2)}
    ]
    return pd.DataFrame(rows)


def _brute_force(data: pd.DataFrame, cluster: str) -> dict[str, tuple[float, float]]:
    """Estimates and BJS standard errors with dense matrices and explicit loops."""
    data = data.reset_index(drop=True)
    treated = ((data["g"] > 0) & (data["t"] >= data["g"])).to_numpy()
    units = sorted(data["id"].unique())
    periods = sorted(data["t"].unique())
    z = np.column_stack(
        [(data["id"] == u).to_numpy(float) for u in units]
        + [(data["t"] == p).to_numpy(float) for p in periods]
    )
    y = data["y"].to_numpy()
    z0, z1 = z[~treated], z[treated]
    gamma = np.linalg.pinv(z0) @ y[~treated]
    effects = y[treated] - z1 @ gamma
    residual0 = y[~treated] - z0 @ gamma
    treated_rows = data[treated].reset_index(drop=True)
    horizon = (treated_rows["t"] - treated_rows["g"]).to_numpy()
    estimands = {"ATT": np.full(len(treated_rows), 1.0 / len(treated_rows))}
    for h in sorted(set(horizon)):
        estimands[f"event_time::{h}"] = (horizon == h) / (horizon == h).sum()

    out = {}
    for name, w in estimands.items():
        v0 = -z0 @ np.linalg.pinv(z0.T @ z0) @ z1.T @ w
        estimate = float(w @ effects)
        assert float(w @ y[treated] + v0 @ y[~treated]) == pytest.approx(estimate, abs=1e-12)
        residual1 = np.empty(len(treated_rows))
        for r in range(len(treated_rows)):
            cell = (treated_rows["g"] == treated_rows.loc[r, "g"]) & (
                treated_rows["t"] == treated_rows.loc[r, "t"]
            )
            numerator = denominator = 0.0
            for s in np.flatnonzero(cell):
                same = cell & (treated_rows[cluster] == treated_rows.loc[s, cluster])
                cluster_weight = w[same.to_numpy()].sum()
                numerator += w[s] * cluster_weight * effects[s]
                denominator += w[s] * cluster_weight
            average = numerator / denominator if denominator else 0.0
            residual1[r] = effects[r] - average
        variance = 0.0
        for c in data[cluster].unique():
            in1 = (treated_rows[cluster] == c).to_numpy()
            in0 = (data.loc[~treated, cluster] == c).to_numpy()
            total = w[in1] @ residual1[in1] + v0[in0] @ residual0[in0]
            variance += total**2
        out[name] = (estimate, float(np.sqrt(variance)))
    return out


@pytest.mark.parametrize("cluster", ["id", "region"])
def test_matches_brute_force_on_a_tiny_unbalanced_panel(cluster: str) -> None:
    data = _tiny_panel()
    result = imputation(data, "y", "t", "id", "g", cluster=cluster)
    expected = _brute_force(data, cluster)
    assert set(result.terms) == set(expected)
    for term, (estimate, std_error) in expected.items():
        assert result.estimate_of(term) == pytest.approx(estimate, abs=BRUTE_FORCE_ATOL)
        assert result.std_error_of(term) == pytest.approx(std_error, abs=BRUTE_FORCE_ATOL)


def test_pretrend_coefficients_and_crv1_by_brute_force() -> None:
    data = _tiny_panel()
    result = imputation(data, "y", "t", "id", "g", horizons=[], pretrends=2)
    untreated = data[~((data["g"] > 0) & (data["t"] >= data["g"]))].reset_index(drop=True)
    lead = np.where(untreated["g"] > 0, untreated["g"] - untreated["t"], 0)
    x = np.column_stack([lead == 1, lead == 2]).astype(float)
    units = sorted(untreated["id"].unique())
    periods = sorted(untreated["t"].unique())
    z = np.column_stack(
        [x]
        + [(untreated["id"] == u).to_numpy(float) for u in units]
        + [(untreated["t"] == p).to_numpy(float) for p in periods[1:]]
    )
    y = untreated["y"].to_numpy()
    coefficients = np.linalg.lstsq(z, y, rcond=None)[0]
    residuals = y - z @ coefficients
    bread = np.linalg.inv(z.T @ z)[:2, : 2 + len(units) + len(periods) - 1]
    meat_rows = [
        bread
        @ (z[(untreated["id"] == u).to_numpy()].T @ residuals[(untreated["id"] == u).to_numpy()])
        for u in units
    ]
    n, g = len(y), len(units)
    k = 2 + len(periods)  # fixest: unit effects nested in the unit clusters count as one
    factor = (n - 1) / (n - k) * g / (g - 1)
    vcov = factor * sum(np.outer(s, s) for s in meat_rows)
    for j, term in enumerate(["pretrend::-1", "pretrend::-2"]):
        assert result.estimate_of(term) == pytest.approx(coefficients[j], abs=BRUTE_FORCE_ATOL)
        assert result.std_error_of(term) == pytest.approx(np.sqrt(vcov[j, j]), abs=BRUTE_FORCE_ATOL)
    wald = coefficients[:2] @ np.linalg.solve(vcov, coefficients[:2])
    assert result.fit_statistics["pretrend_f"] == pytest.approx(wald / 2, rel=1e-9)
    assert result.fit_statistics["pretrend_df2"] == g - 1


def test_pretrend_dummies_collinear_with_unit_effects_are_dropped() -> None:
    # In the tiny panel every treated unit's untreated periods are all within 3 periods of
    # treatment, so the three lead dummies add up to the unit dummies: one must go.
    result = imputation(_tiny_panel(), "y", "t", "id", "g", horizons=[], pretrends=3)
    assert sum(term.startswith("pretrend::") for term in result.terms) == 2
    assert any("collinear" in note for note in result.notes)


# --------------------------------------------------------------------------------------------
# (b) Dummy-regression equivalence
# --------------------------------------------------------------------------------------------


def _dummy_regression_effects(data: pd.DataFrame, y: str, t: str, i: str, g: str) -> pd.Series:
    """Coefficients of one dummy per treated observation in y ~ unit + period + dummies."""
    data = data.reset_index(drop=True)
    treated = np.flatnonzero((data[g] > 0) & (data[t] >= data[g]))
    dummies = np.zeros((len(data), treated.size))
    dummies[treated, np.arange(treated.size)] = 1.0
    design = np.column_stack(
        [
            pd.get_dummies(data[i].astype(str), dtype=float).to_numpy(),
            pd.get_dummies(data[t], dtype=float).to_numpy()[:, 1:],
            dummies,
        ]
    )
    coefficients = np.linalg.lstsq(design, data[y].to_numpy(), rcond=None)[0]
    index = pd.MultiIndex.from_arrays([data.loc[treated, i], data.loc[treated, t]])
    return pd.Series(coefficients[-treated.size :], index=index).sort_index()


def test_equals_dummy_regression_on_mpdta(mpdta: pd.DataFrame, mpdta_fit: ImputationResult) -> None:
    expected = _dummy_regression_effects(mpdta, "lemp", "year", "countyreal", "first.treat")
    effects = mpdta_fit.effects().set_index(["countyreal", "year"])["effect"].sort_index()
    np.testing.assert_allclose(effects.to_numpy(), expected.to_numpy(), rtol=0, atol=1e-10)
    assert mpdta_fit.overall_att == pytest.approx(expected.mean(), abs=1e-12)
    horizon = mpdta_fit.effects().set_index(["countyreal", "year"])["event_time"].sort_index()
    for h in range(4):
        assert mpdta_fit.estimate_of(f"event_time::{h}") == pytest.approx(
            expected[horizon.to_numpy() == h].mean(), abs=1e-12
        )


def test_equals_dummy_regression_on_the_tiny_panel() -> None:
    data = _tiny_panel()
    result = imputation(data, "y", "t", "id", "g")
    expected = _dummy_regression_effects(data, "y", "t", "id", "g")
    effects = result.effects().set_index(["id", "t"])["effect"].sort_index()
    np.testing.assert_allclose(effects.to_numpy(), expected.to_numpy(), rtol=0, atol=1e-10)


# --------------------------------------------------------------------------------------------
# (c) mpdta: a cohort with one untreated period
# --------------------------------------------------------------------------------------------


def test_single_untreated_period_cohort_is_kept(mpdta_fit: ImputationResult) -> None:
    # Cohort 2004 is untreated only in 2003; its 20 counties x 4 treated years are imputed.
    effects = mpdta_fit.effects()
    assert (effects["first.treat"] == 2004).sum() == 80
    assert len(effects) == 20 * 4 + 40 * 2 + 131
    assert mpdta_fit.fit_statistics["n_untreated_obs"] == 2500 - 291
    assert list(mpdta_fit.terms) == ["ATT", *(f"event_time::{h}" for h in range(4))]
    assert np.isfinite(mpdta_fit.std_errors).all()
    assert (mpdta_fit.std_errors > 0).all()
    assert not any("dropped" in note for note in mpdta_fit.notes)


# --------------------------------------------------------------------------------------------
# Simulation: heterogeneous staggered effects
# --------------------------------------------------------------------------------------------

SIM_COHORTS = {2003: 12, 2005: 10, 2007: 8, 0: 10}  # cohort: number of units
SIM_YEARS = range(2000, 2010)


def _effect(cohort: int, event_time: int) -> float:
    """Effects grow with time since treatment, more for earlier cohorts."""
    if cohort == 0 or event_time < 0:
        return 0.0
    return (1.0 + event_time) * {2003: 1.0, 2005: 0.5, 2007: 0.2}[cohort]


def _simulated_panel(anticipation: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    unit = 0
    for cohort, size in SIM_COHORTS.items():
        for _ in range(size):
            unit_effect = rng.normal()
            for year in SIM_YEARS:
                y = unit_effect + 0.3 * (year - 2000) + _effect(cohort, year - cohort)
                if cohort and year == cohort - 1:
                    y += anticipation
                rows.append({"id": f"c{unit:03d}", "year": year, "g": cohort, "y": y})
            unit += 1
    return pd.DataFrame(rows)


def test_recovers_heterogeneous_event_path_where_twfe_fails() -> None:
    data = _simulated_panel()
    result = imputation(data, "y", "year", "id", "g")
    for h in range(7):  # cohort 2003 reaches horizon 6 in 2009
        cells = {g: n for g, n in SIM_COHORTS.items() if g and g + h <= 2009}
        truth = sum(n * _effect(g, h) for g, n in cells.items()) / sum(cells.values())
        assert result.estimate_of(f"event_time::{h}") == pytest.approx(truth, abs=KNOWN_ANSWER_ATOL)
    treated = data[(data["g"] > 0) & (data["year"] >= data["g"])]
    true_att = float(
        np.mean([_effect(g, t - g) for g, t in zip(treated["g"], treated["year"], strict=True)])
    )
    assert result.overall_att == pytest.approx(true_att, abs=KNOWN_ANSWER_ATOL)
    assert abs(twfe(data, "y", "year", "id", "g").estimate_of("post") - true_att) > 0.5


def test_pretrend_test_finds_planted_anticipation() -> None:
    clean = imputation(_simulated_panel(), "y", "year", "id", "g", horizons=[], pretrends=2)
    assert clean.estimate_of("pretrend::-1") == pytest.approx(0.0, abs=KNOWN_ANSWER_ATOL)
    assert clean.estimate_of("pretrend::-2") == pytest.approx(0.0, abs=KNOWN_ANSWER_ATOL)
    planted = imputation(
        _simulated_panel(anticipation=-0.4), "y", "year", "id", "g", horizons=[], pretrends=2
    )
    assert planted.estimate_of("pretrend::-1") == pytest.approx(-0.4, abs=KNOWN_ANSWER_ATOL)
    assert planted.estimate_of("pretrend::-2") == pytest.approx(0.0, abs=KNOWN_ANSWER_ATOL)
    assert planted.fit_statistics["pretrend_p"] < 1e-6


def test_unimputable_observations_are_dropped_with_a_note() -> None:
    data = _simulated_panel()
    # c000 treated before the panel: no untreated period, its effects cannot be imputed.
    data.loc[data["id"] == "c000", "g"] = 1999
    result = imputation(data, "y", "year", "id", "g")
    assert "c000" not in set(result.effects()["id"])
    assert any("cannot be imputed" in note for note in result.notes)
    # Without never-treated units, 2009 (everyone treated, since the last cohort is 2007)
    # cannot be imputed.
    no_never = _simulated_panel()
    no_never = no_never[no_never["g"] != 0]
    result = imputation(no_never, "y", "year", "id", "g")
    assert set(result.effects()["year"]) == set(range(2003, 2007))


# --------------------------------------------------------------------------------------------
# Arguments and errors
# --------------------------------------------------------------------------------------------


def test_horizon_selection(mpdta: pd.DataFrame, mpdta_fit: ImputationResult) -> None:
    only_att = imputation(mpdta, **MPDTA, horizons=[])
    assert only_att.terms == ("ATT",)
    assert only_att.overall_att == pytest.approx(mpdta_fit.overall_att, abs=1e-15)
    some = imputation(mpdta, **MPDTA, horizons=(2, 0))
    assert some.terms == ("ATT", "event_time::0", "event_time::2")
    assert some.estimate_of("event_time::2") == pytest.approx(
        mpdta_fit.estimate_of("event_time::2"), abs=1e-15
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"horizons": [-1]}, "non-negative"),
        ({"horizons": "0"}, "horizons"),
        ({"horizons": [7]}, "horizon"),
        ({"pretrends": -1}, "pretrends"),
        ({"pretrends": 5}, "before treatment"),
        ({"cluster": ""}, "cluster"),
    ],
)
def test_bad_arguments(mpdta: pd.DataFrame, kwargs: dict, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        imputation(mpdta, **MPDTA, **kwargs)


def test_no_treated_or_no_untreated_observations(mpdta: pd.DataFrame) -> None:
    with pytest.raises(EstimationError, match="no treated"):
        imputation(mpdta.assign(**{"first.treat": 0}), **MPDTA)
    with pytest.raises(EstimationError, match="no untreated"):
        imputation(mpdta.assign(**{"first.treat": 2003}), **MPDTA)


# --------------------------------------------------------------------------------------------
# Data handling and result object
# --------------------------------------------------------------------------------------------


def test_input_not_modified_and_row_order_irrelevant(
    mpdta: pd.DataFrame, mpdta_fit: ImputationResult
) -> None:
    shuffled = mpdta.sample(frac=1.0, random_state=9)
    before = shuffled.copy(deep=True)
    result = imputation(shuffled, **MPDTA)
    pd.testing.assert_frame_equal(shuffled, before)
    pd.testing.assert_frame_equal(result.tidy(), mpdta_fit.tidy(), check_exact=False, atol=1e-14)
    pd.testing.assert_frame_equal(result.effects(), mpdta_fit.effects())
    assert result.provenance.data_signature == mpdta_fit.provenance.data_signature


def test_result_is_immutable(mpdta_fit: ImputationResult) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        mpdta_fit.effect_estimate = np.zeros(3)  # type: ignore[misc]
    with pytest.raises(ValueError):
        mpdta_fit.effect_estimate[0] = 1.0
    with pytest.raises(ValueError):
        mpdta_fit.vcov[0, 0] = 1.0


def test_tidy_glance_summary(mpdta: pd.DataFrame) -> None:
    result = imputation(mpdta, **MPDTA, pretrends=2)
    tidy = result.tidy()
    assert list(tidy.columns) == list(TIDY_COLUMNS)
    assert list(tidy["term"]) == [
        "ATT",
        *(f"event_time::{h}" for h in range(4)),
        "pretrend::-1",
        "pretrend::-2",
    ]
    assert list(tidy["time"].iloc[1:]) == [0, 1, 2, 3, -1, -2]
    glance = result.glance()
    assert glance.loc[0, "estimator"] == "imputation"
    assert glance.loc[0, "vcov"] == "BJS"
    assert glance.loc[0, "n_clusters"] == 500
    assert 0 <= glance.loc[0, "pretrend_p"] <= 1
    assert "did_imputation" in result.summary()  # small-sample warning for horizons 2 and 3
