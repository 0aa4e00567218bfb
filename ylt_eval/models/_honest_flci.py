"""Fixed-length confidence intervals under smoothness restrictions (HonestDiD's ΔSD FLCI).

Rambachan & Roth (2023), section 4.1, following Armstrong & Kolesár (2018, 2020): among affine
estimators ``θ̂ = v_pre'β̂_pre + l'β̂_post`` of ``θ = l'τ_post`` find the one whose interval
``θ̂ ± cv_α(bias/sd) · sd`` is shortest, where ``bias`` is the worst-case bias over

    ΔSD(M) = {δ : |(δ_{t+1} - δ_t) - (δ_t - δ_{t-1})| <= M for all t},  δ_0 = 0,

and ``cv_α(b)`` is the 1 - α quantile of ``|N(b, 1)|``. This module reproduces R
``HonestDiD::findOptimalFLCI`` (package versions 0.2.x):

- the pre-period weights are parametrised as R does, ``v_pre = D w`` with ``D`` the first-
  difference matrix, ``sum(w) = sum_s s * l_s`` (unbiasedness under linear trends) and worst-case
  bias ``M * (c + sum_k |w_1 + ... + w_k|)``;
- R minimises that bias subject to ``sd <= h`` with a conic solver (CVXR/ECOS) and searches
  ``h`` between the minimum-variance and the minimum-bias estimator. Here the bias problem is
  solved exactly: with ``z_k = w_1 + ... + w_k`` it is an L1 norm minimised over an ellipsoid, and
  for every pattern of signs and zeros of ``z`` the solution has a closed form. The optimum is
  the best sign-consistent pattern (3^(K-1) patterns for K pre-periods; K <= 10 is supported);
- R computes ``cv_α`` by simulation: the 1 - α quantile (R type 7) of ``|Z + b|`` over
  10^6 draws ``Z`` of ``rnorm`` after ``set.seed(0)``. :func:`r_rnorm` regenerates R's draws
  bit for bit (Mersenne-Twister, inversion), so ``folded_quantile="simulated"`` reproduces R's
  critical values exactly; ``"exact"`` inverts the folded-normal distribution instead (the
  values differ by about 1e-3 in cv units).
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, special

from ylt_eval.errors import ParameterError

#: Draws R uses for the folded-normal quantile (``.qfoldednormal(numSims = 10^6)``).
R_FOLDED_DRAWS = 1_000_000
#: Largest number of pre-periods for which the exact bias frontier is enumerated.
MAX_PRE_PERIODS = 10
#: Evaluation points of the first, coarse search over the standard deviation h.
_H_GRID_POINTS = 201
#: Slack when checking that a closed-form candidate keeps its assumed signs.
_SIGN_TOLERANCE = 1e-10


# --------------------------------------------------------------------------------------------
# R's random numbers
# --------------------------------------------------------------------------------------------


def _r_mersenne_key(seed: int) -> NDArray[np.uint32]:
    """Mersenne-Twister state after R's ``set.seed(seed)`` (R's ``RNG_Init`` scrambling)."""
    state = seed & 0xFFFFFFFF
    for _ in range(50):
        state = (69069 * state + 1) & 0xFFFFFFFF
    words = []
    for _ in range(625):
        state = (69069 * state + 1) & 0xFFFFFFFF
        words.append(state)
    # The first word is R's position counter (reset to 624 by FixupSeeds); the rest is the key.
    return np.array(words[1:], dtype=np.uint32)


def r_runif(n: int, seed: int) -> NDArray[np.float64]:
    """``set.seed(seed); runif(n)`` exactly as R's default generator produces them.

    Parameters
    ----------
    n : int
        Number of draws.
    seed : int
        R seed.

    Returns
    -------
    numpy.ndarray
        Uniform draws on (0, 1).
    """
    generator = np.random.MT19937()
    generator.state = {
        "bit_generator": "MT19937",
        "state": {"key": _r_mersenne_key(int(seed)), "pos": 624},
    }
    uniform = generator.random_raw(n).astype(np.float64) * 2.3283064365386963e-10
    # R's fixup() keeps draws strictly inside (0, 1).
    half_step = 0.5 * 2.328306437080797e-10
    uniform[uniform <= 0.0] = half_step
    uniform[(1.0 - uniform) <= 0.0] = 1.0 - half_step
    return uniform


def r_rnorm(n: int, seed: int) -> NDArray[np.float64]:
    """``set.seed(seed); rnorm(n)`` exactly as R's default generator produces them.

    R's default normal generator is inversion with two uniforms per draw
    (``u = (floor(2^27 u1) + u2) / 2^27``, then ``qnorm(u)``).

    Parameters
    ----------
    n : int
        Number of draws.
    seed : int
        R seed.

    Returns
    -------
    numpy.ndarray
        Standard normal draws.
    """
    uniform = r_runif(2 * n, seed)
    big = 134217728.0
    return special.ndtri((np.floor(big * uniform[0::2]) + uniform[1::2]) / big)


def r_quantile7(sorted_values: NDArray[np.float64], p: float) -> float:
    """R ``quantile(x, p, type = 7)`` of already sorted values."""
    index = 1.0 + (sorted_values.size - 1) * p
    lo = math.floor(index)
    hi = math.ceil(index)
    low_value = float(sorted_values[lo - 1])
    high_value = float(sorted_values[hi - 1])
    if index > lo and high_value != low_value:
        weight = index - lo
        return (1.0 - weight) * low_value + weight * high_value
    return low_value


@functools.lru_cache(maxsize=4)
def _sorted_r_draws(seed: int) -> NDArray[np.float64]:
    draws = np.sort(r_rnorm(R_FOLDED_DRAWS, seed))
    draws.setflags(write=False)
    return draws


class FoldedNormalQuantile:
    """The 1 - α quantile of ``|N(b, 1)|`` as a function of ``b``.

    Parameters
    ----------
    alpha : float
        Level: the quantile is at ``1 - alpha``.
    method : {"simulated", "exact"}
        ``"simulated"``: R's ``.qfoldednormal`` (type-7 quantile of ``|Z + b|`` over R's 10^6
        draws after ``set.seed(seed)``); ``"exact"``: the true quantile.
    seed : int
        R seed of the simulated draws.
    """

    def __init__(self, alpha: float, method: str = "simulated", seed: int = 0) -> None:
        self.p = 1.0 - alpha
        self.method = method
        self._draws = _sorted_r_draws(seed) if method == "simulated" else None

    def __call__(self, b: float) -> float:
        """Quantile at non-centrality ``b`` (>= 0)."""
        if self._draws is None:
            return _exact_folded_quantile(self.p, b)
        return self._simulated(b)

    def _simulated(self, b: float) -> float:
        draws = self._draws
        n = draws.size
        index = 1.0 + (n - 1) * self.p
        lo = math.floor(index)
        hi = math.ceil(index)
        low_value = _kth_abs_shifted(draws, b, lo)
        high_value = low_value if hi == lo else _kth_abs_shifted(draws, b, hi)
        if index > lo and high_value != low_value:
            weight = index - lo
            return (1.0 - weight) * low_value + weight * high_value
        return low_value


def _kth_abs_shifted(sorted_draws: NDArray[np.float64], shift: float, k: int) -> float:
    """k-th smallest (1-based) of ``|z + shift|`` over sorted ``z``, in O(log n).

    ``|z + shift|`` is the merge of two increasing sequences: ``z + shift`` for ``z >= -shift``
    (ascending z) and ``-(z + shift)`` for ``z < -shift`` (descending z).
    """
    split = int(np.searchsorted(sorted_draws, -shift, side="left"))
    n_up = sorted_draws.size - split  # ascending part A
    n_down = split  # ascending part B (read backwards)

    def up(i: int) -> float:
        return float(sorted_draws[split + i] + shift)

    def down(i: int) -> float:
        return float(-(sorted_draws[split - 1 - i] + shift))

    # Take i values from A and k - i from B; find i with A[i-1] <= B[k-i] and B[k-i-1] <= A[i].
    low, high = max(0, k - n_down), min(k, n_up)
    while low <= high:
        i = (low + high) // 2
        j = k - i
        a_left = up(i - 1) if i > 0 else -math.inf
        a_right = up(i) if i < n_up else math.inf
        b_left = down(j - 1) if j > 0 else -math.inf
        b_right = down(j) if j < n_down else math.inf
        if a_left > b_right:
            high = i - 1
        elif b_left > a_right:
            low = i + 1
        else:
            return max(a_left, b_left)
    raise RuntimeError("order statistic search failed")  # pragma: no cover - unreachable


def _exact_folded_quantile(p: float, b: float) -> float:
    """Exact ``p`` quantile of ``|N(b, 1)|``."""
    b = abs(b)

    def excess(x: float) -> float:
        return float(special.ndtr(x - b) - special.ndtr(-x - b)) - p

    upper = b + float(special.ndtri(p)) + 10.0
    return float(optimize.brentq(excess, 0.0, upper, xtol=1e-14, rtol=4 * np.finfo(float).eps))


# --------------------------------------------------------------------------------------------
# The bias-variance frontier of affine estimators
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Patterns:
    """Closed-form solutions of the bias problem, one per sign/zero pattern of z."""

    x0: NDArray[np.float64]  # centre of the variance ellipsoid within the pattern
    direction: NDArray[np.float64]  # unit (in the variance metric) steepest-descent direction
    signs: NDArray[np.float64]  # +1 / -1 on free coordinates, 0 on coordinates fixed at zero
    base: NDArray[np.float64]  # sum |z| at x0 with the pattern's signs
    slope: NDArray[np.float64]  # decrease of sum |z| per unit of sqrt(h^2 - kappa)
    kappa: NDArray[np.float64]  # smallest variance reachable within the pattern


class BiasFrontier:
    """Smallest worst-case bias (for M = 1) of affine estimators with standard deviation <= h.

    Parameters
    ----------
    sigma : numpy.ndarray
        Covariance of ``(β̂_pre, β̂_post)``, pre-periods first.
    num_pre : int
        Number of pre-periods K.
    l_vec : numpy.ndarray
        Weights of the target parameter on the post-periods.
    """

    def __init__(self, sigma: NDArray[np.float64], num_pre: int, l_vec: NDArray[np.float64]):
        if num_pre > MAX_PRE_PERIODS:
            raise ParameterError(
                f"the smoothness FLCI supports at most {MAX_PRE_PERIODS} pre-periods, got "
                f"{num_pre}; keep the pre-periods closest to treatment"
            )
        k = num_pre
        num_post = l_vec.size
        post_index = np.arange(1, num_post + 1, dtype=np.float64)
        self.num_pre = k
        self.l_vec = l_vec
        self.weight_sum = float(post_index @ l_vec)
        self.bias_constant = (
            sum(
                abs(float(np.arange(1, s + 1) @ l_vec[num_post - s :]))
                for s in range(1, num_post + 1)
            )
            - self.weight_sum
            + abs(self.weight_sum)
        )
        # Pre-period weights v_pre = D w, w = C z (z cumulative sums of w), so v_pre = T z.
        difference = np.eye(k) - np.eye(k, k=-1)
        transform = difference @ difference
        self._free_columns = transform[:, : k - 1]
        self._fixed_column = transform[:, k - 1] * self.weight_sum
        # Scale the covariance to order one; h is scaled back on the way out.
        self.scale = float(np.mean(np.diag(sigma)))
        scaled = sigma / self.scale
        pre, pre_post = scaled[:k, :k], scaled[:k, k:]
        post_var = float(l_vec @ scaled[k:, k:] @ l_vec)
        g, g0 = self._free_columns, self._fixed_column
        self._quad = g.T @ pre @ g
        self._lin = g.T @ (pre @ g0 + pre_post @ l_vec)
        self._const = float(g0 @ pre @ g0 + 2.0 * g0 @ pre_post @ l_vec + post_var)
        self._patterns = self._enumerate_patterns() if k > 1 else None

    # -- standard deviations at the two ends of the frontier ----------------------------------

    @property
    def h_min_bias(self) -> float:
        """Standard deviation of the minimum-bias estimator (all ``z_k = 0``; R's ``h0``)."""
        return math.sqrt(max(self._const, 0.0) * self.scale)

    @property
    def h_min_variance(self) -> float:
        """Standard deviation of the minimum-variance estimator (R's ``hMin``)."""
        if self.num_pre == 1:
            return self.h_min_bias
        solution = np.linalg.solve(self._quad, self._lin)
        return math.sqrt(max(self._const - float(self._lin @ solution), 0.0) * self.scale)

    # -- the bias problem ---------------------------------------------------------------------

    def _enumerate_patterns(self) -> _Patterns:
        free = self.num_pre - 1
        x0s, directions, signs, bases, slopes, kappas = [], [], [], [], [], []
        for size in range(1, free + 1):
            for subset in itertools.combinations(range(free), size):
                index = np.array(subset)
                quad = self._quad[np.ix_(index, index)]
                lin = self._lin[index]
                chol = np.linalg.cholesky(quad)
                centre = -_chol_solve(chol, lin)
                kappa = self._const + float(lin @ centre)
                for sign in itertools.product((1.0, -1.0), repeat=size):
                    s = np.array(sign)
                    steepest = _chol_solve(chol, s)
                    norm = math.sqrt(float(s @ steepest))
                    x0 = np.zeros(free)
                    x0[index] = centre
                    step = np.zeros(free)
                    step[index] = steepest / norm
                    full_sign = np.zeros(free)
                    full_sign[index] = s
                    x0s.append(x0)
                    directions.append(step)
                    signs.append(full_sign)
                    bases.append(float(s @ centre))
                    slopes.append(norm)
                    kappas.append(kappa)
        return _Patterns(
            x0=np.array(x0s),
            direction=np.array(directions),
            signs=np.array(signs),
            base=np.array(bases),
            slope=np.array(slopes),
            kappa=np.array(kappas),
        )

    def solve(self, h: float) -> tuple[float, NDArray[np.float64]]:
        """Smallest worst-case bias (M = 1) with sd <= h, and the pre-period weights attaining it.

        Parameters
        ----------
        h : float
            Bound on the standard deviation, in the units of ``sigma``.

        Returns
        -------
        bias : float
            Worst-case bias for M = 1 (multiply by M); infinite if ``h`` is below the minimum
            standard deviation.
        pre_weights : numpy.ndarray
            Weights ``v_pre`` on the pre-period coefficients.
        """
        if self._patterns is None:
            return self.bias_constant, self._fixed_column.copy()
        h2 = h * h / self.scale
        if h2 >= self._const:
            return self.bias_constant, self._fixed_column.copy()
        patterns = self._patterns
        reachable = patterns.kappa <= h2 * (1.0 + 1e-12)
        radius = np.sqrt(np.clip(h2 - patterns.kappa, 0.0, None))
        candidate = patterns.x0 - radius[:, None] * patterns.direction
        consistent = np.all(patterns.signs * candidate >= -_SIGN_TOLERANCE, axis=1)
        value = patterns.base - radius * patterns.slope
        value = np.where(reachable & consistent, value, np.inf)
        best = int(np.argmin(value))
        if not np.isfinite(value[best]):
            return math.inf, np.full(self.num_pre, np.nan)
        z_free = np.where(patterns.signs[best] != 0.0, candidate[best], 0.0)
        pre_weights = self._free_columns @ z_free + self._fixed_column
        return self.bias_constant + float(value[best]), pre_weights


def _chol_solve(chol: NDArray[np.float64], rhs: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.linalg.solve(chol.T, np.linalg.solve(chol, rhs))


# --------------------------------------------------------------------------------------------
# The optimal FLCI
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlciInterval:
    """One optimal fixed-length confidence interval.

    Attributes
    ----------
    m : float
        Smoothness bound M.
    lower, upper : float
        Interval ``estimate ± half_length``.
    estimate : float
        Affine estimate ``v_pre'β̂_pre + l'β̂_post``.
    half_length : float
        ``cv_α(M * bias / sd) * sd``.
    sd : float
        Standard deviation of the affine estimator.
    max_bias : float
        Worst-case bias ``M * bias`` over ΔSD(M).
    pre_weights : numpy.ndarray
        Weights on the pre-period coefficients.
    """

    m: float
    lower: float
    upper: float
    estimate: float
    half_length: float
    sd: float
    max_bias: float
    pre_weights: NDArray[np.float64]


def _refine(
    frontier: BiasFrontier,
    quantile: FoldedNormalQuantile,
    m: float,
    grid: NDArray[np.float64],
    best: int,
    best_value: float,
) -> float:
    """Minimise the half-length between the grid neighbours of the best grid point."""

    def half_length(h: float) -> float:
        return quantile(m * frontier.solve(h)[0] / h) * h

    left = float(grid[max(best - 1, 0)])
    right = float(grid[min(best + 1, grid.size - 1)])
    refined = optimize.minimize_scalar(
        half_length,
        bounds=(left, right),
        method="bounded",
        options={"xatol": 1e-12 * float(grid[-1])},
    )
    return float(refined.x) if refined.fun < best_value else float(grid[best])


def optimal_flci(
    betahat: NDArray[np.float64],
    sigma: NDArray[np.float64],
    *,
    num_pre: int,
    l_vec: NDArray[np.float64],
    m_values: NDArray[np.float64],
    alpha: float,
    folded_quantile: str = "simulated",
    seed: int = 0,
) -> list[FlciInterval]:
    """Optimal FLCI for ``θ = l'τ_post`` under ΔSD(M), one per M (R ``findOptimalFLCI``).

    Parameters
    ----------
    betahat : numpy.ndarray
        Event-study coefficients, pre-periods first (reference period omitted).
    sigma : numpy.ndarray
        Their covariance matrix.
    num_pre : int
        Number of pre-periods.
    l_vec : numpy.ndarray
        Weights of θ on the post-periods.
    m_values : numpy.ndarray
        Smoothness bounds M >= 0.
    alpha : float
        1 - coverage.
    folded_quantile : {"simulated", "exact"}
        How ``cv_α`` is computed (see :class:`FoldedNormalQuantile`).
    seed : int
        R seed of the simulated quantile.

    Returns
    -------
    list of FlciInterval
        In the order of ``m_values``.
    """
    frontier = BiasFrontier(sigma, num_pre, l_vec)
    quantile = FoldedNormalQuantile(alpha, folded_quantile, seed)
    h_low, h_high = frontier.h_min_variance, frontier.h_min_bias
    grid = np.linspace(h_low, h_high, _H_GRID_POINTS) if h_high > h_low else np.array([h_low])
    biases = np.array([frontier.solve(h)[0] for h in grid])
    intervals = []
    for m in (float(value) for value in m_values):
        half_lengths = np.array(
            [quantile(m * bias / h) * h for h, bias in zip(grid, biases, strict=True)]
        )
        best = int(np.argmin(half_lengths))
        h_star = float(grid[best])
        if grid.size > 1 and m > 0.0:
            h_star = _refine(frontier, quantile, m, grid, best, half_lengths[best])
        bias, pre_weights = frontier.solve(h_star)
        half = quantile(m * bias / h_star) * h_star
        estimate = float(pre_weights @ betahat[:num_pre] + l_vec @ betahat[num_pre:])
        intervals.append(
            FlciInterval(
                m=m,
                lower=estimate - half,
                upper=estimate + half,
                estimate=estimate,
                half_length=half,
                sd=h_star,
                max_bias=m * bias,
                pre_weights=pre_weights,
            )
        )
    return intervals
