"""``ylt-eval indicators`` and ``ylt-eval template --checklist``.

Known answers: the 永泰 figures of the domain brief §5 (tests/data/yongtai_long.csv) must come
back exactly, as floats equal to the published decimals, in JSON and in CSV.
"""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest

from ylt_eval.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main
from ylt_eval.cli.indicators import CATALOGUE_COLUMNS, RECORD_COLUMNS
from ylt_eval.metrics import load_checklist, read_checklist, score_integration
from ylt_eval.metrics.catalogue import catalogue

# Domain brief §5: (indicator, year) -> published value.
YONGTAI = {
    ("primary_visit_share", 2017): 35.85,
    ("primary_visit_share", 2021): 70.36,
    ("oop_per_discharge_resident_scheme", 2018): 1652.47,
    ("oop_per_discharge_resident_scheme", 2020): 1550.62,
    ("oop_per_discharge_employee_scheme", 2018): 1503.54,
    ("oop_per_discharge_employee_scheme", 2020): 1215.81,
    ("service_revenue_share_county", 2018): 25.56,
    ("service_revenue_share_county", 2020): 32.36,
    ("service_revenue_share_township", 2018): 12.62,
    ("service_revenue_share_township", 2020): 27.12,
    ("drug_share_county", 2018): 35.98,
    ("drug_share_county", 2020): 32.63,
    ("drug_share_township", 2018): 78.10,
    ("drug_share_township", 2020): 53.68,
    ("avg_pay_county", 2018): 9.28,
    ("avg_pay_county", 2020): 12.79,
    ("avg_pay_township", 2018): 7.90,
    ("avg_pay_township", 2020): 8.81,
}
LIST_KEYS = {
    "code",
    "name_zh",
    "name_en",
    "unit",
    "direction",
    "provenance",
    "dimension",
    "numerator",
    "denominator",
    "source",
    "standard",
}


@pytest.fixture(scope="module")
def yongtai_path(repo_root):
    return repo_root / "tests" / "data" / "yongtai_long.csv"


