"""Build the corpus of malformed input files, deterministically.

Every case is one small file that breaks one rule, plus what the validator must say about it:
the rule code, where (sheet, spreadsheet row as a person sees it, column) and what it blocks
(the whole file, or one county). The files are generated, not committed; run
``python -m tests.malformed.build_corpus OUT_DIR`` to write them for inspection.

The clean base panel has two counties (350125 and 110101), three years each, header in row 1
and data in rows 2–7; columns in the order of :data:`COLUMNS`.
"""

from __future__ import annotations

import csv
import io
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

COLUMNS = [
    "county_code", "county_name", "province", "year", "reform_year",
    "pop_resident", "visits_total", "visits_primary", "admissions_in_county",
    "admissions_out_county", "fund_in_county", "fund_out_county", "fund_primary",
    "premature_ncd_mortality",
]  # fmt: skip

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
]  # fmt: skip

LONG_HEADER = ["county_code", "county_name", "year", "indicator", "value"]
LONG_ROWS = [
    ["350125", "永泰县", "2022", "primary_visit_share", "55.1"],
    ["350125", "永泰县", "2023", "primary_visit_share", "56.0"],
    ["110101", "东城区", "2023", "primary_visit_share", "45.0"],
]

FILE = "file"  # ``blocks`` value of errors that withhold the whole file


@dataclass(frozen=True)
class Case:
    """One malformed file and what the validator must report.

    Attributes
    ----------
    name : str
        File stem; the file is ``name + suffix``.
    suffix : str
    build : callable
        Writes the file at the given path.
    rule : str
        Rule code expected among the issues.
    row : int or None
        Spreadsheet row expected on an issue of that rule (None for file-level issues).
    column : str or None
        Column expected on that issue.
    blocks : str
        ``"file"`` when nothing can be rendered, else the county code withheld.
    sheet : str or None
        Sheet expected on that issue (workbooks).
    """

    name: str
    suffix: str
    build: Callable[[Path], None]
    rule: str
    row: int | None
    column: str | None
    blocks: str
    sheet: str | None = None

    @property
    def filename(self) -> str:
        return self.name + self.suffix


# ------------------------------------------------------------------------------ file writers


def csv_bytes(header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def edited(changes: dict[tuple[int, str], str]) -> list[list[str]]:
    """Base rows with cells changed; keys are (spreadsheet row, column)."""
    rows = [list(row) for row in BASE_ROWS]
    for (row, column), value in changes.items():
        rows[row - 2][COLUMNS.index(column)] = value
    return rows


def panel_csv(changes=None, *, header=None, rows=None, encoding="utf-8"):
    def build(path: Path) -> None:
        data = rows if rows is not None else edited(changes or {})
        path.write_bytes(csv_bytes(header or COLUMNS, data, encoding))

    return build


def long_csv(changes: dict[tuple[int, str], str] | None = None, *, header=None, extra=()):
    def build(path: Path) -> None:
        data = [list(row) for row in LONG_ROWS] + [list(row) for row in extra]
        for (row, column), value in (changes or {}).items():
            data[row - 2][LONG_HEADER.index(column)] = value
        path.write_bytes(csv_bytes(header or LONG_HEADER, data))

    return build


def raw_bytes(content: bytes):
    def build(path: Path) -> None:
        path.write_bytes(content)

    return build


def without(column: str):
    position = COLUMNS.index(column)
    header = [c for c in COLUMNS if c != column]
    rows = [[v for i, v in enumerate(row) if i != position] for row in BASE_ROWS]
    return panel_csv(header=header, rows=rows)


def renamed(column: str, header_text: str):
    return panel_csv(header=[header_text if c == column else c for c in COLUMNS], rows=BASE_ROWS)


def workbook(
    changes=None, *, title: str | None = None, sheets: tuple[str, ...] = ("数据",), typed=None
):
    """Workbook with the base panel; ``title`` adds a merged title row above the header;
    several sheet names split the rows by year; ``typed`` puts cells of non-text types."""

    def build(path: Path) -> None:
        import openpyxl

        book = openpyxl.Workbook()
        book.remove(book.active)
        rows = edited(changes or {})
        for index, name in enumerate(sheets):
            sheet = book.create_sheet(name)
            if title:
                sheet.append([title])
                sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=5)
            sheet.append(COLUMNS)
            chosen = rows if len(sheets) == 1 else rows[index :: len(sheets)]
            for row in chosen:
                sheet.append(row)
            for (row, column), value in (typed or {}).items():
                sheet.cell(row=row, column=COLUMNS.index(column) + 1, value=value)
        book.save(path)

    return build


