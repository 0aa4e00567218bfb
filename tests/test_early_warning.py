"""Tests of ylt_eval.metrics.early_warning and of the combined table of
ylt_eval.metrics.assessment. Expected values are worked out by hand in the comments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ylt_eval.errors import ParameterError
from ylt_eval.metrics.assessment import (
    ASSESSMENT_COLUMNS,
    assess,
    assess_with_warnings,
    assessment_warnings,
)
from ylt_eval.metrics.early_warning import WARNING_COLUMNS, WarningRules, detect_warnings

NAN = float("nan")


def long_table(rows, province="某省"):
    """rows: (county_code, period, indicator, value)."""
    frame = pd.DataFrame(rows, columns=["county_code", "period", "indicator", "value"])
    frame.insert(1, "county_name", "县" + frame["county_code"])
    frame.insert(2, "province", province)
    return frame


def rules_of(warnings, county, period, code):
    chosen = warnings[
        (warnings["county_code"] == county)
        & (warnings["period"] == period)
        & (warnings["indicator"] == code)
    ]
    return list(chosen["rule"])


# ---------------------------------------------------------------------------------------------
# target_missed
# ---------------------------------------------------------------------------------------------


def test_missed_level_target_has_a_full_sentence():
    warnings = detect_warnings(long_table([("100001", 2023, "in_county_visit_rate", 86.0)]))
    assert tuple(warnings.columns) == WARNING_COLUMNS
    assert list(warnings["rule"]) == ["target_missed"]
    assert warnings["reason_zh"].iloc[0] == "2023年县域内就诊率为86.0%，未达到目标：不低于90%。"
    assert warnings["reason_en"].iloc[0] == (
        "Share of residents' visits made inside the county was 86.0% in 2023, missing the "
        "target: at least 90%."
    )


def test_missed_direction_target_names_the_previous_value():
    frame = long_table(
        [("100001", 2022, "tcm_visit_share", 11.0), ("100001", 2023, "tcm_visit_share", 10.0)]
    )
    warnings = detect_warnings(frame)
    assert list(warnings["period"]) == ["2023"]
    assert warnings["reason_zh"].iloc[0] == (
        "2023年县域内中医类诊疗量占比为10.0%，上期为11.0%，未达到目标：较上期提高。"
    )
    assert warnings["reason_en"].iloc[0] == (
        "TCM share of in-county visits was 10.0% in 2023 against 11.0% in the previous "
        "period, missing the target: higher than in the previous period."
    )


def test_met_and_insufficient_targets_give_no_warning():
    frame = long_table(
        [
            ("100001", 2023, "in_county_visit_rate", 92.0),  # met
            ("100002", 2023, "in_county_visit_rate", NAN),  # insufficient data
        ]
    )
    assert detect_warnings(frame).empty


# ---------------------------------------------------------------------------------------------
# wrong_way
# ---------------------------------------------------------------------------------------------

WRONG_WAY = "primary_oe_visit_share"  # direction up, no target in the default set


def test_two_half_years_in_a_row_the_wrong_way():
    frame = long_table(
        [
            ("100001", "2024H1", WRONG_WAY, 48.0),  # rows deliberately out of order
            ("100001", "2023H1", WRONG_WAY, 50.0),
            ("100001", "2023H2", WRONG_WAY, 49.0),
        ]
    )
    warnings = detect_warnings(frame)
    # Only 2024H1 closes a run of two worse periods (50 → 49 → 48).
    assert list(warnings["period"]) == ["2024H1"]
    assert list(warnings["rule"]) == ["wrong_way"]
    assert warnings["reason_zh"].iloc[0] == (
        "县域内基层医疗卫生机构门急诊占比连续2期向不利方向变化："
        "2023年上半年50.0%，2023年下半年49.0%，2024年上半年48.0%。"
    )
    assert warnings["reason_en"].iloc[0] == (
        "Primary-care share of in-county outpatient and emergency visits moved in the "
        "undesirable direction 2 periods in a row: 50.0% (2023 H1), 49.0% (2023 H2), "
        "48.0% (2024 H1)."
    )


@pytest.mark.parametrize(
    ("rows", "why"),
    [
        ([("2021", 50.0), ("2022", 49.0), ("2023", 49.0)], "unchanged is not worse"),
        ([("2021", 50.0), ("2022", 51.0), ("2023", 49.0)], "only one wrong-way move"),
        ([("2023H1", 50.0), ("2024H1", 49.0), ("2024H2", 48.0)], "a gap breaks the run"),
        ([("2022H2", 50.0), ("2023", 49.0), ("2024H1", 48.0)], "annual and half-year apart"),
    ],
)
def test_no_wrong_way_warning(rows, why):
    frame = long_table([("100001", period, WRONG_WAY, value) for period, value in rows])
    assert detect_warnings(frame).empty, why


def test_wrong_way_for_down_and_target_directions_and_longer_runs():
    frame = long_table(
        [
            # drug_share_county is "down": rising twice is the wrong way.
            ("100001", 2021, "drug_share_county", 30.0),
            ("100001", 2022, "drug_share_county", 31.0),
            ("100001", 2023, "drug_share_county", 32.0),
            # monitor indicators never warn for direction.
            ("100001", 2021, "referral_up_rate", 1.0),
            ("100001", 2022, "referral_up_rate", 2.0),
            ("100001", 2023, "referral_up_rate", 3.0),
        ]
    )
    warnings = detect_warnings(frame)
    assert rules_of(warnings, "100001", "2023", "drug_share_county") == ["wrong_way"]
    assert warnings["indicator"].eq("drug_share_county").all()
    # Three moves are needed with wrong_way_periods = 3.
    assert detect_warnings(frame, rules=WarningRules(wrong_way_periods=3)).empty


def test_wrong_way_away_from_a_target_value():
    # pay_ratio_primary_county aims at 1; 0.9 → 0.8 → 0.7 drifts away (also misses its
    # direction target in 2022 and 2023).
    frame = long_table(
        [("100001", y, "pay_ratio_primary_county", v) for y, v in ((2021, 0.9), (2022, 0.8),
                                                                    (2023, 0.7))]
    )  # fmt: skip
    warnings = detect_warnings(frame)
    assert rules_of(warnings, "100001", "2023", "pay_ratio_primary_county") == [
        "target_missed",
        "wrong_way",
    ]
    assert rules_of(warnings, "100001", "2022", "pay_ratio_primary_county") == ["target_missed"]


# ---------------------------------------------------------------------------------------------
# peer_outlier
# ---------------------------------------------------------------------------------------------

MONITOR = "inpatient_cost_per_admission"  # monitor: no target, no direction


def outlier_table(values):
    return long_table([(f"10000{i}", 2023, MONITOR, v) for i, v in enumerate(values)])


def test_robust_z_outlier_by_hand():
    # median 12,500; |deviations| 2,500 1,500 500 500 1,500 27,500 → MAD = 1,500;
    # z(40,000) = 27,500 / (1.4826 × 1,500) = 12.37; z(10,000) = −1.12.
    warnings = detect_warnings(outlier_table([10000, 11000, 12000, 13000, 14000, 40000]))
    assert list(warnings["county_code"]) == ["100005"]
    assert list(warnings["rule"]) == ["peer_outlier"]
    assert warnings["reason_zh"].iloc[0] == (
        "2023年参保人在县域内住院人均费用为40,000元，远离同省同期中位数12,500元"
        "（稳健z值12.4，阈值3）。"
    )
    assert warnings["reason_en"].iloc[0] == (
        "Cost per in-county admission of the insured was 40,000 yuan in 2023, far from the "
        "median of the province for the period, 12,500 yuan (robust z = 12.4, threshold 3)."
    )


def test_robust_z_threshold_minimum_peers_and_zero_mad():
    values = [10000, 11000, 12000, 13000, 14000, 40000]
    assert detect_warnings(outlier_table(values), rules=WarningRules(z_threshold=13)).empty
    # Four counties: fewer than min_peers = 5.
    assert detect_warnings(outlier_table([10000, 11000, 12000, 90000])).empty
    flagged = detect_warnings(
        outlier_table([10000, 11000, 12000, 90000]), rules=WarningRules(min_peers=4)
    )
    assert list(flagged["county_code"]) == ["100003"]
    # MAD = 0 (most counties equal): no z-score, no warning.
    assert detect_warnings(outlier_table([5000, 5000, 5000, 5000, 9000])).empty


def test_outliers_are_judged_within_province_and_period():
    frame = pd.concat(
        [
            outlier_table([100, 101, 102, 103, 104]),
            long_table(
                [(f"20000{i}", 2023, MONITOR, v) for i, v in enumerate([900, 901, 902, 903, 904])],
                province="乙省",
            ),
        ]
    )
    assert detect_warnings(frame).empty


@pytest.mark.parametrize(
    "options",
    [{"z_threshold": 0}, {"mad_scale": -1.0}, {"min_peers": 0}, {"wrong_way_periods": 0}],
)
def test_bad_rules(options):
    with pytest.raises(ParameterError):
        WarningRules(**options)


# ---------------------------------------------------------------------------------------------
# assess: the combined table
# ---------------------------------------------------------------------------------------------


def assessment_input():
    series = {
        "10000A": (70.0, 68.0, 66.0),  # met in 2023, but down twice
        "10000B": (60.0, 61.0, 62.0),  # below 65
        "10000C": (50.0, 49.0, 48.0),  # below 65 and down twice
        "10000D": (80.0, 80.0, NAN),  # no 2023 value
        "10000E": (75.0, 76.0, 77.0),  # fine
    }
    rows = [
        (county, year, "primary_visit_share", value)
        for county, values in series.items()
        for year, value in zip((2021, 2022, 2023), values, strict=True)
    ]
    return long_table(rows)


def test_assess_by_hand():
    table = assess(assessment_input())
    assert tuple(table.columns) == ASSESSMENT_COLUMNS
    rows = table[table["year"] == 2023].set_index("county_code")
    assert list(rows["status"]) == ["met", "not_met", "not_met", "insufficient_data", "met"]
    assert list(rows["warnings"]) == ["wrong_way", "target_missed", "target_missed;wrong_way",
                                      "", ""]  # fmt: skip
    # 2023 values A 66, B 62, C 48, E 77 (D missing): ranks E 1, A 2, B 3, C 4.
    assert list(rows["rank"].astype("Float64")) == [2, 3, 4, pd.NA, 1]
    assert [None if pd.isna(g) else g for g in rows["grade"]] == ["良", "中", "差", None, "优"]
    assert list(rows["n_peers"]) == [4, 4, 4, 4, 4]
    # Median of the other counties: A {62, 48, 77} → 62; B {66, 48, 77} → 66;
    # C {66, 62, 77} → 66; D (no value) {66, 62, 48, 77} → 64; E {66, 62, 48} → 62.
    np.testing.assert_allclose(rows["peer_median"].to_numpy(), [62.0, 66.0, 66.0, 64.0, 62.0])
    assert rows.loc["10000A", "previous"] == 68.0 and rows.loc["10000A", "change"] == -2.0
    assert np.isnan(rows.loc["10000D", "change"])
    assert set(rows["target_text_zh"]) == {"不低于65%"}
    assert set(table["period"]) == {"2021", "2022", "2023"}


def test_assessment_warnings_match_the_codes_of_assess():
    table, warnings = assess_with_warnings(assessment_input())
    joined = (
        warnings.groupby(["county_code", "period", "indicator"], sort=False)["rule"]
        .agg(";".join)
        .to_dict()
    )
    flagged = table[table["warnings"] != ""]
    assert {
        (r.county_code, r.period, r.indicator): r.warnings for r in flagged.itertuples()
    } == joined
    pd.testing.assert_frame_equal(warnings, assessment_warnings(assessment_input()))
    # 2021 and 2022: B and C miss 65 (4 warnings); 2023: A wrong_way, B missed,
    # C missed + wrong_way (4 warnings).
    assert len(warnings) == 8
    assert (warnings["period"] == "2023").sum() == 4
    assert (warnings["reason_zh"].str.len() > 10).all()


def test_assess_is_deterministic_order_independent_and_does_not_mutate():
    rng = np.random.default_rng(5)
    codes = ["primary_visit_share", "tcm_visit_share", "drug_share_county",
             "outpatient_cost_per_visit_county_growth", "inpatient_cost_per_admission",
             "pay_ratio_primary_county", "referrals_up_growth"]  # fmt: skip
    rows = [
        (f"1{c:05d}", period, code, float(rng.normal(50, 15)))
        for c in range(12)
        for period in ("2022H1", "2022H2", "2023H1", "2023H2", "2022", "2023")
        for code in codes
    ]
    frame = long_table(rows)
    frame.loc[frame.index % 11 == 0, "value"] = NAN
    frame["province"] = np.where(frame["county_code"] < "100006", "甲省", "乙省")
    before = frame.copy()
    first, first_warnings = assess_with_warnings(frame)
    pd.testing.assert_frame_equal(frame, before)
    for seed in (1, 2):
        shuffled = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
        again, again_warnings = assess_with_warnings(shuffled)
        pd.testing.assert_frame_equal(again, first)
        pd.testing.assert_frame_equal(again_warnings, first_warnings)
    pd.testing.assert_frame_equal(assess(frame), first)
    # Sorted by county, chronological period, catalogue order.
    order = ["2022H1", "2022H2", "2022", "2023H1", "2023H2", "2023"]
    assert list(first[first["county_code"] == "100000"]["period"].unique()) == order
