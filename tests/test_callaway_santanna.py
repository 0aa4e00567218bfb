"""Callaway & Sant'Anna (2021) staggered DiD against R ``did`` 2.5.1, and its known properties.

Tolerances
----------
- Against R (``REFERENCE_ATOL = 1e-9``, absolute, on every ATT(g,t), standard error and
  aggregation): the R numbers below were printed by R ``did`` 2.5.1 (with ``DRDID``) with 15
  significant digits on ``tests/data/mpdta.csv``. Without covariates every estimator is a
  difference of means, so only floating-point rounding separates the two implementations
  (observed below 1e-15). With ``~ lpop`` the logit propensity score is iterated here to full
  precision while R's ``glm`` stops at a relative deviance change of 1e-8 (observed
  differences about 1e-11). 1e-9 is far below the 1e-6 the project requires and still above
  these sources of disagreement.
- The pre-test p-value is rounded by R to 5 decimals (``Wpval``), so it is compared after the
  same rounding.
- Without covariates ipw, reg and dr are analytically identical: ``IDENTITY_ATOL = 1e-10``.
- Hand computations (2×2 DiD of group means, weighted averages) are exact formulas evaluated
  with pandas: ``HAND_ATOL = 1e-12``.
- Bootstrap: standard errors are compared with analytic ones at 999 draws within 10 %
  (the Monte Carlo error of an interquartile-range scale estimate at 999 draws is about 4 %).
- Simulation: coverage of 95 % intervals over 200 draws must lie in the central 99.8 %
  binomial range around 0.95.

Reference values come from ``/work/shared/reference/reference.json`` (key ``mpdta_cs``,
configurations in ``mpdta_cs_config``) and are quoted in ``R_DID`` below.
"""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ylt_eval.errors import DataValidationError, EstimationError, ParameterError
from ylt_eval.models.callaway_santanna import (
    AggteResult,
    AttGtResult,
    CallawaySantAnnaWarning,
    aggte,
    att_gt,
)
from ylt_eval.models.results import TIDY_COLUMNS

DATA = Path(__file__).resolve().parent / "data"
REFERENCE_ATOL = 1e-9
IDENTITY_ATOL = 1e-10
HAND_ATOL = 1e-12
MPDTA = {"yname": "lemp", "tname": "year", "idname": "countyreal", "gname": "first.treat"}

