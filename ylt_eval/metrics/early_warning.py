"""Early warnings from annual or half-yearly series (半年监测、年度评估、及时预警纠偏, seed 003).

Three rules, each giving a warning with a full bilingual sentence holding the numbers:

``target_missed``
    the indicator has a target in force and misses it (status ``not_met``);
``wrong_way``
    the indicator moved in the undesirable direction in each of the last
    ``wrong_way_periods`` (default 2) consecutive periods of its frequency — three consecutive
    values each worse than the one before. Worse means lower for ``up``, higher for ``down``,
    farther from the target value for ``target``; ``monitor`` indicators never warn; a gap in
    the series breaks the run;
``peer_outlier``
    the value lies far outside its peer set (province × period × optional peer_group):
    ``|x − median| / (1.4826 · MAD) > 3``, median and MAD over the counties with a value, the
    county itself included. Needs at least ``min_peers`` (default 5) counties; when MAD is 0
    (half or more of the counties share one value) no robust z-score exists and nothing is
    flagged. Applies to every indicator, ``monitor`` included.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ylt_eval.errors import ParameterError
from ylt_eval.metrics.grading import oriented_prepared
from ylt_eval.metrics.targets import (
    Period,
    SeriesLags,
    TargetEvaluation,
    TargetSet,
    catalogue_attribute,
    evaluate_prepared,
    format_number,
    format_values,
    group_median,
    prepare_long,
    unit_suffixes,
)

#: Warning rule codes, in the order they are listed.
RULES: tuple[str, ...] = ("target_missed", "wrong_way", "peer_outlier")

#: Columns of the warning table returned by :func:`detect_warnings`.
WARNING_COLUMNS: tuple[str, ...] = (
    "county_code",
    "county_name",
    "province",
    "period",
    "year",
    "indicator",
    "rule",
    "value",
    "reason_zh",
    "reason_en",
)


@dataclass(frozen=True)
class WarningRules:
    """Settings of the warning rules.

    Attributes
    ----------
    z_threshold : float, default 3.0
        ``peer_outlier`` when the absolute robust z-score exceeds this.
    mad_scale : float, default 1.4826
        Makes the MAD a consistent estimate of the standard deviation for normal data.
    min_peers : int, default 5
        Fewest counties with a value in the peer set for ``peer_outlier``.
    wrong_way_periods : int, default 2
        Consecutive wrong-way moves needed for ``wrong_way``.
    """

    z_threshold: float = 3.0
    mad_scale: float = 1.4826
    min_peers: int = 5
    wrong_way_periods: int = 2

    def __post_init__(self) -> None:
        if not (isinstance(self.z_threshold, int | float) and self.z_threshold > 0):
            raise ParameterError(f"z_threshold must be positive, got {self.z_threshold!r}")
        if not (isinstance(self.mad_scale, int | float) and self.mad_scale > 0):
            raise ParameterError(f"mad_scale must be positive, got {self.mad_scale!r}")
        for name in ("min_peers", "wrong_way_periods"):
            number = getattr(self, name)
            if isinstance(number, bool) or not isinstance(number, int) or number < 1:
                raise ParameterError(f"{name} must be a whole number of at least 1, got {number!r}")


@dataclass(frozen=True, eq=False)
class WarningFlags:
    """Row-by-row warning flags of a prepared long table.

    Attributes
    ----------
    target_missed, wrong_way, peer_outlier : numpy.ndarray
        bool, one per row.
    robust_z : numpy.ndarray
        float; NaN where not computable.
    median : numpy.ndarray
        Median of the peer set (county included).
    history : numpy.ndarray
        shape (rows, wrong_way_periods + 1): the values of the run, oldest first.
    """

    target_missed: np.ndarray
    wrong_way: np.ndarray
    peer_outlier: np.ndarray
    robust_z: np.ndarray
    median: np.ndarray
    history: np.ndarray

    def codes(self) -> np.ndarray:
        """Rule codes raised on each row joined by ``";"`` (``""`` when none).

        Returns
        -------
        numpy.ndarray
            object array of str.
        """
        codes = np.full(len(self.target_missed), "", dtype=object)
        for rule in RULES:
            rows = np.flatnonzero(getattr(self, rule))
            current = codes[rows]
            codes[rows] = np.where(current == "", rule, current + ";" + rule)
        return codes


def warning_flags(
    prepared: pd.DataFrame, evaluation: TargetEvaluation, rules: WarningRules | None = None
) -> WarningFlags:
    """Apply the warning rules to a prepared long table.

    Parameters
    ----------
    prepared : pandas.DataFrame
        Output of :func:`ylt_eval.metrics.targets.prepare_long`.
    evaluation : TargetEvaluation
        Output of :func:`ylt_eval.metrics.targets.evaluate_prepared` on the same table.
    rules : WarningRules, optional

    Returns
    -------
    WarningFlags
    """
    rules = rules if rules is not None else WarningRules()
    value = prepared["value"].to_numpy(dtype=np.float64)
    missed = evaluation.status == "not_met"

    oriented = oriented_prepared(prepared)
    runs = rules.wrong_way_periods
    lags = SeriesLags(prepared)
    earlier = [lags.rows(lag) for lag in range(1, runs + 1)]
    lagged = [oriented] + [lags.take(oriented, rows) for rows in earlier]
    wrong_way = np.ones(len(value), dtype=bool)
    for step in range(runs):
        with np.errstate(invalid="ignore"):
            wrong_way &= lagged[step] < lagged[step + 1]
    history = np.column_stack([lags.take(value, rows) for rows in reversed(earlier)] + [value])

    groups = prepared["peer_set"].to_numpy(dtype=np.int64)
    median = prepared["peer_median_all"].to_numpy(dtype=np.float64)
    spread = group_median(np.abs(value - median), groups)
    enough = prepared["n_peers"].to_numpy(dtype=np.int64) >= rules.min_peers
    with np.errstate(divide="ignore", invalid="ignore"):
        robust_z = (value - median) / (rules.mad_scale * spread)
    robust_z[~enough | ~(spread > 0)] = np.nan
    with np.errstate(invalid="ignore"):
        outlier = np.abs(robust_z) > rules.z_threshold
    return WarningFlags(missed, wrong_way, outlier, robust_z, median, history)


def warning_table(
    prepared: pd.DataFrame,
    evaluation: TargetEvaluation,
    flags: WarningFlags,
    rules: WarningRules | None = None,
) -> pd.DataFrame:
    """One row per warning, with its reason in Chinese and English.

    Parameters
    ----------
    prepared : pandas.DataFrame
        Output of :func:`ylt_eval.metrics.targets.prepare_long`.
    evaluation : TargetEvaluation
        Target evaluation of the same table.
    flags : WarningFlags
        Output of :func:`warning_flags`.
    rules : WarningRules, optional
        The settings ``flags`` were computed with (their numbers appear in the reasons).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`WARNING_COLUMNS`, sorted by county, period, catalogue order, rule.
    """
    rules = rules if rules is not None else WarningRules()
    builders = {
        "target_missed": lambda rows: _missed_reasons(prepared, evaluation, rows),
        "wrong_way": lambda rows: _wrong_way_reasons(prepared, flags.history, rows),
        "peer_outlier": lambda rows: _outlier_reasons(prepared, flags, rows, rules.z_threshold),
    }
    parts = []
    for position, rule in enumerate(RULES):
        rows = np.flatnonzero(getattr(flags, rule))
        zh, en = builders[rule](rows)
        parts.append(
            pd.DataFrame(
                {"_row": rows, "_rule": position, "reason_zh": zh, "reason_en": en},
                columns=["_row", "_rule", "reason_zh", "reason_en"],
            )
        )
    frame = pd.concat(parts, ignore_index=True)
    frame = frame.sort_values(["_row", "_rule"], kind="stable").reset_index(drop=True)
    rows = frame["_row"].to_numpy(dtype=np.int64)
    table = prepared.iloc[rows][
        ["county_code", "county_name", "province", "period", "year", "indicator", "value"]
    ].reset_index(drop=True)
    rule_names = np.asarray(RULES, dtype=object)[frame["_rule"].to_numpy(dtype=np.int64)]
    table["rule"] = pd.Series(rule_names, dtype="str")
    table["reason_zh"] = frame["reason_zh"].astype("str")
    table["reason_en"] = frame["reason_en"].astype("str")
    return table[list(WARNING_COLUMNS)]


def detect_warnings(
    long_df: pd.DataFrame,
    *,
    targets: TargetSet | None = None,
    rules: WarningRules | None = None,
) -> pd.DataFrame:
    """Early warnings of a long indicator table.

    Parameters
    ----------
    long_df : pandas.DataFrame
        Long indicator table (annual ``"2023"`` and/or half-year ``"2023H1"`` periods; see
        :func:`ylt_eval.metrics.targets.prepare_long`); not modified.
    targets : TargetSet, optional
        Defaults to the packaged target set.
    rules : WarningRules, optional

    Returns
    -------
    pandas.DataFrame
        Columns :data:`WARNING_COLUMNS`; one row per warning.

    Raises
    ------
    DataValidationError
        If the table is malformed.
    """
    prepared = prepare_long(long_df)
    evaluation = evaluate_prepared(prepared, targets)
    flags = warning_flags(prepared, evaluation, rules)
    return warning_table(prepared, evaluation, flags, rules)


class _Rows:
    """Text pieces of selected rows of a prepared table, as object arrays."""

    def __init__(self, prepared: pd.DataFrame, rows: np.ndarray) -> None:
        self.codes = prepared["indicator"].to_numpy(dtype=object)[rows]
        self.frequency = prepared["frequency"].to_numpy(dtype=np.int64)[rows]
        self.index = prepared["period_index"].to_numpy(dtype=np.int64)[rows]
        self.value = prepared["value"].to_numpy(dtype=np.float64)[rows]
        self.previous = prepared["previous"].to_numpy(dtype=np.float64)[rows]
        names_zh = catalogue_attribute(self.codes, "name_zh")
        names_en = catalogue_attribute(self.codes, "name_en")
        self.name_zh = np.where(names_zh == None, self.codes, names_zh)  # noqa: E711
        self.name_en = np.where(names_en == None, self.codes, names_en)  # noqa: E711
        self.suffix_zh = unit_suffixes(self.codes, "zh")
        self.suffix_en = unit_suffixes(self.codes, "en")

    def when(self, lang: str, back: int = 0) -> np.ndarray:
        """Period text of each row, ``back`` periods earlier."""
        index = self.index - back
        key = index * 2 + self.frequency
        ids, uniques = pd.factorize(key)
        texts = [_period_of(int(k % 2), int(k // 2)).text(lang) for k in uniques]
        return np.asarray([*texts, ""], dtype=object)[ids]

    def amount(self, values: np.ndarray, lang: str) -> np.ndarray:
        """Formatted values with the unit of each row's indicator."""
        suffix = self.suffix_zh if lang == "zh" else self.suffix_en
        return format_values(values) + suffix


