"""Sun & Abraham interaction-weighted event study against R fixest and known answers.

Tolerances
----------
- ``REFERENCE_ATOL = 1e-10`` (absolute, estimates and CRV1 standard errors) against R fixest
  0.12.2 ``sunab``: R printed 15 significant digits, both sides solve the same least-squares
  problem exactly and apply the same small-sample factor, so only rounding differs (observed
  below 1e-14). The brief requires 1e-8.
- ``KNOWN_ANSWER_ATOL = 1e-9``: noise-free simulations whose estimand is computed by hand from
  the data-generating process; only rounding in the fixed-effect absorption remains.

Reference numbers: ``/work/shared/reference/reference.json`` keys ``mpdta_fixest.sunab_period``
and ``sunab_att``: ``feols(lemp ~ sunab(first.treat, year) | countyreal + year, mpdta,
cluster = ~countyreal)``, per-period rows for e = -4, -3, -2, 0, 1, 2, 3 and
``summary(., agg = "ATT")``. Data origin: ``tests/data/README.md``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ylt_eval.errors import EstimationError, ParameterError
from ylt_eval.models import TIDY_COLUMNS, twfe
from ylt_eval.models.sun_abraham import SunAbrahamResult, sun_abraham

DATA = Path(__file__).resolve().parent / "data"
REFERENCE_ATOL = 1e-10
KNOWN_ANSWER_ATOL = 1e-9
MPDTA = {"yname": "lemp", "tname": "year", "idname": "countyreal", "gname": "first.treat"}

# fixest sunab per-period [estimate, se], e = -4, -3, -2, 0, 1, 2, 3
FIXEST_SUNAB_PERIOD = np.array(
    [
        [0.00330635669251135, 0.024555095531865],
        [0.0250218295975551, 0.0181543444100495],
        [0.0244587449711697, 0.0142667921546192],
        [-0.0199318167892592, 0.0118575389634539],
        [-0.0509573670651904, 0.0168706783846089],
        [-0.137258738889395, 0.0365894759637626],
        [-0.100811363085396, 0.0345042719102052],
    ]
)
FIXEST_SUNAB_TIMES = [-4, -3, -2, 0, 1, 2, 3]
FIXEST_SUNAB_ATT = (-0.0399512751551743, 0.011796277441754)


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(DATA / "mpdta.csv")


@pytest.fixture(scope="module")
def mpdta_fit(mpdta: pd.DataFrame) -> SunAbrahamResult:
    return sun_abraham(mpdta, **MPDTA)


# --------------------------------------------------------------------------------------------
# Against R fixest
# --------------------------------------------------------------------------------------------


def test_per_period_estimates_match_fixest(mpdta_fit: SunAbrahamResult) -> None:
    assert list(mpdta_fit.event_times) == FIXEST_SUNAB_TIMES
    table = mpdta_fit.tidy().iloc[1:]
    np.testing.assert_allclose(
        table["estimate"], FIXEST_SUNAB_PERIOD[:, 0], rtol=0, atol=REFERENCE_ATOL
    )
    np.testing.assert_allclose(
        table["std_error"], FIXEST_SUNAB_PERIOD[:, 1], rtol=0, atol=REFERENCE_ATOL
    )


def test_overall_att_matches_fixest(mpdta_fit: SunAbrahamResult) -> None:
    assert mpdta_fit.overall_att == pytest.approx(FIXEST_SUNAB_ATT[0], abs=REFERENCE_ATOL)
    assert mpdta_fit.overall_se == pytest.approx(FIXEST_SUNAB_ATT[1], abs=REFERENCE_ATOL)


def test_p_values_use_t_with_clusters_minus_one_df(mpdta_fit: SunAbrahamResult) -> None:
    # fixest: t distribution with G - 1 = 499 degrees of freedom for clustered SEs.
    tidy = mpdta_fit.tidy()
    expected = 2 * stats.t(499).sf(np.abs(FIXEST_SUNAB_ATT[0] / FIXEST_SUNAB_ATT[1]))
    assert tidy.loc[0, "p_value"] == pytest.approx(expected, rel=1e-8)
    assert mpdta_fit.n_clusters == 500


def test_aggregation_weights_are_cohort_observation_shares(mpdta_fit: SunAbrahamResult) -> None:
    # mpdta: cohorts 2004 (20 counties), 2006 (40), 2007 (131), balanced 2003-2007.
    # e = 0 is observed for all three cohorts: shares 20/191, 40/191, 131/191.
    cohort = mpdta_fit.cohort_effects
    row = mpdta_fit.terms.index("event_time::0")
    weights = mpdta_fit.aggregation_weights[row]
    at_zero = cohort.time == 0
    by_cohort = dict(zip(cohort.group[at_zero], weights[at_zero], strict=True))
    assert by_cohort == pytest.approx({2004.0: 20 / 191, 2006.0: 40 / 191, 2007.0: 131 / 191})
    assert weights[~at_zero] == pytest.approx(0.0)
    # ATT: every e >= 0 cell, weights = observations: 2004 has 4 (x20), 2006 2 (x40), 2007 1.
    att = mpdta_fit.aggregation_weights[0]
    n_post = 20 * 4 + 40 * 2 + 131
    assert att[(cohort.group == 2004) & (cohort.time == 3)][0] == pytest.approx(20 / n_post)
    assert att[cohort.time < 0] == pytest.approx(0.0)
    assert mpdta_fit.overall_att == pytest.approx(float(att @ cohort.estimates), abs=1e-15)


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


def _simulated_panel(noise: float = 0.0, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    unit = 0
    for cohort, size in SIM_COHORTS.items():
        for _ in range(size):
            unit_effect = rng.normal()
            for year in SIM_YEARS:
                y = unit_effect + 0.3 * (year - 2000) + _effect(cohort, year - cohort)
                rows.append(
                    {"id": f"c{unit:03d}", "year": year, "g": cohort, "y": y + noise * rng.normal()}
                )
            unit += 1
    return pd.DataFrame(rows)


def _true_event_path() -> dict[int, float]:
    """Average effect at each event time over the treated observations there."""
    totals: dict[int, list[float]] = {}
    for cohort, size in SIM_COHORTS.items():
        if cohort == 0:
            continue
        for year in SIM_YEARS:
            e = year - cohort
            totals.setdefault(e, []).extend([_effect(cohort, e)] * size)
    return {e: float(np.mean(values)) for e, values in sorted(totals.items()) if e != -1}


def _true_att() -> float:
    effects = [
        _effect(g, year - g)
        for g, size in SIM_COHORTS.items()
        if g
        for year in SIM_YEARS
        for _ in range(size)
        if year >= g
    ]
    return float(np.mean(effects))


def test_recovers_heterogeneous_event_path_where_twfe_fails() -> None:
    data = _simulated_panel()
    result = sun_abraham(data, "y", "year", "id", "g")
    path = _true_event_path()
    assert list(result.event_times) == list(path)
    for e, value in path.items():
        assert result.estimate_of(f"event_time::{e}") == pytest.approx(value, abs=KNOWN_ANSWER_ATOL)
    assert result.overall_att == pytest.approx(_true_att(), abs=KNOWN_ANSWER_ATOL)
    static = twfe(data, "y", "year", "id", "g").estimate_of("post")
    # TWFE uses already-treated cohorts (with growing effects) as controls: far off the truth.
    assert abs(static - _true_att()) > 0.5


def test_noisy_simulation_is_close_to_the_truth() -> None:
    result = sun_abraham(_simulated_panel(noise=0.05, seed=11), "y", "year", "id", "g")
    assert abs(result.overall_att - _true_att()) < 4 * result.overall_se


def test_last_treated_cohort_as_control_recovers_the_path() -> None:
    data = _simulated_panel()
    no_never = data[data["g"] != 0]
    with pytest.raises(EstimationError, match="lasttreated"):
        sun_abraham(no_never, "y", "year", "id", "g")
    result = sun_abraham(no_never, "y", "year", "id", "g", control_group="lasttreated")
    # Only 2000-2006 remain; cohort 2007 is the control. True path over cohorts 2003 and 2005.
    assert result.sample.n_periods == 7
    for e in (0, 1, 3):
        sizes = {2003: 12, 2005: 10}
        cells = {g: n for g, n in sizes.items() if g + e <= 2006}
        truth = sum(n * _effect(g, e) for g, n in cells.items()) / sum(cells.values())
        assert result.estimate_of(f"event_time::{e}") == pytest.approx(truth, abs=KNOWN_ANSWER_ATOL)
    assert any("lasttreated" in note for note in result.notes)


def test_always_treated_cohort_dropped_and_late_cohort_is_control() -> None:
    data = _simulated_panel()
    # Copies of two never-treated units (c030, c031), recoded as treated in 1998 (before the
    # panel) and in 2015 (after it).
    extra = data[data["id"].isin(["c030", "c031"])].assign(
        g=lambda d: np.where(d["id"] == "c030", 1998, 2015), id=lambda d: d["id"] + "x"
    )
    result = sun_abraham(pd.concat([data, extra]), "y", "year", "id", "g")
    assert any("1998" in note for note in result.notes)
    # c031x (cohort 2015) joins the controls; its outcome follows the common trends, so the
    # estimates are unchanged.
    assert result.sample.n_units == 41
    assert result.overall_att == pytest.approx(_true_att(), abs=KNOWN_ANSWER_ATOL)


def test_multiple_reference_periods() -> None:
    result = sun_abraham(_simulated_panel(), "y", "year", "id", "g", ref=[-1, -3])
    assert -3 not in set(result.event_times)
    assert result.estimate_of("event_time::-2") == pytest.approx(0.0, abs=KNOWN_ANSWER_ATOL)


# --------------------------------------------------------------------------------------------
# Errors, data handling, result object
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"control_group": "notyettreated"}, "control_group"),
        ({"ref": "minus one"}, "ref"),
        ({"ref": [-1, 0.5]}, "integer"),
        ({"vcov": "HC3"}, "vcov"),
        ({"vcov": "iid", "cluster": "countyreal"}, "cluster"),
    ],
)
def test_bad_arguments(mpdta: pd.DataFrame, kwargs: dict, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        sun_abraham(mpdta, **MPDTA, **kwargs)


def test_no_treated_cohort_is_an_estimation_error(mpdta: pd.DataFrame) -> None:
    with pytest.raises(EstimationError):
        sun_abraham(mpdta.assign(**{"first.treat": 0}), **MPDTA)


def test_input_not_modified_and_row_order_irrelevant(
    mpdta: pd.DataFrame, mpdta_fit: SunAbrahamResult
) -> None:
    shuffled = mpdta.sample(frac=1.0, random_state=5)
    before = shuffled.copy(deep=True)
    result = sun_abraham(shuffled, **MPDTA)
    pd.testing.assert_frame_equal(shuffled, before)
    pd.testing.assert_frame_equal(result.tidy(), mpdta_fit.tidy())
    assert result.provenance.data_signature == mpdta_fit.provenance.data_signature


def test_string_ids_and_text_cohorts(mpdta: pd.DataFrame, mpdta_fit: SunAbrahamResult) -> None:
    data = mpdta.assign(
        countyreal=mpdta["countyreal"].astype(str),
        **{"first.treat": mpdta["first.treat"].astype(str)},
    )
    result = sun_abraham(data, **MPDTA)
    np.testing.assert_allclose(result.estimates, mpdta_fit.estimates, rtol=0, atol=1e-13)


def test_result_is_immutable(mpdta_fit: SunAbrahamResult) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        mpdta_fit.estimates = np.zeros(8)  # type: ignore[misc]
    with pytest.raises(ValueError):
        mpdta_fit.aggregation_weights[0, 0] = 1.0
    with pytest.raises(ValueError):
        mpdta_fit.cohort_effects.estimates[0] = 1.0


def test_tidy_glance_summary(mpdta_fit: SunAbrahamResult) -> None:
    tidy = mpdta_fit.tidy()
    assert list(tidy.columns) == list(TIDY_COLUMNS)
    assert tidy.loc[0, "term"] == "ATT"
    assert np.isnan(tidy.loc[0, "time"])
    assert list(tidy["time"].iloc[1:]) == FIXEST_SUNAB_TIMES
    cohort_tidy = mpdta_fit.cohort_effects.tidy()
    assert cohort_tidy.loc[0, "term"] == "cohort::2004::event_time::0"
    assert set(cohort_tidy["group"]) == {2004.0, 2006.0, 2007.0}
    glance = mpdta_fit.glance()
    assert glance.loc[0, "estimator"] == "sun_abraham"
    assert glance.loc[0, "n_cohorts"] == 3
    assert glance.loc[0, "overall_att"] == pytest.approx(FIXEST_SUNAB_ATT[0], abs=REFERENCE_ATOL)
    assert 0.0 <= glance.loc[0, "pretrend_p"] <= 1.0
    text = mpdta_fit.summary()
    assert "event_time::-4" in text and "countyreal" in text
