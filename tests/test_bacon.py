"""Goodman-Bacon decomposition against R bacondecomp 0.1.3 and hand-computed answers.

Tolerances
----------
- ``TWO_BY_TWO_ATOL = 1e-10`` (absolute) on every 2×2 estimate and weight: R printed them with
  15 significant digits and both sides compute the same closed forms in double precision
  (observed difference: about 1e-15). The project requires 1e-6.
- ``TWFE_ATOL = 5e-8``: R printed the TWFE coefficient with 7 significant digits (0.0818116),
  so rounding alone allows half a unit in the 7th decimal.
- ``BY_TYPE_ATOL = 5e-6``: ``bacon_summary`` rounds weights and averages to 5 decimals.
- ``KNOWN_ANSWER_ATOL = 1e-12``: the hand-computed examples are exact rational numbers.

Reference numbers: ``/work/shared/reference/reference.json`` key ``castle_bacon``, produced by
``bacondecomp::bacon(l_homicide ~ post, data = castle, id_var = "state", time_var = "year")``.
Data origin: ``tests/data/README.md``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ylt_eval.errors import DataValidationError, EstimationError, ParameterError
from ylt_eval.models import TIDY_COLUMNS, twfe
from ylt_eval.models.bacon import BaconResult, bacon

DATA = Path(__file__).resolve().parent / "data"
TWO_BY_TWO_ATOL = 1e-10
TWFE_ATOL = 5e-8
BY_TYPE_ATOL = 5e-6
KNOWN_ANSWER_ATOL = 1e-12
CASTLE = {"yname": "l_homicide", "tname": "year", "idname": "state", "gname": "effyear"}

R_TWFE = 0.0818116
# bacon_summary(): type, weight, avg_est (rounded to 5 decimals by R)
R_BY_TYPE = {
    "earlier_vs_later": (0.05976, -0.00554),
    "later_vs_earlier": (0.0319, 0.07032),
    "treated_vs_untreated": (0.90834, 0.08796),
}
# (treated, untreated or None for never treated, estimate, weight, R type)
R_TWO_BY_TWOS = [
    (2005, 2006, -0.0831293229873366, 0.00340456735805573, "Earlier vs Later Treated"),
    (2007, 2006, 0.125963650643826, 0.0108946155457783, "Later vs Earlier Treated"),
    (2009, 2006, 0.112096382257266, 0.00408548082966687, "Later vs Earlier Treated"),
    (2008, 2006, 0.110690479095165, 0.00817096165933375, "Later vs Earlier Treated"),
    (2006, None, 0.0682358666149381, 0.592394720301697, "Treated vs Untreated"),
    (2005, None, 0.0801665250629454, 0.0455688246385921, "Treated vs Untreated"),
    (2007, None, 0.114061529924772, 0.170123611984077, "Treated vs Untreated"),
    (2009, None, 0.211080548371335, 0.0273412947831552, "Treated vs Untreated"),
    (2008, None, 0.14604676592608, 0.0729101194217473, "Treated vs Untreated"),
    (2006, 2005, -0.146071180930505, 0.00340456735805573, "Later vs Earlier Treated"),
    (2007, 2005, -0.108061471953988, 0.00167609469935051, "Later vs Earlier Treated"),
    (2009, 2005, 0.179521009325981, 0.000419023674837628, "Later vs Earlier Treated"),
    (2008, 2005, -0.048978328704834, 0.000942803268384664, "Later vs Earlier Treated"),
    (2006, 2007, 0.0830158174324496, 0.0163419233186675, "Earlier vs Later Treated"),
    (2005, 2007, -0.116723752394318, 0.00209511837418814, "Earlier vs Later Treated"),
    (2009, 2007, 0.00373099744319916, 0.000838047349675257, "Later vs Earlier Treated"),
    (2008, 2007, 0.144793147842089, 0.00125707102451289, "Later vs Earlier Treated"),
    (2006, 2009, -0.0822573002332296, 0.0122564424890006, "Earlier vs Later Treated"),
    (2005, 2009, 0.097135391831398, 0.00104755918709407, "Earlier vs Later Treated"),
    (2007, 2009, -0.0159835299210889, 0.0029331657238634, "Earlier vs Later Treated"),
    (2008, 2009, -0.179889425635338, 0.000838047349675257, "Earlier vs Later Treated"),
    (2006, 2008, -0.00847677198740153, 0.0163419233186675, "Earlier vs Later Treated"),
    (2005, 2008, -0.1412277897199, 0.00157133878064111, "Earlier vs Later Treated"),
    (2007, 2008, 0.103721763406481, 0.0029331657238634, "Earlier vs Later Treated"),
    (2009, 2008, -0.130775332450867, 0.000209511837418814, "Later vs Earlier Treated"),
]
R_TYPE_NAMES = {
    "Earlier vs Later Treated": "earlier_vs_later",
    "Later vs Earlier Treated": "later_vs_earlier",
    "Treated vs Untreated": "treated_vs_untreated",
}


@pytest.fixture(scope="module")
def castle() -> pd.DataFrame:
    return pd.read_csv(DATA / "castle.csv")


@pytest.fixture(scope="module")
def castle_fit(castle: pd.DataFrame) -> BaconResult:
    return bacon(castle, **CASTLE)


# --------------------------------------------------------------------------------------------
# Against R bacondecomp
# --------------------------------------------------------------------------------------------


def test_castle_twfe_coefficient_matches_r(castle_fit: BaconResult) -> None:
    assert castle_fit.overall == pytest.approx(R_TWFE, abs=TWFE_ATOL)
    assert castle_fit.decomposition_sum == pytest.approx(R_TWFE, abs=TWFE_ATOL)


def test_castle_every_two_by_two_matches_r(castle_fit: BaconResult) -> None:
    table = castle_fit.two_by_twos()
    assert len(table) == len(R_TWO_BY_TWOS)
    ours = {
        (int(row.treated), None if pd.isna(row.untreated) else int(row.untreated)): row
        for row in table.itertuples()
    }
    for treated, untreated, estimate, weight, r_type in R_TWO_BY_TWOS:
        row = ours[(treated, untreated)]
        assert row.type == R_TYPE_NAMES[r_type]
        assert row.estimate == pytest.approx(estimate, abs=TWO_BY_TWO_ATOL)
        assert row.weight == pytest.approx(weight, abs=TWO_BY_TWO_ATOL)


def test_castle_by_type_matches_r_summary(castle_fit: BaconResult) -> None:
    table = castle_fit.by_type()
    assert list(table["type"]) == list(R_BY_TYPE)
    for row in table.itertuples():
        weight, estimate = R_BY_TYPE[row.type]
        assert row.weight == pytest.approx(weight, abs=BY_TYPE_ATOL)
        assert row.estimate == pytest.approx(estimate, abs=BY_TYPE_ATOL)
    assert table["weight"].sum() == pytest.approx(1.0, abs=1e-14)
    assert float(table["weight"] @ table["estimate"]) == pytest.approx(
        castle_fit.overall, abs=1e-14
    )


def test_castle_overall_equals_independent_twfe_fit(
    castle: pd.DataFrame, castle_fit: BaconResult
) -> None:
    assert castle_fit.overall == pytest.approx(
        twfe(castle, **CASTLE).estimate_of("post"), abs=1e-12
    )


# --------------------------------------------------------------------------------------------
# Known answers by hand
# --------------------------------------------------------------------------------------------


def _three_group_panel() -> pd.DataFrame:
    """U never treated, E treated from period 2, L from period 4; periods 1..4.

    y_U = 0 0 0 0, y_E = 0 1 2 3, y_L = 0 0 0 5.
    """
    outcomes = {"U": [0, 0, 0, 0], "E": [0, 1, 2, 3], "L": [0, 0, 0, 5]}
    cohorts = {"U": 0, "E": 2, "L": 4}
    return pd.DataFrame(
        [
            {"id": unit, "t": t, "g": cohorts[unit], "y": float(values[t - 1])}
            for unit, values in outcomes.items()
            for t in range(1, 5)
        ]
    )


def test_three_groups_by_hand() -> None:
    # Weights (row counts n, treated shares D; Goodman-Bacon eq. 10a-c):
    #   E vs U: (4+4)^2 * 1/2*1/2 * 3/4*1/4 = 3       DiD: mean(1,2,3) - 0 = 2
    #   L vs U: (4+4)^2 * 1/4 * 1/4*3/4 = 3           DiD: 5 - 0 = 5
    #   E vs L, periods 1-3: (3+3)^2 * 1/4 * 2/3*1/3 = 2   gap E-L 0,1,2: 1.5 - 0 = 1.5
    #   L vs E, periods 2-4: (3+3)^2 * 1/4 * 1/3*2/3 = 2   gap L-E -1,-2,2: 2 - (-1.5) = 3.5
    # Total 10; TWFE = .3*2 + .3*5 + .2*1.5 + .2*3.5 = 3.1
    result = bacon(_three_group_panel(), "y", "t", "id", "g")
    table = result.two_by_twos().set_index(["treated", "untreated"])
    expected = {
        (2, pd.NA): (2.0, 0.3, "treated_vs_untreated"),
        (4, pd.NA): (5.0, 0.3, "treated_vs_untreated"),
        (2, 4): (1.5, 0.2, "earlier_vs_later"),
        (4, 2): (3.5, 0.2, "later_vs_earlier"),
    }
    assert len(table) == len(expected)
    for (treated, untreated), (estimate, weight, kind) in expected.items():
        row = table.loc[(treated, untreated)]
        assert row["estimate"] == pytest.approx(estimate, abs=KNOWN_ANSWER_ATOL)
        assert row["weight"] == pytest.approx(weight, abs=KNOWN_ANSWER_ATOL)
        assert row["type"] == kind
    assert result.overall == pytest.approx(3.1, abs=KNOWN_ANSWER_ATOL)
    by_type = result.by_type().set_index("type")
    assert by_type.loc["treated_vs_untreated", "weight"] == pytest.approx(0.6)
    assert by_type.loc["treated_vs_untreated", "estimate"] == pytest.approx(3.5)
    assert result.estimate_of("later_vs_earlier") == pytest.approx(3.5)


def test_always_treated_and_late_cohorts_keep_the_identity() -> None:
    # Units treated before the panel starts are "always treated"; a cohort after the last
    # period is never treated within the sample. The decomposition must still add up to TWFE.
    rng = np.random.default_rng(7)
    cohorts = [0, 0, 2001, 2003, 2003, 2005, 2006, 2009, 1999, 2000, 2015]
    rows = []
    for i in range(44):
        g = cohorts[i % len(cohorts)]
        for t in range(2000, 2010):
            effect = (t - g + 1) * 0.3 * (i % 3) if 0 < g <= t else 0.0
            rows.append({"id": f"u{i:02d}", "t": t, "g": g, "y": rng.normal() + effect})
    data = pd.DataFrame(rows)
    result = bacon(data, "y", "t", "id", "g")
    assert result.decomposition_sum == pytest.approx(result.overall, abs=1e-12)
    assert result.overall == pytest.approx(twfe(data, "y", "t", "id", "g").estimate_of("post"))
    kinds = set(result.two_by_twos()["type"])
    assert kinds == {
        "earlier_vs_later",
        "later_vs_earlier",
        "treated_vs_untreated",
        "later_vs_always_treated",
    }
    # 2015 is never treated in 2000-2009: it joins the untreated group, not a timing group.
    assert 2015 not in set(result.two_by_twos()["treated"].dropna())
    assert any("first period" in note for note in result.notes)


# --------------------------------------------------------------------------------------------
# Refusals
# --------------------------------------------------------------------------------------------


def test_unbalanced_panel_is_refused(castle: pd.DataFrame) -> None:
    with pytest.raises(DataValidationError, match="balanced panel"):
        bacon(castle.iloc[1:], **CASTLE)


def test_missing_outcome_makes_the_panel_unbalanced(castle: pd.DataFrame) -> None:
    data = castle.copy()
    data.loc[3, "l_homicide"] = np.nan
    with pytest.raises(DataValidationError, match="missing 'l_homicide'"):
        bacon(data, **CASTLE)


def test_single_timing_group_is_refused() -> None:
    data = _three_group_panel()
    data = data[data["id"] != "L"].assign(g=lambda d: np.where(d["id"] == "U", 2, d["g"]))
    with pytest.raises(EstimationError):
        bacon(data, "y", "t", "id", "g")


def test_unknown_column_is_a_parameter_error(castle: pd.DataFrame) -> None:
    with pytest.raises(ParameterError, match="effyr"):
        bacon(castle, "l_homicide", "year", "state", "effyr")


# --------------------------------------------------------------------------------------------
# Result object and data handling
# --------------------------------------------------------------------------------------------


def test_input_not_modified_and_row_order_irrelevant(
    castle: pd.DataFrame, castle_fit: BaconResult
) -> None:
    shuffled = castle.sample(frac=1.0, random_state=3)
    before = shuffled.copy(deep=True)
    result = bacon(shuffled, **CASTLE)
    pd.testing.assert_frame_equal(shuffled, before)
    pd.testing.assert_frame_equal(result.two_by_twos(), castle_fit.two_by_twos())
    assert result.provenance.data_signature == castle_fit.provenance.data_signature


def test_result_is_immutable(castle_fit: BaconResult) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        castle_fit.comparison_weight = np.zeros(3)  # type: ignore[misc]
    with pytest.raises(ValueError):
        castle_fit.comparison_weight[0] = 1.0
    # the tables handed out are copies
    table = castle_fit.two_by_twos()
    table.loc[0, "weight"] = 99.0
    assert castle_fit.two_by_twos().loc[0, "weight"] != 99.0


def test_tidy_glance_summary(castle_fit: BaconResult) -> None:
    tidy = castle_fit.tidy()
    assert list(tidy.columns) == list(TIDY_COLUMNS)
    assert list(tidy["term"]) == ["twfe", *R_BY_TYPE]
    assert tidy["std_error"].isna().all()
    glance = castle_fit.glance()
    assert len(glance) == 1
    assert glance.loc[0, "estimator"] == "bacon_decomposition"
    assert glance.loc[0, "n_comparisons"] == 25
    assert glance.loc[0, "twfe"] == pytest.approx(R_TWFE, abs=TWFE_ATOL)
    text = castle_fit.summary()
    assert "treated_vs_untreated" in text
    assert "0.90834" in text
