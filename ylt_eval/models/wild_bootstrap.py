"""Wild cluster bootstrap for the static two-way fixed-effects coefficient.

When only a handful of clusters (counties, prefectures) are treated, t-tests with CRV1 standard
errors over-reject. The restricted wild cluster bootstrap (WCR; Cameron, Gelbach & Miller
2008; MacKinnon & Webb 2017) imposes the null, multiplies the restricted residuals of each
cluster by one random weight (Rademacher ±1, or Webb's six-point distribution), re-estimates
the regression and compares the observed CRV1 t-statistic with the bootstrap ones.

Nothing is re-estimated draw by draw. As in Roodman, MacKinnon, Nielsen & Webb (2019), the
bootstrap t-statistic is a ratio of a linear and the square root of a quadratic form in the
cluster weights, whose coefficients are cluster-level sums computed once:

- ``y* = ŷ_r + ü ∘ v`` and the estimate ``β* - β0 = Σ_g a_g v_g`` with ``a_g = b' Z~_g' ü_g``
  (``Z~`` the regressors after absorbing both fixed effects, ``b`` the tested row of
  ``(Z~'Z~)^-1``);
- the bootstrap residual is ``M_[Z,FE] (ü ∘ v)``. Unit effects are nested in the clusters and
  drop out of every cluster score; the period effects do not, and contribute
  ``C_g (W'W)^+ R v`` where ``C_g`` sums ``b'z~`` and ``R`` sums ``ü`` by cluster × period, and
  ``W'W`` is the period block of the two-way normal equations (see :mod:`._within`);
- every piece is affine in the null value ``β0``, so the p-value at any ``β0`` is an O(B)
  computation on stored vectors, which makes the confidence interval by test inversion cheap.

The result equals re-estimating the full regression (with all unit and period dummies) for
every draw; ``tests/test_wild_bootstrap.py`` checks that against a brute-force implementation.

References
----------
Cameron, A. C., Gelbach, J. B. and Miller, D. L. (2008), "Bootstrap-based improvements for
inference with clustered errors", Review of Economics and Statistics 90(3), 414-427.
MacKinnon, J. G. and Webb, M. D. (2017), "Wild bootstrap inference for wildly different
cluster sizes", Journal of Applied Econometrics 32(2), 233-254.
Roodman, D., MacKinnon, J. G., Nielsen, M. Ø. and Webb, M. D. (2019), "Fast and wild:
bootstrap inference in Stata using boottest", Stata Journal 19(1), 4-60.
Webb, M. D. (2014), "Reworking wild bootstrap based inference for clustered errors", Queen's
Economics Department Working Paper 1315 (six-point weights).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import scipy.linalg
from numpy.typing import NDArray
from scipy import stats

from ylt_eval.errors import EstimationError, ParameterError
from ylt_eval.models._prepare import (
    PreparedPanel,
    check_positive_int,
    check_seed,
    prepare_panel,
    treated_post,
)
from ylt_eval.models._vcov import nested_in
from ylt_eval.models._within import AbsorbedOls, fit_absorbed_ols
from ylt_eval.models.results import TIDY_COLUMNS, EstimationResult, EstimatorConfig, TwfeResult
from ylt_eval.models.twfe import POST_TERM, twfe

__all__ = [
    "WEBB_VALUES",
    "WEIGHT_TYPES",
    "BootstrapTestFunction",
    "WildBootstrapConfig",
    "WildBootstrapResult",
    "bootstrap_weights",
    "wild_cluster_bootstrap",
]

#: Accepted values of ``weights``.
WEIGHT_TYPES: tuple[str, ...] = ("rademacher", "webb")
#: Support of Webb's (2014) six-point distribution, each value with probability 1/6.
WEBB_VALUES: NDArray[np.float64] = np.array(
    [-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0, math.sqrt(1.5)]
)
WEBB_VALUES.setflags(write=False)

# Draws are generated and processed in blocks of this many; fixed (not tuned to memory) so
# that a seed gives the same weights on every machine.
_DRAW_BLOCK = 1024
# |t*| within this (relative) margin of |t| is a tie and counts as at least as extreme: the
# draws v = ±1 reproduce the sample exactly, and only rounding separates their |t*| from |t|.
_TIE_TOLERANCE = 1e-9
# Outward search of the interval ends: first step (in CRV1 half-widths), number of doublings
# before an end is declared unbounded, and bisection steps.
_FIRST_STEP = 0.25
_MAX_DOUBLINGS = 40
_BISECTION_STEPS = 200


# --------------------------------------------------------------------------------------------
# Settings and results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class WildBootstrapConfig(EstimatorConfig):
    """Settings of a wild cluster bootstrap test.

    Attributes
    ----------
    param : str
        Tested coefficient (``"post"`` or a covariate).
    weights : str
        ``"rademacher"`` or ``"webb"``.
    reps : int
        Bootstrap draws requested.
    seed : int or None
        Seed of :func:`numpy.random.default_rng`.
    impose_null : bool
        True for WCR (restricted residuals), False for WCU.
    alpha : float
        Significance level of the confidence interval.
    """

    param: str
    weights: str
    reps: int
    seed: int | None
    impose_null: bool
    alpha: float


@dataclass(frozen=True, eq=False)
class BootstrapTestFunction:
    """Bootstrap p-value of ``H0: coefficient = null`` as a function of ``null``.

    With fixed bootstrap weights, the numerator and squared CRV1 standard error of draw ``b``
    are ``n0_b - null * n1_b`` and ``c (A00_b - 2 null A01_b + null² A11_b)``; the observed
    statistic is ``(estimate - null) / std_error``. Under WCU (``impose_null=False``) the
    ``null`` terms are zero.

    Attributes
    ----------
    estimate, std_error : float
        Point estimate and its CRV1 standard error.
    numerator : numpy.ndarray
        Shape (2, B): ``n0`` and ``n1``.
    quadratic : numpy.ndarray
        Shape (3, B): ``c·A00``, ``c·A01`` and ``c·A11``.
    """

    estimate: float
    std_error: float
    numerator: NDArray[np.float64]
    quadratic: NDArray[np.float64]

    def __post_init__(self) -> None:
        for name in ("numerator", "quadratic"):
            array = np.array(getattr(self, name), dtype=np.float64, copy=True)
            array.setflags(write=False)
            object.__setattr__(self, name, array)

    @property
    def n_draws(self) -> int:
        """Number of bootstrap draws."""
        return int(self.numerator.shape[1])

    def observed_statistic(self, null: float) -> float:
        """CRV1 t-statistic of ``H0: coefficient = null``.

        Parameters
        ----------
        null : float
            Hypothesised value.
        """
        return (self.estimate - float(null)) / self.std_error

    def statistics(self, null: float) -> NDArray[np.float64]:
        """Bootstrap t-statistics under ``H0: coefficient = null`` (one per draw).

        Parameters
        ----------
        null : float
            Hypothesised value.

        Returns
        -------
        numpy.ndarray
            NaN for draws whose bootstrap standard error is zero and numerator zero.
        """
        null = float(null)
        n0, n1 = self.numerator
        a00, a01, a11 = self.quadratic
        variance = np.maximum(a00 - 2.0 * null * a01 + null * null * a11, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (n0 - null * n1) / np.sqrt(variance)

    def p_value(self, null: float = 0.0) -> float:
        """Symmetric bootstrap p-value: share of draws with ``|t*| >= |t|``.

        Ties (equal up to a relative ``1e-9``) count as at least as extreme, so under full
        enumeration the two draws that reproduce the sample (``v = ±1``) are always counted
        and the smallest p-value is ``2 / 2^G``, as in an exact sign-randomisation test.
        boottest, fwildclusterboot and wildboottest count ``|t*| > |t|`` and leave these
        ties to rounding; their p-values can be lower by ``2 / 2^G``.

        Parameters
        ----------
        null : float, default 0
            Hypothesised value.
        """
        observed = abs(self.observed_statistic(null))
        margin = _TIE_TOLERANCE * max(observed, 1.0)
        with np.errstate(invalid="ignore"):
            exceed = np.abs(self.statistics(null)) >= observed - margin
        return float(np.count_nonzero(exceed)) / self.n_draws

    def confidence_interval(self, conf_level: float) -> tuple[float, float]:
        """Ends of ``{null : p_value(null) > 1 - conf_level}``, found by test inversion.

        Each end is bracketed by an outward search from the estimate (steps doubling from a
        quarter of the CRV1 half-width) and then located by bisection to rounding precision,
        as boottest does. The accepted set is assumed to be an interval; an end that is not
        reached within ``2^40`` half-widths is reported as infinite.

        Parameters
        ----------
        conf_level : float
            Coverage, strictly between 0 and 1.

        Returns
        -------
        tuple of float
            ``(low, high)``; ``-inf`` / ``inf`` when unbounded, NaN when the estimate itself
            is rejected (a degenerate bootstrap distribution).
        """
        level = _check_level(conf_level, "conf_level")
        alpha = 1.0 - level
        if self.p_value(self.estimate) <= alpha:
            return math.nan, math.nan
        return self._end(-1.0, alpha), self._end(1.0, alpha)

    def _end(self, direction: float, alpha: float) -> float:
        scale = self.std_error if self.std_error > 0 else max(abs(self.estimate), 1.0)
        inner = self.estimate
        step = _FIRST_STEP * scale
        outer = math.nan
        for _ in range(_MAX_DOUBLINGS):
            candidate = self.estimate + direction * step
            if self.p_value(candidate) <= alpha:
                outer = candidate
                break
            inner = candidate
            step *= 2.0
        if math.isnan(outer):
            return direction * math.inf
        for _ in range(_BISECTION_STEPS):
            middle = 0.5 * (inner + outer)
            if middle in (inner, outer):
                break
            if self.p_value(middle) > alpha:
                inner = middle
            else:
                outer = middle
        return 0.5 * (inner + outer)


def _read_only(values: Any) -> NDArray[np.float64]:
    array = np.array(values, dtype=np.float64, copy=True)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, kw_only=True, eq=False)
class WildBootstrapResult(EstimationResult):
    """Wild cluster bootstrap test of one static TWFE coefficient.

    ``tidy()`` reports the CRV1 standard error of :func:`~ylt_eval.models.twfe`, and the
    bootstrap p-value of ``H0: coefficient = 0`` and the bootstrap confidence interval (by
    test inversion) in place of the Student-t ones.

    Attributes
    ----------
    config : WildBootstrapConfig
        Settings used.
    t_statistic : float
        Observed CRV1 t-statistic of ``H0: coefficient = 0``.
    p_value : float
        Symmetric bootstrap p-value of that hypothesis.
    crv1_p_value : float
        The conventional p-value (Student t with G - 1 df), for comparison.
    conf_low, conf_high : float
        Bootstrap confidence interval at level ``1 - config.alpha``.
    bootstrap_statistics : numpy.ndarray
        Bootstrap t-statistics under ``H0: coefficient = 0``, one per draw.
    n_draws : int
        Draws used (``2^G`` under full enumeration).
    enumerated : bool
        Whether all ``2^G`` Rademacher sign vectors were used instead of random draws (then
        the p-value is deterministic and does not depend on the seed).
    n_treated_clusters : int
        Clusters with at least one treated observation.
    test_function : BootstrapTestFunction
        p-value at any null value and intervals at any level, on the same draws.
    """

    ESTIMATOR: ClassVar[str] = "twfe_wild_cluster_bootstrap"
    TITLE: ClassVar[str] = "Two-way fixed effects: wild cluster bootstrap"

    config: WildBootstrapConfig
    t_statistic: float
    p_value: float
    crv1_p_value: float
    conf_low: float
    conf_high: float
    bootstrap_statistics: NDArray[np.float64]
    n_draws: int
    enumerated: bool
    n_treated_clusters: int
    test_function: BootstrapTestFunction

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "bootstrap_statistics", _read_only(self.bootstrap_statistics))

    @property
    def method(self) -> str:
        """``"WCR"`` (null imposed) or ``"WCU"``."""
        return "WCR" if self.config.impose_null else "WCU"

    def p_value_at(self, null: float) -> float:
        """Bootstrap p-value of ``H0: coefficient = null`` on the same draws.

        Parameters
        ----------
        null : float
            Hypothesised value.
        """
        return self.test_function.p_value(float(null))

    def confidence_interval(self, conf_level: float | None = None) -> tuple[float, float]:
        """Bootstrap confidence interval by test inversion.

        Parameters
        ----------
        conf_level : float, optional
            Coverage; defaults to ``1 - config.alpha`` (the stored interval).
        """
        if conf_level is None or math.isclose(float(conf_level), 1.0 - self.config.alpha):
            return self.conf_low, self.conf_high
        return self.test_function.confidence_interval(conf_level)

    def tidy(self, conf_level: float | None = None) -> pd.DataFrame:
        """One row: ``term, group, time, estimate, std_error, conf_low, conf_high, p_value``.

        Parameters
        ----------
        conf_level : float, optional
            Coverage of the bootstrap interval; defaults to ``1 - config.alpha``.

        Returns
        -------
        pandas.DataFrame
            ``std_error`` is the CRV1 standard error; ``p_value`` (of ``H0: coefficient = 0``)
            and the interval come from the bootstrap.
        """
        low, high = self.confidence_interval(conf_level)
        return pd.DataFrame(
            {
                "term": pd.Series(self.terms, dtype="string"),
                "group": np.array(self.group),
                "time": np.array(self.time),
                "estimate": np.array(self.estimates),
                "std_error": np.array(self.std_errors),
                "conf_low": [low],
                "conf_high": [high],
                "p_value": [self.p_value],
            },
            columns=list(TIDY_COLUMNS),
        )

    def glance(self) -> pd.DataFrame:
        """One row: the common columns plus the bootstrap settings and statistics.

        Returns
        -------
        pandas.DataFrame
            Common columns of :meth:`EstimationResult.glance`, then ``method, weights,
            n_draws, enumerated, t_statistic, p_value, crv1_p_value, n_treated_clusters``.
        """
        frame = super().glance()
        frame["method"] = pd.Series([self.method], dtype="string")
        frame["weights"] = pd.Series([self.config.weights], dtype="string")
        frame["n_draws"] = self.n_draws
        frame["enumerated"] = self.enumerated
        frame["t_statistic"] = self.t_statistic
        frame["p_value"] = self.p_value
        frame["crv1_p_value"] = self.crv1_p_value
        frame["n_treated_clusters"] = self.n_treated_clusters
        return frame

    def summary(self, conf_level: float | None = None) -> str:
        """Plain-text summary (returned, not printed).

        Parameters
        ----------
        conf_level : float, optional
            Coverage of the interval shown; defaults to ``1 - config.alpha``.
        """
        level = 1.0 - self.config.alpha if conf_level is None else float(conf_level)
        panel = self.config.panel
        sample = self.sample
        inference = self.inference
        imposed = "null imposed" if self.config.impose_null else "null not imposed"
        draws = (
            f"all {self.n_draws:,} Rademacher sign vectors (full enumeration)"
            if self.enumerated
            else f"{self.n_draws:,} random {self.config.weights.capitalize()} draws "
            f"(seed {self.config.seed})"
        )
        lines = [
            self.TITLE,
            "=" * len(self.TITLE),
            f"Outcome: {panel.yname}   Unit: {panel.idname}   Period: {panel.tname}   "
            f"Cohort: {panel.gname}",
        ]
        if panel.covariates:
            lines.append(f"Covariates: {', '.join(panel.covariates)}")
        lines += [
            f"Fixed effects: {panel.idname} + {panel.tname}   "
            f"post = 1[{panel.gname} > 0 and {panel.tname} >= {panel.gname}]",
            f"Observations: {sample.n_obs:,} (dropped {sample.n_dropped:,})   "
            f"Units: {sample.n_units:,} ({sample.n_treated_units:,} treated)   "
            f"Clusters: {inference.n_clusters:,} by {inference.cluster} "
            f"({self.n_treated_clusters:,} with treated observations)",
            f"Standard error: CRV1 (as twfe)   t = {self.t_statistic:.4f}   "
            f"Student t({inference.df:g}) p-value {self.crv1_p_value:.4f}",
            f"Bootstrap: {self.method} ({imposed}), "
            f"{draws}; symmetric bootstrap-t p-value and interval by test inversion",
            "",
            self.tidy(level)
            .drop(columns=["group", "time"])
            .set_index("term")
            .to_string(float_format=lambda value: f"{value:.6g}"),
        ]
        if self.notes:
            lines += ["", "Notes:"] + [f"- {note}" for note in self.notes]
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Bootstrap weights
# --------------------------------------------------------------------------------------------


def _enumerates(n_clusters: int, reps: int, weights: str) -> bool:
    return weights == "rademacher" and 2**n_clusters <= reps


def _weight_blocks(
    n_clusters: int, reps: int, weights: str, seed: int | None
) -> Iterator[NDArray[np.float64]]:
    """Blocks of bootstrap weights, shape (draws in block, n_clusters)."""
    if _enumerates(n_clusters, reps, weights):
        n_draws = 2**n_clusters
        bits = np.arange(n_clusters)
        for start in range(0, n_draws, _DRAW_BLOCK):
            codes = np.arange(start, min(start + _DRAW_BLOCK, n_draws))
            yield 2.0 * ((codes[:, None] >> bits) & 1) - 1.0
        return
    rng = np.random.default_rng(seed)
    for start in range(0, reps, _DRAW_BLOCK):
        size = (min(_DRAW_BLOCK, reps - start), n_clusters)
        if weights == "rademacher":
            yield 2.0 * rng.integers(0, 2, size=size) - 1.0
        else:
            yield WEBB_VALUES[rng.integers(0, 6, size=size)]


def bootstrap_weights(
    n_clusters: int, reps: int, *, weights: str = "rademacher", seed: int | None = None
) -> NDArray[np.float64]:
    """The cluster weights :func:`wild_cluster_bootstrap` uses, one row per draw.

    Rademacher weights are ±1 with probability ½; Webb weights take the six values of
    :data:`WEBB_VALUES` with probability 1/6 each. When ``weights="rademacher"`` and
    ``2^n_clusters <= reps``, all ``2^n_clusters`` sign vectors are returned instead (row
    ``b`` has ``+1`` in column ``g`` when bit ``g`` of ``b`` is set).

    Parameters
    ----------
    n_clusters : int
        Number of clusters G (columns, in sorted order of the cluster labels).
    reps : int
        Draws requested.
    weights : {"rademacher", "webb"}
        Weight distribution.
    seed : int, optional
        Seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    numpy.ndarray
        Shape (draws, n_clusters).
    """
    weights = _check_weights(weights)
    reps = _check_reps(reps)
    if isinstance(n_clusters, bool) or not isinstance(n_clusters, int | np.integer):
        raise ParameterError(f"n_clusters must be a positive integer, got {n_clusters!r}")
    if n_clusters < 1:
        raise ParameterError(f"n_clusters must be a positive integer, got {n_clusters!r}")
    return np.vstack(list(_weight_blocks(int(n_clusters), reps, weights, check_seed(seed))))


# --------------------------------------------------------------------------------------------
# Cluster-level pieces of the bootstrap
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _TestedModel:
    """The TWFE fit as arrays, with the tested coefficient and its CRV1 standard error."""

    panel: PreparedPanel
    ols: AbsorbedOls
    column: int
    estimate: float
    std_error: float
    small_sample_factor: float
    n_treated_clusters: int


def _tested_model(data: pd.DataFrame, fit: TwfeResult, param: str) -> _TestedModel:
    """Rebuild the sample and fit of ``twfe`` and locate the tested coefficient."""
    spec = fit.config.panel
    if param not in (POST_TERM, *spec.covariates):
        raise ParameterError(
            f"param must be {POST_TERM!r} or one of the covariates "
            f"{list(spec.covariates)}, got {param!r}"
        )
    panel = prepare_panel(data, spec, cluster=fit.config.cluster)
    if not nested_in(panel.unit, panel.cluster):
        raise ParameterError(
            f"the wild cluster bootstrap needs every unit ({spec.idname}) inside one cluster, "
            f"but some units change {fit.config.cluster!r} over time; cluster by {spec.idname} "
            "or by a coarser unit-level column (prefecture, province)"
        )
    post = treated_post(panel)
    ols = fit_absorbed_ols(
        panel.y,
        np.column_stack([post.astype(np.float64), panel.covariates]),
        (panel.unit, panel.period),
    )
    names = [
        name for name, kept in zip((POST_TERM, *spec.covariates), ols.kept, strict=True) if kept
    ]
    if param not in names:
        raise EstimationError(
            f"covariate {param!r} is collinear with the fixed effects or other regressors and "
            "was dropped from the model, so it cannot be tested"
        )
    column = names.index(param)
    n_clusters = int(panel.n_clusters)
    n_obs = panel.n_obs
    factor = (n_obs - 1) / (n_obs - int(fit.inference.ssc_k)) * n_clusters / (n_clusters - 1)
    if param == POST_TERM:
        std_error = fit.std_error_of(POST_TERM)
    else:
        scores = np.bincount(
            panel.cluster,
            weights=(ols.regressors @ ols.bread[:, column]) * ols.residuals,
            minlength=n_clusters,
        )
        std_error = math.sqrt(factor * float(scores @ scores))
    if not std_error > 0:
        raise EstimationError(
            f"the CRV1 standard error of {param!r} is zero, so no t-statistic can be formed"
        )
    return _TestedModel(
        panel=panel,
        ols=ols,
        column=column,
        estimate=float(ols.coefficients[column]),
        std_error=float(std_error),
        small_sample_factor=factor,
        n_treated_clusters=int(np.unique(panel.cluster[post]).size),
    )


@dataclass(frozen=True, eq=False)
class _ClusterScores:
    """Cluster sums that make the bootstrap scores of one residual vector ``u``.

    For cluster weights ``v`` (one draw), the tested-coefficient scores of the re-estimated
    model are ``a ∘ v - left @ (right @ v)`` and the estimate moves by ``a @ v``.
    """

    a: NDArray[np.float64]
    right: NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class _ScoreSystem:
    left: NDArray[np.float64]
    restricted: _ClusterScores
    slope: _ClusterScores | None
    small_sample_factor: float


def _period_gram_inverse(panel: PreparedPanel) -> NDArray[np.float64]:
    """Pseudo-inverse of ``E' M_D E``: period dummies after removing unit means."""
    n_units, n_periods = panel.n_units, panel.n_periods
    counts = np.zeros((n_units, n_periods))
    np.add.at(counts, (panel.unit, panel.period), 1.0)
    unit_sizes = counts.sum(axis=1)
    gram = np.diag(counts.sum(axis=0)) - (counts / unit_sizes[:, None]).T @ counts
    eigenvalues, eigenvectors = np.linalg.eigh((gram + gram.T) / 2.0)
    usable = eigenvalues > 1e-10 * max(float(eigenvalues.max()), 1.0)
    return (eigenvectors[:, usable] / eigenvalues[usable]) @ eigenvectors[:, usable].T


