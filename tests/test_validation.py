"""Validation: every blocking rule and warning, located messages, typed panel, long format.

Inputs are small hand-made CSVs; expected rows, cells and values are worked out by hand from
the layout below (header = spreadsheet row 1, data rows 2–7; column letters in COLUMNS order).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ylt_eval.errors import ParameterError
from ylt_eval.readers import read_table
from ylt_eval.schema import data_dictionary
from ylt_eval.validation import (
    RULES,
    ValidationIssue,
    ValidationReport,
    detect_format,
    load_input,
    parse_number,
    parse_period,
    validate_long,
    validate_panel,
)
from ylt_eval.validation.report import ISSUE_FIELDS


@dataclass(frozen=True)
class Constraint:
    """Stand-in for the catalogue's ShareConstraint."""

    code: str
    numerator: tuple[str, ...]
    denominator: tuple[str, ...]


CONSTRAINTS = (
    Constraint("primary_visit_share", ("visits_primary",), ("visits_total",)),
    Constraint("fund_primary_share", ("fund_primary",), ("fund_in_county",)),
)

#          A              B              C           D       E
COLUMNS = ["county_code", "county_name", "province", "year", "reform_year",
           # F             G               H                 I
           "pop_resident", "visits_total", "visits_primary", "admissions_in_county",
           # J                       K                 L                  M
           "admissions_out_county", "fund_in_county", "fund_out_county", "fund_primary",
           # N
           "premature_ncd_mortality"]  # fmt: skip
LETTER = {column: chr(ord("A") + i) for i, column in enumerate(COLUMNS)}

# Shares: admissions in-county 80–85 %, fund in-county 71–77 %, primary fund 16.7–22 %: all
# inside the plausibility ranges; no year-on-year change above ×1.1.
# fmt: off
BASE_ROWS = [
    ["350125", "永泰县", "福建", "2019", "2017", "380000", "1000000", "500000", "8000", "2000",
     "5000", "2000", "1000", "15.2"],
    ["350125", "永泰县", "福建", "2020", "2017", "381000", "1050000", "550000", "8200", "2000",
     "5200", "2000", "1100", "15.0"],
    ["350125", "永泰县", "福建", "2021", "2017", "382000", "1100000", "600000", "8400", "2000",
     "5400", "2000", "1200", "14.8"],
    ["110101", "东城区", "北京", "2019", "", "700000", "2000000", "900000", "16000", "3000",
     "9000", "3000", "1500", "12.0"],
    ["110101", "东城区", "北京", "2020", "", "705000", "2100000", "950000", "16500", "3000",
     "9500", "3000", "1600", "11.8"],
    ["110101", "东城区", "北京", "2021", "", "710000", "2200000", "1000000", "17000", "3000",
     "10000", "3000", "1700", "11.5"],
]
# fmt: on


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding="utf-8") -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def edited(changes: dict[tuple[int, str], str], rows=None) -> list[list[str]]:
    """Copy of the base rows with cells changed; keys are (spreadsheet row, column)."""
    result = [list(row) for row in (rows or BASE_ROWS)]
    for (row, column), value in changes.items():
        result[row - 2][COLUMNS.index(column)] = value
    return result


def run(tmp_path, rows=None, header=None, constraints=CONSTRAINTS, name="panel.csv"):
    path = write_csv(tmp_path / name, header or COLUMNS, rows if rows is not None else BASE_ROWS)
    return validate_panel(read_table(path), share_constraints=constraints)


def only(report: ValidationReport, rule: str) -> ValidationIssue:
    matching = [issue for issue in report.issues if issue.rule == rule]
    assert len(matching) == 1, report.to_text("en")
    return matching[0]


def located(issue: ValidationIssue) -> tuple:
    return (issue.severity, issue.file, issue.sheet, issue.row, issue.column, issue.cell)


# ------------------------------------------------------------------------------- clean input


def test_clean_panel_has_no_issues_and_typed_columns(tmp_path):
    panel, report = run(tmp_path)
    assert report.issues == ()
    assert not report.has_errors
    assert list(panel.columns) == [spec.column for spec in data_dictionary()]
    assert panel.shape == (6, len(data_dictionary()))
    assert panel["county_code"].tolist() == ["110101"] * 3 + ["350125"] * 3
    assert panel["year"].tolist() == [2019, 2020, 2021] * 2
    assert panel["year"].dtype == np.dtype("int64")
    assert str(panel["reform_year"].dtype) == "Int64"
    assert panel["reform_year"].isna().tolist() == [True] * 3 + [False] * 3
    assert panel["reform_year"].iloc[3] == 2017
    assert panel["visits_total"].dtype == np.dtype("float64")
    assert panel["visits_total"].iloc[0] == 2_000_000.0
    assert panel["premature_ncd_mortality"].iloc[5] == 14.8
    assert str(panel["county_name"].dtype) == "string"
    assert panel["county_name"].iloc[0] == "东城区"
    assert panel["visits_tcm"].isna().all()  # absent from the file