# R did 2.5.1: att_gt(yname="lemp", tname="year", idname="countyreal", gname="first.treat",
# data=mpdta, bstrap=FALSE, cband=FALSE, ...) and aggte(..., type=...).
# attgt rows are (group, time, estimate, se); egt rows are (e or group or time, estimate, se).
CONFIGS = {
    "A_nocov_never_reg": {"est_method": "reg"},
    "A2_nocov_never_dr": {"est_method": "dr"},
    "B_lpop_never_dr": {"est_method": "dr", "xformla": "~lpop"},
    "D_nocov_notyet_dr": {"est_method": "dr", "control_group": "notyettreated"},
}
R_DID = {
    "A_nocov_never_reg": {
        "attgt": [
            (2004, 2004, -0.0105032462209635, 0.0232510363681662),
            (2004, 2005, -0.0704231581031491, 0.0309847667572764),
            (2004, 2006, -0.137258738889404, 0.0364356642876861),
            (2004, 2007, -0.100811363085405, 0.034359225834673),
            (2006, 2004, 0.00652011242423289, 0.0233268051418048),
            (2006, 2005, -0.00275081875051868, 0.0195585610358815),
            (2006, 2006, -0.00459460695286271, 0.0177551966592764),
            (2006, 2007, -0.0412244715462179, 0.0202291807041071),
            (2007, 2004, 0.0305066555832921, 0.0150335602801301),
            (2007, 2005, -0.00272589288611595, 0.0163958328955344),
            (2007, 2006, -0.0310871193896881, 0.0178775113133435),
            (2007, 2007, -0.0260544107191972, 0.0166554353492522),
        ],
        "Wpval": 0.16812,
        "simple": {
            "overall": (-0.039951275155177, 0.0120340127701854),
        },
        "dynamic": {
            "overall": (-0.0772398214573161, 0.0199649890618492),
            "egt": [
                (-3, 0.0305066555832921, 0.0150335602801301),
                (-2, -0.00056308462638523, 0.01329164473655),
                (-1, -0.024458744971169, 0.0142364022105193),
                (0, -0.0199318167892598, 0.0118263640580582),
                (1, -0.050957367065195, 0.0168934762686781),
                (2, -0.137258738889404, 0.0364356642876861),
                (3, -0.100811363085405, 0.034359225834673),
            ],
        },
        "group": {
            "overall": (-0.031018282228749, 0.0124460593209979),
            "egt": [
                (2004, -0.0797491265747306, 0.026367799435027),
                (2006, -0.0229095392495403, 0.0167033302551621),
                (2007, -0.0260544107191972, 0.0166554353492522),
            ],
        },
        "calendar": {
            "overall": (-0.0417004321312833, 0.0159718518845598),
            "egt": [
                (2004, -0.0105032462209635, 0.0232510363681662),
                (2005, -0.0704231581031491, 0.0309847667572764),
                (2006, -0.0488159842650433, 0.0201258612605003),
                (2007, -0.0370593399359773, 0.0137470791411186),
            ],
        },
    },
    "A2_nocov_never_dr": {
        "attgt": [
            (2004, 2004, -0.0105032462209635, 0.0232510363681662),
            (2004, 2005, -0.0704231581031491, 0.0309847667572764),
            (2004, 2006, -0.137258738889404, 0.0364356642876861),
            (2004, 2007, -0.100811363085405, 0.034359225834673),
            (2006, 2004, 0.00652011242423291, 0.0233268051418048),
            (2006, 2005, -0.00275081875051868, 0.0195585610358815),
            (2006, 2006, -0.00459460695286272, 0.0177551966592764),
            (2006, 2007, -0.0412244715462179, 0.0202291807041071),
            (2007, 2004, 0.0305066555832921, 0.0150335602801301),
            (2007, 2005, -0.00272589288611596, 0.0163958328955344),
            (2007, 2006, -0.0310871193896881, 0.0178775113133435),
            (2007, 2007, -0.0260544107191972, 0.0166554353492522),
        ],
        "Wpval": 0.16812,
        "simple": {
            "overall": (-0.039951275155177, 0.0120340127701854),
        },
        "dynamic": {
            "overall": (-0.0772398214573161, 0.0199649890618492),
            "egt": [
                (-3, 0.0305066555832921, 0.0150335602801301),
                (-2, -0.000563084626385229, 0.01329164473655),
                (-1, -0.024458744971169, 0.0142364022105193),
                (0, -0.0199318167892598, 0.0118263640580582),
                (1, -0.050957367065195, 0.0168934762686781),
                (2, -0.137258738889404, 0.0364356642876861),
                (3, -0.100811363085405, 0.034359225834673),
            ],
        },
        "group": {
            "overall": (-0.031018282228749, 0.0124460593209979),
            "egt": [
                (2004, -0.0797491265747306, 0.026367799435027),
                (2006, -0.0229095392495403, 0.0167033302551621),
                (2007, -0.0260544107191972, 0.0166554353492522),
            ],
        },
        "calendar": {
            "overall": (-0.0417004321312833, 0.0159718518845598),
            "egt": [
                (2004, -0.0105032462209635, 0.0232510363681662),
                (2005, -0.0704231581031491, 0.0309847667572764),
                (2006, -0.0488159842650433, 0.0201258612605003),
                (2007, -0.0370593399359773, 0.0137470791411186),
            ],
        },
    },
    "B_lpop_never_dr": {
        "attgt": [
            (2004, 2004, -0.0145296683111164, 0.0221291572370764),
            (2004, 2005, -0.0764218817440481, 0.0286713141519753),
            (2004, 2006, -0.140448336820238, 0.0353781547042286),
            (2004, 2007, -0.106903898121729, 0.0328864930009506),
            (2006, 2004, -0.000472146088485945, 0.0222234370366584),
            (2006, 2005, -0.00620252457979646, 0.0184957019041825),
            (2006, 2006, 0.000960573746698806, 0.0194001954220232),
            (2006, 2007, -0.0412938655881805, 0.0197211441453956),
            (2007, 2004, 0.0267277962037011, 0.0140656607643964),
            (2007, 2005, -0.00457657076352567, 0.0157177631302644),
            (2007, 2006, -0.02844748719756, 0.0181808811526978),
            (2007, 2007, -0.0287813610394872, 0.016238952966185),
        ],
        "Wpval": 0.23267,
        "simple": {
            "overall": (-0.0417517720610815, 0.0115028381509289),
        },
        "dynamic": {
            "overall": (-0.0803539497500553, 0.0189575572424329),
            "egt": [
                (-3, 0.0267277962037011, 0.0140656607643964),
                (-2, -0.00361647142433509, 0.012928331113004),
                (-1, -0.023243987170013, 0.0144851302317264),
                (0, -0.0210603597514513, 0.0114942116624654),
                (1, -0.053003204306803, 0.0163464516159764),
                (2, -0.140448336820238, 0.0353781547042286),
                (3, -0.106903898121729, 0.0328864930009506),
            ],
        },
        "group": {
            "overall": (-0.0328195971622414, 0.0118981787275488),
            "egt": [
                (2004, -0.0845759462492829, 0.024564874603483),
                (2006, -0.0201666459207408, 0.0174696249758821),
                (2007, -0.0287813610394872, 0.016238952966185),
            ],
        },
        "calendar": {
            "overall": (-0.0441773577615356, 0.0150381750944651),
            "egt": [
                (2004, -0.0145296683111164, 0.0221291572370764),
                (2005, -0.0764218817440481, 0.0286713141519753),
                (2006, -0.0461757297756136, 0.0212107191784279),
                (2007, -0.0395821512153645, 0.01292987203633),
            ],
        },
    },
    "D_nocov_notyet_dr": {
        "attgt": [
            (2004, 2004, -0.0193723636759231, 0.0223101128836804),
            (2004, 2005, -0.0783190990620629, 0.030390228543397),
            (2004, 2006, -0.136274346328679, 0.0354033849689097),
            (2004, 2007, -0.100811363085405, 0.034359225834673),
            (2006, 2004, -0.00256255094261087, 0.0225302351453389),
            (2006, 2005, -0.00193924609578871, 0.0190421586058188),
            (2006, 2006, 0.00466087631997624, 0.0163355842468237),
            (2006, 2007, -0.0412244715462179, 0.0202291807041071),
            (2007, 2004, 0.0297593647610305, 0.0145335416386515),
            (2007, 2005, -0.00241061280009663, 0.0160312963755179),
            (2007, 2006, -0.0310871193896881, 0.0178775113133435),
            (2007, 2007, -0.0260544107191972, 0.0166554353492522),
        ],
        "Wpval": 0.16814,
        "simple": {
            "overall": (-0.0397636256230444, 0.0120524247873419),
        },
        "dynamic": {
            "overall": (-0.0773993139705857, 0.0195601769463942),
            "egt": [
                (-3, 0.0297593647610305, 0.0145335416386515),
                (-2, -0.00244615388606487, 0.0131203504342708),
                (-1, -0.024268903414507, 0.0144636816758019),
                (0, -0.0189221990834254, 0.0120445686892691),
                (1, -0.0535893473848329, 0.0169463855391251),
                (2, -0.136274346328679, 0.0354033849689097),
                (3, -0.100811363085405, 0.034359225834673),
            ],
        },
        "group": {
            "overall": (-0.0304622281125656, 0.0125751201316818),
            "egt": [
                (2004, -0.0836942930380176, 0.0257015997680066),
                (2006, -0.0182817976131208, 0.0159222358245003),
                (2007, -0.0260544107191972, 0.0166554353492522),
            ],
        },
        "calendar": {
            "overall": (-0.0442670834758847, 0.0155709044211448),
            "egt": [
                (2004, -0.0193723636759231, 0.0223101128836804),
                (2005, -0.0783190990620629, 0.030390228543397),
                (2006, -0.0423175312295756, 0.0190562576431668),
                (2007, -0.0370593399359773, 0.0137470791411186),
            ],
        },
    },
}


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mpdta_frame() -> pd.DataFrame:
    return pd.read_csv(DATA / "mpdta.csv")


