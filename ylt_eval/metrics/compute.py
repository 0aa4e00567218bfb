"""Compute catalogue indicators from the raw panel and reconcile them with supplied values.

All functions return new DataFrames: callers' frames are never modified, and results do not
depend on the row order of the input.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from ylt_eval.errors import DataValidationError, ParameterError
from ylt_eval.metrics.catalogue import Indicator, catalogue, indicator
from ylt_eval.schema import LONG_COLUMNS

#: Columns of the long table returned by :func:`compute_indicators`, in order.
COMPUTED_COLUMNS: tuple[str, ...] = (
    "county_code",
    "county_name",
    "province",
    "year",
    "indicator",
    "value",
)

#: Columns of the merged table returned by :func:`combine_sources`, in order.
COMBINED_COLUMNS: tuple[str, ...] = (*COMPUTED_COLUMNS, "source")

#: Columns of the disagreement table returned by :func:`combine_sources`, in order.
DISAGREEMENT_COLUMNS: tuple[str, ...] = ("county_code", "year", "indicator", "computed", "supplied")

#: Columns of the table returned by :func:`headline_table`, in order.
HEADLINE_COLUMNS: tuple[str, ...] = (
    "code",
    "name_zh",
    "name_en",
    "unit_zh",
    "unit_en",
    "direction",
    "value",
    "previous",
    "change",
)

_KEY = ["county_code", "year", "indicator"]


def compute_indicators(panel: pd.DataFrame, codes: Iterable[str] | None = None) -> pd.DataFrame:
    """Compute catalogue indicators for every county-year of a raw panel.

    Parameters
    ----------
    panel : pandas.DataFrame
        Raw panel, one row per ``county_code`` × ``year`` (columns of the data dictionary).
        Measured columns that are absent are treated as missing, not as zero.
    codes : iterable of str, optional
        Indicators to compute; all non-qualitative indicators by default. Qualitative codes
        are skipped (they have no formula). Indicators a requested one depends on (the base of
        a growth rate) are computed internally but only returned if requested.

    Returns
    -------
    pandas.DataFrame
        Long table with columns ``county_code, county_name, province, year, indicator,
        value``, sorted by county_code, year and catalogue order. ``value`` is float and NaN
        when an input is missing, a denominator is 0 or (for growth) the previous calendar
        year of the same county is absent.

    Raises
    ------
    DataValidationError
        If ``county_code`` or ``year`` is missing, a year is not an integer, a county-year
        appears twice or a measured column holds non-numeric values.
    ParameterError
        If a requested code is not in the catalogue.

    Notes
    -----
    ratio
        ``sum(numerator columns) / sum(denominator columns) × scale``; NaN if any of those
        columns is NaN in that row.
    growth
        ``(value[t] / value[t-1] − 1) × 100`` with ``t-1`` the previous calendar year.
    quotient
        ``value(numerator_indicator) / value(denominator_indicator) × scale``.
    input
        The panel column as is.
    """
    selected = _select(codes)
    frame = _sorted_panel(panel)
    evaluator = _Evaluator(frame)
    n_rows, n_codes = len(frame), len(selected)
    # One row per county-year, one column per indicator; raveled row-major this gives the
    # county, year, catalogue-order sort of the long table.
    matrix = np.empty((n_rows, n_codes), dtype=np.float64)
    for position, item in enumerate(selected):
        matrix[:, position] = evaluator.value(item)
    result = pd.DataFrame(
        {
            "county_code": np.repeat(frame["county_code"].to_numpy(dtype=object), n_codes),
            "county_name": np.repeat(_label(frame, "county_name"), n_codes),
            "province": np.repeat(_label(frame, "province"), n_codes),
            "year": np.repeat(frame["year"].to_numpy(dtype=np.int64), n_codes),
            "indicator": np.tile(np.array([item.code for item in selected], dtype=object), n_rows),
            "value": matrix.reshape(-1),
        }
    )
    for name in ("county_code", "county_name", "province", "indicator"):
        result[name] = result[name].astype("str")
    return result


def long_to_wide(long_df: pd.DataFrame) -> pd.DataFrame:
    """Pivot a long indicator table to one row per county-year and one column per indicator.

    Parameters
    ----------
    long_df : pandas.DataFrame
        Must have ``county_code, year, indicator, value``.

    Returns
    -------
    pandas.DataFrame
        Columns ``county_code, year`` followed by the indicators (catalogue order first, any
        others alphabetically); rows sorted by county_code, year.

    Raises
    ------
    DataValidationError
        If a column is missing or a county-year-indicator appears twice.
    """
    frame = _normalised_long(long_df, "long table", ("county_code", "year", "indicator", "value"))
    wide = frame.pivot(index=["county_code", "year"], columns="indicator", values="value")
    wide = wide.reindex(columns=_ordered_codes(wide.columns)).sort_index()
    wide.columns.name = None
    return wide.reset_index()


def combine_sources(
    computed_long: pd.DataFrame,
    supplied_long: pd.DataFrame,
    rtol: float = 1e-6,
    atol: float = 0.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Merge indicators computed from raw counts with indicator values supplied as such.

    Parameters
    ----------
    computed_long : pandas.DataFrame
        Output of :func:`compute_indicators` (``province`` optional).
    supplied_long : pandas.DataFrame
        Indicator-level values in the long format ``county_code, county_name, year,
        indicator, value`` (shares in percent, e.g. 35.85).
    rtol, atol : float
        Two values agree when ``|computed − supplied| <= atol + rtol × |supplied|``. Published
        figures rounded to two decimals need a looser tolerance than the default.

    Returns
    -------
    combined : pandas.DataFrame
        Columns ``county_code, county_name, province, year, indicator, value, source`` where
        ``source`` is ``"supplied"`` when a supplied value exists (it wins over a computed
        one), ``"computed"`` when only a computed value exists, and missing when neither has a
        value. Sorted by county_code, year and catalogue order.
    disagreements : pandas.DataFrame
        Columns ``county_code, year, indicator, computed, supplied``: the county-year-
        indicators where both sources have a value and they differ beyond the tolerance.

    Raises
    ------
    DataValidationError
        If a column is missing, a key appears twice in one source, a value is non-numeric or
        a supplied indicator code is not in the catalogue.
    ParameterError
        If a tolerance is negative.
    """
    if not (rtol >= 0 and atol >= 0):
        raise ParameterError(f"tolerances must be non-negative, got rtol={rtol}, atol={atol}")
    computed = _normalised_long(
        computed_long, "computed indicators", ("county_code", "year", "indicator", "value")
    )
    supplied = _normalised_long(supplied_long, "supplied indicators", LONG_COLUMNS)
    known = {item.code for item in catalogue()}
    unknown = sorted(set(supplied["indicator"].dropna()) - known)
    if unknown:
        raise DataValidationError(f"supplied indicators use unknown indicator code(s) {unknown}")

    merged = computed.merge(
        supplied, on=_KEY, how="outer", suffixes=("_computed", "_supplied"), sort=False
    )
    computed_value = merged["value_computed"].to_numpy(dtype=np.float64)
    supplied_value = merged["value_supplied"].to_numpy(dtype=np.float64)
    has_supplied = ~np.isnan(supplied_value)
    has_computed = ~np.isnan(computed_value)

    source = np.full(len(merged), None, dtype=object)
    source[has_computed] = "computed"
    source[has_supplied] = "supplied"
    combined = pd.DataFrame(
        {
            "county_code": merged["county_code"],
            "county_name": _first_available(merged, "county_name"),
            "province": _first_available(merged, "province"),
            "year": merged["year"],
            "indicator": merged["indicator"],
            "value": np.where(has_supplied, supplied_value, computed_value),
            "source": pd.Series(source, index=merged.index, dtype="str"),
        }
    )
    combined = _fill_labels_by_county(combined)

    both = has_supplied & has_computed
    with np.errstate(invalid="ignore"):
        agree = np.isclose(computed_value, supplied_value, rtol=rtol, atol=atol)
    conflict = merged.loc[both & ~agree, _KEY].copy()
    conflict["computed"] = computed_value[both & ~agree]
    conflict["supplied"] = supplied_value[both & ~agree]
    return (
        _sorted_long(combined)[list(COMBINED_COLUMNS)],
        _sorted_long(conflict)[list(DISAGREEMENT_COLUMNS)],
    )


