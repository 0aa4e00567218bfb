"""Validate the indicator-level long format (county × period × indicator → value)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ylt_eval.readers import (
    RawTable,
    map_headers,
)
from ylt_eval.validation.common import (
    first_positions,
    header_issues,
    label_issues,
    label_values,
    parse_codes,
    row_list,
)
from ylt_eval.validation.parsing import (
    clean_text,
    close_matches,
    is_missing,
    parse_numeric_column,
    parse_period,
)
from ylt_eval.validation.report import ValidationReport
from ylt_eval.validation.rules import (
    SPECIAL_HINTS,
    YEAR_MAX,
    YEAR_MIN,
    IssueFactory,
)

#: Required columns of the long format (``county_name`` and ``province`` are optional).
LONG_REQUIRED: tuple[str, ...] = ("county_code", "year", "indicator", "value")


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
        Columns ``county_code``, ``county_name``, ``province`` (optional in the input; blank
        when absent), ``period`` (string: ``"2023"`` or
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
    issues += header_issues(raw, mapping, make, dictionary=False)
    positions = first_positions(mapping)
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
    codes, code_issues = parse_codes(texts.get("county_code"), n, make)
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
            shown = row_list(raw, rows)
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
    for label in ("county_name", "province"):
        if label in texts:
            issues += label_issues(label, texts[label], codes, make)
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
    names = label_values(texts.get("county_name"), n)
    provinces = label_values(texts.get("province"), n)
    frame = pd.DataFrame(
        {
            "county_code": pd.array([codes[p] for p in keep], dtype="string"),
            "county_name": pd.array([names[p] for p in keep], dtype="string"),
            "province": pd.array([provinces[p] for p in keep], dtype="string"),
            "period": pd.array([periods[p][1] for p in keep], dtype="string"),  # type: ignore[index]
            "year": np.array([periods[p][0] for p in keep], dtype="int64"),  # type: ignore[index]
            "indicator": pd.array([indicators[p] for p in keep], dtype="string"),
            "value": values[keep].astype("float64"),
        }
    )
    frame = frame.sort_values(["county_code", "period", "indicator"], kind="stable")
    return frame.reset_index(drop=True), report