@pytest.fixture
def mpdta(mpdta_frame: pd.DataFrame) -> pd.DataFrame:
    return mpdta_frame.copy()


_FITS: dict[str, AttGtResult] = {}


def reference_fit(name: str, data: pd.DataFrame) -> AttGtResult:
    """One att_gt fit per R configuration, shared by the reference tests."""
    if name not in _FITS:
        _FITS[name] = att_gt(data, **MPDTA, **CONFIGS[name])
    return _FITS[name]


def cell(result: AttGtResult, group: float, time: float) -> tuple[float, float]:
    """Estimate and standard error of one ATT(g,t)."""
    index = np.flatnonzero((result.group == group) & (result.time == time))
    assert index.size == 1
    return float(result.estimates[index[0]]), float(result.std_errors[index[0]])


def wide(data: pd.DataFrame) -> pd.DataFrame:
    """mpdta outcomes with one column per year, plus the cohort."""
    table = data.pivot(index="countyreal", columns="year", values="lemp")
    table["g"] = data.groupby("countyreal")["first.treat"].first()
    return table


def did_of_means(table: pd.DataFrame, treated, control, post: int, pre: int) -> float:
    """Mean change post - pre of the treated cohort(s) minus that of the comparison cohorts."""
    change = table[post] - table[pre]
    return float(change[table["g"].isin(treated)].mean() - change[table["g"].isin(control)].mean())


# --------------------------------------------------------------------------------------------
# Against R did 2.5.1
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CONFIGS))
def test_att_gt_matches_r(name: str, mpdta: pd.DataFrame) -> None:
    result = reference_fit(name, mpdta)
    expected = np.array(R_DID[name]["attgt"])
    np.testing.assert_array_equal(result.group, expected[:, 0])
    np.testing.assert_array_equal(result.time, expected[:, 1])
    np.testing.assert_allclose(result.estimates, expected[:, 2], rtol=0, atol=REFERENCE_ATOL)
    np.testing.assert_allclose(result.std_errors, expected[:, 3], rtol=0, atol=REFERENCE_ATOL)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_pretest_matches_r(name: str, mpdta: pd.DataFrame) -> None:
    result = reference_fit(name, mpdta)
    assert round(result.wald_pvalue, 5) == R_DID[name]["Wpval"]
    # varying base period: 5 pre-treatment cells (2006: 2004, 2005; 2007: 2004-2006)
    assert result.wald_df == 5


@pytest.mark.parametrize("kind", ["simple", "dynamic", "group", "calendar"])
@pytest.mark.parametrize("name", list(CONFIGS))
def test_aggregations_match_r(name: str, kind: str, mpdta: pd.DataFrame) -> None:
    aggregated = aggte(reference_fit(name, mpdta), kind)
    expected = R_DID[name][kind]
    assert aggregated.overall_att == pytest.approx(expected["overall"][0], abs=REFERENCE_ATOL)
    assert aggregated.overall_se == pytest.approx(expected["overall"][1], abs=REFERENCE_ATOL)
    if kind == "simple":
        assert aggregated.egt.size == 0
        return
    egt = np.array(expected["egt"])
    np.testing.assert_array_equal(aggregated.egt, egt[:, 0])
    np.testing.assert_allclose(aggregated.att_egt, egt[:, 1], rtol=0, atol=REFERENCE_ATOL)
    np.testing.assert_allclose(aggregated.se_egt, egt[:, 2], rtol=0, atol=REFERENCE_ATOL)


