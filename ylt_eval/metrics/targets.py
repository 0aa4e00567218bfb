"""Targets per province and year, read from configuration, and their evaluation.

Targets are data (``resources/targets.toml`` or a file of the same format, see
``docs/targets.md``): a default set plus optional province overrides limited to a range of
years. Four kinds of target exist:

``level``
    the value compared with a threshold (``primary_visit_share >= 65``);
``growth``
    year-on-year growth compared with a bound (``referrals_up_growth <= 10``);
``peer``
    the value compared with the median of the *other* counties of the same peer set
    (province × period × optional ``peer_group`` column), as in "cost growth below that of
    peer hospitals of the same level";
``direction``
    better than the previous period (逐步提高 / 逐步下降 / closer to the target value).

This module also holds the long-table preparation the whole assessment shares: period parsing
and ordering (``"2023"``, ``"2023H1"``, ``"2023H2"``), previous values of the same series, and
peer-set medians. Target evaluation needs all three.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ylt_eval.errors import DataValidationError, ParameterError
from ylt_eval.metrics.catalogue import PROVENANCES, Indicator, catalogue
from ylt_eval.resources import resource_path

#: Kinds of target.
TARGET_KINDS: tuple[str, ...] = ("level", "growth", "peer", "direction")

#: Status of one county × period × indicator against its target.
STATUSES: tuple[str, ...] = ("met", "not_met", "no_target", "insufficient_data")

#: Comparison operators a target may use.
OPERATORS: tuple[str, ...] = (">=", ">", "<=", "<")

#: Columns :func:`evaluate_targets` adds to the long table.
TARGET_COLUMNS: tuple[str, ...] = ("target_kind", "target_text_zh", "target_text_en", "status")

#: Columns of the table returned by :func:`targets_table`.
TARGET_TABLE_COLUMNS: tuple[str, ...] = (
    "indicator",
    "name_zh",
    "name_en",
    "kind",
    "target_text_zh",
    "target_text_en",
    "scope",
    "years",
    "source_zh",
    "source_en",
    "provenance",
    "note_zh",
    "note_en",
)

_OP_WORDS = {
    ">=": ("不低于", "at least"),
    ">": ("高于", "above"),
    "<=": ("不高于", "at most"),
    "<": ("低于", "below"),
}
_DIRECTION_WORDS = {"up": ("提高", "higher"), "down": ("下降", "lower")}
_UNITLESS = frozenset({"比值", "ratio", "达标/未达标", "met / not met"})
_TARGET_FIELDS = frozenset(
    {
        "indicator",
        "kind",
        "op",
        "value",
        "toward",
        "min_peers",
        "years",
        "source_zh",
        "source_en",
        "provenance",
        "note_zh",
        "note_en",
    }
)
_KIND_FIELDS = {
    "level": frozenset({"op", "value"}),
    "growth": frozenset({"op", "value"}),
    "peer": frozenset({"op", "min_peers"}),
    "direction": frozenset({"toward"}),
}
_PERIOD_PATTERN = re.compile(
    r"^(?P<year>\d{4})\s*(?:[-_ ]?\s*[Hh](?P<half>[12])|年?\s*(?P<zh>上半年|下半年)|年)?$"
)


class TargetConfigError(ParameterError):
    """A target configuration file breaks the target format."""


# ---------------------------------------------------------------------------------------------
# Target records and the configuration file
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One target of one indicator.

    Attributes
    ----------
    indicator : str
        Catalogue code of the indicator.
    kind : str
        ``level``, ``growth``, ``peer`` or ``direction``.
    source_zh, source_en : str
        Where the target comes from (document, seed, or the choice made here).
    provenance : str
        ``S``, ``C`` or ``R`` as in the indicator catalogue.
    op : str or None
        Comparison operator (``level``, ``growth``, ``peer``): value ``op`` reference.
    value : float or None
        Threshold (``level``) or growth bound in percent (``growth``).
    toward : str or None
        ``up``, ``down`` or ``target`` (``direction`` only).
    min_peers : int
        ``peer`` only: fewest other counties with a value needed for a comparison.
    years : tuple of int or None
        Inclusive range of years the target applies to; None for every year.
    scope : str
        ``"default"`` or the province whose override defines the target.
    note_zh, note_en : str
        Caveats.
    """

    indicator: str
    kind: str
    source_zh: str
    source_en: str
    provenance: str
    op: str | None = None
    value: float | None = None
    toward: str | None = None
    min_peers: int = 3
    years: tuple[int, int] | None = None
    scope: str = "default"
    note_zh: str = ""
    note_en: str = ""

    def applies_to(self, year: int) -> bool:
        """Whether the target is in force in ``year``."""
        return self.years is None or self.years[0] <= year <= self.years[1]

    def text(self, lang: str, reference: float | None = None) -> str:
        """Return the requirement as a short phrase.

        Parameters
        ----------
        lang : {"zh", "en"}
        reference : float, optional
            ``peer`` only: the peer median, shown in brackets when given.

        Returns
        -------
        str
            For example ``"不低于65%"`` / ``"at least 65%"``.
        """
        zh = lang == "zh"
        item = _indicator_or_none(self.indicator)
        if self.kind == "level":
            words = _OP_WORDS[self.op][0 if zh else 1]  # type: ignore[index]
            amount = _with_unit(format_number(self.value), item, lang)  # type: ignore[arg-type]
            return f"{words}{amount}" if zh else f"{words} {amount}"
        if self.kind == "growth":
            words = _OP_WORDS[self.op][0 if zh else 1]  # type: ignore[index]
            bound = format_number(self.value)  # type: ignore[arg-type]
            return f"同比增幅{words}{bound}%" if zh else f"year-on-year growth {words} {bound}%"
        if self.kind == "peer":
            words = _OP_WORDS[self.op][0 if zh else 1]  # type: ignore[index]
            shown = ""
            if reference is not None and not np.isnan(reference):
                amount = _with_unit(format_value(reference), item, lang)
                shown = f"（{amount}）" if zh else f" ({amount})"
            if zh:
                return f"{words}同省同期其他县的中位数{shown}"
            return f"{words} the median of the other counties of the province{shown}"
        if self.toward == "target":
            goal = (
                format_number(item.target_value) if item and item.target_value is not None else ""
            )
            return f"较上期更接近{goal}" if zh else f"closer to {goal} than in the previous period"
        words = _DIRECTION_WORDS[self.toward][0 if zh else 1]  # type: ignore[index]
        return f"较上期{words}" if zh else f"{words} than in the previous period"


