"""Cut the rows of a sheet into header and data, and keep where every row came from."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ylt_eval.readers.headers import header_score, is_unit_row, normalize_header
from ylt_eval.readers.problems import (
    HEADER_SCAN_ROWS,
    InputFileError,
    ReadProblem,
    column_letter,
    no_header_problem,
    ragged_problem,
)


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
        Headers as written, one per column of ``frame`` (when a row of units follows the
        header, each unit is appended in parentheses: ``医保基金县域外支出（元）``).
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


def is_blank(cells: Iterable[str]) -> bool:
    """True when every cell is empty or whitespace."""
    return all(not cell.strip() for cell in cells)


@dataclass(frozen=True)
class HeaderLocation:
    """Where the header of a sheet is, and its cells (merged over two rows, units attached)."""

    index: int  # index in the row list of the (lower) header row
    cells: tuple[str, ...]
    first_data: int  # index of the first row after header (and unit row)


def _merge_header_rows(upper: Sequence[str], lower: Sequence[str]) -> tuple[str, ...]:
    width = max(len(upper), len(lower))
    merged = []
    for position in range(width):
        top = upper[position] if position < len(upper) else ""
        bottom = lower[position] if position < len(lower) else ""
        if header_score([bottom]) or (bottom.strip() and not header_score([top])):
            merged.append(bottom)
        else:
            merged.append(top or bottom)
    return tuple(merged)


def locate_header(rows: Sequence[Sequence[str]]) -> HeaderLocation | None:
    """Find the header among the first non-empty rows (title rows above it are skipped).

    A header split over two rows (group labels merged over a second row of names, or key
    columns merged vertically beside it) is combined when that recognises more columns.
    """
    candidates = [i for i, row in enumerate(rows) if not is_blank(row)][:HEADER_SCAN_ROWS]
    if not candidates:
        return None
    scores = {i: header_score(rows[i]) for i in candidates}
    best = max(candidates, key=lambda i: (scores[i], -i))
    if scores[best] == 0:
        return None
    options: list[tuple[int, int, tuple[str, ...]]] = [(scores[best], best, tuple(rows[best]))]
    previous = best - 1
    if previous in scores:
        merged = _merge_header_rows(rows[previous], rows[best])
        options.append((header_score(merged), best, merged))
    following = best + 1
    if following < len(rows) and not is_blank(rows[following]):
        merged = _merge_header_rows(rows[best], rows[following])
        options.append((header_score(merged), following, merged))
    score, index, cells = options[0]
    for option in options[1:]:
        if option[0] > score:
            score, index, cells = option
    first_data = index + 1
    if first_data < len(rows) and is_unit_row(rows[first_data]):
        cells = _with_units(cells, rows[first_data])
        first_data += 1
    return HeaderLocation(index=index, cells=cells, first_data=first_data)


def _with_units(header: Sequence[str], units: Sequence[str]) -> tuple[str, ...]:
    """Attach a unit row's units to the headers, so a unit of another size is noticed."""
    combined = []
    for position, name in enumerate(header):
        unit = units[position].strip() if position < len(units) else ""
        has_unit = normalize_header(name).endswith(")")
        if unit and name.strip() and not has_unit:
            unit = unit.strip("（）()")
            combined.append(f"{name}（{unit}）")
        else:
            combined.append(name)
    return tuple(combined)


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
class SheetRows:
    """Rows of one sheet as text, with their spreadsheet row numbers (1-based)."""

    sheet: str | None
    rows: list[list[str]]


@dataclass(frozen=True)
class Assembled:
    """Header and data rows of one sheet, with the columns kept and their spreadsheet rows."""

    headers: tuple[str, ...]
    positions: tuple[int, ...]
    data: list[list[str]]
    row_numbers: list[int]
    header_row: int
    problems: list[ReadProblem]


def assemble(
    sheet_rows: SheetRows, *, overflow_is_error: bool, location: HeaderLocation | None = None
) -> Assembled:
    """Cut a sheet's rows into header and data, dropping columns that are entirely empty."""
    rows = sheet_rows.rows
    location = location or locate_header(rows)
    if location is None:
        raise InputFileError(no_header_problem(sheet_rows.sheet))
    header = list(location.cells)
    width = len(header)
    problems: list[ReadProblem] = []
    data: list[list[str]] = []
    numbers: list[int] = []
    for index in range(location.first_data, len(rows)):
        cells = rows[index]
        if is_blank(cells):
            continue
        if len(cells) > width:
            extra = cells[width:]
            if overflow_is_error and not is_blank(extra):
                problems.append(ragged_problem(sheet_rows.sheet, index + 1, width, extra))
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
    return Assembled(
        headers=tuple(header[p] for p in keep),
        positions=tuple(keep),
        data=[[row[p] for p in keep] for row in data],
        row_numbers=numbers,
        header_row=location.index + 1,
        problems=problems,
    )


def build_table(
    path: Path,
    parts: Sequence[tuple[str | None, Assembled]],
    *,
    encoding: str | None,
    extra_problems: Sequence[ReadProblem] = (),
) -> RawTable:
    """Stack the assembled sheets (same header, same columns) into one :class:`RawTable`."""
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