# --------------------------------------------------------------------------------------------
# Known answers
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("control_group", ["nevertreated", "notyettreated"])
def test_estimators_agree_without_covariates(mpdta: pd.DataFrame, control_group: str) -> None:
    fits = {
        method: att_gt(mpdta, **MPDTA, est_method=method, control_group=control_group)
        for method in ("reg", "ipw", "dr")
    }
    for method in ("ipw", "dr"):
        np.testing.assert_allclose(
            fits[method].estimates, fits["reg"].estimates, rtol=0, atol=IDENTITY_ATOL
        )
        np.testing.assert_allclose(
            fits[method].std_errors, fits["reg"].std_errors, rtol=0, atol=IDENTITY_ATOL
        )


def test_cells_are_2x2_did_of_means(mpdta: pd.DataFrame) -> None:
    table = wide(mpdta)
    result = att_gt(mpdta, **MPDTA, est_method="reg")
    # pre-treatment, varying base: consecutive periods
    expected = did_of_means(table, [2006], [0], post=2005, pre=2004)
    assert cell(result, 2006, 2005)[0] == pytest.approx(expected, abs=HAND_ATOL)
    # post-treatment: always against g - 1
    expected = did_of_means(table, [2006], [0], post=2007, pre=2005)
    assert cell(result, 2006, 2007)[0] == pytest.approx(expected, abs=HAND_ATOL)


def test_not_yet_treated_comparison_group_by_hand(mpdta: pd.DataFrame) -> None:
    table = wide(mpdta)
    result = att_gt(mpdta, **MPDTA, control_group="notyettreated")
    # 2004 in 2005: compare with never treated and the 2006 and 2007 cohorts
    expected = did_of_means(table, [2004], [0, 2006, 2007], post=2005, pre=2003)
    assert cell(result, 2004, 2005)[0] == pytest.approx(expected, abs=HAND_ATOL)
    # 2006 before treatment, 2004 -> 2005: the 2007 cohort is not yet treated, 2006 itself is out
    expected = did_of_means(table, [2006], [0, 2007], post=2005, pre=2004)
    assert cell(result, 2006, 2005)[0] == pytest.approx(expected, abs=HAND_ATOL)
    # in 2007 only never-treated units remain as comparisons
    expected = did_of_means(table, [2006], [0], post=2007, pre=2005)
    assert cell(result, 2006, 2007)[0] == pytest.approx(expected, abs=HAND_ATOL)


def test_anticipation_moves_the_base_period(mpdta: pd.DataFrame) -> None:
    table = wide(mpdta)
    result = att_gt(mpdta, **MPDTA, est_method="reg", anticipation=1)
    # 2004 - 1 is the first period: that cohort has no clean base period and is not estimated
    assert sorted(set(result.group)) == [2006, 2007]
    # post-treatment cells of 2006 compare with 2006 - 1 - 1 = 2004
    expected = did_of_means(table, [2006], [0], post=2006, pre=2004)
    assert cell(result, 2006, 2006)[0] == pytest.approx(expected, abs=HAND_ATOL)
    # 2005 is still a pre-treatment cell (varying base: compared with 2004)
    expected = did_of_means(table, [2006], [0], post=2005, pre=2004)
    assert cell(result, 2006, 2005)[0] == pytest.approx(expected, abs=HAND_ATOL)


def test_universal_base_period(mpdta: pd.DataFrame) -> None:
    table = wide(mpdta)
    universal = att_gt(mpdta, **MPDTA, est_method="reg", base_period="universal")
    varying = att_gt(mpdta, **MPDTA, est_method="reg")
    # every period appears, including the first
    assert sorted(set(universal.time)) == [2003, 2004, 2005, 2006, 2007]
    # pre-treatment cells are relative to g - 1 = 2006
    expected = did_of_means(table, [2007], [0], post=2004, pre=2006)
    assert cell(universal, 2007, 2004)[0] == pytest.approx(expected, abs=HAND_ATOL)
    expected = did_of_means(table, [2007], [0], post=2003, pre=2006)
    assert cell(universal, 2007, 2003)[0] == pytest.approx(expected, abs=HAND_ATOL)
    # the base period itself is zero by construction, with no standard error
    estimate, se = cell(universal, 2007, 2006)
    assert estimate == 0.0
    assert np.isnan(se)
    # post-treatment cells do not depend on the base-period choice
    for g, t in [(2004, 2005), (2006, 2007), (2007, 2007)]:
        assert cell(universal, g, t) == pytest.approx(cell(varying, g, t), abs=HAND_ATOL)
    # pre-test: 2006 has 2003, 2004; 2007 has 2003-2005; the zero cells are left out
    assert universal.wald_df == 5
    assert 0 < universal.wald_pvalue < 1


def test_simple_aggregation_is_group_size_weighted_mean(mpdta: pd.DataFrame) -> None:
    result = att_gt(mpdta, **MPDTA, est_method="reg")
    sizes = mpdta.groupby("first.treat")["countyreal"].nunique()
    post = result.group <= result.time
    weights = sizes.loc[result.group[post]].to_numpy(dtype=float)
    expected = float(np.sum(weights * result.estimates[post]) / weights.sum())
    assert aggte(result, "simple").overall_att == pytest.approx(expected, abs=HAND_ATOL)