@dataclass(frozen=True)
class ProvinceOverride:
    """Targets of one province for a range of years.

    Attributes
    ----------
    province : str
        Province name exactly as in the data's ``province`` column.
    years : tuple of int
        Inclusive ``(from, to)``.
    targets : tuple of Target
        Targets replacing the default target of the same indicator.
    drop : tuple of str
        Indicators whose default target is not used in this province and these years.
    """

    province: str
    years: tuple[int, int]
    targets: tuple[Target, ...]
    drop: tuple[str, ...] = ()

    def applies_to(self, year: int) -> bool:
        """Whether the block covers ``year``."""
        return self.years[0] <= year <= self.years[1]


@dataclass(frozen=True)
class TargetSet:
    """A whole target configuration: default targets and province overrides.

    Attributes
    ----------
    defaults : tuple of Target
    overrides : tuple of ProvinceOverride
    name : str
        Name given in the file.
    """

    defaults: tuple[Target, ...]
    overrides: tuple[ProvinceOverride, ...] = ()
    name: str = ""

    def resolve(self, province: str | None, year: int) -> tuple[Target, ...]:
        """Return the targets in force for one province and year.

        Parameters
        ----------
        province : str or None
            Province name; None (unknown) gets the default set.
        year : int

        Returns
        -------
        tuple of Target
            At most one per indicator, in catalogue order.
        """
        chosen: dict[str, Target] = {t.indicator: t for t in self.defaults if t.applies_to(year)}
        for block in self.overrides:
            if block.province != province or not block.applies_to(year):
                continue
            for code in block.drop:
                chosen.pop(code, None)
            for target in block.targets:
                if target.applies_to(year):
                    chosen[target.indicator] = target
        order = _indicator_order()
        return tuple(sorted(chosen.values(), key=lambda t: order.get(t.indicator, len(order))))


