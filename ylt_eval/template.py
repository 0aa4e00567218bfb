"""Write the blank input template (CSV or XLSX) from the data dictionary.

The headers written are the template form ``名称（单位）`` (or ``name (unit)`` in English),
which :func:`ylt_eval.readers.match_header` maps back to the dictionary columns, so a filled
template always reads back. Output bytes are deterministic: the workbook's created/modified
properties and the zip entries' timestamps are fixed, so two writes give identical files.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Literal

from ylt_eval.errors import ParameterError
from ylt_eval.readers import header_text
from ylt_eval.schema import ColumnSpec, data_dictionary

#: Timestamp written into the workbook properties and zip entries (determinism).
FIXED_TIMESTAMP = dt.datetime(2024, 1, 1, 0, 0, 0)

#: Data rows prepared with text format and input checks in the xlsx template.
TEMPLATE_ROWS = 5000

_SHEET_NAMES = {"zh": ("数据", "数据字典"), "en": ("data", "dictionary")}

_DICTIONARY_HEADERS = {
    "zh": ("字段代码", "中文名称", "英文名称", "单位", "英文单位", "类型", "是否必填", "定义"),
    "en": (
        "column",
        "Chinese name",
        "name",
        "Chinese unit",
        "unit",
        "kind",
        "required",
        "definition",
    ),
}


def template_headers(lang: Literal["zh", "en"] = "zh") -> tuple[str, ...]:
    """Headers of the blank template, in dictionary order.

    Parameters
    ----------
    lang : {"zh", "en"}
        ``名称（单位）`` Chinese headers or ``name (unit)`` English ones.

    Returns
    -------
    tuple of str
    """
    _check_lang(lang)
    return tuple(_header(spec, lang) for spec in data_dictionary())


def _header(spec: ColumnSpec, lang: str) -> str:
    if lang == "zh":
        return header_text(spec.name_zh, spec.unit_zh, lang="zh")
    return header_text(spec.name_en, spec.unit_en, lang="en")


def _check_lang(lang: str) -> None:
    if lang not in _SHEET_NAMES:
        raise ParameterError(f"template language must be 'zh' or 'en', not {lang!r}")


def write_template(path: str | Path, *, lang: Literal["zh", "en"] = "zh") -> Path:
    """Write a blank input template.

    ``.csv``: UTF-8 with a byte-order mark (so Excel shows Chinese correctly) and one header
    row. ``.xlsx``: a data sheet (``数据``) with a bold, frozen header row, the county-code
    column formatted as text (leading zeros kept), input checks on county code and year, and a
    second sheet (``数据字典``) describing every column.

    Parameters
    ----------
    path : str or pathlib.Path
        Destination ending in ``.csv`` or ``.xlsx``; replaced atomically if it exists.
    lang : {"zh", "en"}, default "zh"
        Language of headers and sheet names.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ParameterError
        Unsupported extension or language.
    """
    path = Path(path)
    _check_lang(lang)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        content = _csv_bytes(lang)
    elif suffix == ".xlsx":
        content = _xlsx_bytes(lang)
    else:
        raise ParameterError(
            f"template must be written as .csv or .xlsx, not {suffix or '(no extension)'!r}"
        )
    _write_atomically(path, content)
    return path


def _write_atomically(path: Path, content: bytes) -> None:
    from ylt_eval.batch.outputs import write_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, content)


def _csv_bytes(lang: str) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerow(template_headers(lang))  # type: ignore[arg-type]
    return buffer.getvalue().encode("utf-8-sig")


def _dictionary_rows(lang: str) -> list[tuple[str, ...]]:
    rows = []
    for spec in data_dictionary():
        required = ("是" if spec.required else "否") if lang == "zh" else str(spec.required).lower()
        definition = spec.definition_zh if lang == "zh" else spec.definition_en
        rows.append(
            (
                spec.column,
                spec.name_zh,
                spec.name_en,
                spec.unit_zh,
                spec.unit_en,
                spec.kind,
                required,
                definition,
            )
        )
    return rows


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _xlsx_bytes(lang: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    specs = data_dictionary()
    data_name, dictionary_name = _SHEET_NAMES[lang]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = data_name
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    for position, spec in enumerate(specs, start=1):
        cell = sheet.cell(row=1, column=position, value=_header(spec, lang))
        cell.font = bold
        if spec.required:
            cell.fill = required_fill
        letter = get_column_letter(position)
        sheet.column_dimensions[letter].width = min(40, max(10, _display_width(cell.value) + 2))
        if spec.column == "county_code":
            # Text format keeps leading zeros when a code is typed in.
            sheet.column_dimensions[letter].number_format = "@"
            code_check = DataValidation(
                type="textLength",
                operator="equal",
                formula1="6",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="县级行政区划代码" if lang == "zh" else "County code",
                error="请输入6位代码" if lang == "zh" else "Enter the 6-digit code",
            )
            code_check.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
            sheet.add_data_validation(code_check)
        elif spec.kind in {"period", "reform"}:
            year_check = DataValidation(
                type="whole",
                operator="between",
                formula1="1949",
                formula2="2100",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=spec.name_zh if lang == "zh" else spec.name_en,
                error="请输入4位年份" if lang == "zh" else "Enter a 4-digit year",
            )
            year_check.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
            sheet.add_data_validation(year_check)
    sheet.freeze_panes = "A2"

    dictionary = workbook.create_sheet(dictionary_name)
    dictionary.append(list(_DICTIONARY_HEADERS[lang]))
    for cell in dictionary[1]:
        cell.font = bold
    for row in _dictionary_rows(lang):
        dictionary.append(list(row))
    for letter, width in zip("ABCDEFGH", (28, 30, 40, 8, 12, 9, 9, 60), strict=True):
        dictionary.column_dimensions[letter].width = width
    dictionary.freeze_panes = "A2"

    workbook.properties.creator = "ylt_eval"
    workbook.properties.lastModifiedBy = None
    workbook.properties.created = FIXED_TIMESTAMP
    workbook.properties.modified = FIXED_TIMESTAMP
    return _deterministic_zip(_save_workbook(workbook))


def _save_workbook(workbook) -> bytes:
    # Workbook.save() stamps "modified" with the current time; the writer itself does not.
    from openpyxl.writer.excel import ExcelWriter

    buffer = io.BytesIO()
    archive = zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    ExcelWriter(workbook, archive).save()
    return buffer.getvalue()


def _deterministic_zip(content: bytes) -> bytes:
    """Rewrite a zip archive with fixed entry timestamps and permissions."""
    output = io.BytesIO()
    stamp = FIXED_TIMESTAMP.timetuple()[:6]
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            target.writestr(info, source.read(member.filename))
    return output.getvalue()
