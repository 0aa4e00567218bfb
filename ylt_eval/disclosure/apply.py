"""Apply a small-cell rule to a table: withhold, protect against totals, round, and log it."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from ylt_eval.disclosure.rule import SUPPRESSED_MARK, DisclosureRule
from ylt_eval.disclosure.secondary import (
    recoverable_cells,
    secondary_suppression,
    table_lines,
)
from ylt_eval.errors import ParameterError

CellLabel = tuple[Hashable, str]


@dataclass(frozen=True, eq=False)
class DisclosureLog:
    """What :func:`apply_disclosure` did to one table.

    Attributes
    ----------
    rule : DisclosureRule
    primary : tuple of (row label, column)
        Cells withheld because their count is small.
    secondary : tuple of (row label, column)
        Cells withheld so that no small count can be worked out from the totals.
    derived : tuple of (row label, column)
        Cells of derived columns (rates, shares) withheld with their source count.
    rounded : int
        Published counts whose value changed by rounding.
    flags : pandas.DataFrame
        Same shape as the table: ``""``, ``"primary"``, ``"secondary"`` or ``"derived"``.
    inconsistent_totals : tuple of str
        Rows or columns whose total differs from the sum of its parts in the input (the
        protection assumes the totals are the sums; check these).
    """

    rule: DisclosureRule
    primary: tuple[CellLabel, ...]
    secondary: tuple[CellLabel, ...]
    derived: tuple[CellLabel, ...]
    rounded: int
    flags: pd.DataFrame
    inconsistent_totals: tuple[str, ...] = ()

    @property
    def withheld(self) -> int:
        """Number of cells withheld for any reason."""
        return len(self.primary) + len(self.secondary) + len(self.derived)

    def statement(self, lang: Literal["zh", "en"] = "zh") -> str:
        """The rule applied, in one sentence (see :meth:`DisclosureRule.statement`)."""
        return self.rule.statement(lang)

    def display(self, published: pd.DataFrame) -> pd.DataFrame:
        """Published table as text for display, withheld cells shown as ``[c]``."""
        shown = published.astype(object).where(published.notna(), "")
        return shown.mask(self.flags.ne(""), SUPPRESSED_MARK)


def _check_columns(table: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    absent = [column for column in columns if column not in table.columns]
    if absent:
        raise ParameterError(f"{what} not in the table: {', '.join(map(str, absent))}")


def _count_block(table: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    try:
        values = table[list(columns)].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"count columns must be numeric: {exc}") from None
    if np.any(values[np.isfinite(values)] < 0):
        raise ParameterError("count columns hold negative values; counts cannot be negative")
    return values


def _inconsistent(values: np.ndarray, lines, labels) -> tuple[str, ...]:
    found = []
    for line in lines:
        parts = np.array([values[cell] for cell in line.parts])
        total = values[line.total]
        complete = np.isfinite(total) and np.all(np.isfinite(parts))
        if complete and not np.isclose(parts.sum(), total, rtol=1e-9, atol=1e-9):
            found.append(labels(line.total))
    return tuple(found)


def apply_disclosure(
    table: pd.DataFrame,
    rule: DisclosureRule | None = None,
    *,
    count_columns: Sequence[str] | None = None,
    total_row: Hashable | None = None,
    total_column: str | None = None,
    derived_columns: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, DisclosureLog]:
    """Apply a small-cell rule to one table before it is published.

    Steps: withhold counts in the rule's small range (primary suppression); when the table has
    a total row and/or column, withhold further cells until no withheld count can be worked
    out from the published cells and totals (secondary suppression); round every other count
    to the rule's base; withhold derived cells (rates, shares) whose source count is withheld.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per group (institution, township ...), row labels in the index.
    rule : DisclosureRule, optional
        Default :class:`DisclosureRule()` (withhold 1–7, round to 5).
    count_columns : sequence of str, optional
        Columns holding counts; default every numeric column except ``derived_columns``.
    total_row : hashable, optional
        Index label of the row holding the column totals (the sums of the other rows).
    total_column : str, optional
        Column holding the row totals (the sums of the other count columns).
    derived_columns : mapping of str to str, optional
        Derived column → the count column it is computed from; withheld where that count is.

    Returns
    -------
    published : pandas.DataFrame
        Copy of the table; count columns as nullable integers (``pd.NA`` where withheld;
        nullable floats if some count is not a whole number and nothing is rounded).
    log : DisclosureLog

    Raises
    ------
    ParameterError
        Unknown columns or total row, non-numeric or negative counts, duplicate row labels.
    """
    rule = rule or DisclosureRule()
    derived = dict(derived_columns or {})
    if count_columns is None:
        numeric = table.select_dtypes("number").columns
        count_columns = [c for c in numeric if c not in derived]
    columns = list(count_columns)
    if total_column is not None and total_column not in columns:
        columns.append(total_column)
    _check_columns(table, columns, "count columns")
    _check_columns(table, list(derived), "derived columns")
    _check_columns(table, [s for s in derived.values() if s not in columns], "count columns")
    if not table.index.is_unique:
        raise ParameterError("the table's row labels (index) must be unique")
    if total_row is not None and total_row not in table.index:
        raise ParameterError(f"total row {total_row!r} not in the table's index")
    values = _count_block(table, columns)
    row_at = None if total_row is None else table.index.get_loc(total_row)
    col_at = None if total_column is None else columns.index(total_column)
    lines = table_lines(values.shape, row_at, col_at)
    missing = np.isnan(values)
    with np.errstate(invalid="ignore"):
        primary = ~missing & (values >= rule.suppress_low) & (values <= rule.suppress_high)
    if not rule.suppresses:
        primary[:] = False
    hidden = secondary_suppression(values, primary, lines) if rule.secondary else primary
    if rule.secondary and recoverable_cells(hidden, missing, lines):  # defensive invariant
        raise AssertionError("secondary suppression left a recoverable cell")
    rounded_values = np.where(missing, np.nan, _round(values, rule))
    changed = ~missing & ~hidden & (rounded_values != values)

    def label(cell) -> CellLabel:
        return (table.index[cell[0]], columns[cell[1]])

    published = table.copy()
    whole = rule.rounding_base > 1 or bool(np.all(np.mod(values[~missing], 1) == 0))
    for j, column in enumerate(columns):
        column_values = np.where(hidden[:, j], np.nan, rounded_values[:, j])
        array = pd.array(column_values, dtype="Float64")
        published[column] = array.astype("Int64") if whole else array
    flags = pd.DataFrame("", index=table.index, columns=table.columns)
    for j, column in enumerate(columns):
        flags.loc[primary[:, j], column] = "primary"
        flags.loc[hidden[:, j] & ~primary[:, j], column] = "secondary"
    derived_cells = []
    for column, source in derived.items():
        withheld = hidden[:, columns.index(source)]
        published[column] = published[column].mask(withheld)
        flags.loc[withheld, column] = "derived"
        derived_cells += [(table.index[i], column) for i in np.flatnonzero(withheld)]
    log = DisclosureLog(
        rule=rule,
        primary=tuple(label(cell) for cell in np.argwhere(primary)),
        secondary=tuple(label(cell) for cell in np.argwhere(hidden & ~primary)),
        derived=tuple(derived_cells),
        rounded=int(changed.sum()),
        flags=flags,
        inconsistent_totals=_inconsistent(values, lines, lambda c: f"{label(c)}"),
    )
    return published, log


def _round(values: np.ndarray, rule: DisclosureRule) -> np.ndarray:
    if rule.rounding_base == 1:
        return values
    return np.floor(values / rule.rounding_base + 0.5) * rule.rounding_base
