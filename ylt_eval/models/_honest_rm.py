"""Confidence sets under relative-magnitude restrictions (HonestDiD's ΔRM, conditional / hybrid).

Rambachan & Roth (2023), section 4.2: post-treatment violations of parallel trends may be at
most ``Mbar`` times the largest pre-treatment violation,

    ΔRM(Mbar) = {δ : |δ_{t+1} - δ_t| <= Mbar * max_{s<0} |δ_{s+1} - δ_s| for t >= 0}.

ΔRM is a finite union of polyhedra ``{A δ <= 0}``, one per location ``s`` and sign of the largest
pre-period first difference. For each of them the moment inequalities of Andrews, Roth & Pakes
(ARP, 2023) are tested on a grid of values of ``θ = l'τ_post``; a value is in the confidence set
if any polyhedron accepts it. This module reproduces R ``HonestDiD::computeConditionalCS_DeltaRM``
(package versions 0.2.x) with its defaults: post-period moments only, the least-favourable (LF)
hybrid with first-stage size ``κ = α / 10``, 1000 grid points on ``±20 sd(l'β̂_post)``.

How the computations map onto R's:

- the linear programme ``η = min_δ max_j (y_j - X_j δ) / sd_j`` and the dual LPs used to find the
  truncation points are maximisations of a linear function over the same polytope
  ``{λ >= 0, sd'λ = 1, X'λ = 0}``. Its vertices are enumerated once per polyhedron, so every LP
  becomes a maximum over a short list (exact, where R calls lpSolve / GLPK for every grid point);
- the LF critical value is the 1 - κ quantile (R type 7) of ``η`` over 1000 draws of
  ``mvtnorm::rmvnorm`` after ``set.seed(0)``, regenerated bit for bit (R's Mersenne-Twister and
  inversion, and rmvnorm's symmetric square root of the covariance);
- the primal (closed-form) and dual (R's bisection, emulated step for step) truncation
  points, the hybrid adjustment and the truncated-normal critical value follow
  ``.lp_conditional_test_fn``; with a single post-period the no-nuisance test
  ``.testInIdentifiedSet_LF_Hybrid`` is used, as in R.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from ylt_eval.errors import EstimationError, ParameterError
from ylt_eval.models._honest_flci import r_quantile7, r_rnorm

#: Draws of the least-favourable critical value (R ``sims = 1000``).
LF_DRAWS = 1000
#: Largest number of candidate bases of the dual polytope that are enumerated.
MAX_DUAL_BASES = 250_000
#: R's threshold for a Lagrange multiplier to count as binding.
_TOL_LAMBDA = 1e-6
#: R's tolerances in the dual bisection (``.vlo_vup_dual_fn``).
_TOL_C = 1e-6
_TOL_EQUALITY = 1e-6
_SWITCH_ITERATIONS = 10
_MAX_ITERATIONS = 10_000


# --------------------------------------------------------------------------------------------
# The restriction ΔRM as moment inequalities
# --------------------------------------------------------------------------------------------


def relative_magnitude_constraints(
    num_pre: int, num_post: int, mbar: float, s: int, max_positive: bool
) -> NDArray[np.float64]:
    """Matrix A with ``ΔRM_{s,±}(Mbar) = {δ : A δ <= 0}`` (R ``.create_A_RM``).

    Parameters
    ----------
    num_pre, num_post : int
        Numbers of pre- and post-periods.
    mbar : float
        Relative-magnitude bound.
    s : int
        Period ending the largest pre-period first difference, ``-(num_pre - 1) .. 0``.
    max_positive : bool
        Whether that difference is positive.

    Returns
    -------
    numpy.ndarray
        One row per inequality, one column per period except the reference period 0.
    """
    periods = num_pre + num_post
    differences = np.zeros((periods, periods + 1))
    for row in range(periods):
        differences[row, row : row + 2] = (-1.0, 1.0)
    largest = np.zeros(periods + 1)
    largest[num_pre + s - 1 : num_pre + s + 1] = (-1.0, 1.0)
    if not max_positive:
        largest = -largest
    bound = np.vstack([np.tile(largest, (num_pre, 1)), np.tile(mbar * largest, (num_post, 1))])
    matrix = np.vstack([differences - bound, -differences - bound])
    matrix = matrix[np.einsum("ij,ij->i", matrix, matrix) > 1e-10]
    return np.delete(matrix, num_pre, axis=1)


def _parameter_basis(l_vec: NDArray[np.float64]) -> NDArray[np.float64]:
    """Invertible matrix with first row ``l'`` (R ``.construct_Gamma``: RREF pivots of [l, I])."""
    size = l_vec.size
    rows = [l_vec]
    for index in range(size):
        unit = np.zeros(size)
        unit[index] = 1.0
        candidate = np.vstack([*rows, unit])
        if np.linalg.matrix_rank(candidate) == candidate.shape[0]:
            rows.append(unit)
        if len(rows) == size:
            break
    return np.vstack(rows)


