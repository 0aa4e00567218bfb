"""Validate input tables and turn their text into a typed panel (or long table).

:func:`validate_panel` checks a wide county × year panel, :func:`validate_long` the
indicator-level long format, :func:`detect_format` tells them apart, and :func:`load_input`
reads, detects and validates a file in one call. Every check runs on every row, so one pass
reports all problems. Blocking errors withhold the affected county (or the whole file when an
error cannot be attributed to a county); warnings are only reported.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from ylt_eval.readers import (
    DEFAULT_MAX_BYTES,
    HeaderMapping,
    InputFileError,
    RawTable,
    map_headers,
    read_table,
)
from ylt_eval.schema import column_spec, data_dictionary, required_columns
from ylt_eval.validation.report import ValidationIssue, ValidationReport
from ylt_eval.validation.rules import (
    JUMP_FACTOR,
    JUMP_MIN_MAGNITUDE,
    PLAUSIBILITY_RANGES,
    REFORM_YEAR_MIN,
    SPECIAL_HINTS,
    YEAR_MAX,
    YEAR_MIN,
    IssueFactory,
    ShareConstraintLike,
    clean_county_code,
    clean_text,
    close_matches,
    format_number,
    indicator_names,
    is_missing,
    is_valid_county_code,
    issue_from_read_problem,
    jump_note,
    names_of,
    parse_numeric_column,
    parse_period,
    parse_whole_year,
    unknown_header_hint,
)

InputFormat = Literal["panel", "long"]

#: Required columns of the long format (``county_name`` is optional).
LONG_REQUIRED: tuple[str, ...] = ("county_code", "year", "indicator", "value")

#: Relative tolerance when comparing a numerator with its denominator (float rounding).
_SHARE_TOLERANCE = 1e-9


# --------------------------------------------------------------------------------------------
# Shared steps
# --------------------------------------------------------------------------------------------


def _first_positions(mapping: HeaderMapping) -> dict[str, int]:
    positions: dict[str, int] = {}
    for position, column in enumerate(mapping.columns):
        if column is not None and column not in positions:
            positions[column] = position
    return positions


def _header_issues(
    raw: RawTable, mapping: HeaderMapping, make: IssueFactory, *, dictionary: bool
) -> list[ValidationIssue]:
    issues = []
    for position in mapping.unknown:
        header = raw.headers[position]
        suggest = unknown_header_hint(header)
        issue = make.make(
            "header.unknown",
            column=header.strip() or f"[{raw.column_letters[position]}]",
            value=header,
            header=header.strip() or f"[{raw.column_letters[position]}]",
            suggest_zh=suggest[0],
            suggest_en=suggest[1],
        )
        issues.append(issue)
    for column, positions in sorted(mapping.duplicates.items()):
        shown = "、".join(f"{raw.column_letters[p]}「{raw.headers[p].strip()}」" for p in positions)
        names = names_of(column) if dictionary else {"name_zh": column, "name_en": column}
        issues.append(make.make("header.duplicate", column=column, headers=shown, **names))
    for position, unit in sorted(mapping.unit_mismatches.items()):
        column = mapping.columns[position]
        if column is None:  # a mismatch is only recorded for a mapped header
            continue
        spec = column_spec(column)
        issues.append(
            make.make(
                "header.unit_mismatch",
                column=column,
                value=raw.headers[position],
                header=raw.headers[position].strip(),
                unit=unit,
                expected=spec.unit_zh,
                **names_of(column),
            )
        )
    return issues


def _parse_codes(
    texts: pd.Series | None, n: int, make: IssueFactory
) -> tuple[list[str | None], list[ValidationIssue]]:
    codes: list[str | None] = [None] * n
    issues = []
    if texts is None:
        return codes, issues
    for position, text in enumerate(texts.tolist()):
        code = clean_county_code(text)
        if is_missing(text):
            issues.append(make.make("county_code.missing", position=position, column="county_code"))
        elif is_valid_county_code(code):
            codes[position] = code
        else:
            hint = (
                SPECIAL_HINTS["leading_zero"]
                if code.isascii() and code.isdigit() and len(code) == 5
                else None
            )
            issues.append(
                make.make(
                    "county_code.format",
                    position=position,
                    column="county_code",
                    value=text,
                    hint=hint,
                )
            )
    return codes, issues


def _county_groups(codes: Sequence[str | None], keys: Sequence[object]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for position, (code, key) in enumerate(zip(codes, keys, strict=True)):
        if code is not None and key is not None:
            groups[code].append(position)
    return groups


def _row_list(raw: RawTable, positions: Iterable[int]) -> str:
    return ", ".join(str(raw.row_numbers[p]) for p in sorted(positions))


def _label_issues(
    column: str,
    texts: pd.Series,
    codes: Sequence[str | None],
    make: IssueFactory,
) -> list[ValidationIssue]:
    """Rows whose label differs from the county's most frequent label."""
    by_county: dict[str, dict[int, str]] = defaultdict(dict)
    for position, text in enumerate(texts.tolist()):
        if codes[position] is not None and not is_missing(text):
            by_county[codes[position]][position] = " ".join(clean_text(text).split())
    issues = []
    for code, labels in by_county.items():
        counts = Counter(labels.values())
        if len(counts) < 2:
            continue
        usual = min(counts, key=lambda label: (-counts[label], label))
        shown = "、".join(sorted(counts))
        for position, label in labels.items():
            if label != usual:
                issues.append(
                    make.make(
                        f"{column}.inconsistent",
                        position=position,
                        column=column,
                        value=texts.iloc[position],
                        county_code=code,
                        values=shown,
                    )
                )
    return issues