def run(capsys, *argv):
    code = main(["indicators", *map(str, argv)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(capsys, *argv):
    code, out, err = run(capsys, *argv, "--format", "json")
    assert code == EXIT_OK, err
    return json.loads(out)


def run_csv(capsys, *argv):
    code, out, err = run(capsys, *argv, "--format", "csv")
    assert code == EXIT_OK, err
    return list(csv.DictReader(io.StringIO(out)))


def long_file(tmp_path, rows, name="long.csv"):
    path = tmp_path / name
    pd.DataFrame(rows, columns=["county_code", "county_name", "year", "indicator", "value"]).to_csv(
        path, index=False
    )
    return path


# --- 永泰: published figures come back exactly ----------------------------------------------


def test_yongtai_figures_come_back_exactly_as_json(capsys, yongtai_path):
    records = run_json(capsys, yongtai_path)
    assert len(records) == len(YONGTAI)
    assert set(records[0]) == set(RECORD_COLUMNS)
    got = {(r["indicator"], r["year"]): r["value"] for r in records}
    assert got == YONGTAI  # exact float equality
    assert {r["county_code"] for r in records} == {"350125"}
    assert {r["county_name"] for r in records} == {"永泰县"}
    assert {r["source"] for r in records} == {"supplied"}
    first = next(r for r in records if r["indicator"] == "primary_visit_share")
    assert first["year"] == 2017
    assert first["status"] == "not_met" and first["warnings"] == ["target_missed"]
    assert "35.9%" in first["warning_reasons"][0]


def test_yongtai_figures_come_back_exactly_as_csv(capsys, yongtai_path):
    rows = run_csv(capsys, yongtai_path)
    assert list(rows[0]) == list(RECORD_COLUMNS)
    got = {(r["indicator"], int(r["year"])): float(r["value"]) for r in rows}
    assert got == YONGTAI
    # Shortest round-trip text of the published decimals, no floating-point noise.
    texts = {r["value"] for r in rows}
    assert {"35.85", "1652.47", "78.1", "7.9", "8.81"} <= texts
    assert all(r["county_code"] == "350125" for r in rows)


def test_records_follow_assessment_order_and_are_deterministic(capsys, tmp_path, yongtai_path):
    first = run(capsys, yongtai_path, "--format", "json")[1]
    shuffled = pd.read_csv(yongtai_path, dtype=str).sample(frac=1, random_state=3)
    path = tmp_path / "shuffled.csv"
    shuffled.to_csv(path, index=False)
    assert run(capsys, path, "--format", "json")[1] == first
    records = json.loads(first)
    years = [r["year"] for r in records]
    assert years == sorted(years)


def test_xlsx_input_gives_the_same_records(capsys, tmp_path, yongtai_path):
    path = tmp_path / "yongtai.xlsx"
    pd.read_csv(yongtai_path, dtype=str).to_excel(path, index=False)
    assert run_json(capsys, path) == run_json(capsys, yongtai_path)


# --- filters --------------------------------------------------------------------------------


def test_year_filter_keeps_that_year_only(capsys, yongtai_path):
    records = run_json(capsys, yongtai_path, "--year", "2020")
    assert len(records) == 8
    assert {r["year"] for r in records} == {2020}
    code, _, err = run(capsys, yongtai_path, "--year", "2019")
    assert code == EXIT_FAILED
    assert "no records for year 2019" in err and "2017, 2018, 2020, 2021" in err


def test_county_filter_and_peer_statistics_use_every_county(capsys, demo_panel_path):
    everything = run_json(capsys, demo_panel_path, "--year", "2024")
    one = run_json(capsys, demo_panel_path, "--year", "2024", "--county", "990121")
    assert one and {r["county_code"] for r in one} == {"990121"}
    # Ranks, grades and peer medians are computed among all counties, before filtering.
    assert one == [r for r in everything if r["county_code"] == "990121"]
    ranked = [r for r in one if r["rank"] is not None and r["n_peers"] == 80]
    assert ranked and all(1 <= r["rank"] <= 80 for r in ranked)
    assert {r["grade"] for r in ranked} <= {"优", "良", "中", "差"}
    two = run_json(
        capsys, demo_panel_path, "--year", "2024", "--county", "990121", "--county", "990122"
    )
    assert {r["county_code"] for r in two} == {"990121", "990122"}


def test_unknown_county_and_bad_code_are_clear_errors(capsys, yongtai_path):
    code, _, err = run(capsys, yongtai_path, "--county", "110101")
    assert code == EXIT_FAILED and "county code(s) not in yongtai_long.csv: 110101" in err
    code, _, err = run(capsys, yongtai_path, "--county", "3501")
    assert code == EXIT_USAGE and "--county must be a 6-digit" in err


def test_half_year_periods_are_assessed(capsys, tmp_path):
    path = long_file(
        tmp_path,
        [
            ("350125", "永泰县", "2023H1", "primary_visit_share", "60"),
            ("350125", "永泰县", "2023H2", "primary_visit_share", "58"),
            ("350125", "永泰县", "2023", "primary_visit_share", "59"),
        ],
    )
    records = run_json(capsys, path, "--lang", "en")
    assert [r["period"] for r in records] == ["2023H1", "2023H2", "2023"]
    second = records[1]
    assert (second["previous"], second["change"]) == (60.0, -2.0)
    assert "2023 H2" in second["warning_reasons"][0]
    assert second["target"] == "at least 65%"


def test_targets_file_replaces_the_packaged_targets(capsys, tmp_path, yongtai_path):
    targets = tmp_path / "targets.toml"
    targets.write_text(
        'name = "test"\n'
        "[[target]]\n"
        'indicator = "primary_visit_share"\n'
        'kind = "level"\n'
        'op = ">="\n'
        "value = 30\n"
        'source_zh = "测试"\n'
        'source_en = "test"\n'
        'provenance = "C"\n',
        encoding="utf-8",
    )
    records = run_json(capsys, yongtai_path, "--targets", targets, "--year", "2017")
    share = next(r for r in records if r["indicator"] == "primary_visit_share")
    assert share["status"] == "met" and share["warnings"] == []
    code, _, err = run(capsys, yongtai_path, "--targets", tmp_path / "missing.toml")
    assert code == EXIT_USAGE and "missing.toml" in err


# --- raw and supplied values --------------------------------------------------------------


def test_disagreement_between_raw_and_supplied_values_is_reported(
    capsys, tmp_path, demo_panel_path
):
    panel = pd.read_csv(demo_panel_path, dtype=str)
    raw_path = tmp_path / "panel.csv"
    panel[panel["county_code"].isin(["990121", "990122"])].to_csv(raw_path, index=False)
    row = panel[(panel["county_code"] == "990121") & (panel["year"] == "2020")].iloc[0]
    computed = float(row["visits_primary"]) / float(row["visits_total"]) * 100
    supplied = long_file(
        tmp_path,
        [
            ("990121", "霁川县", "2020", "primary_visit_share", "12.5"),  # disagrees
            ("990121", "霁川县", "2019", "drug_share_county", "99.9"),  # disagrees
        ],
    )
    code, out, err = run(capsys, raw_path, supplied, "--county", "990121", "--year", "2020")
    assert code == EXIT_OK
    assert "2 indicator value(s) supplied in long.csv disagree" in err
    assert "990121 2020 primary_visit_share" in err
    records = {r["indicator"]: r for r in json.loads(out)}
    share = records["primary_visit_share"]
    assert share["value"] == 12.5 and share["source"] == "supplied"
    assert share["conflict_computed_value"] == pytest.approx(computed, rel=1e-11)
    assert records["drug_share_county"]["source"] == "computed"
    assert records["drug_share_county"]["conflict_computed_value"] is None


# --- errors and output files ------------------------------------------------------------------


def test_bad_input_names_file_row_column_and_rule_without_traceback(capsys, tmp_path):
    path = long_file(
        tmp_path,
        [
            ("350125", "永泰县", "2017", "primary_visit_share", "abc"),
            ("350125", "永泰县", "2018", "no_such_indicator", "1"),
        ],
        name="broken.csv",
    )
    out_path = tmp_path / "out" / "x.csv"
    code, out, err = run(capsys, path, "--lang", "en", "--out", out_path)
    assert code == EXIT_FAILED and out == ""
    assert "broken.csv has blocking errors" in err
    assert "value.non_numeric" in err and "indicator.unknown" in err
    assert "E2" in err and "D3" in err  # spreadsheet cells: column and row
    assert "Traceback" not in err
    assert not out_path.exists()
    code, _, err = run(capsys, tmp_path / "absent.csv")
    assert code == EXIT_USAGE and "absent.csv" in err


def test_out_writes_atomically_into_new_folders(capsys, tmp_path, yongtai_path):
    _, stdout_text, _ = run(capsys, yongtai_path, "--format", "csv")
    target = tmp_path / "a" / "b" / "indicators.csv"
    code, out, err = run(capsys, yongtai_path, "--format", "csv", "--out", target)
    assert code == EXIT_OK and out == "" and f"wrote {target}" in err
    # UTF-8 with BOM so spreadsheet programs show Chinese; otherwise the stdout text.
    assert target.read_bytes() == b"\xef\xbb\xbf" + stdout_text.encode("utf-8")
    assert sorted(p.name for p in target.parent.iterdir()) == ["indicators.csv"]
    json_target = tmp_path / "a" / "indicators.json"
    assert run(capsys, yongtai_path, "--out", json_target)[0] == EXIT_OK
    assert len(json.loads(json_target.read_text(encoding="utf-8"))) == len(YONGTAI)


def test_csv_output_neutralises_formula_text_but_keeps_negative_numbers(capsys, tmp_path):
    path = long_file(
        tmp_path,
        [
            ("350125", '=HYPERLINK("http://x","y")', "2019", "drug_share_county", "35.98"),
            ("350125", '=HYPERLINK("http://x","y")', "2020", "drug_share_county", "32.63"),
        ],
    )
    _, raw_out, _ = run(capsys, path, "--format", "csv")
    rows = list(csv.reader(io.StringIO(raw_out)))
    header, later = rows[0], dict(zip(rows[0], rows[2], strict=True))
    assert later["county_name"] == '\'=HYPERLINK("http://x","y")'
    assert later["change"] == "-3.35"  # a number: not prefixed
    assert all(not cell.startswith(("=", "+", "@", "\t", "\r")) for row in rows for cell in row)
    assert "county_code" in header
    # JSON is data, not a spreadsheet: the text is kept as written.
    records = run_json(capsys, path)
    assert records[0]["county_name"] == '=HYPERLINK("http://x","y")'


# --- catalogue ------------------------------------------------------------------------------


def test_list_json_has_every_catalogue_entry_with_required_keys(capsys):
    entries = run_json(capsys, "--list")
    assert [e["code"] for e in entries] == [item.code for item in catalogue()]
    for entry in entries:
        assert set(entry) >= LIST_KEYS
        assert entry["provenance"] in {"S", "C", "R"}
        assert entry["direction"] in {"up", "down", "target", "monitor"}
        assert entry["unit"] == entry["unit_zh"]
    share = next(e for e in entries if e["code"] == "primary_visit_share")
    assert (share["numerator"], share["denominator"]) == ("visits_primary", "visits_total")
    assert share["name_zh"] == "县域内基层医疗卫生机构诊疗人次数占比"
    pay = next(e for e in entries if e["code"] == "pay_ratio_primary_county")
    assert (pay["numerator"], pay["denominator"]) == ("avg_pay_township", "avg_pay_county")


def test_list_csv_matches_json(capsys):
    entries = run_json(capsys, "--list", "--lang", "en")
    rows = run_csv(capsys, "--list", "--lang", "en")
    assert list(rows[0]) == list(CATALOGUE_COLUMNS)
    assert [r["code"] for r in rows] == [e["code"] for e in entries]
    assert all(r["unit"] == r["unit_en"] for r in rows)
    assert rows[3]["national_no"] == str(entries[3]["national_no"])


def test_list_and_file_cannot_be_combined(capsys, yongtai_path):
    code, _, err = run(capsys, "--list", yongtai_path)
    assert code == EXIT_USAGE and "--list takes no FILE" in err
    code, _, err = run(capsys)
    assert code == EXIT_USAGE and "--list" in err


# --- checklist template ---------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_checklist_template_round_trip(capsys, tmp_path, suffix):
    path = tmp_path / "new" / f"checklist{suffix}"
    assert main(["template", "--checklist", "--out", str(path)]) == EXIT_OK
    assert f"wrote {path}" in capsys.readouterr().err
    filled = read_checklist(path)
    items = load_checklist().items
    assert filled["item"].tolist() == [item.code for item in items]
    assert set(filled["status"]) == {"未填报"}
    filled["county_code"] = "350125"
    filled["year"] = "2024"
    filled["status"] = "有制度且已落实"
    overall = score_integration(filled).overall.iloc[0]
    assert (overall["county_code"], overall["n_met"]) == ("350125", len(items))
    assert overall["score"] == pytest.approx(100.0)


def test_checklist_template_refuses_other_extensions(capsys, tmp_path):
    code = main(["template", "--checklist", "--out", str(tmp_path / "c.txt")])
    assert code == EXIT_USAGE
    assert ".csv or .xlsx" in capsys.readouterr().err


def test_data_warnings_go_to_stderr_and_the_rest_is_assessed(capsys, tmp_path):
    path = long_file(
        tmp_path,
        [
            ("350125", "永泰县", "2017", "primary_visit_share", "35.85"),
            ("350125", "永泰县", "2018", "primary_visit_share", ""),
        ],
    )
    code, out, err = run(capsys, path, "--lang", "en")
    assert code == EXIT_OK
    assert "long.csv: 1 data warning(s)" in err
    assert "row 3, column value [value.missing]" in err
    assert [r["year"] for r in json.loads(out)] == [2017]
