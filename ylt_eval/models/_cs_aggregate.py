"""Aggregations of ATT(g,t) into summary parameters, as R ``did::compute.aggte``.

Each aggregate is a weighted average of ATT(g,t); its influence function is the same weighted
average of the ATT(g,t) influence functions plus, where the weights are estimated group shares,
the term ``wif`` accounting for estimating them. Event times, groups and calendar times are in
the original units of the time variable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

AGGREGATION_TYPES = ("simple", "dynamic", "group", "calendar")


@dataclass(frozen=True)
class Aggregate:
    """An aggregated treatment-effect parameter and its influence functions.

    Attributes
    ----------
    kind : str
        ``"simple"``, ``"dynamic"``, ``"group"`` or ``"calendar"``.
    labels : numpy.ndarray
        Event times, groups or calendar times of the disaggregated estimates (empty for
        ``"simple"``).
    att : numpy.ndarray
        One estimate per label.
    influence : numpy.ndarray
        ``n × len(labels)`` influence functions of ``att``.
    overall_att : float
        The overall summary.
    overall_influence : numpy.ndarray
        Influence function of ``overall_att``.
    """

    kind: str
    labels: np.ndarray
    att: np.ndarray
    influence: np.ndarray
    overall_att: float
    overall_influence: np.ndarray


def weights_influence(
    keep: np.ndarray,
    pg: np.ndarray,
    unit_cohort: np.ndarray,
    cell_groups: np.ndarray,
    att: np.ndarray,
) -> np.ndarray:
    """Influence of estimating the group-share weights, times the ATTs (R ``wif %*% att``).

    Parameters
    ----------
    keep : numpy.ndarray
        Integer indices of the averaged entries.
    pg : numpy.ndarray
        Share of units in the group of each entry (same length as ``cell_groups``).
    unit_cohort : numpy.ndarray
        Group of each unit (0 for never treated).
    cell_groups : numpy.ndarray
        Group of each entry.
    att : numpy.ndarray
        Estimate of each entry.

    Returns
    -------
    numpy.ndarray
        Length-``n`` vector.
    """
    pk = pg[keep]
    ak = att[keep]
    total = pk.sum()
    deviation = (unit_cohort[:, None] == cell_groups[keep][None, :]).astype(float) - pk[None, :]
    return deviation @ ak / total - deviation.sum(axis=1) * (pk @ ak) / total**2


def _weighted(
    keep: np.ndarray,
    att: np.ndarray,
    influence: np.ndarray,
    pg: np.ndarray,
    unit_cohort: np.ndarray,
    groups: np.ndarray,
) -> tuple[float, np.ndarray]:
    """Group-share-weighted average of the entries ``keep``, with the ``wif`` term."""
    if keep.size == 0:
        return np.nan, np.full(unit_cohort.size, np.nan)
    weights = pg[keep] / pg[keep].sum()
    estimate = float(att[keep] @ weights)
    inf = influence[:, keep] @ weights + weights_influence(keep, pg, unit_cohort, groups, att)
    return estimate, inf


def _drop_missing(
    groups: np.ndarray, times: np.ndarray, att: np.ndarray, influence: np.ndarray, kind: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Remove NaN ATT(g,t) (R ``na.rm = TRUE``), and for ``"group"`` groups left without
    any post-treatment estimate."""
    ok = ~np.isnan(att)
    if kind == "group":
        has_post = {g for g, t, o in zip(groups, times, ok, strict=True) if o and g <= t}
        ok &= np.isin(groups, list(has_post))
    return groups[ok], times[ok], att[ok], influence[:, ok]


