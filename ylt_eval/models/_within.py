"""Absorb one or two sets of fixed effects exactly, then fit OLS on the demeaned data.

Two-way demeaning uses the Frisch–Waugh–Lovell identity instead of alternating projections:
with ``A`` the larger factor (units) and ``B`` the smaller (periods),

    M_[A,B] x = M_A x - W (W'W)^+ W' M_A x,      W = M_A D_B,

where ``M_A`` subtracts group means of ``A``. ``W'W = diag(n_b) - C' diag(1/n_a) C`` with ``C``
the sparse A × B count table, and ``W' M_A x = D_B' M_A x`` are group sums, so only a small
B × B system is solved and nothing of size n × B is ever formed. The result is exact up to
rounding for balanced and unbalanced (even disconnected) panels, needs no convergence
tolerance and runs in O(n k) plus O(B^3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.linalg
from numpy.typing import NDArray
from scipy import sparse

#: A regressor whose residual sum of squares after the fixed effects and the regressors before
#: it falls below this share of its raw sum of squares is treated as collinear (fixest uses a
#: similar relative tolerance, ``collin.tol = 1e-10``).
COLLINEARITY_TOLERANCE = 1e-10

# Relative eigenvalue cut-off for the pseudo-inverse of W'W; its null space (constant within
# connected components) is annihilated by M_A anyway, so this only guards against noise.
_EIGEN_CUTOFF = 1e-10


def group_demean(matrix: NDArray[np.float64], codes: NDArray[np.intp]) -> NDArray[np.float64]:
    """Subtract group means column by column.

    Parameters
    ----------
    matrix : numpy.ndarray
        Shape (n, k).
    codes : numpy.ndarray
        Group code 0..G-1 of each row, every code present.

    Returns
    -------
    numpy.ndarray
        New array of shape (n, k).
    """
    n_groups = int(codes.max()) + 1
    indicator = sparse.csr_matrix(
        (np.ones(codes.size), (codes, np.arange(codes.size))), shape=(n_groups, codes.size)
    )
    counts = np.asarray(indicator.sum(axis=1)).reshape(n_groups, 1)
    means = (indicator @ matrix) / counts
    return matrix - means[codes]


def demean(matrix: NDArray[np.float64], factors: Sequence[NDArray[np.intp]]) -> NDArray[np.float64]:
    """Residuals of each column of ``matrix`` on one or two sets of fixed effects.

    Parameters
    ----------
    matrix : numpy.ndarray
        Shape (n, k).
    factors : sequence of numpy.ndarray
        One or two code vectors (0..G-1, every code present) defining the fixed effects.

    Returns
    -------
    numpy.ndarray
        Demeaned copy, shape (n, k).
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    if len(factors) == 1:
        return group_demean(matrix, factors[0])
    if len(factors) != 2:
        raise ValueError(f"one or two fixed-effect factors are supported, got {len(factors)}")
    first, second = factors
    if np.bincount(first).size < np.bincount(second).size:
        first, second = second, first
    within_first = group_demean(matrix, first)
    n_first = int(first.max()) + 1
    n_second = int(second.max()) + 1
    counts = sparse.csr_matrix((np.ones(first.size), (first, second)), shape=(n_first, n_second))
    first_sizes = np.asarray(counts.sum(axis=1)).ravel()
    second_sizes = np.asarray(counts.sum(axis=0)).ravel()
    scaled = sparse.diags(1.0 / first_sizes) @ counts
    gram = np.diag(second_sizes) - np.asarray((counts.T @ scaled).todense())
    cross = np.column_stack(
        [
            np.bincount(second, weights=within_first[:, j], minlength=n_second)
            for j in range(matrix.shape[1])
        ]
    ).reshape(n_second, matrix.shape[1])
    eigenvalues, eigenvectors = np.linalg.eigh(gram)
    usable = eigenvalues > _EIGEN_CUTOFF * eigenvalues.max()
    inverse = (eigenvectors[:, usable] / eigenvalues[usable]) @ eigenvectors[:, usable].T
    second_effects = inverse @ cross
    return within_first - group_demean(second_effects[second], first)