# --------------------------------------------------------------------------------------------
# Wide panel
# --------------------------------------------------------------------------------------------


@dataclass
class _PanelWork:
    """Working state of one panel validation (parsed columns and row ownership)."""

    raw: RawTable
    make: IssueFactory
    texts: dict[str, pd.Series]
    codes: list[str | None]
    years: list[int | None]
    numbers: dict[str, np.ndarray]

    @property
    def n(self) -> int:
        return len(self.raw.frame)


def _parse_years(work: _PanelWork) -> list[ValidationIssue]:
    texts = work.texts.get("year")
    if texts is None:
        return []
    issues = []
    for position, text in enumerate(texts.tolist()):
        owner = work.codes[position]
        if is_missing(text):
            issues.append(
                work.make.make("year.missing", position=position, column="year", county_code=owner)
            )
            continue
        year = parse_whole_year(text)
        if year is None:
            period = parse_period(text)
            hint = SPECIAL_HINTS["half_year"] if period is not None else None
            issues.append(
                work.make.make(
                    "year.invalid",
                    position=position,
                    column="year",
                    value=text,
                    county_code=owner,
                    hint=hint,
                )
            )
        elif not YEAR_MIN <= year <= YEAR_MAX:
            issues.append(
                work.make.make(
                    "year.range",
                    position=position,
                    column="year",
                    value=text,
                    county_code=owner,
                    low=YEAR_MIN,
                    high=YEAR_MAX,
                )
            )
        else:
            work.years[position] = year
    return issues


def _parse_numbers(work: _PanelWork) -> list[ValidationIssue]:
    issues = []
    for spec in data_dictionary():
        texts = work.texts.get(spec.column)
        if texts is None or not spec.is_numeric:
            continue
        values, problems = parse_numeric_column(texts, allow_percent=spec.kind == "rate")
        work.numbers[spec.column] = values
        names = names_of(spec.column)
        for position, problem in sorted(problems.items()):
            hint = None
            if problem == "excel_error":
                hint = SPECIAL_HINTS["excel_error"]
            elif problem == "percent":
                zh, en = SPECIAL_HINTS["percent"]
                hint = (zh.format(unit=spec.unit_zh), en.format(unit=spec.unit_en))
            issues.append(
                work.make.make(
                    "value.non_numeric",
                    position=position,
                    column=spec.column,
                    value=texts.iloc[position],
                    county_code=work.codes[position],
                    hint=hint,
                    **names,
                )
            )
        if spec.kind == "rate":
            bad = np.flatnonzero((values < 0) | (values > 100))
            rule = "rate.range"
        else:
            bad = np.flatnonzero(values < 0)
            rule = "value.negative"
        for position in bad:
            issues.append(
                work.make.make(
                    rule,
                    position=int(position),
                    column=spec.column,
                    value=texts.iloc[int(position)],
                    county_code=work.codes[int(position)],
                    **names,
                )
            )
    return issues


