"""Tests of ylt_eval.metrics.compute: known answers computed by hand, edge cases, merging."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ylt_eval.errors import DataValidationError, ParameterError
from ylt_eval.metrics.catalogue import catalogue
from ylt_eval.metrics.compute import (
    combine_sources,
    compute_indicators,
    headline_table,
    long_to_wide,
)
from ylt_eval.schema import LONG_COLUMNS, numeric_columns

NAN = float("nan")

# Two counties × three years. Row order of every list below:
# A 2019, A 2020, A 2021, B 2019, B 2020, B 2021. Amounts are in 万元.
KEYS = {
    "county_code": ["100001"] * 3 + ["100002"] * 3,
    "county_name": ["甲县"] * 3 + ["乙县"] * 3,
    "province": ["某省"] * 6,
    "year": [2019, 2020, 2021] * 2,
}
RAW = {
    "pop_resident": [100000, 100000, 200000, 50000, 50000, 50000],
    "physicians_stationed": [10, 20, 30, 5, 0, 10],
    "village_clinics": [200, 200, 200, 100, 100, 100],
    "village_clinics_ecg": [50, 100, 150, 25, 50, 100],
    "pay_total_county": [1000, 1200, 1500, 500, 600, 700],
    "staff_county": [100, 100, 100, 50, 50, 50],
    "pay_total_township": [400, 540, 900, 200, 300, 420],
    "staff_township": [50, 60, 75, 25, 25, 30],
    "visits_total": [1000000, 1000000, 1200000, 400000, 500000, 500000],
    "visits_primary": [400000, 500000, 720000, 100000, 250000, 300000],
    "visits_tcm": [100000, 150000, 180000, 40000, 50000, 100000],
    "referrals_up": [4000, 4000, 3600, 1000, 2500, 6000],
    "referrals_down": [500, 1000, 1500, 200, 100, 300],
    "discharges_county": [10000, 20000, 25000, 4000, 5000, 6000],
    "fund_in_county": [6000, 7000, 8000, 3000, 3600, 4000],
    "fund_out_county": [4000, 3000, 2000, 1000, 2400, 1000],
    "fund_primary": [600, 1400, 2000, 300, 900, 1200],
    "inpatient_cost_in_county": [5000, 6000, 6600, 2000, 2400, 2000],
    "admissions_in_county": [10000, 10000, 11000, 4000, 4000, 4000],
    "admissions_out_county": [10000, 2500, 0, 1000, 0, 4000],
    "chronic_managed": [10000, 10000, 20000, 5000, 5000, 5000],
    "chronic_managed_admitted": [1000, 800, 1000, 500, 250, 400],
    "premature_ncd_mortality": [18.5, 17.2, 16.0, 20.1, 19.8, 19.0],
    "resident_visits_in_county": [900000, 800000, 950000, 300000, 450000, 400000],
    "resident_visits_out_county": [100000, 200000, 50000, 100000, 50000, 100000],
    "oe_visits_total": [800000, 800000, 1000000, 400000, 400000, 500000],
    "oe_visits_primary": [320000, 400000, 500000, 100000, 200000, 150000],
    "oop_resident_scheme": [150, 160, 140, 60, 50, 45],
    "discharges_resident_scheme": [1000, 1000, 1000, 400, 400, 300],
    "oop_employee_scheme": [100, 90, 60, 20, 24, 25],
    "discharges_employee_scheme": [500, 500, 400, 100, 200, 250],
    "medical_revenue_county": [10000, 12000, 15000, 5000, 6000, 8000],
    "service_revenue_county": [2000, 3000, 4500, 1000, 1800, 2000],
    "drug_revenue_county": [4000, 4200, 4500, 2000, 1800, 2000],
    "medical_revenue_township": [1000, 1000, 2000, 500, 800, 1000],
    "service_revenue_township": [100, 200, 500, 50, 160, 250],
    "drug_revenue_township": [800, 700, 1000, 400, 480, 500],
    "outpatient_revenue_county": [3000, 4000, 5000, 1000, 1500, 2400],
    "visits_county": [200000, 250000, 250000, 100000, 125000, 150000],
    "outpatient_revenue_township": [500, 600, 720, 200, 300, 300],
    "visits_township": [100000, 100000, 120000, 40000, 50000, 60000],
    "inpatient_revenue_county": [7000, 16000, 20000, 3200, 4500, 5400],
    "inpatient_revenue_township": [300, 330, 360, 100, 120, 150],
    "discharges_township": [1000, 1000, 1200, 500, 500, 500],
    "maternal_deaths": [1, 0, 2, 0, 1, 1],
    "live_births": [10000, 8000, 10000, 5000, 4000, 2000],
    "weak_disciplines_planned": [10, 10, 10, 4, 4, 5],
    "weak_disciplines_built": [2, 5, 8, 1, 2, 5],
    "key_pop_total": [20000, 20000, 40000, 10000, 10000, 8000],
    "key_pop_contracted": [12000, 14000, 30000, 5000, 6000, 6000],
    "surgeries_total_county": [2000, 2500, 3000, 1000, 1000, 1200],
    "surgeries_grade34_county": [400, 750, 1200, 200, 300, 600],
    "staff_expense_county": [3000, 4000, 5000, 1500, 2100, 2800],
    "business_expense_county": [10000, 10000, 12500, 5000, 6000, 7000],
    "contracted_residents": [30000, 35000, 80000, 10000, 15000, 20000],
    "htn_managed": [10000, 10000, 12000, 5000, 5000, 4000],
    "htn_standard_managed": [6000, 7000, 9000, 3000, 3500, 3200],
    "htn_controlled": [5000, 6000, 6000, 2500, 3000, 3000],
    "dm_managed": [4000, 4000, 5000, 2000, 2000, 2500],
    "dm_standard_managed": [2400, 2800, 4000, 1000, 1200, 2000],
    "dm_controlled": [2000, 2400, 2500, 800, 1000, 1500],
    "admissions_primary": [2000, 3000, 5000, 500, 1000, 1500],
}

# Expected values worked out by hand from RAW (same row order). Growth has no 2019 value.
EXPECTED = {
    "physicians_stationed_per_10k": [1, 2, 1.5, 1, 0, 2],
    "village_ecg_coverage": [25, 50, 75, 25, 50, 100],
    "pay_ratio_primary_county": [0.8, 0.75, 0.8, 0.8, 1.0, 1.0],
    "primary_visit_share": [40, 50, 60, 25, 50, 60],
    "fund_in_county_share": [60, 70, 80, 75, 60, 80],
    "primary_fund_share": [10, 20, 25, 10, 25, 30],
    "inpatient_cost_per_admission": [5000, 6000, 6000, 5000, 6000, 5000],
    "inpatient_cost_per_admission_growth": [NAN, 20, 0, NAN, 20, -100 / 6],
    "in_county_admission_share": [50, 80, 100, 80, 100, 50],
    "tcm_visit_share": [10, 15, 15, 10, 10, 20],
    "chronic_managed_admission_rate": [10, 8, 5, 10, 5, 8],
    "premature_ncd_mortality": [18.5, 17.2, 16.0, 20.1, 19.8, 19.0],
    "in_county_visit_rate": [90, 80, 95, 75, 90, 80],
    "primary_oe_visit_share": [40, 50, 50, 25, 50, 30],
    "oop_per_discharge_resident_scheme": [1500, 1600, 1400, 1500, 1250, 1500],
    "oop_per_discharge_employee_scheme": [2000, 1800, 1500, 2000, 1200, 1000],
    "service_revenue_share_county": [20, 25, 30, 20, 30, 25],
    "service_revenue_share_township": [10, 20, 25, 10, 20, 25],
    "drug_share_county": [40, 35, 30, 40, 30, 25],
    "drug_share_township": [80, 70, 50, 80, 60, 50],
    "avg_pay_county": [10, 12, 15, 10, 12, 14],
    "avg_pay_township": [8, 9, 12, 8, 12, 14],
    "referrals_up": [4000, 4000, 3600, 1000, 2500, 6000],
    "referrals_up_growth": [NAN, 0, -10, NAN, 150, 140],
    "referrals_down": [500, 1000, 1500, 200, 100, 300],
    "referrals_down_growth": [NAN, 100, 50, NAN, -50, 200],
    "referral_up_rate": [1, 0.8, 0.5, 1, 1, 2],
    "referral_down_rate": [5, 5, 6, 5, 2, 5],
    "outpatient_cost_per_visit_county": [150, 160, 200, 100, 120, 160],
    "outpatient_cost_per_visit_county_growth": [NAN, 20 / 3, 25, NAN, 20, 100 / 3],
    "outpatient_cost_per_visit_township": [50, 60, 60, 50, 60, 50],
    "outpatient_cost_per_visit_township_growth": [NAN, 20, 0, NAN, 20, -100 / 6],
    "inpatient_cost_per_discharge_county": [7000, 8000, 8000, 8000, 9000, 9000],
    "inpatient_cost_per_discharge_county_growth": [NAN, 100 / 7, 0, NAN, 12.5, 0],
    "inpatient_cost_per_discharge_township": [3000, 3300, 3000, 2000, 2400, 3000],
    "inpatient_cost_per_discharge_township_growth": [NAN, 10, -100 / 11, NAN, 20, 25],
    "maternal_mortality": [10, 0, 20, 0, 25, 50],
    "weak_discipline_build_rate": [20, 50, 80, 25, 50, 100],
    "key_population_contract_rate": [60, 70, 75, 50, 60, 75],
    "grade34_surgery_share_county": [20, 30, 40, 20, 30, 50],
    "staff_expense_share_county": [30, 40, 40, 30, 35, 40],
    "family_doctor_contract_rate": [30, 35, 40, 20, 30, 40],
    "htn_standard_management_rate": [60, 70, 75, 60, 70, 80],
    "htn_control_rate": [50, 60, 50, 50, 60, 75],
    "dm_standard_management_rate": [60, 70, 80, 50, 60, 80],
    "dm_control_rate": [50, 60, 50, 40, 50, 60],
    "primary_visits_per_capita": [4, 5, 3.6, 2, 5, 6],
    "primary_admissions_per_10k": [200, 300, 250, 100, 200, 300],
}


def make_panel() -> pd.DataFrame:
    return pd.DataFrame({**KEYS, **{name: [float(v) for v in vals] for name, vals in RAW.items()}})


@pytest.fixture(scope="module")
def computed() -> pd.DataFrame:
    return compute_indicators(make_panel())


def values_of(long_df: pd.DataFrame, code: str) -> np.ndarray:
    rows = long_df[long_df["indicator"] == code].sort_values(["county_code", "year"])
    return rows["value"].to_numpy(dtype=float)


def test_every_computable_indicator_has_a_known_answer():
    computable = {item.code for item in catalogue() if item.kind != "qualitative"}
    assert set(EXPECTED) == computable


def test_hand_panel_uses_only_dictionary_columns():
    assert set(RAW) <= set(numeric_columns())


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_known_answer(computed, code):
    np.testing.assert_allclose(
        values_of(computed, code), np.array(EXPECTED[code], dtype=float), rtol=1e-12, atol=1e-12
    )


def test_output_layout(computed):
    assert list(computed.columns) == [
        "county_code",
        "county_name",
        "province",
        "year",
        "indicator",
        "value",
    ]
    codes_in_order = [item.code for item in catalogue() if item.kind != "qualitative"]
    assert len(computed) == 6 * len(codes_in_order)
    first_block = computed.iloc[: len(codes_in_order)]
    assert first_block["indicator"].tolist() == codes_in_order
    assert (first_block["county_code"] == "100001").all() and (first_block["year"] == 2019).all()
    assert computed["value"].dtype == np.float64
    assert computed["year"].dtype == np.int64
    assert computed.loc[computed["county_code"] == "100002", "county_name"].eq("乙县").all()


def test_qualitative_indicators_are_skipped(computed):
    qualitative = {item.code for item in catalogue() if item.kind == "qualitative"}
    assert qualitative and not qualitative & set(computed["indicator"])
    assert compute_indicators(make_panel(), codes=["unified_resource_management"]).empty


def test_requested_growth_only_returns_growth_but_uses_its_base():
    out = compute_indicators(
        make_panel(), codes=["referrals_up_growth", "pay_ratio_primary_county"]
    )
    assert out["indicator"].unique().tolist() == ["pay_ratio_primary_county", "referrals_up_growth"]
    np.testing.assert_allclose(
        values_of(out, "referrals_up_growth"), [NAN, 0, -10, NAN, 150, 140], atol=1e-12
    )


def test_unknown_code_is_a_parameter_error_with_suggestion():
    with pytest.raises(ParameterError, match="primary_visit_share"):
        compute_indicators(make_panel(), codes=["primary_visit_shar"])


def test_missing_column_gives_nan_not_zero():
    panel = make_panel().drop(columns=["visits_tcm", "referrals_down"])
    out = compute_indicators(panel)
    assert np.isnan(values_of(out, "tcm_visit_share")).all()
    assert np.isnan(values_of(out, "referral_down_rate")).all()
    assert np.isnan(values_of(out, "referrals_down_growth")).all()
    np.testing.assert_allclose(values_of(out, "primary_visit_share"), [40, 50, 60, 25, 50, 60])


def test_missing_value_in_one_of_several_columns_gives_nan():
    panel = make_panel()
    panel.loc[1, "fund_out_county"] = np.nan  # A 2020
    panel.loc[3, "pay_total_county"] = np.nan  # B 2019
    out = compute_indicators(panel)
    np.testing.assert_allclose(
        values_of(out, "fund_in_county_share"), [60, NAN, 80, 75, 60, 80], atol=1e-12
    )
    np.testing.assert_allclose(
        values_of(out, "pay_ratio_primary_county"), [0.8, 0.75, 0.8, NAN, 1.0, 1.0], atol=1e-12
    )
    # A missing base propagates to the growth of that year and of the next.
    panel.loc[1, "referrals_up"] = np.nan
    out = compute_indicators(panel, codes=["referrals_up_growth"])
    np.testing.assert_allclose(
        values_of(out, "referrals_up_growth"), [NAN, NAN, NAN, NAN, 150, 140], atol=1e-12
    )


def test_zero_denominator_gives_nan():
    panel = make_panel()
    panel.loc[0, "visits_total"] = 0
    panel.loc[4, "referrals_down"] = 0  # B 2020: growth 2021 divides by zero
    panel.loc[2, "pay_total_county"] = 0  # A 2021: avg_pay_county 0 → pay ratio divides by 0
    out = compute_indicators(panel)
    np.testing.assert_allclose(
        values_of(out, "primary_visit_share"), [NAN, 50, 60, 25, 50, 60], atol=1e-12
    )
    np.testing.assert_allclose(
        values_of(out, "referrals_down_growth"), [NAN, 100, 50, NAN, -100, NAN], atol=1e-12
    )
    np.testing.assert_allclose(
        values_of(out, "pay_ratio_primary_county"), [0.8, 0.75, NAN, 0.8, 1.0, 1.0], atol=1e-12
    )
    assert not np.isinf(out["value"]).any()


def test_gap_year_gives_nan_growth():
    panel = make_panel()
    panel = panel[~((panel["county_code"] == "100001") & (panel["year"] == 2020))]
    out = compute_indicators(panel, codes=["referrals_up_growth"])
    assert out["year"].tolist() == [2019, 2021, 2019, 2020, 2021]
    np.testing.assert_allclose(out["value"].to_numpy(), [NAN, NAN, NAN, 150, 140], atol=1e-12)


def test_input_is_not_mutated():
    panel = make_panel()
    panel["county_code"] = panel["county_code"].astype(object)
    before = panel.copy(deep=True)
    compute_indicators(panel)
    pd.testing.assert_frame_equal(panel, before)


def test_row_and_column_order_do_not_matter(computed):
    panel = make_panel()
    shuffled = panel.sample(frac=1.0, random_state=7)
    shuffled = shuffled[list(reversed(shuffled.columns))]
    pd.testing.assert_frame_equal(compute_indicators(shuffled), computed)


def test_duplicate_county_year_is_rejected():
    panel = pd.concat([make_panel(), make_panel().iloc[[0]]])
    with pytest.raises(DataValidationError, match="100001/2019"):
        compute_indicators(panel)


def test_non_numeric_values_are_rejected():
    panel = make_panel()
    panel["visits_total"] = panel["visits_total"].astype(object)
    panel.loc[0, "visits_total"] = "n/a"
    with pytest.raises(DataValidationError, match="visits_total"):
        compute_indicators(panel)


def test_missing_key_column_is_rejected():
    with pytest.raises(DataValidationError, match="year"):
        compute_indicators(make_panel().drop(columns=["year"]))


def test_large_panel_gives_one_value_per_cell_and_indicator():
    # Speed is measured in benchmarks/, never asserted here.
    rng = np.random.default_rng(1)
    n_counties, years = 2800, list(range(2013, 2025))
    panel = pd.DataFrame(
        {
            "county_code": np.repeat([f"{i:06d}" for i in range(n_counties)], len(years)),
            "county_name": "县",
            "province": "省",
            "year": np.tile(years, n_counties),
        }
    )
    measures = {name: rng.integers(1, 1000, len(panel)).astype(float) for name in numeric_columns()}
    panel = pd.concat([panel, pd.DataFrame(measures)], axis=1)
    out = compute_indicators(panel)
    assert len(out) == len(panel) * len(EXPECTED)


# --- 永泰 (seed 002, domain brief §5): published figures must come back exactly -------------

YONGTAI = {
    # year: (raw counts, expected indicator values)
    2017: ({"visits_primary": 358500, "visits_total": 1000000}, {"primary_visit_share": 35.85}),
    2018: (
        {
            "oop_resident_scheme": 165.247,
            "discharges_resident_scheme": 1000,
            "oop_employee_scheme": 150.354,
            "discharges_employee_scheme": 1000,
            "service_revenue_county": 2556,
            "drug_revenue_county": 3598,
            "medical_revenue_county": 10000,
            "service_revenue_township": 1262,
            "drug_revenue_township": 7810,
            "medical_revenue_township": 10000,
            "pay_total_county": 928,
            "staff_county": 100,
            "pay_total_township": 790,
            "staff_township": 100,
        },
        {
            "oop_per_discharge_resident_scheme": 1652.47,
            "oop_per_discharge_employee_scheme": 1503.54,
            "service_revenue_share_county": 25.56,
            "service_revenue_share_township": 12.62,
            "drug_share_county": 35.98,
            "drug_share_township": 78.10,
            "avg_pay_county": 9.28,
            "avg_pay_township": 7.90,
        },
    ),
    2020: (
        {
            "oop_resident_scheme": 155.062,
            "discharges_resident_scheme": 1000,
            "oop_employee_scheme": 121.581,
            "discharges_employee_scheme": 1000,
            "service_revenue_county": 3236,
            "drug_revenue_county": 3263,
            "medical_revenue_county": 10000,
            "service_revenue_township": 2712,
            "drug_revenue_township": 5368,
            "medical_revenue_township": 10000,
            "pay_total_county": 1279,
            "staff_county": 100,
            "pay_total_township": 881,
            "staff_township": 100,
        },
        {
            "oop_per_discharge_resident_scheme": 1550.62,
            "oop_per_discharge_employee_scheme": 1215.81,
            "service_revenue_share_county": 32.36,
            "service_revenue_share_township": 27.12,
            "drug_share_county": 32.63,
            "drug_share_township": 53.68,
            "avg_pay_county": 12.79,
            "avg_pay_township": 8.81,
        },
    ),
    2021: ({"visits_primary": 703600, "visits_total": 1000000}, {"primary_visit_share": 70.36}),
}


def test_yongtai_published_figures_are_reproduced():
    rows = [
        {
            "county_code": "350125",
            "county_name": "永泰县",
            "province": "福建省",
            "year": year,
            "pop_resident": 380000,
            **raw,
        }
        for year, (raw, _) in YONGTAI.items()
    ]
    out = compute_indicators(pd.DataFrame(rows))
    lookup = out.set_index(["year", "indicator"])["value"]
    checked = 0
    for year, (_, expected) in YONGTAI.items():
        for code, value in expected.items():
            assert lookup[(year, code)] == pytest.approx(value, abs=1e-9), (year, code)
            checked += 1
    assert checked == 18
    # Before/after direction as published: primary share up, county drug share down.
    assert lookup[(2021, "primary_visit_share")] > lookup[(2017, "primary_visit_share")]
    assert lookup[(2020, "drug_share_county")] < lookup[(2018, "drug_share_county")]


# --- long_to_wide, combine_sources, headline_table ------------------------------------------


def test_long_to_wide(computed):
    wide = long_to_wide(computed)
    assert wide.shape == (6, 2 + len(EXPECTED))
    assert list(wide.columns[:4]) == [
        "county_code",
        "year",
        "physicians_stationed_per_10k",
        "village_ecg_coverage",
    ]
    np.testing.assert_allclose(wide["drug_share_township"], [80, 70, 50, 80, 60, 50])
    assert wide["county_code"].tolist() == ["100001"] * 3 + ["100002"] * 3


def test_long_to_wide_rejects_duplicates(computed):
    with pytest.raises(DataValidationError, match="repeat"):
        long_to_wide(pd.concat([computed, computed.head(1)]))


def small_computed() -> pd.DataFrame:
    return compute_indicators(make_panel(), codes=["primary_visit_share", "drug_share_county"])


def supplied(rows: list[tuple[str, int, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"county_code": c, "county_name": "某县", "year": y, "indicator": i, "value": v}
            for c, y, i, v in rows
        ]
    )


def test_combine_sources_agreement_and_sources():
    given = supplied(
        [
            ("100001", 2019, "primary_visit_share", 40.0),  # agrees with computed 40
            ("100003", 2019, "primary_visit_share", 55.0),  # only supplied
        ]
    )
    combined, disagreements = combine_sources(small_computed(), given)
    assert disagreements.empty
    assert list(disagreements.columns) == [
        "county_code",
        "year",
        "indicator",
        "computed",
        "supplied",
    ]
    assert list(combined.columns) == [
        "county_code",
        "county_name",
        "province",
        "year",
        "indicator",
        "value",
        "source",
    ]
    assert len(combined) == 12 + 1
    indexed = combined.set_index(["county_code", "year", "indicator"])
    assert indexed.loc[("100001", 2019, "primary_visit_share"), "source"] == "supplied"
    assert indexed.loc[("100001", 2020, "primary_visit_share"), "source"] == "computed"
    assert indexed.loc[("100001", 2020, "primary_visit_share"), "value"] == 50
    assert indexed.loc[("100003", 2019, "primary_visit_share"), "value"] == 55
    assert indexed.loc[("100003", 2019, "primary_visit_share"), "county_name"] == "某县"
    assert indexed.loc[("100001", 2019, "primary_visit_share"), "province"] == "某省"
    assert combined["county_code"].tolist()[-1] == "100003"


def test_combine_sources_disagreement_keeps_supplied_value():
    given = supplied(
        [
            ("100001", 2020, "drug_share_county", 36.0),  # computed 35
            ("100002", 2021, "primary_visit_share", 60.00001),  # within rtol 1e-6
        ]
    )
    combined, disagreements = combine_sources(small_computed(), given)
    assert len(disagreements) == 1
    row = disagreements.iloc[0]
    assert (row["county_code"], row["year"], row["indicator"]) == (
        "100001",
        2020,
        "drug_share_county",
    )
    assert (row["computed"], row["supplied"]) == (35.0, 36.0)
    value = combined.set_index(["county_code", "year", "indicator"]).loc[
        ("100001", 2020, "drug_share_county"), "value"
    ]
    assert value == 36.0
    _, loose = combine_sources(small_computed(), given, rtol=0.05)
    assert loose.empty


def test_combine_sources_missing_computed_value_is_filled_from_supplied():
    panel = make_panel()
    panel.loc[0, "visits_total"] = np.nan
    computed = compute_indicators(panel, codes=["primary_visit_share"])
    combined, disagreements = combine_sources(
        computed, supplied([("100001", 2019, "primary_visit_share", 41.0)])
    )
    assert disagreements.empty
    first = combined.iloc[0]
    assert (first["value"], first["source"]) == (41.0, "supplied")
    nothing_supplied = pd.DataFrame(columns=list(LONG_COLUMNS))
    combined, _ = combine_sources(computed, nothing_supplied)
    assert pd.isna(combined.iloc[0]["source"]) and np.isnan(combined.iloc[0]["value"])
    assert (combined.iloc[1:]["source"] == "computed").all()


def test_combine_sources_rejects_unknown_supplied_code():
    with pytest.raises(DataValidationError, match="no_such_indicator"):
        combine_sources(small_computed(), supplied([("100001", 2019, "no_such_indicator", 1.0)]))


def test_combine_sources_does_not_mutate_inputs():
    computed, given = small_computed(), supplied([("100001", 2019, "drug_share_county", 1.0)])
    before_computed, before_given = computed.copy(deep=True), given.copy(deep=True)
    combine_sources(computed, given)
    pd.testing.assert_frame_equal(computed, before_computed)
    pd.testing.assert_frame_equal(given, before_given)


def test_headline_table(computed):
    table = headline_table(computed, "100002", 2021, ["drug_share_county", "referrals_up_growth"])
    assert list(table.columns) == [
        "code",
        "name_zh",
        "name_en",
        "unit_zh",
        "unit_en",
        "direction",
        "value",
        "previous",
        "change",
    ]
    assert table["code"].tolist() == ["drug_share_county", "referrals_up_growth"]
    assert table["name_zh"].tolist()[0] == "县级药占比"
    assert table["direction"].tolist() == ["down", "down"]
    np.testing.assert_allclose(table["value"], [25, 140])
    np.testing.assert_allclose(table["previous"], [30, 150])
    np.testing.assert_allclose(table["change"], [-5, -10])


def test_headline_table_without_previous_year(computed):
    table = headline_table(computed, "100001", 2019, ["primary_visit_share"])
    assert table.loc[0, "value"] == 40
    assert np.isnan(table.loc[0, "previous"]) and np.isnan(table.loc[0, "change"])


def test_headline_table_errors(computed):
    with pytest.raises(ParameterError, match="999999"):
        headline_table(computed, "999999", 2021, ["primary_visit_share"])
    with pytest.raises(ParameterError, match="unknown indicator"):
        headline_table(computed, "100001", 2021, ["primary_visits_share_x"])
