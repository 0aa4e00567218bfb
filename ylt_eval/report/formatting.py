"""Number formatting for reports: one decimal for percentages, thousands separators."""

from __future__ import annotations

import math

MISSING = "—"


def format_value(value: float | None, unit: str, *, signed: bool = False) -> str:
    """Format an indicator value for display.

    Parameters
    ----------
    value : float or None
        NaN or None gives an em dash.
    unit : str
        The catalogue's unit (``"%"``, ``"元"``, ``"万元"``, ``"比值"``, ``"ratio"``,
        ``"人次"`` ...); decides the number of decimals.
    signed : bool
        Prefix positive numbers with ``+`` (for changes).

    Examples
    --------
    >>> format_value(35.8512, "%")
    '35.9'
    >>> format_value(1652.47, "元")
    '1,652.47'
    >>> format_value(-3.25, "%", signed=True)
    '-3.2'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    decimals = _decimals(unit)
    sign = "+" if signed and value > 0 else ""
    text = f"{value:,.{decimals}f}"
    if text.lstrip("-").strip("0.,") == "":  # -0.0 → 0.0
        text = text.lstrip("-")
    return sign + text


def _decimals(unit: str) -> int:
    if unit in {"%", "‰", "‱"} or unit.startswith("%"):
        return 1
    if unit in {"元", "yuan", "万元", "10k yuan", "比值", "ratio"}:
        return 2
    if unit.startswith("人次") or unit in {"人", "个", "persons", "visits"}:
        return 0
    return 2


def format_number(value: float | None, decimals: int = 3, *, signed: bool = False) -> str:
    """Format a statistic (estimate, standard error) with a fixed number of decimals."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    sign = "+" if signed and value > 0 else ""
    return f"{sign}{value:,.{decimals}f}"


def format_p_value(p: float | None) -> str:
    """Format a p-value: three decimals, ``<0.001`` below that."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return MISSING
    return "<0.001" if p < 0.001 else f"{p:.3f}"