def _missing_required_values(work: _PanelWork) -> list[ValidationIssue]:
    issues = []
    for column in required_columns():
        if column in {"county_code", "year"} or column not in work.texts:
            continue
        blank = [p for p, text in enumerate(work.texts[column].tolist()) if is_missing(text)]
        if blank and len(blank) == work.n:
            issue = work.make.make("value.missing_required", column=column, **names_of(column))
            issues.append(issue)
            continue
        for position in blank:
            issues.append(
                work.make.make(
                    "value.missing_required",
                    position=position,
                    column=column,
                    county_code=work.codes[position],
                    **names_of(column),
                )
            )
    return issues


def _duplicate_keys(work: _PanelWork) -> tuple[set[int], list[ValidationIssue]]:
    by_key: dict[tuple[str, int], list[int]] = defaultdict(list)
    for position, (code, year) in enumerate(zip(work.codes, work.years, strict=True)):
        if code is not None and year is not None:
            by_key[(code, year)].append(position)
    duplicated: set[int] = set()
    issues = []
    for (code, year), positions in by_key.items():
        if len(positions) < 2:
            continue
        duplicated.update(positions)
        rows = _row_list(work.raw, positions)
        for position in positions:
            issues.append(
                work.make.make(
                    "county_year.duplicate",
                    position=position,
                    column="year",
                    value=str(year),
                    county_code=code,
                    year=year,
                    rows=rows,
                )
            )
    return duplicated, issues


def _check_reform_years(work: _PanelWork) -> tuple[list[int | None], list[ValidationIssue]]:
    """Parse reform years, check them, and give every row of a county its reform year."""
    reform: list[int | None] = [None] * work.n
    texts = work.texts.get("reform_year")
    if texts is None:
        return reform, []
    issues = []
    valid_years = [y for y in work.years if y is not None]
    high = max(valid_years) if valid_years else YEAR_MAX
    for position, text in enumerate(texts.tolist()):
        if is_missing(text):
            continue
        owner = work.codes[position]
        year = parse_whole_year(text)
        if year is None:
            issues.append(
                work.make.make(
                    "reform_year.invalid",
                    position=position,
                    column="reform_year",
                    value=text,
                    county_code=owner,
                )
            )
        elif not REFORM_YEAR_MIN <= year <= high:
            issues.append(
                work.make.make(
                    "reform_year.range",
                    position=position,
                    column="reform_year",
                    value=text,
                    county_code=owner,
                    low=REFORM_YEAR_MIN,
                    high=high,
                )
            )
        else:
            reform[position] = year
    groups = _county_groups(work.codes, [True] * work.n)
    for code, positions in groups.items():
        given = {p: reform[p] for p in positions if reform[p] is not None}
        distinct = Counter(given.values())
        if len(distinct) > 1:
            usual = min(distinct, key=lambda year: (-distinct[year], year))
            shown = "、".join(str(year) for year in sorted(distinct))
            for position, year in given.items():
                if year != usual:
                    issues.append(
                        work.make.make(
                            "reform_year.inconsistent",
                            position=position,
                            column="reform_year",
                            value=texts.iloc[position],
                            county_code=code,
                            values=shown,
                        )
                    )
        elif len(distinct) == 1:
            year = next(iter(distinct))
            blank = [p for p in positions if is_missing(texts.iloc[p])]
            if blank:
                issues.append(
                    work.make.make(
                        "reform_year.partly_blank",
                        column="reform_year",
                        value=str(year),
                        county_code=code,
                    )
                )
            for position in blank:
                reform[position] = year
    return reform, issues