def test_result_does_not_depend_on_row_order_and_input_is_not_modified(tmp_path):
    shuffled = list(BASE_ROWS)
    random.Random(7).shuffle(shuffled)
    first, _ = run(tmp_path, name="a.csv")
    path = write_csv(tmp_path / "b.csv", COLUMNS, shuffled)
    raw = read_table(path)
    before = raw.frame.copy()
    second, report = validate_panel(raw, share_constraints=CONSTRAINTS)
    pd.testing.assert_frame_equal(first, second)
    pd.testing.assert_frame_equal(raw.frame, before)
    assert report.issues == ()


def test_chinese_template_headers_and_numbers_as_text(tmp_path):
    header = [
        "县级行政区划代码",
        "县（市、区）名称",
        "省份",
        "年份",
        "紧密型医共体组建年份（年）",
        "常住人口（人）",
        "县域内总诊疗人次（人次）",
        "基层医疗卫生机构诊疗人次 (人次)",
        "参保人县域内住院人次",
        "参保人县域外住院人次（人次）",
        "医保基金县域内支出（不含药店）（万元）",
        "医保基金县域外支出（万元）",
        "基层医疗卫生机构医保基金支出（万元）",
        "四类慢性病过早死亡率（%）",
    ]
    rows = edited(
        {
            (2, "visits_total"): "1,000,000",
            (3, "visits_total"): "1，050，000",
            (4, "visits_total"): "１１０００００",
            (2, "premature_ncd_mortality"): "15.2%",
            (3, "premature_ncd_mortality"): " 15.0 ％",
            (5, "visits_total"): "2.0E+06",
            (5, "reform_year"): "-",
            (6, "fund_out_county"): " 3000 ",
            (2, "year"): "2019年",
        }
    )
    panel, report = run(tmp_path, rows=rows, header=header)
    assert report.issues == ()
    yongtai = panel[panel["county_code"] == "350125"]
    assert yongtai["visits_total"].tolist() == [1_000_000.0, 1_050_000.0, 1_100_000.0]
    assert yongtai["premature_ncd_mortality"].tolist() == [15.2, 15.0, 14.8]
    assert panel["visits_total"].iloc[0] == 2_000_000.0


@pytest.mark.parametrize(
    ("text", "allow_percent", "expected"),
    [
        ("1,234", False, (1234.0, None)),
        ("1，234.5", False, (1234.5, None)),
        ("1 234", False, (1234.0, None)),
        ("-12", False, (-12.0, None)),
        ("1.5e3", False, (1500.0, None)),
        ("12.5%", True, (12.5, None)),
        ("12.5%", False, (None, "percent")),
        ("1,2345", False, (None, "non_numeric")),
        ("12,34", False, (None, "non_numeric")),
        ("abc", False, (None, "non_numeric")),
        ("inf", False, (None, "non_numeric")),
        ("1e400", False, (None, "non_numeric")),
        ("#DIV/0!", False, (None, "excel_error")),
        ("#N/A", False, (None, "excel_error")),
        ("", False, (None, None)),
        ("—", False, (None, None)),
        ("/", False, (None, None)),
        ("N/A", False, (None, None)),
    ],
)
def test_parse_number(text, allow_percent, expected):
    parsed = parse_number(text, allow_percent=allow_percent)
    assert (parsed.value, parsed.problem) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023", (2023, "2023")),
        ("2023.0", (2023, "2023")),
        ("2023H1", (2023, "2023H1")),
        ("2023 h2", (2023, "2023H2")),
        ("2023-H1", (2023, "2023H1")),
        ("2023年上半年", (2023, "2023H1")),
        ("2023下半年", (2023, "2023H2")),
        ("2023Q1", None),
        ("23", None),
        ("2023H3", None),
    ],
)
def test_parse_period(text, expected):
    assert parse_period(text) == expected


# --------------------------------------------------------------------------- blocking rules


@pytest.mark.parametrize(
    ("row", "column", "value", "rule", "county"),
    [
        (3, "year", "20x0", "year.invalid", "350125"),
        (3, "year", "1900", "year.range", "350125"),
        (4, "pop_resident", "-5", "value.negative", "350125"),
        (6, "fund_out_county", "-3000", "value.negative", "110101"),
        (5, "visits_total", "abc", "value.non_numeric", "110101"),
        (2, "pop_resident", "5%", "value.non_numeric", "350125"),
        (2, "premature_ncd_mortality", "120", "rate.range", "350125"),
        (2, "premature_ncd_mortality", "-1", "rate.range", "350125"),
        (3, "reform_year", "2018", "reform_year.inconsistent", "350125"),
        (3, "reform_year", "1990", "reform_year.range", "350125"),
        (3, "reform_year", "2030", "reform_year.range", "350125"),
        (3, "reform_year", "二〇一七", "reform_year.invalid", "350125"),
        (6, "county_name", "东城", "county_name.inconsistent", "110101"),
        (4, "province", "福州", "province.inconsistent", "350125"),
    ],
)
def test_county_level_blocking_rules(tmp_path, row, column, value, rule, county):
    panel, report = run(tmp_path, rows=edited({(row, column): value}))
    issue = only(report, rule)
    assert located(issue) == ("error", "panel.csv", None, row, column, f"{LETTER[column]}{row}")
    assert issue.county_code == county
    assert issue.value == value
    assert issue.message_zh and issue.message_en and issue.hint_zh and issue.hint_en
    assert report.errors == (issue,)
    assert report.affected_counties() == (county,)
    assert report.file_level_errors == ()
    # render can skip only the affected county
    assert set(panel["county_code"]) == {"350125", "110101"} - {county}


