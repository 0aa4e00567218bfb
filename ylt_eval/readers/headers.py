"""Header vocabulary: which dictionary column a header written by hand denotes.

Headers are matched after normalisation (full-width to half-width, whitespace and ``*``
removed, brackets unified, case folded) against the machine name, the Chinese and English
names and the template's ``名称（单位）`` form. A trailing unit in parentheses is compared with
the dictionary's unit (:mod:`ylt_eval.readers.units`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

from ylt_eval.readers.units import UNITS, UnitConversion, conversion
from ylt_eval.schema import data_dictionary

Vocabulary = Literal["panel", "long"]

#: Header aliases of the long (indicator-level) format, beyond the machine names.
LONG_HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "county_code": ("county_code", "县级行政区划代码", "县区代码", "County code"),
    "county_name": ("county_name", "县（市、区）名称", "县区名称", "County name"),
    "province": ("province", "省份", "省", "Province"),
    "year": ("year", "period", "年份", "期间", "统计期", "Year", "Period"),
    "indicator": ("indicator", "indicator_code", "指标代码", "指标", "Indicator"),
    "value": ("value", "数值", "值", "Value"),
}


@dataclass(frozen=True)
class HeaderMapping:
    """How the headers of a table map to dictionary columns.

    Attributes
    ----------
    columns : tuple of (str or None)
        For each input column, the dictionary column it maps to, or None.
    unknown : tuple of int
        Positions of non-empty columns whose header maps to nothing.
    duplicates : dict of str to tuple of int
        Dictionary columns claimed by more than one input column, with their positions.
    unit_mismatches : dict of int to str
        Positions whose header announces a unit measuring something else than the dictionary's
        unit (``常住人口（万元）``), with that unit: such values cannot be converted.
    unit_conversions : dict of int to UnitConversion
        Positions whose header announces a unit of the same kind but another size
        (``医保基金县域外支出（元）`` for a column in 万元): values are converted.
    """

    columns: tuple[str | None, ...]
    unknown: tuple[int, ...]
    duplicates: dict[str, tuple[int, ...]]
    unit_mismatches: dict[int, str]
    unit_conversions: dict[int, UnitConversion] = field(default_factory=dict)

    def position(self, column: str) -> int | None:
        """Position of the first input column mapped to ``column``, or None."""
        for position, mapped in enumerate(self.columns):
            if mapped == column:
                return position
        return None


def normalize_header(text: str) -> str:
    """Normalize a header for matching.

    Full-width characters become half-width (NFKC), all whitespace and required-field markers
    (``*``) are removed, square and lenticular brackets become parentheses, and case is folded.

    Parameters
    ----------
    text : str

    Returns
    -------
    str
    """
    normalized = unicodedata.normalize("NFKC", text)
    normalized = normalized.translate(str.maketrans("【】[]", "()()", "*＊"))
    normalized = re.sub(r"\s+", "", normalized)
    return normalized.casefold()


def header_text(name: str, unit: str, *, lang: Literal["zh", "en"]) -> str:
    """Header of one column as written in the blank template (``名称（单位）`` / ``name (unit)``).

    Parameters
    ----------
    name : str
        Chinese or English column name.
    unit : str
        Unit in the same language; "" for identifiers and labels.
    lang : {"zh", "en"}

    Returns
    -------
    str
    """
    if not unit:
        return name
    return f"{name}（{unit}）" if lang == "zh" else f"{name} ({unit})"


@cache
def _vocabulary(kind: Vocabulary) -> dict[str, str]:
    forms: dict[str, str] = {}
    if kind == "panel":
        for spec in data_dictionary():
            names = [spec.column, spec.name_zh, spec.name_en]
            names.append(header_text(spec.name_zh, spec.unit_zh, lang="zh"))
            names.append(header_text(spec.name_en, spec.unit_en, lang="en"))
            for name in names:
                forms[normalize_header(name)] = spec.column
    else:
        for column, aliases in LONG_HEADER_ALIASES.items():
            for alias in aliases:
                forms[normalize_header(alias)] = column
    return forms


@cache
def dictionary_unit(column: str) -> str:
    """Normalised unit word of a dictionary column ("" for identifiers and labels)."""
    for spec in data_dictionary():
        if spec.column == column:
            return normalize_header(spec.unit_zh)
    return ""


def _split_unit(normalized: str) -> tuple[str, str] | None:
    match = re.fullmatch(r"(.+)\(([^()]*)\)", normalized)
    if match is None:
        return None
    return match.group(1), match.group(2)


def match_header(text: str, vocabulary: Vocabulary = "panel") -> str | None:
    """Dictionary column a header denotes, or None.

    Accepts the machine name (``visits_primary``), the Chinese or English name, and the
    template's ``名称（单位）`` / ``name (unit)`` form, ignoring whitespace, full-width
    parentheses and case. A trailing parenthesised note that is not a unit of another kind is
    tolerated (``常住人口（年末）``).

    Parameters
    ----------
    text : str
        Header as written.
    vocabulary : {"panel", "long"}
        Columns of the wide panel (data dictionary) or of the long format.

    Returns
    -------
    str or None
    """
    column, _ = _match_with_unit(text, vocabulary)
    return column


def _match_with_unit(
    text: str, vocabulary: Vocabulary
) -> tuple[str | None, UnitConversion | str | None]:
    """Return (column, conversion or mismatching unit word or None)."""
    forms = _vocabulary(vocabulary)
    normalized = normalize_header(text)
    if not normalized:
        return None, None
    if normalized in forms:
        return forms[normalized], None
    split = _split_unit(normalized)
    if split is None or split[0] not in forms:
        return None, None
    column = forms[split[0]]
    if vocabulary != "panel":
        return column, None
    found = conversion(split[1], dictionary_unit(column))
    return column, split[1] if found == "mismatch" else found


def map_headers(headers: Sequence[str], vocabulary: Vocabulary = "panel") -> HeaderMapping:
    """Map the headers of a table to dictionary columns.

    Parameters
    ----------
    headers : sequence of str
        Headers as written, in input order.
    vocabulary : {"panel", "long"}

    Returns
    -------
    HeaderMapping
    """
    columns: list[str | None] = []
    unknown: list[int] = []
    mismatches: dict[int, str] = {}
    conversions: dict[int, UnitConversion] = {}
    claimed: dict[str, list[int]] = {}
    for position, header in enumerate(headers):
        column, unit = _match_with_unit(header, vocabulary)
        columns.append(column)
        if column is None:
            if header.strip():
                unknown.append(position)
            continue
        claimed.setdefault(column, []).append(position)
        if isinstance(unit, UnitConversion):
            conversions[position] = unit
        elif unit is not None:
            mismatches[position] = unit
    duplicates = {col: tuple(pos) for col, pos in claimed.items() if len(pos) > 1}
    return HeaderMapping(tuple(columns), tuple(unknown), duplicates, mismatches, conversions)


def header_score(cells: Sequence[str]) -> int:
    """Number of distinct dictionary or long-format columns a row of cells names."""
    recognised = set()
    for cell in cells:
        for vocabulary in ("panel", "long"):
            column = match_header(cell, vocabulary)
            if column is not None:
                recognised.add(column)
    return len(recognised)


@cache
def _unit_words() -> frozenset[str]:
    words = set(UNITS)
    for spec in data_dictionary():
        words.update({normalize_header(spec.unit_zh), normalize_header(spec.unit_en)})
    words.discard("")
    return frozenset(words)


def is_unit_row(cells: Sequence[str]) -> bool:
    """True for a row that only names units (written below the header in some templates)."""
    filled = [normalize_header(cell).strip("()") for cell in cells if cell.strip()]
    return bool(filled) and all(cell in _unit_words() for cell in filled)