def _sums(work: _PanelWork, columns: Sequence[str]) -> np.ndarray:
    # NaN when any part is missing: a partial sum would understate the total.
    return np.sum([work.numbers[column] for column in columns], axis=0)


def _zh_names(columns: Sequence[str]) -> str:
    return "+".join(column_spec(column).name_zh for column in columns)


def _en_names(columns: Sequence[str]) -> str:
    return " + ".join(column for column in columns)


def _check_shares(
    work: _PanelWork, constraints: Iterable[ShareConstraintLike]
) -> list[ValidationIssue]:
    issues = []
    seen: set[tuple[tuple[str, ...], tuple[str, ...]]] = set()
    for constraint in constraints:
        numerator, denominator = tuple(constraint.numerator), tuple(constraint.denominator)
        key = (tuple(sorted(numerator)), tuple(sorted(denominator)))
        needed = set(numerator) | set(denominator)
        if key in seen or not needed <= set(work.numbers):
            continue
        seen.add(key)
        top, bottom = _sums(work, numerator), _sums(work, denominator)
        with np.errstate(invalid="ignore"):
            above = top > bottom * (1 + _SHARE_TOLERANCE) + _SHARE_TOLERANCE
        name_zh, name_en = indicator_names(constraint.code)
        wording = {
            "indicator_zh": name_zh,
            "indicator_en": name_en,
            "numerator_zh": _zh_names(numerator),
            "numerator_en": _en_names(numerator),
            "denominator_zh": _zh_names(denominator),
            "denominator_en": _en_names(denominator),
        }
        for position in np.flatnonzero(above):
            position = int(position)
            issues.append(
                work.make.make(
                    "share.numerator_above_denominator",
                    position=position,
                    column=numerator[0],
                    value=f"{format_number(top[position])} > {format_number(bottom[position])}",
                    county_code=work.codes[position],
                    **wording,
                    numerator=format_number(top[position]),
                    denominator=format_number(bottom[position]),
                )
            )
    return issues


def _check_plausibility(work: _PanelWork) -> list[ValidationIssue]:
    issues = []
    for check in PLAUSIBILITY_RANGES:
        if not set(check.numerator) | set(check.denominator) <= set(work.numbers):
            continue
        top, bottom = _sums(work, check.numerator), _sums(work, check.denominator)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(bottom > 0, top / bottom * 100, np.nan)
            outside = (share < check.low) | (share > check.high)
        for position in np.flatnonzero(outside):
            position = int(position)
            issues.append(
                work.make.make(
                    "plausibility.share_range",
                    position=position,
                    column=check.numerator[0],
                    value=f"{share[position]:.1f}%",
                    county_code=work.codes[position],
                    indicator_zh=check.name_zh,
                    indicator_en=check.name_en,
                    share=f"{share[position]:.1f}",
                    low=f"{check.low:g}",
                    high=f"{check.high:g}",
                )
            )
    return issues


def _check_jumps(work: _PanelWork, duplicated: set[int]) -> list[ValidationIssue]:
    at: dict[tuple[str, int], int] = {}
    for position, (code, year) in enumerate(zip(work.codes, work.years, strict=True)):
        if code is not None and year is not None and position not in duplicated:
            at[(code, year)] = position
    pairs = [
        (at[(code, year - 1)], position)
        for (code, year), position in at.items()
        if (code, year - 1) in at
    ]
    if not pairs:
        return []
    before = np.array([p for p, _ in pairs])
    after = np.array([p for _, p in pairs])
    issues = []
    for spec in data_dictionary():
        if spec.kind not in {"count", "amount"} or spec.column not in work.numbers:
            continue
        values = work.numbers[spec.column]
        previous, current = values[before], values[after]
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = current / previous
            flagged = (
                (previous > 0)
                & (current > 0)
                & (np.maximum(previous, current) >= JUMP_MIN_MAGNITUDE)
                & ((ratio > JUMP_FACTOR) | (ratio < 1 / JUMP_FACTOR))
            )
        for index in np.flatnonzero(flagged):
            position = int(after[index])
            year = work.years[position]
            issues.append(
                work.make.make(
                    "value.yoy_jump",
                    position=position,
                    column=spec.column,
                    value=work.texts[spec.column].iloc[position],
                    county_code=work.codes[position],
                    previous_year=(year or 0) - 1,
                    year=year,
                    previous=format_number(previous[index]),
                    current=format_number(current[index]),
                    **names_of(spec.column),
                    **jump_note(spec.column, float(ratio[index])),
                )
            )
    return issues


