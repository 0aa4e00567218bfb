"""Two-way fixed effects (static and event study) against R fixest, and its known failure mode.

Tolerances
----------
- Against R (``REFERENCE_ATOL = 1e-10``, absolute, on coefficients and standard errors): the R
  numbers below are doubles printed with 15 significant digits by R fixest 0.12.2; on these
  balanced panels both fixest and ylt_eval absorb the fixed effects exactly, so the only
  differences are floating-point rounding (observed: below 3e-15). 1e-10 leaves room for other
  BLAS builds while staying far below the 1e-8 the project requires. The HonestDiD covariance
  entries are of order 1e-5, so they are compared relatively (``rtol = 1e-9``; observed 3e-13).
- Known-answer simulations have no noise: the estimand is an exact rational number derived by
  hand below, so the check is ``1e-10`` absolute (rounding only).

Reference values come from ``/work/shared/reference/reference.json`` (keys ``mpdta_fixest`` and
``ehec_honestdid``), produced with R ``did`` 2.5.1 and ``fixest`` 0.12.2; the data files and
their origin are in ``tests/data/`` (see its README).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from ylt_eval.errors import DataValidationError, EstimationError, ParameterError
from ylt_eval.models import TIDY_COLUMNS, EventStudyResult, TwfeResult, event_study, twfe

DATA = Path(__file__).resolve().parent / "data"
REFERENCE_ATOL = 1e-10
KNOWN_ANSWER_ATOL = 1e-10
MPDTA = {"yname": "lemp", "tname": "year", "idname": "countyreal", "gname": "first.treat"}

# R: feols(lemp ~ post | countyreal + year, mpdta), post = 1[first.treat > 0 & year >= first.treat]
FIXEST_STATIC = {
    "coef": -0.0365489366740674,
    "se_cl_county": 0.013265155429339,
    "se_iid": 0.0126464735256592,
    "se_hetero": 0.0123601004854495,
    "se_cl_state": 0.0226632503914406,
    "p_cl_state": 0.118026410230974,
    "nstate": 29,
}
# R: feols(lemp ~ i(rel_time, ref = c(-1, -1000)) | countyreal + year, cluster = ~countyreal),
# rows [estimate, se] for e = -4, -3, -2, 0, 1, 2, 3.
FIXEST_DYNAMIC = np.array(
    [
        [0.00354932691943205, 0.0228285814462781],
        [0.0246235019864894, 0.0176793711726706],
        [0.0233548148864024, 0.0134366993772461],
        [-0.0181439269665809, 0.010982218280948],
        [-0.043472372628552, 0.0175769469944396],
        [-0.131794857754317, 0.0288374073900672],
        [-0.0922467941818838, 0.032336193163125],
    ]
)
FIXEST_DYNAMIC_TIMES = [-4, -3, -2, 0, 1, 2, 3]

# HonestDiD vignette: feols(dins ~ i(year, D, ref = 2013) | stfips + year, cluster = ~stfips).
HONESTDID_NAMES = [f"year::{year}:D" for year in (2008, 2009, 2010, 2011, 2012, 2014, 2015)]
HONESTDID_BETA = np.array(
    [
        -0.00528535453272061,
        -0.011297324648151,
        -0.00267599181179348,
        -0.00141931225211062,
        0.000339663518971793,
        0.0464468541599456,
        0.0692061754790219,
    ]
)
HONESTDID_SIGMA = np.array(
    [
        [7.4884836358978e-05, 6.03987409564451e-05, 4.44461981846127e-05, 3.38576470608929e-05,
         4.32801125474368e-05, 4.76588047877807e-05, 2.42512869975422e-05],
        [6.03987409564451e-05, 7.2665006169971e-05, 3.78933022128822e-05, 2.86657802514857e-05,
         4.54332062840387e-05, 4.42885011931818e-05, 2.82465504298469e-05],
        [4.44461981846127e-05, 3.78933022128822e-05, 5.05205194016301e-05, 2.67367943248398e-05,
         2.77819356767415e-05, 3.06064410890563e-05, 9.63753388266954e-06],
        [3.38576470608929e-05, 2.86657802514857e-05, 2.67367943248398e-05, 4.00322202633785e-05,
         2.41285997571648e-05, 2.38086820907369e-05, 2.92387814336437e-06],
        [4.32801125474368e-05, 4.54332062840387e-05, 2.77819356767415e-05, 2.41285997571648e-05,
         5.46266220705437e-05, 3.68253105174326e-05, 9.72294750241885e-06],
        [4.76588047877807e-05, 4.42885011931818e-05, 3.06064410890563e-05, 2.38086820907369e-05,
         3.68253105174326e-05, 8.3756688246776e-05, 6.32139796253383e-05],
        [2.42512869975422e-05, 2.82465504298469e-05, 9.63753388266954e-06, 2.92387814336437e-06,
         9.72294750241885e-06, 6.32139796253383e-05, 0.000107123523030044],
    ]
)  # fmt: skip


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    frame = pd.read_csv(DATA / "mpdta.csv")
    frame["state"] = frame["countyreal"] // 1000
    return frame


@pytest.fixture(scope="module")
def ehec() -> pd.DataFrame:
    """HonestDiD setup: years < 2016, drop 2015 adopters, D = 1 for 2014 adopters."""
    frame = pd.read_csv(DATA / "ehec.csv")
    frame = frame[(frame["year"] < 2016) & (frame["yexp2"] != 2015)]
    return frame.assign(cohort=np.where(frame["yexp2"] == 2014, 2014, 0))


# --------------------------------------------------------------------------------------------
# Reference values from R
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "reference_se"),
    [
        ({}, "se_cl_county"),
        ({"vcov": "iid"}, "se_iid"),
        ({"vcov": "hetero"}, "se_hetero"),
        ({"cluster": "state"}, "se_cl_state"),
    ],
)
def test_static_twfe_matches_fixest(mpdta, options, reference_se):
    result = twfe(mpdta, **MPDTA, **options)
    assert isinstance(result, TwfeResult)
    assert result.terms == ("post",)
    assert result.estimate_of("post") == pytest.approx(FIXEST_STATIC["coef"], abs=REFERENCE_ATOL)
    assert result.std_error_of("post") == pytest.approx(
        FIXEST_STATIC[reference_se], abs=REFERENCE_ATOL
    )
    assert result.n_obs == 2500


def test_state_clustered_p_value_uses_t_with_g_minus_1_df(mpdta):
    result = twfe(mpdta, **MPDTA, cluster="state")
    assert result.n_clusters == FIXEST_STATIC["nstate"]
    assert result.inference.df == FIXEST_STATIC["nstate"] - 1
    p_value = result.tidy()["p_value"].iloc[0]
    assert p_value == pytest.approx(FIXEST_STATIC["p_cl_state"], abs=REFERENCE_ATOL)


def test_event_study_matches_fixest(mpdta):
    result = event_study(mpdta, **MPDTA)
    assert isinstance(result, EventStudyResult)
    assert result.terms == tuple(f"event_time::{e}" for e in FIXEST_DYNAMIC_TIMES)
    assert result.event_times.tolist() == FIXEST_DYNAMIC_TIMES
    np.testing.assert_allclose(result.estimates, FIXEST_DYNAMIC[:, 0], rtol=0, atol=REFERENCE_ATOL)
    np.testing.assert_allclose(result.std_errors, FIXEST_DYNAMIC[:, 1], rtol=0, atol=REFERENCE_ATOL)
    tidy = result.tidy()
    assert tidy["time"].tolist() == FIXEST_DYNAMIC_TIMES
    assert tidy["group"].isna().all()


def test_event_study_matches_honestdid_vignette(ehec):
    result = event_study(ehec, "dins", "year", "stfips", "cohort", cluster="stfips")
    # year::Y:D of the vignette is event time Y - 2014 here.
    expected_terms = tuple(f"event_time::{int(name[6:10]) - 2014}" for name in HONESTDID_NAMES)
    assert result.terms == expected_terms
    np.testing.assert_allclose(result.estimates, HONESTDID_BETA, rtol=0, atol=REFERENCE_ATOL)
    np.testing.assert_allclose(result.vcov, HONESTDID_SIGMA, rtol=1e-9, atol=0)
    assert result.n_clusters == 43


def test_unbalanced_panel_with_covariate_matches_dummy_variable_ols(mpdta):
    """Independent check of the exact two-way demeaning on an unbalanced panel."""
    rng = np.random.default_rng(20240601)
    sample = mpdta.iloc[np.sort(rng.choice(len(mpdta), size=2100, replace=False))]
    sample = sample.assign(noise=rng.normal(size=len(sample)))
    post = ((sample["first.treat"] > 0) & (sample["year"] >= sample["first.treat"])).astype(float)
    dummies = pd.get_dummies(
        sample[["countyreal", "year"]].astype(str), drop_first=True, dtype=float
    )
    design = np.column_stack([post, sample["noise"], np.ones(len(sample)), dummies])
    ols = sm.OLS(sample["lemp"].to_numpy(), design)
    iid = ols.fit()
    hc1 = ols.fit(cov_type="HC1")

    result_iid = twfe(sample, **MPDTA, xformla="~ noise", vcov="iid")
    result_hc1 = twfe(sample, **MPDTA, xformla="~ noise", vcov="hetero")
    assert result_iid.estimate_of("post") == pytest.approx(iid.params[0], abs=1e-10)
    assert result_iid.std_error_of("post") == pytest.approx(iid.bse[0], abs=1e-10)
    assert result_hc1.std_error_of("post") == pytest.approx(hc1.bse[0], abs=1e-10)


# --------------------------------------------------------------------------------------------
# Invariances
# --------------------------------------------------------------------------------------------


def test_string_ids_and_text_cohorts_give_the_same_result(mpdta):
    baseline = twfe(mpdta, **MPDTA)
    relabelled = mpdta.assign(
        countyreal="county-" + mpdta["countyreal"].astype(str),
        **{"first.treat": mpdta["first.treat"].astype(str)},
    )
    result = twfe(relabelled, **MPDTA)
    # Labels sort differently as text, so rows are summed in another order: rounding only.
    np.testing.assert_allclose(result.estimates, baseline.estimates, rtol=1e-12, atol=0)
    np.testing.assert_allclose(result.vcov, baseline.vcov, rtol=1e-12, atol=0)
    assert result.n_clusters == baseline.n_clusters


def test_never_treated_coded_as_nan_equals_zero(mpdta):
    as_nan = mpdta.assign(**{"first.treat": mpdta["first.treat"].replace(0, np.nan)})
    np.testing.assert_array_equal(
        event_study(as_nan, **MPDTA).estimates, event_study(mpdta, **MPDTA).estimates
    )


def test_row_order_does_not_matter(mpdta):
    shuffled = mpdta.sample(frac=1.0, random_state=7)
    shuffled = shuffled[shuffled.columns[::-1]].reset_index(drop=True)
    for fit in (twfe, event_study):
        original = fit(mpdta, **MPDTA)
        reordered = fit(shuffled, **MPDTA)
        np.testing.assert_array_equal(reordered.estimates, original.estimates)
        np.testing.assert_array_equal(reordered.vcov, original.vcov)
        assert reordered.provenance.data_signature == original.provenance.data_signature


def test_input_is_not_modified(mpdta):
    data = mpdta.assign(countyreal=mpdta["countyreal"].astype(str))
    data.loc[data.index[:3], "lemp"] = np.nan
    data.loc[data.index[5], "first.treat"] = 0
    data = data[data["countyreal"] != data.loc[data.index[5], "countyreal"]]
    before = data.copy(deep=True)
    twfe(data, **MPDTA, xformla="~ lpop")
    event_study(data, **MPDTA, min_e=-3, max_e=2, cluster="state")
    pd.testing.assert_frame_equal(data, before)


# --------------------------------------------------------------------------------------------
# Simulations: when TWFE works and when it does not
# --------------------------------------------------------------------------------------------


def _staggered_panel(
    cohorts: list[int], n_periods: int, units_per_cohort: int, seed: int
) -> pd.DataFrame:
    """Balanced panel with random unit and period effects; periods 1..n_periods."""
    rng = np.random.default_rng(seed)
    cohort = np.repeat(cohorts, units_per_cohort)
    n_units = cohort.size
    unit = np.repeat(np.arange(n_units), n_periods)
    period = np.tile(np.arange(1, n_periods + 1), n_units)
    unit_effect = rng.normal(0, 2, n_units)
    period_effect = rng.normal(0, 1, n_periods)
    frame = pd.DataFrame({"unit": unit, "period": period, "cohort": cohort[unit]})
    frame["baseline"] = unit_effect[unit] + period_effect[period - 1]
    frame["event_time"] = np.where(frame["cohort"] > 0, frame["period"] - frame["cohort"], -999)
    frame["treated"] = (frame["cohort"] > 0) & (frame["period"] >= frame["cohort"])
    return frame


SIM = {"yname": "y", "tname": "period", "idname": "unit", "gname": "cohort"}


def test_homogeneous_constant_effect_is_recovered_exactly():
    panel = _staggered_panel([3, 5, 7, 0], n_periods=8, units_per_cohort=20, seed=1)
    panel = panel.assign(y=panel["baseline"] + 2.0 * panel["treated"])
    panel = panel.sample(frac=0.85, random_state=3)  # unbalanced on purpose
    assert twfe(panel, **SIM).estimate_of("post") == pytest.approx(2.0, abs=KNOWN_ANSWER_ATOL)
    dynamic = event_study(panel, **SIM)
    expected = np.where(dynamic.event_times >= 0, 2.0, 0.0)
    np.testing.assert_allclose(dynamic.estimates, expected, rtol=0, atol=KNOWN_ANSWER_ATOL)


def test_homogeneous_constant_effect_with_noise_is_covered():
    panel = _staggered_panel([4, 6, 8, 0], n_periods=10, units_per_cohort=75, seed=2)
    noise = np.random.default_rng(5).normal(0, 1, len(panel))
    panel = panel.assign(y=panel["baseline"] + 2.0 * panel["treated"] + noise)
    row = twfe(panel, **SIM).tidy().iloc[0]
    assert row["conf_low"] < 2.0 < row["conf_high"]
    assert abs(row["estimate"] - 2.0) < 0.1


def test_growing_effects_bias_static_twfe_hand_derived_two_cohorts():
    """Two cohorts, three periods, no never-treated units, effect delta * (t - g + 1).

    With equal cohort sizes the double-demeaned treatment D~ is, per unit of each cohort,
    g=2: (-1/6, 1/3, -1/6) and g=3: (1/6, -1/3, 1/6), so sum(D~ * D) = 1/3 (per pair) and
    beta = sum(D~ * tau) / sum(D~ * D) = (delta/3 - 2 delta/6 + delta/6) / (1/3) = delta / 2.
    The weight on cohort 2's second-period effect is -1/2. The average effect on the treated
    cells is (delta + 2 delta + delta) / 3 = 4 delta / 3, so TWFE is off by -5 delta / 6.
    """
    delta = 0.3
    panel = _staggered_panel([2, 3], n_periods=3, units_per_cohort=10, seed=4)
    effect = np.where(panel["treated"], delta * (panel["event_time"] + 1), 0.0)
    panel = panel.assign(y=panel["baseline"] + effect)
    result = twfe(panel, **SIM)
    true_att = effect[panel["treated"].to_numpy()].mean()
    assert true_att == pytest.approx(4 * delta / 3, abs=1e-12)
    assert result.estimate_of("post") == pytest.approx(delta / 2, abs=KNOWN_ANSWER_ATOL)
    assert result.estimate_of("post") - true_att == pytest.approx(-5 * delta / 6, abs=1e-10)
    assert any("no never-treated units" in note for note in result.notes)


def test_growing_effects_bias_static_twfe_but_not_event_study_with_never_treated():
    """Cohorts 3, 5, 7 and never treated, 8 periods, equal sizes; effect 0.5 * (e + 1).

    Hand computation with D~ = D - row mean - column mean + grand mean: the 12 treated cells
    get weights 3/20 (first two years of each cohort), 1/20, and -1/20 on cohort 3's years 7
    and 8, so beta = 3/4 while the average effect on the treated cells is 17/12 (bias -2/3).
    The effect depends on event time only, so the fully dynamic model with never-treated
    controls recovers it exactly.
    """
    panel = _staggered_panel([3, 5, 7, 0], n_periods=8, units_per_cohort=15, seed=6)
    effect = np.where(panel["treated"], 0.5 * (panel["event_time"] + 1), 0.0)
    panel = panel.assign(y=panel["baseline"] + effect)
    static = twfe(panel, **SIM)
    assert effect[panel["treated"].to_numpy()].mean() == pytest.approx(17 / 12, abs=1e-12)
    assert static.estimate_of("post") == pytest.approx(3 / 4, abs=KNOWN_ANSWER_ATOL)

    dynamic = event_study(panel, **SIM)
    expected = np.where(dynamic.event_times >= 0, 0.5 * (dynamic.event_times + 1), 0.0)
    np.testing.assert_allclose(dynamic.estimates, expected, rtol=0, atol=KNOWN_ANSWER_ATOL)


# --------------------------------------------------------------------------------------------
# Options
# --------------------------------------------------------------------------------------------


def test_endpoint_binning_and_two_references(mpdta):
    binned = event_study(mpdta, **MPDTA, min_e=-3, max_e=2)
    assert binned.terms == (
        "event_time::<=-3",
        "event_time::-2",
        "event_time::0",
        "event_time::1",
        "event_time::>=2",
    )
    assert binned.tidy()["time"].tolist() == [-3, -2, 0, 1, 2]

    treated_only = mpdta[mpdta["first.treat"] > 0]
    with pytest.raises(EstimationError, match="collinear"):
        event_study(treated_only, **MPDTA)
    two_refs = event_study(treated_only, **MPDTA, ref=[-1, -4])
    assert two_refs.event_times.tolist() == [-3, -2, 0, 1, 2, 3]
    assert two_refs.config.ref == (-4, -1)


def test_binned_event_study_matches_dummy_variable_ols(mpdta):
    binned = event_study(mpdta, **MPDTA, min_e=-3, max_e=2, vcov="iid")
    event_time = np.where(
        mpdta["first.treat"] > 0, (mpdta["year"] - mpdta["first.treat"]).clip(-3, 2), -999
    )
    columns = [(event_time == e).astype(float) for e in (-3, -2, 0, 1, 2)]
    dummies = pd.get_dummies(
        mpdta[["countyreal", "year"]].astype(str), drop_first=True, dtype=float
    )
    design = np.column_stack([*columns, np.ones(len(mpdta)), dummies])
    fit = sm.OLS(mpdta["lemp"].to_numpy(), design).fit()
    np.testing.assert_allclose(binned.estimates, fit.params[:5], rtol=0, atol=1e-10)
    np.testing.assert_allclose(binned.std_errors, fit.bse[:5], rtol=0, atol=1e-10)


def test_missing_outcomes_are_dropped_and_reported(mpdta):
    with_gaps = mpdta.copy()
    with_gaps.loc[with_gaps.index[[0, 10, 20]], "lemp"] = np.nan
    result = twfe(with_gaps, **MPDTA)
    expected = twfe(with_gaps.dropna(subset=["lemp"]), **MPDTA)
    assert result.glance()["n_dropped"].iloc[0] == 3
    assert result.n_obs == 2497
    np.testing.assert_array_equal(result.estimates, expected.estimates)
    assert any("3 row(s) dropped" in note for note in result.notes)


def test_time_invariant_covariate_is_dropped_with_a_note(mpdta):
    result = twfe(mpdta, **MPDTA, xformla="~ lpop")
    assert result.estimate_of("post") == pytest.approx(FIXEST_STATIC["coef"], abs=REFERENCE_ATOL)
    assert any("lpop" in note and "collinear" in note for note in result.notes)


# --------------------------------------------------------------------------------------------
# Result objects
# --------------------------------------------------------------------------------------------


def test_result_read_outs(mpdta):
    result = event_study(mpdta, **MPDTA)
    tidy = result.tidy()
    assert tuple(tidy.columns) == TIDY_COLUMNS
    assert len(tidy) == 7
    assert (tidy["conf_low"] < tidy["estimate"]).all()
    assert (tidy["estimate"] < tidy["conf_high"]).all()
    narrow = result.tidy(conf_level=0.5)
    assert (narrow["conf_high"] - narrow["conf_low"] < tidy["conf_high"] - tidy["conf_low"]).all()

    glance = result.glance()
    assert len(glance) == 1
    row = glance.iloc[0]
    assert row["estimator"] == "twfe_event_study"
    assert (row["n_obs"], row["n_units"], row["n_periods"], row["n_clusters"]) == (
        2500,
        500,
        5,
        500,
    )
    assert row["vcov"] == "CRV1"
    assert (row["n_treated_units"], row["n_never_treated_units"]) == (191, 309)

    text = result.summary()
    assert isinstance(text, str)
    assert "event_time::-4" in text
    assert "clustered by countyreal" in text
    with pytest.raises(ParameterError, match="conf_level"):
        result.tidy(conf_level=95)


def test_results_are_immutable(mpdta):
    result = twfe(mpdta, **MPDTA)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.estimates = np.zeros(1)  # type: ignore[misc]
    for array in (result.estimates, result.std_errors, result.vcov, result.group, result.time):
        assert not array.flags.writeable
        with pytest.raises(ValueError):
            array[0] = 1.0
    with pytest.raises(TypeError):
        result.fit_statistics["r2_within"] = 1.0  # type: ignore[index]
    with pytest.raises(ParameterError, match="unknown term"):
        result.estimate_of("att")


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------


def test_missing_column_names_the_column_and_a_suggestion(mpdta):
    with pytest.raises(ParameterError, match=r"'lemp2'.*did you mean 'lemp'"):
        twfe(mpdta, "lemp2", "year", "countyreal", "first.treat")
    with pytest.raises(ParameterError, match="'county'"):
        twfe(mpdta, **MPDTA, cluster="county")


def test_non_numeric_outcome(mpdta):
    data = mpdta.assign(lemp=mpdta["lemp"].map("{:,.3f}".format))
    with pytest.raises(DataValidationError, match=r"outcome.*'lemp'.*numeric.*to_numeric"):
        twfe(data, **MPDTA)


def test_cohort_changing_within_a_unit(mpdta):
    data = mpdta.copy()
    data.loc[(data["countyreal"] == 8001) & (data["year"] == 2003), "first.treat"] = 2006
    with pytest.raises(DataValidationError, match=r"constant within each unit.*8001"):
        twfe(data, **MPDTA)


def test_duplicate_unit_period_rows(mpdta):
    data = pd.concat([mpdta, mpdta.iloc[[0]]])
    with pytest.raises(DataValidationError, match=r"\(8001, 2003\).*one row per unit"):
        twfe(data, **MPDTA)


def test_missing_ids_and_fractional_periods(mpdta):
    data = mpdta.assign(countyreal=mpdta["countyreal"].astype("Float64"))
    data.loc[data.index[4], "countyreal"] = pd.NA
    with pytest.raises(DataValidationError, match="missing value"):
        twfe(data, **MPDTA)
    with pytest.raises(DataValidationError, match="whole numbers"):
        twfe(mpdta.assign(year=mpdta["year"] + 0.5), **MPDTA)
    with pytest.raises(DataValidationError, match="cannot read"):
        twfe(mpdta.assign(**{"first.treat": "soon"}), **MPDTA)
    with pytest.raises(DataValidationError, match="infinite"):
        twfe(mpdta.assign(lemp=np.where(mpdta.index == 0, -np.inf, mpdta["lemp"])), **MPDTA)


def test_no_treated_units(mpdta):
    data = mpdta.assign(**{"first.treat": 0})
    with pytest.raises(EstimationError, match="no treated observations"):
        twfe(data, **MPDTA)
    late = mpdta.assign(**{"first.treat": np.where(mpdta["first.treat"] > 0, 2010, 0)})
    with pytest.raises(EstimationError, match="no treated observations"):
        event_study(late, **MPDTA)


def test_no_control_units(mpdta):
    data = mpdta.assign(**{"first.treat": 2006})
    with pytest.raises(EstimationError, match="no control units"):
        twfe(data, **MPDTA)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"vcov": "HC3"}, "vcov must be one of"),
        ({"vcov": "iid", "cluster": "state"}, "only used with vcov='CRV1'"),
        ({"xformla": "~ log(lpop)"}, "not a plain column name"),
        ({"xformla": "lpop"}, "must start with '~'"),
    ],
)
def test_bad_options(mpdta, options, message):
    with pytest.raises(ParameterError, match=message):
        twfe(mpdta, **MPDTA, **options)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"ref": -7}, r"do not occur in the data.*-4 to 3"),
        ({"ref": 1.5}, "integer"),
        ({"min_e": -1}, "strictly inside"),
        ({"min_e": 2, "max_e": 1}, "smaller than max_e"),
    ],
)
def test_bad_event_study_options(mpdta, options, message):
    with pytest.raises(ParameterError, match=message):
        event_study(mpdta, **MPDTA, **options)


def test_not_a_dataframe_or_empty(mpdta):
    with pytest.raises(ParameterError, match="pandas DataFrame"):
        twfe({"lemp": [1.0]}, **MPDTA)  # type: ignore[arg-type]
    with pytest.raises(DataValidationError, match="no rows"):
        twfe(mpdta.iloc[:0], **MPDTA)
