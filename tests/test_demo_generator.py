"""Tests of ylt_eval.demo: the synthetic province 示范省 and its planted reform effects.

Known answers come from data/demo/README.md (written from the design, not from the code's
output): the true ATT on the primary-care visit share is 12 / 10 / 8 / 7 / 6 percentage points at
full effect for the 2017 / 2019 / 2021 / 2022 / 2023 cohorts, reached through the ramp
0.3, 0.6, 0.8, 1.0 of the full effect at event times 0, 1, 2, ≥ 3.

Tolerance of the difference-in-differences check: the visit share carries i.i.d. noise that is the
mean of four uniforms scaled to ±1.5 pp (sd = 1.5 × 0.2887 = 0.433 pp); county fixed effects and
common year effects cancel in the 2×2 DiD and county intensities average exactly 1 within a
cohort, so the estimate's only error is noise: sd = 0.433 × sqrt((1/8 + 1/3) × (1/8 + 1/14))
= 0.13 pp for 8 treated vs 14 never-treated counties, 8 post vs 3 pre years. 0.5 pp is about
4 sd (over 40 seeds the error never exceeded 0.3 pp).
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ylt_eval.demo import (
    DEMO_YEARS,
    demo_counties_for_report,
    demo_panel_csv_text,
    generate_demo_panel,
    primary_visit_share_county_effects,
    primary_visit_share_true_att,
    write_demo_panel,
)
from ylt_eval.errors import ParameterError
from ylt_eval.schema import column_spec, data_dictionary

REPO = Path(__file__).resolve().parent.parent
SEEDS = (2024, 1, 77)

# Full effect (event time >= 3) by cohort, and the ramp, as documented in data/demo/README.md.
FULL_EFFECT_PP = {2017: 12.0, 2019: 10.0, 2021: 8.0, 2022: 7.0, 2023: 6.0}
RAMP = (0.3, 0.6, 0.8, 1.0)

# (part, whole) pairs: whole may be a tuple of columns that are summed.
PART_WHOLE = [
    ("visits_primary", "visits_total"),
    ("visits_township", "visits_primary"),
    ("visits_tcm", "visits_total"),
    ("oe_visits_total", "visits_total"),
    ("oe_visits_primary", "oe_visits_total"),
    ("oe_visits_primary", "visits_primary"),
    ("resident_visits_in_county", "visits_total"),
    ("admissions_primary", "admissions_in_county"),
    ("fund_primary", "fund_in_county"),
    ("village_clinics_ecg", "village_clinics"),
    ("htn_controlled", "htn_standard_managed"),
    ("htn_standard_managed", "htn_managed"),
    ("dm_controlled", "dm_standard_managed"),
    ("dm_standard_managed", "dm_managed"),
    ("key_pop_contracted", "key_pop_total"),
    ("key_pop_contracted", "contracted_residents"),
    ("contracted_residents", "pop_resident"),
    ("key_pop_total", "pop_resident"),
    ("surgeries_grade34_county", "surgeries_total_county"),
    ("surgeries_total_county", "discharges_county"),
    ("chronic_managed_admitted", "chronic_managed"),
    ("weak_disciplines_built", "weak_disciplines_planned"),
    ("referrals_up", "visits_primary"),
    ("referrals_down", "discharges_county"),
    ("maternal_deaths", "live_births"),
    ("staff_expense_county", "business_expense_county"),
    (("service_revenue_county", "drug_revenue_county"), "medical_revenue_county"),
    (("service_revenue_township", "drug_revenue_township"), "medical_revenue_township"),
    (("visits_primary", "visits_county"), "visits_total"),
]

# Plausibility ranges documented in data/demo/README.md (the first five are domain.md §3.3).
PLAUSIBLE_PERCENT = [
    ("admissions_in_county", ("admissions_in_county", "admissions_out_county"), 71, 93),
    (
        "resident_visits_in_county",
        ("resident_visits_in_county", "resident_visits_out_county"),
        80,
        100,
    ),
    ("oe_visits_primary", ("oe_visits_total",), 34, 64),
    ("fund_in_county", ("fund_in_county", "fund_out_county"), 40, 96),
    ("fund_primary", ("fund_in_county",), 4, 32),
    ("visits_primary", ("visits_total",), 34, 66),
    ("drug_revenue_township", ("medical_revenue_township",), 30, 80),
    ("drug_revenue_county", ("medical_revenue_county",), 22, 45),
    ("service_revenue_township", ("medical_revenue_township",), 8, 40),
    ("service_revenue_county", ("medical_revenue_county",), 17, 42),
]


def _total(panel: pd.DataFrame, columns: str | tuple[str, ...]) -> pd.Series:
    if isinstance(columns, str):
        columns = (columns,)
    return sum((panel[column] for column in columns), start=pd.Series(0, index=panel.index))


def _share(panel: pd.DataFrame, numerator: str, denominator: str) -> pd.Series:
    return panel[numerator] / panel[denominator] * 100.0


def _did(panel: pd.DataFrame, cohort: int, pre: range, post: range) -> float:
    """2×2 DiD of the primary-care visit share, cohort vs never reformed, county means."""
    panel = panel.assign(share=_share(panel, "visits_primary", "visits_total"))
    never = panel["reform_year"].isna()
    treated = panel["reform_year"] == cohort

    def mean(group: pd.Series, years: range) -> float:
        return float(panel.loc[group & panel["year"].isin(years), "share"].mean())

    return (mean(treated, post) - mean(treated, pre)) - (mean(never, post) - mean(never, pre))


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return generate_demo_panel()


# --- reproducibility ---------------------------------------------------------------------------


def test_committed_csv_is_the_generator_output_byte_for_byte(demo_panel_path):
    committed = demo_panel_path.read_bytes()
    assert committed == demo_panel_csv_text().encode("utf-8"), (
        "data/demo/panel.csv is stale: run `python -m ylt_eval.demo` and update the README"
    )


def test_two_runs_give_identical_frames_and_bytes():
    pd.testing.assert_frame_equal(generate_demo_panel(), generate_demo_panel())
    assert demo_panel_csv_text() == demo_panel_csv_text()


def test_different_seeds_give_different_panels():
    assert demo_panel_csv_text(1) != demo_panel_csv_text(2)


def test_cli_under_another_hash_seed_writes_the_committed_bytes(tmp_path, demo_panel_path):
    # Default --out is data/demo/panel.csv relative to the working folder.
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    result = subprocess.run(
        [sys.executable, "-m", "ylt_eval.demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    written = (tmp_path / "data" / "demo" / "panel.csv").read_bytes()
    assert (
        hashlib.sha256(written).hexdigest()
        == hashlib.sha256(demo_panel_path.read_bytes()).hexdigest()
    )


def test_write_demo_panel_writes_text_and_leaves_no_temporary_file(tmp_path):
    target = write_demo_panel(tmp_path / "sub" / "panel.csv", seed=3)
    assert target.read_bytes() == demo_panel_csv_text(3).encode("utf-8")
    assert sorted(p.name for p in target.parent.iterdir()) == ["panel.csv"]
    assert target.stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("seed", [-1, 1.5, "2024", True, None])
def test_invalid_seed_is_refused(seed):
    with pytest.raises(ParameterError, match="seed"):
        generate_demo_panel(seed)


# --- file format -----------------------------------------------------------------------------


def test_csv_text_format(demo_panel_path):
    raw = demo_panel_path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in raw
    lines = raw.decode("utf-8").split("\n")
    assert lines[-1] == ""  # file ends with a newline
    header = lines[0].split(",")
    assert header == [spec.column for spec in data_dictionary()]
    rows = [line.split(",") for line in lines[1:-1]]
    assert len(rows) == 80 * 11
    two_decimals = re.compile(r"^\d+\.\d{2}$")
    integer = re.compile(r"^\d+$")
    for index, spec in enumerate(data_dictionary()):
        cells = [row[index] for row in rows]
        if spec.kind in {"amount", "rate"}:
            assert all(two_decimals.match(cell) for cell in cells), spec.column
        elif spec.kind in {"count", "period"}:
            assert all(integer.match(cell) for cell in cells), spec.column
    reform = [row[header.index("reform_year")] for row in rows]
    assert set(reform) == {"", "2017", "2019", "2021", "2022", "2023"}
    codes = [row[0] for row in rows]
    assert codes == sorted(codes)


def test_csv_reads_back_to_the_generated_frame(demo_panel_path, panel):
    back = pd.read_csv(demo_panel_path, dtype={"county_code": str}, encoding="utf-8")
    pd.testing.assert_frame_equal(back, panel, check_dtype=False)


# --- structure -------------------------------------------------------------------------------


def test_columns_are_the_data_dictionary_in_order(panel):
    assert list(panel.columns) == [spec.column for spec in data_dictionary()]


def test_one_row_per_county_year_sorted(panel):
    assert not panel.duplicated(["county_code", "year"]).any()
    assert panel["county_code"].nunique() == 80
    assert sorted(panel["year"].unique()) == list(range(2014, 2025))
    assert tuple(DEMO_YEARS) == tuple(range(2014, 2025))
    assert len(panel) == 880
    ordered = panel.sort_values(["county_code", "year"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(panel, ordered)


def test_codes_are_fictional_six_digit_strings(panel):
    codes = panel["county_code"]
    assert all(isinstance(code, str) for code in codes)
    assert codes.str.fullmatch(r"99(0[1-8])(2[1-8]|8[12])").all()
    names = panel.drop_duplicates("county_code")["county_name"]
    assert names.nunique() == 80
    assert names.str.fullmatch(r"[\u4e00-\u9fff]{2}[县市]").all()
    assert (panel["province"] == "示范省").all()


def test_counts_are_non_negative_integers_and_amounts_have_two_decimals(panel):
    for spec in data_dictionary():
        if spec.kind == "count":
            assert panel[spec.column].dtype == np.int64, spec.column
            assert (panel[spec.column] >= 0).all(), spec.column
        if spec.kind in {"amount", "rate"}:
            values = panel[spec.column].to_numpy()
            assert (values >= 0).all(), spec.column
            assert np.array_equal(np.round(values, 2), values), spec.column


def test_populations_in_range(panel):
    assert panel["pop_resident"].between(150_000, 1_200_000).all()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("part", "whole"), PART_WHOLE, ids=lambda v: str(v))
def test_parts_never_exceed_wholes(seed, part, whole):
    panel = generate_demo_panel(seed)
    assert (_total(panel, part) <= _total(panel, whole)).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_outpatient_plus_inpatient_is_medical_revenue_to_the_cent(seed):
    panel = generate_demo_panel(seed)
    for level in ("county", "township"):
        cents = {
            kind: np.rint(panel[f"{kind}_revenue_{level}"] * 100).astype(np.int64)
            for kind in ("outpatient", "inpatient", "medical")
        }
        assert (cents["outpatient"] + cents["inpatient"] == cents["medical"]).all()


def test_discharges_by_scheme_add_up_to_all_admissions(panel):
    schemes = panel["discharges_resident_scheme"] + panel["discharges_employee_scheme"]
    assert (schemes == panel["admissions_in_county"] + panel["admissions_out_county"]).all()


def test_all_numeric_columns_are_filled(panel):
    numeric = [spec.column for spec in data_dictionary() if spec.is_numeric]
    assert not panel[numeric].isna().any().any()
    assert column_spec("premature_ncd_mortality").kind == "rate"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("numerator", "denominator", "low", "high"), PLAUSIBLE_PERCENT)
def test_shares_inside_documented_plausibility_ranges(seed, numerator, denominator, low, high):
    panel = generate_demo_panel(seed)
    share = panel[numerator] / _total(panel, denominator) * 100
    assert share.between(low, high).all(), (share.min(), share.max())


@pytest.mark.parametrize("seed", SEEDS)
def test_levels_inside_documented_ranges(seed):
    panel = generate_demo_panel(seed)
    assert panel["staff_township"].between(240, 1433).all()
    assert panel["premature_ncd_mortality"].between(12, 20).all()
    pay_township = panel["pay_total_township"] / panel["staff_township"]
    pay_county = panel["pay_total_county"] / panel["staff_county"]
    assert pay_township.between(4.5, 15).all()
    assert pay_county.between(6.5, 21).all()


def test_premature_mortality_falls_slowly(panel):
    by_year = panel.groupby("year")["premature_ncd_mortality"].mean()
    assert -2.5 < by_year[2024] - by_year[2014] < -1.0


def test_covid_dip_in_2020(panel):
    totals = panel.groupby("year")[["visits_total", "admissions_in_county"]].sum()
    assert (totals.loc[2020] < 0.9 * totals.loc[2019]).all()
    assert (totals.loc[2022] < totals.loc[2023]).all()


# --- reform design ---------------------------------------------------------------------------


def test_reform_year_constant_per_county_with_cohorts_and_never_treated(panel):
    per_county = panel.groupby("county_code")["reform_year"].nunique(dropna=False)
    assert (per_county == 1).all()
    first = panel.drop_duplicates("county_code")
    sizes = first["reform_year"].value_counts().sort_index()
    assert sizes.to_dict() == {2017.0: 8, 2019.0: 16, 2021.0: 12, 2022.0: 16, 2023.0: 14}
    assert first["reform_year"].isna().sum() == 14


def test_consortium_name_filled_only_for_reformed_counties(panel):
    reformed = panel["reform_year"].notna()
    assert panel.loc[reformed, "consortium_name"].notna().all()
    assert panel.loc[~reformed, "consortium_name"].isna().all()
    names = panel.loc[reformed, ["county_name", "consortium_name"]]
    assert all(c.startswith(n) for n, c in names.itertuples(index=False))
    early = panel.loc[panel["reform_year"] == 2017, "consortium_name"]
    assert early.str.endswith("总医院").all()


def test_demo_counties_are_early_late_and_never(panel):
    early, late, never = demo_counties_for_report()
    reform = panel.drop_duplicates("county_code").set_index("county_code")["reform_year"]
    assert reform[early] == 2017
    assert reform[late] == 2023
    assert np.isnan(reform[never])
    assert demo_counties_for_report() == ("990126", "990123", "990127")


# --- planted effects -------------------------------------------------------------------------


def test_true_att_table_matches_the_documented_design():
    att = primary_visit_share_true_att().set_index(["cohort", "event_time"])["att_pp"]
    assert len(att) == 8 + 6 + 4 + 3 + 2
    assert att[(2017, 0)] == pytest.approx(3.6)
    assert att[(2017, 2)] == pytest.approx(9.6)
    assert att[(2017, 7)] == pytest.approx(12.0)
    assert att[(2019, 1)] == pytest.approx(6.0)
    assert att[(2019, 5)] == pytest.approx(10.0)
    assert att[(2021, 3)] == pytest.approx(8.0)
    assert att[(2022, 2)] == pytest.approx(5.6)
    assert att[(2023, 1)] == pytest.approx(3.6)


def test_county_effects_average_to_the_cohort_att_and_vary_across_counties(panel):
    effects = primary_visit_share_county_effects()
    assert list(effects["county_code"]) == list(panel["county_code"])
    merged = effects.assign(reform_year=panel["reform_year"].to_numpy())
    untreated = merged["reform_year"].isna() | (merged["year"] < merged["reform_year"])
    assert (merged.loc[untreated, "effect_pp"] == 0).all()
    for cohort, full in FULL_EFFECT_PP.items():
        for year in range(cohort, 2025):
            cell = merged.loc[(merged["reform_year"] == cohort) & (merged["year"] == year)]
            expected = full * RAMP[min(year - cohort, 3)]
            assert cell["effect_pp"].mean() == pytest.approx(expected, abs=1e-9)
            ratio = cell["effect_pp"] / expected
            assert ratio.between(0.8 - 1e-9, 1.2 + 1e-9).all()
            assert ratio.std() > 0.05


def test_did_recovers_planted_effect_of_the_2017_cohort(panel):
    # Mean of 12 × (0.3, 0.6, 0.8, 1, 1, 1, 1, 1) over 2017–2024 = 12 × 6.7 / 8 = 10.05 pp.
    estimate = _did(panel, 2017, pre=range(2014, 2017), post=range(2017, 2025))
    assert estimate == pytest.approx(10.05, abs=0.5)


def test_no_anticipation_placebo_did_is_near_zero(panel):
    # Pre-period placebo: 2014 vs 2015–2016, noise only (sd about 0.24 pp).
    estimate = _did(panel, 2017, pre=range(2014, 2015), post=range(2015, 2017))
    assert abs(estimate) < 1.0


def test_did_of_a_late_cohort_recovers_its_effect(panel):
    # 2021 cohort vs never reformed, 2014–2020 vs 2021–2024: 8 × (0.3+0.6+0.8+1) / 4 = 5.4 pp.
    estimate = _did(panel, 2021, pre=range(2014, 2021), post=range(2021, 2025))
    assert estimate == pytest.approx(5.4, abs=0.5)


def _cohort_did(panel, values: pd.Series, cohort: int, post_year: int) -> float:
    frame = panel.assign(value=values)
    never = frame["reform_year"].isna()
    treated = frame["reform_year"] == cohort

    def mean(group, year):
        return float(frame.loc[group & (frame["year"] == year), "value"].mean())

    pre_year = cohort - 1
    return (mean(treated, post_year) - mean(treated, pre_year)) - (
        mean(never, post_year) - mean(never, pre_year)
    )


def test_other_planted_effects_have_the_documented_sign_and_size(panel):
    # 2017 cohort, 2016 → 2022 (event time 5, full effect), against never-reformed counties.
    # One-year DiD with 8 vs 14 counties: noise sd = 0.2887 × half-width × sqrt(2) ×
    # sqrt(1/8 + 1/14) = 0.18 × half-width; tolerances are about 4 sd (README gives half-widths).
    def share(num, den):
        return _share(panel, num, den)

    drug_township = _cohort_did(
        panel, share("drug_revenue_township", "medical_revenue_township"), 2017, 2022
    )
    assert drug_township == pytest.approx(-14.0, abs=1.2)
    service_county = _cohort_did(
        panel, share("service_revenue_county", "medical_revenue_county"), 2017, 2022
    )
    assert service_county == pytest.approx(6.0, abs=0.8)
    in_county = panel["admissions_in_county"] / (
        panel["admissions_in_county"] + panel["admissions_out_county"]
    )
    assert _cohort_did(panel, in_county * 100, 2017, 2022) == pytest.approx(5.0, abs=0.8)
    # Cost per admission: growth lowered by 2.5 % a year for 6 years (2017–2022): 0.975**6 = 0.859.
    log_cost = np.log(panel["inpatient_cost_in_county"] / panel["admissions_in_county"])
    assert _cohort_did(panel, log_cost, 2017, 2022) == pytest.approx(np.log(0.975**6), abs=0.025)
    # Downward referrals roughly triple (× (1 + 2.0)) relative to the counterfactual.
    log_down = np.log(panel["referrals_down"] / panel["discharges_county"])
    assert _cohort_did(panel, log_down, 2017, 2022) == pytest.approx(np.log(3.0), abs=0.1)


def test_tcm_share_has_no_planted_effect(panel):
    tcm = _share(panel, "visits_tcm", "visits_total")
    assert abs(_cohort_did(panel, tcm, 2017, 2022)) < 0.8
