"""One record per county × period × indicator: value, change, target status, grade, warnings.

:func:`assess` joins the pieces of ``ylt_eval.metrics`` — target evaluation
(:mod:`~ylt_eval.metrics.targets`), grades and ranks within the peer set
(:mod:`~ylt_eval.metrics.grading`) and early warnings (:mod:`~ylt_eval.metrics.early_warning`)
— on one preparation of the long table, so the report layer reads finished numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ylt_eval.metrics.early_warning import (
    WarningFlags,
    WarningRules,
    warning_flags,
    warning_table,
)
from ylt_eval.metrics.grading import DEFAULT_CUTOFFS, MIN_PEERS_FOR_GRADE, rank_and_grade_prepared
from ylt_eval.metrics.targets import (
    TargetEvaluation,
    TargetSet,
    evaluate_prepared,
    prepare_long,
)

#: Columns of the table returned by :func:`assess`, in order.
ASSESSMENT_COLUMNS: tuple[str, ...] = (
    "county_code",
    "county_name",
    "province",
    "year",
    "period",
    "indicator",
    "value",
    "previous",
    "change",
    "target_kind",
    "target_text_zh",
    "target_text_en",
    "status",
    "grade",
    "rank",
    "n_peers",
    "peer_median",
    "warnings",
)


def assess(
    long_df: pd.DataFrame,
    *,
    targets: TargetSet | None = None,
    rules: WarningRules | None = None,
    cutoffs: Sequence[float] = DEFAULT_CUTOFFS,
    min_peers: int = MIN_PEERS_FOR_GRADE,
) -> pd.DataFrame:
    """Assess every county × period × indicator of a long indicator table.

    Parameters
    ----------
    long_df : pandas.DataFrame
        Columns ``county_code, indicator, value`` and ``period`` (``"2023"``, ``"2023H1"``)
        or ``year``; optional ``county_name``, ``province``, ``peer_group``. Not modified.
    targets : TargetSet, optional
        Defaults to the packaged target set.
    rules : WarningRules, optional
        Early-warning settings.
    cutoffs : sequence of three floats, default (0.25, 0.5, 0.75)
        Grade boundaries (see :func:`ylt_eval.metrics.grading.grade_by_rank`).
    min_peers : int, default 4
        Fewest counties with a value in the peer set for grades.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ASSESSMENT_COLUMNS`, sorted by county_code, period (chronological) and
        catalogue order; the same result for any row order of the input.

        ``previous``/``change``
            value of the preceding period of the same frequency and ``value − previous``;
        ``target_kind``, ``target_text_*``, ``status``
            see :func:`ylt_eval.metrics.targets.evaluate_targets`;
        ``grade``, ``rank``
            within province × period (× peer_group); none for ``monitor`` indicators;
        ``n_peers``
            counties with a value in the peer set, the county itself included;
        ``peer_median``
            median of the *other* counties of the peer set (what peer targets compare with);
        ``warnings``
            rule codes joined by ``";"`` (``""`` when none); see :func:`assessment_warnings`.

    Raises
    ------
    DataValidationError
        If the table is malformed.
    ParameterError
        If a setting is invalid.
    """
    prepared = prepare_long(long_df)
    evaluation = evaluate_prepared(prepared, targets)
    flags = warning_flags(prepared, evaluation, rules)
    return _assessment_table(prepared, evaluation, flags, cutoffs, min_peers)


def assessment_warnings(
    long_df: pd.DataFrame,
    *,
    targets: TargetSet | None = None,
    rules: WarningRules | None = None,
) -> pd.DataFrame:
    """The warnings behind :func:`assess`'s ``warnings`` column, with their reasons.

    Parameters
    ----------
    long_df : pandas.DataFrame
    targets : TargetSet, optional
    rules : WarningRules, optional

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ylt_eval.metrics.early_warning.WARNING_COLUMNS`.
    """
    prepared = prepare_long(long_df)
    evaluation = evaluate_prepared(prepared, targets)
    flags = warning_flags(prepared, evaluation, rules)
    return warning_table(prepared, evaluation, flags, rules)


def assess_with_warnings(
    long_df: pd.DataFrame,
    *,
    targets: TargetSet | None = None,
    rules: WarningRules | None = None,
    cutoffs: Sequence[float] = DEFAULT_CUTOFFS,
    min_peers: int = MIN_PEERS_FOR_GRADE,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both :func:`assess` and :func:`assessment_warnings` from one preparation.

    Parameters
    ----------
    long_df, targets, rules, cutoffs, min_peers
        As in :func:`assess`.

    Returns
    -------
    assessment : pandas.DataFrame
        As returned by :func:`assess`.
    warnings : pandas.DataFrame
        As returned by :func:`assessment_warnings`.
    """
    prepared = prepare_long(long_df)
    evaluation = evaluate_prepared(prepared, targets)
    flags = warning_flags(prepared, evaluation, rules)
    table = _assessment_table(prepared, evaluation, flags, cutoffs, min_peers)
    return table, warning_table(prepared, evaluation, flags, rules)


def _assessment_table(
    prepared: pd.DataFrame,
    evaluation: TargetEvaluation,
    flags: WarningFlags,
    cutoffs: Sequence[float],
    min_peers: int,
) -> pd.DataFrame:
    rank, grade = rank_and_grade_prepared(prepared, cutoffs=cutoffs, min_peers=min_peers)
    value = prepared["value"].to_numpy(dtype=np.float64)
    previous = prepared["previous"].to_numpy(dtype=np.float64)
    table = pd.DataFrame(
        {
            "county_code": prepared["county_code"],
            "county_name": prepared["county_name"],
            "province": prepared["province"],
            "year": prepared["year"],
            "period": prepared["period"],
            "indicator": prepared["indicator"],
            "value": value,
            "previous": previous,
            "change": value - previous,
            "target_kind": pd.Series(evaluation.target_kind, dtype="str"),
            "target_text_zh": pd.Series(evaluation.target_text_zh, dtype="str"),
            "target_text_en": pd.Series(evaluation.target_text_en, dtype="str"),
            "status": pd.Series(evaluation.status, dtype="str"),
            "grade": pd.Series(grade, dtype="str"),
            "rank": pd.array(rank, dtype="Float64").astype("Int64"),
            "n_peers": prepared["n_peers"].to_numpy(dtype=np.int64),
            "peer_median": prepared["peer_median"].to_numpy(dtype=np.float64),
            "warnings": pd.Series(flags.codes(), dtype="str"),
        }
    )
    return table[list(ASSESSMENT_COLUMNS)]