def _cluster_sums(codes: NDArray[np.intp], values: NDArray[np.float64], size: int) -> NDArray:
    """Column sums of ``values`` (n × k) by code, shape (size, k)."""
    return np.column_stack(
        [np.bincount(codes, weights=values[:, j], minlength=size) for j in range(values.shape[1])]
    ).reshape(size, values.shape[1])


def _score_system(model: _TestedModel, impose_null: bool) -> _ScoreSystem:
    """Cluster-level pieces of the bootstrap scores ``q*_g = b' Z~_g' u*_g``.

    ``u* = M_[Z,FE](ü ∘ v) = ü ∘ v - P_FE(ü ∘ v) - Z~ B S v``. With units nested in clusters
    the unit-effect part of ``P_FE`` sums to zero within every cluster (``Z~`` has zero unit
    sums), leaving the period effects ``λ = (E'M_D E)^+ R v``. Hence
    ``q* = a ∘ v - [C | H] [λ-map ; B S] v``: ``left = [C | H]`` (G × (T + k)) depends only
    on the design, ``right`` ((T + k) × G) is linear in the residuals.
    """
    panel, ols, column = model.panel, model.ols, model.column
    factor = model.small_sample_factor
    cluster = panel.cluster
    n_clusters = int(cluster.max()) + 1
    n_periods = panel.n_periods
    regressors = ols.regressors
    bread = ols.bread
    tested_row = bread[:, column]
    influence = regressors @ tested_row
    cell = cluster * n_periods + panel.period
    period_sums = np.bincount(cell, weights=influence, minlength=n_clusters * n_periods)
    gram_inverse = _period_gram_inverse(panel)
    left = np.hstack(
        [
            period_sums.reshape(n_clusters, n_periods),
            _cluster_sums(cluster, regressors * influence[:, None], n_clusters),
        ]
    )

    def scores(residuals: NDArray[np.float64]) -> _ClusterScores:
        by_cell = np.bincount(cell, weights=residuals, minlength=n_clusters * n_periods)
        period_part = gram_inverse @ by_cell.reshape(n_clusters, n_periods).T
        coefficient_part = (
            bread @ _cluster_sums(cluster, regressors * residuals[:, None], n_clusters).T
        )
        return _ClusterScores(
            a=np.bincount(cluster, weights=influence * residuals, minlength=n_clusters),
            right=np.vstack([period_part, coefficient_part]),
        )

    if not impose_null:
        return _ScoreSystem(left, scores(ols.residuals), None, factor)
    # Restricted model: y~ - null * z~_j on the other regressors, residuals u0 - null * u1.
    y_within = ols.residuals + regressors @ ols.coefficients
    tested = regressors[:, column]
    others = np.delete(regressors, column, axis=1)
    if others.shape[1]:
        q, _ = scipy.linalg.qr(others, mode="economic")
        y_within = y_within - q @ (q.T @ y_within)
        tested = tested - q @ (q.T @ tested)
    return _ScoreSystem(left, scores(y_within), scores(tested), factor)