def load_targets(path: str | Path | None = None) -> TargetSet:
    """Read and validate a target configuration file.

    Parameters
    ----------
    path : str or Path, optional
        TOML file in the target format; the packaged ``targets.toml`` by default.

    Returns
    -------
    TargetSet

    Raises
    ------
    TargetConfigError
        If the file cannot be read or parsed, or breaks the format (unknown keys, unknown
        indicator codes, bad operators, missing sources, two targets for one indicator in
        overlapping years); the message names the offending entry.
    """
    source = Path(path) if path is not None else resource_path("targets.toml")
    try:
        with source.open("rb") as handle:
            document = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise TargetConfigError(f"{source.name}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise TargetConfigError(f"cannot read target file {source}: {exc}") from exc

    unknown = sorted(set(document) - {"name", "description", "target", "province"})
    if unknown:
        raise TargetConfigError(
            f"{source.name}: unknown top-level key(s) {unknown}; "
            'allowed: name, description, [[target]], [[province."<name>"]]'
        )
    entries = document.get("target", [])
    if not isinstance(entries, list):
        raise TargetConfigError(f"{source.name}: 'target' must be an array of tables [[target]]")
    defaults = tuple(
        _build_target(entry, f"default target #{n}", "default")
        for n, entry in enumerate(entries, start=1)
    )
    _check_unique(defaults, "the default set")

    provinces = document.get("province", {})
    if not isinstance(provinces, dict):
        raise TargetConfigError(f'{source.name}: use [[province."<name>"]] blocks for overrides')
    overrides: list[ProvinceOverride] = []
    for province, blocks in provinces.items():
        if not isinstance(blocks, list):
            raise TargetConfigError(
                f'province {province!r}: write [[province."{province}"]] (double brackets)'
            )
        built = [_build_override(province, block, n) for n, block in enumerate(blocks, start=1)]
        _check_disjoint(province, built)
        overrides.extend(built)
    name = document.get("name", "")
    return TargetSet(defaults=defaults, overrides=tuple(overrides), name=str(name))


@cache
def default_targets() -> TargetSet:
    """Return the packaged target set (validated once, then cached)."""
    return load_targets()


def targets_for(
    province: str | None, year: int, targets: TargetSet | None = None
) -> tuple[Target, ...]:
    """Return the targets in force for one province and year.

    Parameters
    ----------
    province : str or None
        Province name as in the data; None gets the default set.
    year : int
    targets : TargetSet, optional
        Defaults to the packaged set.

    Returns
    -------
    tuple of Target
        At most one per indicator, in catalogue order.
    """
    target_set = targets if targets is not None else default_targets()
    return target_set.resolve(province, int(year))


def targets_table(
    province: str | None, year: int, targets: TargetSet | None = None
) -> pd.DataFrame:
    """Return the targets in force for one province and year as a table (methods appendix).

    Parameters
    ----------
    province : str or None
    year : int
    targets : TargetSet, optional
        Defaults to the packaged set.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TARGET_TABLE_COLUMNS`, one row per target, catalogue order; the peer
        median is not shown (it differs by county).
    """
    rows = []
    for target in targets_for(province, year, targets):
        item = _indicator_or_none(target.indicator)
        rows.append(
            {
                "indicator": target.indicator,
                "name_zh": item.name_zh if item else target.indicator,
                "name_en": item.name_en if item else target.indicator,
                "kind": target.kind,
                "target_text_zh": target.text("zh"),
                "target_text_en": target.text("en"),
                "scope": target.scope,
                "years": "" if target.years is None else f"{target.years[0]}–{target.years[1]}",
                "source_zh": target.source_zh,
                "source_en": target.source_en,
                "provenance": target.provenance,
                "note_zh": target.note_zh,
                "note_en": target.note_en,
            }
        )
    return pd.DataFrame(rows, columns=list(TARGET_TABLE_COLUMNS))


def _build_target(entry: object, label: str, scope: str) -> Target:
    if not isinstance(entry, dict):
        raise TargetConfigError(f"{label}: expected a table")
    code = entry.get("indicator")
    if not isinstance(code, str):
        raise TargetConfigError(f"{label}: 'indicator' must be a catalogue code")
    label = f"{label} ({code})"
    item = _known_indicator(code, label)
    kind = entry.get("kind")
    if kind not in TARGET_KINDS:
        raise TargetConfigError(f"{label}: kind {kind!r} is not one of {list(TARGET_KINDS)}")
    allowed = (_TARGET_FIELDS - {"op", "value", "toward", "min_peers"}) | _KIND_FIELDS[kind]
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise TargetConfigError(f"{label}: field(s) {unknown} not allowed for kind {kind!r}")
    texts = {}
    for name in ("source_zh", "source_en"):
        text = entry.get(name)
        if not isinstance(text, str) or not text.strip():
            raise TargetConfigError(f"{label}: '{name}' is required (where the target comes from)")
        texts[name] = text.strip()
    for name in ("note_zh", "note_en"):
        text = entry.get(name, "")
        if not isinstance(text, str):
            raise TargetConfigError(f"{label}: '{name}' must be a string")
        texts[name] = text.strip()
    provenance = entry.get("provenance")
    if provenance not in PROVENANCES:
        raise TargetConfigError(
            f"{label}: provenance {provenance!r} is not one of {sorted(PROVENANCES)}"
        )
    values: dict[str, Any] = {"indicator": code, "kind": kind, "provenance": provenance}
    values.update(texts)
    values["scope"] = scope
    if "years" in entry:
        values["years"] = _year_range(entry["years"], label)
    if kind in {"level", "growth", "peer"}:
        op = entry.get("op")
        if op not in OPERATORS:
            raise TargetConfigError(f"{label}: op {op!r} is not one of {list(OPERATORS)}")
        values["op"] = op
    if kind in {"level", "growth"}:
        number = entry.get("value")
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise TargetConfigError(f"{label}: 'value' must be a number")
        if not np.isfinite(number):
            raise TargetConfigError(f"{label}: 'value' must be finite")
        values["value"] = float(number)
    if kind == "peer":
        min_peers = entry.get("min_peers", 3)
        if isinstance(min_peers, bool) or not isinstance(min_peers, int) or min_peers < 1:
            raise TargetConfigError(f"{label}: 'min_peers' must be a whole number of at least 1")
        values["min_peers"] = min_peers
    if kind == "direction":
        toward = entry.get("toward", item.direction)
        if toward not in {"up", "down", "target"}:
            raise TargetConfigError(
                f"{label}: the catalogue direction is {item.direction!r}; "
                'state toward = "up", "down" or "target"'
            )
        if toward == "target" and item.target_value is None:
            raise TargetConfigError(f"{label}: toward = 'target' needs a catalogue target_value")
        values["toward"] = toward
    return Target(**values)


def _build_override(province: str, block: object, position: int) -> ProvinceOverride:
    label = f"province {province!r} block #{position}"
    if not isinstance(block, dict):
        raise TargetConfigError(f"{label}: expected a table")
    unknown = sorted(set(block) - {"years", "target", "drop", "description"})
    if unknown:
        raise TargetConfigError(f"{label}: unknown key(s) {unknown}")
    if "years" not in block:
        raise TargetConfigError(f"{label}: 'years = [from, to]' is required")
    years = _year_range(block["years"], label)
    entries = block.get("target", [])
    if not isinstance(entries, list):
        raise TargetConfigError(f'{label}: write [[province."{province}".target]] tables')
    targets = tuple(
        _build_target(entry, f"{label} target #{n}", province)
        for n, entry in enumerate(entries, start=1)
    )
    _check_unique(targets, label)
    drop = block.get("drop", [])
    if not isinstance(drop, list) or not all(isinstance(code, str) for code in drop):
        raise TargetConfigError(f"{label}: 'drop' must be a list of indicator codes")
    for code in drop:
        _known_indicator(code, label)
    return ProvinceOverride(province, years, targets, tuple(drop))


def _year_range(value: object, label: str) -> tuple[int, int]:
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(y, int) and not isinstance(y, bool) for y in value)
        or value[0] > value[1]
    ):
        raise TargetConfigError(f"{label}: 'years' must be [from, to] with from <= to")
    return (int(value[0]), int(value[1]))


def _overlap(first: tuple[int, int] | None, second: tuple[int, int] | None) -> bool:
    if first is None or second is None:
        return True
    return first[0] <= second[1] and second[0] <= first[1]


def _check_unique(targets: Iterable[Target], where: str) -> None:
    seen: dict[str, list[Target]] = {}
    for target in targets:
        for other in seen.get(target.indicator, []):
            if _overlap(target.years, other.years):
                raise TargetConfigError(
                    f"{where}: two targets for {target.indicator!r} in overlapping years"
                )
        seen.setdefault(target.indicator, []).append(target)


