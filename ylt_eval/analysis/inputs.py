"""Load an input file once and derive the indicator table every report section uses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ylt_eval.errors import DataValidationError


@dataclass(frozen=True)
class AssessmentData:
    """Validated inputs and the indicator values derived from them.

    Attributes
    ----------
    panel : DataFrame or None
        Raw county × year panel (None when only indicator-level data were given).
    indicators : DataFrame
        Long table ``county_code, county_name, province, year, indicator, value, source``.
    counties : DataFrame
        One row per county: ``county_code, county_name, province, reform_year,
        consortium_name``.
    disagreements : DataFrame
        Cells where supplied indicator values disagree with values computed from raw counts.
    warnings : tuple of str
        Non-blocking validation messages (shown in the report's data-quality notes).
    source_name : str
        File name of the input (no directories, so reports do not leak local paths).
    sha256 : str
        SHA-256 of the input file.
    issues : tuple of ValidationIssue
        The non-blocking validation warnings themselves, in both languages and tied to a county
        where they can be (the report's data-quality section lists the county's own).
    """

    panel: pd.DataFrame | None
    indicators: pd.DataFrame
    counties: pd.DataFrame
    disagreements: pd.DataFrame
    warnings: tuple[str, ...]
    source_name: str
    sha256: str
    issues: tuple = ()


def load_assessment_data(path: str | Path, *, lang: str = "zh") -> AssessmentData:
    """Read, validate and compute indicators for one input file.

    Parameters
    ----------
    path : str or Path
        Raw panel or indicator-level long file (CSV, XLSX, Parquet).
    lang : str
        Language of the warning texts kept for the report.

    Raises
    ------
    DataValidationError
        If the file has file-level blocking errors (nothing can be reported from it).
    """
    from ylt_eval.metrics.compute import combine_sources, compute_indicators
    from ylt_eval.validation import load_input

    loaded, report = load_input(Path(path))
    if report.file_level_errors or (loaded.panel is None and loaded.long is None):
        raise DataValidationError(
            f"{Path(path).name}: the input cannot be used:\n{report.to_text(lang=lang)}",
            report=report,
        )
    frames = []
    if loaded.panel is not None:
        frames.append(compute_indicators(loaded.panel))
    computed = frames[0] if frames else _empty_long()
    supplied = _supplied_long(loaded)
    indicators, disagreements = combine_sources(computed, supplied)
    counties = _county_table(loaded.panel, indicators)
    message = "message_zh" if lang == "zh" else "message_en"
    warnings = tuple(
        f"{issue.column or ''} {('row ' + str(issue.row)) if issue.row else ''}: "
        f"{getattr(issue, message)}".strip()
        for issue in report.warnings
    )
    return AssessmentData(
        panel=loaded.panel,
        indicators=indicators,
        counties=counties,
        disagreements=disagreements,
        warnings=warnings,
        source_name=Path(path).name,
        sha256=loaded.sha256,
        issues=tuple(report.warnings),
    )


def _empty_long() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "county_code": pd.Series(dtype="string"),
            "county_name": pd.Series(dtype="string"),
            "province": pd.Series(dtype="string"),
            "year": pd.Series(dtype="int64"),
            "indicator": pd.Series(dtype="string"),
            "value": pd.Series(dtype="float64"),
        }
    )


def _supplied_long(loaded) -> pd.DataFrame:
    if loaded.long is None:
        return _empty_long()
    long = loaded.long
    if "province" not in long.columns:
        long = long.assign(province=pd.NA)
    annual = (
        long[long["period"].astype(str) == long["year"].astype(str)] if "period" in long else long
    )
    return annual[["county_code", "county_name", "province", "year", "indicator", "value"]]


def _county_table(panel: pd.DataFrame | None, indicators: pd.DataFrame) -> pd.DataFrame:
    columns = ["county_code", "county_name", "province", "reform_year", "consortium_name"]
    if panel is not None:
        last = panel.sort_values(["county_code", "year"]).groupby("county_code").tail(1)
        table = last.reindex(columns=columns)
    else:
        table = (
            indicators.sort_values(["county_code", "year"])
            .groupby("county_code")
            .tail(1)
            .reindex(columns=columns)
        )
    return table.sort_values("county_code").reset_index(drop=True)