def aggregate_effects(
    groups: np.ndarray,
    times: np.ndarray,
    att: np.ndarray,
    influence: np.ndarray,
    unit_cohort: np.ndarray,
    kind: str,
    *,
    min_e: float = -np.inf,
    max_e: float = np.inf,
    balance_e: float | None = None,
    na_rm: bool = False,
) -> Aggregate:
    """Aggregate ATT(g,t) as R ``did::aggte``.

    Parameters
    ----------
    groups, times, att : numpy.ndarray
        The ATT(g,t) cells.
    influence : numpy.ndarray
        ``n × K`` influence functions of the cells.
    unit_cohort : numpy.ndarray
        Group of each of the ``n`` units (0 for never treated).
    kind : {"simple", "dynamic", "group", "calendar"}
        The aggregation.
    min_e, max_e : float
        Event-time window (``"dynamic"``); ``max_e`` also caps the post-treatment cells
        used by ``"simple"`` and ``"group"``, as in R.
    balance_e : float, optional
        ``"dynamic"`` only: keep only groups observed for at least ``balance_e`` periods
        after treatment, so the composition does not change with event time.
    na_rm : bool
        Drop NaN cells instead of returning NaN.

    Returns
    -------
    Aggregate
        Estimates and influence functions.
    """
    if na_rm:
        groups, times, att, influence = _drop_missing(groups, times, att, influence, kind)
    group_list = np.unique(groups)
    pg_by_group = np.array([np.mean(unit_cohort == g) for g in group_list])
    pg = pg_by_group[np.searchsorted(group_list, groups)]
    event = times - groups

    if kind == "simple":
        keep = np.flatnonzero((groups <= times) & (event <= max_e))
        estimate, inf = _weighted(keep, att, influence, pg, unit_cohort, groups)
        empty = np.zeros((unit_cohort.size, 0))
        return Aggregate(kind, np.array([]), np.array([]), empty, estimate, inf)

    if kind == "group":
        group_att = []
        group_inf = []
        for g in group_list:
            which = np.flatnonzero((groups == g) & (g <= times) & (event <= max_e))
            if which.size == 0:
                group_att.append(np.nan)
                group_inf.append(np.full(unit_cohort.size, np.nan))
                continue
            group_att.append(np.mean(att[which]))
            group_inf.append(influence[:, which].mean(axis=1))
        group_att = np.asarray(group_att)
        group_inf = np.column_stack(group_inf)
        weights = pg_by_group / pg_by_group.sum()
        overall = float(group_att @ weights)
        every_group = np.arange(group_list.size)
        wif = weights_influence(every_group, pg_by_group, unit_cohort, group_list, group_att)
        return Aggregate(kind, group_list, group_att, group_inf, overall, group_inf @ weights + wif)

    if kind == "dynamic":
        include = np.ones(groups.size, dtype=bool)
        event_seq = np.unique(event)
        if balance_e is not None:
            last, first = times.max(), times.min()
            event_seq = event_seq[
                (event_seq <= balance_e) & (event_seq >= balance_e - last + first)
            ]
            include = (last - groups) >= balance_e
        event_seq = event_seq[(event_seq >= min_e) & (event_seq <= max_e)]
        e_att = []
        e_inf = []
        for e in event_seq:
            keep = np.flatnonzero((event == e) & include)
            estimate, inf = _weighted(keep, att, influence, pg, unit_cohort, groups)
            e_att.append(estimate)
            e_inf.append(inf)
        e_att = np.asarray(e_att)
        e_inf = np.column_stack(e_inf) if e_inf else np.zeros((unit_cohort.size, 0))
        post = event_seq >= 0
        overall = float(np.mean(e_att[post])) if post.any() else np.nan
        overall_inf = (
            e_inf[:, post].mean(axis=1) if post.any() else np.full(unit_cohort.size, np.nan)
        )
        return Aggregate(kind, event_seq, e_att, e_inf, overall, overall_inf)

    if kind == "calendar":
        periods = np.unique(times)
        periods = periods[periods >= groups.min()]
        t_att = []
        t_inf = []
        for period in periods:
            keep = np.flatnonzero((times == period) & (groups <= times))
            estimate, inf = _weighted(keep, att, influence, pg, unit_cohort, groups)
            t_att.append(estimate)
            t_inf.append(inf)
        t_att = np.asarray(t_att)
        t_inf = np.column_stack(t_inf)
        return Aggregate(kind, periods, t_att, t_inf, float(np.mean(t_att)), t_inf.mean(axis=1))

    raise ValueError(f"unknown aggregation {kind!r}")