def _symmetric_sqrt(matrix: NDArray[np.float64]) -> NDArray[np.float64]:
    """``mvtnorm::rmvnorm``'s factor (method "eigen"): V diag(sqrt(max(λ, 0))) V'."""
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def _truncnorm_quantile(p: float, lower: NDArray, upper: NDArray) -> NDArray[np.float64]:
    """Quantile of the standard normal truncated to [lower, upper] (TruncatedNormal::norminvp)."""
    return np.asarray(stats.truncnorm.ppf(p, lower, upper), dtype=np.float64)


# --------------------------------------------------------------------------------------------
# The dual polytope of the ARP linear programme
# --------------------------------------------------------------------------------------------


class DualPolytope:
    """Vertices of ``{λ >= 0, sd'λ = 1, X'λ = 0}``.

    ``max_λ λ'y`` over this polytope is the value ``η`` of ARP's linear programme
    ``min_{η, δ} η s.t. y - X δ <= η sd`` (R ``.test_delta_lp_fn``), and the optimal vertex is its
    vector of Lagrange multipliers.

    Parameters
    ----------
    sd : numpy.ndarray
        Standard deviations of the moments.
    nuisance : numpy.ndarray
        Matrix X (moments × nuisance parameters).
    """

    def __init__(self, sd: NDArray[np.float64], nuisance: NDArray[np.float64]):
        constraints = np.column_stack([sd, nuisance])  # W = [sd, X]
        n_moments, basis_size = constraints.shape
        n_bases = math.comb(n_moments, basis_size)
        if n_bases > MAX_DUAL_BASES:
            raise ParameterError(
                f"too many post-periods for the relative-magnitudes test ({n_bases:,} candidate "
                "bases); use fewer post-periods"
            )
        bases = np.array(list(itertools.combinations(range(n_moments), basis_size)))
        blocks = constraints[bases]  # (n_bases, basis_size, basis_size) = W_B
        rhs = np.zeros(basis_size)
        rhs[0] = 1.0
        determinant = np.linalg.det(blocks)
        scale = np.prod(np.linalg.norm(blocks, axis=2), axis=1)
        regular = np.abs(determinant) > 1e-12 * np.maximum(scale, 1e-300)
        bases, blocks = bases[regular], blocks[regular]
        transposed = np.transpose(blocks, (0, 2, 1))
        weights = np.linalg.solve(
            transposed, np.broadcast_to(rhs, (len(bases), basis_size))[..., None]
        )
        weights = weights[..., 0]
        slack = 1e-12 * np.max(np.abs(weights), axis=1, keepdims=True) if len(bases) else weights
        feasible = np.all(weights >= -slack, axis=1)
        vertices = np.zeros((int(feasible.sum()), n_moments))
        rows = np.arange(vertices.shape[0])[:, None]
        vertices[rows, bases[feasible]] = np.clip(weights[feasible], 0.0, None)
        if vertices.shape[0]:
            unique = np.unique(np.round(vertices, 12), axis=0, return_index=True)[1]
            vertices = vertices[np.sort(unique)]
        self.vertices = vertices
        self.sd = sd
        self.nuisance = nuisance

    @property
    def empty(self) -> bool:
        """Whether the polytope has no vertex (ARP's linear programme is unbounded)."""
        return self.vertices.shape[0] == 0


# --------------------------------------------------------------------------------------------
# Least-favourable critical values
# --------------------------------------------------------------------------------------------


def _r_mvnorm_draws(covariance: NDArray[np.float64], n: int, seed: int) -> NDArray[np.float64]:
    """``set.seed(seed); mvtnorm::rmvnorm(n, sigma = covariance)``."""
    dimension = covariance.shape[0]
    normals = r_rnorm(n * dimension, seed).reshape(n, dimension)  # byrow = TRUE
    return normals @ _symmetric_sqrt(covariance)