def two_row_header(changes):
    def build(path: Path) -> None:
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "监测"
        groups = ["" for _ in COLUMNS]
        groups[COLUMNS.index("visits_total")] = "诊疗人次"
        sheet.append(groups)
        sheet.append(COLUMNS)
        sheet.merge_cells(start_row=1, start_column=7, end_row=1, end_column=8)
        for row in edited(changes):
            sheet.append(row)
        book.save(path)

    return build


def patched_workbook(extra: dict[str, bytes], replace: dict[str, bytes] | None = None):
    def build(path: Path) -> None:
        plain = path.with_name(path.stem + ".source.xlsx")
        workbook()(plain)
        with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w") as target:
            for member in source.infolist():
                data = (replace or {}).get(member.filename, source.read(member.filename))
                target.writestr(member.filename, data, zipfile.ZIP_DEFLATED)
            for name, data in {**extra, **(replace or {})}.items():
                if name not in source.namelist():
                    target.writestr(name, data, zipfile.ZIP_DEFLATED)
        plain.unlink()

    return build


def macro_workbook(path: Path) -> None:
    workbook()(path)


def parquet(changes):
    def build(path: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows = edited(changes)
        table = pa.table({c: [row[i] for row in rows] for i, c in enumerate(COLUMNS)})
        pq.write_table(table, path)

    return build


def truncated_parquet(path: Path) -> None:
    parquet({})(path)
    path.write_bytes(path.read_bytes()[:-40])


def empty_workbook(path: Path) -> None:
    import openpyxl

    openpyxl.Workbook().save(path)


_ENTITIES = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
)
_SHEET_BOMB = _ENTITIES + (
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>&c;</t></is></c></row></sheetData></worksheet>'
)
_WORKBOOK_BOMB = _ENTITIES + (
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<sheets><sheet name="&c;" sheetId="1" r:id="rId1"/></sheets></workbook>'
)

_GBK_ROW = "350125,永泰县,福建,2022,2017,383000,1150000,650000,8600,2000,5600,2000,1300,14.6\r\n"


# ------------------------------------------------------------------------------------ cases


