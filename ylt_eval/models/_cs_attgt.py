"""Group-time average treatment effects ATT(g,t) and their influence functions (panel data).

Numerics only: a balanced panel in wide arrays goes in, point estimates and the ``n × K``
matrix of influence functions come out. The 2×2 estimators follow the R package ``DRDID``
(Sant'Anna & Zhao 2020) exactly as R ``did`` calls them for panel data:

- ``"reg"``: ``DRDID::reg_did_panel`` (outcome regression, Heckman–Ichimura–Todd);
- ``"ipw"``: ``DRDID::std_ipw_did_panel`` (normalised, Hájek-type inverse probability weights);
- ``"dr"``:  ``DRDID::drdid_panel`` (traditional doubly robust, logit propensity score by
  maximum likelihood and OLS outcome regression; not the "improved" ``drdid_imp_panel``).

The loop over (g, t) cells and the choice of base period, comparison group and covariate
period follow ``did::compute.att_gt``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

#: Propensity scores at or above this make R ``did`` skip the cell ("overlap violated").
OVERLAP_LIMIT = 0.999
#: ``DRDID`` drops comparison units whose propensity score is at or above this.
TRIM_LEVEL = 0.995
_EPS = np.finfo(float).eps


@dataclass(frozen=True)
class PanelArrays:
    """A balanced panel held as wide arrays, units sorted by id.

    Attributes
    ----------
    periods : numpy.ndarray
        The ``T`` time periods, ascending.
    cohort : numpy.ndarray
        First treatment period of each of the ``n`` units; 0 for never treated.
    outcome : numpy.ndarray
        ``n × T`` outcomes.
    covariates : numpy.ndarray
        ``n × T × k`` covariates; column 0 is the intercept (ones).
    """

    periods: np.ndarray
    cohort: np.ndarray
    outcome: np.ndarray
    covariates: np.ndarray


@dataclass(frozen=True)
class GroupTimeEffects:
    """Every ATT(g,t) with its influence function.

    Attributes
    ----------
    groups, times : numpy.ndarray
        Group (first treatment period) and time period of each of the ``K`` cells, ordered by
        group then time (R ``did`` order).
    att : numpy.ndarray
        Estimates; NaN where a cell could not be estimated.
    influence : numpy.ndarray
        ``n × K`` influence functions (zero for units outside the cell's treated and
        comparison groups; NaN columns for cells that could not be estimated).
    notes : tuple of str
        Why cells could not be estimated, for the caller to pass on as warnings.
    """

    groups: np.ndarray
    times: np.ndarray
    att: np.ndarray
    influence: np.ndarray
    notes: tuple[str, ...]


@dataclass(frozen=True)
class LogitFit:
    """A maximum-likelihood logistic regression.

    Attributes
    ----------
    coef : numpy.ndarray
        Coefficients.
    fitted : numpy.ndarray
        Fitted probabilities.
    converged : bool
        Whether Newton–Raphson met its tolerance.
    """

    coef: np.ndarray
    fitted: np.ndarray
    converged: bool


def fit_logit(x: np.ndarray, d: np.ndarray, max_iter: int = 100, tol: float = 1e-12) -> LogitFit:
    """Fit ``P(d = 1 | x) = expit(x β)`` by Newton–Raphson (iteratively reweighted least squares).

    Parameters
    ----------
    x : numpy.ndarray
        ``n × k`` design matrix including the intercept.
    d : numpy.ndarray
        0/1 outcome.
    max_iter : int
        Iteration limit.
    tol : float
        Convergence tolerance on the largest coefficient change (relative).

    Returns
    -------
    LogitFit
        Coefficients, fitted probabilities and convergence flag. Iterated to full precision
        (R's ``glm`` stops at a relative deviance change of 1e-8, which leaves coefficients
        within about 1e-8 of this optimum).
    """
    beta = np.zeros(x.shape[1])
    converged = False
    for _ in range(max_iter):
        p = expit(x @ beta)
        weight = p * (1.0 - p)
        hessian = x.T @ (weight[:, None] * x)
        score = x.T @ (d - p)
        try:
            step = np.linalg.solve(hessian, score)
        except np.linalg.LinAlgError:
            break
        beta = beta + step
        if not np.all(np.isfinite(beta)):
            break
        if np.max(np.abs(step)) <= tol * (1.0 + np.max(np.abs(beta))):
            converged = True
            break
    return LogitFit(coef=beta, fitted=expit(x @ beta), converged=converged)


def reciprocal_condition(matrix: np.ndarray) -> float:
    """Reciprocal 1-norm condition number (R ``rcond``), 0 for a singular matrix.

    Parameters
    ----------
    matrix : numpy.ndarray
        A square matrix.

    Returns
    -------
    float
        ``1 / (‖A‖₁ ‖A⁻¹‖₁)``.
    """
    try:
        inverse = np.linalg.inv(matrix)
    except np.linalg.LinAlgError:
        return 0.0
    value = 1.0 / (np.linalg.norm(matrix, 1) * np.linalg.norm(inverse, 1))
    return float(value) if np.isfinite(value) else 0.0


def _ols_on_controls(delta_y: np.ndarray, d: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Least-squares coefficients of ``delta_y`` on ``x`` among comparison units (d == 0)."""
    control = d == 0
    coef, *_ = np.linalg.lstsq(x[control], delta_y[control], rcond=None)
    return coef


