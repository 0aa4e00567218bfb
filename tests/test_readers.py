"""Reading CSV/XLSX as text: encodings, title and merged header rows, row numbers, refusals."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Font

from ylt_eval.errors import ParameterError
from ylt_eval.readers import (
    InputFileError,
    RawTable,
    UnitConversion,
    column_letter,
    map_headers,
    match_header,
    read_table,
)

HEADER = ["县级行政区划代码", "县（市、区）名称", "省份", "年份", "常住人口（人）"]
ROWS = [
    ["012345", "甲县", "福建", "2020", "380000"],
    ["012345", "甲县", "福建", "2021", "381000"],
]


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def problem_of(call) -> object:
    with pytest.raises(InputFileError) as caught:
        call()
    return caught.value.problem


# ----------------------------------------------------------------------------------- headers


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("visits_primary", "visits_primary"),
        ("基层医疗卫生机构诊疗人次", "visits_primary"),
        ("基层医疗卫生机构诊疗人次（人次）", "visits_primary"),
        ("基层医疗卫生机构诊疗人次 ( 人次 )", "visits_primary"),
        (" 基层医疗卫生\n机构诊疗人次(人次) ", "visits_primary"),
        ("Primary-care visits (visits)", "visits_primary"),
        ("primary-care VISITS", "visits_primary"),
        ("*县级行政区划代码", "county_code"),
        ("医保基金县域内支出（不含药店）", "fund_in_county"),
        ("医保基金县域内支出（不含药店）（万元）", "fund_in_county"),
        ("常住人口（年末）", "pop_resident"),
        ("门诊量", None),
        ("", None),
    ],
)
def test_match_header_accepts_machine_chinese_and_template_forms(header, expected):
    assert match_header(header) == expected


def test_match_header_long_vocabulary():
    assert match_header("指标代码", "long") == "indicator"
    assert match_header("数值", "long") == "value"
    assert match_header("年份", "long") == "year"
    assert match_header("指标代码", "panel") is None


def test_map_headers_reports_unknown_duplicate_and_unit_mismatch():
    mapping = map_headers(
        [
            "county_code",
            "基层医疗卫生机构诊疗人次",
            "visits_primary",
            "备注",
            "",
            "常住人口（万人）",
            "医保基金县域外支出（元）",
            "参保人数（万元）",
            "医保基金县域内支出（不含药店）（万）",
        ]
    )
    assert mapping.columns == (
        "county_code",
        "visits_primary",
        "visits_primary",
        None,
        None,
        "pop_resident",
        "fund_out_county",
        "pop_insured",
        "fund_in_county",
    )
    assert mapping.unknown == (3,)  # the empty header is not "unknown"
    assert mapping.duplicates == {"visits_primary": (1, 2)}
    # money for a head count cannot be converted; 万人 → 人 and 元 → 万元 can
    assert mapping.unit_mismatches == {7: "万元"}
    assert mapping.unit_conversions == {
        5: UnitConversion("万人", "人", 1e4),
        6: UnitConversion("元", "万元", 1e-4),
    }  # a bare 万 under a 万元 column is the same unit
    assert mapping.position("visits_primary") == 1


def test_column_letters():
    assert [column_letter(i) for i in (0, 1, 25, 26, 27, 51, 52, 701, 702)] == [
        "A",
        "B",
        "Z",
        "AA",
        "AB",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
    ]


# --------------------------------------------------------------------------------------- CSV


@pytest.mark.parametrize(
    ("encoding", "reported"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030")],
)
def test_csv_encodings_are_detected_and_reported(tmp_path, encoding, reported):
    path = write_csv(tmp_path / "p.csv", [HEADER, *ROWS], encoding)
    raw = read_table(path)
    assert raw.encoding == reported
    assert raw.headers == tuple(HEADER)
    assert raw.frame.iloc[0, 1] == "甲县"
    assert raw.frame.iloc[0, 0] == "012345"  # leading zero kept
    assert raw.row_numbers == (2, 3)
    assert raw.header_row == 1
    assert raw.sheet is None and raw.row_sheets == (None, None)


def test_utf16_csv_from_excel_unicode_text(tmp_path):
    text = "\t".join(HEADER) + "\r\n" + "\t".join(ROWS[0]) + "\r\n"
    path = tmp_path / "p.csv"
    path.write_bytes(text.encode("utf-16"))
    raw = read_table(path)
    assert raw.encoding == "utf-16"
    assert raw.headers == tuple(HEADER)
    assert raw.frame.iloc[0].tolist() == ROWS[0]


def test_csv_cells_stay_text_exactly_as_written(tmp_path):
    rows = [HEADER, ["012345", " 甲县 ", "福建", "2020.0", "1,234"]]
    raw = read_table(write_csv(tmp_path / "p.csv", rows))
    assert raw.frame.iloc[0].tolist() == ["012345", " 甲县 ", "福建", "2020.0", "1,234"]
    assert all(str(dtype) == "string" for dtype in raw.frame.dtypes)


def test_csv_title_rows_and_blank_rows_keep_spreadsheet_row_numbers(tmp_path):
    rows = [
        ["2023年县域医共体监测数据", "", "", "", ""],
        ["", "", "", "", ""],
        HEADER,
        ROWS[0],
        ["", "", "", "", ""],
        ROWS[1],
    ]
    raw = read_table(write_csv(tmp_path / "p.csv", rows))
    assert raw.header_row == 3
    assert raw.row_numbers == (4, 6)
    assert raw.frame.iloc[1, 3] == "2021"


def test_csv_units_row_below_header_is_skipped(tmp_path):
    rows = [
        ["县级行政区划代码", "年份", "常住人口", "基层医疗卫生机构诊疗人次"],
        ["", "年", "人", "(人次)"],
        ["012345", "2020", "5", "7"],
    ]
    raw = read_table(write_csv(tmp_path / "p.csv", rows))
    assert raw.header_row == 1
    assert raw.row_numbers == (3,)


def test_csv_ragged_row_is_a_located_problem(tmp_path):
    rows = [HEADER, ROWS[0], [*ROWS[1][:4], "1", "234"]]
    raw = read_table(write_csv(tmp_path / "p.csv", rows))
    assert len(raw.problems) == 1
    problem = raw.problems[0]
    assert (problem.rule, problem.severity, problem.row, problem.cell) == (
        "file.ragged_row",
        "error",
        3,
        "F3",
    )
    assert problem.value == "234"
    assert raw.frame.shape == (2, 5)


def test_csv_trailing_empty_fields_are_not_ragged(tmp_path):
    rows = [HEADER, [*ROWS[0], "", ""]]
    raw = read_table(write_csv(tmp_path / "p.csv", rows))
    assert raw.problems == ()


def test_csv_semicolon_and_tab_delimiters(tmp_path):
    for delimiter in (";", "\t"):
        text = delimiter.join(HEADER) + "\n" + delimiter.join(ROWS[0]) + "\n"
        path = tmp_path / "p.csv"
        path.write_text(text, encoding="utf-8")
        assert read_table(path).headers == tuple(HEADER)


def test_csv_failures_are_input_file_errors(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"\xef\xbb\xbf \r\n")
    assert problem_of(lambda: read_table(empty)).rule == "file.empty"

    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"PK\x03\x04\x00\x00abc,def\n")
    assert problem_of(lambda: read_table(binary)).rule == "file.binary"

    undecodable = tmp_path / "bad.csv"
    undecodable.write_bytes(b"a,b\n\xff\xff,\x80\n")
    problem = problem_of(lambda: read_table(undecodable))
    assert problem.rule == "file.encoding"
    assert "gb18030" in problem.message_en

    unquoted = tmp_path / "quote.csv"
    unquoted.write_text('county_code,year\n"012345,2020\n', encoding="utf-8")
    assert problem_of(lambda: read_table(unquoted)).rule == "file.csv_malformed"

    no_header = tmp_path / "noheader.csv"
    no_header.write_text("a,b\n1,2\n", encoding="utf-8")
    assert problem_of(lambda: read_table(no_header)).rule == "file.no_header"


def test_too_large_file_is_refused_before_parsing(tmp_path):
    path = write_csv(tmp_path / "p.csv", [HEADER, *ROWS])
    problem = problem_of(lambda: read_table(path, max_bytes=10))
    assert problem.rule == "file.too_large"


def test_parameter_errors_for_calls_not_data(tmp_path):
    with pytest.raises(ParameterError, match="not found"):
        read_table(tmp_path / "missing.csv")
    other = tmp_path / "p.json"
    other.write_text("{}", encoding="utf-8")
    with pytest.raises(ParameterError, match="unsupported"):
        read_table(other)
    legacy = tmp_path / "p.xls"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(ParameterError, match=r"\.xlsx"):
        read_table(legacy)


def test_parquet_without_pyarrow_says_to_install_it(tmp_path):
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("pyarrow is installed")
    path = tmp_path / "p.parquet"
    path.write_bytes(b"PAR1")
    with pytest.raises(ParameterError, match="pip install pyarrow"):
        read_table(path)


# -------------------------------------------------------------------------------------- XLSX


def workbook_with_title(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "监测数据"
    sheet["A1"] = "2023年县域医共体监测数据（单位见表头）"
    sheet.merge_cells("A1:E1")
    sheet.append(HEADER)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    sheet.append(["012345", "甲县", "福建", 2020, 380000])  # code typed as text
    sheet.append([12345, "甲县", "福建", 2021.0, 381000.5])  # code typed as a number
    sheet.append([None, None, None, None, None])
    sheet.append(["012345", "甲县", "福建", "2022", "=E3+1"])
    workbook.save(path)
    return path


def test_xlsx_merged_title_row_above_header(tmp_path):
    raw = read_table(workbook_with_title(tmp_path / "p.xlsx"))
    assert isinstance(raw, RawTable)
    assert raw.sheet == "监测数据"
    assert raw.header_row == 2
    assert raw.headers == tuple(HEADER)
    assert raw.row_numbers == (3, 4, 6)
    assert raw.row_sheets == ("监测数据",) * 3
    assert raw.frame.iloc[0].tolist() == ["012345", "甲县", "福建", "2020", "380000"]
    # numbers become the text a person sees: no '.0', and a lost zero stays lost
    assert raw.frame.iloc[1].tolist() == ["12345", "甲县", "福建", "2021", "381000.5"]
    # a formula without a cached value (never opened in Excel) reads as empty, not as code
    assert raw.frame.iloc[2, 4] == ""


def test_xlsx_percent_formatted_cell_reads_as_shown(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["county_code", "year", "premature_ncd_mortality"])
    sheet.append(["012345", 2020, 0.125])
    sheet["C2"].number_format = "0.0%"
    sheet.append(["012345", 2021, 1])
    sheet["C3"].number_format = "0%"
    path = tmp_path / "p.xlsx"
    workbook.save(path)
    raw = read_table(path)
    assert raw.frame["premature_ncd_mortality"].tolist() == ["12.5%", "100%"]


def test_xlsx_two_row_header_with_group_labels(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["县级行政区划代码", "年份", "诊疗人次", None])
    sheet.append([None, None, "县域内总诊疗人次", "基层医疗卫生机构诊疗人次"])
    sheet.merge_cells("A1:A2")
    sheet.merge_cells("B1:B2")
    sheet.merge_cells("C1:D1")
    sheet.append(["012345", 2020, 100, 60])
    path = tmp_path / "p.xlsx"
    workbook.save(path)
    raw = read_table(path)
    mapping = map_headers(raw.headers)
    assert mapping.columns == ("county_code", "year", "visits_total", "visits_primary")
    assert raw.header_row == 2
    assert raw.row_numbers == (3,)


def test_xlsx_reads_data_sheets_and_skips_dictionary_sheet(tmp_path):
    workbook = openpyxl.Workbook()
    first = workbook.active
    first.title = "2020"
    first.append(HEADER)
    first.append(ROWS[0])
    second = workbook.create_sheet("2021")
    second.append(HEADER)
    second.append([])
    second.append(ROWS[1])
    dictionary = workbook.create_sheet("数据字典")
    dictionary.append(["字段代码", "中文名称", "英文名称", "单位", "英文单位", "类型"])
    dictionary.append(["year", "年份", "Year", "年", "year", "period"])
    dictionary.append(
        ["reform_year", "紧密型医共体组建年份", "Consortium reform year", "年", "year"]
    )
    other = workbook.create_sheet("汇总")
    other.append(["县级行政区划代码", "年份", "常住人口", "备注"])
    path = tmp_path / "p.xlsx"
    workbook.save(path)
    raw = read_table(path)
    assert raw.sheets == ("2020", "2021")
    assert raw.sheet is None
    assert raw.row_sheets == ("2020", "2021")
    assert raw.row_numbers == (2, 3)
    assert [p.rule for p in raw.problems] == ["file.sheets_ignored"]
    assert "汇总" in raw.problems[0].message_zh
    assert read_table(path, sheet="2021").row_numbers == (3,)
    with pytest.raises(ParameterError, match="not found"):
        read_table(path, sheet="2022")


def test_xlsm_and_vba_workbooks_are_refused(tmp_path):
    path = workbook_with_title(tmp_path / "p.xlsx")
    macro = tmp_path / "p.xlsm"
    macro.write_bytes(path.read_bytes())
    assert problem_of(lambda: read_table(macro)).rule == "file.macro_enabled"

    disguised = tmp_path / "disguised.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(disguised, "w") as target:
        for member in source.infolist():
            target.writestr(member.filename, source.read(member.filename))
        target.writestr("xl/vbaProject.bin", b"\x00" * 10)
    assert problem_of(lambda: read_table(disguised)).rule == "file.macro_enabled"


def test_zip_bomb_is_refused_before_parsing(tmp_path):
    path = workbook_with_title(tmp_path / "p.xlsx")
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        for member in source.infolist():
            z.writestr(member.filename, source.read(member.filename))
        z.writestr("xl/media/padding.bin", b"\x00" * 20_000_000)
    assert bomb.stat().st_size < 200_000
    assert problem_of(lambda: read_table(bomb)).rule == "file.zip_bomb"


def test_xml_entity_bomb_is_refused(tmp_path):
    path = workbook_with_title(tmp_path / "p.xlsx")
    hostile = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&b;</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    bomb = tmp_path / "entities.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(bomb, "w") as target:
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename == "xl/worksheets/sheet1.xml":
                data = hostile.encode()
            target.writestr(member.filename, data)
    assert problem_of(lambda: read_table(bomb)).rule == "file.unsafe_xml"


def test_not_a_workbook_and_empty_workbook(tmp_path):
    fake = tmp_path / "fake.xlsx"
    fake.write_text("county_code,year\n", encoding="utf-8")
    assert problem_of(lambda: read_table(fake)).rule == "file.unreadable"

    empty = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(empty)
    assert problem_of(lambda: read_table(empty)).rule == "file.empty"


def test_reading_does_not_depend_on_cwd_or_keep_files_open(tmp_path, monkeypatch):
    path = workbook_with_title(tmp_path / "p.xlsx")
    monkeypatch.chdir(tmp_path)
    raw = read_table("p.xlsx")
    assert raw.path == Path("p.xlsx")
    path.unlink()  # would fail on some systems if the workbook were still open


def test_parquet_cells_become_text(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    table = pa.table(
        {
            "county_code": pa.array([350125, 12345], pa.int64()),
            "year": pa.array([2020.0, 2021.0]),
            "visits_total": pa.array([1234.5, None]),
            "county_name": pa.array(["永泰县", None]),
        }
    )
    path = tmp_path / "p.parquet"
    pq.write_table(table, path)
    raw = read_table(path)
    assert raw.headers == ("county_code", "year", "visits_total", "county_name")
    assert raw.frame.iloc[0].tolist() == ["350125", "2020", "1234.5", "永泰县"]
    assert raw.frame.iloc[1].tolist() == ["12345", "2021", "", ""]
    assert raw.row_numbers == (2, 3)
    assert raw.encoding is None and raw.sheets == ()


def test_parquet_text_codes_keep_leading_zeros_and_corrupt_file_is_refused(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"county_code": ["012345"], "year": ["2020"]}), path)
    assert read_table(path).frame.iloc[0].tolist() == ["012345", "2020"]
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(path.read_bytes()[:-30])
    assert problem_of(lambda: read_table(broken)).rule == "file.unreadable"


def test_parquet_declaring_more_rows_than_the_limit_is_refused_unread(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    from ylt_eval.readers import ReadLimits

    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"county_code": ["350125"] * 50, "year": ["2020"] * 50}), path)
    problem = problem_of(lambda: read_table(path, limits=ReadLimits(max_rows=10)))
    assert problem.rule == "file.zip_bomb"
    assert "50 rows" in problem.message_en