def headline_table(
    long_df: pd.DataFrame, county_code: str, year: int, codes: Sequence[str]
) -> pd.DataFrame:
    """Return one county's value, previous-year value and change for selected indicators.

    Parameters
    ----------
    long_df : pandas.DataFrame
        Long indicator table (``county_code, year, indicator, value``).
    county_code : str
        County to report on.
    year : int
        Reporting year; the comparison is with ``year − 1``.
    codes : sequence of str
        Indicator codes, in the order of the table's rows.

    Returns
    -------
    pandas.DataFrame
        Columns ``code, name_zh, name_en, unit_zh, unit_en, direction, value, previous,
        change`` (``change = value − previous``; NaN when either is missing).

    Raises
    ------
    ParameterError
        If a code is unknown or the county does not occur in ``long_df``.
    DataValidationError
        If ``long_df`` lacks a column or repeats a county-year-indicator.
    """
    items = [indicator(code) for code in codes]
    frame = _normalised_long(long_df, "long table", ("county_code", "year", "indicator", "value"))
    county = frame[frame["county_code"] == str(county_code)]
    if county.empty:
        raise ParameterError(f"county {county_code!r} does not occur in the indicator table")
    lookup = county.set_index(["indicator", "year"])["value"]
    year = int(year)

    def value_at(code: str, when: int) -> float:
        return float(lookup.get((code, when), np.nan))

    rows = []
    for item in items:
        current, previous = value_at(item.code, year), value_at(item.code, year - 1)
        rows.append(
            {
                "code": item.code,
                "name_zh": item.name_zh,
                "name_en": item.name_en,
                "unit_zh": item.unit_zh,
                "unit_en": item.unit_en,
                "direction": item.direction,
                "value": current,
                "previous": previous,
                "change": current - previous,
            }
        )
    table = pd.DataFrame(rows, columns=list(HEADLINE_COLUMNS))
    return table.astype({"value": np.float64, "previous": np.float64, "change": np.float64})


