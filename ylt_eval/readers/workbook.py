"""Read xlsx workbooks (through openpyxl, read-only) as text, sheet by sheet."""

from __future__ import annotations

from pathlib import Path

from ylt_eval.errors import ParameterError
from ylt_eval.readers.archive import check_workbook_archive
from ylt_eval.readers.cells import cell_text
from ylt_eval.readers.headers import header_score
from ylt_eval.readers.limits import ReadLimits
from ylt_eval.readers.problems import (
    HEADER_SCAN_ROWS,
    InputFileError,
    ReadProblem,
    file_problem,
    no_header_problem,
    shorten,
)
from ylt_eval.readers.table import (
    Assembled,
    HeaderLocation,
    RawTable,
    SheetRows,
    assemble,
    build_table,
    is_blank,
    locate_header,
)


def _sheet_rows(worksheet, *, limit: int | None = None) -> list[list[str]]:
    rows: list[list[str]] = []
    for cells in worksheet.iter_rows(min_row=1, max_row=limit):
        rows.append([cell_text(cell.value, getattr(cell, "number_format", None)) for cell in cells])
    while rows and is_blank(rows[-1]):
        rows.pop()
    return rows


def read_workbook(path: Path, *, sheet: str | None, limits: ReadLimits) -> RawTable:
    """Read an xlsx workbook as text (see :func:`ylt_eval.readers.read_table`)."""
    import openpyxl
    import openpyxl.xml

    if not openpyxl.xml.DEFUSEDXML:
        raise ParameterError(
            "reading .xlsx safely needs defusedxml (protection against XML entity bombs): "
            "install defusedxml and unset OPENPYXL_DEFUSEDXML"
        )
    check_workbook_archive(path, limits)
    # Our own handle, so the file is closed even when openpyxl fails half-way through loading.
    with path.open("rb") as handle:
        try:
            workbook = openpyxl.load_workbook(
                handle, read_only=True, data_only=True, keep_links=False
            )
        except Exception as exc:  # openpyxl raises many types for corrupt or hostile files
            raise InputFileError(_workbook_problem(exc)) from None
        try:
            return _read_sheets(path, workbook, sheet)
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
        return file_problem(
            "file.unsafe_xml",
            "工作簿含不安全的 XML 结构（实体/DTD），已拒绝读取",
            "the workbook contains unsafe XML (entities/DTD); refused",
            "用 Excel 打开后另存为新的 .xlsx",
            "open it in Excel and save it as a new .xlsx",
        )
    return file_problem(
        "file.unreadable",
        f"无法读取工作簿：{name}: {shorten(str(exc), 120)}",
        f"cannot read the workbook: {name}: {shorten(str(exc), 120)}",
        "用 Excel 打开后重新保存为 .xlsx",
        "open it in Excel and save it again as .xlsx",
    )


def _read_sheets(path: Path, workbook, sheet: str | None) -> RawTable:
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
    located: list[tuple[str, HeaderLocation]] = []
    for worksheet in worksheets:
        worksheet.reset_dimensions()
        location = locate_header(_sheet_rows(worksheet, limit=HEADER_SCAN_ROWS * 5))
        if location is not None:
            located.append((worksheet.title, location))
    # A sheet "looks like data" when its header names at least two distinct columns and
    # nearly as many as the best sheet: a data-dictionary sheet names one or two per row.
    scores = {title: header_score(location.cells) for title, location in located}
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
                file_problem(
                    "file.empty",
                    "工作簿没有任何数据",
                    "the workbook contains no data",
                    "请填写数据后再提交",
                    "fill in the data",
                )
            )
        raise InputFileError(no_header_problem(sheet))
    parts: list[tuple[str | None, Assembled]] = []
    ignored: list[str] = []
    for title, location in data_sheets:
        rows = _sheet_rows(workbook[title])
        assembled = assemble(SheetRows(title, rows), overflow_is_error=False, location=location)
        first = parts[0][1] if parts else assembled
        if (assembled.headers, assembled.positions) != (first.headers, first.positions):
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
    return build_table(path, parts, encoding=None, extra_problems=extra)