def _check_gaps(work: _PanelWork) -> list[ValidationIssue]:
    issues = []
    groups = _county_groups(work.codes, work.years)
    for code, positions in groups.items():
        years = {work.years[p] for p in positions}
        first, last = min(years), max(years)  # type: ignore[type-var]
        for missing in sorted(set(range(first, last + 1)) - years):  # type: ignore[arg-type]
            issues.append(
                work.make.make(
                    "year.gap",
                    column="year",
                    value=str(missing),
                    county_code=code,
                    first=first,
                    last=last,
                )
            )
    return issues


def _check_empty_columns(work: _PanelWork) -> list[ValidationIssue]:
    issues = []
    for spec in data_dictionary():
        texts = work.texts.get(spec.column)
        if texts is None or work.n == 0:
            continue
        if not spec.required and all(is_missing(text) for text in texts.tolist()):
            names = names_of(spec.column)
            issues.append(work.make.make("column.empty", column=spec.column, **names))
        elif spec.kind == "rate":
            values = work.numbers.get(spec.column, np.array([]))
            finite = values[np.isfinite(values)]
            if finite.size and finite.max() <= 1 and finite.max() > 0:
                issues.append(
                    work.make.make(
                        "rate.looks_like_share", column=spec.column, **names_of(spec.column)
                    )
                )
    return issues


def _label_values(texts: pd.Series | None, n: int) -> list[str | None]:
    if texts is None:
        return [None] * n
    return [None if is_missing(text) else text.strip() for text in texts.tolist()]


def _typed_panel(work: _PanelWork, reform: list[int | None], keep: Sequence[int]) -> pd.DataFrame:
    keep = list(keep)
    columns: dict[str, object] = {}
    for spec in data_dictionary():
        column = spec.column
        if column == "county_code":
            columns[column] = pd.array([work.codes[p] for p in keep], dtype="string")
        elif column == "year":
            columns[column] = np.array([work.years[p] for p in keep], dtype="int64")
        elif column == "reform_year":
            columns[column] = pd.array([reform[p] for p in keep], dtype="Int64")
        elif spec.is_numeric:
            values = work.numbers.get(column)
            columns[column] = (
                np.full(len(keep), np.nan) if values is None else values[keep].astype("float64")
            )
        else:
            labels = _label_values(work.texts.get(column), work.n)
            columns[column] = pd.array([labels[p] for p in keep], dtype="string")
    frame = pd.DataFrame(columns)
    return frame.sort_values(["county_code", "year"], kind="stable").reset_index(drop=True)


def _catalogue_constraints() -> tuple[ShareConstraintLike, ...]:
    from ylt_eval.metrics.catalogue import share_constraints

    return share_constraints()


