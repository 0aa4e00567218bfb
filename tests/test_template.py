"""Blank input template: headers, formatting, round trip through the reader, determinism."""

from __future__ import annotations

import csv
import io
import time
import zipfile

import openpyxl
import pytest

from ylt_eval.errors import ParameterError
from ylt_eval.readers import map_headers, read_table
from ylt_eval.schema import data_dictionary
from ylt_eval.template import template_headers, write_template
from ylt_eval.validation import load_input

N_COLUMNS = len(data_dictionary())
FILLED = {
    "county_code": "012345",
    "county_name": "甲县",
    "province": "福建",
    "year": "2021",
    "pop_resident": "380000",
    "visits_total": "1000",
    "visits_primary": "600",
    "admissions_in_county": "80",
    "admissions_out_county": "20",
}


def test_headers_are_name_and_unit():
    zh = template_headers("zh")
    en = template_headers("en")
    assert len(zh) == len(en) == N_COLUMNS
    assert zh[0] == "县级行政区划代码"
    assert "基层医疗卫生机构诊疗人次（人次）" in zh
    assert "医保基金县域内支出（不含药店）（万元）" in zh
    assert en[0] == "County code"
    assert "Primary-care visits (visits)" in en


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_csv_template_has_bom_and_one_header_row(tmp_path, lang):
    path = write_template(tmp_path / "t.csv", lang=lang)
    content = path.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8-sig")
    assert text.endswith("\r\n") and text.count("\r\n") == 1
    assert next(csv.reader(io.StringIO(text))) == list(template_headers(lang))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_template_header_maps_back(tmp_path, lang):
    for suffix in (".csv", ".xlsx"):
        path = write_template(tmp_path / f"t{suffix}", lang=lang)
        path_filled = tmp_path / f"filled{suffix}"
        if suffix == ".csv":
            row = [FILLED.get(spec.column, "") for spec in data_dictionary()]
            text = path.read_bytes().decode("utf-8-sig") + ",".join(row) + "\r\n"
            path_filled.write_bytes(text.encode("utf-8-sig"))
        else:
            workbook = openpyxl.load_workbook(path)
            sheet = workbook.worksheets[0]
            for position, spec in enumerate(data_dictionary(), start=1):
                if spec.column in FILLED:
                    sheet.cell(row=2, column=position, value=FILLED[spec.column])
            workbook.save(path_filled)
        raw = read_table(path_filled)
        mapping = map_headers(raw.headers)
        assert mapping.columns == tuple(spec.column for spec in data_dictionary())
        assert mapping.unknown == () and mapping.duplicates == {}
        loaded, report = load_input(path_filled, share_constraints=())
        assert not report.has_errors, report.to_text("en")
        assert loaded.panel["county_code"].tolist() == ["012345"]
        assert loaded.panel["visits_primary"].tolist() == [600.0]
        # every optional column is blank: each is reported once, as a warning
        assert {i.rule for i in report.warnings} == {"column.empty"}


def test_xlsx_template_layout(tmp_path):
    path = write_template(tmp_path / "t.xlsx")
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["数据", "数据字典"]
    data = workbook["数据"]
    assert [cell.value for cell in data[1]] == list(template_headers("zh"))
    assert all(cell.font.bold for cell in data[1])
    assert data.freeze_panes == "A2"
    assert data.column_dimensions["A"].number_format == "@"
    assert data.max_row == 1
    rules = {str(v.sqref): (v.type, v.formula1) for v in data.data_validations.dataValidation}
    assert rules["A2:A5001"] == ("textLength", "6")
    assert rules["D2:D5001"] == ("whole", "1949")
    dictionary = workbook["数据字典"]
    assert dictionary.max_row == N_COLUMNS + 1
    assert [c.value for c in dictionary[2]][:3] == [
        "county_code",
        "县级行政区划代码",
        "County code",
    ]
    assert workbook.properties.creator == "ylt_eval"
    assert workbook.properties.modified.year == 2024

    english = openpyxl.load_workbook(write_template(tmp_path / "e.xlsx", lang="en"))
    assert english.sheetnames == ["data", "dictionary"]


def test_xlsx_template_reads_only_the_data_sheet(tmp_path):
    raw = read_table(write_template(tmp_path / "t.xlsx"))
    assert raw.sheets == ("数据",)
    assert raw.problems == ()
    assert len(raw.frame) == 0


@pytest.mark.parametrize("name", ["t.csv", "t.xlsx"])
def test_template_bytes_are_deterministic(tmp_path, monkeypatch, name):
    monkeypatch.setattr(time, "time", lambda: 1_000_000_000.0)
    first = write_template(tmp_path / "a" / name).read_bytes()
    monkeypatch.setattr(time, "time", lambda: 1_900_000_000.0)
    second = write_template(tmp_path / "b" / name).read_bytes()
    assert first == second
    if name.endswith(".xlsx"):
        with zipfile.ZipFile(tmp_path / "a" / name) as archive:
            assert {info.date_time for info in archive.infolist()} == {(2024, 1, 1, 0, 0, 0)}


def test_template_overwrites_atomically_and_refuses_other_types(tmp_path):
    target = tmp_path / "t.csv"
    target.write_text("old", encoding="utf-8")
    write_template(target)
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]  # no temporary left
    for bad in ("t.xls", "t.txt", "t"):
        with pytest.raises(ParameterError):
            write_template(tmp_path / bad)
    with pytest.raises(ParameterError, match="language"):
        write_template(tmp_path / "t.csv", lang="fr")  # type: ignore[arg-type]