@dataclass(frozen=True, eq=False)
class AbsorbedOls:
    """OLS of demeaned outcome on demeaned regressors.

    Attributes
    ----------
    coefficients : numpy.ndarray
        Estimates of the kept regressors.
    kept : numpy.ndarray
        Boolean mask over the regressors given: False for those dropped as collinear.
    regressors : numpy.ndarray
        Demeaned kept regressors, shape (n, k_kept) (the scores of the sandwich are
        ``regressors * residuals``).
    residuals : numpy.ndarray
        Residuals of the full model (identical to those of the demeaned regression).
    bread : numpy.ndarray
        ``inv(X~' X~)`` for the kept regressors.
    within_r2 : float
        1 - RSS / (sum of squares of the demeaned outcome).
    """

    coefficients: NDArray[np.float64]
    kept: NDArray[np.bool_]
    regressors: NDArray[np.float64]
    residuals: NDArray[np.float64]
    bread: NDArray[np.float64]
    within_r2: float


def fit_absorbed_ols(
    y: NDArray[np.float64],
    regressors: NDArray[np.float64],
    factors: Sequence[NDArray[np.intp]],
) -> AbsorbedOls:
    """Fit ``y ~ regressors | factors`` by OLS after absorbing the fixed effects.

    Regressors collinear with the fixed effects and the regressors before them are dropped in
    column order (as fixest does) and flagged in :attr:`AbsorbedOls.kept`; callers decide
    whether that is acceptable.

    Parameters
    ----------
    y : numpy.ndarray
        Outcome, shape (n,).
    regressors : numpy.ndarray
        Shape (n, k).
    factors : sequence of numpy.ndarray
        Fixed-effect code vectors.

    Returns
    -------
    AbsorbedOls
    """
    stacked = demean(np.column_stack([y, regressors]), factors)
    y_within = stacked[:, 0]
    x_within = stacked[:, 1:]
    kept = _independent_columns(x_within, np.einsum("ij,ij->j", regressors, regressors))
    x_kept = x_within[:, kept]
    if x_kept.shape[1] == 0:
        return AbsorbedOls(
            coefficients=np.empty(0),
            kept=kept,
            regressors=x_kept,
            residuals=y_within,
            bread=np.empty((0, 0)),
            within_r2=0.0,
        )
    q, r = scipy.linalg.qr(x_kept, mode="economic")
    coefficients = scipy.linalg.solve_triangular(r, q.T @ y_within)
    r_inverse = scipy.linalg.solve_triangular(r, np.eye(r.shape[0]))
    residuals = y_within - x_kept @ coefficients
    total = float(y_within @ y_within)
    return AbsorbedOls(
        coefficients=coefficients,
        kept=kept,
        regressors=x_kept,
        residuals=residuals,
        bread=r_inverse @ r_inverse.T,
        within_r2=1.0 - float(residuals @ residuals) / total if total > 0 else float("nan"),
    )


def _independent_columns(
    x_within: NDArray[np.float64], raw_sum_squares: NDArray[np.float64]
) -> NDArray[np.bool_]:
    """Greedy left-to-right selection of columns not spanned by the ones kept before them."""
    k = x_within.shape[1]
    kept = np.zeros(k, dtype=bool)
    basis = np.empty((x_within.shape[0], k))
    n_basis = 0
    for j in range(k):
        column = x_within[:, j]
        # Two Gram-Schmidt passes keep the basis orthogonal to working precision.
        for _ in range(2 if n_basis else 0):
            column = column - basis[:, :n_basis] @ (basis[:, :n_basis].T @ column)
        residual = float(column @ column)
        if raw_sum_squares[j] > 0 and residual > COLLINEARITY_TOLERANCE * raw_sum_squares[j]:
            kept[j] = True
            basis[:, n_basis] = column / np.sqrt(residual)
            n_basis += 1
    return kept
