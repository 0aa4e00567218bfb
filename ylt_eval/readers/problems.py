"""Problems met while reading a file, and the exception raised when nothing can be read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ylt_eval.errors import DataValidationError

#: How many non-empty rows at the top of a sheet are searched for the header row.
HEADER_SCAN_ROWS: int = 10


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


def shorten(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def column_letter(position: int) -> str:
    """Spreadsheet letter of a 0-based column position (0 → "A", 26 → "AA")."""
    letters = ""
    number = position + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def file_problem(rule: str, zh: str, en: str, hint_zh: str = "", hint_en: str = "") -> ReadProblem:
    """A blocking problem of the whole file (no sheet, row or column)."""
    return ReadProblem("error", rule, zh, en, hint_zh, hint_en)


def refuse(rule: str, zh: str, en: str, hint_zh: str = "", hint_en: str = "") -> InputFileError:
    """The exception refusing a file, ready to raise."""
    return InputFileError(file_problem(rule, zh, en, hint_zh, hint_en))


def no_header_problem(sheet: str | None) -> ReadProblem:
    """No row among the first :data:`HEADER_SCAN_ROWS` non-empty rows looks like a header."""
    return ReadProblem(
        severity="error",
        rule="file.no_header",
        message_zh=f"前{HEADER_SCAN_ROWS}个非空行中没有可识别的表头",
        message_en=f"no recognisable header row among the first {HEADER_SCAN_ROWS} non-empty rows",
        hint_zh="请使用空白模板的表头（如“县级行政区划代码”“年份”），或检查文件是否选错",
        hint_en="use the blank template's headers (e.g. 'county_code', 'year') or check the file",
        sheet=sheet,
    )


def ragged_problem(sheet: str | None, row: int, width: int, extra: Sequence[str]) -> ReadProblem:
    """A row with more non-empty fields than the header has columns."""
    shown = ",".join(cell for cell in extra if cell.strip())
    return ReadProblem(
        severity="error",
        rule="file.ragged_row",
        message_zh=f"该行的字段数多于表头的{width}列，多出的内容：{shorten(shown)}",
        message_en=f"row has more fields than the {width} header columns; extra: {shorten(shown)}",
        hint_zh="可能某个数值含未加引号的逗号（如 1,234）导致错列：请加引号或去掉千位分隔符",
        hint_en="a value probably contains an unquoted comma (e.g. 1,234) that shifted the "
        "columns: quote it or remove the thousands separator",
        sheet=sheet,
        row=row,
        value=shorten(shown),
        cell=f"{column_letter(width)}{row}",
    )


def macro_problem() -> ReadProblem:
    """Macro-enabled workbooks are refused unread."""
    return file_problem(
        "file.macro_enabled",
        "含宏的工作簿（.xlsm 或含 VBA 代码）不予读取",
        "macro-enabled workbooks (.xlsm or containing VBA code) are refused",
        "在 Excel 中另存为不含宏的 .xlsx 工作簿",
        "save it from Excel as a macro-free .xlsx workbook",
    )
