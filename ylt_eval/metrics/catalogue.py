"""The indicator catalogue: loads, validates and serves ``resources/indicators.toml``.

The catalogue is data. This module turns it into frozen :class:`Indicator` records and refuses
a file that breaks the format (unknown fields, formulas on columns the data dictionary does not
know, unknown kinds/directions/provenance tags, duplicate codes, references to indicators that
do not exist, circular references).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from ylt_eval.errors import ParameterError
from ylt_eval.resources import resource_path
from ylt_eval.schema import numeric_columns

#: Allowed dimensions: the five of the 2024 national set plus two supplementary ones.
DIMENSIONS = frozenset(
    {"integration", "homogeneity", "division", "efficiency", "health", "finance", "quality"}
)

#: Allowed kinds. ``quotient`` (one catalogue indicator divided by another) extends the shared
#: format for ratios of averages such as the primary/county pay ratio.
KINDS = frozenset({"ratio", "growth", "input", "quotient", "qualitative"})

#: Allowed desirable directions.
DIRECTIONS = frozenset({"up", "down", "target", "monitor"})

#: Allowed provenance tags: seen in a secondary source, conventional choice, recalled.
PROVENANCES = frozenset({"S", "C", "R"})

_CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")

_REQUIRED_TEXT_FIELDS = (
    "code",
    "name_zh",
    "name_en",
    "dimension",
    "kind",
    "unit_zh",
    "unit_en",
    "direction",
    "source",
    "standard",
    "provenance",
)
_OPTIONAL_TEXT_FIELDS = ("notes_zh", "notes_en")

# Fields that only make sense for some kinds; anything else on an entry is an error.
_KIND_FIELDS: dict[str, frozenset[str]] = {
    "ratio": frozenset({"numerator", "denominator", "scale", "bounded"}),
    "growth": frozenset({"base"}),
    "input": frozenset({"column"}),
    "quotient": frozenset({"numerator_indicator", "denominator_indicator", "scale"}),
    "qualitative": frozenset(),
}
_GENERAL_FIELDS = frozenset(
    {*_REQUIRED_TEXT_FIELDS, *_OPTIONAL_TEXT_FIELDS, "target_value", "national_no"}
)


class CatalogueError(ParameterError):
    """The indicator catalogue file breaks the catalogue format."""


@dataclass(frozen=True)
class Indicator:
    """One indicator of the catalogue.

    Attributes
    ----------
    code : str
        Short stable snake_case ASCII code.
    name_zh, name_en : str
        Chinese and English names.
    dimension : str
        One of :data:`DIMENSIONS`.
    kind : str
        ``ratio``, ``growth``, ``input``, ``quotient`` or ``qualitative``.
    numerator, denominator : tuple of str
        Raw panel columns summed above and below the fraction bar (``ratio`` only).
    scale : float
        Multiplier applied to the fraction (``ratio`` and ``quotient``); 1.0 otherwise.
    bounded : bool
        True when the numerator can never exceed the denominator (a share).
    base : str or None
        Code of the indicator whose year-on-year growth this is (``growth`` only).
    column : str or None
        Panel column taken as is (``input`` only).
    numerator_indicator, denominator_indicator : str or None
        Codes of the indicators divided by each other (``quotient`` only).
    unit_zh, unit_en : str
        Units of the value.
    direction : str
        ``up``, ``down``, ``target`` (toward ``target_value``) or ``monitor``.
    target_value : float or None
        The value aimed at when ``direction == "target"``.
    source : str
        Data source.
    standard : str
        Edition or seed the indicator belongs to.
    provenance : str
        ``S`` (seen in a secondary source quoting the official text), ``C`` (conventional
        definition chosen here) or ``R`` (recalled, to verify).
    notes_zh, notes_en : str
        Denominator traps and definitional choices.
    national_no : int or None
        Position (1–14) in the 2024 national monitoring set.
    """

    code: str
    name_zh: str
    name_en: str
    dimension: str
    kind: str
    unit_zh: str
    unit_en: str
    direction: str
    source: str
    standard: str
    provenance: str
    numerator: tuple[str, ...] = ()
    denominator: tuple[str, ...] = ()
    scale: float = 1.0
    bounded: bool = False
    base: str | None = None
    column: str | None = None
    numerator_indicator: str | None = None
    denominator_indicator: str | None = None
    target_value: float | None = None
    notes_zh: str = ""
    notes_en: str = ""
    national_no: int | None = None

    @property
    def is_computable(self) -> bool:
        """True for every kind that yields a number (all but ``qualitative``)."""
        return self.kind != "qualitative"

    @property
    def dependencies(self) -> tuple[str, ...]:
        """Codes of the catalogue indicators this one is computed from."""
        if self.kind == "growth":
            return (self.base,)  # type: ignore[return-value]
        if self.kind == "quotient":
            return (self.numerator_indicator, self.denominator_indicator)  # type: ignore[return-value]
        return ()


@dataclass(frozen=True)
class ShareConstraint:
    """A bounded ratio: the numerator columns' sum must not exceed the denominator columns' sum.

    Attributes
    ----------
    code : str
        Indicator code the constraint comes from.
    numerator, denominator : tuple of str
        Raw panel columns.
    """

    code: str
    numerator: tuple[str, ...]
    denominator: tuple[str, ...]


def load_catalogue(path: str | Path | None = None) -> tuple[Indicator, ...]:
    """Read and validate an indicator catalogue file.

    Parameters
    ----------
    path : str or Path, optional
        TOML file in the catalogue format; the packaged ``indicators.toml`` by default.

    Returns
    -------
    tuple of Indicator
        In file order.

    Raises
    ------
    CatalogueError
        If the file cannot be parsed or any entry breaks the format; the message names the
        offending indicator code.
    """
    source = Path(path) if path is not None else resource_path("indicators.toml")
    try:
        with source.open("rb") as handle:
            document = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{source.name}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise CatalogueError(f"cannot read indicator catalogue {source}: {exc}") from exc

    extra_keys = set(document) - {"indicator"}
    if extra_keys:
        raise CatalogueError(
            f"{source.name}: unknown top-level key(s) {sorted(extra_keys)}; "
            "only [[indicator]] tables are allowed"
        )
    entries = document.get("indicator")
    if not isinstance(entries, list) or not entries:
        raise CatalogueError(f"{source.name}: no [[indicator]] tables found")

    known_columns = frozenset(numeric_columns())
    indicators: list[Indicator] = []
    seen_codes: set[str] = set()
    for position, entry in enumerate(entries, start=1):
        built = _build_indicator(entry, position, known_columns)
        if built.code in seen_codes:
            raise CatalogueError(f"indicator {built.code!r}: duplicate code")
        seen_codes.add(built.code)
        indicators.append(built)

    _check_references(indicators)
    _check_national_numbers(indicators)
    return tuple(indicators)


@cache
def catalogue() -> tuple[Indicator, ...]:
    """Return the packaged indicator catalogue (validated once, then cached).

    Returns
    -------
    tuple of Indicator
        In catalogue order.
    """
    return load_catalogue()


def indicator(code: str) -> Indicator:
    """Return one indicator of the packaged catalogue.

    Parameters
    ----------
    code : str
        Indicator code.

    Raises
    ------
    ParameterError
        If no indicator has this code; the message suggests close matches.
    """
    by_code = _by_code()
    if code in by_code:
        return by_code[code]
    close = difflib.get_close_matches(str(code), list(by_code), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise ParameterError(f"unknown indicator code {code!r}{hint}")


def share_constraints() -> tuple[ShareConstraint, ...]:
    """Return one constraint per bounded ratio of the packaged catalogue.

    Returns
    -------
    tuple of ShareConstraint
        In catalogue order.
    """
    return tuple(
        ShareConstraint(item.code, item.numerator, item.denominator)
        for item in catalogue()
        if item.kind == "ratio" and item.bounded
    )


def formula_text(item: Indicator) -> str:
    """Return a one-line, human-readable formula of an indicator.

    Parameters
    ----------
    item : Indicator

    Returns
    -------
    str
        For example ``"visits_primary / visits_total × 100"``; ``""`` for qualitative items.
    """
    if item.kind == "ratio":
        text = f"{_sum_text(item.numerator)} / {_sum_text(item.denominator)}"
    elif item.kind == "quotient":
        text = f"{item.numerator_indicator} / {item.denominator_indicator}"
    elif item.kind == "growth":
        return f"({item.base}[t] / {item.base}[t-1] − 1) × 100"
    elif item.kind == "input":
        return str(item.column)
    else:
        return ""
    return text if item.scale == 1 else f"{text} × {item.scale:g}"


def catalogue_frame(indicators: Iterable[Indicator] | None = None) -> pd.DataFrame:
    """Return the catalogue as a table, one row per indicator.

    Parameters
    ----------
    indicators : iterable of Indicator, optional
        Defaults to the packaged catalogue.

    Returns
    -------
    pandas.DataFrame
        Every :class:`Indicator` field (column lists joined with ``" + "``) plus ``formula``,
        in catalogue order.
    """
    items = tuple(catalogue() if indicators is None else indicators)
    rows = []
    for item in items:
        row: dict[str, Any] = {}
        for spec in fields(Indicator):
            value = getattr(item, spec.name)
            row[spec.name] = " + ".join(value) if isinstance(value, tuple) else value
        row["formula"] = formula_text(item)
        rows.append(row)
    columns = [spec.name for spec in fields(Indicator)] + ["formula"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["national_no"] = frame["national_no"].astype("Int64")
    frame["target_value"] = frame["target_value"].astype("Float64")
    return frame


@cache
def _by_code() -> dict[str, Indicator]:
    return {item.code: item for item in catalogue()}


def _sum_text(columns: tuple[str, ...]) -> str:
    return columns[0] if len(columns) == 1 else "(" + " + ".join(columns) + ")"


def _build_indicator(entry: object, position: int, known_columns: frozenset[str]) -> Indicator:
    if not isinstance(entry, dict):
        raise CatalogueError(f"indicator #{position}: expected a table")
    code = entry.get("code")
    if not isinstance(code, str) or not _CODE_PATTERN.match(code):
        raise CatalogueError(
            f"indicator #{position}: 'code' must be a snake_case ASCII string, got {code!r}"
        )
    label = f"indicator {code!r}"

    for name in _REQUIRED_TEXT_FIELDS:
        value = entry.get(name)
        if not isinstance(value, str) or not value.strip():
            raise CatalogueError(f"{label}: field {name!r} is missing or not a non-empty string")
    for name in _OPTIONAL_TEXT_FIELDS:
        if name in entry and not isinstance(entry[name], str):
            raise CatalogueError(f"{label}: field {name!r} must be a string")

    kind = entry["kind"]
    _check_choice(label, "kind", kind, KINDS)
    _check_choice(label, "dimension", entry["dimension"], DIMENSIONS)
    _check_choice(label, "direction", entry["direction"], DIRECTIONS)
    _check_choice(label, "provenance", entry["provenance"], PROVENANCES)

    allowed = _GENERAL_FIELDS | _KIND_FIELDS[kind]
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise CatalogueError(f"{label}: field(s) {unknown} not allowed for kind {kind!r}")

    values: dict[str, Any] = {name: entry[name] for name in _REQUIRED_TEXT_FIELDS}
    values.update({name: entry[name] for name in _OPTIONAL_TEXT_FIELDS if name in entry})
    values.update(_target(label, entry))
    values["national_no"] = _national_no(label, entry)

    if kind == "ratio":
        values["numerator"] = _column_list(label, entry, "numerator", known_columns)
        values["denominator"] = _column_list(label, entry, "denominator", known_columns)
        values["scale"] = _scale(label, entry)
        bounded = entry.get("bounded", False)
        if not isinstance(bounded, bool):
            raise CatalogueError(f"{label}: 'bounded' must be true or false")
        values["bounded"] = bounded
    elif kind == "growth":
        values["base"] = _reference(label, entry, "base")
    elif kind == "input":
        column = entry.get("column")
        if not isinstance(column, str) or column not in known_columns:
            raise CatalogueError(
                f"{label}: 'column' must name a numeric column of the data dictionary, "
                f"got {column!r}"
            )
        values["column"] = column
    elif kind == "quotient":
        values["numerator_indicator"] = _reference(label, entry, "numerator_indicator")
        values["denominator_indicator"] = _reference(label, entry, "denominator_indicator")
        values["scale"] = _scale(label, entry)
    return Indicator(**values)


def _check_choice(label: str, name: str, value: str, allowed: frozenset[str]) -> None:
    if value not in allowed:
        raise CatalogueError(f"{label}: {name} {value!r} is not one of {sorted(allowed)}")


def _column_list(
    label: str, entry: dict[str, Any], name: str, known_columns: frozenset[str]
) -> tuple[str, ...]:
    columns = entry.get(name)
    if (
        not isinstance(columns, list)
        or not columns
        or not all(isinstance(column, str) for column in columns)
    ):
        raise CatalogueError(f"{label}: {name!r} must be a non-empty list of column names")
    unknown = [column for column in columns if column not in known_columns]
    if unknown:
        raise CatalogueError(
            f"{label}: {name} uses column(s) {unknown} that are not numeric columns "
            "of the data dictionary"
        )
    if len(set(columns)) != len(columns):
        raise CatalogueError(f"{label}: {name} lists a column twice")
    return tuple(columns)


def _scale(label: str, entry: dict[str, Any]) -> float:
    scale = entry.get("scale", 1)
    if isinstance(scale, bool) or not isinstance(scale, int | float) or not scale > 0:
        raise CatalogueError(f"{label}: 'scale' must be a positive number, got {scale!r}")
    return float(scale)


def _reference(label: str, entry: dict[str, Any], name: str) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or not value:
        raise CatalogueError(f"{label}: {name!r} must name another indicator code")
    return value


def _target(label: str, entry: dict[str, Any]) -> dict[str, Any]:
    target = entry.get("target_value")
    if entry["direction"] == "target":
        if isinstance(target, bool) or not isinstance(target, int | float):
            raise CatalogueError(f"{label}: direction 'target' needs a numeric 'target_value'")
        return {"target_value": float(target)}
    if target is not None:
        raise CatalogueError(f"{label}: 'target_value' is only allowed with direction 'target'")
    return {}


def _national_no(label: str, entry: dict[str, Any]) -> int | None:
    number = entry.get("national_no")
    if number is None:
        return None
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 14:
        raise CatalogueError(f"{label}: 'national_no' must be an integer from 1 to 14")
    return number


def _check_references(indicators: list[Indicator]) -> None:
    by_code = {item.code: item for item in indicators}
    for item in indicators:
        for reference in item.dependencies:
            target = by_code.get(reference)
            if target is None:
                close = difflib.get_close_matches(reference, list(by_code), n=3, cutoff=0.5)
                hint = f" (close matches: {close})" if close else ""
                raise CatalogueError(
                    f"indicator {item.code!r}: refers to indicator {reference!r}, "
                    f"which does not exist{hint}"
                )
            if target.kind == "qualitative":
                raise CatalogueError(
                    f"indicator {item.code!r}: refers to qualitative indicator {reference!r}, "
                    "which has no value"
                )
    for item in indicators:
        _check_no_cycle(item.code, by_code, ())


def _check_no_cycle(code: str, by_code: dict[str, Indicator], path: tuple[str, ...]) -> None:
    if code in path:
        chain = " -> ".join((*path, code))
        raise CatalogueError(f"indicator {path[0]!r}: circular reference {chain}")
    for reference in by_code[code].dependencies:
        _check_no_cycle(reference, by_code, (*path, code))


def _check_national_numbers(indicators: list[Indicator]) -> None:
    # Item 10 of the national set is split into a level and its growth, hence one exception.
    users: dict[int, list[Indicator]] = {}
    for item in indicators:
        if item.national_no is not None:
            users.setdefault(item.national_no, []).append(item)
    for number, items in users.items():
        if len(items) == 1 or _is_level_and_growth(items):
            continue
        raise CatalogueError(
            f"indicator {items[1].code!r}: national_no {number} is also used by {items[0].code!r}"
        )


def _is_level_and_growth(items: list[Indicator]) -> bool:
    if len(items) != 2:
        return False
    first, second = items
    return (first.kind == "growth" and first.base == second.code) or (
        second.kind == "growth" and second.base == first.code
    )