# One case per line group, aligned by hand for reading: keep the formatter out.
# fmt: off
def _cases() -> list[Case]:
    c = Case
    panel_cases = [
        # county codes (errors not tied to a county: the whole file is withheld)
        c("code_lost_leading_zero", ".csv", panel_csv({(2, "county_code"): "35012"}),
          "county_code.format", 2, "county_code", FILE),
        c("code_seven_digits", ".csv", panel_csv({(3, "county_code"): "3501250"}),
          "county_code.format", 3, "county_code", FILE),
        c("code_letter_o", ".csv", panel_csv({(4, "county_code"): "35O125"}),
          "county_code.format", 4, "county_code", FILE),
        c("code_blank", ".csv", panel_csv({(5, "county_code"): ""}),
          "county_code.missing", 5, "county_code", FILE),
        c("code_total_row", ".csv", panel_csv({(7, "county_code"): "合计"}),
          "county_code.format", 7, "county_code", FILE),
        c("code_decimal", ".csv", panel_csv({(2, "county_code"): "350125.0"}),
          "county_code.format", 2, "county_code", FILE),
        c("code_scientific", ".csv", panel_csv({(6, "county_code"): "3.50125E+05"}),
          "county_code.format", 6, "county_code", FILE),
        c("code_inner_space", ".csv", panel_csv({(3, "county_code"): "350 125"}),
          "county_code.format", 3, "county_code", FILE),
        # duplicated keys
        c("duplicate_county_year", ".csv", panel_csv({(3, "year"): "2019"}),
          "county_year.duplicate", 3, "year", "350125"),
        c("duplicate_with_year_suffix", ".csv", panel_csv({(6, "year"): "2019年"}),
          "county_year.duplicate", 6, "year", "110101"),
        # impossible numbers
        c("negative_visits", ".csv", panel_csv({(4, "visits_total"): "-5"}),
          "value.negative", 4, "visits_total", "350125"),
        c("negative_fund", ".csv", panel_csv({(5, "fund_out_county"): "-300"}),
          "value.negative", 5, "fund_out_county", "110101"),
        c("negative_population", ".csv", panel_csv({(2, "pop_resident"): "-380000"}),
          "value.negative", 2, "pop_resident", "350125"),
        c("rate_above_100", ".csv", panel_csv({(3, "premature_ncd_mortality"): "150"}),
          "rate.range", 3, "premature_ncd_mortality", "350125"),
        c("rate_negative", ".csv", panel_csv({(6, "premature_ncd_mortality"): "-1"}),
          "rate.range", 6, "premature_ncd_mortality", "110101"),
        c("primary_above_total_visits", ".csv", panel_csv({(4, "visits_primary"): "1200000"}),
          "share.numerator_above_denominator", 4, "visits_primary", "350125"),
        c("primary_fund_above_fund", ".csv", panel_csv({(7, "fund_primary"): "12000"}),
          "share.numerator_above_denominator", 7, "fund_primary", "110101"),
        # text in numbers
        c("text_in_number", ".csv", panel_csv({(2, "visits_total"): "abc"}),
          "value.non_numeric", 2, "visits_total", "350125"),
        c("approximate_number", ".csv", panel_csv({(3, "admissions_in_county"): "约8200"}),
          "value.non_numeric", 3, "admissions_in_county", "350125"),
        c("excel_error_value", ".csv", panel_csv({(5, "fund_in_county"): "#DIV/0!"}),
          "value.non_numeric", 5, "fund_in_county", "110101"),
        c("bad_thousands_grouping", ".csv", panel_csv({(6, "visits_total"): "2,10,0000"}),
          "value.non_numeric", 6, "visits_total", "110101"),
        c("percent_in_count", ".csv", panel_csv({(7, "visits_primary"): "45%"}),
          "value.non_numeric", 7, "visits_primary", "110101"),
        c("money_in_visits", ".csv", panel_csv({(4, "visits_total"): "110万元"}),
          "value.non_numeric", 4, "visits_total", "350125"),
        c("two_decimal_points", ".csv", panel_csv({(2, "pop_resident"): "380.000.1"}),
          "value.non_numeric", 2, "pop_resident", "350125"),
        c("accounting_negative", ".csv", panel_csv({(3, "fund_out_county"): "(2000)"}),
          "value.non_numeric", 3, "fund_out_county", "350125"),
        # wrong years
        c("year_five_digits", ".csv", panel_csv({(2, "year"): "20190"}),
          "year.invalid", 2, "year", "350125"),
        c("year_too_early", ".csv", panel_csv({(5, "year"): "1900"}),
          "year.range", 5, "year", "110101"),
        c("year_too_late", ".csv", panel_csv({(7, "year"): "2150"}),
          "year.range", 7, "year", "110101"),
        c("year_blank", ".csv", panel_csv({(4, "year"): ""}),
          "year.missing", 4, "year", "350125"),
        c("year_half_in_panel", ".csv", panel_csv({(3, "year"): "2020H1"}),
          "year.invalid", 3, "year", "350125"),
        c("year_in_chinese_numerals", ".csv", panel_csv({(6, "year"): "二〇二〇"}),
          "year.invalid", 6, "year", "110101"),
        # reform year
        c("reform_year_changes", ".csv", panel_csv({(4, "reform_year"): "2018"}),
          "reform_year.inconsistent", 4, "reform_year", "350125"),
        c("reform_year_fraction", ".csv", panel_csv({(2, "reform_year"): "2017.5"}),
          "reform_year.invalid", 2, "reform_year", "350125"),
        c("reform_year_too_early", ".csv",
          panel_csv({(r, "reform_year"): "1990" for r in (5, 6, 7)}),
          "reform_year.range", 5, "reform_year", "110101"),
        c("reform_year_after_panel", ".csv",
          panel_csv({(r, "reform_year"): "2030" for r in (2, 3, 4)}),
          "reform_year.range", 3, "reform_year", "350125"),
        # labels
        c("county_name_changes", ".csv", panel_csv({(3, "county_name"): "永泰"}),
          "county_name.inconsistent", 3, "county_name", "350125"),
        c("province_changes", ".csv", panel_csv({(7, "province"): "天津"}),
          "province.inconsistent", 7, "province", "110101"),
        # columns
        c("missing_visits_total", ".csv", without("visits_total"),
          "column.missing_required", None, "visits_total", FILE),
        c("missing_county_code", ".csv", without("county_code"),
          "column.missing_required", None, "county_code", FILE),
        c("missing_year", ".csv", without("year"),
          "column.missing_required", None, "year", FILE),
        c("duplicate_column", ".csv", renamed("visits_total", "visits_primary"),
          "header.duplicate", None, "visits_primary", FILE),
        c("unit_of_another_kind", ".csv", renamed("pop_resident", "常住人口（万元）"),
          "header.unit_mismatch", None, "pop_resident", FILE),
        # file structure
        c("header_only", ".csv", panel_csv(rows=[]), "file.no_data", None, None, FILE),
        c("empty_file", ".csv", raw_bytes(b""), "file.empty", None, None, FILE),
        c("blank_lines_only", ".csv", raw_bytes(b"\r\n \r\n\t\r\n"), "file.empty", None, None,
          FILE),
        c("ragged_row", ".csv",
          raw_bytes(csv_bytes(COLUMNS, BASE_ROWS[:2]) + b"350125,x,y,2021,2017,1,2,1,1,1,1,1,"
                    b"1,1,1,234\r\n"),
          "file.ragged_row", 4, None, FILE),
        c("unbalanced_quote", ".csv",
          raw_bytes(csv_bytes(COLUMNS, BASE_ROWS[:1]) + b'350125,"x,y\r\n'),
          "file.csv_malformed", None, None, FILE),
        c("binary_content", ".csv", raw_bytes(b"county_code,year\r\n\x00\x01\x02\x03"),
          "file.binary", None, None, FILE),
        c("no_recognisable_header", ".csv",
          raw_bytes("门诊量,床位数\r\n1,2\r\n".encode()),
          "file.no_header", None, None, FILE),
        # encodings
        c("mixed_utf8_and_gbk", ".csv",
          raw_bytes(csv_bytes(COLUMNS, BASE_ROWS) + _GBK_ROW.encode("gbk")),
          "file.encoding", 8, None, FILE),
        c("undecodable_bytes", ".csv", raw_bytes(b"county_code,year\r\n\x81\x30\xff\xff\r\n"),
          "file.encoding", None, None, FILE),
        c("big5_headers", ".csv", raw_bytes("縣級行政區劃代碼,年份\r\n350125,2020\r\n"
                                            .encode("big5")),
          "file.no_header", None, None, FILE),
    ]
    long_cases = [
        c("long_unknown_indicator", ".csv",
          long_csv({(3, "indicator"): "primary_visits_share"}),
          "indicator.unknown", 3, "indicator", "350125"),
        c("long_blank_indicator", ".csv", long_csv({(4, "indicator"): ""}),
          "indicator.missing", 4, "indicator", "110101"),
        c("long_bad_period", ".csv", long_csv({(2, "year"): "2023Q1"}),
          "period.invalid", 2, "year", "350125"),
        c("long_duplicate", ".csv", long_csv(extra=[LONG_ROWS[2]]),
          "county_period_indicator.duplicate", 5, "indicator", "110101"),
        c("long_text_value", ".csv", long_csv({(3, "value"): "五十六"}),
          "value.non_numeric", 3, "value", "350125"),
        c("long_short_code", ".csv", long_csv({(4, "county_code"): "11010"}),
          "county_code.format", 4, "county_code", FILE),
        c("long_missing_value_column", ".csv",
          long_csv(header=["county_code", "county_name", "year", "indicator", "数值?"]),
          "column.missing_required", None, "value", FILE),
    ]
    workbook_cases = [
        c("xlsx_bad_code_below_title", ".xlsx",
          workbook({(3, "county_code"): "3501"}, title="2019–2021年监测数据"),
          "county_code.format", 4, "county_code", FILE, "数据"),
        c("xlsx_negative_in_second_sheet", ".xlsx",
          workbook({(3, "visits_total"): "-1"}, sheets=("甲", "乙")),
          "value.negative", 2, "visits_total", "350125", "乙"),
        c("xlsx_two_row_header_text", ".xlsx", two_row_header({(4, "visits_primary"): "n.a."}),
          "value.non_numeric", 5, "visits_primary", "350125", "监测"),
        c("xlsx_code_stored_as_number", ".xlsx", workbook(typed={(2, "county_code"): 12345}),
          "county_code.format", 2, "county_code", FILE, "数据"),
        c("xlsx_formula_error_text", ".xlsx", workbook({(6, "fund_primary"): "#REF!"}),
          "value.non_numeric", 6, "fund_primary", "110101", "数据"),
        c("xlsx_rate_as_text_above_100", ".xlsx",
          workbook({(5, "premature_ncd_mortality"): "120%"}),
          "rate.range", 5, "premature_ncd_mortality", "110101", "数据"),
        c("xlsm_extension", ".xlsm", macro_workbook, "file.macro_enabled", None, None, FILE),
        c("xlsx_with_vba_project", ".xlsx",
          patched_workbook({"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"\x00" * 60}),
          "file.macro_enabled", None, None, FILE),
        c("xlsx_with_macro_sheet", ".xlsx",
          patched_workbook({"xl/macrosheets/sheet1.xml": b"<xm:macrosheet/>"}),
          "file.macro_enabled", None, None, FILE),
        c("xlsx_not_a_zip", ".xlsx", raw_bytes(csv_bytes(COLUMNS, BASE_ROWS)),
          "file.unreadable", None, None, FILE),
        c("xlsx_truncated", ".xlsx",
          lambda path: (workbook()(path), path.write_bytes(path.read_bytes()[:600])),
          "file.unreadable", None, None, FILE),
        c("xlsx_empty_workbook", ".xlsx", empty_workbook, "file.empty", None, None, FILE),
        c("xlsx_entity_bomb_in_sheet", ".xlsx",
          patched_workbook({}, {"xl/worksheets/sheet1.xml": _SHEET_BOMB}),
          "file.unsafe_xml", None, None, FILE),
        c("xlsx_entity_bomb_in_workbook", ".xlsx",
          patched_workbook({}, {"xl/workbook.xml": _WORKBOOK_BOMB}),
          "file.unsafe_xml", None, None, FILE),
        c("xlsx_zip_bomb", ".xlsx", patched_workbook({"xl/media/image1.bin": b"\0" * 30_000_000}),
          "file.zip_bomb", None, None, FILE),
        c("parquet_negative", ".parquet", parquet({(3, "admissions_out_county"): "-2000"}),
          "value.negative", 3, "admissions_out_county", "350125"),
        c("parquet_truncated", ".parquet", truncated_parquet, "file.unreadable", None, None,
          FILE),
    ]
    return panel_cases + long_cases + workbook_cases
# fmt: on


CASES: tuple[Case, ...] = tuple(_cases())


def build(directory: Path, cases: tuple[Case, ...] = CASES) -> dict[str, Path]:
    """Write every case's file into ``directory``; return name → path."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for case in cases:
        path = directory / case.filename
        case.build(path)
        paths[case.name] = path
    return paths


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "malformed_corpus")
    written = build(out)
    print(f"wrote {len(written)} files into {out}/")