def test_numerator_above_denominator(tmp_path):
    panel, report = run(tmp_path, rows=edited({(2, "visits_primary"): "1200000"}))
    issue = only(report, "share.numerator_above_denominator")
    assert located(issue) == ("error", "panel.csv", None, 2, "visits_primary", "H2")
    assert issue.county_code == "350125"
    assert issue.value == "1,200,000 > 1,000,000"
    assert "1,200,000" in issue.message_zh and "1,000,000" in issue.message_en
    assert report.errors == (issue,)
    assert set(panel["county_code"]) == {"110101"}


def test_share_constraint_over_summed_columns(tmp_path):
    constraint = Constraint("x", ("fund_primary", "fund_out_county"), ("fund_in_county",))
    # row 7: 1700 + 3000 = 4700 <= 10000 fine; row 2: 4000 + 2000 = 6000 > 5000
    rows = edited({(2, "fund_primary"): "4000"})
    _, report = run(tmp_path, rows=rows, constraints=(constraint,))
    issue = only(report, "share.numerator_above_denominator")
    assert (issue.row, issue.value) == (2, "6,000 > 5,000")


def test_default_share_constraints_come_from_the_catalogue(tmp_path):
    path = write_csv(tmp_path / "p.csv", COLUMNS, edited({(2, "visits_primary"): "1200000"}))
    _, report = validate_panel(read_table(path))
    issue = only(report, "share.numerator_above_denominator")
    assert issue.row == 2
    assert "基层" in issue.message_zh  # named after the catalogue indicator


def test_five_digit_code_gets_leading_zero_hint(tmp_path):
    panel, report = run(tmp_path, rows=edited({(2, "county_code"): "35012"}))
    issue = only(report, "county_code.format")
    assert located(issue) == ("error", "panel.csv", None, 2, "county_code", "A2")
    assert issue.county_code is None
    assert "leading zero lost" in issue.hint_en
    assert "store the column as text" in issue.hint_en
    assert report.file_level_errors == (issue,)
    assert panel is None


def test_total_row_code_is_a_file_level_error_with_its_own_hint(tmp_path):
    rows = [*BASE_ROWS, ["合计", "", "", "2021", "", "1092000"] + [""] * 8]
    panel, report = run(tmp_path, rows=rows)
    issue = only(report, "county_code.format")
    assert (issue.row, issue.value, issue.county_code) == (8, "合计", None)
    assert "total" in issue.hint_en and "leading zero" not in issue.hint_en
    assert panel is None


def test_blank_county_code_and_blank_year(tmp_path):
    rows = edited({(3, "county_code"): "", (4, "year"): " "})
    panel, report = run(tmp_path, rows=rows)
    code = only(report, "county_code.missing")
    year = only(report, "year.missing")
    assert (code.row, code.cell, code.county_code) == (3, "A3", None)
    assert (year.row, year.cell, year.county_code) == (4, "D4", "350125")
    assert "merged" in code.hint_en
    assert panel is None


def test_half_year_in_panel_gets_long_format_hint(tmp_path):
    _, report = run(tmp_path, rows=edited({(3, "year"): "2020H1"}))
    issue = only(report, "year.invalid")
    assert "long format" in issue.hint_en


def test_duplicated_county_year_flags_every_copy(tmp_path):
    panel, report = run(tmp_path, rows=edited({(3, "year"): "2019"}))
    duplicates = [i for i in report.issues if i.rule == "county_year.duplicate"]
    assert [(i.row, i.column, i.county_code) for i in duplicates] == [
        (2, "year", "350125"),
        (3, "year", "350125"),
    ]
    assert "2, 3" in duplicates[0].message_zh
    assert report.rules() == ("county_year.duplicate", "year.gap")
    assert set(panel["county_code"]) == {"110101"}


def test_non_numeric_hints(tmp_path):
    rows = edited({(2, "pop_resident"): "5%", (3, "visits_total"): "#DIV/0!"})
    _, report = run(tmp_path, rows=rows)
    percent, formula = sorted(
        (i for i in report.issues if i.rule == "value.non_numeric"), key=lambda i: i.row
    )
    assert "rate columns" in percent.hint_en and "persons" in percent.hint_en
    assert "formula" in formula.hint_en
    assert formula.cell == "G3"


