"""Borusyak, Jaravel & Spiess (2024) imputation estimator for staggered adoption.

1. Fit ``y = unit effect + period effect`` by OLS on the untreated observations only (never
   treated, and treated units before ``gname``).
2. Impute ``Y(0)`` for every treated observation from the fitted effects; the observation's
   effect is ``y - Y(0)``.
3. Average the effects: over all treated observations (``ATT``) and over those at each horizon
   ``h = tname - gname`` (``event_time::h``).

Without covariates this equals a regression of ``y`` on unit and period fixed effects plus one
dummy per treated observation, whose coefficients are the imputed effects.

Standard errors follow BJS (Theorem 3) as implemented in their Stata ``did_imputation``: the
estimator is linear, ``sum_it v_it y_it``, with ``v_it`` the estimand weight on treated
observations and ``-Z0 (Z0'Z0)^+ Z1' w`` on untreated ones; the variance is
``sum_clusters (sum_it v_it e_it)^2`` with ``e_it`` the first-step residuals on untreated
observations and, on treated ones, the effect minus its weighted average within its cohort ×
period cell (conservative when effects vary within cells). Intervals use the normal
distribution.

Treated observations whose unit has no untreated observation, whose period has none, or which
the untreated observations do not connect (so that ``Y(0)`` is not identified) are dropped with a
note (``did_imputation``'s ``autosample``). A cohort with a single untreated period is fine:
no singleton observations are removed.

The optional pre-trend test regresses ``y`` on the fixed effects and dummies for 1..k periods
before treatment on the untreated observations, with CRV1 standard errors (fixest's small-sample
factor), and reports a joint F test with G - 1 denominator degrees of freedom.

References
----------
Borusyak, K., Jaravel, X. and Spiess, J. (2024), "Revisiting event-study designs: robust and
efficient estimation", Review of Economic Studies 91(6), 3253-3285.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from numbers import Integral
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import sparse, stats
from scipy.sparse import csgraph

from ylt_eval.errors import EstimationError, ParameterError
from ylt_eval.models._prepare import (
    PreparedPanel,
    prepare_panel,
    provenance,
    sample_info,
    treated_post,
)
from ylt_eval.models._vcov import nested_in, small_sample_k
from ylt_eval.models._within import fit_absorbed_ols
from ylt_eval.models.results import EstimationResult, EstimatorConfig, Inference, PanelSpec

__all__ = ["ImputationConfig", "ImputationResult", "imputation"]

#: Term of the overall average effect.
ATT_TERM = "ATT"
#: Prefix of per-horizon terms (as in :mod:`ylt_eval.models.twfe`).
EVENT_TERM_PREFIX = "event_time::"
#: Prefix of pre-trend coefficients: ``pretrend::-1`` is one period before treatment.
PRETREND_TERM_PREFIX = "pretrend::"
#: ``did_imputation`` suppresses estimates resting on fewer effective observations than this.
MIN_EFFECTIVE_OBS = 30

# Relative eigenvalue cut-off of the pseudo-inverse of the reduced normal equations (their null
# space, one constant per connected component, cancels in every imputed value).
_EIGEN_CUTOFF = 1e-10


@dataclass(frozen=True, kw_only=True)
class ImputationConfig(EstimatorConfig):
    """Settings of an imputation fit.

    Attributes
    ----------
    horizons : tuple of int or None
        Horizons requested (None: every observed horizon).
    pretrends : int
        Number of pre-treatment periods tested (0: no test).
    """

    horizons: tuple[int, ...] | None = None
    pretrends: int = 0


def _read_only(values: Any, dtype: Any = np.float64) -> np.ndarray:
    array = np.array(values, dtype=dtype, copy=True)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, kw_only=True, eq=False)
class ImputationResult(EstimationResult):
    """Borusyak, Jaravel & Spiess (2024) imputation estimates.

    Terms: ``"ATT"`` (all treated observations, equally weighted), ``event_time::h`` for each
    horizon (``time`` holds h), then ``pretrend::-k`` coefficients if a pre-trend test was
    requested (``time`` holds -k). :attr:`vcov` is the joint BJS covariance.

    Attributes
    ----------
    config : ImputationConfig
        Settings used.
    effect_unit : numpy.ndarray
        Unit label of each imputed treated observation.
    effect_time, effect_cohort, effect_estimate : numpy.ndarray
        Its period, cohort and imputed effect ``y - Y(0)``.
    """

    ESTIMATOR: ClassVar[str] = "imputation"
    TITLE: ClassVar[str] = "Borusyak, Jaravel & Spiess (2024) imputation estimator"

    config: ImputationConfig
    effect_unit: NDArray[np.object_]
    effect_time: NDArray[np.float64]
    effect_cohort: NDArray[np.float64]
    effect_estimate: NDArray[np.float64]

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "effect_unit", _read_only(self.effect_unit, object))
        object.__setattr__(self, "effect_time", _read_only(self.effect_time))
        object.__setattr__(self, "effect_cohort", _read_only(self.effect_cohort))
        object.__setattr__(self, "effect_estimate", _read_only(self.effect_estimate))

    @property
    def overall_att(self) -> float:
        """Average imputed effect over all treated observations."""
        return self.estimate_of(ATT_TERM)

    @property
    def overall_se(self) -> float:
        """Standard error of :attr:`overall_att`."""
        return self.std_error_of(ATT_TERM)

    def effects(self) -> pd.DataFrame:
        """The imputed effect of every treated observation.

        Returns
        -------
        pandas.DataFrame
            Columns named after ``idname``, ``tname``, ``gname``, then ``event_time`` and
            ``effect``; sorted by unit and period.
        """
        panel = self.config.panel
        return pd.DataFrame(
            {
                panel.idname: np.array(self.effect_unit),
                panel.tname: self.effect_time.astype(np.int64),
                panel.gname: self.effect_cohort.astype(np.int64),
                "event_time": (self.effect_time - self.effect_cohort).astype(np.int64),
                "effect": np.array(self.effect_estimate),
            }
        )

    def _summary_header_lines(self) -> list[str]:
        config = self.config
        lines = [
            f"Untreated-outcome model: {config.panel.idname} + {config.panel.tname} fixed "
            "effects, fitted on untreated observations",
            f"Variance: BJS conservative, clustered by {config.cluster}, effects "
            "averaged within cohort × period cells",
        ]
        if config.pretrends:
            lines.append(
                f"Pre-trend test over {config.pretrends} period(s): see pretrend_f / pretrend_p"
            )
        return lines

    def glance(self) -> pd.DataFrame:
        """One row: the common columns, ``overall_att``, ``overall_se`` and the fit statistics.

        Returns
        -------
        pandas.DataFrame
        """
        frame = super().glance()
        frame["overall_att"] = self.overall_att
        frame["overall_se"] = self.overall_se
        return frame


def imputation(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    *,
    horizons: Sequence[int] | None = None,
    pretrends: int | None = None,
    cluster: str | None = None,
) -> ImputationResult:
    """Imputation estimator of Borusyak, Jaravel & Spiess (2024).

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel, one row per unit × period (unbalanced allowed). Not modified.
    yname, tname, idname, gname : str
        Outcome, period, unit and cohort (first treated period; 0 or NaN if never) columns.
    horizons : sequence of int, optional
        Non-negative horizons ``tname - gname`` to report; default every observed one; an
        empty sequence gives only the overall ATT.
    pretrends : int, optional
        Test for pre-trends over this many periods before treatment (0 or None: no test).
    cluster : str, optional
        Cluster column of the standard errors; defaults to ``idname``.

    Returns
    -------
    ImputationResult

    Raises
    ------
    ParameterError
        Unknown column, bad ``horizons`` / ``pretrends`` / ``cluster``, or a horizon or
        pre-trend period with no observation.
    DataValidationError
        Bad data (see :mod:`ylt_eval.models._prepare`).
    EstimationError
        No untreated or no treated observations, or no treated observation whose untreated
        outcome can be imputed.
    """
    config = ImputationConfig(
        panel=PanelSpec(yname=yname, tname=tname, idname=idname, gname=gname),
        vcov="BJS",
        cluster=_check_cluster(cluster, idname),
        horizons=_check_horizons(horizons),
        pretrends=_check_pretrends(pretrends),
    )
    panel = prepare_panel(data, config.panel, cluster=config.cluster)
    panel, notes = _imputable_sample(panel, config.panel)
    treated = treated_post(panel)
    untreated_fit = _fit_untreated(panel, ~treated)
    rows = np.flatnonzero(treated)
    effects = panel.y[rows] - untreated_fit.predict(panel.unit[rows], panel.period[rows])
    event_time = (panel.time - panel.cohort)[rows]
    horizon_list = _horizons(config.horizons, event_time)
    weights, terms, times = _estimand_weights(event_time, horizon_list)
    notes.extend(_effective_size_notes(weights, terms))
    estimates = weights.T @ effects
    scores = _bjs_cluster_scores(panel, treated, untreated_fit, effects, weights)
    statistics: dict[str, float] = {
        "n_treated_obs": float(rows.size),
        "n_untreated_obs": float(panel.n_obs - rows.size),
    }
    if config.pretrends:
        pretrend = _pretrend_regression(panel, ~treated, config.pretrends)
        notes.extend(pretrend.notes)
        terms = terms + pretrend.terms
        times = np.concatenate([times, pretrend.times])
        estimates = np.concatenate([estimates, pretrend.estimates])
        scores = np.column_stack([scores, pretrend.scores])
        statistics.update(pretrend.statistics)
    covariance = scores.T @ scores
    return ImputationResult(
        config=config,
        terms=terms,
        estimates=estimates,
        vcov=(covariance + covariance.T) / 2.0,
        time=times,
        inference=Inference(
            vcov_type="BJS",
            cluster=config.cluster,
            n_clusters=int(panel.cluster.max()) + 1,
            df=None,
        ),
        sample=sample_info(panel),
        provenance=provenance(panel),
        fit_statistics=statistics,
        notes=tuple(notes),
        effect_unit=panel.unit_labels[panel.unit[rows]],
        effect_time=panel.time[rows],
        effect_cohort=panel.cohort[rows],
        effect_estimate=effects,
    )


# --------------------------------------------------------------------------------------------
# Sample
# --------------------------------------------------------------------------------------------


def _restrict_rows(panel: PreparedPanel, keep: NDArray[np.bool_]) -> PreparedPanel:
    """Keep some rows, renumbering units, periods and clusters; dropped rows are counted."""
    unit_values, unit = np.unique(panel.unit[keep], return_inverse=True)
    _, period = np.unique(panel.time[keep], return_inverse=True)
    _, cluster = np.unique(panel.cluster[keep], return_inverse=True)
    return replace(
        panel,
        y=panel.y[keep],
        covariates=panel.covariates[keep],
        unit=unit.astype(np.intp),
        period=period.astype(np.intp),
        time=panel.time[keep],
        cohort=panel.cohort[keep],
        cluster=cluster.astype(np.intp),
        unit_labels=panel.unit_labels[unit_values],
        n_dropped=panel.n_dropped + int((~keep).sum()),
    )


def _imputable_sample(panel: PreparedPanel, spec: PanelSpec) -> tuple[PreparedPanel, list[str]]:
    """Drop treated observations whose untreated outcome the untreated ones cannot identify."""
    notes = []
    if panel.n_dropped:
        notes.append(
            f"{panel.n_dropped} row(s) dropped because of a missing outcome or cluster value"
        )
    treated = treated_post(panel)
    if not treated.any():
        raise EstimationError(
            "no treated observations: no unit is observed in or after its first treated "
            f"period. {spec.gname} must hold the first treated period and 0 or NaN for never "
            "treated units."
        )
    if treated.all():
        raise EstimationError(
            "no untreated observations (never-treated units or treated units before their "
            f"first treated period): the untreated outcome cannot be imputed. Check {spec.gname}."
        )
    imputable = _identified(panel, ~treated)
    lost = treated & ~imputable
    if not (treated & imputable).any():
        raise EstimationError(
            "the untreated outcome of no treated observation can be imputed: treated units "
            "need at least one untreated period, and treated periods need untreated units"
        )
    if lost.any():
        n_units = np.unique(panel.unit[lost]).size
        notes.append(
            f"{int(lost.sum())} treated observation(s) of {n_units} unit(s) dropped: their "
            "untreated outcome cannot be imputed (unit without an untreated period, e.g. "
            "treated from the first period on, or a period in which every unit is treated)"
        )
        panel = _restrict_rows(panel, ~lost)
    return panel, notes


def _identified(panel: PreparedPanel, untreated: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Rows whose unit and period effects are jointly identified by the untreated rows.

    They are when the unit and the period both have untreated rows and are connected through
    them (same connected component of the bipartite unit-period graph).
    """
    n_units, n_periods = panel.n_units, panel.n_periods
    edges = sparse.coo_matrix(
        (
            np.ones(int(untreated.sum())),
            (panel.unit[untreated], n_units + panel.period[untreated]),
        ),
        shape=(n_units + n_periods, n_units + n_periods),
    )
    _, component = csgraph.connected_components(edges, directed=False)
    unit_seen = np.bincount(panel.unit[untreated], minlength=n_units) > 0
    period_seen = np.bincount(panel.period[untreated], minlength=n_periods) > 0
    return (
        unit_seen[panel.unit]
        & period_seen[panel.period]
        & (component[panel.unit] == component[n_units + panel.period])
    )


