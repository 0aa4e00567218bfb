"""Parsing of text cells written by hand: numbers, years, periods and county codes.

Numbers may carry thousands separators (``1,234``, ``1，234``, ``1 234``), full-width digits,
scientific notation, a trailing ``%`` in rate columns, and a trailing unit word
(``12.5万元``, ``3,200人次``). A unit of the same kind as the column's but of another size is
converted (the caller reports what was assumed); a unit of another kind is an error.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ylt_eval.readers import UNITS, UnitConversion, conversion, normalize_header, unit_of

#: Texts meaning "no value" (compared after NFKC and case folding).
MISSING_MARKERS = frozenset({"", "-", "--", "—", "——", "/", "na", "n/a", "null", "none", "nan"})

_EXCEL_ERRORS = frozenset(
    {"#div/0!", "#value!", "#ref!", "#name?", "#num!", "#null!", "#n/a", "#spill!", "#calc!"}
)
_PLAIN_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_GROUPED_NUMBER = re.compile(r"[+-]?\d{1,3}(?:[, ]\d{3})+(?:\.\d+)?")
_PLAIN_NUMBER_RE = re.compile(_PLAIN_NUMBER)
# Unit words that may follow a number in a cell, longest first so "万元" wins over "元".
_CELL_UNITS = tuple(sorted((w for w in UNITS if not w.isascii() or w in "%‰"), key=len)[::-1])


def clean_text(text: str) -> str:
    """NFKC-normalised text without surrounding whitespace (full-width digits become ASCII)."""
    return unicodedata.normalize("NFKC", text).strip()


def is_missing(text: str) -> bool:
    """True for blank cells and the usual "no value" markers (``-``, ``/``, ``NA`` ...)."""
    return clean_text(text).casefold() in MISSING_MARKERS


@dataclass(frozen=True)
class ParsedNumber:
    """Result of parsing one numeric cell: a value, nothing (missing), or a problem.

    Attributes
    ----------
    value : float or None
        The number, converted to the column's unit; None when missing or unparsable.
    problem : str or None
        None, ``"non_numeric"``, ``"excel_error"``, ``"percent"`` (a ``%`` outside rate
        columns) or ``"unit"`` (a unit word measuring something else than the column).
    converted : UnitConversion or None
        The conversion applied when the cell carried a unit of another size.
    """

    value: float | None
    problem: str | None = None
    converted: UnitConversion | None = None


def _split_cell_unit(cleaned: str) -> tuple[str, str]:
    for word in _CELL_UNITS:
        if cleaned.endswith(word) and len(cleaned) > len(word):
            return cleaned[: -len(word)].rstrip(), word
    return cleaned, ""


def parse_number(text: str, *, allow_percent: bool, unit: str | None = None) -> ParsedNumber:
    """Parse a number written by hand.

    Parameters
    ----------
    text : str
    allow_percent : bool
        Whether a trailing percent sign is accepted (rate columns); the number is kept as
        written (``"12.5%"`` → 12.5). Ignored when ``unit`` is given.
    unit : str, optional
        The column's unit (``"万元"``, ``"人次"``, ``"%"``). A trailing unit word of the same
        kind is accepted and converted (``"3,500元"`` in a 万元 column → 0.35).

    Returns
    -------
    ParsedNumber
    """
    expected = normalize_header(unit) if unit is not None else ("%" if allow_percent else "")
    cleaned = clean_text(text)
    folded = cleaned.casefold()
    if folded in MISSING_MARKERS:
        return ParsedNumber(None)
    if folded in _EXCEL_ERRORS:
        return ParsedNumber(None, "excel_error")
    cleaned, word = _split_cell_unit(cleaned)
    found = conversion(word, expected) if word else None
    if word and not (isinstance(found, UnitConversion) or (found is None and unit_of(expected))):
        return ParsedNumber(None, "percent" if word in {"%", "‰"} else "unit")
    if _GROUPED_NUMBER.fullmatch(cleaned):
        cleaned = cleaned.replace(",", "").replace(" ", "")
    if not _PLAIN_NUMBER_RE.fullmatch(cleaned):
        return ParsedNumber(None, "non_numeric")
    value = float(cleaned)
    if not math.isfinite(value):
        return ParsedNumber(None, "non_numeric")
    if isinstance(found, UnitConversion):
        return ParsedNumber(found.apply(value), None, found)
    return ParsedNumber(value)


@dataclass(frozen=True)
class ParsedColumn:
    """A column of text cells parsed as numbers.

    Attributes
    ----------
    values : numpy.ndarray of float64
        NaN where missing or not a number; converted to the column's unit.
    problems : dict of int to str
        Row position → problem code (see :class:`ParsedNumber`).
    conversions : dict of int to UnitConversion
        Row position → conversion applied to a cell that carried a unit of another size.
    percent_signs : int
        How many cells carried a ``%`` or ``‰`` sign.
    """

    values: np.ndarray
    problems: dict[int, str] = field(default_factory=dict)
    conversions: dict[int, UnitConversion] = field(default_factory=dict)
    percent_signs: int = 0


def parse_numeric_cells(
    texts: pd.Series, *, allow_percent: bool, unit: str | None = None
) -> ParsedColumn:
    """Parse a column of text cells (vectorised for plain and grouped numbers).

    Parameters
    ----------
    texts : pandas.Series of str
    allow_percent : bool
        See :func:`parse_number`.
    unit : str, optional
        The column's unit, see :func:`parse_number`.

    Returns
    -------
    ParsedColumn
    """
    strings = texts.astype("string").fillna("")
    values = np.full(len(strings), np.nan)
    # Fast tiers for plain and properly grouped numbers ("1,234"); every other cell goes
    # through parse_number, which also decides what is missing and what is an error.
    plain = strings.str.fullmatch(_PLAIN_NUMBER).to_numpy(dtype=bool)
    grouped = ~plain & strings.str.fullmatch(_GROUPED_NUMBER.pattern).to_numpy(dtype=bool)
    values[plain] = strings[plain].astype("float64").to_numpy()
    values[grouped] = (
        strings[grouped].str.replace(r"[, ]", "", regex=True).astype("float64").to_numpy()
    )
    slow = ~np.isfinite(values) & (strings.to_numpy(dtype=object) != "")
    problems: dict[int, str] = {}
    conversions: dict[int, UnitConversion] = {}
    signs = 0
    texts_array = strings.to_numpy(dtype=object)
    for position in np.flatnonzero(slow):
        text = texts_array[position]
        signs += clean_text(text).endswith(("%", "‰"))
        parsed = parse_number(text, allow_percent=allow_percent, unit=unit)
        if parsed.problem is not None:
            problems[int(position)] = parsed.problem
        elif parsed.value is not None:
            values[position] = parsed.value
            if parsed.converted is not None:
                conversions[int(position)] = parsed.converted
        else:
            values[position] = np.nan
    return ParsedColumn(values, problems, conversions, int(signs))


def parse_numeric_column(
    texts: pd.Series, *, allow_percent: bool
) -> tuple[np.ndarray, dict[int, str]]:
    """Parse a column of text cells; ``(values, problems)`` of :func:`parse_numeric_cells`."""
    parsed = parse_numeric_cells(texts, allow_percent=allow_percent)
    return parsed.values, parsed.problems


def parse_whole_year(text: str) -> int | None:
    """Parse ``"2023"``, ``"2023年"`` or ``"2023.0"`` as 2023; anything else gives None."""
    cleaned = clean_text(text).removesuffix("年").strip()
    if re.fullmatch(r"\d{4}(?:\.0+)?", cleaned):
        return int(cleaned.split(".")[0])
    return None


_HALF_YEAR = re.compile(r"(\d{4})\s*(?:年)?\s*[-_ ]?\s*(?:h([12])|([上下])半年)")


def parse_period(text: str) -> tuple[int, str] | None:
    """Parse a year or half-year period.

    ``"2023"`` → (2023, "2023"); ``"2023H1"``, ``"2023-h1"``, ``"2023年上半年"`` →
    (2023, "2023H1"); ``"2023年下半年"`` → (2023, "2023H2"). Anything else gives None.
    """
    year = parse_whole_year(text)
    if year is not None:
        return year, str(year)
    match = _HALF_YEAR.fullmatch(clean_text(text).casefold())
    if match is None:
        return None
    half = match.group(2) or ("1" if match.group(3) == "上" else "2")
    return int(match.group(1)), f"{match.group(1)}H{half}"


def clean_county_code(text: str) -> str:
    """County code as written, NFKC-normalised, without a leading apostrophe (Excel's text mark)."""
    return clean_text(text).removeprefix("'").strip()


def is_valid_county_code(code: str) -> bool:
    """True for exactly six ASCII digits."""
    return bool(re.fullmatch(r"[0-9]{6}", code))


def close_matches(word: str, candidates: Sequence[str], n: int = 3) -> list[str]:
    """Closest candidates to a misspelt word (difflib), best first."""
    return difflib.get_close_matches(word, list(candidates), n=n, cutoff=0.5)


def format_number(value: float) -> str:
    """Short human form of a number (no spurious decimals)."""
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.6g}" if abs(value) >= 1e6 else f"{value:.6g}"