def _check_disjoint(province: str, blocks: list[ProvinceOverride]) -> None:
    for position, block in enumerate(blocks):
        for other in blocks[position + 1 :]:
            if _overlap(block.years, other.years):
                raise TargetConfigError(
                    f"province {province!r}: blocks {block.years} and {other.years} overlap"
                )


def _known_indicator(code: str, label: str) -> Indicator:
    by_code = _indicators()
    if code in by_code:
        return by_code[code]
    close = difflib.get_close_matches(code, list(by_code), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise TargetConfigError(f"{label}: unknown indicator code {code!r}{hint}")


# ---------------------------------------------------------------------------------------------
# Numbers and units in text
# ---------------------------------------------------------------------------------------------


def format_number(value: float) -> str:
    """Format a configured number (a threshold) without spurious decimals: 65 → ``"65"``."""
    return f"{float(value):,.6g}"


def format_value(value: float) -> str:
    """Format a measured value for a sentence (see :func:`format_values`)."""
    return str(format_values(np.array([value], dtype=np.float64))[0])


def format_values(values: np.ndarray) -> np.ndarray:
    """Format measured values for sentences.

    Parameters
    ----------
    values : numpy.ndarray
        float.

    Returns
    -------
    numpy.ndarray
        object array of str: ``"—"`` for NaN; thousands separators and no decimals from
        1,000; one decimal from 1; three significant digits below 1 (``12,346``, ``58.2``,
        ``0.870``).
    """
    numbers = np.asarray(values, dtype=np.float64)
    texts = np.full(len(numbers), "—", dtype=object)
    magnitude = np.abs(numbers)
    large = magnitude >= 1000
    middle = (magnitude >= 1) & ~large
    small = magnitude < 1
    texts[large] = [f"{x:,.0f}" for x in numbers[large]]
    texts[middle] = [f"{x:.1f}" for x in numbers[middle]]
    texts[small] = [f"{x:#.3g}" for x in numbers[small]]
    return texts


def unit_suffixes(codes: np.ndarray, lang: str) -> np.ndarray:
    """Text to append to a formatted number of each indicator (see :func:`with_unit`).

    Parameters
    ----------
    codes : numpy.ndarray
        Indicator codes.
    lang : {"zh", "en"}

    Returns
    -------
    numpy.ndarray
        object array of str: ``"%"``, ``"元"`` / ``" yuan"``, ``""`` for unitless ratios and
        codes outside the catalogue.
    """
    ids, uniques = pd.factorize(np.asarray(codes, dtype=object))
    suffixes = np.array([with_unit("", code, lang) for code in uniques] + [""], dtype=object)
    return suffixes[ids]


def with_unit(amount: str, code: str, lang: str) -> str:
    """Attach the catalogue unit of an indicator to a formatted number.

    Parameters
    ----------
    amount : str
        Formatted number.
    code : str
        Indicator code (no unit for codes outside the catalogue).
    lang : {"zh", "en"}

    Returns
    -------
    str
        ``"58.2%"``, ``"1,650元"`` / ``"1,650 yuan"``; unitless ratios unchanged.
    """
    return _with_unit(amount, _indicator_or_none(code), lang)


def _with_unit(amount: str, item: Indicator | None, lang: str) -> str:
    if item is None:
        return amount
    unit = item.unit_zh if lang == "zh" else item.unit_en
    if not unit or unit in _UNITLESS:
        return amount
    if unit == "%" or lang == "zh":
        return f"{amount}{unit}"
    return f"{amount} {unit}"


# ---------------------------------------------------------------------------------------------
# Periods and the prepared long table
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Period:
    """A reporting period: a calendar year or one of its halves.

    Attributes
    ----------
    year : int
    half : int
        0 for the whole year, 1 for H1 (January–June), 2 for H2 (July–December).
    """

    year: int
    half: int = 0

    @property
    def label(self) -> str:
        """Canonical text: ``"2023"``, ``"2023H1"``, ``"2023H2"``."""
        return str(self.year) if self.half == 0 else f"{self.year}H{self.half}"

    @property
    def sort_key(self) -> int:
        """Chronological key: 2023H1 < 2023H2 < 2023 (the annual figure closes the year) <
        2024H1."""
        return self.year * 3 + (2 if self.half == 0 else self.half - 1)

    @property
    def index(self) -> int:
        """Position in its own frequency: consecutive periods differ by 1."""
        return self.year if self.half == 0 else self.year * 2 + self.half - 1

    def text(self, lang: str) -> str:
        """Human text: ``"2023年上半年"`` / ``"2023 H1"``."""
        if lang == "zh":
            return f"{self.year}年" + {0: "", 1: "上半年", 2: "下半年"}[self.half]
        return self.label if self.half == 0 else f"{self.year} H{self.half}"


def parse_period(value: object) -> Period:
    """Parse a period label.

    Parameters
    ----------
    value : int, float or str
        ``2023``, ``"2023"``, ``"2023H1"``, ``"2023-H2"``, ``"2023年上半年"`` …

    Returns
    -------
    Period

    Raises
    ------
    DataValidationError
        If the value is not a year or a half-year.
    """
    if isinstance(value, bool):
        raise DataValidationError(f"period {value!r} is not a year or a half-year")
    if isinstance(value, int | np.integer):
        return Period(int(value))
    if isinstance(value, float | np.floating):
        if np.isfinite(value) and float(value).is_integer():
            return Period(int(value))
        raise DataValidationError(f"period {value!r} is not a year or a half-year")
    match = _PERIOD_PATTERN.match(str(value).strip())
    if match is None:
        raise DataValidationError(
            f"period {value!r} is not a year or a half-year (write 2023, 2023H1 or 2023H2)"
        )
    half = match.group("half")
    if half is None and match.group("zh"):
        half = "1" if match.group("zh") == "上半年" else "2"
    return Period(int(match.group("year")), int(half or 0))


#: Columns of the prepared long table, in order (see :func:`prepare_long`).
PREPARED_COLUMNS: tuple[str, ...] = (
    "county_code",
    "county_name",
    "province",
    "peer_group",
    "period",
    "year",
    "indicator",
    "value",
    "previous",
    "previous_yoy",
    "period_sort",
    "period_index",
    "frequency",
    "series",
    "peer_set",
    "direction",
    "target_value",
    "n_peers",
    "peer_median",
    "peer_median_all",
)


def prepare_long(long_df: pd.DataFrame) -> pd.DataFrame:
    """Validate a long indicator table and add what the assessment needs.

    Parameters
    ----------
    long_df : pandas.DataFrame
        Columns ``county_code, indicator, value`` and ``period`` or ``year`` (``period``
        wins when both exist and they must agree); optional ``county_name``, ``province`` and
        ``peer_group`` (peers are compared within province × period × peer_group).

    Returns
    -------
    pandas.DataFrame
        A new frame with :data:`PREPARED_COLUMNS`, sorted by county_code, period (chronological)
        and catalogue order of the indicator. ``previous`` is the value of the immediately
        preceding period of the same frequency (annual or half-yearly; NaN when that period is
        absent), ``previous_yoy`` the value one year earlier (same half for half-years).
        ``period_sort`` orders periods, ``period_index`` counts periods within a frequency,
        ``frequency`` is 0 (annual) or 1 (half-yearly), ``series`` numbers county × indicator
        × frequency and ``peer_set`` numbers province × peer_group × period × indicator.
        ``direction`` and ``target_value`` come from the catalogue (``monitor`` and NaN for
        codes outside it). ``n_peers`` counts the counties with a value in the peer set (the
        row's own county included), ``peer_median`` is the median of the *other* counties'
        values (all values for a row without value) and ``peer_median_all`` the median of
        every value of the peer set.

    Raises
    ------
    DataValidationError
        A column is missing, a county code or indicator is missing, a period cannot be
        parsed, a value is non-numeric or infinite, or a county × period × indicator repeats.
    """
    if not isinstance(long_df, pd.DataFrame):
        raise DataValidationError("the indicator table must be a pandas DataFrame")
    missing = [name for name in ("county_code", "indicator", "value") if name not in long_df]
    if "period" not in long_df and "year" not in long_df:
        missing.append("period (or year)")
    if missing:
        raise DataValidationError(f"the indicator table lacks column(s) {missing}")

    county_id, counties = _text_factor(long_df["county_code"], "county_code")
    indicator_id, indicators = _text_factor(long_df["indicator"], "indicator")
    name_id, names = _label_factor(long_df, "county_name")
    province_id, provinces = _label_factor(long_df, "province")
    group_id, groups = _label_factor(long_df, "peer_group")
    period_id, periods = _periods(long_df)
    value = _values(long_df["value"])

    # Integer ranks give the output order: county code, chronological period, catalogue order.
    county_rank = _ranks(list(counties))
    order = _indicator_order()
    indicator_rank = _ranks([(order.get(c, len(order)), c) for c in indicators])
    period_sort = np.array([p.sort_key for p in periods], dtype=np.int64)
    row_county = county_rank[county_id]
    row_indicator = indicator_rank[indicator_id]
    row_period = period_sort[period_id]
    sorting = np.lexsort((row_indicator, row_period, row_county))
    row_county, row_indicator = row_county[sorting], row_indicator[sorting]
    period_id = period_id[sorting]
    row_period = row_period[sorting]
    repeated = np.flatnonzero(
        (row_county[1:] == row_county[:-1])
        & (row_period[1:] == row_period[:-1])
        & (row_indicator[1:] == row_indicator[:-1])
    )
    if len(repeated):
        row = sorting[repeated[0]]
        raise DataValidationError(
            "the indicator table repeats county-period-indicator, e.g. "
            f"{counties[county_id[row]]}/{periods[period_id[repeated[0]]].label}/"
            f"{indicators[indicator_id[row]]}"
        )

    def per_period(attribute: str) -> np.ndarray:
        return np.array([getattr(p, attribute) for p in periods])[period_id]

    frequency = (per_period("half") > 0).astype(np.int64)
    frame = pd.DataFrame(
        {
            "county_code": _text_column(counties, county_id[sorting]),
            "county_name": _text_column(names, name_id[sorting]),
            "province": _text_column(provinces, province_id[sorting]),
            "peer_group": _text_column(groups, group_id[sorting]),
            "period": _text_column(np.array([p.label for p in periods], dtype=object), period_id),
            "year": per_period("year").astype(np.int64),
            "indicator": _text_column(indicators, indicator_id[sorting]),
            "value": value[sorting],
            "period_sort": row_period,
            "period_index": per_period("index").astype(np.int64),
            "frequency": frequency,
        }
    )
    frame["series"] = (row_county * len(indicators) + row_indicator) * 2 + frequency
    values = frame["value"].to_numpy()
    lags = SeriesLags(frame)
    frame["previous"] = lags.values(values, 1)
    frame["previous_yoy"] = lags.values(values, np.where(frequency == 1, 2, 1))
    peer_key = (province_id[sorting] + 1) * (len(groups) + 1) + group_id[sorting] + 1
    peer_key = (peer_key * len(periods) + period_id) * len(indicators) + row_indicator
    frame["peer_set"] = pd.factorize(peer_key)[0].astype(np.int64)
    direction = np.array([_catalogue_field(c, "direction", "monitor") for c in indicators])
    target_value = np.array(
        [_catalogue_field(c, "target_value", None) for c in indicators], dtype=np.float64
    )
    frame["direction"] = pd.Series(direction[indicator_id[sorting]], dtype="str")
    frame["target_value"] = target_value[indicator_id[sorting]]
    median_all, median_others, n_peers = _medians(
        frame["value"].to_numpy(), frame["peer_set"].to_numpy()
    )
    frame["n_peers"] = n_peers
    frame["peer_median"] = median_others
    frame["peer_median_all"] = median_all
    return frame[list(PREPARED_COLUMNS)]


def lagged_values(prepared: pd.DataFrame, values: np.ndarray, lag: int | np.ndarray) -> np.ndarray:
    """Return, for every row, ``values`` of the same series ``lag`` periods earlier.

    Parameters
    ----------
    prepared : pandas.DataFrame
        Output of :func:`prepare_long` (needs ``series`` and ``period_index``; any row order).
    values : numpy.ndarray
        One value per row of ``prepared``.
    lag : int or numpy.ndarray
        Number of periods back, per row or for all rows.

    Returns
    -------
    numpy.ndarray
        float; NaN where that period is absent from the series.
    """
    return SeriesLags(prepared).values(values, lag)


class SeriesLags:
    """Finds, for every row of a prepared table, the row of its series some periods earlier.

    Build once and reuse for several lags or several value arrays.

    Parameters
    ----------
    prepared : pandas.DataFrame
        Output of :func:`prepare_long` (needs ``series`` and ``period_index``).
    """

    def __init__(self, prepared: pd.DataFrame) -> None:
        series = prepared["series"].to_numpy(dtype=np.int64)
        index = prepared["period_index"].to_numpy(dtype=np.int64)
        stride = int(index.max()) + 3 if len(index) else 1
        self._key = series * stride + index
        # Keys are unique (one row per series and period), so any sort order is the same.
        self._order = np.argsort(self._key)
        self._sorted = self._key[self._order]

    def rows(self, lag: int | np.ndarray) -> np.ndarray:
        """Row number of the same series ``lag`` periods earlier, −1 where absent."""
        wanted = self._key - np.asarray(lag, dtype=np.int64)
        position = np.searchsorted(self._sorted, wanted)
        inside = position < len(self._sorted)
        found = np.zeros(len(wanted), dtype=bool)
        found[inside] = self._sorted[position[inside]] == wanted[inside]
        return np.where(found, self._order[np.minimum(position, len(self._order) - 1)], -1)

    def values(self, values: np.ndarray, lag: int | np.ndarray) -> np.ndarray:
        """``values`` of the same series ``lag`` periods earlier, NaN where absent."""
        return self.take(values, self.rows(lag))

    @staticmethod
    def take(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """``values[rows]`` with NaN where ``rows`` is −1."""
        result = np.asarray(values, dtype=np.float64)[np.maximum(rows, 0)]
        result[rows < 0] = np.nan
        return result


def group_median(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Median of the non-missing ``values`` of each row's group, repeated on every row.

    Parameters
    ----------
    values : numpy.ndarray
        float, NaN for missing.
    groups : numpy.ndarray
        Non-negative integer group ids.

    Returns
    -------
    numpy.ndarray
        NaN for groups without a value.
    """
    median, _, _ = _medians(np.asarray(values, dtype=np.float64), np.asarray(groups))
    return median


def _medians(values: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median of each row's group, median of the group without the row, group size."""
    n = len(values)
    if n == 0:
        return np.empty(0), np.empty(0), np.empty(0, dtype=np.int64)
    valid = ~np.isnan(values)
    n_groups = int(groups.max()) + 1
    size = np.bincount(groups, minlength=n_groups)
    n_valid = np.bincount(groups[valid], minlength=n_groups)
    start = np.concatenate(([0], np.cumsum(size)[:-1]))
    # Sort by group, then value, NaN last inside each group (a group's values occupy its first
    # n_valid slots). One integer sort of group × n + value rank is faster than np.lexsort.
    by_value = np.argsort(values)
    value_rank = np.empty(n, dtype=np.int64)
    value_rank[by_value] = np.arange(n)
    order = by_value[np.sort(groups.astype(np.int64) * n + value_rank) % n]
    sorted_values = values[order]
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    row_start = start[groups]
    row_valid = n_valid[groups]

    def median(count: np.ndarray, removed: np.ndarray) -> np.ndarray:
        def element(j: np.ndarray) -> np.ndarray:
            slot = row_start + j + (j >= removed)
            return sorted_values[np.minimum(slot, n - 1)]

        upper = count // 2
        lower = np.where(count % 2 == 1, upper, upper - 1)
        result = (element(np.maximum(lower, 0)) + element(upper)) / 2.0
        result[count == 0] = np.nan
        return result

    everyone = median(row_valid, row_valid)
    # A row without a value has no "self" to leave out: it compares with every value.
    others = median(
        row_valid - valid.astype(np.int64), np.where(valid, position - row_start, row_valid)
    )
    return everyone, others, row_valid


def _text_factor(column: pd.Series, name: str) -> tuple[np.ndarray, np.ndarray]:
    if pd.api.types.is_float_dtype(column):
        if not (column.isna() | (column == column.round())).all():
            raise DataValidationError(f"{name} must be text, not decimal numbers")
        column = column.astype("Int64")
    codes, texts = _stripped_factor(column)
    if (codes < 0).any():
        raise DataValidationError(f"the indicator table has rows without {name}")
    return codes, texts


def _label_factor(long_df: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    if name not in long_df:
        return np.full(len(long_df), -1, dtype=np.int64), np.empty(0, dtype=object)
    return _stripped_factor(long_df[name])


def _stripped_factor(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes (−1 for missing) and distinct stripped texts, converting each value once."""
    codes, uniques = pd.factorize(column)
    stripped = [str(item).strip() for item in uniques]
    recoded, distinct = pd.factorize(pd.Series(stripped, dtype=object))
    mapping = np.append(recoded, -1).astype(np.int64)
    return mapping[codes], np.asarray(distinct, dtype=object)


def _text_column(texts: np.ndarray, codes: np.ndarray) -> pd.Series:
    labels = pd.Series(np.append(texts, None).astype(object), dtype="str")
    return pd.Series(labels.to_numpy()[codes], dtype="str")


def _ranks(keys: list) -> np.ndarray:
    ranks = np.empty(len(keys), dtype=np.int64)
    ranks[sorted(range(len(keys)), key=keys.__getitem__)] = np.arange(len(keys))
    return ranks


def _periods(long_df: pd.DataFrame) -> tuple[np.ndarray, list[Period]]:
    column = long_df["period"] if "period" in long_df else long_df["year"]
    if column.isna().any():
        raise DataValidationError("the indicator table has rows without a period")
    codes, uniques = pd.factorize(column)
    parsed: list[Period] = []
    bad = []
    for item in uniques:
        try:
            parsed.append(parse_period(item))
        except DataValidationError:
            bad.append(item)
    if bad:
        shown = ", ".join(repr(item) for item in bad[:5])
        raise DataValidationError(
            f"period(s) {shown} are not years or half-years (write 2023, 2023H1 or 2023H2)"
        )
    # 2023 and "2023" are one period: renumber by canonical label.
    labels = [p.label for p in parsed]
    canonical, unique_labels = pd.factorize(pd.Series(labels, dtype=object))
    codes = canonical[codes]
    parsed = [parsed[labels.index(label)] for label in unique_labels]
    if "period" in long_df and "year" in long_df:
        years = pd.to_numeric(long_df["year"], errors="coerce").to_numpy(dtype=np.float64)
        stated = np.array([p.year for p in parsed], dtype=np.float64)[codes]
        clash = ~np.isnan(years) & (years != stated)
        if clash.any():
            raise DataValidationError("'year' disagrees with 'period' in some rows")
    return codes, parsed


def _values(column: pd.Series) -> np.ndarray:
    numbers = pd.to_numeric(column, errors="coerce")
    bad = numbers.isna() & column.notna()
    if bad.any():
        shown = ", ".join(repr(v) for v in column[bad].astype("str").unique()[:5])
        raise DataValidationError(f"'value' holds non-numeric entries: {shown}")
    result = numbers.astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isinf(result).any():
        raise DataValidationError("'value' holds infinite entries")
    return result


@cache
def _indicators() -> dict[str, Indicator]:
    return {item.code: item for item in catalogue()}


@cache
def _indicator_order() -> dict[str, int]:
    return {item.code: rank for rank, item in enumerate(catalogue())}


def _indicator_or_none(code: str) -> Indicator | None:
    return _indicators().get(code)


def _catalogue_field(code: str, name: str, default: object) -> object:
    item = _indicators().get(code)
    value = getattr(item, name) if item is not None else None
    return default if value is None else value


def catalogue_attribute(codes: Iterable[str], name: str, default: object = None) -> np.ndarray:
    """Return one catalogue attribute per code (``default`` for codes outside the catalogue).

    Parameters
    ----------
    codes : iterable of str
    name : str
        :class:`~ylt_eval.metrics.catalogue.Indicator` field, e.g. ``"direction"``.
    default : object

    Returns
    -------
    numpy.ndarray
        object array.
    """
    ids, uniques = pd.factorize(np.asarray(codes, dtype=object))
    lookup = _indicators()
    mapped = np.empty(len(uniques) + 1, dtype=object)
    mapped[-1] = default
    for position, code in enumerate(uniques):
        item = lookup.get(code)
        mapped[position] = getattr(item, name) if item is not None else default
    return mapped[ids]


# ---------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TargetEvaluation:
    """Row-by-row result of evaluating targets on a prepared long table.

    Attributes
    ----------
    target_kind : numpy.ndarray
        object; None where no target applies.
    target_text_zh, target_text_en : numpy.ndarray
        object; the requirement (peer targets show the peer median); None without target.
    status : numpy.ndarray
        object; one of :data:`STATUSES`.
    compared : numpy.ndarray
        float; the quantity compared (value, growth, or distance to the target value).
    reference : numpy.ndarray
        float; what it was compared with (threshold, bound, peer median, previous value).
    """

    target_kind: np.ndarray
    target_text_zh: np.ndarray
    target_text_en: np.ndarray
    status: np.ndarray
    compared: np.ndarray
    reference: np.ndarray


def evaluate_targets(long_df: pd.DataFrame, targets: TargetSet | None = None) -> pd.DataFrame:
    """Evaluate each county × period × indicator against the target in force.

    Parameters
    ----------
    long_df : pandas.DataFrame
        Long indicator table (see :func:`prepare_long`); not modified.
    targets : TargetSet, optional
        Defaults to the packaged set. The province and year of each row select the targets.

    Returns
    -------
    pandas.DataFrame
        ``county_code, county_name, province, period, year, indicator, value`` followed by
        :data:`TARGET_COLUMNS`, sorted by county, period and catalogue order. ``status`` is
        ``met``/``not_met``; ``no_target`` when none applies; ``insufficient_data`` when the
        value or what it is compared with (previous value, peer median from at least
        ``min_peers`` other counties) is missing.

    Raises
    ------
    DataValidationError
        If the table is malformed (see :func:`prepare_long`).
    """
    prepared = prepare_long(long_df)
    evaluation = evaluate_prepared(prepared, targets)
    result = prepared[
        ["county_code", "county_name", "province", "period", "year", "indicator", "value"]
    ].copy()
    for name in TARGET_COLUMNS:
        result[name] = pd.Series(getattr(evaluation, name), dtype="str")
    return result


def evaluate_prepared(prepared: pd.DataFrame, targets: TargetSet | None = None) -> TargetEvaluation:
    """Evaluate targets on a table returned by :func:`prepare_long`.

    Parameters
    ----------
    prepared : pandas.DataFrame
    targets : TargetSet, optional
        Defaults to the packaged set.

    Returns
    -------
    TargetEvaluation
        Arrays aligned with the rows of ``prepared``.
    """
    target_set = targets if targets is not None else default_targets()
    n = len(prepared)
    assigned, chosen = _assign_targets(prepared, target_set)

    value = prepared["value"].to_numpy(dtype=np.float64)
    previous = prepared["previous"].to_numpy(dtype=np.float64)
    previous_yoy = prepared["previous_yoy"].to_numpy(dtype=np.float64)
    compared = np.full(n, np.nan)
    reference = np.full(n, np.nan)
    operator = np.full(n, -1, dtype=np.int64)
    kind = np.full(n, None, dtype=object)
    text_zh = np.full(n, None, dtype=object)
    text_en = np.full(n, None, dtype=object)
    peer_median = prepared["peer_median"].to_numpy(dtype=np.float64)
    n_peers = prepared["n_peers"].to_numpy(dtype=np.int64)

    for number, target in enumerate(chosen):
        rows = np.flatnonzero(assigned == number)
        if not len(rows):
            continue
        kind[rows] = target.kind
        text_zh[rows] = target.text("zh")
        text_en[rows] = target.text("en")
        if target.kind in {"level", "growth", "peer"}:
            operator[rows] = OPERATORS.index(target.op)  # type: ignore[arg-type]
        if target.kind == "level":
            compared[rows] = value[rows]
            reference[rows] = target.value
        elif target.kind == "growth":
            item = _indicator_or_none(target.indicator)
            if item is not None and item.kind == "growth":
                compared[rows] = value[rows]
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    growth = (value[rows] / previous_yoy[rows] - 1.0) * 100.0
                growth[~(previous_yoy[rows] > 0)] = np.nan
                compared[rows] = growth
            reference[rows] = target.value
        elif target.kind == "peer":
            others = n_peers[rows] - (~np.isnan(value[rows])).astype(np.int64)
            median = np.where(others >= target.min_peers, peer_median[rows], np.nan)
            compared[rows] = value[rows]
            reference[rows] = median
            text_zh[rows] = _with_reference(target, median, "zh")
            text_en[rows] = _with_reference(target, median, "en")
        elif target.toward == "target":
            goal = _indicators()[target.indicator].target_value
            compared[rows] = np.abs(value[rows] - goal)
            reference[rows] = np.abs(previous[rows] - goal)
            operator[rows] = OPERATORS.index("<")
        else:
            compared[rows] = value[rows]
            reference[rows] = previous[rows]
            operator[rows] = OPERATORS.index(">" if target.toward == "up" else "<")

    status = np.full(n, "no_target", dtype=object)
    has_target = assigned >= 0
    usable = has_target & ~np.isnan(compared) & ~np.isnan(reference)
    status[has_target] = "insufficient_data"
    met = np.zeros(n, dtype=bool)
    for position, symbol in enumerate(OPERATORS):
        rows = usable & (operator == position)
        met[rows] = _compare(compared[rows], reference[rows], symbol)
    status[usable] = np.where(met[usable], "met", "not_met")
    return TargetEvaluation(kind, text_zh, text_en, status, compared, reference)


def _with_reference(target: Target, reference: np.ndarray, lang: str) -> np.ndarray:
    """Vectorised ``target.text(lang, reference)`` for many references."""
    base = target.text(lang)
    amount = format_values(reference) + with_unit("", target.indicator, lang)
    shown = "（" + amount + "）" if lang == "zh" else " (" + amount + ")"
    return np.where(np.isnan(reference), base, base + shown)


def _compare(left: np.ndarray, right: np.ndarray, symbol: str) -> np.ndarray:
    if symbol == ">=":
        return left >= right
    if symbol == ">":
        return left > right
    if symbol == "<=":
        return left <= right
    return left < right


def _assign_targets(
    prepared: pd.DataFrame, target_set: TargetSet
) -> tuple[np.ndarray, list[Target]]:
    """Number of the target in force on each row (−1 for none) and the targets numbered."""
    # Province, year and indicator are constant within a peer set: resolve once per set.
    peer_set = prepared["peer_set"].to_numpy(dtype=np.int64)
    if not len(peer_set):
        return np.empty(0, dtype=np.int64), []
    sets, first = np.unique(peer_set, return_index=True)
    provinces = prepared["province"].to_numpy(dtype=object, na_value=None)[first]
    years = prepared["year"].to_numpy(dtype=np.int64)[first]
    indicators = prepared["indicator"].to_numpy(dtype=object)[first]
    numbering: dict[Target, int] = {}
    resolved: dict[tuple[Any, int], dict[str, Target]] = {}
    per_set = np.full(int(sets.max()) + 1, -1, dtype=np.int64)
    for group, province, year, code in zip(sets, provinces, years, indicators, strict=True):
        key = (province, int(year))
        if key not in resolved:
            resolved[key] = {t.indicator: t for t in target_set.resolve(province, int(year))}
        target = resolved[key].get(code)
        if target is not None:
            per_set[group] = numbering.setdefault(target, len(numbering))
    return per_set[peer_set], list(numbering)