def test_missing_required_column_is_file_level(tmp_path):
    header = [c for c in COLUMNS if c != "province"]
    rows = [[v for c, v in zip(COLUMNS, row, strict=True) if c != "province"] for row in BASE_ROWS]
    panel, report = run(tmp_path, rows=rows, header=header)
    issue = only(report, "column.missing_required")
    assert located(issue) == ("error", "panel.csv", None, None, "province", None)
    assert "省份" in issue.message_zh and "省份" in issue.hint_zh
    assert report.file_level_errors == (issue,)
    assert panel is None


def test_duplicate_mapped_columns_block_the_file(tmp_path):
    header = [*COLUMNS, "基层医疗卫生机构诊疗人次（人次）"]
    rows = [[*row, row[7]] for row in BASE_ROWS]
    panel, report = run(tmp_path, rows=rows, header=header)
    issue = only(report, "header.duplicate")
    assert issue.severity == "error" and issue.column == "visits_primary"
    assert "H" in issue.message_zh and "O" in issue.message_zh
    assert panel is None


def test_header_announcing_a_unit_of_another_kind_blocks_the_file(tmp_path):
    header = [("常住人口（万元）" if c == "pop_resident" else c) for c in COLUMNS]
    panel, report = run(tmp_path, rows=BASE_ROWS, header=header)
    issue = only(report, "header.unit_mismatch")
    assert (issue.column, issue.severity) == ("pop_resident", "error")
    assert "万元" in issue.message_zh and "人" in issue.hint_zh
    assert panel is None


def test_header_in_another_unit_of_the_same_kind_is_converted_with_a_warning(tmp_path):
    units = {"pop_resident": "常住人口（万人）", "fund_out_county": "医保基金县域外支出（元）"}
    header = [units.get(c, c) for c in COLUMNS]
    rows = [list(row) for row in BASE_ROWS]
    for row in rows:
        row[COLUMNS.index("pop_resident")] = f"{int(row[COLUMNS.index('pop_resident')]) / 1e4:g}"
        row[COLUMNS.index("fund_out_county")] += "0000"  # 2000 万元 written as 20000000 元
    panel, report = run(tmp_path, rows=rows, header=header)
    assert not report.has_errors
    converted = [issue for issue in report.issues if issue.rule == "unit.converted"]
    assert [(i.column, i.severity, i.row) for i in converted] == [
        ("fund_out_county", "warning", None),
        ("pop_resident", "warning", None),
    ]
    assert "除以 10,000" in converted[0].message_zh and "元" in converted[0].message_zh
    assert "multiplied by 10,000" in converted[1].message_en
    assert panel["pop_resident"].tolist()[3:] == [380000.0, 381000.0, 382000.0]  # 350125
    assert panel["fund_out_county"].tolist() == [3000.0] * 3 + [2000.0] * 3


def test_unit_row_below_the_header_is_applied(tmp_path):
    units = ["" for _ in COLUMNS]
    units[COLUMNS.index("fund_out_county")] = "元"
    units[COLUMNS.index("pop_resident")] = "人"
    rows = [units] + [list(row) for row in BASE_ROWS]
    for row in rows[1:]:
        row[COLUMNS.index("fund_out_county")] += "0000"
    panel, report = run(tmp_path, rows=rows)
    assert [i.rule for i in report.issues] == ["unit.converted"]
    assert panel["fund_out_county"].tolist() == [3000.0] * 3 + [2000.0] * 3
    first_row = report.issues[0]
    assert first_row.value == "fund_out_county（元）"


def test_cells_with_unit_words_are_converted_or_refused(tmp_path):
    rows = edited(
        {
            (2, "fund_in_county"): "5,000万元",  # the column's own unit: no warning
            (3, "fund_in_county"): "52,000,000元",  # 5200 万元
            (4, "pop_resident"): "38.2万",  # 382,000 persons
            (5, "premature_ncd_mortality"): "120‰",  # 12 %
            (6, "visits_total"): "210万元",  # money in a visits column
        }
    )
    panel, report = run(tmp_path, rows=rows)
    converted = [i for i in report.issues if i.rule == "value.unit_converted"]
    assert [(i.row, i.cell) for i in converted] == [(3, "K3"), (4, "F4"), (5, "N5")]
    assert "52,000,000元" in converted[0].message_zh and "5,200" in converted[0].message_zh
    refused = only(report, "value.non_numeric")
    assert (refused.row, refused.cell, refused.severity) == (6, "G6", "error")
    assert "人次" in refused.hint_zh
    kept = panel.set_index(["county_code", "year"])
    assert kept.loc[("350125", 2019), "fund_in_county"] == 5000.0
    assert kept.loc[("350125", 2020), "fund_in_county"] == 5200.0
    assert kept.loc[("350125", 2021), "pop_resident"] == 382000.0


def test_header_only_file_has_no_data(tmp_path):
    panel, report = run(tmp_path, rows=[])
    assert report.rules() == ("file.no_data",)
    assert panel is None


