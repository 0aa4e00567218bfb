"""Secondary suppression: withhold further cells until no withheld count follows from totals.

A table with a total column gives one equation per row (the row's cells add up to its total),
a total row one equation per column. A reader who sees every published cell can solve these
equations for the withheld cells. A withheld cell is *recoverable* exactly when every solution
of the homogeneous system gives it the same value, i.e. when its coordinate is zero in every
null-space vector. Cells are added greedily (the smallest non-zero count of a line that
reveals a cell, then a total) until no withheld cell is recoverable. Zero cells are never
chosen: with counts known to be non-negative, a withheld zero can pin other cells.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import null_space

Cell = tuple[int, int]

_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Line:
    """One additive relation of the table: ``sum(parts) == total``."""

    parts: tuple[Cell, ...]
    total: Cell

    @property
    def cells(self) -> tuple[Cell, ...]:
        """Parts and total."""
        return (*self.parts, self.total)


def table_lines(shape: tuple[int, int], total_row: int | None, total_col: int | None) -> list[Line]:
    """Additive relations of a ``rows × columns`` block with an optional total row/column.

    Parameters
    ----------
    shape : (int, int)
    total_row : int or None
        Position of the row holding the column totals.
    total_col : int or None
        Position of the column holding the row totals.

    Returns
    -------
    list of Line
    """
    rows, cols = shape
    lines = []
    if total_col is not None:
        for r in range(rows):
            parts = tuple((r, c) for c in range(cols) if c != total_col)
            lines.append(Line(parts, (r, total_col)))
    if total_row is not None:
        for c in range(cols):
            parts = tuple((r, c) for r in range(rows) if r != total_row)
            lines.append(Line(parts, (total_row, c)))
    return lines


def recoverable_cells(hidden: np.ndarray, missing: np.ndarray, lines: list[Line]) -> list[Cell]:
    """Withheld cells whose value follows from the published cells and the relations.

    Parameters
    ----------
    hidden : numpy.ndarray of bool
        Withheld cells.
    missing : numpy.ndarray of bool
        Cells with no value (unknown to the reader as well, but not protected).
    lines : list of Line

    Returns
    -------
    list of (row, column)
        Sorted.
    """
    unknown = [(int(r), int(c)) for r, c in np.argwhere(hidden | missing)]
    if not unknown or not lines:
        return []
    index = {cell: i for i, cell in enumerate(unknown)}
    rows = []
    for line in lines:
        row = np.zeros(len(unknown))
        for cell in line.parts:
            if cell in index:
                row[index[cell]] += 1.0
        if line.total in index:
            row[index[line.total]] -= 1.0
        if row.any():
            rows.append(row)
    if not rows:
        return []
    basis = null_space(np.array(rows), rcond=_TOLERANCE)
    found = []
    for cell, i in index.items():
        if hidden[cell] and (basis.shape[1] == 0 or np.all(np.abs(basis[i]) < 1e-7)):
            found.append(cell)
    return sorted(found)


def _candidate(line: Line, values: np.ndarray, blocked: np.ndarray) -> Cell | None:
    """Smallest positive published part of the line, else its total when positive."""
    parts = [cell for cell in line.parts if not blocked[cell] and values[cell] > 0]
    if parts:
        return min(parts, key=lambda cell: (values[cell], cell))
    if not blocked[line.total] and values[line.total] > 0:
        return line.total
    return None


def secondary_suppression(values: np.ndarray, primary: np.ndarray, lines: list[Line]) -> np.ndarray:
    """Extend the primary suppression so that no withheld cell is recoverable.

    Parameters
    ----------
    values : numpy.ndarray of float
        True counts (NaN where missing).
    primary : numpy.ndarray of bool
        Cells withheld by the small-cell rule.
    lines : list of Line
        Relations of the table (:func:`table_lines`).

    Returns
    -------
    numpy.ndarray of bool
        Withheld cells (a superset of ``primary``).
    """
    hidden = primary.copy()
    missing = np.isnan(values)
    if not lines or not hidden.any():
        return hidden
    while True:
        added = False
        for line in lines:
            unknown = [cell for cell in line.cells if hidden[cell] or missing[cell]]
            if len(unknown) == 1 and hidden[unknown[0]]:
                choice = _candidate(line, values, hidden | missing)
                if choice is not None:
                    hidden[choice] = True
                    added = True
        if added:
            continue
        revealed = recoverable_cells(hidden, missing, lines)
        if not revealed:
            return hidden
        if not _extend_around(revealed[0], values, hidden, missing, lines):
            # Nothing left to add near the cell: withholding the whole block is always safe.
            hidden |= ~missing
            return hidden


def _extend_around(
    cell: Cell, values: np.ndarray, hidden: np.ndarray, missing: np.ndarray, lines: list[Line]
) -> bool:
    for line in lines:
        if cell in line.cells:
            choice = _candidate(line, values, hidden | missing)
            if choice is not None:
                hidden[choice] = True
                return True
    return False
