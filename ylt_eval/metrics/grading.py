"""Grades (优/良/中/差) and ranks within a peer set, and composite scores.

Ranking
    Values are oriented by the indicator's desirable direction (``up``: higher is better,
    ``down``: lower is better, ``target``: closer to the catalogue target value is better;
    ``monitor`` indicators get no rank and no grade). Rank 1 is the best. Tied values share the
    best rank of the tie (competition ranking 1, 2, 2, 4). Missing values get no rank and do not
    count in the peer set.

Grades (seed 004)
    With ``n`` counties holding a value in the peer set and cutoffs ``(c1, c2, c3)`` =
    ``(0.25, 0.5, 0.75)``: 优 if ``rank <= c1·n``, 良 if ``rank <= c2·n``, 中 if
    ``rank <= c3·n``, otherwise 差. So at most a quarter of the counties are 优 except where a
    tie straddles a boundary (the tie takes the better grade). With fewer than
    :data:`MIN_PEERS_FOR_GRADE` (4) counties there is no grade: four grades cannot be spread over
    three counties. Ranks are still given.

Composite score
    Each gradable indicator is min–max normalised within the peer set, oriented so that 1 is
    the best county and 0 the worst (all counties equal: 1 for everybody). The composite is the
    weighted mean of the available normalised values × 100, weights renormalised over the
    indicators a county has; below ``min_coverage`` of the total weight there is no score.
    Weights are equal, or entropy weights computed per peer set (see :func:`entropy_weights`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ylt_eval.errors import ParameterError
from ylt_eval.metrics.catalogue import catalogue
from ylt_eval.metrics.targets import prepare_long

#: The four grades, best first.
GRADES: tuple[str, ...] = ("优", "良", "中", "差")

#: English names of the grades.
GRADE_NAMES_EN: dict[str, str] = {"优": "excellent", "良": "good", "中": "fair", "差": "poor"}

#: Default rank cutoffs (shares of the peer set) between 优/良, 良/中 and 中/差.
DEFAULT_CUTOFFS: tuple[float, float, float] = (0.25, 0.5, 0.75)

#: Fewest counties with a value needed before grades are given.
MIN_PEERS_FOR_GRADE: int = 4

#: Weighting methods of :func:`composite_scores`.
WEIGHTINGS: tuple[str, ...] = ("equal", "entropy")

#: Columns of :attr:`CompositeScores.scores`.
COMPOSITE_COLUMNS: tuple[str, ...] = (
    "county_code",
    "county_name",
    "province",
    "period",
    "year",
    "score",
    "coverage",
    "n_indicators",
    "grade",
    "rank",
    "n_peers",
)

#: Columns of :attr:`CompositeScores.weights`.
WEIGHT_COLUMNS: tuple[str, ...] = ("province", "peer_group", "period", "indicator", "weight")

_GRADABLE = frozenset({"up", "down", "target"})


def oriented_values(
    values: Sequence[float] | np.ndarray, direction: str, *, target_value: float | None = None
) -> np.ndarray:
    """Turn values into "higher is better" scores.

    Parameters
    ----------
    values : array-like of float
    direction : {"up", "down", "target", "monitor"}
    target_value : float, optional
        Needed for ``direction == "target"``.

    Returns
    -------
    numpy.ndarray
        ``x`` (up), ``−x`` (down), ``−|x − target|`` (target); all NaN for ``monitor``.

    Raises
    ------
    ParameterError
        Unknown direction, or ``target`` without ``target_value``.
    """
    x = np.asarray(values, dtype=np.float64)
    if direction == "up":
        return x.copy()
    if direction == "down":
        return -x
    if direction == "target":
        if target_value is None:
            raise ParameterError("direction 'target' needs target_value")
        return -np.abs(x - float(target_value))
    if direction == "monitor":
        return np.full(x.shape, np.nan)
    raise ParameterError(f"direction {direction!r} is not one of up, down, target, monitor")


def rank_by_direction(
    values: Sequence[float] | pd.Series,
    direction: str,
    *,
    target_value: float | None = None,
) -> pd.Series:
    """Rank values, 1 = best in the desirable direction.

    Parameters
    ----------
    values : array-like or pandas.Series
        One peer set.
    direction : {"up", "down", "target", "monitor"}
    target_value : float, optional
        Needed for ``direction == "target"``.

    Returns
    -------
    pandas.Series
        ``Int64``; ties share the best rank (1, 2, 2, 4); missing values and ``monitor``
        indicators get ``<NA>``. Keeps the index of a Series input.
    """
    series = _as_series(values)
    score = oriented_values(series.to_numpy(dtype=np.float64), direction, target_value=target_value)
    ranks = pd.Series(score, index=series.index).rank(method="min", ascending=False)
    return ranks.astype("Int64")


def grade_by_rank(
    values: Sequence[float] | pd.Series,
    direction: str,
    *,
    cutoffs: Sequence[float] = DEFAULT_CUTOFFS,
    target_value: float | None = None,
    min_peers: int = MIN_PEERS_FOR_GRADE,
) -> pd.Series:
    """Grade one peer set 优/良/中/差 by rank.

    Parameters
    ----------
    values : array-like or pandas.Series
        One value per county of the peer set (NaN: not graded, not counted).
    direction : {"up", "down", "target", "monitor"}
    cutoffs : sequence of three floats, default (0.25, 0.5, 0.75)
        Increasing shares of the peer set, strictly between 0 and 1.
    target_value : float, optional
        Needed for ``direction == "target"``.
    min_peers : int, default 4
        Fewest counties with a value for grades to be given.

    Returns
    -------
    pandas.Series
        ``str`` dtype, ``<NA>`` where there is no grade. 优 if ``rank <= c1·n``, 良 if
        ``rank <= c2·n``, 中 if ``rank <= c3·n``, else 差, with ``n`` the number of values.

    Raises
    ------
    ParameterError
        Bad cutoffs, direction or ``min_peers``.
    """
    series = _as_series(values)
    ranks = rank_by_direction(series, direction, target_value=target_value)
    rank = ranks.to_numpy(dtype=np.float64, na_value=np.nan)
    n = np.full(len(rank), int((~np.isnan(rank)).sum()), dtype=np.int64)
    grades = grades_from_ranks(rank, n, cutoffs=cutoffs, min_peers=min_peers)
    return pd.Series(grades, index=series.index, dtype="str")


def grades_from_ranks(
    rank: np.ndarray,
    n_peers: np.ndarray,
    *,
    cutoffs: Sequence[float] = DEFAULT_CUTOFFS,
    min_peers: int = MIN_PEERS_FOR_GRADE,
) -> np.ndarray:
    """Grades from ranks and peer-set sizes (vectorised over many peer sets).

    Parameters
    ----------
    rank : numpy.ndarray
        float, 1 = best, NaN for no rank.
    n_peers : numpy.ndarray
        Size of each row's peer set (counties with a value).
    cutoffs : sequence of three floats
    min_peers : int

    Returns
    -------
    numpy.ndarray
        object: a grade of :data:`GRADES` or None.
    """
    bounds = _checked_cutoffs(cutoffs)
    if isinstance(min_peers, bool) or not isinstance(min_peers, int) or min_peers < 1:
        raise ParameterError(f"min_peers must be a positive whole number, got {min_peers!r}")
    rank = np.asarray(rank, dtype=np.float64)
    size = np.asarray(n_peers, dtype=np.float64)
    grades = np.full(len(rank), None, dtype=object)
    gradable = ~np.isnan(rank) & (size >= min_peers)
    # Tolerance so that rank 3 of 4 counts as "within 0.75·n" despite binary fractions.
    slack = 1e-9
    level = np.full(len(rank), 3, dtype=np.int64)
    for position in (2, 1, 0):
        level[rank <= bounds[position] * size + slack] = position
    grades[gradable] = np.asarray(GRADES, dtype=object)[level[gradable]]
    return grades


def rank_and_grade_prepared(
    prepared: pd.DataFrame,
    *,
    cutoffs: Sequence[float] = DEFAULT_CUTOFFS,
    min_peers: int = MIN_PEERS_FOR_GRADE,
) -> tuple[np.ndarray, np.ndarray]:
    """Rank and grade every row of a prepared long table within its peer set.

    Parameters
    ----------
    prepared : pandas.DataFrame
        Output of :func:`ylt_eval.metrics.targets.prepare_long`.
    cutoffs : sequence of three floats
    min_peers : int

    Returns
    -------
    rank : numpy.ndarray
        float (whole numbers), NaN where not ranked (missing value, ``monitor`` or unknown
        indicator).
    grade : numpy.ndarray
        object, None where not graded.
    """
    score = oriented_prepared(prepared)
    groups = prepared["peer_set"].to_numpy(dtype=np.int64)
    rank = competition_ranks(score, groups)
    valid = ~np.isnan(score)
    size = np.bincount(groups[valid], minlength=int(groups.max()) + 1 if len(groups) else 0)
    n_ranked = size[groups] if len(groups) else np.empty(0)
    grade = grades_from_ranks(rank, n_ranked, cutoffs=cutoffs, min_peers=min_peers)
    return rank, grade


def competition_ranks(score: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Rank scores within groups, highest first; ties share the best rank (1, 2, 2, 4).

    Parameters
    ----------
    score : numpy.ndarray
        float, NaN = not ranked.
    groups : numpy.ndarray
        Non-negative integer group ids.

    Returns
    -------
    numpy.ndarray
        float ranks (whole numbers), NaN where the score is NaN.
    """
    score = np.asarray(score, dtype=np.float64)
    rank = np.full(len(score), np.nan)
    rows = np.flatnonzero(~np.isnan(score))
    m = len(rows)
    if not m:
        return rank
    values, group = -score[rows], np.asarray(groups, dtype=np.int64)[rows]
    # Sort by group, then by score (best first), with one integer sort of group × m + order.
    by_value = np.argsort(values)
    value_rank = np.empty(m, dtype=np.int64)
    value_rank[by_value] = np.arange(m)
    order = by_value[np.sort(group * m + value_rank) % m]
    sorted_group, sorted_value = group[order], values[order]
    position = np.arange(m)
    new_group = np.ones(m, dtype=bool)
    new_group[1:] = sorted_group[1:] != sorted_group[:-1]
    new_tie = new_group.copy()
    new_tie[1:] |= sorted_value[1:] != sorted_value[:-1]
    group_start = np.maximum.accumulate(np.where(new_group, position, 0))
    tie_start = np.maximum.accumulate(np.where(new_tie, position, 0))
    rank[rows[order]] = tie_start - group_start + 1
    return rank