def test_all_problems_are_reported_in_one_pass(tmp_path):
    rows = edited(
        {
            (2, "county_code"): "35012",
            (3, "year"): "20x0",
            (5, "pop_resident"): "-1",
            (6, "premature_ncd_mortality"): "150",
            (7, "visits_primary"): "2300000",
        }
    )
    panel, report = run(tmp_path, rows=rows)
    assert [(i.rule, i.row, i.column) for i in report.errors] == [
        ("county_code.format", 2, "county_code"),
        ("year.invalid", 3, "year"),
        ("value.negative", 5, "pop_resident"),
        ("rate.range", 6, "premature_ncd_mortality"),
        ("share.numerator_above_denominator", 7, "visits_primary"),
    ]
    assert report.warnings == ()
    assert panel is None  # the malformed code cannot be attributed to a county


def test_xlsx_issues_name_sheet_and_row_below_a_title(tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    first = workbook.active
    first.title = "2019-2020"
    first["A1"] = "县域医共体监测数据"
    first.merge_cells("A1:N1")
    first.append(COLUMNS)
    for row in BASE_ROWS:
        if row[3] in {"2019", "2020"}:
            first.append(row)
    second = workbook.create_sheet("2021")
    second["A1"] = "县域医共体监测数据"
    second.append(COLUMNS)
    for row in edited({(7, "visits_total"): "-1"}):
        if row[3] == "2021":
            second.append(row)
    path = tmp_path / "panel.xlsx"
    workbook.save(path)
    loaded, report = load_input(path, share_constraints=CONSTRAINTS)
    assert loaded.sheets == ("2019-2020", "2021")
    issue = only(report, "value.negative")
    # sheet "2021": title row 1, header row 2, 350125 on row 3, 110101 on row 4
    assert located(issue) == ("error", "panel.xlsx", "2021", 4, "visits_total", "G4")
    assert issue.county_code == "110101"
    assert set(loaded.panel["county_code"]) == {"350125"}
    assert len(loaded.panel) == 3


# ---------------------------------------------------------------------------------- warnings


PLAUSIBILITY_CASES = [
    # extra columns, expected share text, column named in the issue
    (
        {"admissions_in_county": "5000", "admissions_out_county": "5000"},
        "50.0%",
        "admissions_in_county",
    ),
    (
        {"resident_visits_in_county": "70", "resident_visits_out_county": "30"},
        "70.0%",
        "resident_visits_in_county",
    ),
    ({"oe_visits_primary": "70", "oe_visits_total": "100"}, "70.0%", "oe_visits_primary"),
    ({"fund_in_county": "30", "fund_out_county": "70"}, "30.0%", "fund_in_county"),
    # in-county fund rate 80 % (plausible), primary share outside 4–32 %
    (
        {"fund_in_county": "100", "fund_out_county": "25", "fund_primary": "40"},
        "40.0%",
        "fund_primary",
    ),
    (
        {"fund_in_county": "1000", "fund_out_county": "250", "fund_primary": "35"},
        "3.5%",
        "fund_primary",
    ),
]


@pytest.mark.parametrize(("extra", "share", "column"), PLAUSIBILITY_CASES)
def test_share_outside_plausible_range_is_a_warning(tmp_path, extra, share, column):
    base = {
        "county_code": "350125",
        "county_name": "永泰县",
        "province": "福建",
        "year": "2020",
        "pop_resident": "380000",
        "visits_total": "100",
        "visits_primary": "50",
        "admissions_in_county": "80",  # 80 %: plausible
        "admissions_out_county": "20",
    }
    values = {**base, **extra}
    header = list(values)
    panel, report = run(tmp_path, rows=[list(values.values())], header=header, constraints=())
    issue = only(report, "plausibility.share_range")
    assert located(issue) == (
        "warning",
        "panel.csv",
        None,
        2,
        column,
        f"{chr(ord('A') + header.index(column))}2",
    )
    assert issue.value == share
    assert issue.county_code == "350125"
    assert report.errors == ()
    assert len(panel) == 1


def test_unit_switch_jump_is_named(tmp_path):
    panel, report = run(tmp_path, rows=edited({(3, "fund_in_county"): "52000000"}))
    jumps = [i for i in report.issues if i.rule == "value.yoy_jump"]
    assert [(i.row, i.column, i.severity) for i in jumps] == [
        (3, "fund_in_county", "warning"),
        (4, "fund_in_county", "warning"),
    ]
    up = jumps[0]
    assert up.cell == "K3" and up.county_code == "350125"
    assert "元/万元" in up.message_zh and "一万倍" in up.message_zh
    assert "almost exactly ×10,000" in up.message_en
    assert "5,000" in up.message_en and "52,000,000" in up.message_en
    assert "×10,400" in up.message_en  # 52000000 / 5000
    assert not report.has_errors
    assert len(panel) == 6


def test_count_dropping_below_a_third_is_flagged(tmp_path):
    _, report = run(tmp_path, rows=edited({(4, "pop_resident"): "100000"}))
    issue = only(report, "value.yoy_jump")
    assert (issue.row, issue.column, issue.cell) == (4, "pop_resident", "F4")
    assert "人/万人" in issue.message_zh
    assert "÷3.8" in issue.message_en  # 381000 / 100000 = 3.81
    assert "persons vs 10k persons" in issue.message_en
    assert report.rules() == ("value.yoy_jump",)


def test_jump_below_three_times_is_not_flagged(tmp_path):
    _, report = run(tmp_path, rows=edited({(3, "pop_resident"): "1130000"}))  # ×2.97
    assert report.issues == ()


def test_missing_year_inside_series(tmp_path):
    rows = [row for i, row in enumerate(BASE_ROWS) if i != 1]
    rows = [list(r) for r in rows]
    rows[1][COLUMNS.index("pop_resident")] = "1500000"  # ×3.9 over two years: not compared
    panel, report = run(tmp_path, rows=rows)
    issue = only(report, "year.gap")
    assert located(issue) == ("warning", "panel.csv", None, None, "year", None)
    assert (issue.value, issue.county_code) == ("2020", "350125")
    assert "2019–2021" in issue.message_zh
    assert report.rules() == ("year.gap",)
    assert len(panel) == 5


def test_optional_column_entirely_empty_and_unknown_column(tmp_path):
    header = [*COLUMNS, "中医类诊疗人次", "备注"]
    rows = [[*row, "", "note"] for row in BASE_ROWS]
    panel, report = run(tmp_path, rows=rows, header=header)
    empty = only(report, "column.empty")
    unknown = only(report, "header.unknown")
    assert located(empty) == ("warning", "panel.csv", None, None, "visits_tcm", None)
    assert located(unknown) == ("warning", "panel.csv", None, None, "备注", None)
    assert not report.has_errors
    assert "备注" not in panel.columns


def test_unknown_header_suggests_the_template_header(tmp_path):
    header = [("常驻人口" if c == "pop_resident" else c) for c in COLUMNS]
    _, report = run(tmp_path, header=header)
    unknown = only(report, "header.unknown")
    assert "常住人口（人）" in unknown.hint_zh
    assert only(report, "column.missing_required").column == "pop_resident"


def test_reform_year_given_in_some_rows_only(tmp_path):
    panel, report = run(tmp_path, rows=edited({(3, "reform_year"): ""}))
    issue = only(report, "reform_year.partly_blank")
    assert (issue.severity, issue.county_code, issue.value, issue.row) == (
        "warning",
        "350125",
        "2017",
        None,
    )
    assert panel.loc[panel["county_code"] == "350125", "reform_year"].tolist() == [2017] * 3


def test_rate_entered_as_share_is_converted_and_blank_required_value(tmp_path):
    rows = edited(
        {
            **{(r, "premature_ncd_mortality"): "0.15" for r in range(2, 8)},
            (5, "pop_resident"): "",
        }
    )
    panel, report = run(tmp_path, rows=rows)
    share = only(report, "rate.looks_like_share")
    blank = only(report, "value.missing_required")
    assert (share.column, share.row) == ("premature_ncd_mortality", None)
    assert "multiplied them by 100" in share.message_en
    assert (blank.row, blank.cell, blank.county_code) == (5, "F5", "110101")
    assert not report.has_errors
    assert np.isnan(panel.loc[panel["year"] == 2019, "pop_resident"].iloc[0])
    assert panel["premature_ncd_mortality"].tolist() == pytest.approx([15.0] * 6)


def test_rate_below_one_written_with_percent_signs_is_kept(tmp_path):
    rows = edited({(r, "premature_ncd_mortality"): "0.8%" for r in range(2, 8)})
    panel, report = run(tmp_path, rows=rows)
    assert report.issues == ()
    assert panel["premature_ncd_mortality"].tolist() == [0.8] * 6


# ------------------------------------------------------------------------------------ report


def test_report_outputs(tmp_path):
    rows = edited({(2, "county_code"): "35012", (6, "pop_resident"): "-1"})
    _, report = run(tmp_path, rows=rows)
    for lang in ("zh", "en"):
        text = report.to_text(lang)
        assert "panel.csv" in text
        assert "A2" in text and "F6" in text
        assert "county_code" in text and "pop_resident" in text
        assert "county_code.format" in text and "value.negative" in text
        lines = text.splitlines()
        assert lines[0].split()[3] in {"行", "row"}
    assert "leading zero lost" in report.to_text("en")
    assert "前导零" in report.to_text("zh")
    assert report.to_text("en").splitlines()[-1] == "2 error(s), 0 warning(s)"

    payload = json.loads(report.to_json())
    assert payload["n_errors"] == 2 and payload["n_warnings"] == 0
    assert payload["issues"][0]["row"] == 2
    assert report.to_json() == run(tmp_path, rows=rows)[1].to_json()

    frame = report.to_frame()
    assert tuple(frame.columns) == ISSUE_FIELDS
    assert frame["row"].tolist() == [2, 6]
    assert str(frame["row"].dtype) == "Int64"
    assert report.affected_counties() == ("110101",)
    assert [i.rule for i in report.file_level_errors] == ["county_code.format"]
    assert [i.rule for i in report.for_county("110101").issues] == [
        "county_code.format",
        "value.negative",
    ]


def test_report_is_canonical_and_issues_are_frozen():
    a = ValidationIssue("warning", "f.csv", None, 5, "year", "x", "year.gap", "甲", "a")
    b = ValidationIssue("error", "f.csv", None, 3, "year", "y", "year.invalid", "乙", "b")
    c = ValidationIssue("error", "f.csv", None, None, "province", None, "column.missing_required",
                        "丙", "c")  # fmt: skip
    assert ValidationReport((a, b, c, a)).issues == (c, b, a)
    assert ValidationReport((a, b, c)) == ValidationReport((c, a, b))
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.row = 1  # type: ignore[misc]
    assert ValidationReport().to_text("en") == "no problems found"
    assert b.hint == ""


def test_every_rule_template_formats_in_both_languages():
    for code, rule in RULES.items():
        assert rule.code == code
        assert rule.severity in {"error", "warning"}
        assert rule.message_zh and rule.message_en


def test_issues_are_the_same_whatever_the_row_order(tmp_path):
    rows = edited({(3, "year"): "2019", (6, "province"): "北京市", (7, "visits_primary"): "x"})
    _, first = run(tmp_path, rows=rows, name="a.csv")
    shuffled = list(rows)
    random.Random(3).shuffle(shuffled)
    _, second = run(tmp_path, rows=shuffled, name="b.csv")

    def content(report):
        return sorted((i.rule, i.county_code or "", i.column or "", i.value or "") for i in
                      report.issues)  # fmt: skip

    assert content(first) == content(second)


# ------------------------------------------------------------------------------ long format

LONG_HEADER = ["县级行政区划代码", "县（市、区）名称", "年份", "指标代码", "数值"]
LONG_ROWS = [
    ["350125", "永泰县", "2023H1", "primary_visit_share", "55.2"],
    ["350125", "永泰县", "2023H2", "primary_visit_share", "57.0%"],
    ["350125", "永泰县", "2022", "primary_visit_share", "1,234.5"],
    ["110101", "东城区", "2023年上半年", "drug_share_county", "30"],
    ["110101", "东城区", "2023", "drug_share_county", "-"],
]
KNOWN = ("primary_visit_share", "drug_share_county", "drug_share_township")


def run_long(tmp_path, rows=LONG_ROWS, header=LONG_HEADER, known=KNOWN):
    raw = read_table(write_csv(tmp_path / "long.csv", header, rows))
    assert detect_format(raw) == "long"
    return validate_long(raw, known)


def test_long_format_periods_and_values(tmp_path):
    long, report = run_long(tmp_path)
    assert report.rules() == ("value.missing",)
    assert only(report, "value.missing").row == 6
    assert list(long.columns) == ["county_code", "county_name", "province", "period", "year",
                                  "indicator", "value"]  # fmt: skip
    assert long["province"].isna().all()  # optional column, absent here
    assert long["county_code"].tolist() == ["110101", "350125", "350125", "350125"]
    assert long["period"].tolist() == ["2023H1", "2022", "2023H1", "2023H2"]
    assert long["year"].tolist() == [2023, 2022, 2023, 2023]
    assert long["value"].tolist() == [30.0, 1234.5, 55.2, 57.0]
    assert long["year"].dtype == np.dtype("int64")


def test_long_format_machine_headers_and_catalogue_codes(tmp_path):
    header = ["county_code", "county_name", "year", "indicator", "value"]
    raw = read_table(write_csv(tmp_path / "long.csv", header, LONG_ROWS[:4]))
    long, report = validate_long(raw)  # codes from the packaged catalogue
    assert report.issues == ()
    assert len(long) == 4


def test_long_format_errors(tmp_path):
    rows = [
        *LONG_ROWS[:4],
        ["350125", "永泰县", "2023H1", "primary_visit_shar", "1"],
        ["350125", "永泰县", "2023Q1", "primary_visit_share", "1"],
        ["110101", "东城区", "2023H1", "drug_share_county", "abc"],
        ["110101", "东城区", "2023年上半年", "drug_share_county", "31"],
    ]
    long, report = run_long(tmp_path, rows=rows)
    unknown = only(report, "indicator.unknown")
    assert (unknown.row, unknown.cell, unknown.county_code) == (6, "D6", "350125")
    assert "primary_visit_share" in unknown.hint_en
    assert only(report, "period.invalid").row == 7
    assert only(report, "value.non_numeric").cell == "E8"
    duplicates = [i for i in report.issues if i.rule == "county_period_indicator.duplicate"]
    assert [i.row for i in duplicates] == [5, 8, 9]
    assert report.affected_counties() == ("110101", "350125")
    assert long is not None and len(long) == 0


def test_long_format_keeps_province_and_checks_it_per_county(tmp_path):
    header = ["县级行政区划代码", "县区名称", "省份", "年份", "指标代码", "数值"]
    rows = [
        ["350125", "永泰县", "福建省", "2022", "primary_visit_share", "50"],
        ["350125", "永泰县", "福建省", "2023", "primary_visit_share", "52"],
        ["350124", "闽清县", "福建省", "2023", "primary_visit_share", "48"],
        ["350128", "平潭县", "福建", "2023", "primary_visit_share", "47"],
        ["350128", "平潭县", "福建省", "2022", "primary_visit_share", "46"],
        ["350128", "平潭县", "福建省", "2021", "primary_visit_share", "45"],
    ]
    raw = read_table(write_csv(tmp_path / "long.csv", header, rows))
    long, report = validate_long(raw)
    assert long["province"].dropna().unique().tolist() == ["福建省"]
    issue = only(report, "province.inconsistent")
    assert (issue.row, issue.column, issue.county_code) == (5, "province", "350128")
    assert report.affected_counties() == ("350128",)


def test_long_format_missing_column_is_file_level(tmp_path):
    header = ["county_code", "year", "indicator", "数值"]
    rows = [[r[0], r[2], r[3], r[4]] for r in LONG_ROWS]
    long, report = run_long(tmp_path, rows=rows, header=header)
    assert long is not None  # county_name is optional
    header = ["county_code", "indicator", "value"]
    rows = [[r[0], r[3], r[4]] for r in LONG_ROWS]
    raw = read_table(write_csv(tmp_path / "l2.csv", header, rows))
    long, report = validate_long(raw, KNOWN)
    assert only(report, "column.missing_required").column == "year"
    assert long is None


# ------------------------------------------------------------------------------- load_input


def test_load_input_panel_and_long(tmp_path):
    path = write_csv(tmp_path / "p.csv", COLUMNS, BASE_ROWS, encoding="gb18030")
    loaded, report = load_input(path, share_constraints=CONSTRAINTS)
    assert loaded.format == "panel"
    assert loaded.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert loaded.encoding == "gb18030"
    assert loaded.long is None and len(loaded.panel) == 6
    assert report.issues == ()

    long_path = write_csv(tmp_path / "l.csv", LONG_HEADER, LONG_ROWS[:4])
    loaded, report = load_input(long_path, known_codes=KNOWN)
    assert loaded.format == "long" and loaded.panel is None and len(loaded.long) == 4


def test_load_input_turns_unreadable_files_into_reports(tmp_path):
    cases = {
        "empty.csv": b"",
        "binary.csv": bytes(range(256)),
        "garbage.xlsx": b"PK\x03\x04garbage",
        "macro.xlsm": b"PK\x03\x04",
    }
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        loaded, report = load_input(path)
        assert loaded.panel is None and loaded.long is None and loaded.format is None
        assert len(report.file_level_errors) == 1, name
        assert report.issues[0].file == name
        assert report.issues[0].rule.startswith("file.")
    too_big = write_csv(tmp_path / "big.csv", COLUMNS, BASE_ROWS)
    loaded, report = load_input(too_big, max_bytes=100)
    assert report.rules() == ("file.too_large",) and loaded.sha256 is None
    with pytest.raises(ParameterError):
        load_input(tmp_path / "p.docx")


# -------------------------------------------------------------------------------- fuzzing


def _check_result(loaded, report):
    assert isinstance(report, ValidationReport)
    frame = loaded.panel if loaded.panel is not None else loaded.long
    if report.file_level_errors:
        assert frame is None
    if frame is not None:
        assert not set(frame["county_code"]) & set(report.affected_counties())
        assert frame["county_code"].str.fullmatch(r"\d{6}").all()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=st.binary(max_size=400))