def test_dynamic_window_and_balancing(mpdta: pd.DataFrame) -> None:
    result = att_gt(mpdta, **MPDTA, est_method="reg")
    full = aggte(result, "dynamic")
    window = aggte(result, "dynamic", min_e=-1, max_e=2)
    np.testing.assert_array_equal(window.egt, [-1, 0, 1, 2])
    np.testing.assert_allclose(window.att_egt, full.att_egt[2:6], rtol=0, atol=HAND_ATOL)
    assert window.overall_att == pytest.approx(np.mean(full.att_egt[3:6]), abs=HAND_ATOL)
    # balance_e = 1: only cohorts seen one period after treatment (2004, 2006) are used
    balanced = aggte(result, "dynamic", balance_e=1)
    np.testing.assert_array_equal(balanced.egt, [-2, -1, 0, 1])
    sizes = mpdta.groupby("first.treat")["countyreal"].nunique()
    (a04, _), (a06, _) = cell(result, 2004, 2004), cell(result, 2006, 2006)
    expected = (sizes[2004] * a04 + sizes[2006] * a06) / (sizes[2004] + sizes[2006])
    assert balanced.att_egt[2] == pytest.approx(expected, abs=HAND_ATOL)


# --------------------------------------------------------------------------------------------
# Sample handling and input safety
# --------------------------------------------------------------------------------------------


def test_string_ids_and_text_cohorts_give_same_numbers(mpdta: pd.DataFrame) -> None:
    reference = att_gt(mpdta, **MPDTA, xformla="~lpop")
    relabelled = mpdta.assign(
        countyreal="county-" + mpdta["countyreal"].astype(str),
        **{"first.treat": mpdta["first.treat"].astype(str)},
    )
    result = att_gt(relabelled, **MPDTA, xformla="~lpop")
    np.testing.assert_allclose(result.estimates, reference.estimates, rtol=0, atol=1e-13)
    np.testing.assert_allclose(result.std_errors, reference.std_errors, rtol=0, atol=1e-13)
    assert list(result.unit_labels) == sorted(relabelled["countyreal"].unique())


def test_row_order_does_not_matter(mpdta: pd.DataFrame) -> None:
    shuffled = mpdta.sample(frac=1.0, random_state=3).reset_index(drop=True)
    kwargs = {"xformla": "~lpop", "bstrap": True, "biters": 199, "cband": True, "seed": 11}
    first = att_gt(mpdta, **MPDTA, **kwargs)
    second = att_gt(shuffled, **MPDTA, **kwargs)
    np.testing.assert_allclose(second.estimates, first.estimates, rtol=0, atol=1e-13)
    np.testing.assert_allclose(second.std_errors, first.std_errors, rtol=0, atol=1e-13)
    assert second.critical_value == pytest.approx(first.critical_value, abs=1e-12)
    assert second.provenance.data_signature == first.provenance.data_signature


def test_input_is_not_modified(mpdta: pd.DataFrame) -> None:
    mpdta["first.treat"] = mpdta["first.treat"].astype(str)  # exercise the text conversion
    mpdta.loc[0, "lemp"] = np.nan  # and the row dropping
    before = mpdta.copy(deep=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CallawaySantAnnaWarning)
        result = att_gt(mpdta, **MPDTA, xformla="~lpop", control_group="notyettreated")
    aggte(result, "dynamic")
    pd.testing.assert_frame_equal(mpdta, before)


def test_unbalanced_panel_drops_incomplete_units(mpdta: pd.DataFrame) -> None:
    units = mpdta["countyreal"].unique()[[3, 100, 400]]
    holes = mpdta.index[mpdta["countyreal"].isin(units) & (mpdta["year"] == 2005)]
    unbalanced = mpdta.drop(index=holes[:2]).drop(
        index=mpdta.index[(mpdta["countyreal"] == units[2]) & (mpdta["year"] >= 2006)]
    )
    with pytest.warns(CallawaySantAnnaWarning, match="Dropped 3 units not observed in all 5"):
        result = att_gt(unbalanced, **MPDTA)
    assert result.n_units_dropped_unbalanced == 3
    assert result.glance()["n_units_dropped_unbalanced"].iloc[0] == 3
    assert result.n_units == 497
    expected = att_gt(mpdta[~mpdta["countyreal"].isin(units)], **MPDTA)
    np.testing.assert_allclose(result.estimates, expected.estimates, rtol=0, atol=1e-14)
    np.testing.assert_allclose(result.std_errors, expected.std_errors, rtol=0, atol=1e-14)


def test_missing_outcome_drops_the_unit(mpdta: pd.DataFrame) -> None:
    mpdta.loc[mpdta.index[7], "lemp"] = np.nan
    with pytest.warns(CallawaySantAnnaWarning) as caught:
        result = att_gt(mpdta, **MPDTA)
    messages = " ".join(str(w.message) for w in caught)
    assert "Dropped 1 rows" in messages and "Dropped 1 units" in messages
    assert result.n_units == 499


def test_cohorts_after_last_period_count_as_never_treated(mpdta: pd.DataFrame) -> None:
    reference = att_gt(mpdta, **MPDTA)
    never = mpdta["first.treat"] == 0
    late = mpdta.assign(**{"first.treat": np.where(never, 2010, mpdta["first.treat"])})
    np.testing.assert_allclose(att_gt(late, **MPDTA).estimates, reference.estimates, atol=1e-14)
    missing = mpdta.assign(**{"first.treat": np.where(never, np.nan, mpdta["first.treat"])})
    np.testing.assert_allclose(att_gt(missing, **MPDTA).estimates, reference.estimates, atol=1e-14)


