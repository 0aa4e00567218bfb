"""Validate a wide county × year panel and turn its text into typed columns.

Every check runs on every row, so one pass reports all problems. Blocking errors withhold the
affected county (or the whole file when an error cannot be attributed to a county); warnings
are only reported.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ylt_eval.readers import (
    RawTable,
    UnitConversion,
    map_headers,
)
from ylt_eval.schema import column_spec, data_dictionary, required_columns
from ylt_eval.validation.common import (
    county_groups,
    first_positions,
    header_issues,
    label_issues,
    label_values,
    parse_codes,
    row_list,
)
from ylt_eval.validation.parsing import (
    format_number,
    is_missing,
    parse_numeric_cells,
    parse_period,
    parse_whole_year,
)
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
    indicator_names,
    jump_note,
    names_of,
)

#: Relative tolerance when comparing a numerator with its denominator (float rounding).
_SHARE_TOLERANCE = 1e-9


@dataclass
class _PanelWork:
    """Working state of one panel validation (parsed columns and row ownership)."""

    raw: RawTable
    make: IssueFactory
    texts: dict[str, pd.Series]
    codes: list[str | None]
    years: list[int | None]
    numbers: dict[str, np.ndarray]
    header_units: dict[str, UnitConversion]

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
        parsed = parse_numeric_cells(texts, allow_percent=spec.kind == "rate", unit=spec.unit_zh)
        values = parsed.values
        names = names_of(spec.column)
        issues += _cell_problems(work, spec, texts, parsed.problems)
        issues += _cell_conversions(work, spec, texts, parsed)
        header_unit = work.header_units.get(spec.column)
        if header_unit is not None:
            values = header_unit.apply(values)
        elif spec.kind == "rate" and _looks_like_shares(values, parsed.percent_signs):
            values = values * 100
            issues.append(work.make.make("rate.looks_like_share", column=spec.column, **names))
        work.numbers[spec.column] = values
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


def _looks_like_shares(values: np.ndarray, percent_signs: int) -> bool:
    """Every value of a percent column within 0–1 (and none written with %): shares."""
    finite = values[np.isfinite(values)]
    return bool(finite.size) and percent_signs == 0 and 0 < finite.max() <= 1 and finite.min() >= 0


def _cell_problems(work: _PanelWork, spec, texts: pd.Series, problems: dict[int, str]):
    issues = []
    for position, problem in sorted(problems.items()):
        hint = None
        if problem == "excel_error":
            hint = SPECIAL_HINTS["excel_error"]
        elif problem in {"percent", "unit"}:
            zh, en = SPECIAL_HINTS[problem]
            hint = (zh.format(unit=spec.unit_zh), en.format(unit=spec.unit_en))
        issues.append(
            work.make.make(
                "value.non_numeric",
                position=position,
                column=spec.column,
                value=texts.iloc[position],
                county_code=work.codes[position],
                hint=hint,
                **names_of(spec.column),
            )
        )
    return issues


def _cell_conversions(work: _PanelWork, spec, texts: pd.Series, parsed) -> list[ValidationIssue]:
    issues = []
    for position, converted in sorted(parsed.conversions.items()):
        how_zh, how_en = converted.describe()
        issues.append(
            work.make.make(
                "value.unit_converted",
                position=position,
                column=spec.column,
                value=texts.iloc[position],
                county_code=work.codes[position],
                unit=converted.announced,
                expected=spec.unit_zh,
                converted=format_number(parsed.values[position]),
                how_zh=how_zh,
                how_en=how_en,
                **names_of(spec.column),
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
        rows = row_list(work.raw, positions)
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
    groups = county_groups(work.codes, [True] * work.n)
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
    groups = county_groups(work.codes, work.years)
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
    return issues


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
            labels = label_values(work.texts.get(column), work.n)
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
    issues += header_issues(raw, mapping, make, dictionary=True)
    positions = first_positions(mapping)
    texts = {column: raw.frame.iloc[:, position] for column, position in positions.items()}
    for column in required_columns():
        if column not in texts:
            issues.append(make.make("column.missing_required", column=column, **names_of(column)))
    n = len(raw.frame)
    if n == 0:
        issues.append(make.make("file.no_data"))
        return None, ValidationReport(tuple(issues))
    codes, code_issues = parse_codes(texts.get("county_code"), n, make)
    issues += code_issues
    header_units = {
        column: converted
        for position, converted in mapping.unit_conversions.items()
        if (column := mapping.columns[position]) is not None
    }
    work = _PanelWork(raw, make, texts, codes, [None] * n, {}, header_units)
    issues += _parse_years(work)
    issues += _parse_numbers(work)
    issues += _missing_required_values(work)
    duplicated, duplicate_issues = _duplicate_keys(work)
    issues += duplicate_issues
    for column in ("county_name", "province"):
        if column in texts:
            issues += label_issues(column, texts[column], codes, make)
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