class _Evaluator:
    """Evaluates indicators on a panel sorted by county and year, memoising shared inputs."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame
        self._cache: dict[str, np.ndarray] = {}
        county = frame["county_code"].to_numpy(dtype=object)
        year = frame["year"].to_numpy(dtype=np.int64)
        # Row i may be compared with row i−1 only if it is the same county one year later.
        self._has_previous_year = np.zeros(len(frame), dtype=bool)
        if len(frame) > 1:
            self._has_previous_year[1:] = (county[1:] == county[:-1]) & (year[1:] == year[:-1] + 1)

    def value(self, item: Indicator) -> np.ndarray:
        if item.code not in self._cache:
            self._cache[item.code] = self._compute(item)
        return self._cache[item.code]

    def _compute(self, item: Indicator) -> np.ndarray:
        if item.kind == "ratio":
            numerator = self._column_sum(item.numerator)
            denominator = self._column_sum(item.denominator)
            return _safe_divide(numerator, denominator) * item.scale
        if item.kind == "quotient":
            numerator = self.value(indicator(item.numerator_indicator))  # type: ignore[arg-type]
            denominator = self.value(indicator(item.denominator_indicator))  # type: ignore[arg-type]
            return _safe_divide(numerator, denominator) * item.scale
        if item.kind == "growth":
            base = self.value(indicator(item.base))  # type: ignore[arg-type]
            previous = np.full_like(base, np.nan)
            previous[1:] = base[:-1]
            previous[~self._has_previous_year] = np.nan
            return (_safe_divide(base, previous) - 1.0) * 100.0
        if item.kind == "input":
            return self._column(item.column).copy()  # type: ignore[arg-type]
        raise ParameterError(f"indicator {item.code!r} is {item.kind}: it has no formula")

    def _column_sum(self, columns: tuple[str, ...]) -> np.ndarray:
        total = self._column(columns[0]).copy()
        for column in columns[1:]:
            total += self._column(column)  # NaN propagates: no silent zero filling
        return total

    def _column(self, column: str) -> np.ndarray:
        key = f"column:{column}"
        if key not in self._cache:
            if column not in self._frame.columns:
                self._cache[key] = np.full(len(self._frame), np.nan)
            else:
                self._cache[key] = _numeric(self._frame[column], column)
        return self._cache[key]


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        quotient = numerator / denominator
    quotient[denominator == 0] = np.nan
    return quotient


def _numeric(series: pd.Series, column: str) -> np.ndarray:
    try:
        numbers = pd.to_numeric(series, errors="raise")
    except (ValueError, TypeError) as exc:
        raise DataValidationError(f"column {column!r} holds non-numeric values: {exc}") from exc
    return numbers.astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)


def _select(codes: Iterable[str] | None) -> tuple[Indicator, ...]:
    if codes is None:
        return tuple(item for item in catalogue() if item.is_computable)
    if isinstance(codes, str):
        codes = [codes]
    wanted = {indicator(code).code for code in codes}
    return tuple(item for item in catalogue() if item.code in wanted and item.is_computable)


def _sorted_panel(panel: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(panel, pd.DataFrame):
        raise DataValidationError("the panel must be a pandas DataFrame")
    missing = [name for name in ("county_code", "year") if name not in panel.columns]
    if missing:
        raise DataValidationError(f"the panel lacks key column(s) {missing}")
    frame = panel.copy()
    if frame["county_code"].isna().any():
        raise DataValidationError("the panel has rows without a county_code")
    frame["county_code"] = frame["county_code"].astype("str")
    frame["year"] = _integer_years(frame["year"], "the panel")
    duplicated = frame.duplicated(["county_code", "year"], keep=False)
    if duplicated.any():
        pairs = frame.loc[duplicated, ["county_code", "year"]].drop_duplicates().head(5)
        listed = ", ".join(f"{c}/{y}" for c, y in pairs.itertuples(index=False))
        raise DataValidationError(f"the panel repeats county-year(s): {listed}")
    return frame.sort_values(["county_code", "year"], kind="stable").reset_index(drop=True)


def _integer_years(years: pd.Series, what: str) -> pd.Series:
    try:
        numbers = pd.to_numeric(years, errors="raise").astype("Float64")
    except (ValueError, TypeError) as exc:
        raise DataValidationError(f"{what}: 'year' holds non-numeric values") from exc
    if numbers.isna().any() or (numbers != numbers.round()).any():
        raise DataValidationError(f"{what}: 'year' must be a whole calendar year in every row")
    return numbers.astype(np.int64)


def _label(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), None, dtype=object)
    return frame[column].astype("str").to_numpy(dtype=object, na_value=None)


def _normalised_long(long_df: pd.DataFrame, what: str, required: Sequence[str]) -> pd.DataFrame:
    if not isinstance(long_df, pd.DataFrame):
        raise DataValidationError(f"{what} must be a pandas DataFrame")
    missing = [name for name in required if name not in long_df.columns]
    if missing:
        raise DataValidationError(f"{what} lack(s) column(s) {missing}")
    keep = [name for name in COMPUTED_COLUMNS if name in long_df.columns]
    frame = long_df[keep].copy()
    for name in ("county_code", "county_name", "province", "indicator"):
        if name in frame.columns:
            frame[name] = frame[name].astype("str")
    if frame["county_code"].isna().any() or frame["indicator"].isna().any():
        raise DataValidationError(f"{what}: rows without county_code or indicator")
    frame["year"] = _integer_years(frame["year"], what)
    frame["value"] = _numeric(frame["value"], f"{what}: value")
    duplicated = frame.duplicated(_KEY, keep=False)
    if duplicated.any():
        first = frame.loc[duplicated, _KEY].iloc[0]
        raise DataValidationError(
            f"{what} repeat(s) county-year-indicator, e.g. "
            f"{first['county_code']}/{first['year']}/{first['indicator']}"
        )
    return frame


def _first_available(merged: pd.DataFrame, column: str) -> pd.Series:
    candidates = [f"{column}_computed", f"{column}_supplied", column]
    present = [merged[name].astype("str") for name in candidates if name in merged.columns]
    if not present:
        return pd.Series(np.nan, index=merged.index, dtype="str")
    result = present[0]
    for other in present[1:]:
        result = result.fillna(other)
    return result


def _fill_labels_by_county(frame: pd.DataFrame) -> pd.DataFrame:
    # A supplied-only row has no province; borrow the county's labels from its other rows.
    for column in ("county_name", "province"):
        known = frame.dropna(subset=[column]).drop_duplicates("county_code")
        mapping = known.set_index("county_code")[column]
        borrowed = frame["county_code"].map(mapping).astype(frame[column].dtype)
        frame[column] = frame[column].fillna(borrowed)
    return frame


def _ordered_codes(codes: Iterable[str]) -> list[str]:
    position = {item.code: rank for rank, item in enumerate(catalogue())}
    present = list(codes)
    known = sorted((code for code in present if code in position), key=position.__getitem__)
    return known + sorted(code for code in present if code not in position)


def _sorted_long(frame: pd.DataFrame) -> pd.DataFrame:
    position = {code: rank for rank, code in enumerate(_ordered_codes(frame["indicator"].unique()))}
    order = frame["indicator"].map(position).astype(np.int64)
    return (
        frame.assign(_order=order)
        .sort_values(["county_code", "year", "_order"], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )
