"""Read input tables (CSV, XLSX, Parquet) as text, keeping where every value came from.

Every cell is read as text: nothing is guessed, so county codes keep their leading zeros and a
number stored as ``"1,234"`` reaches the validator as written. Each data row remembers the
spreadsheet row a person sees (header row = row 1 when there is no title row above it), and
the sheet it came from, so that validation messages can point at the cell.

Hostile or broken files are refused before they are parsed in full: files larger than a limit,
macro-enabled workbooks, zip bombs. Problems found while reading are returned as
:class:`ReadProblem` records (or raised as :class:`InputFileError` when nothing can be read);
:mod:`ylt_eval.validation` turns them into located validation issues. This module does not
import :mod:`ylt_eval.validation`, which depends on it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

import pandas as pd

from ylt_eval.errors import DataValidationError, ParameterError
from ylt_eval.schema import data_dictionary

#: Default largest input file accepted, in bytes (no real county panel comes near it).
DEFAULT_MAX_BYTES: int = 50 * 1024 * 1024

#: An xlsx member whose uncompressed size exceeds its compressed size by more than this is
#: treated as a zip bomb (real worksheet XML compresses 5–30 times).
MAX_COMPRESSION_RATIO: int = 200

#: Uncompressed size allowed for a whole xlsx archive, as a multiple of ``max_bytes``.
MAX_UNCOMPRESSED_FACTOR: int = 10

#: How many non-empty rows at the top of a sheet are searched for the header row.
HEADER_SCAN_ROWS: int = 10

#: Encodings tried in order for CSV files without a byte-order mark. GB18030 is a superset of
#: GBK and GB2312, the encodings Chinese Excel uses for "CSV".
CSV_ENCODINGS: tuple[str, ...] = ("utf-8", "gb18030")

Vocabulary = Literal["panel", "long"]

#: Header aliases of the long (indicator-level) format, beyond the machine names.
LONG_HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "county_code": ("county_code", "县级行政区划代码", "县区代码", "County code"),
    "county_name": ("county_name", "县（市、区）名称", "县区名称", "County name"),
    "year": ("year", "period", "年份", "期间", "统计期", "Year", "Period"),
    "indicator": ("indicator", "indicator_code", "指标代码", "指标", "Indicator"),
    "value": ("value", "数值", "值", "Value"),
}

# Unit words and their scale, used to tell a harmless unit note in a header ("常住人口（人）")
# from one announcing a different scale ("常住人口（万人）") that would silently inflate values.
_UNIT_SCALE: dict[str, float] = {
    "元": 1.0,
    "yuan": 1.0,
    "千元": 1e3,
    "万元": 1e4,
    "10kyuan": 1e4,
    "亿元": 1e8,
    "人": 1.0,
    "人次": 1.0,
    "次": 1.0,
    "名": 1.0,
    "个": 1.0,
    "家": 1.0,
    "所": 1.0,
    "persons": 1.0,
    "visits": 1.0,
    "admissions": 1.0,
    "discharges": 1.0,
    "operations": 1.0,
    "referrals": 1.0,
    "clinics": 1.0,
    "disciplines": 1.0,
    "births": 1.0,
    "deaths": 1.0,
    "千人": 1e3,
    "万人": 1e4,
    "万人次": 1e4,
    "%": 1e-2,
    "百分比": 1e-2,
    "‰": 1e-3,
    "年": 1.0,
    "year": 1.0,
}


@dataclass(frozen=True)
class ReadProblem:
    """A problem met while reading a file, before any value is checked.

    Attributes
    ----------
    severity : {"error", "warning"}
    rule : str
        Stable machine code, e.g. ``"file.encoding"``.
    message_zh, message_en : str
        What is wrong.
    hint_zh, hint_en : str
        What to do about it.
    sheet : str or None
        Sheet name (workbooks only).
    row : int or None
        Spreadsheet row as a person sees it.
    column : str or None
        Header as written, when the problem concerns one column.
    value : str or None
        Offending text, shortened.
    cell : str or None
        Spreadsheet reference such as ``"C7"``.
    """

    severity: Literal["error", "warning"]
    rule: str
    message_zh: str
    message_en: str
    hint_zh: str = ""
    hint_en: str = ""
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    cell: str | None = None


class InputFileError(DataValidationError):
    """A file cannot be read at all (too large, binary, undecodable, macro-enabled ...).

    Parameters
    ----------
    problem : ReadProblem
        The located, bilingual description of the failure.
    """

    def __init__(self, problem: ReadProblem) -> None:
        super().__init__(problem.message_en)
        self.problem = problem


@dataclass(frozen=True, eq=False)
class RawTable:
    """One input table, every cell as text, with the location of every row.

    Attributes
    ----------
    frame : pandas.DataFrame
        Data rows only (title, header and unit rows removed, blank rows skipped), one column per
        input column, every cell a ``str`` ("" when empty). Column labels are the headers as
        written, made unique (an empty header becomes ``"[C]"``, a repeated one ``"name [D]"``).
    path : pathlib.Path
        File read.
    headers : tuple of str
        Headers exactly as written, one per column of ``frame``.
    column_letters : tuple of str
        Spreadsheet column letter of each column of ``frame`` (``"A"``, ``"B"`` ...).
    row_numbers : tuple of int
        For each row of ``frame``, the spreadsheet row number a person sees.
    row_sheets : tuple of (str or None)
        For each row of ``frame``, the sheet it came from (None for CSV and Parquet).
    sheets : tuple of str
        Sheets read (empty for CSV and Parquet).
    header_row : int
        Spreadsheet row of the header (the lower one when the header spans two rows).
    encoding : str or None
        Text encoding used for a CSV file (``"utf-8"``, ``"utf-8-sig"``, ``"gb18030"``,
        ``"utf-16"``); None for binary formats.
    problems : tuple of ReadProblem
        Problems met while reading that did not stop it.
    """

    frame: pd.DataFrame
    path: Path
    headers: tuple[str, ...]
    column_letters: tuple[str, ...]
    row_numbers: tuple[int, ...]
    row_sheets: tuple[str | None, ...]
    sheets: tuple[str, ...] = ()
    header_row: int = 1
    encoding: str | None = None
    problems: tuple[ReadProblem, ...] = field(default=())

    @property
    def sheet(self) -> str | None:
        """Name of the sheet read, or None for CSV/Parquet and for several sheets."""
        return self.sheets[0] if len(self.sheets) == 1 else None


@dataclass(frozen=True)
class HeaderMapping:
    """How the headers of a table map to dictionary columns.

    Attributes
    ----------
    columns : tuple of (str or None)
        For each input column, the dictionary column it maps to, or None.
    unknown : tuple of int
        Positions of non-empty columns whose header maps to nothing.
    duplicates : dict of str to tuple of int
        Dictionary columns claimed by more than one input column, with their positions.
    unit_mismatches : dict of int to str
        Positions whose header announces a unit of a different scale, with that unit.
    """

    columns: tuple[str | None, ...]
    unknown: tuple[int, ...]
    duplicates: dict[str, tuple[int, ...]]
    unit_mismatches: dict[int, str]

    def position(self, column: str) -> int | None:
        """Position of the first input column mapped to ``column``, or None."""
        for position, mapped in enumerate(self.columns):
            if mapped == column:
                return position
        return None


# --------------------------------------------------------------------------------------------
# Header vocabulary
# --------------------------------------------------------------------------------------------


def normalize_header(text: str) -> str:
    """Normalize a header for matching.

    Full-width characters become half-width (NFKC), all whitespace and required-field markers
    (``*``) are removed, square and lenticular brackets become parentheses, and case is folded.

    Parameters
    ----------
    text : str

    Returns
    -------
    str
    """
    normalized = unicodedata.normalize("NFKC", text)
    normalized = normalized.translate(str.maketrans("【】[]", "()()", "*＊"))
    normalized = re.sub(r"\s+", "", normalized)
    return normalized.casefold()


def header_text(name: str, unit: str, *, lang: Literal["zh", "en"]) -> str:
    """Header of one column as written in the blank template (``名称（单位）`` / ``name (unit)``).

    Parameters
    ----------
    name : str
        Chinese or English column name.
    unit : str
        Unit in the same language; "" for identifiers and labels.
    lang : {"zh", "en"}

    Returns
    -------
    str
    """
    if not unit:
        return name
    return f"{name}（{unit}）" if lang == "zh" else f"{name} ({unit})"


@cache
def _vocabulary(kind: Vocabulary) -> dict[str, str]:
    forms: dict[str, str] = {}
    if kind == "panel":
        for spec in data_dictionary():
            names = [spec.column, spec.name_zh, spec.name_en]
            names.append(header_text(spec.name_zh, spec.unit_zh, lang="zh"))
            names.append(header_text(spec.name_en, spec.unit_en, lang="en"))
            for name in names:
                forms[normalize_header(name)] = spec.column
    else:
        for column, aliases in LONG_HEADER_ALIASES.items():
            for alias in aliases:
                forms[normalize_header(alias)] = column
    return forms


@cache
def _dictionary_scales() -> dict[str, float | None]:
    scales: dict[str, float | None] = {}
    for spec in data_dictionary():
        scales[spec.column] = _UNIT_SCALE.get(normalize_header(spec.unit_zh))
    return scales


def _split_unit(normalized: str) -> tuple[str, str] | None:
    match = re.fullmatch(r"(.+)\(([^()]*)\)", normalized)
    if match is None:
        return None
    return match.group(1), match.group(2)


def match_header(text: str, vocabulary: Vocabulary = "panel") -> str | None:
    """Dictionary column a header denotes, or None.

    Accepts the machine name (``visits_primary``), the Chinese or English name, and the
    template's ``名称（单位）`` / ``name (unit)`` form, ignoring whitespace, full-width
    parentheses and case. A trailing parenthesised note that is not a unit of a different
    scale is tolerated (``常住人口（年末）``).

    Parameters
    ----------
    text : str
        Header as written.
    vocabulary : {"panel", "long"}
        Columns of the wide panel (data dictionary) or of the long format.

    Returns
    -------
    str or None
    """
    column, _ = _match_with_unit(text, vocabulary)
    return column


def _match_with_unit(text: str, vocabulary: Vocabulary) -> tuple[str | None, str | None]:
    """Return (column, announced unit when its scale differs from the dictionary's)."""
    forms = _vocabulary(vocabulary)
    normalized = normalize_header(text)
    if not normalized:
        return None, None
    if normalized in forms:
        return forms[normalized], None
    split = _split_unit(normalized)
    if split is None or split[0] not in forms:
        return None, None
    column = forms[split[0]]
    announced = _UNIT_SCALE.get(split[1])
    expected = _dictionary_scales().get(column) if vocabulary == "panel" else None
    if announced is not None and expected is not None and announced != expected:
        return column, split[1]
    return column, None


def map_headers(headers: Sequence[str], vocabulary: Vocabulary = "panel") -> HeaderMapping:
    """Map the headers of a table to dictionary columns.

    Parameters
    ----------
    headers : sequence of str
        Headers as written, in input order.
    vocabulary : {"panel", "long"}

    Returns
    -------
    HeaderMapping
    """
    columns: list[str | None] = []
    unknown: list[int] = []
    mismatches: dict[int, str] = {}
    claimed: dict[str, list[int]] = {}
    for position, header in enumerate(headers):
        column, unit = _match_with_unit(header, vocabulary)
        columns.append(column)
        if column is None:
            if header.strip():
                unknown.append(position)
            continue
        claimed.setdefault(column, []).append(position)
        if unit is not None:
            mismatches[position] = unit
    duplicates = {col: tuple(pos) for col, pos in claimed.items() if len(pos) > 1}
    return HeaderMapping(tuple(columns), tuple(unknown), duplicates, mismatches)


def _header_score(cells: Sequence[str]) -> int:
    recognised = set()
    for cell in cells:
        for vocabulary in ("panel", "long"):
            column = match_header(cell, vocabulary)
            if column is not None:
                recognised.add(column)
    return len(recognised)


@cache
def _unit_words() -> frozenset[str]:
    words = set(_UNIT_SCALE)
    for spec in data_dictionary():
        words.update({normalize_header(spec.unit_zh), normalize_header(spec.unit_en)})
    words.discard("")
    return frozenset(words)


def _is_unit_row(cells: Sequence[str]) -> bool:
    filled = [normalize_header(cell).strip("()") for cell in cells if cell.strip()]
    return bool(filled) and all(cell in _unit_words() for cell in filled)


# --------------------------------------------------------------------------------------------
# Shared table assembly
# --------------------------------------------------------------------------------------------


def column_letter(position: int) -> str:
    """Spreadsheet letter of a 0-based column position (0 → "A", 26 → "AA")."""
    letters = ""
    number = position + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _is_blank(cells: Iterable[str]) -> bool:
    return all(not cell.strip() for cell in cells)


@dataclass(frozen=True)
class _HeaderLocation:
    index: int  # index in the row list of the (lower) header row
    cells: tuple[str, ...]
    first_data: int  # index of the first row after header (and unit row)


def _merge_header_rows(upper: Sequence[str], lower: Sequence[str]) -> tuple[str, ...]:
    width = max(len(upper), len(lower))
    merged = []
    for position in range(width):
        top = upper[position] if position < len(upper) else ""
        bottom = lower[position] if position < len(lower) else ""
        if _header_score([bottom]) or (bottom.strip() and not _header_score([top])):
            merged.append(bottom)
        else:
            merged.append(top or bottom)
    return tuple(merged)


def _locate_header(rows: Sequence[Sequence[str]]) -> _HeaderLocation | None:
    """Find the header among the first non-empty rows (title rows above it are skipped).

    A header split over two rows (group labels merged over a second row of names, or key
    columns merged vertically beside it) is combined when that recognises more columns.
    """
    candidates = [i for i, row in enumerate(rows) if not _is_blank(row)][:HEADER_SCAN_ROWS]
    if not candidates:
        return None
    scores = {i: _header_score(rows[i]) for i in candidates}
    best = max(candidates, key=lambda i: (scores[i], -i))
    if scores[best] == 0:
        return None
    options: list[tuple[int, int, tuple[str, ...]]] = [(scores[best], best, tuple(rows[best]))]
    previous = best - 1
    if previous in scores:
        merged = _merge_header_rows(rows[previous], rows[best])
        options.append((_header_score(merged), best, merged))
    following = best + 1
    if following < len(rows) and not _is_blank(rows[following]):
        merged = _merge_header_rows(rows[best], rows[following])
        options.append((_header_score(merged), following, merged))
    score, index, cells = options[0]
    for option in options[1:]:
        if option[0] > score:
            score, index, cells = option
    first_data = index + 1
    if first_data < len(rows) and _is_unit_row(rows[first_data]):
        first_data += 1
    return _HeaderLocation(index=index, cells=cells, first_data=first_data)


def _unique_labels(headers: Sequence[str], letters: Sequence[str]) -> list[str]:
    labels: list[str] = []
    seen: set[str] = set()
    for header, letter in zip(headers, letters, strict=True):
        label = header.strip() or f"[{letter}]"
        if label in seen:
            label = f"{label} [{letter}]"
        seen.add(label)
        labels.append(label)
    return labels


@dataclass(frozen=True)
class _SheetRows:
    """Rows of one sheet as text, with their spreadsheet row numbers (1-based)."""

    sheet: str | None
    rows: list[list[str]]


@dataclass(frozen=True)
class _Assembled:
    headers: tuple[str, ...]
    positions: tuple[int, ...]
    data: list[list[str]]
    row_numbers: list[int]
    header_row: int
    problems: list[ReadProblem]


def _assemble(
    sheet_rows: _SheetRows, *, overflow_is_error: bool, location: _HeaderLocation | None = None
) -> _Assembled:
    """Cut a sheet's rows into header and data, dropping columns that are entirely empty."""
    rows = sheet_rows.rows
    location = location or _locate_header(rows)
    if location is None:
        raise InputFileError(_no_header_problem(sheet_rows.sheet))
    header = list(location.cells)
    width = len(header)
    problems: list[ReadProblem] = []
    data: list[list[str]] = []
    numbers: list[int] = []
    for index in range(location.first_data, len(rows)):
        cells = rows[index]
        if _is_blank(cells):
            continue
        if len(cells) > width:
            extra = cells[width:]
            if overflow_is_error and not _is_blank(extra):
                problems.append(_ragged_problem(sheet_rows.sheet, index + 1, width, extra))
                cells = cells[:width]
            elif not overflow_is_error:
                width = len(cells)
                header.extend([""] * (width - len(header)))
        data.append(list(cells) + [""] * (width - len(cells)))
        numbers.append(index + 1)
    header.extend([""] * (width - len(header)))
    data = [row + [""] * (width - len(row)) for row in data]
    keep = [
        position
        for position in range(width)
        if header[position].strip() or any(row[position].strip() for row in data)
    ]
    return _Assembled(
        headers=tuple(header[p] for p in keep),
        positions=tuple(keep),
        data=[[row[p] for p in keep] for row in data],
        row_numbers=numbers,
        header_row=location.index + 1,
        problems=problems,
    )


def _build_table(
    path: Path,
    parts: Sequence[tuple[str | None, _Assembled]],
    *,
    encoding: str | None,
    extra_problems: Sequence[ReadProblem] = (),
) -> RawTable:
    first = parts[0][1]
    letters = tuple(column_letter(p) for p in first.positions)
    labels = _unique_labels(first.headers, letters)
    data: list[list[str]] = []
    numbers: list[int] = []
    sheets_per_row: list[str | None] = []
    problems: list[ReadProblem] = list(extra_problems)
    for sheet, assembled in parts:
        data.extend(assembled.data)
        numbers.extend(assembled.row_numbers)
        sheets_per_row.extend([sheet] * len(assembled.data))
        problems.extend(assembled.problems)
    frame = pd.DataFrame(data, columns=labels, dtype=object).astype("string")
    return RawTable(
        frame=frame,
        path=path,
        headers=first.headers,
        column_letters=letters,
        row_numbers=tuple(numbers),
        row_sheets=tuple(sheets_per_row),
        sheets=tuple(s for s, _ in parts if s is not None),
        header_row=first.header_row,
        encoding=encoding,
        problems=tuple(problems),
    )


# --------------------------------------------------------------------------------------------
# Problems raised while reading
# --------------------------------------------------------------------------------------------


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _no_header_problem(sheet: str | None) -> ReadProblem:
    return ReadProblem(
        severity="error",
        rule="file.no_header",
        message_zh=f"前{HEADER_SCAN_ROWS}个非空行中没有可识别的表头",
        message_en=f"no recognisable header row among the first {HEADER_SCAN_ROWS} non-empty rows",
        hint_zh="请使用空白模板的表头（如“县级行政区划代码”“年份”），或检查文件是否选错",
        hint_en="use the blank template's headers (e.g. 'county_code', 'year') or check the file",
        sheet=sheet,
    )


def _ragged_problem(sheet: str | None, row: int, width: int, extra: Sequence[str]) -> ReadProblem:
    shown = ",".join(cell for cell in extra if cell.strip())
    return ReadProblem(
        severity="error",
        rule="file.ragged_row",
        message_zh=f"该行的字段数多于表头的{width}列，多出的内容：{_shorten(shown)}",
        message_en=f"row has more fields than the {width} header columns; extra: {_shorten(shown)}",
        hint_zh="可能某个数值含未加引号的逗号（如 1,234）导致错列：请加引号或去掉千位分隔符",
        hint_en="a value probably contains an unquoted comma (e.g. 1,234) that shifted the "
        "columns: quote it or remove the thousands separator",
        sheet=sheet,
        row=row,
        value=_shorten(shown),
        cell=f"{column_letter(width)}{row}",
    )


def _file_problem(rule: str, zh: str, en: str, hint_zh: str = "", hint_en: str = "") -> ReadProblem:
    return ReadProblem("error", rule, zh, en, hint_zh, hint_en)


# --------------------------------------------------------------------------------------------
# Format readers
# --------------------------------------------------------------------------------------------


def read_table(
    path: str | Path, *, sheet: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> RawTable:
    """Read a CSV, XLSX or Parquet file with every cell as text.

    Parameters
    ----------
    path : str or pathlib.Path
        ``.csv``, ``.xlsx`` or ``.parquet`` file.
    sheet : str, optional
        Worksheet to read (xlsx only). By default every sheet whose top rows contain a
        recognisable header is read; sheets with the same header are stacked, a sheet with a
        different header is left out with a warning.
    max_bytes : int, default 50 MB
        Files larger than this are refused before parsing.

    Returns
    -------
    RawTable

    Raises
    ------
    ParameterError
        The path does not exist, the extension is not supported, or reading Parquet needs
        ``pyarrow`` which is not installed.
    InputFileError
        The file cannot be read (too large, empty, binary, undecodable, malformed CSV,
        macro-enabled or corrupt workbook, no recognisable header).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".xlsx", ".xlsm", ".parquet", ".txt", ".tsv"}:
        hint = " (save .xls workbooks as .xlsx)" if suffix == ".xls" else ""
        raise ParameterError(
            f"unsupported input file type {suffix or '(none)'!r} for {path.name}: "
            f"use .csv, .xlsx or .parquet{hint}"
        )
    if suffix == ".parquet":
        _require_pyarrow()
    if not path.is_file():
        raise ParameterError(f"input file not found: {path}")
    size = path.stat().st_size
    if size > max_bytes:
        raise InputFileError(
            _file_problem(
                "file.too_large",
                f"文件大小 {size:,} 字节，超过上限 {max_bytes:,} 字节",
                f"file is {size:,} bytes, above the limit of {max_bytes:,} bytes",
                "县级面板数据不会这么大：请检查是否选错文件，或确需时提高大小上限",
                "no county panel is this large: check the file, or raise the size limit",
            )
        )
    if suffix in {".csv", ".txt", ".tsv"}:
        return _read_csv(path)
    if suffix == ".parquet":
        return _read_parquet(path)
    return _read_xlsx(path, sheet=sheet, max_bytes=max_bytes)


def _decode(raw: bytes) -> tuple[str, str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        candidates: tuple[str, ...] = ("utf-8-sig",)
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ("utf-16",)
    else:
        candidates = CSV_ENCODINGS
    for encoding in candidates:
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise InputFileError(
        _file_problem(
            "file.encoding",
            f"无法识别文件编码（已尝试：{', '.join(candidates)}）",
            f"cannot decode the file (tried: {', '.join(candidates)})",
            "在 Excel 中“另存为 → CSV UTF-8（逗号分隔）”，或另存为 .xlsx",
            "save it from Excel as 'CSV UTF-8 (comma delimited)' or as .xlsx",
        )
    )


def _sniff_delimiter(text: str) -> str:
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    counts = {delimiter: first_line.count(delimiter) for delimiter in (",", "\t", ";")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _read_csv(path: Path) -> RawTable:
    raw = path.read_bytes()
    if not raw.strip(b" \t\r\n\xef\xbb\xbf"):
        raise InputFileError(
            _file_problem(
                "file.empty",
                "文件为空",
                "the file is empty",
                "请填写数据后再提交",
                "fill in the data",
            )
        )
    text, encoding = _decode(raw)
    if "\x00" in text:
        raise InputFileError(
            _file_problem(
                "file.binary",
                "文件含二进制内容，不是文本 CSV",
                "the file contains binary content, not CSV text",
                "请确认文件确为 CSV；Excel 工作簿请保存为 .xlsx 并使用该扩展名",
                "check that this is a CSV file; give Excel workbooks the .xlsx extension",
            )
        )
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[list[str]] = []
    try:
        for record in reader:
            rows.append(record)
    except csv.Error as exc:
        problem = _file_problem(
            "file.csv_malformed",
            f"CSV 格式错误（第{reader.line_num}行附近）：{exc}",
            f"malformed CSV near line {reader.line_num}: {exc}",
            "检查引号是否成对；建议在 Excel 中重新另存为 CSV UTF-8",
            "check that quotes are paired; re-save from Excel as CSV UTF-8",
        )
        raise InputFileError(problem) from None
    assembled = _assemble(_SheetRows(None, rows), overflow_is_error=True)
    return _build_table(path, [(None, assembled)], encoding=encoding)


def _require_pyarrow() -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise ParameterError(
            "reading .parquet files needs the optional package pyarrow, which is not installed: "
            "install it (pip install pyarrow) or save the data as .csv or .xlsx"
        ) from None


def _cell_text(value: object, number_format: str | None = None) -> str:
    """Text a person sees for one cell value (numbers without spurious '.0')."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        if value != value:  # NaN
            return ""
        if number_format and "%" in number_format:
            # A cell formatted as percent stores 0.125 and shows 12.5%: keep what is shown.
            return f"{round(value * 100, 10)!r}%".replace(".0%", "%")
        text = str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    elif isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    else:
        return str(value)
    if number_format and "%" in number_format:
        return f"{int(text) * 100}%"
    return text


def _is_missing_scalar(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and value != value  # NaN


def _read_parquet(path: Path) -> RawTable:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many types for corrupt files
        raise InputFileError(
            _file_problem(
                "file.unreadable",
                f"无法读取 Parquet 文件：{exc}",
                f"cannot read the Parquet file: {exc}",
                "请重新导出文件",
                "export the file again",
            )
        ) from None
    headers = [str(column) for column in frame.columns]
    rows = [headers]
    for record in frame.itertuples(index=False, name=None):
        rows.append([_cell_text(None if _is_missing_scalar(v) else v) for v in record])
    assembled = _assemble(
        _SheetRows(None, rows),
        overflow_is_error=True,
        location=_HeaderLocation(index=0, cells=tuple(headers), first_data=1),
    )
    return _build_table(path, [(None, assembled)], encoding=None)


def _check_workbook_archive(path: Path, max_bytes: int) -> None:
    """Refuse macro-enabled workbooks and zip bombs before openpyxl parses anything."""
    if path.suffix.lower() == ".xlsm":
        raise InputFileError(_macro_problem())
    if not zipfile.is_zipfile(path):
        raise InputFileError(
            _file_problem(
                "file.unreadable",
                "文件不是有效的 .xlsx 工作簿",
                "the file is not a valid .xlsx workbook",
                "用 Excel 打开后另存为 .xlsx（Excel 工作簿）",
                "open it in Excel and save it as .xlsx (Excel Workbook)",
            )
        )
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            content_types = b""
            if "[Content_Types].xml" in archive.namelist():
                with archive.open("[Content_Types].xml") as handle:
                    content_types = handle.read(1_000_000)
    except Exception as exc:  # corrupt archives raise BadZipFile, zlib.error, EOFError ...
        raise InputFileError(
            _file_problem(
                "file.unreadable",
                f"工作簿压缩包已损坏：{exc}",
                f"the workbook archive is corrupt: {exc}",
                "用 Excel 打开后重新保存",
                "open it in Excel and save it again",
            )
        ) from None
    names = [member.filename.lower() for member in members]
    if any(name.endswith("vbaproject.bin") for name in names) or b"macroEnabled" in content_types:
        raise InputFileError(_macro_problem())
    total = sum(member.file_size for member in members)
    ratios = [
        member.file_size / max(member.compress_size, 1)
        for member in members
        if member.file_size > 1_000_000
    ]
    too_big = total > MAX_UNCOMPRESSED_FACTOR * max_bytes
    if too_big or any(ratio > MAX_COMPRESSION_RATIO for ratio in ratios):
        raise InputFileError(
            _file_problem(
                "file.zip_bomb",
                f"工作簿解压后达 {total:,} 字节或压缩比异常，已拒绝读取",
                f"the workbook expands to {total:,} bytes or has an abnormal compression "
                "ratio; refused",
                "请只保留数据表后重新保存，或改用 CSV",
                "keep only the data sheet and save it again, or use CSV",
            )
        )


def _macro_problem() -> ReadProblem:
    return _file_problem(
        "file.macro_enabled",
        "含宏的工作簿（.xlsm 或含 VBA 代码）不予读取",
        "macro-enabled workbooks (.xlsm or containing VBA code) are refused",
        "在 Excel 中另存为不含宏的 .xlsx 工作簿",
        "save it from Excel as a macro-free .xlsx workbook",
    )


def _sheet_rows(worksheet, *, limit: int | None = None) -> list[list[str]]:
    rows: list[list[str]] = []
    for cells in worksheet.iter_rows(min_row=1, max_row=limit):
        rows.append(
            [_cell_text(cell.value, getattr(cell, "number_format", None)) for cell in cells]
        )
    while rows and _is_blank(rows[-1]):
        rows.pop()
    return rows


def _read_xlsx(path: Path, *, sheet: str | None, max_bytes: int) -> RawTable:
    import openpyxl
    import openpyxl.xml

    if not openpyxl.xml.DEFUSEDXML:
        raise ParameterError(
            "reading .xlsx safely needs defusedxml (protection against XML entity bombs): "
            "install defusedxml and unset OPENPYXL_DEFUSEDXML"
        )
    _check_workbook_archive(path, max_bytes)
    # Our own handle, so the file is closed even when openpyxl fails half-way through loading.
    with path.open("rb") as handle:
        try:
            workbook = openpyxl.load_workbook(
                handle, read_only=True, data_only=True, keep_links=False
            )
        except Exception as exc:  # openpyxl raises many types for corrupt or hostile files
            raise InputFileError(_workbook_problem(exc)) from None
        try:
            return _read_workbook(path, workbook, sheet)
        except (InputFileError, ParameterError):
            raise
        except Exception as exc:  # parsing is lazy in read-only mode: errors surface here
            raise InputFileError(_workbook_problem(exc)) from None
        finally:
            workbook.close()


def _workbook_problem(exc: Exception) -> ReadProblem:
    from defusedxml import DefusedXmlException

    name = type(exc).__name__
    cause: BaseException | None = exc
    unsafe = False
    while cause is not None and not unsafe:
        # openpyxl wraps parser errors: the defusedxml refusal is further down the chain.
        unsafe = isinstance(cause, DefusedXmlException)
        cause = cause.__cause__ or cause.__context__
    if unsafe:
        return _file_problem(
            "file.unsafe_xml",
            "工作簿含不安全的 XML 结构（实体/DTD），已拒绝读取",
            "the workbook contains unsafe XML (entities/DTD); refused",
            "用 Excel 打开后另存为新的 .xlsx",
            "open it in Excel and save it as a new .xlsx",
        )
    return _file_problem(
        "file.unreadable",
        f"无法读取工作簿：{name}: {_shorten(str(exc), 120)}",
        f"cannot read the workbook: {name}: {_shorten(str(exc), 120)}",
        "用 Excel 打开后重新保存为 .xlsx",
        "open it in Excel and save it again as .xlsx",
    )


def _read_workbook(path: Path, workbook, sheet: str | None) -> RawTable:
    worksheets = [
        ws for ws in workbook.worksheets if getattr(ws, "sheet_state", "visible") == "visible"
    ]
    if sheet is not None:
        chosen = [ws for ws in workbook.worksheets if ws.title == sheet]
        if not chosen:
            raise ParameterError(
                f"sheet {sheet!r} not found in {path.name}; "
                f"sheets: {', '.join(workbook.sheetnames)}"
            )
        worksheets = chosen
    located: list[tuple[str, _HeaderLocation]] = []
    for worksheet in worksheets:
        worksheet.reset_dimensions()
        location = _locate_header(_sheet_rows(worksheet, limit=HEADER_SCAN_ROWS * 5))
        if location is not None:
            located.append((worksheet.title, location))
    # A sheet "looks like data" when its header names at least two distinct columns and
    # nearly as many as the best sheet: a data-dictionary sheet names one or two per row.
    scores = {title: _header_score(location.cells) for title, location in located}
    best = max(scores.values(), default=0)
    data_sheets = [
        (title, location)
        for title, location in located
        if scores[title] >= 2 and 2 * scores[title] >= best
    ]
    if not data_sheets and (sheet is not None or len(located) == 1):
        data_sheets = located[:1]
    if not data_sheets:
        if not any(_sheet_rows(ws, limit=HEADER_SCAN_ROWS * 5) for ws in worksheets):
            raise InputFileError(
                _file_problem(
                    "file.empty",
                    "工作簿没有任何数据",
                    "the workbook contains no data",
                    "请填写数据后再提交",
                    "fill in the data",
                )
            )
        raise InputFileError(_no_header_problem(sheet))
    parts: list[tuple[str | None, _Assembled]] = []
    ignored: list[str] = []
    for title, location in data_sheets:
        rows = _sheet_rows(workbook[title])
        assembled = _assemble(_SheetRows(title, rows), overflow_is_error=False, location=location)
        if parts and assembled.headers != parts[0][1].headers:
            ignored.append(title)
            continue
        parts.append((title, assembled))
    extra = []
    if ignored:
        extra.append(
            ReadProblem(
                severity="warning",
                rule="file.sheets_ignored",
                message_zh=f"以下工作表的表头与“{parts[0][0]}”不同，未读取：{'、'.join(ignored)}",
                message_en=f"sheets with a header different from {parts[0][0]!r} were not read: "
                f"{', '.join(ignored)}",
                hint_zh="把所有数据放在同一张表中，或各表使用相同的表头",
                hint_en="put all data in one sheet, or give every sheet the same header",
            )
        )
    return _build_table(path, parts, encoding=None, extra_problems=extra)