def least_favourable_cv_nuisance(
    polytope: DualPolytope, covariance: NDArray[np.float64], kappa: float, seed: int
) -> float:
    """LF critical value with nuisance parameters (R ``.compute_least_favorable_cv``)."""
    if polytope.empty:
        raise EstimationError("the ARP linear programme is unbounded; no critical value exists")
    draws = _r_mvnorm_draws(covariance, LF_DRAWS, seed)
    eta = np.max(draws @ polytope.vertices.T, axis=1)
    return r_quantile7(np.sort(eta), 1.0 - kappa)


def least_favourable_cv_no_nuisance(
    covariance: NDArray[np.float64], kappa: float, seed: int
) -> float:
    """LF critical value without nuisance parameters: quantile of the largest standardised draw."""
    draws = _r_mvnorm_draws(covariance, LF_DRAWS, seed) / np.sqrt(np.diag(covariance))
    return r_quantile7(np.sort(np.max(draws, axis=1)), 1.0 - kappa)


# --------------------------------------------------------------------------------------------
# The conditional / hybrid test with nuisance parameters
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _MomentProblem:
    """Moments ``y(θ) = y0 - a θ`` with ``E[y] - X τ̃ <= 0`` under the null (ARP rows only)."""

    y0: NDArray[np.float64]
    slope: NDArray[np.float64]
    nuisance: NDArray[np.float64]
    covariance: NDArray[np.float64]


def _hybrid_test_nuisance(
    problem: _MomentProblem,
    polytope: DualPolytope,
    thetas: NDArray[np.float64],
    alpha: float,
    kappa: float,
    lf_cv: float,
) -> NDArray[np.bool_]:
    """Accept (True) / reject for every θ (R ``.lp_conditional_test_fn`` with the LF hybrid)."""
    vertices = polytope.vertices
    n_moments = problem.y0.size
    n_nuisance = problem.nuisance.shape[1]
    mod_size = (alpha - kappa) / (1.0 - kappa)
    values = (vertices @ problem.y0)[:, None] - (vertices @ problem.slope)[:, None] * thetas
    best = np.argmax(values, axis=0)
    eta = values[best, np.arange(thetas.size)]
    accept = np.ones(thetas.size, dtype=bool)
    accept[eta > lf_cv] = False
    undecided = eta <= lf_cv
    for vertex_index in np.unique(best[undecided]):
        members = np.flatnonzero(undecided & (best == vertex_index))
        gamma = vertices[vertex_index]
        binding = gamma > _TOL_LAMBDA
        nuisance_binding = problem.nuisance[binding]
        full_rank = min(nuisance_binding.shape) > 0 and np.linalg.matrix_rank(
            nuisance_binding
        ) == min(nuisance_binding.shape)
        degenerate = int(binding.sum()) != n_nuisance + 1
        y = problem.y0[:, None] - problem.slope[:, None] * thetas[members]
        if degenerate or not full_rank:
            accept[members] = _dual_test(y, eta[members], gamma, polytope, problem, mod_size, lf_cv)
        else:
            accept[members] = _primal_test(
                y, eta[members], binding, problem, n_moments, mod_size, lf_cv
            )
    return accept


def _primal_test(
    y: NDArray[np.float64],
    eta: NDArray[np.float64],
    binding: NDArray[np.bool_],
    problem: _MomentProblem,
    n_moments: int,
    mod_size: float,
    lf_cv: float,
) -> NDArray[np.bool_]:
    """Closed-form truncation points when the binding moments form a regular basis."""
    covariance = problem.covariance
    sd = np.sqrt(np.diag(covariance))
    slack = ~binding
    basis = np.column_stack([sd[binding], problem.nuisance[binding]])
    basis_inverse = np.linalg.inv(basis)
    select_binding = np.eye(n_moments)[binding]
    select_slack = np.eye(n_moments)[slack]
    others = np.column_stack([sd[slack], problem.nuisance[slack]])
    gamma_b = others @ basis_inverse @ select_binding - select_slack
    v_b = basis_inverse[0] @ select_binding
    sigma2_b = float(v_b @ covariance @ v_b)
    sigma_b = math.sqrt(sigma2_b)
    rho = gamma_b @ covariance @ v_b / sigma2_b
    with np.errstate(divide="ignore", invalid="ignore"):
        bound = (-(gamma_b @ y)) / rho[:, None] + (v_b @ y)[None, :]
    positive, negative = rho > 0, rho < 0
    v_lo = np.max(bound[positive], axis=0) if positive.any() else np.full(eta.size, -np.inf)
    v_up = np.min(bound[negative], axis=0) if negative.any() else np.full(eta.size, np.inf)
    z_lo = v_lo / sigma_b
    z_up = np.minimum(v_up, lf_cv) / sigma_b
    statistic = eta / sigma_b
    return _second_stage(statistic, z_lo, z_up, mod_size)


