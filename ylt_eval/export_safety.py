"""Keep exported tables from being run as spreadsheet formulas (CSV / formula injection).

A spreadsheet program opening a CSV or XLSX file treats a text cell that begins with ``=``,
``+``, ``-`` or ``@`` (and, in some programs, a tab or carriage return) as a formula; a county
name or free-text field taken from an input file could then run ``=HYPERLINK(...)`` or worse on
the reader's machine. Such text cells get a leading single quote, which spreadsheet programs
show as text. Numbers are never changed, so ``-3.5`` stays a negative number; only *text* that
happens to look like a formula is neutralised.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

#: First characters that make a spreadsheet program read a text cell as a formula.
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

#: Prefix that turns a formula-looking text into plain text.
TEXT_PREFIX = "'"


def neutralise_text(text: str) -> str:
    """Return ``text`` prefixed with a single quote when it starts like a formula.

    Parameters
    ----------
    text : str

    Returns
    -------
    str
        ``"'" + text`` if ``text`` starts with one of :data:`FORMULA_TRIGGERS`, else ``text``
        unchanged. Applying it twice gives the same result as once.
    """
    if text.startswith(FORMULA_TRIGGERS):
        return TEXT_PREFIX + text
    return text


def neutralise_cell(value: Any) -> Any:
    """Neutralise one cell: text as in :func:`neutralise_text`, anything else unchanged.

    Parameters
    ----------
    value : object
        A cell value. Numbers (``int``, ``float``, NumPy scalars, ``bool``), missing values and
        other non-text objects are returned as they are.

    Returns
    -------
    object
    """
    if isinstance(value, str):
        return neutralise_text(value)
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` whose text cells are neutralised; numeric columns untouched.

    Parameters
    ----------
    frame : pandas.DataFrame
        Table about to be written as CSV or XLSX. Not modified.

    Returns
    -------
    pandas.DataFrame
        Same shape, index, column names and dtypes; in columns that can hold text (object or
        string dtype) every text cell goes through :func:`neutralise_text`. Column *names* are
        neutralised too, since they become the header row.
    """
    result = frame.copy()
    for position in range(frame.shape[1]):
        series = frame.iloc[:, position]
        if pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype):
            cleaned = series.map(neutralise_cell, na_action="ignore").astype(series.dtype)
            result.isetitem(position, cleaned)
    result.columns = [neutralise_cell(column) for column in frame.columns]
    return result