def oriented_prepared(prepared: pd.DataFrame) -> np.ndarray:
    """ "Higher is better" scores of every row of a prepared table (NaN if not gradable).

    Parameters
    ----------
    prepared : pandas.DataFrame
        Output of :func:`ylt_eval.metrics.targets.prepare_long`.

    Returns
    -------
    numpy.ndarray
    """
    direction = prepared["direction"].to_numpy(dtype=object)
    goal = prepared["target_value"].to_numpy(dtype=np.float64)
    value = prepared["value"].to_numpy(dtype=np.float64)
    score = np.full(len(value), np.nan)
    score = np.where(direction == "up", value, score)
    score = np.where(direction == "down", -value, score)
    return np.where(direction == "target", -np.abs(value - goal), score)


# ---------------------------------------------------------------------------------------------
# Composite scores
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CompositeScores:
    """Composite score of every county and period.

    Attributes
    ----------
    scores : pandas.DataFrame
        Columns :data:`COMPOSITE_COLUMNS`: ``score`` (0–100, NaN below the coverage
        threshold), ``coverage`` (share of the total weight the county has values for),
        ``n_indicators`` (indicators with a value), ``grade``/``rank``/``n_peers`` of the score
        within province × period (× peer_group).
    weights : pandas.DataFrame
        Columns :data:`WEIGHT_COLUMNS`: the weight of each indicator in each peer set (they sum
        to 1 in each province × peer_group × period).
    method : str
        ``"equal"`` or ``"entropy"``.
    """

    scores: pd.DataFrame
    weights: pd.DataFrame
    method: str