def _period_of(frequency: int, index: int) -> Period:
    if frequency == 0:
        return Period(index)
    return Period(index // 2, index % 2 + 1)


def _missed_reasons(
    prepared: pd.DataFrame, evaluation: TargetEvaluation, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    piece = _Rows(prepared, rows)
    kind = evaluation.target_kind[rows]
    text_zh = evaluation.target_text_zh[rows].astype(object)
    text_en = evaluation.target_text_en[rows].astype(object)
    when_zh, when_en = piece.when("zh"), piece.when("en")
    shown_zh, shown_en = piece.amount(piece.value, "zh"), piece.amount(piece.value, "en")
    subject_zh = when_zh + piece.name_zh + "为" + shown_zh
    subject_en = piece.name_en + " was " + shown_en + " in " + when_en

    catalogue_kind = catalogue_attribute(piece.codes, "kind")
    computed_growth = (kind == "growth") & (catalogue_kind != "growth")
    growth = format_values(evaluation.compared[rows])
    before_zh = piece.amount(piece.previous, "zh")
    before_en = piece.amount(piece.previous, "en")
    extra_zh = np.full(len(rows), "", dtype=object)
    extra_en = np.full(len(rows), "", dtype=object)
    extra_zh = np.where(computed_growth, "，同比增长" + growth + "%", extra_zh)
    extra_en = np.where(computed_growth, ", a year-on-year growth of " + growth + "%", extra_en)
    direction = kind == "direction"
    extra_zh = np.where(direction, "，上期为" + before_zh, extra_zh)
    extra_en = np.where(direction, " against " + before_en + " in the previous period", extra_en)
    zh = subject_zh + extra_zh + "，未达到目标：" + text_zh + "。"
    en = subject_en + extra_en + ", missing the target: " + text_en + "."
    return zh, en


def _wrong_way_reasons(
    prepared: pd.DataFrame, history: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    piece = _Rows(prepared, rows)
    steps = history.shape[1] - 1
    values = history[rows]
    series_zh = series_en = None
    for column in range(steps + 1):
        back = steps - column
        item_zh = piece.when("zh", back) + piece.amount(values[:, column], "zh")
        item_en = piece.amount(values[:, column], "en") + " (" + piece.when("en", back) + ")"
        series_zh = item_zh if series_zh is None else series_zh + "，" + item_zh
        series_en = item_en if series_en is None else series_en + ", " + item_en
    zh = piece.name_zh + f"连续{steps}期向不利方向变化：" + series_zh + "。"
    en = (
        piece.name_en
        + f" moved in the undesirable direction {steps} periods in a row: "
        + series_en
        + "."
    )
    return zh, en


def _outlier_reasons(
    prepared: pd.DataFrame, flags: WarningFlags, rows: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    piece = _Rows(prepared, rows)
    limit = format_number(threshold)
    z = np.array([f"{value:.1f}" for value in flags.robust_z[rows]], dtype=object)
    median_zh = piece.amount(flags.median[rows], "zh")
    median_en = piece.amount(flags.median[rows], "en")
    zh = (
        piece.when("zh")
        + piece.name_zh
        + "为"
        + piece.amount(piece.value, "zh")
        + "，远离同省同期中位数"
        + median_zh
        + "（稳健z值"
        + z
        + f"，阈值{limit}）。"
    )
    en = (
        piece.name_en
        + " was "
        + piece.amount(piece.value, "en")
        + " in "
        + piece.when("en")
        + ", far from the median of the province for the period, "
        + median_en
        + " (robust z = "
        + z
        + f", threshold {limit})."
    )
    return zh, en