def _ols_linear_representation(
    delta_y: np.ndarray, d: np.ndarray, x: np.ndarray, fitted: np.ndarray
) -> np.ndarray:
    """Asymptotic linear representation of the comparison-group OLS coefficients (n × k)."""
    n = d.size
    control = 1.0 - d
    xpx = (control[:, None] * x).T @ x / n
    return (control * (delta_y - fitted))[:, None] * x @ np.linalg.inv(xpx)


def _logit_linear_representation(d: np.ndarray, x: np.ndarray, ps: np.ndarray) -> np.ndarray:
    """Asymptotic linear representation of the logit coefficients (n × k)."""
    n = d.size
    weight = ps * (1.0 - ps)
    xtwx = x.T @ (weight[:, None] * x)
    return ((d - ps)[:, None] * x) @ (np.linalg.inv(xtwx) * n)


def did_reg_panel(delta_y: np.ndarray, d: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray]:
    """Outcome-regression DiD for panel data (``DRDID::reg_did_panel``).

    Parameters
    ----------
    delta_y : numpy.ndarray
        Change in outcome between the base and the current period, one per unit.
    d : numpy.ndarray
        1 for units of the treated group, 0 for comparison units.
    x : numpy.ndarray
        ``n × k`` covariates with the intercept in column 0.

    Returns
    -------
    att : float
        The estimate.
    influence : numpy.ndarray
        Influence function of each unit (length ``n``).
    """
    coef = _ols_on_controls(delta_y, d, x)
    fitted = x @ coef
    mean_d = d.mean()
    eta_treat = np.mean(d * delta_y) / mean_d
    eta_cont = np.mean(d * fitted) / mean_d
    ols_rep = _ols_linear_representation(delta_y, d, x, fitted)
    inf_treat = (d * delta_y - d * eta_treat) / mean_d
    inf_cont = (d * fitted - d * eta_cont + ols_rep @ np.mean(d[:, None] * x, axis=0)) / mean_d
    return float(eta_treat - eta_cont), inf_treat - inf_cont