def test_units_treated_in_first_period_are_dropped(mpdta: pd.DataFrame) -> None:
    early_units = mpdta["countyreal"].unique()[:4]
    early = mpdta.assign(
        **{
            "first.treat": np.where(
                mpdta["countyreal"].isin(early_units), 2003, mpdta["first.treat"]
            )
        }
    )
    with pytest.warns(CallawaySantAnnaWarning, match="Dropped 4 units that were already treated"):
        result = att_gt(early, **MPDTA)
    assert result.n_units_dropped_first_period == 4
    expected = att_gt(mpdta[~mpdta["countyreal"].isin(early_units)], **MPDTA)
    np.testing.assert_allclose(result.estimates, expected.estimates, rtol=0, atol=1e-14)


def test_time_varying_covariate_is_taken_from_the_earlier_period(mpdta: pd.DataFrame) -> None:
    rng = np.random.default_rng(5)
    varying = mpdta.assign(x=mpdta["lpop"] + rng.normal(scale=0.5, size=len(mpdta)))
    result = att_gt(varying, **MPDTA, xformla="~x")
    # post-treatment cells of the 2004 cohort all condition on x in 2003
    x2003 = varying.loc[varying["year"] == 2003].set_index("countyreal")["x"]
    frozen = varying.assign(x=varying["countyreal"].map(x2003))
    expected = att_gt(frozen, **MPDTA, xformla="~x")
    for t in (2004, 2005, 2006, 2007):
        assert cell(result, 2004, t) == pytest.approx(cell(expected, 2004, t), abs=1e-12)


def test_not_yet_treated_without_never_treated_units(mpdta: pd.DataFrame) -> None:
    treated_only = mpdta[mpdta["first.treat"] > 0]
    with pytest.warns(CallawaySantAnnaWarning, match="No never-treated units"):
        result = att_gt(treated_only, **MPDTA, control_group="notyettreated")
    assert sorted(set(result.group)) == [2004, 2006]
    assert max(result.time) == 2006
    expected = did_of_means(wide(treated_only), [2004], [2006, 2007], post=2004, pre=2003)
    assert cell(result, 2004, 2004)[0] == pytest.approx(expected, abs=HAND_ATOL)


def test_cells_without_regression_support_are_missing(mpdta: pd.DataFrame) -> None:
    # x is constant among never-treated units: with only them as comparisons (periods >= 2007)
    # the outcome regression is singular and R did returns NA for those cells
    rng = np.random.default_rng(1)
    units = mpdta["countyreal"].unique()
    x = pd.Series(rng.normal(size=units.size), index=units)
    data = mpdta.assign(x=np.where(mpdta["first.treat"] == 0, 1.0, mpdta["countyreal"].map(x)))
    with pytest.warns(CallawaySantAnnaWarning, match="not enough comparison units"):
        result = att_gt(
            data, **MPDTA, xformla="~x", est_method="reg", control_group="notyettreated"
        )
    missing = np.isnan(result.estimates)
    # comparison units with t (and, before treatment, the later period) < 2007 exist; else not
    cells = set(zip(result.group[missing], result.time[missing], strict=True))
    assert cells == {(2004, 2007), (2006, 2007), (2007, 2006), (2007, 2007)}
    with pytest.raises(EstimationError, match="na_rm=True"):
        aggte(result, "simple")
    simple = aggte(result, "simple", na_rm=True)
    kept = ~missing & (result.group <= result.time)
    sizes = mpdta.groupby("first.treat")["countyreal"].nunique()
    weights = sizes.loc[result.group[kept]].to_numpy(dtype=float)
    expected = np.sum(weights * result.estimates[kept]) / weights.sum()
    assert simple.overall_att == pytest.approx(expected, abs=HAND_ATOL)


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


def test_no_never_treated_units_is_an_error(mpdta: pd.DataFrame) -> None:
    with pytest.raises(EstimationError, match=r"no never-treated units.*notyettreated"):
        att_gt(mpdta[mpdta["first.treat"] > 0], **MPDTA)


def test_missing_column_is_a_parameter_error(mpdta: pd.DataFrame) -> None:
    with pytest.raises(ParameterError, match="lemp2"):
        att_gt(mpdta, **{**MPDTA, "yname": "lemp2"})
    with pytest.raises(ParameterError, match="popul"):
        att_gt(mpdta, **MPDTA, xformla="~ popul")


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("control_group", "never"),
        ("est_method", "ols"),
        ("base_period", "fixed"),
        ("anticipation", -1),
        ("alp", 1.5),
        ("biters", 0),
        ("xformla", "lpop"),
        ("xformla", "~ log(lpop)"),
        ("seed", "seven"),
    ],
)
def test_invalid_options_are_parameter_errors(mpdta: pd.DataFrame, option: str, value) -> None:
    with pytest.raises(ParameterError):
        att_gt(mpdta, **MPDTA, **{option: value})


def test_band_and_clusters_need_the_bootstrap(mpdta: pd.DataFrame) -> None:
    with pytest.raises(ParameterError, match="bstrap=True"):
        att_gt(mpdta, **MPDTA, cband=True)
    with pytest.raises(ParameterError, match="bstrap=True"):
        att_gt(mpdta.assign(state=mpdta["countyreal"] // 1000), **MPDTA, clustervars="state")


def test_bad_data_are_validation_errors(mpdta: pd.DataFrame) -> None:
    with pytest.raises(DataValidationError, match="numeric"):
        att_gt(mpdta.assign(lemp=mpdta["lemp"].astype(str)), **MPDTA)
    with pytest.raises(DataValidationError, match="more than one row"):
        att_gt(pd.concat([mpdta, mpdta.head(1)]), **MPDTA)
    varying_cluster = mpdta.assign(state=np.arange(len(mpdta)) % 7)
    with pytest.raises(DataValidationError, match="changes over time"):
        att_gt(varying_cluster, **MPDTA, clustervars=["countyreal", "state"], bstrap=True)


def test_collinear_covariates_give_missing_cells(mpdta: pd.DataFrame) -> None:
    data = mpdta.assign(double=2 * mpdta["lpop"])
    with pytest.warns(CallawaySantAnnaWarning, match="set to NaN"):
        result = att_gt(data, **MPDTA, xformla="~ lpop + double", est_method="ipw")
    assert np.isnan(result.estimates).all()


def test_aggte_rejects_bad_arguments(mpdta: pd.DataFrame) -> None:
    result = att_gt(mpdta, **MPDTA)
    with pytest.raises(ParameterError, match="type"):
        aggte(result, "event")
    with pytest.raises(ParameterError, match="att_gt"):
        aggte(result.tidy(), "simple")


# --------------------------------------------------------------------------------------------
# Bootstrap
# --------------------------------------------------------------------------------------------


def test_bootstrap_is_reproducible_with_a_seed(mpdta: pd.DataFrame) -> None:
    kwargs = {"bstrap": True, "biters": 199, "cband": True}
    first = att_gt(mpdta, **MPDTA, **kwargs, seed=7)
    again = att_gt(mpdta, **MPDTA, **kwargs, seed=7)
    other = att_gt(mpdta, **MPDTA, **kwargs, seed=8)
    np.testing.assert_array_equal(first.std_errors, again.std_errors)
    assert first.critical_value == again.critical_value
    assert not np.array_equal(first.std_errors, other.std_errors)
    dynamic = aggte(first, "dynamic")
    np.testing.assert_array_equal(dynamic.std_errors, aggte(again, "dynamic").std_errors)


def test_bootstrap_standard_errors_are_close_to_analytic(mpdta: pd.DataFrame) -> None:
    analytic = att_gt(mpdta, **MPDTA, xformla="~lpop")
    boot = att_gt(mpdta, **MPDTA, xformla="~lpop", bstrap=True, biters=999, seed=2024)
    np.testing.assert_allclose(boot.std_errors, analytic.std_errors, rtol=0.10)
    np.testing.assert_array_equal(boot.estimates, analytic.estimates)
    for kind in ("simple", "dynamic", "group", "calendar"):
        np.testing.assert_allclose(
            aggte(boot, kind).std_errors, aggte(analytic, kind).std_errors, rtol=0.10
        )


def test_simultaneous_band_is_wider_than_pointwise(mpdta: pd.DataFrame) -> None:
    result = att_gt(mpdta, **MPDTA, bstrap=True, biters=999, cband=True, seed=1)
    z = stats.norm.ppf(0.975)
    # sup-t over 12 nearly independent cells: roughly the 1 - 0.05/12 normal quantile
    assert z < result.critical_value < 3.5
    table = result.tidy()
    half_width = (table["conf_high"] - table["estimate"]).to_numpy()
    np.testing.assert_allclose(half_width, result.critical_value * result.std_errors, rtol=1e-12)
    dynamic = aggte(result, "dynamic")
    assert dynamic.config.cband and dynamic.critical_value > z
    rows = dynamic.tidy()
    overall_half = rows["conf_high"].iloc[0] - rows["estimate"].iloc[0]
    assert overall_half == pytest.approx(z * dynamic.overall_se, rel=1e-12)
    # the band can be asked for from an analytic fit: only the critical value is bootstrapped
    analytic = att_gt(mpdta, **MPDTA, seed=1)
    banded = aggte(analytic, "dynamic", cband=True, biters=999)
    assert banded.critical_value > z
    np.testing.assert_array_equal(banded.std_errors, aggte(analytic, "dynamic").std_errors)


def test_clustered_bootstrap(mpdta: pd.DataFrame) -> None:
    data = mpdta.assign(state=mpdta["countyreal"] // 1000)
    result = att_gt(data, **MPDTA, bstrap=True, biters=499, seed=3, clustervars="state")
    assert result.glance()["n_clusters"].iloc[0] == data["state"].nunique()
    unclustered = att_gt(data, **MPDTA, bstrap=True, biters=499, seed=3)
    assert not np.allclose(result.std_errors, unclustered.std_errors, rtol=0.01)
    assert aggte(result, "simple").overall_se > 0


# --------------------------------------------------------------------------------------------
# Result objects
# --------------------------------------------------------------------------------------------


def test_result_read_outs(mpdta: pd.DataFrame) -> None:
    result = reference_fit("B_lpop_never_dr", mpdta)
    table = result.tidy()
    assert list(table.columns) == list(TIDY_COLUMNS)
    assert len(table) == 12
    assert table["term"].iloc[0] == "ATT(2004,2004)"
    row = table.iloc[1]
    assert (row["group"], row["time"]) == (2004, 2005)
    z = stats.norm.ppf(0.975)
    assert row["conf_low"] == pytest.approx(row["estimate"] - z * row["std_error"], rel=1e-12)
    glance = result.glance()
    assert len(glance) == 1
    assert glance["wald_pvalue"].iloc[0] == pytest.approx(result.wald_pvalue)
    assert glance["est_method"].iloc[0] == "dr"
    text = result.summary()
    assert "ATT(2007,2007)" in text and "parallel trends" in text and "lpop" in text
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.critical_value = 1.0  # type: ignore[misc]
    for array in (result.estimates, result.std_errors, result.influence, result.unit_cohort):
        assert not array.flags.writeable

    dynamic = aggte(result, "dynamic")
    assert isinstance(dynamic, AggteResult)
    rows = dynamic.tidy()
    assert rows["term"].tolist()[:2] == ["ATT", "ATT(e=-3)"]
    np.testing.assert_array_equal(rows["time"].to_numpy()[1:], [-3, -2, -1, 0, 1, 2, 3])
    assert np.isnan(rows["group"]).all()
    by_group = aggte(result).tidy()  # R's default type is "group"
    np.testing.assert_array_equal(by_group["group"].to_numpy()[1:], [2004, 2006, 2007])
    assert "Aggregation: dynamic" in dynamic.summary()
    assert dynamic.glance()["type"].iloc[0] == "dynamic"


# --------------------------------------------------------------------------------------------
# Simulation with planted effects
# --------------------------------------------------------------------------------------------

SIM_PERIODS = np.arange(1, 7)
SIM_COHORTS = np.array([0, 3, 4, 5])


def planted_effect(group: float, time: float) -> float:
    """True ATT(g,t): grows with exposure, smaller for later cohorts, zero before treatment."""
    exposure = time - group
    return 0.0 if exposure < 0 else 0.5 + 0.25 * exposure - 0.2 * (group - 3)


def simulate_panel(
    rng: np.random.Generator, n_units: int, confounded: bool = False
) -> pd.DataFrame:
    """Staggered panel; if ``confounded``, the cohorts select on x and x drives the trend.

    Cohort probabilities are multinomial logit in x, so each cohort-vs-never comparison has an
    exact logit propensity score, and the outcome trend is linear in x: reg, ipw and dr with
    ``~ x`` are all consistent, the unconditional comparison is not.
    """
    x = rng.normal(size=n_units)
    selection, trend = (1.0, 0.3) if confounded else (0.0, 0.0)
    scores = np.column_stack([np.zeros(n_units)] + [selection * x] * 3)
    probabilities = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    draws = rng.random(n_units)[:, None] > np.cumsum(probabilities, axis=1)
    cohort = SIM_COHORTS[draws.sum(axis=1)]
    unit_effect = rng.normal(size=n_units) + 0.3 * cohort
    unit = np.repeat(np.arange(n_units), SIM_PERIODS.size)
    time = np.tile(SIM_PERIODS, n_units)
    g = cohort[unit]
    effect = np.array(
        [planted_effect(a, b) if a > 0 else 0.0 for a, b in zip(g, time, strict=True)]
    )
    y = (
        unit_effect[unit]
        + 0.2 * time
        + trend * x[unit] * time
        + effect
        + rng.normal(scale=1.0, size=unit.size)
    )
    return pd.DataFrame({"id": unit, "t": time, "g": g, "y": y, "x": x[unit]})


SIM = {"yname": "y", "tname": "t", "idname": "id", "gname": "g"}


def test_simulation_recovers_planted_effects() -> None:
    data = simulate_panel(np.random.default_rng(42), n_units=3000)
    result = att_gt(data, **SIM, est_method="reg")
    truth = np.array([planted_effect(g, t) for g, t in zip(result.group, result.time, strict=True)])
    z_scores = (result.estimates - truth) / result.std_errors
    assert np.max(np.abs(z_scores)) < 4
    dynamic = aggte(result, "dynamic")
    shares = pd.Series(result.unit_cohort).value_counts()
    for e, estimate, se in zip(dynamic.egt, dynamic.att_egt, dynamic.se_egt, strict=True):
        cohorts = [g for g in (3, 4, 5) if 1 < g + e <= 6]
        weights = shares.loc[cohorts].to_numpy(dtype=float)
        expected = np.sum(weights * [planted_effect(g, g + e) for g in cohorts]) / weights.sum()
        assert abs(estimate - expected) < 4 * se


def test_simulation_covariates_remove_confounded_trends() -> None:
    data = simulate_panel(np.random.default_rng(7), n_units=4000, confounded=True)
    truth = planted_effect(3, 5)
    unconditional = cell(att_gt(data, **SIM, est_method="reg"), 3, 5)
    assert abs(unconditional[0] - truth) > 6 * unconditional[1]
    for method in ("dr", "ipw", "reg"):
        estimate, se = cell(att_gt(data, **SIM, xformla="~ x", est_method=method), 3, 5)
        assert abs(estimate - truth) < 4 * se, method


def test_simulation_pointwise_coverage() -> None:
    rng = np.random.default_rng(2021)
    draws = 200
    covered = 0
    truth = planted_effect(3, 5)
    for _ in range(draws):
        data = simulate_panel(rng, n_units=240)
        estimate, se = cell(att_gt(data, **SIM, est_method="reg"), 3, 5)
        covered += abs(estimate - truth) <= stats.norm.ppf(0.975) * se
    low, high = stats.binom.ppf([0.001, 0.999], draws, 0.95)
    assert low <= covered <= high, covered