def _second_stage(
    statistic: NDArray[np.float64],
    z_lo: NDArray[np.float64],
    z_up: NDArray[np.float64],
    size: float,
) -> NDArray[np.bool_]:
    """Accept unless the statistic exceeds max(0, truncated-normal 1 - size quantile)."""
    accept = np.ones(statistic.size, dtype=bool)
    inside = (z_lo <= statistic) & (statistic <= z_up)
    if inside.any():
        critical = np.maximum(0.0, _truncnorm_quantile(1.0 - size, z_lo[inside], z_up[inside]))
        accept[inside] = ~(statistic[inside] > critical)
    return accept


def _dual_test(
    y: NDArray[np.float64],
    eta: NDArray[np.float64],
    gamma: NDArray[np.float64],
    polytope: DualPolytope,
    problem: _MomentProblem,
    mod_size: float,
    lf_cv: float,
) -> NDArray[np.bool_]:
    """Truncation points by R's bisection over the dual programme (degenerate bases)."""
    covariance = problem.covariance
    variance = float(gamma @ covariance @ gamma)
    if abs(variance) < np.finfo(float).eps:
        return ~(eta > 0)
    if variance < 0:
        raise EstimationError("the dual truncation step returned a negative variance")
    bounds = np.array(
        [_dual_truncation(y[:, j], eta[j], gamma, polytope, covariance) for j in range(eta.size)]
    )
    sigma = math.sqrt(variance)
    return _second_stage(
        eta / sigma, bounds[:, 0] / sigma, np.minimum(bounds[:, 1], lf_cv) / sigma, mod_size
    )


def _dual_truncation(
    y: NDArray[np.float64],
    eta: float,
    gamma: NDArray[np.float64],
    polytope: DualPolytope,
    covariance: NDArray[np.float64],
) -> tuple[float, float]:
    """R ``.vlo_vup_dual_fn``: the interval of c on which c solves ``max_λ λ'(s + b c) = c``."""
    vertices = polytope.vertices
    variance = float(gamma @ covariance @ gamma)
    b = covariance @ gamma / variance
    s = y - b * float(gamma @ y)
    intercepts = vertices @ s
    slopes = vertices @ b

    def solve(c: float) -> tuple[bool, int]:
        values = intercepts + slopes * c
        best = int(np.argmax(values))
        return abs(c - float(values[best])) <= _TOL_EQUALITY, best

    def shortcut(vertex: int) -> float:
        numerator = float(intercepts[vertex])
        if abs(numerator) < np.finfo(float).eps ** 0.75:
            numerator = 0.0
        return numerator / (1.0 - float(slopes[vertex]))

    if not solve(eta)[0]:
        return eta, math.inf
    sigma = math.sqrt(variance)
    v_up = _dual_endpoint(solve, shortcut, eta, max(100.0, eta + 20.0 * sigma), upper=True)
    v_lo = _dual_endpoint(solve, shortcut, eta, min(-100.0, eta - 20.0 * sigma), upper=False)
    return v_lo, v_up


def _dual_endpoint(
    solve: Callable[[float], tuple[bool, int]],
    shortcut: Callable[[int], float],
    eta: float,
    start: float,
    *,
    upper: bool,
) -> float:
    """One end of the truncation interval, exactly as R iterates (shortcut, then bisection)."""
    is_solution, vertex = solve(start)
    if is_solution:
        return math.inf if upper else -math.inf
    gap = 0.0
    iterations = 1
    mid = shortcut(vertex)
    while True:
        is_solution, vertex = solve(mid)
        if is_solution or iterations >= _MAX_ITERATIONS:
            break
        iterations += 1
        if iterations >= _SWITCH_ITERATIONS:
            gap = _TOL_C + 1.0
            break
        mid = shortcut(vertex)
    low, high = (eta, mid) if upper else (mid, eta)
    while gap > _TOL_C and iterations < _MAX_ITERATIONS:
        iterations += 1
        mid = (low + high) / 2.0
        inside = solve(mid)[0]
        if inside == upper:
            low = mid
        else:
            high = mid
        gap = high - low
    return mid


