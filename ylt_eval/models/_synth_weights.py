"""Numerics of synthetic control and synthetic difference-in-differences weights.

Two families of constrained least squares, both over the unit simplex
(weights non-negative and summing to one):

- **Synthetic DiD** (Arkhangelsky, Athey, Hirshberg, Imbens & Wager 2021) unit weights omega and
  time weights lambda, computed with the Frank-Wolfe algorithm with exact line search exactly as
  R ``synthdid`` 0.0.9 does (``sc.weight.fw``): ridge penalty ``zeta^2 * ||x||^2``, a first
  round of at most 100 iterations, "sparsification" (weights at or below a quarter of the
  largest set to zero), then a second round of at most ``max_iter`` iterations, each round
  stopping once an iteration lowers the objective by less than ``min_decrease^2``. R stops
  Frank-Wolfe long before convergence (on California's Proposition 99 the unit weights hit the
  10,000-iteration cap and the estimate is 1.6e-3 away from the exact optimum), so the
  iterations themselves, not only the optimum, are reproduced. Many problems (a county and all
  its placebo re-fits, or every county of a province) are solved together, vectorised over the
  batch: one iteration costs a few passes over a ``problems × units`` array.
- **Synthetic control** (Abadie & Gardeazabal 2003; Abadie, Diamond & Hainmueller 2010) donor
  weights W given predictor weights V, solved exactly (:func:`simplex_least_squares`), nested
  in a search over V that minimises the pre-treatment outcome fit, as R ``Synth`` does.

Everything here works on plain arrays; :mod:`ylt_eval.models.synthetic` validates the data and
builds the problems.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from scipy import optimize

#: First-round iteration cap before sparsification (synthdid ``max.iter.pre.sparsify``).
PRE_SPARSIFY_ITERATIONS = 100
#: Second-round iteration cap (synthdid ``max.iter``).
MAX_ITERATIONS = 10_000
#: Gradient value that keeps a coordinate out of the Frank-Wolfe vertex choice. Finite, so that
#: convex combinations of it stay finite (an infinity times a zero step would give NaN). The
#: stored gradient is the true one divided by a scale that is reset before it falls below
#: _RESCALE_BELOW, so increments to a blocked entry stay far below 1e200 in stored units too.
_BLOCKED = 1e200
_RESCALE_BELOW = 1e-50
#: Problems are dropped from the working arrays once this share of them has stopped.
_COMPACT_SHARE = 0.15


# --------------------------------------------------------------------------------------------
# Batched Frank-Wolfe (synthdid's sc.weight.fw)
# --------------------------------------------------------------------------------------------


class _BoundProblems(Protocol):
    """The problems still running, with their per-problem data gathered once."""

    #: True when ``n <= R``: the gradient, not the residual, is the cheaper vector to dot.
    dot_on_gradient: bool
    #: ``b_p`` of each running problem, shape (B, R).
    targets: NDArray[np.float64]

    def shifted_column(self, j: NDArray[np.intp]) -> NDArray[np.float64]:
        """``A_p[:, j_p] - b_p``, shape (B, R)."""
        ...

    def gradient_row(self, j: NDArray[np.intp]) -> NDArray[np.float64]:
        """``A_p'(A_p[:, j_p] - b_p)`` as a new (B, n) array, blocked entries about +1e200."""
        ...


