"""Multiplier bootstrap on influence functions, as R ``did``'s ``mboot``.

Each draw multiplies every unit's (or cluster's) influence function by an independent
Rademacher weight (±1 with probability ½ each, as ``BMisc::multiplier_bootstrap``) and
averages. Standard errors are the bootstrap interquartile range rescaled to a normal standard
deviation; the critical value of a simultaneous (uniform) band is the ``1 - alp`` quantile of
the largest absolute t-statistic over the columns (sup-t). Quantiles use R's ``type = 1``
definition (``numpy``'s ``"inverted_cdf"``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

#: Divides an interquartile range to give a normal standard deviation.
IQR_PER_SD = float(norm.ppf(0.75) - norm.ppf(0.25))

#: R ``did`` treats standard errors at or below this as zero (degenerate).
DEGENERATE_SE = float(np.sqrt(np.finfo(float).eps) * 10)

# Largest block of multiplier weights held in memory at once (bytes).
_MAX_BLOCK_BYTES = 32 * 2**20


@dataclass(frozen=True)
class BootstrapInference:
    """Standard errors and a sup-t critical value from the multiplier bootstrap.

    Attributes
    ----------
    std_error : numpy.ndarray
        One bootstrap standard error per influence-function column (NaN where degenerate).
    critical_value : float
        ``1 - alp`` quantile of the sup-t statistic over the band columns (NaN if none usable).
    draws : int
        Number of bootstrap draws.
    """

    std_error: np.ndarray
    critical_value: float
    draws: int


def cluster_means(influence: np.ndarray, cluster_codes: np.ndarray) -> np.ndarray:
    """Average influence-function rows within clusters.

    Parameters
    ----------
    influence : numpy.ndarray
        ``n × k`` influence functions, one row per unit.
    cluster_codes : numpy.ndarray
        Integer cluster code ``0 .. m-1`` of each unit.

    Returns
    -------
    numpy.ndarray
        ``m × k`` cluster means, ordered by code.
    """
    n_clusters = int(cluster_codes.max()) + 1
    sums = np.zeros((n_clusters, influence.shape[1]))
    np.add.at(sums, cluster_codes, influence)
    counts = np.bincount(cluster_codes, minlength=n_clusters)
    return sums / counts[:, None]


def multiplier_draws(
    influence: np.ndarray,
    biters: int,
    rng: np.random.Generator,
    cluster_codes: np.ndarray | None = None,
) -> tuple[np.ndarray, int]:
    """Draw the multiplier bootstrap distribution of ``sqrt(m) × mean(U × ψ)``.

    Parameters
    ----------
    influence : numpy.ndarray
        ``n × k`` (or length-``n``) influence functions.
    biters : int
        Number of draws.
    rng : numpy.random.Generator
        Source of the Rademacher weights.
    cluster_codes : numpy.ndarray, optional
        Integer cluster of each unit; when given, one weight is drawn per cluster and applied
        to the cluster-mean influence function (R ``did`` with ``clustervars``).

    Returns
    -------
    draws : numpy.ndarray
        ``biters × k`` bootstrap draws.
    n_effective : int
        Number of independent units (clusters) ``m``; standard errors divide by ``sqrt(m)``.
    """
    psi = np.asarray(influence, dtype=float)
    if psi.ndim == 1:
        psi = psi[:, None]
    if cluster_codes is not None:
        psi = cluster_means(psi, cluster_codes)
    n_effective = psi.shape[0]
    draws = np.empty((biters, psi.shape[1]))
    block = max(1, _MAX_BLOCK_BYTES // (8 * n_effective))
    scale = 1.0 / np.sqrt(n_effective)
    for start in range(0, biters, block):
        size = min(block, biters - start)
        signs = rng.integers(0, 2, size=(size, n_effective), dtype=np.int8)
        weights = signs.astype(np.float64) * 2.0 - 1.0
        draws[start : start + size] = (weights @ psi) * scale
    return draws, n_effective


def bootstrap_sigma(draws: np.ndarray) -> np.ndarray:
    """Rescaled interquartile range of each column of the bootstrap draws.

    Parameters
    ----------
    draws : numpy.ndarray
        ``B × k`` draws.

    Returns
    -------
    numpy.ndarray
        ``(Q75 - Q25) / (z_0.75 - z_0.25)`` per column, R ``quantile(type = 1)``; NaN for
        columns with missing draws.
    """
    sigma = np.full(draws.shape[1], np.nan)
    finite = np.all(np.isfinite(draws), axis=0)
    if finite.any():
        q75, q25 = np.quantile(draws[:, finite], [0.75, 0.25], axis=0, method="inverted_cdf")
        sigma[finite] = (q75 - q25) / IQR_PER_SD
    return sigma


def sup_t_critical_value(draws: np.ndarray, sigma: np.ndarray, alp: float) -> float:
    """Critical value of a simultaneous band: the ``1 - alp`` quantile of ``max |draw / σ|``.

    Parameters
    ----------
    draws : numpy.ndarray
        ``B × k`` draws.
    sigma : numpy.ndarray
        Bootstrap scale of each column; columns with a missing or degenerate scale are left
        out, as in R ``did``.
    alp : float
        Significance level.

    Returns
    -------
    float
        The critical value, or NaN when no column is usable.
    """
    usable = np.isfinite(sigma) & (sigma > DEGENERATE_SE)
    if not usable.any():
        return float("nan")
    sup_t = np.max(np.abs(draws[:, usable] / sigma[usable]), axis=1)
    sup_t = sup_t[np.isfinite(sup_t)]
    if sup_t.size == 0:
        return float("nan")
    return float(np.quantile(sup_t, 1.0 - alp, method="inverted_cdf"))


def multiplier_bootstrap(
    influence: np.ndarray,
    *,
    biters: int,
    alp: float,
    rng: np.random.Generator,
    cluster_codes: np.ndarray | None = None,
    band_columns: np.ndarray | None = None,
) -> BootstrapInference:
    """Bootstrap standard errors and the sup-t critical value for influence functions.

    Parameters
    ----------
    influence : numpy.ndarray
        ``n × k`` influence functions (one column per estimate).
    biters : int
        Number of draws.
    alp : float
        Significance level of the simultaneous band.
    rng : numpy.random.Generator
        Random source (seeded by the caller for reproducibility).
    cluster_codes : numpy.ndarray, optional
        Integer cluster of each unit for cluster-level weights.
    band_columns : numpy.ndarray, optional
        Boolean mask of the columns the simultaneous band covers (default: all).

    Returns
    -------
    BootstrapInference
        Standard errors (NaN where the draws are degenerate) and the critical value.
    """
    draws, n_effective = multiplier_draws(influence, biters, rng, cluster_codes)
    sigma = bootstrap_sigma(draws)
    # R drops columns whose draws are (numerically) all zero: their SE is missing.
    degenerate = ~(np.sum(draws**2, axis=0) > DEGENERATE_SE)
    sigma[degenerate] = np.nan
    std_error = sigma / np.sqrt(n_effective)
    if band_columns is None:
        band_columns = np.ones(draws.shape[1], dtype=bool)
    critical_value = sup_t_critical_value(draws[:, band_columns], sigma[band_columns], alp)
    return BootstrapInference(std_error=std_error, critical_value=critical_value, draws=biters)
