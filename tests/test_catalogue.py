"""Tests of ylt_eval.metrics.catalogue: the packaged catalogue's content and the validator."""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import pytest

from ylt_eval.errors import ParameterError, YltEvalError
from ylt_eval.metrics.catalogue import (
    CatalogueError,
    Indicator,
    catalogue,
    catalogue_frame,
    formula_text,
    indicator,
    load_catalogue,
    share_constraints,
)
from ylt_eval.schema import numeric_columns

# --- the packaged catalogue -------------------------------------------------------------------


def test_catalogue_is_large_enough_and_unique():
    items = catalogue()
    codes = [item.code for item in items]
    assert len(items) >= 35
    assert len(codes) == len(set(codes))
    assert all(isinstance(item, Indicator) for item in items)
    with pytest.raises(dataclasses.FrozenInstanceError):
        items[0].code = "changed"  # type: ignore[misc]


def test_catalogue_is_cached():
    assert catalogue() is catalogue()


def test_national_set_is_complete():
    by_number: dict[int, list[Indicator]] = {}
    for item in catalogue():
        if item.national_no is not None:
            by_number.setdefault(item.national_no, []).append(item)
    assert sorted(by_number) == list(range(1, 15))
    assert all(by_number[n][0].kind == "qualitative" for n in (1, 2, 3))
    assert sorted(item.kind for item in by_number[10]) == ["growth", "ratio"]
    assert all(len(by_number[n]) == 1 for n in by_number if n != 10)
    dimensions = {n: by_number[n][0].dimension for n in by_number}
    assert dimensions == {
        1: "integration",
        2: "integration",
        3: "integration",
        4: "homogeneity",
        5: "homogeneity",
        6: "homogeneity",
        7: "division",
        8: "division",
        9: "division",
        10: "efficiency",
        11: "efficiency",
        12: "efficiency",
        13: "health",
        14: "health",
    }


def test_seed_and_supplementary_indicators_are_present():
    required = {
        # 永泰
        "primary_visit_share",
        "oop_per_discharge_resident_scheme",
        "oop_per_discharge_employee_scheme",
        "service_revenue_share_county",
        "service_revenue_share_township",
        "drug_share_county",
        "drug_share_township",
        "avg_pay_county",
        "avg_pay_township",
        # 珠海
        "referrals_up_growth",
        "referrals_down_growth",
        # 徐州
        "outpatient_cost_per_visit_county_growth",
        "outpatient_cost_per_visit_township_growth",
        "inpatient_cost_per_discharge_county_growth",
        "inpatient_cost_per_discharge_township_growth",
        # 云南
        "maternal_mortality",
        "weak_discipline_build_rate",
        "key_population_contract_rate",
        "tcm_hospital_capacity",
        # seed 004
        "referral_up_rate",
        "referral_down_rate",
        # 2019 pilot
        "in_county_visit_rate",
        "primary_oe_visit_share",
        # supplementary
        "grade34_surgery_share_county",
        "staff_expense_share_county",
        "family_doctor_contract_rate",
        "htn_standard_management_rate",
        "htn_control_rate",
        "dm_standard_management_rate",
        "dm_control_rate",
        "pay_ratio_primary_county",
    }
    assert required <= {item.code for item in catalogue()}


def test_directions_of_key_indicators():
    assert indicator("drug_share_county").direction == "down"
    assert indicator("primary_visit_share").direction == "up"
    assert indicator("chronic_managed_admission_rate").direction == "down"
    assert indicator("inpatient_cost_per_admission_growth").direction == "down"
    assert indicator("referrals_up_growth").direction == "down"
    assert indicator("referrals_down_growth").direction == "up"
    ratio = indicator("pay_ratio_primary_county")
    assert (ratio.direction, ratio.target_value) == ("target", 1.0)


def test_units_and_scales_of_money_and_rates():
    assert indicator("oop_per_discharge_resident_scheme").scale == 10000
    assert indicator("oop_per_discharge_resident_scheme").unit_zh == "元"
    assert indicator("avg_pay_county").scale == 1
    assert indicator("avg_pay_county").unit_zh == "万元"
    assert indicator("maternal_mortality").scale == 100000
    assert indicator("drug_share_township").denominator == ("medical_revenue_township",)
    assert indicator("service_revenue_share_county").denominator == ("medical_revenue_county",)