class _QuadraticProblems(Protocol):
    """A batch of problems ``min ||A_p x - b_p||^2 / rows_p + zeta_p^2 ||x||^2`` on the simplex.

    ``x`` has ``n`` coordinates (some may be blocked: never used) and ``A_p`` has ``R`` rows.
    Implementations give the columns of ``A_p - b_p 1'`` and the rows of
    ``A_p' A_p - A_p' b_p 1'`` without materialising per-problem Gram matrices when the
    problems share their data.
    """

    def initial(self, x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Residual ``A_p x - b_p`` (B, R) and ``A_p'(A_p x - b_p)`` (B, n), blocked = huge."""
        ...

    def bind(self, ids: NDArray[np.intp]) -> _BoundProblems:
        """The sub-batch ``ids``."""
        ...

    def blocked(self, ids: NDArray[np.intp]) -> NDArray[np.bool_]:
        """Coordinates the problems ``ids`` may not use, shape (len(ids), n)."""
        ...


#: Largest number of units for which the table of Gram row differences (units^3 floats) is
#: kept; it saves one pass per Frank-Wolfe iteration.
_DIFFERENCE_TABLE_UNITS = 150


@dataclass(frozen=True, eq=False)
class SharedDesignProblems:
    """Problems whose columns all come from one matrix: unit weights omega.

    Column ``k`` of ``design`` is unit ``k``'s pre-treatment series (demeaned over time when
    synthdid fits an intercept). Problem ``p`` approximates column ``target[p]`` by a convex
    combination of the columns allowed in ``allowed[p]``. Rows are periods, so ``R = T0``.
    Problems sorted by target make the gathers of :meth:`bind` cache-friendly.

    Attributes
    ----------
    design : numpy.ndarray
        Shape (R, N).
    target : numpy.ndarray
        Shape (B,), column index of each problem's target.
    allowed : numpy.ndarray
        Shape (B, N), boolean: the columns each problem may use.
    """

    design: NDArray[np.float64]
    target: NDArray[np.intp]
    allowed: NDArray[np.bool_]

    def __post_init__(self) -> None:
        columns = np.ascontiguousarray(self.design.T)
        gram = columns @ columns.T
        n_units = gram.shape[0]
        table = None
        if n_units <= _DIFFERENCE_TABLE_UNITS:
            # table[d * N + j] = gram[j] - gram[d]: the gradient row of vertex j for target d.
            table = (gram[None, :, :] - gram[:, None, :]).reshape(n_units * n_units, n_units)
        object.__setattr__(self, "_columns", columns)
        object.__setattr__(self, "_gram", gram)
        object.__setattr__(self, "_table", table)

    def _cross(self, ids: NDArray[np.intp]) -> NDArray[np.float64]:
        # A blocked coordinate's gradient is gram - cross = gram + 1e200: always the largest.
        return np.where(self.allowed[ids], self._gram[self.target[ids]], -_BLOCKED)

    def initial(self, x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        residual = x @ self._columns - self._columns[self.target]
        gradient = x @ self._gram - self._cross(np.arange(self.target.size))
        return residual, gradient

    def bind(self, ids: NDArray[np.intp]) -> _SharedBound:
        target = self.target[ids]
        n_units = self._gram.shape[0]
        return _SharedBound(
            gram=self._gram,
            table=self._table,
            table_offset=target * n_units,
            columns=self._columns,
            targets=self._columns[target],
            cross=None if self._table is not None else self._cross(ids),
            dot_on_gradient=self.design.shape[1] <= self.design.shape[0],
        )

    def blocked(self, ids: NDArray[np.intp]) -> NDArray[np.bool_]:
        return ~self.allowed[ids]


@dataclass(frozen=True, eq=False)
class _SharedBound:
    gram: NDArray[np.float64]
    table: NDArray[np.float64] | None
    table_offset: NDArray[np.intp]
    columns: NDArray[np.float64]
    targets: NDArray[np.float64]
    cross: NDArray[np.float64] | None
    dot_on_gradient: bool

    def shifted_column(self, j: NDArray[np.intp]) -> NDArray[np.float64]:
        return np.take(self.columns, j, axis=0) - self.targets

    def gradient_row(self, j: NDArray[np.intp]) -> NDArray[np.float64]:
        # Blocked entries are finite here; frank_wolfe keeps them large (see _BLOCKED).
        if self.table is not None:
            return np.take(self.table, self.table_offset + j, axis=0)
        row = np.take(self.gram, j, axis=0)
        row -= self.cross
        return row


@dataclass(frozen=True, eq=False)
class StackedDesignProblems:
    """Problems with their own small design each: time weights lambda.

    Problem ``p`` has ``A_p = columns[p].T`` (R × n) and ``b_p = target[p]``; unused rows are
    zero in both. Rows are control units and columns pre-treatment periods. No coordinate is
    blocked.

    Attributes
    ----------
    columns : numpy.ndarray
        Shape (B, n, R).
    target : numpy.ndarray
        Shape (B, R).
    """

    columns: NDArray[np.float64]
    target: NDArray[np.float64]

    def __post_init__(self) -> None:
        shifted = self.columns - self.target[:, None, :]
        # gradient_rows[p, j] = A_p'(A_p[:, j] - b_p)
        gradient_rows = np.einsum("bir,bjr->bji", self.columns, shifted)
        object.__setattr__(self, "_shifted", shifted)
        object.__setattr__(self, "_gradient_rows", gradient_rows)

    def initial(self, x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        residual = np.einsum("bi,bir->br", x, self.columns) - self.target
        gradient = np.einsum("bir,br->bi", self.columns, residual)
        return residual, gradient

    def bind(self, ids: NDArray[np.intp]) -> _StackedBound:
        return _StackedBound(
            shifted=self._shifted[ids],
            gradient_rows=self._gradient_rows[ids],
            targets=self.target[ids],
            dot_on_gradient=self.columns.shape[1] <= self.columns.shape[2],
        )

    def blocked(self, ids: NDArray[np.intp]) -> NDArray[np.bool_]:
        return np.zeros((ids.size, self.columns.shape[1]), dtype=bool)


@dataclass(frozen=True, eq=False)
class _StackedBound:
    shifted: NDArray[np.float64]
    gradient_rows: NDArray[np.float64]
    targets: NDArray[np.float64]
    dot_on_gradient: bool

    def shifted_column(self, j: NDArray[np.intp]) -> NDArray[np.float64]:
        return self.shifted[np.arange(j.size), j]

    def gradient_row(self, j: NDArray[np.intp]) -> NDArray[np.float64]:
        return self.gradient_rows[np.arange(j.size), j]


def frank_wolfe(
    problems: _QuadraticProblems,
    x0: NDArray[np.float64],
    n_rows: NDArray[np.float64],
    zeta: NDArray[np.float64],
    min_decrease: NDArray[np.float64],
    max_iter: int,
) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """Frank-Wolfe with exact line search, one step sequence per problem (synthdid).

    Minimises ``zeta^2 ||x||^2 + ||A x - b||^2 / n_rows`` over the simplex for every problem of
    the batch, taking the same steps as R ``synthdid``'s ``sc.weight.fw`` (penalty
    ``eta = n_rows * zeta^2`` in the step, stop when an iteration lowers the objective by less
    than ``min_decrease^2`` or after ``max_iter`` iterations, at least two iterations).

    Every step shrinks the weights, the residual and the gradient by the same factor
    ``1 - step`` before adding the new vertex's contribution, so they are stored as
    ``scale * array`` and only the added part is written: an iteration costs one ``argmin``,
    one gather and two arithmetic passes over a ``problems × coordinates`` array.

    Parameters
    ----------
    problems : SharedDesignProblems or StackedDesignProblems
        The batch.
    x0 : numpy.ndarray
        Shape (B, n): starting weights, on the simplex, zero on blocked coordinates.
    n_rows : numpy.ndarray
        Shape (B,): number of rows of each problem's ``A`` (the divisor of the fit term).
    zeta : numpy.ndarray
        Shape (B,): ridge parameter.
    min_decrease : numpy.ndarray
        Shape (B,): stopping threshold (compared with the squared decrease).
    max_iter : int
        Iteration cap.

    Returns
    -------
    weights : numpy.ndarray
        Shape (B, n).
    iterations : numpy.ndarray
        Shape (B,): iterations run per problem.
    """
    n_problems, n_coords = x0.shape
    x_out = np.array(x0, dtype=np.float64, copy=True)
    iterations = np.zeros(n_problems, dtype=np.intp)
    if n_problems == 0 or max_iter <= 0:
        return x_out, iterations
    zeta_sq = np.asarray(zeta, dtype=np.float64) ** 2
    rows = np.asarray(n_rows, dtype=np.float64)
    eta = rows * zeta_sq
    threshold = np.asarray(min_decrease, dtype=np.float64) ** 2

    # Working state of the problems still running (`ids` maps them back to the batch):
    # x = scale * weights, A x - b = scale * resid, gradient (+ eta x) = scale * grad.
    ids = np.arange(n_problems)
    bound = problems.bind(ids)
    weights = x_out.copy()
    resid, grad = problems.initial(weights)
    grad += eta[:, None] * weights
    scale = np.ones(n_problems)
    x_sq = np.einsum("bi,bi->b", weights, weights)
    previous = np.full(n_problems, np.nan)
    alive = np.ones(n_problems, dtype=bool)
    flat_base = np.arange(n_problems) * n_coords
    t = 0
    while ids.size:
        t += 1
        vertex = np.argmin(grad, axis=1)
        flat = flat_base + vertex
        x_vertex = scale * np.take(weights, flat)
        grad_vertex = scale * np.take(grad, flat)
        column = bound.shifted_column(vertex)  # A_i - b
        residual = scale[:, None] * resid
        if bound.dot_on_gradient:
            grad_dot_x = scale**2 * np.einsum("bi,bi->b", grad, weights)
        else:
            grad_dot_x = np.einsum("br,br->b", residual, residual + bound.targets) + eta * x_sq
        direction_err = column - residual  # A_i - A x
        denominator = np.einsum("br,br->b", direction_err, direction_err)
        denominator += eta * (1.0 - 2.0 * x_vertex + x_sq)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = (grad_dot_x - grad_vertex) / denominator
        # NaN steps (a zero denominator) become 0; synthdid leaves x alone when it already is
        # the chosen vertex.
        step[np.isnan(step) | (x_vertex == 1.0)] = 0.0
        np.clip(step, 0.0, 1.0, out=step)
        keep = 1.0 - step
        new_scale = scale * keep
        jump = new_scale == 0.0  # step 1: x becomes the vertex itself
        any_jump = bool(jump.any())
        if any_jump:
            new_scale[jump] = 1.0
        coef = step / new_scale

        row = bound.gradient_row(vertex)
        if any_jump:
            jumped = np.flatnonzero(jump)
            fresh = row[jumped]
            fresh[np.arange(jumped.size), vertex[jumped]] += eta[jumped]
            fresh[problems.blocked(ids[jumped])] = _BLOCKED
            coef[jumped] = 0.0
        row *= coef[:, None]
        grad += row
        grad.ravel()[flat] += coef * eta
        weights.ravel()[flat] += coef
        resid += coef[:, None] * column
        x_sq = keep**2 * x_sq + 2.0 * step * keep * x_vertex + step**2
        scale = new_scale
        if any_jump:
            grad[jumped] = fresh
            weights[jumped] = 0.0
            weights.ravel()[flat[jumped]] = 1.0
            resid[jumped] = column[jumped]
            x_sq[jumped] = 1.0
        tiny = scale < _RESCALE_BELOW
        if tiny.any():
            rescaled = np.flatnonzero(tiny)
            for array in (weights, grad, resid):
                array[rescaled] *= scale[rescaled, None]
            scale[rescaled] = 1.0
            grad[rescaled] = np.where(problems.blocked(ids[rescaled]), _BLOCKED, grad[rescaled])

        value = zeta_sq * x_sq + scale**2 * np.einsum("br,br->b", resid, resid) / rows
        if t >= max_iter:
            done = alive
        elif t < 2:
            done = np.zeros(ids.size, dtype=bool)
        else:
            done = alive & ~(previous - value > threshold)
        previous = value
        if done.any():
            x_out[ids[done]] = scale[done, None] * weights[done]
            iterations[ids[done]] = t
            alive = alive & ~done
            # Stopped problems ride along (their updates are ignored) until enough of them
            # have stopped to make dropping them from the working arrays worth a copy.
            if alive.sum() < (1.0 - _COMPACT_SHARE) * ids.size or not alive.any():
                ids = ids[alive]
                bound = problems.bind(ids)
                weights, grad, resid = weights[alive], grad[alive], resid[alive]
                scale, x_sq, previous = scale[alive], x_sq[alive], previous[alive]
                eta, zeta_sq, threshold, rows = (
                    eta[alive],
                    zeta_sq[alive],
                    threshold[alive],
                    rows[alive],
                )
                flat_base = np.arange(ids.size) * n_coords
                alive = alive[alive]
    return x_out, iterations


def sparsify(weights: NDArray[np.float64]) -> NDArray[np.float64]:
    """synthdid's ``sparsify_function``: zero weights at or below a quarter of the largest.

    Parameters
    ----------
    weights : numpy.ndarray
        Shape (B, n), rows on the simplex.

    Returns
    -------
    numpy.ndarray
        Rows renormalised to sum to one.
    """
    largest = weights.max(axis=1, keepdims=True)
    kept = np.where(weights <= largest / 4.0, 0.0, weights)
    return kept / kept.sum(axis=1, keepdims=True)


def synthdid_weights(
    problems: _QuadraticProblems,
    x0: NDArray[np.float64],
    n_rows: NDArray[np.float64],
    zeta: NDArray[np.float64],
    min_decrease: NDArray[np.float64],
    max_iter: int = MAX_ITERATIONS,
) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """Two-round Frank-Wolfe of ``synthdid_estimate``: 100 iterations, sparsify, ``max_iter``.

    Parameters
    ----------
    problems, x0, n_rows, zeta, min_decrease
        As for :func:`frank_wolfe`.
    max_iter : int, default 10000
        Iteration cap of the second round.

    Returns
    -------
    weights : numpy.ndarray
        Shape (B, n).
    iterations : numpy.ndarray
        Shape (B,): second-round iterations per problem.
    """
    order = None
    if isinstance(problems, SharedDesignProblems):
        order = np.argsort(problems.target, kind="stable")
        problems = SharedDesignProblems(
            design=problems.design,
            target=problems.target[order],
            allowed=problems.allowed[order],
        )
        x0, n_rows, zeta, min_decrease = (
            np.asarray(x0)[order],
            np.asarray(n_rows)[order],
            np.asarray(zeta)[order],
            np.asarray(min_decrease)[order],
        )
    first, _ = frank_wolfe(problems, x0, n_rows, zeta, min_decrease, PRE_SPARSIFY_ITERATIONS)
    weights, iterations = frank_wolfe(
        problems, sparsify(first), n_rows, zeta, min_decrease, max_iter
    )
    if order is not None:
        inverse = np.empty_like(order)
        inverse[order] = np.arange(order.size)
        weights, iterations = weights[inverse], iterations[inverse]
    return weights, iterations


# --------------------------------------------------------------------------------------------
# Exact simplex-constrained least squares (synthetic control inner problem)
# --------------------------------------------------------------------------------------------


def simplex_least_squares(
    design: NDArray[np.float64], target: NDArray[np.float64], *, polish: bool = True
) -> NDArray[np.float64]:
    """Minimiser of ``||design @ w - target||^2`` over the unit simplex.

    The sum-to-one constraint is added as a heavily weighted extra row of a non-negative least
    squares problem (Lawson-Hanson), which leaves it violated by a relative 1e-8 or so before
    renormalising; with ``polish`` the support found is then re-solved exactly from the
    equality-constrained normal equations, so the result is the exact optimum to rounding error.

    Parameters
    ----------
    design : numpy.ndarray
        Shape (m, n).
    target : numpy.ndarray
        Shape (m,).
    polish : bool, default True
        Re-solve on the support (skip it inside searches that call this thousands of times).

    Returns
    -------
    numpy.ndarray
        Shape (n,): non-negative weights summing to one.
    """
    m, n = design.shape
    if n == 1:
        return np.ones(1)
    penalty = 1e4 * max(1.0, float(np.abs(design).max()), float(np.abs(target).max()))
    augmented = np.empty((m + 1, n))
    augmented[:m] = design
    augmented[m] = penalty
    augmented_target = np.empty(m + 1)
    augmented_target[:m] = target
    augmented_target[m] = penalty
    weights, _ = optimize.nnls(augmented, augmented_target, maxiter=max(50 * n, 500))
    total = weights.sum()
    weights = np.full(n, 1.0 / n) if total <= 0 else weights / total
    if not polish:
        return weights
    support = weights > 0
    k = int(support.sum())
    sub = design[:, support]
    kkt = np.zeros((k + 1, k + 1))
    kkt[:k, :k] = sub.T @ sub
    kkt[:k, k] = 1.0
    kkt[k, :k] = 1.0
    rhs = np.append(sub.T @ target, 1.0)
    try:
        solution = np.linalg.solve(kkt, rhs)[:k]
    except np.linalg.LinAlgError:
        return weights
    if np.all(solution > 0) and np.all(np.isfinite(solution)):
        polished = np.zeros(n)
        polished[support] = solution
        if _simplex_objective(design, target, polished) <= _simplex_objective(
            design, target, weights
        ):
            return polished
    return weights


def _simplex_objective(
    design: NDArray[np.float64], target: NDArray[np.float64], weights: NDArray[np.float64]
) -> float:
    gap = design @ weights - target
    return float(gap @ gap)


# --------------------------------------------------------------------------------------------
# Abadie-Diamond-Hainmueller nested optimisation (R Synth)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SynthFit:
    """Outcome of the nested synthetic-control optimisation.

    Attributes
    ----------
    weights : numpy.ndarray
        Donor weights W (simplex).
    predictor_weights : numpy.ndarray
        Diagonal of V, non-negative, summing to one (empty without predictors).
    loss : float
        Mean squared outcome gap over the fit periods (R Synth ``loss.v``).
    predictor_loss : float
        ``(X1 - X0 W)' V (X1 - X0 W)`` on the scaled predictors (R Synth ``loss.w``).
    """

    weights: NDArray[np.float64]
    predictor_weights: NDArray[np.float64]
    loss: float
    predictor_loss: float


def scale_predictors(
    treated: NDArray[np.float64], donors: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Divide each predictor by its standard deviation over treated and donor units (R Synth).

    Parameters
    ----------
    treated : numpy.ndarray
        Shape (k,).
    donors : numpy.ndarray
        Shape (k, J).

    Returns
    -------
    tuple of numpy.ndarray
        The scaled ``treated`` and ``donors``.
    """
    spread = np.column_stack([treated, donors]).std(axis=1, ddof=1)
    return treated / spread, donors / spread[:, None]


def synth_weights(
    predictors_treated: NDArray[np.float64],
    predictors_donors: NDArray[np.float64],
    outcome_treated: NDArray[np.float64],
    outcome_donors: NDArray[np.float64],
    *,
    v_search: str = "synth",
) -> SynthFit:
    """Donor weights of the classic synthetic control with data-driven predictor weights V.

    For a given V the donor weights solve ``min (X1 - X0 W)' V (X1 - X0 W)`` over the simplex;
    V is chosen to minimise the mean squared outcome gap ``||Z1 - Z0 W(V)||^2 / T`` over the
    fit periods. As in R ``Synth``, V is parameterised as ``|p| / sum |p|`` and searched from
    equal weights on the standardised predictors with Nelder-Mead and with BFGS.

    The outer problem is not convex and its optimisers stop at kinks, so each solution found is
    then *refined on its support*: the donors S with positive weight are kept, the weights on S
    that fit the outcome best are computed exactly, and a linear program looks for a V under
    which those weights are the inner solution (the Karush-Kuhn-Tucker conditions of the inner
    problem are linear in V; the V with the largest margin is taken). The best result wins.
    ``v_search="multistart"`` adds Powell's method and starts that give each predictor half of
    the weight in turn: it can fit the pre-treatment outcomes better than R ``Synth`` but then
    no longer reproduces published Synth weights.

    Parameters
    ----------
    predictors_treated : numpy.ndarray
        Shape (k,), standardised (see :func:`scale_predictors`).
    predictors_donors : numpy.ndarray
        Shape (k, J), standardised.
    outcome_treated : numpy.ndarray
        Shape (T,): outcome over the fit periods.
    outcome_donors : numpy.ndarray
        Shape (T, J).
    v_search : {"synth", "multistart"}
        Search strategy for V.

    Returns
    -------
    SynthFit
    """
    k = predictors_treated.shape[0]

    def weights_for(v: NDArray[np.float64], polish: bool = True) -> NDArray[np.float64]:
        root = np.sqrt(v)
        return simplex_least_squares(
            root[:, None] * predictors_donors, root * predictors_treated, polish=polish
        )

    def outcome_loss(weights: NDArray[np.float64]) -> float:
        gap = outcome_treated - outcome_donors @ weights
        return float(gap @ gap) / gap.size

    def normalise(p: NDArray[np.float64]) -> NDArray[np.float64]:
        magnitude = np.abs(p)
        total = magnitude.sum()
        return np.full(k, 1.0 / k) if total <= 0 or not np.isfinite(total) else magnitude / total

    def objective(p: NDArray[np.float64]) -> float:
        return outcome_loss(weights_for(normalise(p), polish=False))

    equal = np.full(k, 1.0 / k)
    candidates = [equal]
    if k > 1:
        starts = [equal]
        if v_search == "multistart":
            for index in range(k):
                start = np.full(k, 0.5 / (k - 1))
                start[index] = 0.5
                starts.append(start)
        for start in starts:
            candidates.extend(_search_v(objective, start, powell=v_search == "multistart"))
        candidates = [normalise(candidate) for candidate in candidates]
    best_v, best_weights, best_loss = equal, weights_for(equal), math.inf
    seen: set[tuple[int, ...]] = set()
    for v in candidates:
        weights = weights_for(v)
        options = [(v, weights)]
        support = tuple(np.flatnonzero(weights > 0))
        if k > 1 and support not in seen:
            seen.add(support)
            refined_v = _refine_on_support(
                predictors_treated, predictors_donors, outcome_treated, outcome_donors, weights
            )
            if refined_v is not None:
                options.append((refined_v, weights_for(refined_v)))
        for option_v, option_weights in options:
            loss = outcome_loss(option_weights)
            if loss < best_loss:
                best_v, best_weights, best_loss = option_v, option_weights, loss
    gap = predictors_treated - predictors_donors @ best_weights
    return SynthFit(
        weights=best_weights,
        predictor_weights=best_v,
        loss=best_loss,
        predictor_loss=float(gap @ (best_v * gap)),
    )


def _search_v(
    objective: Callable[[NDArray[np.float64]], float], start: NDArray[np.float64], *, powell: bool
) -> list[NDArray[np.float64]]:
    """R ``optim``-like Nelder-Mead and BFGS runs from ``start`` (and Powell if asked).

    Nelder-Mead starts from R's simplex (each coordinate moved by a tenth of the largest) and
    stops, as R, after 500 evaluations or when the values in the simplex agree to a relative
    1e-8; BFGS uses R's central-difference gradient with step 1e-3 and at most 100 iterations.
    """
    k = start.size
    relative = 1e-8 * (abs(objective(start)) + 1e-8)
    simplex = np.vstack([start, start + 0.1 * np.abs(start).max() * np.eye(k)])
    found = [
        optimize.minimize(
            objective,
            start,
            method="Nelder-Mead",
            options={"initial_simplex": simplex, "maxfev": 500, "xatol": np.inf, "fatol": relative},
        ).x
    ]

    def gradient(p: NDArray[np.float64]) -> NDArray[np.float64]:
        steps = 1e-3 * np.eye(k)
        return np.array([(objective(p + h) - objective(p - h)) / 2e-3 for h in steps])

    found.append(
        optimize.minimize(objective, start, jac=gradient, method="BFGS", options={"maxiter": 100}).x
    )
    if powell:
        found.append(
            optimize.minimize(
                objective, start, method="Powell", options={"maxfev": 200 * k, "ftol": 1e-10}
            ).x
        )
    return [np.asarray(candidate, dtype=np.float64) for candidate in found]


def _refine_on_support(
    predictors_treated: NDArray[np.float64],
    predictors_donors: NDArray[np.float64],
    outcome_treated: NDArray[np.float64],
    outcome_donors: NDArray[np.float64],
    weights: NDArray[np.float64],
) -> NDArray[np.float64] | None:
    """A V making the best outcome fit on ``weights``' support the inner solution, or None."""
    support = weights > 0
    best = np.zeros_like(weights)
    best[support] = simplex_least_squares(outcome_donors[:, support], outcome_treated)
    support = best > 0
    k = predictors_treated.shape[0]
    # Inner KKT at W = best: [X0' V r]_j equals mu on the support and is at most mu elsewhere,
    # with r = X1 - X0 W; linear in (v, mu). Maximise the margin delta off the support.
    moments = predictors_donors * (predictors_treated - predictors_donors @ best)[:, None]
    inside, outside = np.flatnonzero(support), np.flatnonzero(~support)
    a_eq = np.zeros((inside.size + 1, k + 2))
    a_eq[: inside.size, :k] = moments[:, inside].T
    a_eq[: inside.size, k] = -1.0
    a_eq[inside.size, :k] = 1.0
    b_eq = np.zeros(inside.size + 1)
    b_eq[-1] = 1.0
    a_ub = np.zeros((outside.size, k + 2))
    a_ub[:, :k] = moments[:, outside].T
    a_ub[:, k] = -1.0
    a_ub[:, k + 1] = 1.0
    cost = np.zeros(k + 2)
    cost[-1] = -1.0
    try:
        solution = optimize.linprog(
            cost,
            A_ub=a_ub if outside.size else None,
            b_ub=np.zeros(outside.size) if outside.size else None,
            A_eq=a_eq,
            b_eq=b_eq,
            bounds=[(0.0, None)] * k + [(None, None), (None, 1.0)],
            method="highs",
        )
    except ValueError:
        return None
    if solution.status != 0 or solution.x is None or not solution.x[-1] > 1e-9:
        return None
    v = np.clip(solution.x[:k], 0.0, None)
    total = v.sum()
    return v / total if total > 0 else None


def outcome_weights(
    outcome_treated: NDArray[np.float64], outcome_donors: NDArray[np.float64]
) -> SynthFit:
    """Synthetic control without predictors: donor weights that best fit the outcome path.

    Parameters
    ----------
    outcome_treated : numpy.ndarray
        Shape (T,): outcome over the fit periods.
    outcome_donors : numpy.ndarray
        Shape (T, J).

    Returns
    -------
    SynthFit
        With empty ``predictor_weights`` and ``predictor_loss`` equal to ``loss``.
    """
    weights = simplex_least_squares(outcome_donors, outcome_treated)
    gap = outcome_treated - outcome_donors @ weights
    loss = float(gap @ gap) / gap.size
    return SynthFit(weights=weights, predictor_weights=np.empty(0), loss=loss, predictor_loss=loss)


# --------------------------------------------------------------------------------------------
# Synthetic DiD problems on a panel matrix
# --------------------------------------------------------------------------------------------

#: synthdid estimators: synthetic DiD, synthetic control (``sc_estimate``), plain DiD.
SDID_METHODS = ("sdid", "sc", "did")


@dataclass(frozen=True, eq=False)
class SdidProblem:
    """One synthdid-family fit on the rows of a panel matrix ``Y`` (units × periods).

    Attributes
    ----------
    treated : int
        Row of the treated unit.
    controls : numpy.ndarray
        Boolean (N,): rows used as controls.
    method : {"sdid", "sc", "did"}
        Estimator.
    zeta_omega, zeta_lambda : float
        Ridge parameters of the unit and time weights.
    min_decrease : float
        Frank-Wolfe stopping threshold.
    omega_init : numpy.ndarray or None
        (N,) starting unit weights (restricted to the controls and renormalised; uniform if
        they sum to zero) or None for uniform.
    lambda_init : numpy.ndarray or None
        (T0,) starting time weights or None for uniform.
    """

    treated: int
    controls: NDArray[np.bool_]
    method: str
    zeta_omega: float
    zeta_lambda: float
    min_decrease: float
    omega_init: NDArray[np.float64] | None = None
    lambda_init: NDArray[np.float64] | None = None


def noise_level(pre_outcomes: NDArray[np.float64]) -> float:
    """synthdid's noise level: standard deviation of the controls' first differences.

    Parameters
    ----------
    pre_outcomes : numpy.ndarray
        Controls × pre-treatment periods.

    Returns
    -------
    float
        ``sd(apply(Y[1:N0, 1:T0], 1, diff))`` (``ddof=1``); NaN with fewer than two
        differences.
    """
    differences = np.diff(pre_outcomes, axis=1).ravel()
    return float(np.std(differences, ddof=1)) if differences.size > 1 else math.nan


def sdid_settings(method: str, noise: float, n_post: int) -> tuple[float, float, float]:
    """``(zeta_omega, zeta_lambda, min_decrease)`` of synthdid 0.0.9 for one treated unit.

    Parameters
    ----------
    method : {"sdid", "sc", "did"}
        Estimator.
    noise : float
        :func:`noise_level` of the controls.
    n_post : int
        Post-treatment periods.
    """
    eta_omega = (1.0 * n_post) ** 0.25 if method == "sdid" else 1e-6
    return eta_omega * noise, 1e-6 * noise, 1e-5 * noise


def solve_sdid_problems(
    outcomes: NDArray[np.float64],
    n_pre: int,
    problems: list[SdidProblem],
    max_iter: int = MAX_ITERATIONS,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Unit and time weights of many synthdid fits on one panel matrix, solved together.

    Parameters
    ----------
    outcomes : numpy.ndarray
        Y, units × periods (balanced).
    n_pre : int
        Number of pre-treatment periods T0 (the first ``n_pre`` columns).
    problems : list of SdidProblem
        The fits.
    max_iter : int, default 10000
        Second-round Frank-Wolfe iteration cap.

    Returns
    -------
    omega : numpy.ndarray
        (B, N) unit weights, zero outside each problem's controls.
    lambda_ : numpy.ndarray
        (B, T0) time weights (zero for ``"sc"``).
    """
    n_units = outcomes.shape[0]
    n_problems = len(problems)
    controls = np.array([problem.controls for problem in problems], dtype=bool).reshape(
        n_problems, n_units
    )
    n_controls = controls.sum(axis=1).astype(np.float64)
    uniform_omega = controls / n_controls[:, None]
    omega = uniform_omega.copy()
    lambda_ = np.full((n_problems, n_pre), 1.0 / n_pre)
    methods = np.array([problem.method for problem in problems])
    min_decrease = np.array([problem.min_decrease for problem in problems])

    for method, intercept in (("sdid", True), ("sc", False)):
        chosen = np.flatnonzero(methods == method)
        if chosen.size == 0:
            continue
        design = outcomes[:, :n_pre].T
        if intercept:
            design = design - design.mean(axis=0)
        start = np.array([_start(problems[i].omega_init, controls[i]) for i in chosen])
        start = np.where(np.isnan(start), uniform_omega[chosen], start)
        shared = SharedDesignProblems(
            design=design,
            target=np.array([problems[i].treated for i in chosen], dtype=np.intp),
            allowed=controls[chosen],
        )
        omega[chosen], _ = synthdid_weights(
            shared,
            start,
            np.full(chosen.size, float(n_pre)),
            np.array([problems[i].zeta_omega for i in chosen]),
            min_decrease[chosen],
            max_iter,
        )
    lambda_[methods == "sc"] = 0.0

    chosen = np.flatnonzero(methods == "sdid")
    if chosen.size:
        profile = np.column_stack([outcomes[:, :n_pre], outcomes[:, n_pre:].mean(axis=1)])
        mask = controls[chosen].astype(np.float64)
        centre = mask @ profile / n_controls[chosen, None]
        centred = (profile[None, :, :] - centre[:, None, :]) * mask[:, :, None]
        stacked = StackedDesignProblems(
            columns=np.ascontiguousarray(centred[:, :, :n_pre].transpose(0, 2, 1)),
            target=np.ascontiguousarray(centred[:, :, n_pre]),
        )
        start = np.array(
            [
                np.full(n_pre, 1.0 / n_pre)
                if problems[i].lambda_init is None
                else np.asarray(problems[i].lambda_init, dtype=np.float64)
                for i in chosen
            ]
        )
        lambda_[chosen], _ = synthdid_weights(
            stacked,
            start,
            n_controls[chosen],
            np.array([problems[i].zeta_lambda for i in chosen]),
            min_decrease[chosen],
            max_iter,
        )
    return omega, lambda_


def _start(initial: NDArray[np.float64] | None, controls: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Starting unit weights: ``initial`` on the controls, renormalised (synthdid's
    ``sum_normalize``); NaN (meaning uniform) when absent or summing to zero."""
    if initial is None:
        return np.full(controls.size, np.nan)
    weights = np.where(controls, np.asarray(initial, dtype=np.float64), 0.0)
    total = weights.sum()
    return weights / total if total > 0 else np.full(controls.size, np.nan)