def _bootstrap_moments(
    system: _ScoreSystem, n_clusters: int, reps: int, weights: str, seed: int | None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Numerator and quadratic-form coefficients of every draw (see BootstrapTestFunction)."""
    numerators: list[NDArray[np.float64]] = []
    quadratics: list[NDArray[np.float64]] = []
    # Draws are rows: (draws × G) @ (G × small) products are fast in this layout.
    left_t = np.ascontiguousarray(system.left.T)
    for v in _weight_blocks(n_clusters, reps, weights, seed):
        q0 = v * system.restricted.a - (v @ system.restricted.right.T) @ left_t
        n0 = v @ system.restricted.a
        if system.slope is None:
            n1 = np.zeros_like(n0)
            a01 = np.zeros_like(n0)
            a11 = np.zeros_like(n0)
        else:
            q1 = v * system.slope.a - (v @ system.slope.right.T) @ left_t
            n1 = v @ system.slope.a
            a01 = np.einsum("bg,bg->b", q0, q1)
            a11 = np.einsum("bg,bg->b", q1, q1)
        numerators.append(np.vstack([n0, n1]))
        quadratics.append(np.vstack([np.einsum("bg,bg->b", q0, q0), a01, a11]))
    factor = system.small_sample_factor
    return np.hstack(numerators), factor * np.hstack(quadratics)


# --------------------------------------------------------------------------------------------
# Public function
# --------------------------------------------------------------------------------------------


def wild_cluster_bootstrap(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    *,
    param: str = POST_TERM,
    cluster: str | None = None,
    weights: str = "rademacher",
    reps: int = 9999,
    seed: int | None = None,
    impose_null: bool = True,
    alpha: float = 0.05,
    xformla: str | None = None,
) -> WildBootstrapResult:
    """Wild cluster bootstrap-t test of a static TWFE coefficient (boottest's WCR by default).

    The model, sample and CRV1 t-statistic are those of :func:`~ylt_eval.models.twfe`
    (``y ~ post + x | unit + period``). The p-value of ``H0: coefficient = 0`` is the share of
    bootstrap draws with ``|t*| >= |t|`` (symmetric; see :meth:`BootstrapTestFunction.p_value`
    for ties); the interval collects the null values
    not rejected at level ``alpha``, found by root search over the null value on the same
    draws (test inversion, as boottest).

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel. Not modified; row order does not matter.
    yname, tname, idname, gname, xformla
        As in :func:`~ylt_eval.models.twfe`.
    param : str, default "post"
        Coefficient to test: ``"post"`` or a covariate of ``xformla``.
    cluster : str, optional
        Cluster column (defaults to ``idname``). Each unit must lie in one cluster.
    weights : {"rademacher", "webb"}
        Rademacher (±1) or Webb's six-point weights; Webb's are preferable with fewer than
        about 12 clusters, where Rademacher weights give few distinct statistics.
    reps : int, default 9999
        Random draws. With Rademacher weights and ``2^G <= reps`` all ``2^G`` sign vectors are
        used instead (full enumeration, as boottest), which makes the p-value deterministic.
    seed : int, optional
        Seed of :func:`numpy.random.default_rng`.
    impose_null : bool, default True
        Impose the null on the residuals (WCR, recommended); False gives WCU.
    alpha : float, default 0.05
        Significance level of the confidence interval.

    Returns
    -------
    WildBootstrapResult

    Raises
    ------
    ParameterError
        Invalid options, unknown ``param``, or clusters that split a unit.
    DataValidationError
        Bad data (see :func:`~ylt_eval.models.twfe`).
    EstimationError
        The TWFE model cannot be estimated, or the tested covariate was dropped as collinear.
    """
    weights = _check_weights(weights)
    reps = _check_reps(reps)
    seed = check_seed(seed)
    if not isinstance(impose_null, bool | np.bool_):
        raise ParameterError(f"impose_null must be True or False, got {impose_null!r}")
    impose_null = bool(impose_null)
    alpha = _check_alpha(alpha)
    if not isinstance(param, str):
        raise ParameterError(f"param must be a term name such as 'post', got {param!r}")

    fit = twfe(data, yname, tname, idname, gname, xformla=xformla, cluster=cluster, vcov="CRV1")
    model = _tested_model(data, fit, param)
    n_clusters = int(model.panel.n_clusters)
    system = _score_system(model, impose_null)
    numerator, quadratic = _bootstrap_moments(system, n_clusters, reps, weights, seed)
    test = BootstrapTestFunction(
        estimate=model.estimate,
        std_error=model.std_error,
        numerator=numerator,
        quadratic=quadratic,
    )
    conf_low, conf_high = test.confidence_interval(1.0 - alpha)
    t_statistic = model.estimate / model.std_error
    treated_clusters = model.n_treated_clusters
    enumerated = _enumerates(n_clusters, reps, weights)
    config = WildBootstrapConfig(
        panel=fit.config.panel,
        vcov="CRV1",
        cluster=fit.config.cluster,
        param=param,
        weights=weights,
        reps=reps,
        seed=seed,
        impose_null=impose_null,
        alpha=alpha,
    )
    notes = list(fit.notes) + _notes(
        n_clusters, treated_clusters, test, enumerated, reps, weights, (conf_low, conf_high)
    )
    return WildBootstrapResult(
        config=config,
        terms=(param,),
        estimates=[model.estimate],
        std_errors=[model.std_error],
        inference=fit.inference,
        sample=fit.sample,
        provenance=fit.provenance,
        fit_statistics=fit.fit_statistics,
        notes=tuple(notes),
        t_statistic=t_statistic,
        p_value=test.p_value(0.0),
        crv1_p_value=float(2.0 * stats.t(n_clusters - 1).sf(abs(t_statistic))),
        conf_low=conf_low,
        conf_high=conf_high,
        bootstrap_statistics=test.statistics(0.0),
        n_draws=test.n_draws,
        enumerated=enumerated,
        n_treated_clusters=treated_clusters,
        test_function=test,
    )


def _notes(
    n_clusters: int,
    treated_clusters: int,
    test: BootstrapTestFunction,
    enumerated: bool,
    reps: int,
    weights: str,
    interval: tuple[float, float],
) -> list[str]:
    notes = []
    if enumerated:
        notes.append(
            f"full enumeration: 2^{n_clusters} = {test.n_draws:,} Rademacher sign vectors "
            f"(<= reps = {reps:,}) were all used instead of random draws, as boottest does; "
            "the p-value is deterministic and the seed is not used"
        )
    if weights == "rademacher" and n_clusters <= 11:
        notes.append(
            f"with {n_clusters} clusters Rademacher weights give at most "
            f"{2 ** (n_clusters - 1):,} distinct |t*|, so p-values are coarse; Webb's "
            "six-point weights (weights='webb') are recommended (Webb 2014)"
        )
    if treated_clusters <= 2:
        notes.append(
            f"only {treated_clusters} cluster(s) contain treated observations: the wild "
            "cluster bootstrap is unreliable here (WCR under-rejects, WCU over-rejects; "
            "MacKinnon & Webb 2017); consider randomization inference"
        )
    if not all(math.isfinite(end) for end in interval):
        notes.append(
            "the bootstrap confidence interval is unbounded or undefined: the data cannot rule "
            "out arbitrarily large effects at this level (common with very few treated clusters)"
        )
    undefined = int(np.count_nonzero(np.isnan(test.statistics(0.0))))
    if undefined:
        notes.append(
            f"{undefined} draw(s) gave a zero bootstrap standard error and were not counted"
        )
    return notes


# --------------------------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------------------------


def _check_weights(weights: Any) -> str:
    if not isinstance(weights, str) or weights not in WEIGHT_TYPES:
        raise ParameterError(f"weights must be one of {', '.join(WEIGHT_TYPES)}; got {weights!r}")
    return weights


def _check_reps(value: Any) -> int:
    return check_positive_int(value, "reps", 9999)


def _check_alpha(alpha: Any) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, int | float | np.floating):
        raise ParameterError(f"alpha must be a number strictly between 0 and 1, got {alpha!r}")
    if not 0.0 < float(alpha) < 1.0:
        raise ParameterError(f"alpha must be a number strictly between 0 and 1, got {alpha!r}")
    return float(alpha)


def _check_level(level: Any, name: str) -> float:
    if isinstance(level, bool) or not isinstance(level, int | float | np.floating):
        raise ParameterError(f"{name} must be a number strictly between 0 and 1, got {level!r}")
    if not 0.0 < float(level) < 1.0:
        raise ParameterError(f"{name} must be a number strictly between 0 and 1, got {level!r}")
    return float(level)