def test_random_bytes_never_raise(content):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.csv"
        path.write_bytes(content)
        loaded, report = load_input(path, share_constraints=CONSTRAINTS, known_codes=KNOWN)
    assert report.file_level_errors or loaded.panel is not None or loaded.long is not None
    _check_result(loaded, report)


HEADER_POOL = [*COLUMNS, "县级行政区划代码", "年份", "visits_tcm", "备注", "", "indicator",
               "value", "常住人口（万人）", "pop_resident"]  # fmt: skip
CELL_POOL = ["", "350125", "35012", "110101", "2019", "2020", "2021", "2020H1", "1,234", "1，234",
             "-5", "12.5%", "abc", "#DIV/0!", "1e400", "nan", "inf", "0", "100", "3000000",
             "永泰县", "福建", "-", "２０２０", "primary_visit_share", '"', ",", "\n"]  # fmt: skip


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    header=st.lists(st.sampled_from(HEADER_POOL), min_size=1, max_size=10),
    rows=st.lists(
        st.lists(st.one_of(st.sampled_from(CELL_POOL), st.text(max_size=6)), max_size=12),
        max_size=8,
    ),
)
def test_structured_garbage_never_raises(header, rows):
    with tempfile.TemporaryDirectory() as folder:
        path = write_csv(Path(folder) / "fuzz.csv", header, rows)
        loaded, report = load_input(path, share_constraints=CONSTRAINTS, known_codes=KNOWN)
        _check_result(loaded, report)
        text = report.to_text("zh") + report.to_text("en") + report.to_json()
        assert "Traceback" not in text