def min_max_scores(
    values: Sequence[float] | np.ndarray, direction: str, *, target_value: float | None = None
) -> np.ndarray:
    """Min–max normalise one peer set's values so that 1 is the best and 0 the worst.

    Parameters
    ----------
    values : array-like of float
    direction : {"up", "down", "target"}
    target_value : float, optional
        Needed for ``direction == "target"``.

    Returns
    -------
    numpy.ndarray
        ``(o − min o) / (max o − min o)`` with ``o`` the oriented values; 1 for every county
        when all values are equal; NaN where the value is missing.
    """
    oriented = oriented_values(values, direction, target_value=target_value)
    groups = np.zeros(len(oriented), dtype=np.int64)
    return _min_max_by_group(oriented, groups)


def entropy_weights(matrix: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
    """Entropy weights of the columns of a matrix of normalised scores.

    Parameters
    ----------
    matrix : array-like, shape (n_counties, n_indicators)
        Non-negative scores (e.g. from :func:`min_max_scores`); NaN cells are left out of
        their column.

    Returns
    -------
    numpy.ndarray
        One weight per column, summing to 1.

    Raises
    ------
    ParameterError
        If the matrix is not two-dimensional or holds negative values.

    Notes
    -----
    For column ``j`` with ``n_j`` non-missing scores ``s_ij``:
    ``p_ij = s_ij / Σ_i s_ij``, entropy ``e_j = −(1 / ln n_j) Σ_i p_ij ln p_ij`` (with
    ``0 · ln 0 = 0``), divergence ``d_j = 1 − e_j`` and weight ``w_j = d_j / Σ_k d_k``.
    A column with fewer than two values, or all zero, has ``d_j = 0``. When every ``d_j`` is
    0 (nothing discriminates) the weights are equal.
    """
    scores = np.asarray(matrix, dtype=np.float64)
    if scores.ndim != 2 or scores.shape[1] == 0:
        raise ParameterError("entropy_weights needs a 2-D matrix with at least one column")
    if (scores[~np.isnan(scores)] < 0).any():
        raise ParameterError("entropy_weights needs non-negative scores (normalise first)")
    columns = np.tile(np.arange(scores.shape[1]), scores.shape[0])
    divergence = _divergence(scores.reshape(-1), columns, scores.shape[1])
    total = divergence.sum()
    if total <= 0:
        return np.full(scores.shape[1], 1.0 / scores.shape[1])
    return divergence / total


def composite_scores(
    long_df: pd.DataFrame,
    *,
    method: str = "equal",
    codes: Iterable[str] | None = None,
    min_coverage: float = 0.5,
    cutoffs: Sequence[float] = DEFAULT_CUTOFFS,
    min_peers: int = MIN_PEERS_FOR_GRADE,
) -> CompositeScores:
    """Composite score, grade and rank of every county and period.

    Parameters
    ----------
    long_df : pandas.DataFrame
        Long indicator table (see :func:`ylt_eval.metrics.targets.prepare_long`); not modified.
    method : {"equal", "entropy"}
        Weighting of the indicators.
    codes : iterable of str, optional
        Indicators to combine. By default every catalogue indicator in the table whose
        direction is up, down or target, except raw counts (kind ``input`` with a unit other
        than %), which grow with county size.
    min_coverage : float, default 0.5
        Least share of the total weight a county needs values for to get a score.
    cutoffs, min_peers
        As in :func:`grade_by_rank`, applied to the composite score.

    Returns
    -------
    CompositeScores

    Raises
    ------
    ParameterError
        Unknown method, an indicator without a gradable direction, or a bad coverage.
    DataValidationError
        If the table is malformed.
    """
    if method not in WEIGHTINGS:
        raise ParameterError(f"method {method!r} is not one of {list(WEIGHTINGS)}")
    if not 0 <= min_coverage <= 1:
        raise ParameterError(f"min_coverage must lie in [0, 1], got {min_coverage!r}")
    prepared = prepare_long(long_df)
    selected = _composite_codes(prepared, codes)
    rows = prepared[prepared["indicator"].isin(selected)].reset_index(drop=True)

    oriented = oriented_prepared(rows)
    indicator_set = rows["peer_set"].to_numpy(dtype=np.int64)
    normalised = _min_max_by_group(oriented, indicator_set)
    panel_keys = ["province", "peer_group", "period"]
    panel, _ = _dense_ids(rows, panel_keys)
    weights = _indicator_weights(normalised, indicator_set, panel, method)

    unit_keys = ["county_code", "period"]
    unit, unit_index = _dense_ids(rows, unit_keys)
    has_value = ~np.isnan(normalised)
    n_units = len(unit_index)
    # Weights sum to 1 in each panel, so the weight a county has values for is its coverage.
    coverage = np.bincount(unit[has_value], weights=weights[has_value], minlength=n_units)
    weighted = np.bincount(
        unit[has_value], weights=(weights * normalised)[has_value], minlength=n_units
    )
    count = np.bincount(unit[has_value], minlength=n_units)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(coverage > 0, 100.0 * weighted / coverage, np.nan)
    score[coverage < min_coverage - 1e-12] = np.nan

    first = pd.Series(np.arange(len(rows))).groupby(unit).first().to_numpy()
    table = rows.iloc[first][
        ["county_code", "county_name", "province", "peer_group", "period", "year", "period_sort"]
    ].reset_index(drop=True)
    table["score"] = score
    table["coverage"] = coverage
    table["n_indicators"] = count.astype(np.int64)
    score_set, _ = _dense_ids(table, panel_keys)
    rank = competition_ranks(score, score_set)
    valid = ~np.isnan(score)
    size = np.bincount(score_set[valid], minlength=int(score_set.max()) + 1 if n_units else 0)
    table["n_peers"] = size[score_set] if n_units else np.empty(0, dtype=np.int64)
    table["rank"] = pd.array(rank, dtype="Float64").astype("Int64")
    table["grade"] = pd.Series(
        grades_from_ranks(rank, table["n_peers"].to_numpy(), cutoffs=cutoffs, min_peers=min_peers),
        dtype="str",
    )
    table = table.sort_values(["county_code", "period_sort"], kind="stable").reset_index(drop=True)

    weight_table = rows[["province", "peer_group", "period", "indicator"]].copy()
    weight_table["weight"] = weights
    weight_table["_order"] = rows["period_sort"].to_numpy()
    position = {code: rank for rank, code in enumerate(selected)}
    weight_table["_indicator"] = rows["indicator"].map(position).to_numpy()
    weight_table = weight_table.drop_duplicates(["province", "peer_group", "period", "indicator"])
    weight_table = weight_table.sort_values(
        ["province", "peer_group", "_order", "_indicator"], kind="stable"
    ).reset_index(drop=True)
    return CompositeScores(
        scores=table[list(COMPOSITE_COLUMNS)],
        weights=weight_table[list(WEIGHT_COLUMNS)],
        method=method,
    )


def _composite_codes(prepared: pd.DataFrame, codes: Iterable[str] | None) -> list[str]:
    by_code = {item.code: item for item in catalogue()}
    present = set(prepared["indicator"].unique())
    if codes is None:
        return [
            item.code
            for item in catalogue()
            if item.code in present
            and item.direction in _GRADABLE
            and not (item.kind == "input" and item.unit_en != "%")
        ]
    chosen = [codes] if isinstance(codes, str) else list(codes)
    for code in chosen:
        item = by_code.get(code)
        if item is None or item.direction not in _GRADABLE:
            raise ParameterError(
                f"indicator {code!r} cannot enter a composite score: it is not a catalogue "
                "indicator with direction up, down or target"
            )
    return chosen


def _indicator_weights(
    normalised: np.ndarray, indicator_set: np.ndarray, panel: np.ndarray, method: str
) -> np.ndarray:
    """Weight of each row's indicator within its panel (province × peer_group × period)."""
    n_sets = int(indicator_set.max()) + 1 if len(indicator_set) else 0
    set_panel = np.zeros(n_sets, dtype=np.int64)
    set_panel[indicator_set] = panel
    has_value = np.bincount(indicator_set[~np.isnan(normalised)], minlength=n_sets) > 0
    if method == "equal":
        raw = has_value.astype(np.float64)
    else:
        raw = _divergence(normalised, indicator_set, n_sets)
        totals = np.bincount(set_panel, weights=raw, minlength=int(panel.max()) + 1)
        # Nothing discriminates in this panel: fall back to equal weights, as entropy_weights.
        flat = totals[set_panel] <= 0
        raw = np.where(flat, has_value.astype(np.float64), raw)
    totals = np.bincount(set_panel, weights=raw, minlength=int(panel.max()) + 1 if n_sets else 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_set = np.where(totals[set_panel] > 0, raw / totals[set_panel], 0.0)
    return per_set[indicator_set] if n_sets else np.empty(0)


def _divergence(scores: np.ndarray, columns: np.ndarray, n_columns: int) -> np.ndarray:
    """``1 − entropy`` of each column id (see :func:`entropy_weights`)."""
    valid = ~np.isnan(scores)
    ids, values = columns[valid], scores[valid]
    count = np.bincount(ids, minlength=n_columns)
    total = np.bincount(ids, weights=values, minlength=n_columns)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = values / total[ids]
        plogp = np.where(share > 0, share * np.log(np.where(share > 0, share, 1.0)), 0.0)
        entropy = -np.bincount(ids, weights=plogp, minlength=n_columns) / np.log(count)
    divergence = 1.0 - entropy
    # Rounding leaves ~1e-16 for a column that does not discriminate at all; that is zero.
    divergence[(count < 2) | ~(total > 0) | ~(divergence > 1e-12)] = 0.0
    return divergence


def _min_max_by_group(oriented: np.ndarray, groups: np.ndarray) -> np.ndarray:
    series = pd.Series(oriented)
    grouped = series.groupby(groups, sort=False)
    low = grouped.transform("min").to_numpy(dtype=np.float64)
    high = grouped.transform("max").to_numpy(dtype=np.float64)
    spread = high - low
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.where(spread > 0, (oriented - low) / spread, 1.0)
    scaled[np.isnan(oriented)] = np.nan
    return scaled


def _dense_ids(frame: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    filled = frame[keys].astype(object).fillna("")
    ids = filled.groupby(keys, sort=True).ngroup().to_numpy(dtype=np.int64)
    return ids, filled.drop_duplicates()


def _checked_cutoffs(cutoffs: Sequence[float]) -> tuple[float, float, float]:
    try:
        bounds = tuple(float(c) for c in cutoffs)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"cutoffs must be three numbers, got {cutoffs!r}") from exc
    if len(bounds) != 3 or not 0 < bounds[0] < bounds[1] < bounds[2] < 1:
        raise ParameterError(
            f"cutoffs must be three increasing shares strictly between 0 and 1, got {cutoffs!r}"
        )
    return bounds  # type: ignore[return-value]


def _as_series(values: Sequence[float] | pd.Series) -> pd.Series:
    if isinstance(values, pd.Series):
        numbers = pd.to_numeric(values).astype("Float64")
        return pd.Series(numbers.to_numpy(dtype=np.float64, na_value=np.nan), index=values.index)
    return pd.Series(np.asarray(values, dtype=np.float64))
