"""Covariance matrices of fixed-effects OLS with fixest's default small-sample corrections.

fixest 0.12 defaults, ``ssc(adj = TRUE, fixef.K = "nested", cluster.adj = TRUE,
cluster.df = "min", t.df = "min", fixef.force_exact = FALSE)``, amount to:

- ``K`` = number of slope coefficients + fixed-effect levels, with one restriction per
  fixed-effect set beyond the first (``sum(levels) - (n_fe - 1)``, not the exact rank);
  for clustered errors every fixed-effect set nested in the clusters counts as 1 parameter
  instead of its number of levels (all sets nested: ``K = k + 1``); always ``K >= k + 1``.
- ``iid``:    ``V = RSS / (n - K) * (X'X)^-1``, t with ``n - K`` df.
- ``hetero``: ``V = n / (n - K) * B (sum e_i^2 x_i x_i') B`` (HC1), t with ``n - K`` df.
- ``CRV1``:   ``V = (n - 1) / (n - K) * G / (G - 1) * B (sum_g s_g s_g') B`` with
  ``s_g = sum_{i in g} x_i e_i``, t with ``G - 1`` df.

``X`` are the demeaned regressors, ``B = (X'X)^-1``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ylt_eval.errors import EstimationError

#: Variance estimators implemented here.
VCOV_TYPES: tuple[str, ...] = ("iid", "hetero", "CRV1")


@dataclass(frozen=True, eq=False)
class VcovEstimate:
    """A covariance matrix with the quantities needed to use it.

    Attributes
    ----------
    matrix : numpy.ndarray
        Covariance of the coefficients, shape (k, k).
    vcov_type : str
        One of :data:`VCOV_TYPES`.
    df : float
        Degrees of freedom of the t distribution for tests and intervals.
    ssc_k : int
        ``K`` used in the factor ``(n - 1) / (n - K)``.
    n_clusters : int or None
        Number of clusters for ``CRV1``.
    """

    matrix: NDArray[np.float64]
    vcov_type: str
    df: float
    ssc_k: int
    n_clusters: int | None


def nested_in(codes: NDArray[np.intp], cluster: NDArray[np.intp]) -> bool:
    """Whether every level of ``codes`` falls inside a single cluster.

    Parameters
    ----------
    codes, cluster : numpy.ndarray
        Integer codes of the same length.
    """
    n_levels = int(codes.max()) + 1
    low = np.full(n_levels, np.iinfo(np.intp).max)
    high = np.full(n_levels, -1)
    np.minimum.at(low, codes, cluster)
    np.maximum.at(high, codes, cluster)
    return bool(np.all(low == high))


def small_sample_k(n_coefficients: int, fe_sizes: Sequence[int], nested: Sequence[bool]) -> int:
    """Number of parameters ``K`` of fixest's ``fixef.K = "nested"`` rule.

    Parameters
    ----------
    n_coefficients : int
        Slope coefficients estimated.
    fe_sizes : sequence of int
        Number of levels of each fixed-effect set.
    nested : sequence of bool
        For each set, whether it is nested in the clusters (all False if not clustered).
    """
    n_fe = len(fe_sizes)
    k = n_coefficients + sum(fe_sizes) - max(n_fe - 1, 0)
    if n_fe and all(nested):
        k = n_coefficients + 1
    else:
        k -= sum(size - 1 for size, is_nested in zip(fe_sizes, nested, strict=True) if is_nested)
    return max(k, n_coefficients + 1)


def fixed_effects_vcov(
    vcov_type: str,
    regressors: NDArray[np.float64],
    residuals: NDArray[np.float64],
    bread: NDArray[np.float64],
    *,
    factors: Sequence[NDArray[np.intp]],
    cluster: NDArray[np.intp] | None = None,
) -> VcovEstimate:
    """Covariance of fixed-effects OLS coefficients, as fixest computes it by default.

    Parameters
    ----------
    vcov_type : str
        ``"iid"``, ``"hetero"`` or ``"CRV1"``.
    regressors : numpy.ndarray
        Demeaned regressors, shape (n, k).
    residuals : numpy.ndarray
        Model residuals, shape (n,).
    bread : numpy.ndarray
        ``inv(X'X)`` of the demeaned regressors.
    factors : sequence of numpy.ndarray
        Fixed-effect code vectors (for the count of parameters).
    cluster : numpy.ndarray, optional
        Cluster codes 0..G-1; required for ``CRV1``.

    Returns
    -------
    VcovEstimate

    Raises
    ------
    EstimationError
        Too few observations or clusters for the correction to be defined.
    """
    n, k = regressors.shape
    fe_sizes = [int(codes.max()) + 1 for codes in factors]
    if vcov_type == "CRV1":
        if cluster is None:
            raise ValueError("CRV1 needs cluster codes")
        n_clusters = int(cluster.max()) + 1
        if n_clusters < 2:
            raise EstimationError(
                "clustered standard errors need at least 2 clusters, the sample has 1; "
                "cluster by a finer variable or use vcov='hetero'"
            )
        nested = [nested_in(codes, cluster) for codes in factors]
        ssc_k = small_sample_k(k, fe_sizes, nested)
        _require_residual_df(n, ssc_k)
        scores = regressors * residuals[:, None]
        cluster_scores = np.column_stack(
            [np.bincount(cluster, weights=scores[:, j], minlength=n_clusters) for j in range(k)]
        ).reshape(n_clusters, k)
        meat = cluster_scores.T @ cluster_scores
        factor = (n - 1) / (n - ssc_k) * n_clusters / (n_clusters - 1)
        return VcovEstimate(
            matrix=_symmetric(factor * bread @ meat @ bread),
            vcov_type=vcov_type,
            df=float(n_clusters - 1),
            ssc_k=ssc_k,
            n_clusters=n_clusters,
        )
    ssc_k = small_sample_k(k, fe_sizes, [False] * len(fe_sizes))
    _require_residual_df(n, ssc_k)
    if vcov_type == "iid":
        sigma2 = float(residuals @ residuals) / (n - ssc_k)
        matrix = sigma2 * bread
    elif vcov_type == "hetero":
        scores = regressors * residuals[:, None]
        matrix = n / (n - ssc_k) * bread @ (scores.T @ scores) @ bread
    else:
        raise ValueError(f"unknown vcov type {vcov_type!r}")
    return VcovEstimate(
        matrix=_symmetric(matrix),
        vcov_type=vcov_type,
        df=float(n - ssc_k),
        ssc_k=ssc_k,
        n_clusters=None,
    )


def _require_residual_df(n: int, ssc_k: int) -> None:
    if n - ssc_k <= 0:
        raise EstimationError(
            f"not enough observations: {n} rows for {ssc_k} parameters (coefficients and fixed "
            "effects); the model leaves no residual degrees of freedom"
        )


def _symmetric(matrix: NDArray[np.float64]) -> NDArray[np.float64]:
    return (matrix + matrix.T) / 2.0