def test_provenance_s_only_for_national_and_2019_pilot():
    for item in catalogue():
        official = "2024 national" in item.standard or "2019 pilot" in item.standard
        if item.provenance == "S":
            assert official, item.code
        if item.national_no is None and not official:
            assert item.provenance == "C", item.code
        assert "official 26" not in item.notes_en.lower()


def test_referral_rates_define_their_denominators():
    assert indicator("referral_up_rate").denominator == ("visits_primary",)
    assert indicator("referral_down_rate").denominator == ("discharges_county",)
    assert indicator("referral_up_rate").provenance == "C"
    assert indicator("referral_down_rate").provenance == "C"


def test_formulas_only_use_dictionary_columns():
    known = set(numeric_columns())
    for item in catalogue():
        assert set(item.numerator) | set(item.denominator) <= known, item.code
        if item.kind == "input":
            assert item.column in known


def test_share_constraints():
    constraints = {c.code: c for c in share_constraints()}
    assert constraints["primary_visit_share"].numerator == ("visits_primary",)
    assert constraints["primary_visit_share"].denominator == ("visits_total",)
    assert constraints["fund_in_county_share"].denominator == ("fund_in_county", "fund_out_county")
    assert "referral_down_rate" not in constraints  # may include outpatients: not a share
    assert "avg_pay_county" not in constraints
    assert all(indicator(code).bounded for code in constraints)


def test_indicator_lookup_suggests_close_matches():
    assert indicator("drug_share_county").name_zh == "县级药占比"
    with pytest.raises(ParameterError, match="drug_share_county"):
        indicator("drug_share_countyy")
    with pytest.raises(YltEvalError):
        indicator("completely_unrelated_zzz")


def test_catalogue_frame():
    frame = catalogue_frame()
    assert len(frame) == len(catalogue())
    assert frame["code"].tolist() == [item.code for item in catalogue()]
    for column in ("name_zh", "kind", "direction", "provenance", "formula", "national_no"):
        assert column in frame.columns
    row = frame.set_index("code").loc["fund_in_county_share"]
    assert row["formula"] == "fund_in_county / (fund_in_county + fund_out_county) × 100"
    assert row["denominator"] == "fund_in_county + fund_out_county"
    assert frame.set_index("code").loc["primary_visit_share", "national_no"] == 7


def test_formula_text_of_each_kind():
    assert formula_text(indicator("avg_pay_county")) == "pay_total_county / staff_county"
    assert formula_text(indicator("premature_ncd_mortality")) == "premature_ncd_mortality"
    assert formula_text(indicator("unified_resource_management")) == ""
    assert "referrals_up[t-1]" in formula_text(indicator("referrals_up_growth"))


# --- validation of catalogue files ------------------------------------------------------------