def validate_panel(
    raw: RawTable, *, share_constraints: Iterable[ShareConstraintLike] | None = None
) -> tuple[pd.DataFrame | None, ValidationReport]:
    """Check a wide county × year panel and convert its text to typed values.

    Every rule runs on every row, so the report lists all problems at once.

    Parameters
    ----------
    raw : RawTable
        Table read by :func:`ylt_eval.readers.read_table` (not modified).
    share_constraints : iterable of ShareConstraint, optional
        Numerator ≤ denominator constraints; by default those of the indicator catalogue
        (:func:`ylt_eval.metrics.catalogue.share_constraints`).

    Returns
    -------
    panel : pandas.DataFrame or None
        One row per county × year, all dictionary columns in dictionary order (columns absent
        from the file are all-missing), sorted by ``county_code`` and ``year``: ``county_code``
        and labels as strings, ``year`` int64, ``reform_year`` nullable Int64, measured columns
        float64. Counties with blocking errors are left out; None when an error is not tied to
        a county (missing required column, malformed code, unreadable rows ...).
    report : ValidationReport
    """
    if share_constraints is None:
        share_constraints = _catalogue_constraints()
    constraints = tuple(share_constraints)
    mapping = map_headers(raw.headers, "panel")
    make = IssueFactory(raw, mapping)
    issues = [make.from_read_problem(problem) for problem in raw.problems]
    issues += _header_issues(raw, mapping, make, dictionary=True)
    positions = _first_positions(mapping)
    texts = {column: raw.frame.iloc[:, position] for column, position in positions.items()}
    for column in required_columns():
        if column not in texts:
            issues.append(make.make("column.missing_required", column=column, **names_of(column)))
    n = len(raw.frame)
    if n == 0:
        issues.append(make.make("file.no_data"))
        return None, ValidationReport(tuple(issues))
    codes, code_issues = _parse_codes(texts.get("county_code"), n, make)
    issues += code_issues
    work = _PanelWork(raw, make, texts, codes, [None] * n, {})
    issues += _parse_years(work)
    issues += _parse_numbers(work)
    issues += _missing_required_values(work)
    duplicated, duplicate_issues = _duplicate_keys(work)
    issues += duplicate_issues
    for column in ("county_name", "province"):
        if column in texts:
            issues += _label_issues(column, texts[column], codes, make)
    reform, reform_issues = _check_reform_years(work)
    issues += reform_issues
    issues += _check_shares(work, constraints)
    issues += _check_plausibility(work)
    issues += _check_jumps(work, duplicated)
    issues += _check_gaps(work)
    issues += _check_empty_columns(work)
    report = ValidationReport(tuple(issues))
    if report.file_level_errors:
        return None, report
    affected = set(report.affected_counties())
    keep = [
        p
        for p in range(n)
        if codes[p] is not None and work.years[p] is not None and codes[p] not in affected
    ]
    return _typed_panel(work, reform, keep), report


# --------------------------------------------------------------------------------------------
# Long format
# --------------------------------------------------------------------------------------------


def _catalogue_codes() -> tuple[str, ...]:
    from ylt_eval.metrics.catalogue import catalogue

    return tuple(item.code for item in catalogue())


