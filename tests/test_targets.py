"""Tests of ylt_eval.metrics.targets: configuration, periods, and every kind of target.

Expected values are worked out by hand in the comments next to each case.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ylt_eval.errors import DataValidationError
from ylt_eval.metrics.targets import (
    TARGET_COLUMNS,
    TARGET_TABLE_COLUMNS,
    Period,
    TargetConfigError,
    default_targets,
    evaluate_targets,
    load_targets,
    parse_period,
    prepare_long,
    targets_for,
    targets_table,
)

NAN = float("nan")

SOURCE = 'source_zh = "测试"\nsource_en = "test"\nprovenance = "C"\n'


def write(tmp_path, text: str):
    path = tmp_path / "targets.toml"
    path.write_text(text, encoding="utf-8")
    return path


def long_table(rows, province="某省"):
    """rows: (county_code, period, indicator, value)."""
    frame = pd.DataFrame(rows, columns=["county_code", "period", "indicator", "value"])
    frame.insert(1, "county_name", "县" + frame["county_code"])
    frame.insert(2, "province", province)
    return frame


def status_of(result, county, period, code):
    row = result[
        (result["county_code"] == county)
        & (result["period"] == period)
        & (result["indicator"] == code)
    ]
    assert len(row) == 1
    return row.iloc[0]


# ---------------------------------------------------------------------------------------------
# The packaged default set
# ---------------------------------------------------------------------------------------------


def test_default_set_holds_the_documented_targets():
    chosen = {t.indicator: t for t in targets_for("任何省", 2023)}
    share = chosen["primary_visit_share"]
    assert (share.kind, share.op, share.value, share.provenance) == ("level", ">=", 65.0, "R")
    assert chosen["in_county_visit_rate"].value == 90.0
    up, down = chosen["referrals_up_growth"], chosen["referrals_down_growth"]
    assert (up.kind, up.op, up.value, up.provenance) == ("growth", "<=", 10.0, "S")
    assert (down.kind, down.op, down.value) == ("growth", ">=", 10.0)
    for code in (
        "outpatient_cost_per_visit_county_growth",
        "inpatient_cost_per_discharge_county_growth",
        "outpatient_cost_per_visit_township_growth",
        "inpatient_cost_per_discharge_township_growth",
    ):
        assert (chosen[code].kind, chosen[code].op) == ("peer", "<")
    assert chosen["pay_ratio_primary_county"].toward == "target"
    assert chosen["tcm_visit_share"].toward == "up"
    assert chosen["chronic_managed_admission_rate"].toward == "down"
    assert all(t.source_zh and t.source_en for t in chosen.values())


def test_target_texts():
    chosen = {t.indicator: t for t in targets_for(None, 2023)}
    assert chosen["primary_visit_share"].text("zh") == "不低于65%"
    assert chosen["primary_visit_share"].text("en") == "at least 65%"
    assert chosen["referrals_up_growth"].text("zh") == "同比增幅不高于10%"
    assert chosen["referrals_down_growth"].text("en") == "year-on-year growth at least 10%"
    assert chosen["tcm_visit_share"].text("zh") == "较上期提高"
    assert chosen["pay_ratio_primary_county"].text("en") == (
        "closer to 1 than in the previous period"
    )
    peer = chosen["outpatient_cost_per_visit_county_growth"]
    assert peer.text("zh", 6.0) == "低于同省同期其他县的中位数（6.0%）"


def test_targets_table_lists_sources():
    table = targets_table("某省", 2023)
    assert tuple(table.columns) == TARGET_TABLE_COLUMNS
    assert len(table) == len(targets_for("某省", 2023))
    assert table["source_en"].str.len().min() > 0
    assert set(table["scope"]) == {"default"}


# ---------------------------------------------------------------------------------------------
# Province overrides and validation of target files
# ---------------------------------------------------------------------------------------------

OVERRIDE = (
    "[[target]]\n"
    'indicator = "primary_visit_share"\nkind = "level"\nop = ">="\nvalue = 65\n' + SOURCE + "\n"
    "[[target]]\n"
    'indicator = "in_county_visit_rate"\nkind = "level"\nop = ">="\nvalue = 90\n' + SOURCE + "\n"
    '[[province."福建省"]]\nyears = [2021, 2025]\ndrop = ["in_county_visit_rate"]\n'
    '[[province."福建省".target]]\n'
    'indicator = "primary_visit_share"\nkind = "level"\nop = ">="\nvalue = 55\n' + SOURCE
)


def test_province_override_replaces_and_drops_within_its_years(tmp_path):
    targets = load_targets(write(tmp_path, OVERRIDE))

    def share_value(province, year):
        chosen = {t.indicator: t for t in targets.resolve(province, year)}
        return chosen["primary_visit_share"].value, "in_county_visit_rate" in chosen

    assert share_value("福建省", 2020) == (65.0, True)  # before the block
    assert share_value("福建省", 2021) == (55.0, False)  # first year of the block
    assert share_value("福建省", 2025) == (55.0, False)  # last year of the block
    assert share_value("福建省", 2026) == (65.0, True)  # after the block
    assert share_value("浙江省", 2023) == (65.0, True)  # another province
    assert share_value(None, 2023) == (65.0, True)  # province unknown


def test_evaluation_uses_each_rows_province_and_year(tmp_path):
    targets = load_targets(write(tmp_path, OVERRIDE))
    frame = pd.concat(
        [
            long_table([("350101", 2023, "primary_visit_share", 60.0)], province="福建省"),
            long_table([("330101", 2023, "primary_visit_share", 60.0)], province="浙江省"),
            long_table([("350101", 2020, "primary_visit_share", 60.0)], province="福建省"),
        ]
    )
    result = evaluate_targets(frame, targets)
    assert status_of(result, "350101", "2023", "primary_visit_share")["status"] == "met"  # ≥ 55
    assert status_of(result, "330101", "2023", "primary_visit_share")["status"] == "not_met"
    assert status_of(result, "350101", "2020", "primary_visit_share")["status"] == "not_met"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[target]]\nindicator = "primary_visit_shar"\nkind = "level"\nop = ">="\nvalue = 1\n'
            + SOURCE,
            "did you mean 'primary_visit_share'",
        ),
        (
            '[[target]]\nindicator = "primary_visit_share"\nkind = "level"\nop = ">="\nvalue = 1\n'
            'provenance = "C"\n',
            "source_zh",
        ),
        (
            '[[target]]\nindicator = "primary_visit_share"\nkind = "level"\nop = "=>"\nvalue = 1\n'
            + SOURCE,
            "op",
        ),
        ('[[target]]\nindicator = "primary_visit_share"\nkind = "ratio"\n' + SOURCE, "kind"),
        (
            '[[target]]\nindicator = "primary_visit_share"\nkind = "peer"\nop = "<"\nvalue = 3\n'
            + SOURCE,
            "not allowed",
        ),
        ('[[target]]\nindicator = "referral_up_rate"\nkind = "direction"\n' + SOURCE, "toward"),
        (
            '[[target]]\nindicator = "primary_visit_share"\nkind = "level"\nop = ">="\nvalue = 1\n'
            + SOURCE
            + '[[target]]\nindicator = "primary_visit_share"\nkind = "direction"\n'
            + SOURCE,
            "overlapping years",
        ),
        (
            '[[province."甲省"]]\nyears = [2020, 2023]\n'
            '[[province."甲省"]]\nyears = [2023, 2025]\n',
            "overlap",
        ),
        ('[[province."甲省"]]\nyears = [2025, 2020]\n', "from <= to"),
        ('[[province."甲省"]]\ndrop = []\n', "years"),
        ("targets = []\n", "unknown top-level"),
        ("[[target]\n", "not valid TOML"),
    ],
)
def test_bad_target_files_are_refused(tmp_path, text, message):
    with pytest.raises(TargetConfigError, match=message):
        load_targets(write(tmp_path, text))


def test_years_of_default_targets_may_split_one_indicator(tmp_path):
    text = (
        '[[target]]\nindicator = "primary_visit_share"\nkind = "level"\nop = ">="\nvalue = 50\n'
        "years = [2015, 2020]\n" + SOURCE + "[[target]]\n"
        'indicator = "primary_visit_share"\nkind = "level"\nop = ">="\nvalue = 60\n'
        "years = [2021, 2030]\n" + SOURCE
    )
    targets = load_targets(write(tmp_path, text))
    assert targets.resolve(None, 2020)[0].value == 50.0
    assert targets.resolve(None, 2021)[0].value == 60.0
    assert targets.resolve(None, 2031) == ()


# ---------------------------------------------------------------------------------------------
# Periods
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (2023, Period(2023)),
        ("2023", Period(2023)),
        (2023.0, Period(2023)),
        ("2023H1", Period(2023, 1)),
        ("2023h2", Period(2023, 2)),
        ("2023-H2", Period(2023, 2)),
        ("2023年上半年", Period(2023, 1)),
        ("2023年下半年", Period(2023, 2)),
        ("2023年", Period(2023)),
    ],
)
def test_parse_period(raw, expected):
    assert parse_period(raw) == expected


@pytest.mark.parametrize("raw", ["2023H3", "23", "2023Q1", 2023.5, "H1"])
def test_bad_periods_are_refused(raw):
    with pytest.raises(DataValidationError):
        parse_period(raw)


def test_half_years_are_ordered_and_linked_correctly():
    periods = ["2024H1", "2023", "2023H2", "2022H2", "2023H1", "2022H1"]
    values = [6.0, 99.0, 5.0, 4.0, 3.0, 2.0]
    frame = long_table(
        [("100001", p, "tcm_visit_share", v) for p, v in zip(periods, values, strict=True)]
    )
    prepared = prepare_long(frame)
    # H1 < H2 < the annual figure of the same year < the next year's H1.
    assert list(prepared["period"]) == ["2022H1", "2022H2", "2023H1", "2023H2", "2023", "2024H1"]
    by_period = prepared.set_index("period")
    # previous = immediately preceding half-year; previous_yoy = same half one year earlier.
    assert by_period.loc["2023H1", "previous"] == 4.0  # 2022H2
    assert by_period.loc["2023H1", "previous_yoy"] == 2.0  # 2022H1
    assert by_period.loc["2024H1", "previous"] == 5.0  # 2023H2
    assert by_period.loc["2024H1", "previous_yoy"] == 3.0  # 2023H1
    assert np.isnan(by_period.loc["2023", "previous"])  # no annual 2022
    assert np.isnan(by_period.loc["2022H1", "previous"])


# ---------------------------------------------------------------------------------------------
# Kinds of target, by hand
# ---------------------------------------------------------------------------------------------


def test_level_target_boundaries_and_missing_value():
    frame = long_table(
        [
            ("100001", 2023, "primary_visit_share", 64.9),  # below 65
            ("100002", 2023, "primary_visit_share", 65.0),  # exactly 65: ">=" is met
            ("100003", 2023, "primary_visit_share", 70.0),
            ("100004", 2023, "primary_visit_share", NAN),
        ]
    )
    result = evaluate_targets(frame)
    assert list(result["status"]) == ["not_met", "met", "met", "insufficient_data"]
    assert set(result["target_kind"]) == {"level"}
    assert set(result["target_text_zh"]) == {"不低于65%"}


def test_growth_bound_on_a_growth_indicator():
    frame = long_table(
        [
            ("100001", 2023, "referrals_up_growth", 10.0),  # ≤ 10: met
            ("100002", 2023, "referrals_up_growth", 10.5),  # above the bound
            ("100003", 2023, "referrals_down_growth", 9.9),  # ≥ 10 needed
            ("100004", 2023, "referrals_down_growth", 25.0),
        ]
    )
    assert list(evaluate_targets(frame)["status"]) == ["met", "not_met", "not_met", "met"]


def test_growth_bound_computed_from_levels(tmp_path):
    text = '[[target]]\nindicator = "referrals_down"\nkind = "growth"\nop = ">="\nvalue = 10\n'
    targets = load_targets(write(tmp_path, text + SOURCE))
    frame = long_table(
        [
            ("100001", 2020, "referrals_down", 100.0),  # no 2019: insufficient
            ("100001", 2021, "referrals_down", 111.0),  # 111/100 − 1 = 11 % ≥ 10: met
            ("100001", 2022, "referrals_down", 115.0),  # 115/111 − 1 = 3.6 %: not met
            ("100001", 2024, "referrals_down", 200.0),  # 2023 missing: insufficient
        ]
    )
    result = evaluate_targets(frame, targets)
    assert list(result["status"]) == ["insufficient_data", "met", "not_met", "insufficient_data"]


def test_peer_target_uses_the_median_of_the_other_counties():
    code = "outpatient_cost_per_visit_county_growth"
    frame = long_table(
        [
            ("100001", 2023, code, 2.0),  # others 4, 6, 8 → median 6; 2 < 6: met
            ("100002", 2023, code, 4.0),  # others 2, 6, 8 → 6: met
            ("100003", 2023, code, 6.0),  # others 2, 4, 8 → 4: not met
            ("100004", 2023, code, 8.0),  # others 2, 4, 6 → 4: not met
            ("100005", 2023, code, NAN),  # no value: insufficient
        ]
    )
    result = evaluate_targets(frame)
    assert list(result["status"]) == ["met", "met", "not_met", "not_met", "insufficient_data"]
    assert result["target_text_zh"].iloc[0] == "低于同省同期其他县的中位数（6.0%）"
    assert result["target_text_en"].iloc[2] == (
        "below the median of the other counties of the province (4.0%)"
    )


def test_peer_target_needs_enough_other_counties_in_the_same_peer_set():
    code = "inpatient_cost_per_discharge_county_growth"
    frame = pd.concat(
        [
            long_table([("100001", 2023, code, 1.0), ("100002", 2023, code, 2.0)], "甲省"),
            long_table([("100003", 2023, code, 3.0), ("100004", 2023, code, 4.0)], "乙省"),
            long_table([("100005", 2022, code, 3.0), ("100006", 2022, code, 4.0)], "甲省"),
        ]
    )
    # Each province-year has one other county: fewer than min_peers = 3.
    result = evaluate_targets(frame)
    assert set(result["status"]) == {"insufficient_data"}
    assert result["target_text_zh"].iloc[0] == "低于同省同期其他县的中位数"


def test_peer_group_column_splits_peer_sets():
    code = "outpatient_cost_per_visit_township_growth"
    rows = [(f"10000{i}", 2023, code, float(v)) for i, v in enumerate([1, 2, 3, 10, 20, 30])]
    frame = long_table(rows)
    frame["peer_group"] = ["山区"] * 3 + ["平原"] * 3
    # Within each group of three, a county has two others: below min_peers, insufficient.
    assert set(evaluate_targets(frame)["status"]) == {"insufficient_data"}
    # Without the column all six are peers: county 1 (1.0) < median(2, 3, 10, 20, 30) = 10.
    result = evaluate_targets(frame.drop(columns="peer_group"))
    assert result["status"].iloc[0] == "met"


def test_direction_targets():
    frame = long_table(
        [
            ("100001", 2020, "tcm_visit_share", 10.0),  # no previous: insufficient
            ("100001", 2021, "tcm_visit_share", 11.0),  # up: met
            ("100001", 2022, "tcm_visit_share", 11.0),  # unchanged: not met
            ("100001", 2023, "tcm_visit_share", NAN),  # missing: insufficient
            ("100001", 2020, "chronic_managed_admission_rate", 8.0),
            ("100001", 2021, "chronic_managed_admission_rate", 9.0),  # down wanted: not met
            ("100001", 2020, "pay_ratio_primary_county", 0.8),
            ("100001", 2021, "pay_ratio_primary_county", 0.9),  # |0.1| < |0.2|: met
            ("100001", 2022, "pay_ratio_primary_county", 1.2),  # |0.2| > |0.1|: not met
        ]
    )
    result = evaluate_targets(frame)

    def status(year, code):
        return status_of(result, "100001", str(year), code)["status"]

    assert [status(y, "tcm_visit_share") for y in (2020, 2021, 2022, 2023)] == [
        "insufficient_data",
        "met",
        "not_met",
        "insufficient_data",
    ]
    assert status(2021, "chronic_managed_admission_rate") == "not_met"
    assert status(2021, "pay_ratio_primary_county") == "met"
    assert status(2022, "pay_ratio_primary_county") == "not_met"


def test_indicator_without_target():
    frame = long_table([("100001", 2023, "inpatient_cost_per_admission", 8000.0)])
    result = evaluate_targets(frame)
    assert result["status"].iloc[0] == "no_target"
    assert pd.isna(result["target_kind"].iloc[0])


# ---------------------------------------------------------------------------------------------
# Input handling, determinism
# ---------------------------------------------------------------------------------------------


def test_output_columns_and_dtypes():
    frame = long_table([("100001", 2023, "primary_visit_share", 70.0)])
    result = evaluate_targets(frame)
    assert tuple(result.columns[-4:]) == TARGET_COLUMNS
    assert result["year"].dtype == np.int64
    assert result["period"].iloc[0] == "2023"


def test_year_column_alone_is_accepted_and_integer_codes_become_text():
    frame = pd.DataFrame(
        {
            "county_code": [350125],
            "year": [2023],
            "indicator": ["primary_visit_share"],
            "value": [70.0],
        }
    )
    result = evaluate_targets(frame)
    assert result["county_code"].iloc[0] == "350125"
    assert result["status"].iloc[0] == "met"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns="value"), "lacks column"),
        (lambda f: pd.concat([f, f]), "repeats"),
        (lambda f: f.assign(value=["abc"] * len(f)), "non-numeric"),
        (lambda f: f.assign(period=["2023Q1"] * len(f)), "not years or half-years"),
        (lambda f: f.assign(value=[np.inf] * len(f)), "infinite"),
        (lambda f: f.assign(county_code=[None] * len(f)), "without county_code"),
    ],
)
def test_malformed_tables_are_refused(change, message):
    frame = long_table([("100001", 2023, "primary_visit_share", 70.0)])
    with pytest.raises(DataValidationError, match=message):
        evaluate_targets(change(frame))


def test_no_mutation_and_row_order_independence():
    rows = []
    for county, base in (("100001", 50.0), ("100002", 60.0), ("100003", 70.0), ("100004", 55.0)):
        for year in (2021, 2022, 2023):
            for code in ("primary_visit_share", "tcm_visit_share", "referrals_up_growth"):
                rows.append((county, year, code, base + year - 2021))
    rows.append(("100001", 2023, "outpatient_cost_per_visit_county_growth", 3.0))
    frame = long_table(rows)
    before = frame.copy()
    first = evaluate_targets(frame)
    pd.testing.assert_frame_equal(frame, before)
    shuffled = frame.sample(frac=1.0, random_state=7).reset_index(drop=True)
    pd.testing.assert_frame_equal(evaluate_targets(shuffled), first)
    pd.testing.assert_frame_equal(evaluate_targets(frame), first)


def test_default_targets_are_cached():
    assert default_targets() is default_targets()


def test_the_same_period_written_two_ways_is_one_period():
    frame = long_table(
        [("100001", 2023, "primary_visit_share", 60.0), ("100002", "2023", "primary_visit_share",
                                                         70.0)]
    )  # fmt: skip
    frame["period"] = frame["period"].astype(object)
    prepared = prepare_long(frame)
    assert list(prepared["period"]) == ["2023", "2023"]
    assert prepared["peer_set"].nunique() == 1
    assert list(prepared["peer_median"]) == [70.0, 60.0]


def test_number_formatting_for_sentences():
    from ylt_eval.metrics.targets import format_number, format_values

    values = np.array([12345.6, 58.23, 0.87, NAN, -3.14, 1000.0])
    assert list(format_values(values)) == ["12,346", "58.2", "0.870", "—", "-3.1", "1,000"]
    assert format_number(65.0) == "65" and format_number(1000.0) == "1,000"
    assert format_number(2.5) == "2.5"