GOOD = """
[[indicator]]
code = "share_a"
name_zh = "甲"
name_en = "A"
dimension = "division"
kind = "ratio"
numerator = ["visits_primary"]
denominator = ["visits_total"]
scale = 100
bounded = true
unit_zh = "%"
unit_en = "%"
direction = "up"
source = "年报"
standard = "supplementary"
provenance = "C"

[[indicator]]
code = "share_a_growth"
name_zh = "甲增长"
name_en = "A growth"
dimension = "division"
kind = "growth"
base = "share_a"
unit_zh = "%"
unit_en = "%"
direction = "down"
source = "年报"
standard = "supplementary"
provenance = "C"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "indicators.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_good_file_loads(tmp_path):
    items = load_catalogue(write(tmp_path, GOOD))
    assert [item.code for item in items] == ["share_a", "share_a_growth"]
    assert items[0].numerator == ("visits_primary",) and items[0].scale == 100.0
    assert items[1].base == "share_a"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("bounded = true\n", 'bounded = true\ncolour = "red"\n', r"share_a.*colour"),
        ('["visits_primary"]', '["visits_primry"]', r"share_a.*visits_primry"),
        ('["visits_total"]', '["county_name"]', r"share_a.*county_name"),
        ('kind = "ratio"', 'kind = "fraction"', r"share_a.*kind 'fraction'"),
        ('direction = "up"', 'direction = "higher"', r"share_a.*direction 'higher'"),
        ('provenance = "C"\n\n', 'provenance = "official"\n\n', r"share_a.*provenance"),
        ('code = "share_a_growth"', 'code = "share_a"', r"share_a.*duplicate"),
        ('base = "share_a"', 'base = "share_b"', r"share_a_growth.*share_b.*does not exist"),
        ('direction = "up"', 'direction = "target"', r"share_a.*target_value"),
        ("scale = 100\n", "scale = -1\n", r"share_a.*scale"),
        ("bounded = true", 'bounded = "yes"', r"share_a.*bounded"),
        (
            'dimension = "division"\nkind = "growth"',
            'dimension = "politics"\nkind = "growth"',
            r"share_a_growth.*dimension",
        ),
        ('code = "share_a"\n', 'code = "Share A"\n', r"snake_case"),
        ('name_en = "A"\n', "", r"share_a.*name_en"),
        (
            'base = "share_a"',
            'base = "share_a"\nnumerator = ["visits_primary"]',
            r"share_a_growth.*numerator",
        ),
        ('denominator = ["visits_total"]', "denominator = []", r"share_a.*denominator"),
        ('[[indicator]]\ncode = "share_a"', '[[indicator]\ncode = "share_a"', r"TOML"),
    ],
)
def test_bad_files_are_rejected_naming_the_code(tmp_path, old, new, message):
    assert old in GOOD
    with pytest.raises(CatalogueError, match=message):
        load_catalogue(write(tmp_path, GOOD.replace(old, new, 1)))


def test_growth_of_qualitative_indicator_is_rejected(tmp_path):
    text = GOOD.replace('kind = "ratio"', 'kind = "qualitative"').replace(
        'numerator = ["visits_primary"]\ndenominator = ["visits_total"]\nscale = 100\n'
        "bounded = true\n",
        "",
    )
    with pytest.raises(CatalogueError, match=r"share_a_growth.*qualitative"):
        load_catalogue(write(tmp_path, text))


def test_circular_references_are_rejected(tmp_path):
    text = GOOD.replace(
        'kind = "ratio"\nnumerator = ["visits_primary"]\ndenominator = ["visits_total"]\n'
        "scale = 100\nbounded = true\n",
        'kind = "growth"\nbase = "share_a_growth"\n',
    )
    with pytest.raises(CatalogueError, match="circular"):
        load_catalogue(write(tmp_path, text))


def test_quotient_needs_existing_indicators(tmp_path):
    quotient = """
    [[indicator]]
    code = "a_over_b"
    name_zh = "比"
    name_en = "Ratio"
    dimension = "homogeneity"
    kind = "quotient"
    numerator_indicator = "share_a"
    denominator_indicator = "share_b"
    unit_zh = "比值"
    unit_en = "ratio"
    direction = "target"
    target_value = 1
    source = "年报"
    standard = "supplementary"
    provenance = "C"
    """
    with pytest.raises(CatalogueError, match=r"a_over_b.*share_b"):
        load_catalogue(write(tmp_path, GOOD + textwrap.dedent(quotient)))
    fixed = textwrap.dedent(quotient).replace('"share_b"', '"share_a_growth"')
    items = load_catalogue(write(tmp_path, GOOD + fixed))
    assert items[-1].dependencies == ("share_a", "share_a_growth")
    assert items[-1].target_value == 1.0


def test_duplicate_national_number_is_rejected(tmp_path):
    text = GOOD.replace('provenance = "C"\n', 'provenance = "C"\nnational_no = 7\n')
    text = text.replace(
        'kind = "growth"\nbase = "share_a"', 'kind = "input"\ncolumn = "referrals_up"'
    )
    with pytest.raises(CatalogueError, match=r"share_a_growth.*national_no 7"):
        load_catalogue(write(tmp_path, text))


def test_level_and_growth_may_share_a_national_number(tmp_path):
    text = GOOD.replace('provenance = "C"\n', 'provenance = "C"\nnational_no = 10\n')
    items = load_catalogue(write(tmp_path, text))
    assert [item.national_no for item in items] == [10, 10]


def test_unknown_top_level_key_is_rejected(tmp_path):
    with pytest.raises(CatalogueError, match="top-level"):
        load_catalogue(write(tmp_path, 'title = "x"\n' + GOOD))


def test_missing_file_is_a_catalogue_error(tmp_path):
    with pytest.raises(CatalogueError, match="cannot read"):
        load_catalogue(tmp_path / "nope.toml")