# --------------------------------------------------------------------------------------------
# The test without nuisance parameters (one post-period)
# --------------------------------------------------------------------------------------------


def _hybrid_test_no_nuisance(
    moments: NDArray[np.float64],
    covariance_beta: NDArray[np.float64],
    betahat: NDArray[np.float64],
    theta_direction: NDArray[np.float64],
    thetas: NDArray[np.float64],
    alpha: float,
    kappa: float,
    lf_cv: float,
) -> NDArray[np.bool_]:
    """R ``.testInIdentifiedSet_LF_Hybrid`` over the grid (moments ``A (β̂ - e θ) <= 0``)."""
    moment_sd = np.sqrt(np.diag(moments @ covariance_beta @ moments.T))
    standardised = moments / moment_sd[:, None]
    alpha_tilde = (alpha - kappa) / (1.0 - kappa)
    y = betahat[:, None] - theta_direction[:, None] * thetas[None, :]
    normalised = standardised @ y
    location = np.argmax(normalised, axis=0)
    largest = normalised[location, np.arange(thetas.size)]
    accept = ~(largest > lf_cv)
    for row in np.unique(location[accept]):
        members = np.flatnonzero(accept & (location == row))
        gamma = standardised[row]
        others = standardised - gamma[None, :]
        variance = float(gamma @ covariance_beta @ gamma)
        c = covariance_beta @ gamma / variance
        z = y[:, members] - c[:, None] * (gamma @ y[:, members])[None, :]
        direction = others @ c
        negative, positive = direction < 0, direction > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            bound = -(others @ z) / direction[:, None]
        v_lo = np.max(bound[negative], axis=0) if negative.any() else np.full(members.size, -np.inf)
        v_up = np.min(bound[positive], axis=0) if positive.any() else np.full(members.size, np.inf)
        sd = math.sqrt(variance)
        critical = np.maximum(
            0.0, _truncnorm_quantile(1.0 - alpha_tilde, v_lo / sd, v_up / sd) * sd
        )
        accept[members] = ~(largest[members] > critical)
    return accept


# --------------------------------------------------------------------------------------------
# The confidence set
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RmConfidenceSet:
    """Grid test results of one Mbar.

    Attributes
    ----------
    mbar : float
        Relative-magnitude bound.
    grid : numpy.ndarray
        Values of θ tested.
    accept : numpy.ndarray
        Whether each value is in the confidence set (union over s and sign).
    """

    mbar: float
    grid: NDArray[np.float64]
    accept: NDArray[np.bool_]

    @property
    def lower(self) -> float:
        """Smallest accepted grid value (NaN if none)."""
        return float(self.grid[self.accept].min()) if self.accept.any() else math.nan

    @property
    def upper(self) -> float:
        """Largest accepted grid value (NaN if none)."""
        return float(self.grid[self.accept].max()) if self.accept.any() else math.nan

    @property
    def open_at_grid_end(self) -> bool:
        """Whether the set reaches an end of the grid (the interval may be cut off)."""
        return bool(self.accept[0] or self.accept[-1])

    @property
    def convex(self) -> bool:
        """Whether the accepted grid values are contiguous."""
        index = np.flatnonzero(self.accept)
        return index.size == 0 or bool(index[-1] - index[0] + 1 == index.size)


def r_seq(start: float, stop: float, n: int) -> NDArray[np.float64]:
    """R ``seq(start, stop, length.out = n)`` (interior points ``start + i * by``, exact end)."""
    if n == 1:
        return np.array([start])
    step = (stop - start) / (n - 1)
    grid = start + np.arange(n) * step
    grid[-1] = stop
    return grid