def validate_long(
    raw: RawTable, known_codes: Iterable[str] | None = None
) -> tuple[pd.DataFrame | None, ValidationReport]:
    """Check an indicator-level long table (county × period × indicator → value).

    Headers may be machine names or Chinese (县级行政区划代码, 县（市、区）名称, 年份,
    指标代码, 数值). The period is a year (``2023``) or a half-year (``2023H1``, ``2023H2``,
    ``2023年上半年``).

    Parameters
    ----------
    raw : RawTable
        Table read by :func:`ylt_eval.readers.read_table` (not modified).
    known_codes : iterable of str, optional
        Accepted indicator codes; by default those of the indicator catalogue.

    Returns
    -------
    long : pandas.DataFrame or None
        Columns ``county_code``, ``county_name``, ``period`` (string: ``"2023"`` or
        ``"2023H1"``), ``year`` (int64), ``indicator`` (string), ``value`` (float64), sorted by
        county, period and indicator; rows with a blank value are dropped. Counties with
        blocking errors are left out; None when an error is not tied to a county.
    report : ValidationReport
    """
    known = tuple(_catalogue_codes() if known_codes is None else known_codes)
    known_set = set(known)
    mapping = map_headers(raw.headers, "long")
    make = IssueFactory(raw, mapping)
    issues = [make.from_read_problem(problem) for problem in raw.problems]
    issues += _header_issues(raw, mapping, make, dictionary=False)
    positions = _first_positions(mapping)
    texts = {column: raw.frame.iloc[:, position] for column, position in positions.items()}
    for column in LONG_REQUIRED:
        if column not in texts:
            issues.append(
                make.make(
                    "column.missing_required",
                    column=column,
                    name_zh=column,
                    name_en=column,
                    template_zh=column,
                )
            )
    n = len(raw.frame)
    if n == 0:
        issues.append(make.make("file.no_data"))
        return None, ValidationReport(tuple(issues))
    codes, code_issues = _parse_codes(texts.get("county_code"), n, make)
    issues += code_issues
    periods: list[tuple[int, str] | None] = [None] * n
    for position, text in enumerate(texts["year"].tolist() if "year" in texts else []):
        owner = codes[position]
        if is_missing(text):
            issues.append(
                make.make("year.missing", position=position, column="year", county_code=owner)
            )
            continue
        period = parse_period(text)
        if period is None:
            issues.append(
                make.make(
                    "period.invalid",
                    position=position,
                    column="year",
                    value=text,
                    county_code=owner,
                )
            )
        elif not YEAR_MIN <= period[0] <= YEAR_MAX:
            issues.append(
                make.make(
                    "year.range",
                    position=position,
                    column="year",
                    value=text,
                    county_code=owner,
                    low=YEAR_MIN,
                    high=YEAR_MAX,
                )
            )
        else:
            periods[position] = period
    indicators: list[str | None] = [None] * n
    for position, text in enumerate(texts["indicator"].tolist() if "indicator" in texts else []):
        owner = codes[position]
        code = clean_text(text)
        if is_missing(text):
            issues.append(
                make.make(
                    "indicator.missing", position=position, column="indicator", county_code=owner
                )
            )
        elif code not in known_set:
            close = close_matches(code, known)
            suggest = (
                (
                    f"最接近的指标代码：{'、'.join(close)}",
                    f"closest known codes: {', '.join(close)}",
                )
                if close
                else ("请使用指标目录中的代码", "use a code from the indicator catalogue")
            )
            issues.append(
                make.make(
                    "indicator.unknown",
                    position=position,
                    column="indicator",
                    value=text,
                    county_code=owner,
                    suggest_zh=suggest[0],
                    suggest_en=suggest[1],
                )
            )
        else:
            indicators[position] = code
    values = np.full(n, np.nan)
    blank_value: set[int] = set()
    if "value" in texts:
        values, problems = parse_numeric_column(texts["value"], allow_percent=True)
        for position, problem in sorted(problems.items()):
            hint = SPECIAL_HINTS["excel_error"] if problem == "excel_error" else None
            issues.append(
                make.make(
                    "value.non_numeric",
                    position=position,
                    column="value",
                    value=texts["value"].iloc[position],
                    county_code=codes[position],
                    hint=hint,
                    name_zh="数值",
                    name_en="value",
                )
            )
        for position, text in enumerate(texts["value"].tolist()):
            if is_missing(text):
                blank_value.add(position)
                issues.append(
                    make.make(
                        "value.missing",
                        position=position,
                        column="value",
                        county_code=codes[position],
                        indicator=clean_text(texts["indicator"].iloc[position])
                        if "indicator" in texts
                        else "",
                    )
                )
    by_key: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for position in range(n):
        if codes[position] and periods[position] and indicators[position]:
            by_key[(codes[position], periods[position][1], indicators[position])].append(position)
    for (code, period, indicator), rows in by_key.items():
        if len(rows) > 1:
            shown = _row_list(raw, rows)
            for position in rows:
                issues.append(
                    make.make(
                        "county_period_indicator.duplicate",
                        position=position,
                        column="indicator",
                        value=indicator,
                        county_code=code,
                        period=period,
                        indicator=indicator,
                        rows=shown,
                    )
                )
    if "county_name" in texts:
        issues += _label_issues("county_name", texts["county_name"], codes, make)
    report = ValidationReport(tuple(issues))
    if report.file_level_errors:
        return None, report
    affected = set(report.affected_counties())
    keep = [
        p
        for p in range(n)
        if codes[p] is not None
        and codes[p] not in affected
        and periods[p] is not None
        and indicators[p] is not None
        and p not in blank_value
    ]
    names = _label_values(texts.get("county_name"), n)
    frame = pd.DataFrame(
        {
            "county_code": pd.array([codes[p] for p in keep], dtype="string"),
            "county_name": pd.array([names[p] for p in keep], dtype="string"),
            "period": pd.array([periods[p][1] for p in keep], dtype="string"),  # type: ignore[index]
            "year": np.array([periods[p][0] for p in keep], dtype="int64"),  # type: ignore[index]
            "indicator": pd.array([indicators[p] for p in keep], dtype="string"),
            "value": values[keep].astype("float64"),
        }
    )
    frame = frame.sort_values(["county_code", "period", "indicator"], kind="stable")
    return frame.reset_index(drop=True), report


