"""The text a person sees for one typed cell value (workbook and Parquet cells)."""

from __future__ import annotations

import datetime as dt
import decimal


def cell_text(value: object, number_format: str | None = None) -> str:
    """Text a person sees for one cell value (numbers without spurious '.0').

    Parameters
    ----------
    value : object
        Cell value as the file stores it (None, str, bool, int, float, Decimal, date ...).
    number_format : str, optional
        Excel number format; a percent format shows ``0.125`` as ``"12.5%"``.

    Returns
    -------
    str
        "" for missing values (None, NaN).
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, decimal.Decimal):
        value = float(value) if value.is_finite() else float("nan")
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
    elif isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    else:
        return str(value)
    if number_format and "%" in number_format:
        return f"{int(text) * 100}%"
    return text