def relative_magnitudes_sets(
    betahat: NDArray[np.float64],
    sigma: NDArray[np.float64],
    *,
    num_pre: int,
    num_post: int,
    l_vec: NDArray[np.float64],
    mbar_values: NDArray[np.float64],
    alpha: float,
    grid_points: int,
    grid_bounds: tuple[float, float] | None = None,
    hybrid: str = "LF",
    kappa: float | None = None,
    seed: int = 0,
) -> list[RmConfidenceSet]:
    """ΔRM confidence sets for ``θ = l'τ_post`` (R ``computeConditionalCS_DeltaRM``, LF hybrid).

    Parameters
    ----------
    betahat : numpy.ndarray
        Event-study coefficients, pre-periods first (reference period omitted).
    sigma : numpy.ndarray
        Their covariance matrix.
    num_pre, num_post : int
        Numbers of pre- and post-periods.
    l_vec : numpy.ndarray
        Weights of θ on the post-periods.
    mbar_values : numpy.ndarray
        Relative-magnitude bounds Mbar >= 0.
    alpha : float
        1 - coverage.
    grid_points : int
        Number of θ values tested.
    grid_bounds : tuple of float, optional
        Ends of the θ grid; default ``±20 sd(l'β̂_post)`` as in R.
    hybrid : {"LF", "ARP"}
        ``"LF"``: least-favourable hybrid (R's default, method "C-LF"); ``"ARP"``: the plain
        conditional test (R method "Conditional").
    kappa : float, optional
        Size of the least-favourable first stage; default ``alpha / 10``.
    seed : int
        R seed of the least-favourable simulation.

    Returns
    -------
    list of RmConfidenceSet
        In the order of ``mbar_values``.
    """
    kappa = alpha / 10.0 if kappa is None else kappa
    post = slice(num_pre, num_pre + num_post)
    if grid_bounds is None:
        sd_theta = math.sqrt(float(l_vec @ sigma[post, post] @ l_vec))
        grid_bounds = (-20.0 * sd_theta, 20.0 * sd_theta)
    thetas = r_seq(grid_bounds[0], grid_bounds[1], grid_points)
    results = []
    for mbar in mbar_values:
        accept = np.zeros(thetas.size, dtype=bool)
        for s in range(-(num_pre - 1), 1):
            for max_positive in (True, False):
                constraints = relative_magnitude_constraints(
                    num_pre, num_post, float(mbar), s, max_positive
                )
                accept |= _accept_one_polyhedron(
                    constraints, betahat, sigma, num_pre, num_post, l_vec, thetas,
                    alpha, kappa if hybrid == "LF" else None, seed,
                )  # fmt: skip
        results.append(RmConfidenceSet(mbar=float(mbar), grid=thetas, accept=accept))
    return results


def _accept_one_polyhedron(
    constraints: NDArray[np.float64],
    betahat: NDArray[np.float64],
    sigma: NDArray[np.float64],
    num_pre: int,
    num_post: int,
    l_vec: NDArray[np.float64],
    thetas: NDArray[np.float64],
    alpha: float,
    kappa: float | None,
    seed: int,
) -> NDArray[np.bool_]:
    """Grid acceptances for one ``{A δ <= 0}`` with post-period moments only (d = 0).

    ``kappa=None`` is the plain conditional test: no first stage, full size ``alpha``.
    """
    post_columns = constraints[:, num_pre:]
    post_rows = np.any(post_columns != 0.0, axis=1)
    if num_post == 1:
        moments = constraints[post_rows]
        covariance = moments @ sigma @ moments.T
        lf_cv = (
            math.inf if kappa is None else least_favourable_cv_no_nuisance(covariance, kappa, seed)
        )
        # R moves the first post-period coefficient by θ; with l = c its weight scales θ.
        direction = np.zeros(betahat.size)
        direction[num_pre] = 1.0 / float(l_vec[0])
        return _hybrid_test_no_nuisance(
            moments, sigma, betahat, direction, thetas, alpha, kappa or 0.0, lf_cv
        )
    transformed = post_columns @ np.linalg.inv(_parameter_basis(l_vec))
    y_all = constraints @ betahat
    covariance_all = constraints @ sigma @ constraints.T
    rows = np.flatnonzero(post_rows)
    problem = _MomentProblem(
        y0=y_all[rows],
        slope=transformed[rows, 0],
        nuisance=transformed[np.ix_(rows, np.arange(1, num_post))],
        covariance=covariance_all[np.ix_(rows, rows)],
    )
    polytope = DualPolytope(np.sqrt(np.diag(problem.covariance)), problem.nuisance)
    if polytope.empty:
        # R's LP fails for every θ and it does not reject ("LP did not converge").
        return np.ones(thetas.size, dtype=bool)
    if kappa is None:
        return _hybrid_test_nuisance(problem, polytope, thetas, alpha, 0.0, math.inf)
    lf_cv = least_favourable_cv_nuisance(polytope, problem.covariance, kappa, seed)
    return _hybrid_test_nuisance(problem, polytope, thetas, alpha, kappa, lf_cv)