# --------------------------------------------------------------------------------------------
# Format detection and one-call loading
# --------------------------------------------------------------------------------------------


def detect_format(raw: RawTable) -> InputFormat:
    """Tell the long format (has indicator and value columns) from the wide panel.

    Parameters
    ----------
    raw : RawTable

    Returns
    -------
    {"panel", "long"}
    """
    mapped = set(map_headers(raw.headers, "long").columns)
    return "long" if {"indicator", "value"} <= mapped else "panel"


@dataclass(frozen=True, eq=False)
class LoadedInput:
    """Result of :func:`load_input`.

    Attributes
    ----------
    path : pathlib.Path
        File read.
    sha256 : str or None
        SHA-256 of the file's bytes (None when the file was refused for its size).
    format : {"panel", "long"} or None
        Detected format; None when the file could not be read.
    panel : pandas.DataFrame or None
        Typed wide panel (format "panel"), see :func:`validate_panel`.
    long : pandas.DataFrame or None
        Typed long table (format "long"), see :func:`validate_long`.
    encoding : str or None
        Text encoding of a CSV file.
    sheets : tuple of str
        Worksheets read.
    """

    path: Path
    sha256: str | None
    format: InputFormat | None = None
    panel: pd.DataFrame | None = None
    long: pd.DataFrame | None = None
    encoding: str | None = None
    sheets: tuple[str, ...] = ()


def file_sha256(path: str | Path) -> str:
    """SHA-256 hex digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_input(
    path: str | Path,
    *,
    sheet: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    share_constraints: Iterable[ShareConstraintLike] | None = None,
    known_codes: Iterable[str] | None = None,
) -> tuple[LoadedInput, ValidationReport]:
    """Read a file, detect its format and validate it.

    A file that cannot be read (empty, binary, undecodable, malformed, macro-enabled, too
    large ...) gives a report with one file-level error instead of an exception.

    Parameters
    ----------
    path : str or pathlib.Path
        ``.csv``, ``.xlsx`` or ``.parquet`` file.
    sheet : str, optional
        Worksheet to read (xlsx only).
    max_bytes : int, default 50 MB
        Larger files are refused before parsing.
    share_constraints : iterable of ShareConstraint, optional
        Passed to :func:`validate_panel`.
    known_codes : iterable of str, optional
        Passed to :func:`validate_long`.

    Returns
    -------
    loaded : LoadedInput
    report : ValidationReport

    Raises
    ------
    ParameterError
        The path does not exist, its extension is not supported, or Parquet support is not
        installed (problems of the call, not of the data).
    """
    path = Path(path)
    try:
        raw = read_table(path, sheet=sheet, max_bytes=max_bytes)
    except InputFileError as exc:
        sha = file_sha256(path) if path.stat().st_size <= max_bytes else None
        issue = issue_from_read_problem(exc.problem, path.name)
        return LoadedInput(path=path, sha256=sha), ValidationReport((issue,))
    sha = file_sha256(path)
    kind = detect_format(raw)
    common = {
        "path": path,
        "sha256": sha,
        "format": kind,
        "encoding": raw.encoding,
        "sheets": raw.sheets,
    }
    if kind == "long":
        long, report = validate_long(raw, known_codes)
        return LoadedInput(long=long, **common), report
    panel, report = validate_panel(raw, share_constraints=share_constraints)
    return LoadedInput(panel=panel, **common), report