def _propensity_weights(d: np.ndarray, ps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Treated and comparison weights of ``DRDID`` with its propensity-score trimming."""
    keep = np.ones_like(ps, dtype=bool)
    keep[d == 0] = ps[d == 0] < TRIM_LEVEL
    w_treat = keep * d
    w_cont = keep * ps * (1.0 - d) / (1.0 - ps)
    return w_treat, w_cont


def did_std_ipw_panel(
    delta_y: np.ndarray, d: np.ndarray, x: np.ndarray, ps: np.ndarray
) -> tuple[float, np.ndarray]:
    """Normalised inverse-probability-weighted DiD (``DRDID::std_ipw_did_panel``).

    Parameters
    ----------
    delta_y, d, x
        As :func:`did_reg_panel`.
    ps : numpy.ndarray
        Fitted propensity scores from :func:`fit_logit`.

    Returns
    -------
    att : float
        The estimate.
    influence : numpy.ndarray
        Influence function of each unit.
    """
    ps = np.minimum(ps, 1.0 - 1e-6)
    w_treat, w_cont = _propensity_weights(d, ps)
    eta_treat = np.mean(w_treat * delta_y) / np.mean(w_treat)
    eta_cont = np.mean(w_cont * delta_y) / np.mean(w_cont)
    logit_rep = _logit_linear_representation(d, x, ps)
    inf_treat = (w_treat * delta_y - w_treat * eta_treat) / np.mean(w_treat)
    m2 = np.mean((w_cont * (delta_y - eta_cont))[:, None] * x, axis=0)
    inf_cont = (w_cont * delta_y - w_cont * eta_cont + logit_rep @ m2) / np.mean(w_cont)
    return float(eta_treat - eta_cont), inf_treat - inf_cont


def did_dr_panel(
    delta_y: np.ndarray, d: np.ndarray, x: np.ndarray, ps: np.ndarray
) -> tuple[float, np.ndarray]:
    """Traditional doubly robust DiD for panel data (``DRDID::drdid_panel``).

    Parameters
    ----------
    delta_y, d, x
        As :func:`did_reg_panel`.
    ps : numpy.ndarray
        Fitted propensity scores from :func:`fit_logit`.

    Returns
    -------
    att : float
        The estimate.
    influence : numpy.ndarray
        Influence function of each unit.
    """
    ps = np.minimum(ps, 1.0 - 1e-6)
    w_treat, w_cont = _propensity_weights(d, ps)
    coef = _ols_on_controls(delta_y, d, x)
    residual = delta_y - x @ coef
    eta_treat = np.mean(w_treat * residual) / np.mean(w_treat)
    eta_cont = np.mean(w_cont * residual) / np.mean(w_cont)

    ols_rep = _ols_linear_representation(delta_y, d, x, x @ coef)
    logit_rep = _logit_linear_representation(d, x, ps)
    inf_treat = (
        w_treat * residual - w_treat * eta_treat - ols_rep @ np.mean(w_treat[:, None] * x, axis=0)
    ) / np.mean(w_treat)
    m2 = np.mean((w_cont * (residual - eta_cont))[:, None] * x, axis=0)
    m3 = np.mean(w_cont[:, None] * x, axis=0)
    inf_cont = (w_cont * residual - w_cont * eta_cont + logit_rep @ m2 - ols_rep @ m3) / np.mean(
        w_cont
    )
    return float(eta_treat - eta_cont), inf_treat - inf_cont


def base_period_index(periods: np.ndarray, group: float, anticipation: float) -> int:
    """Index of the last period before treatment (less anticipation) for a group.

    Parameters
    ----------
    periods : numpy.ndarray
        Ascending time periods.
    group : float
        First treatment period.
    anticipation : float
        Number of periods before ``group`` in which units may already react.

    Returns
    -------
    int
        Index ``i`` of the last ``periods[i]`` with ``periods[i] + anticipation < group``;
        -1 if there is none.
    """
    return int(np.searchsorted(periods + anticipation, group, side="left")) - 1


def comparison_units(
    cohort: np.ndarray,
    group: float,
    cutoff_period: float,
    *,
    not_yet_treated: bool,
    anticipation: float,
) -> np.ndarray:
    """Boolean mask of the comparison units of one (g, t) cell.

    Parameters
    ----------
    cohort : numpy.ndarray
        First treatment period of each unit, 0 for never treated.
    group : float
        The treated group of the cell.
    cutoff_period : float
        The later of the cell's current and base periods.
    not_yet_treated : bool
        Whether units treated later than ``cutoff_period + anticipation`` also serve.
    anticipation : float
        Anticipation periods.

    Returns
    -------
    numpy.ndarray
        The mask.
    """
    never = cohort == 0
    if not not_yet_treated:
        return never
    return never | ((cohort > cutoff_period + anticipation) & (cohort != group))


def _estimate_cell(
    delta_y: np.ndarray, d: np.ndarray, x: np.ndarray, est_method: str
) -> tuple[float, np.ndarray] | str:
    """One 2×2 DiD; returns a reason string instead when R ``did`` would skip the cell."""
    ps = None
    if est_method in ("dr", "ipw"):
        ps = fit_logit(x, d).fitted
        if np.max(ps) >= OVERLAP_LIMIT:
            return "overlap condition violated (a propensity score is at least 0.999)"
    if est_method in ("dr", "reg"):
        control_x = x[d == 0]
        if reciprocal_condition(control_x.T @ control_x) < _EPS:
            return "not enough comparison units to run the outcome regression"
    try:
        if est_method == "reg":
            return did_reg_panel(delta_y, d, x)
        if est_method == "ipw":
            return did_std_ipw_panel(delta_y, d, x, ps)
        return did_dr_panel(delta_y, d, x, ps)
    except np.linalg.LinAlgError:
        return "singular design matrix (collinear covariates?)"


def estimate_group_time_effects(
    panel: PanelArrays,
    groups: np.ndarray,
    *,
    control_group: str,
    est_method: str,
    base_period: str,
    anticipation: float,
) -> GroupTimeEffects:
    """Estimate every ATT(g,t) and its influence function (``did::compute.att_gt``).

    Parameters
    ----------
    panel : PanelArrays
        The balanced panel.
    groups : numpy.ndarray
        Treated groups to estimate, ascending.
    control_group : {"nevertreated", "notyettreated"}
        Comparison group.
    est_method : {"dr", "reg", "ipw"}
        2×2 estimator.
    base_period : {"varying", "universal"}
        ``"varying"``: pre-treatment cells compare t with t−1; ``"universal"``: every cell
        compares with g − anticipation − 1 (which is then normalised to zero).
    anticipation : float
        Anticipation periods.

    Returns
    -------
    GroupTimeEffects
        Estimates, influence functions and notes on skipped cells.
    """
    periods = panel.periods
    cohort = panel.cohort
    n = cohort.size
    first_cell = 1 if base_period == "varying" else 0
    not_yet = control_group == "notyettreated"
    cells_g: list[float] = []
    cells_t: list[float] = []
    estimates: list[float] = []
    columns: list[np.ndarray] = []
    notes: list[str] = []

    for group in groups:
        base = base_period_index(periods, group, anticipation)
        treated = cohort == group
        for current in range(first_cell, periods.size):
            post = group <= periods[current]
            reference = base if post or base_period == "universal" else current - 1
            cells_g.append(float(group))
            cells_t.append(float(periods[current]))
            if reference == current:
                # universal base period: the cell g-1 is zero by construction
                estimates.append(0.0)
                columns.append(np.zeros(n))
                continue

            cutoff = periods[max(current, reference)]
            control = comparison_units(
                cohort, group, cutoff, not_yet_treated=not_yet, anticipation=anticipation
            )
            in_cell = treated | control
            if not control.any():
                notes.append(
                    f"No comparison units for group {group:g} in time period "
                    f"{periods[current]:g}; ATT(g,t) set to NaN."
                )
                estimates.append(np.nan)
                columns.append(np.full(n, np.nan))
                continue

            delta_y = panel.outcome[in_cell, current] - panel.outcome[in_cell, reference]
            d = treated[in_cell].astype(float)
            # R did conditions on covariates from the earlier of the two periods
            x = panel.covariates[in_cell, min(current, reference), :]
            result = _estimate_cell(delta_y, d, x, est_method)
            if isinstance(result, str):
                notes.append(
                    f"Group {group:g}, time period {periods[current]:g}: {result}; "
                    "ATT(g,t) set to NaN."
                )
                estimates.append(np.nan)
                columns.append(np.full(n, np.nan))
                continue
            att, cell_influence = result
            column = np.zeros(n)
            # rescale: the cell uses only n1 of the n units
            column[in_cell] = cell_influence * (n / in_cell.sum())
            if not np.isfinite(att):
                att = np.nan
                column[:] = np.nan
            estimates.append(att)
            columns.append(column)

    influence = np.column_stack(columns) if columns else np.zeros((n, 0))
    return GroupTimeEffects(
        groups=np.asarray(cells_g),
        times=np.asarray(cells_t),
        att=np.asarray(estimates, dtype=float),
        influence=influence,
        notes=tuple(notes),
    )