# --------------------------------------------------------------------------------------------
# Two-way fixed effects on the untreated observations
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _UntreatedFit:
    """Unit and period effects fitted on untreated rows, and a solver of their normal
    equations ``(Z0'Z0) b = a``."""

    unit_effect: NDArray[np.float64]
    period_effect: NDArray[np.float64]
    counts: sparse.csr_matrix
    inverse_unit_size: NDArray[np.float64]
    reduced_inverse: NDArray[np.float64]
    untreated_rows: NDArray[np.intp]

    def predict(self, unit: NDArray[np.intp], period: NDArray[np.intp]) -> NDArray[np.float64]:
        return self.unit_effect[unit] + self.period_effect[period]

    def solve(
        self, unit_rhs: NDArray[np.float64], period_rhs: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """A solution ``(b_unit, b_period)`` of the normal equations for right-hand sides
        given per unit and per period (columns are separate systems)."""
        scaled = self.inverse_unit_size[:, None] * unit_rhs
        period_part = self.reduced_inverse @ (period_rhs - self.counts.T @ scaled)
        unit_part = self.inverse_unit_size[:, None] * (unit_rhs - self.counts @ period_part)
        return unit_part, period_part


def _fit_untreated(panel: PreparedPanel, untreated: NDArray[np.bool_]) -> _UntreatedFit:
    """OLS of y on unit and period dummies over untreated rows, by eliminating the units.

    With ``C`` the unit × period count table of untreated rows and ``n_i`` its row sums, the
    period effects solve ``(diag(n_t) - C' diag(1/n_i) C) λ = s_t - C' (s_i / n_i)`` and the
    unit effects are ``(s_i - C λ) / n_i``; only a periods × periods system is inverted.
    """
    rows = np.flatnonzero(untreated)
    n_units, n_periods = panel.n_units, panel.n_periods
    unit, period = panel.unit[rows], panel.period[rows]
    counts = sparse.csr_matrix((np.ones(rows.size), (unit, period)), shape=(n_units, n_periods))
    unit_size = np.asarray(counts.sum(axis=1)).ravel()
    period_size = np.asarray(counts.sum(axis=0)).ravel()
    inverse_unit_size = np.divide(1.0, unit_size, out=np.zeros(n_units), where=unit_size > 0)
    scaled = sparse.diags(inverse_unit_size) @ counts
    reduced = np.diag(period_size) - np.asarray((counts.T @ scaled).todense())
    eigenvalues, eigenvectors = np.linalg.eigh(reduced)
    usable = eigenvalues > _EIGEN_CUTOFF * max(eigenvalues.max(), 1.0)
    reduced_inverse = (eigenvectors[:, usable] / eigenvalues[usable]) @ eigenvectors[:, usable].T
    fit = _UntreatedFit(
        unit_effect=np.zeros(n_units),
        period_effect=np.zeros(n_periods),
        counts=counts,
        inverse_unit_size=inverse_unit_size,
        reduced_inverse=reduced_inverse,
        untreated_rows=rows,
    )
    y = panel.y[rows]
    unit_sums = np.bincount(unit, weights=y, minlength=n_units)[:, None]
    period_sums = np.bincount(period, weights=y, minlength=n_periods)[:, None]
    unit_effect, period_effect = fit.solve(unit_sums, period_sums)
    return replace(fit, unit_effect=unit_effect[:, 0], period_effect=period_effect[:, 0])


# --------------------------------------------------------------------------------------------
# Estimands and standard errors
# --------------------------------------------------------------------------------------------


def _horizons(requested: tuple[int, ...] | None, event_time: NDArray[np.float64]) -> list[int]:
    observed = sorted({int(e) for e in np.unique(event_time)})
    if requested is None:
        return observed
    missing = [h for h in requested if h not in observed]
    if missing:
        raise ParameterError(
            f"horizon(s) {missing} have no imputable treated observation; observed horizons: "
            f"{observed[0]}..{observed[-1]}"
            + (f" ({', '.join(map(str, observed))})" if len(observed) < 15 else "")
        )
    return list(requested)


def _estimand_weights(
    event_time: NDArray[np.float64], horizons: list[int]
) -> tuple[NDArray[np.float64], tuple[str, ...], NDArray[np.float64]]:
    """Weights on treated observations: one column per estimand, each summing to one."""
    columns = [np.full(event_time.size, 1.0 / event_time.size)]
    for horizon in horizons:
        at_horizon = (event_time == horizon).astype(np.float64)
        columns.append(at_horizon / at_horizon.sum())
    terms = (ATT_TERM, *(f"{EVENT_TERM_PREFIX}{h}" for h in horizons))
    times = np.array([np.nan, *horizons], dtype=np.float64)
    return np.column_stack(columns), terms, times


def _effective_size_notes(weights: NDArray[np.float64], terms: tuple[str, ...]) -> list[str]:
    effective = 1.0 / np.sum(weights**2, axis=0)
    thin = [term for term, size in zip(terms, effective, strict=True) if size < MIN_EFFECTIVE_OBS]
    if not thin:
        return []
    return [
        f"{', '.join(thin)} rest(s) on fewer than {MIN_EFFECTIVE_OBS} effective treated "
        "observations: their standard errors may be too small (did_imputation would suppress "
        "them)"
    ]


def _bjs_cluster_scores(
    panel: PreparedPanel,
    treated: NDArray[np.bool_],
    fit: _UntreatedFit,
    effects: NDArray[np.float64],
    weights: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Per-cluster sums ``sum_it v_it e_it`` (clusters × estimands); their cross-product is the
    BJS conservative covariance."""
    treated_rows = np.flatnonzero(treated)
    untreated_rows = fit.untreated_rows
    n_clusters = int(panel.cluster.max()) + 1

    # Implied weights of the untreated rows: v0 = -Z0 (Z0'Z0)^+ Z1' w.
    unit_rhs = _group_sums(panel.unit[treated_rows], weights, panel.n_units)
    period_rhs = _group_sums(panel.period[treated_rows], weights, panel.n_periods)
    unit_part, period_part = fit.solve(unit_rhs, period_rhs)
    untreated_weights = -(
        unit_part[panel.unit[untreated_rows]] + period_part[panel.period[untreated_rows]]
    )
    untreated_residuals = panel.y[untreated_rows] - fit.predict(
        panel.unit[untreated_rows], panel.period[untreated_rows]
    )

    # Treated rows: effect minus its average in the cohort × period cell, each observation
    # weighted by its estimand weight times its cluster's total weight in the cell.
    cluster = panel.cluster[treated_rows]
    _, cell = np.unique(
        np.column_stack([panel.cohort[treated_rows], panel.time[treated_rows]]),
        axis=0,
        return_inverse=True,
    )
    cell = cell.ravel()
    n_cells = int(cell.max()) + 1
    _, cluster_cell = np.unique(cluster * n_cells + cell, return_inverse=True)
    cluster_cell = cluster_cell.ravel()
    cluster_weight = _group_sums(cluster_cell, weights, int(cluster_cell.max()) + 1)[cluster_cell]
    numerator = cluster_weight * weights
    denominator = _group_sums(cell, numerator, n_cells)[cell]
    share = np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator != 0)
    cell_average = _group_sums(cell, share * effects[:, None], n_cells)[cell]
    treated_residuals = effects[:, None] - cell_average

    return _group_sums(cluster, weights * treated_residuals, n_clusters) + _group_sums(
        panel.cluster[untreated_rows],
        untreated_weights * untreated_residuals[:, None],
        n_clusters,
    )


def _group_sums(codes: NDArray[np.intp], values: NDArray[np.float64], size: int) -> NDArray:
    """Column-wise sums of ``values`` (n × m) by group code, shape (size, m)."""
    return np.column_stack(
        [np.bincount(codes, weights=values[:, j], minlength=size) for j in range(values.shape[1])]
    ).reshape(size, values.shape[1])


# --------------------------------------------------------------------------------------------
# Pre-trend test
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Pretrend:
    terms: tuple[str, ...]
    times: NDArray[np.float64]
    estimates: NDArray[np.float64]
    scores: NDArray[np.float64]
    statistics: dict[str, float]
    notes: list[str]


def _pretrend_regression(
    panel: PreparedPanel, untreated: NDArray[np.bool_], n_periods_before: int
) -> _Pretrend:
    """OLS of y on FE and pre-treatment dummies over untreated rows, with CRV1 scores."""
    rows = np.flatnonzero(untreated)
    lead = (panel.cohort[rows] - panel.time[rows]) * (panel.cohort[rows] > 0)
    leads = np.arange(1, n_periods_before + 1)
    dummies = (lead[:, None] == leads[None, :]).astype(np.float64)
    empty = leads[dummies.sum(axis=0) == 0]
    if empty.size:
        raise ParameterError(
            f"pretrends={n_periods_before}: no untreated observation is "
            f"{', '.join(map(str, empty))} period(s) before treatment; use a smaller number"
        )
    _, unit = np.unique(panel.unit[rows], return_inverse=True)
    _, period = np.unique(panel.period[rows], return_inverse=True)
    factors = (unit.astype(np.intp), period.astype(np.intp))
    ols = fit_absorbed_ols(panel.y[rows], dummies, factors)
    notes = []
    if not ols.kept.all():
        notes.append(
            "pre-trend coefficient(s) "
            + ", ".join(f"{-lag}" for lag in leads[~ols.kept])
            + " dropped: collinear with the fixed effects"
        )
    if not ols.kept.any():
        raise EstimationError("no pre-trend coefficient can be estimated (all collinear)")
    n_clusters_all = int(panel.cluster.max()) + 1
    cluster = panel.cluster[rows]
    _, cluster_local = np.unique(cluster, return_inverse=True)
    n_clusters = int(cluster_local.max()) + 1
    n, k = ols.regressors.shape
    nested = [nested_in(codes, cluster_local.astype(np.intp)) for codes in factors]
    fe_sizes = [int(codes.max()) + 1 for codes in factors]
    ssc_k = small_sample_k(k, fe_sizes, nested)
    if n_clusters < 2 or n - ssc_k <= 0:
        raise EstimationError(
            "the pre-trend test needs at least 2 clusters and residual degrees of freedom "
            "among the untreated observations"
        )
    factor = (n - 1) / (n - ssc_k) * n_clusters / (n_clusters - 1)
    row_scores = ols.regressors * ols.residuals[:, None]
    scores = _group_sums(cluster, row_scores, n_clusters_all) @ ols.bread * np.sqrt(factor)
    covariance = scores.T @ scores
    estimates = ols.coefficients
    kept_leads = leads[ols.kept]
    try:
        wald = float(estimates @ np.linalg.solve(covariance, estimates))
        f_stat = wald / estimates.size
        p_value = float(stats.f.sf(f_stat, estimates.size, n_clusters - 1))
    except np.linalg.LinAlgError:
        f_stat, p_value = np.nan, np.nan
    return _Pretrend(
        terms=tuple(f"{PRETREND_TERM_PREFIX}{-lag}" for lag in kept_leads),
        times=-kept_leads.astype(np.float64),
        estimates=estimates,
        scores=scores,
        statistics={
            "pretrend_f": f_stat,
            "pretrend_p": p_value,
            "pretrend_df1": float(estimates.size),
            "pretrend_df2": float(n_clusters - 1),
        },
        notes=notes,
    )


# --------------------------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------------------------


def _check_cluster(cluster: Any, idname: str) -> str:
    if cluster is None:
        return idname
    if not isinstance(cluster, str) or not cluster:
        raise ParameterError(f"cluster must be a column name, got {cluster!r}")
    return cluster


def _check_horizons(horizons: Any) -> tuple[int, ...] | None:
    if horizons is None:
        return None
    if isinstance(horizons, str) or not isinstance(horizons, Sequence):
        raise ParameterError(f"horizons must be a list of non-negative integers, got {horizons!r}")
    values = []
    for value in horizons:
        if isinstance(value, bool) or not isinstance(value, Integral) or value < 0:
            raise ParameterError(
                f"horizons must hold non-negative integers (periods since treatment), got "
                f"{value!r}; test pre-treatment periods with pretrends="
            )
        values.append(int(value))
    return tuple(sorted(set(values)))


def _check_pretrends(pretrends: Any) -> int:
    if pretrends is None:
        return 0
    if isinstance(pretrends, bool) or not isinstance(pretrends, Integral) or pretrends < 0:
        raise ParameterError(
            f"pretrends must be a non-negative integer number of periods, got {pretrends!r}"
        )
    return int(pretrends)
