"""Sensitivity of event-study conclusions to violations of parallel trends (HonestDiD).

Rambachan & Roth (2023), "A More Credible Approach to Parallel Trends", Review of Economic
Studies 90(5). The event-study coefficients are ``β = τ + δ``: treatment effects (zero before
treatment) plus a difference in trends ``δ``. Instead of assuming ``δ_post = 0`` the user bounds
how far ``δ_post`` may depart from what the pre-periods show, and gets confidence intervals for
``θ = l'τ_post`` that are valid whenever the bound holds:

- ``method="smoothness"`` (ΔSD(M)): the slope of ``δ`` changes by at most M between consecutive
  periods (M = 0: ``δ`` is exactly linear, extrapolated from the pre-periods). Intervals are the
  optimal fixed-length confidence intervals (FLCI), as R ``HonestDiD::createSensitivityResults``
  computes them (:mod:`ylt_eval.models._honest_flci`);
- ``method="relative_magnitudes"`` (ΔRM(Mbar)): each post-treatment change of ``δ`` is at most
  Mbar times the largest pre-treatment change. Intervals invert the conditional-least-
  favourable hybrid test of Andrews, Roth & Pakes over a grid, as
  ``HonestDiD::createSensitivityResults_relativeMagnitudes`` (:mod:`ylt_eval.models._honest_rm`).

The numbers reproduce R's HonestDiD 0.2.x, including its simulated critical values (R's random
number stream is regenerated exactly), so they can be checked against R output.

Conventions: ``betahat`` holds the pre-period coefficients first (earliest first, the reference
period -1 omitted), then the post-period coefficients (event time 0 first); the reference period
is the one right before treatment.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Integral, Real
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from ylt_eval.errors import ParameterError
from ylt_eval.models._honest_flci import optimal_flci
from ylt_eval.models._honest_rm import relative_magnitudes_sets
from ylt_eval.models.callaway_santanna import AggteResult
from ylt_eval.models.results import EventStudyResult

#: The two families of restrictions.
METHODS: tuple[str, ...] = ("smoothness", "relative_magnitudes")
#: Column order of :meth:`HonestDiDResult.tidy`.
TIDY_COLUMNS: tuple[str, ...] = ("restriction", "method", "m", "conf_low", "conf_high")
#: R's default relative-magnitude bounds: 10 values on [0, 2].
DEFAULT_MBAR_VALUES: tuple[float, ...] = tuple(np.linspace(0.0, 2.0, 10).tolist())

_RESTRICTION_LABELS = {"smoothness": "DeltaSD", "relative_magnitudes": "DeltaRM"}
_RM_METHOD_LABELS = {"LF": "C-LF", "ARP": "Conditional"}
_SYMMETRY_TOLERANCE = 1e-8
_PSD_TOLERANCE = 1e-10


# --------------------------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------------------------


def _frozen(values: ArrayLike) -> NDArray[np.float64]:
    array = np.array(values, dtype=np.float64, copy=True)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, kw_only=True, eq=False)
class HonestDiDResult:
    """Robust confidence intervals for ``θ = l'τ_post``, one per restriction size.

    Arrays are copied and made read-only on construction.

    Attributes
    ----------
    method : str
        ``"smoothness"`` or ``"relative_magnitudes"``.
    inference : str
        ``"FLCI"`` (smoothness), ``"C-LF"`` or ``"Conditional"`` (relative magnitudes).
    m_values : numpy.ndarray
        Restriction sizes M (smoothness) or Mbar (relative magnitudes).
    conf_low, conf_high : numpy.ndarray
        Interval ends, aligned with ``m_values``; NaN where the confidence set is empty.
    original_estimate, original_std_error : float
        ``l'β̂_post`` and its standard error.
    original_conf_low, original_conf_high : float
        The conventional interval, valid under exact parallel trends.
    l_vec : numpy.ndarray
        Weights of θ on the post-periods.
    num_pre_periods, num_post_periods : int
        Numbers of pre- and post-period coefficients used.
    alpha : float
        1 - coverage.
    settings : Mapping[str, Any]
        Computational settings (grid, hybrid first stage, critical-value method, seed).
    details : Mapping[str, numpy.ndarray]
        Per-row diagnostics aligned with ``m_values`` (read-only): for smoothness the affine
        ``estimate``, ``half_length``, its ``sd`` and ``max_bias``; for relative magnitudes
        ``open_at_grid_end`` and ``convex``. :meth:`diagnostics` returns them as a table.
    event_times : Mapping[str, tuple[int, ...]]
        ``{"pre": ..., "post": ...}`` when built from an estimator result, else empty.
    notes : tuple of str
        Things a reader must know (grid limits, dropped terms, ...).
    """

    method: str
    inference: str
    m_values: NDArray[np.float64]
    conf_low: NDArray[np.float64]
    conf_high: NDArray[np.float64]
    original_estimate: float
    original_std_error: float
    original_conf_low: float
    original_conf_high: float
    l_vec: NDArray[np.float64]
    num_pre_periods: int
    num_post_periods: int
    alpha: float
    settings: Mapping[str, Any] = field(default_factory=dict)
    details: Mapping[str, NDArray[Any]] = field(default_factory=dict)
    event_times: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("m_values", "conf_low", "conf_high", "l_vec"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        object.__setattr__(self, "settings", MappingProxyType(dict(self.settings)))
        details = {}
        for key, values in self.details.items():
            array = np.array(values, copy=True)
            array.setflags(write=False)
            details[str(key)] = array
        object.__setattr__(self, "details", MappingProxyType(details))
        object.__setattr__(
            self,
            "event_times",
            MappingProxyType({key: tuple(value) for key, value in self.event_times.items()}),
        )
        object.__setattr__(self, "notes", tuple(self.notes))

    @property
    def restriction(self) -> str:
        """R's name of the restriction: ``"DeltaSD"`` or ``"DeltaRM"``."""
        return _RESTRICTION_LABELS[self.method]

    @property
    def breakdown_m(self) -> float:
        """Smallest M (Mbar) tested whose interval contains zero; NaN if none does.

        Only as fine as ``m_values``: the true breakdown value lies between this and the
        previous value tested.
        """
        covers_zero = (self.conf_low <= 0.0) & (self.conf_high >= 0.0)
        empty = np.isnan(self.conf_low)
        order = np.argsort(self.m_values, kind="stable")
        for index in order:
            if covers_zero[index] and not empty[index]:
                return float(self.m_values[index])
        return math.nan

    # -- read-outs -----------------------------------------------------------------------

    def tidy(self) -> pd.DataFrame:
        """The original interval, then one row per M (Mbar).

        Returns
        -------
        pandas.DataFrame
            Columns ``restriction, method, m, conf_low, conf_high``; the first row is the
            conventional interval (``restriction="none"``, ``method="original"``, ``m`` NaN).
        """
        n = self.m_values.size
        return pd.DataFrame(
            {
                "restriction": pd.Series(["none", *[self.restriction] * n], dtype="string"),
                "method": pd.Series(["original", *[self.inference] * n], dtype="string"),
                "m": np.concatenate([[np.nan], self.m_values]),
                "conf_low": np.concatenate([[self.original_conf_low], self.conf_low]),
                "conf_high": np.concatenate([[self.original_conf_high], self.conf_high]),
            },
            columns=list(TIDY_COLUMNS),
        )

    def diagnostics(self) -> pd.DataFrame:
        """:attr:`details` as a table, one row per M (Mbar), column ``m`` first.

        Returns
        -------
        pandas.DataFrame
        """
        columns = {name: np.array(values) for name, values in self.details.items()}
        return pd.DataFrame({"m": np.array(self.m_values), **columns})

    def glance(self) -> pd.DataFrame:
        """One row describing the analysis.

        Returns
        -------
        pandas.DataFrame
            ``method, restriction, inference, num_pre_periods, num_post_periods, alpha,
            n_values, estimate, std_error, breakdown_m``.
        """
        frame = pd.DataFrame(
            [
                {
                    "method": self.method,
                    "restriction": self.restriction,
                    "inference": self.inference,
                    "num_pre_periods": self.num_pre_periods,
                    "num_post_periods": self.num_post_periods,
                    "alpha": self.alpha,
                    "n_values": int(self.m_values.size),
                    "estimate": self.original_estimate,
                    "std_error": self.original_std_error,
                    "breakdown_m": self.breakdown_m,
                }
            ]
        )
        for name in ("method", "restriction", "inference"):
            frame[name] = frame[name].astype("string")
        return frame

    def summary(self) -> str:
        """Plain-text summary (returned, not printed)."""
        symbol = "M" if self.method == "smoothness" else "Mbar"
        title = "HonestDiD sensitivity analysis: " + (
            "smoothness (ΔSD)" if self.method == "smoothness" else "relative magnitudes (ΔRM)"
        )
        weights = ", ".join(f"{value:g}" for value in self.l_vec)
        lines = [
            title,
            "=" * len(title),
            f"Target: θ = l'τ_post with l = ({weights})   Pre-periods: {self.num_pre_periods}   "
            f"Post-periods: {self.num_post_periods}",
            f"Confidence level: {1 - self.alpha:g}   Intervals: {self.inference}",
            f"Original: {self.original_estimate:.6g} (SE {self.original_std_error:.6g}), "
            f"[{self.original_conf_low:.6g}, {self.original_conf_high:.6g}]",
            "",
        ]
        table = pd.DataFrame(
            {symbol: self.m_values, "conf_low": self.conf_low, "conf_high": self.conf_high}
        )
        lines.append(table.to_string(index=False, float_format=lambda value: f"{value:.6g}"))
        breakdown = self.breakdown_m
        lines.append("")
        if math.isnan(breakdown):
            lines.append(f"No interval tested contains zero (largest {symbol} tested: "
                         f"{self.m_values.max():g}).")  # fmt: skip
        else:
            lines.append(
                f"Breakdown: the interval first contains zero at {symbol} = {breakdown:g}."
            )
        if self.notes:
            lines.append("")
            lines.append("Notes:")
            lines.extend(f"- {note}" for note in self.notes)
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------


def honest_did(
    betahat: ArrayLike,
    sigma: ArrayLike,
    *,
    num_pre_periods: int,
    num_post_periods: int,
    method: str = "smoothness",
    m_values: ArrayLike | None = None,
    l_vec: ArrayLike | None = None,
    alpha: float = 0.05,
    grid_points: int = 1000,
    grid_bounds: tuple[float, float] | None = None,
    hybrid: str = "LF",
    flci_quantile: str = "simulated",
    seed: int = 0,
) -> HonestDiDResult:
    """Robust confidence intervals under smoothness or relative-magnitude restrictions.

    Equivalent to R ``HonestDiD::createSensitivityResults(betahat, sigma, numPrePeriods,
    numPostPeriods, Mvec, l_vec)`` (``method="smoothness"``, FLCI) and
    ``createSensitivityResults_relativeMagnitudes(..., Mbarvec)`` (``"relative_magnitudes"``,
    method C-LF), plus ``constructOriginalCS`` for the conventional interval.

    Parameters
    ----------
    betahat : array-like
        Event-study coefficients: ``num_pre_periods`` pre-period ones (earliest first, the
        reference period omitted), then ``num_post_periods`` post-period ones.
    sigma : array-like
        Their covariance matrix (symmetric positive semi-definite).
    num_pre_periods, num_post_periods : int
        Numbers of pre- and post-period coefficients; at least 1 each.
    method : {"smoothness", "relative_magnitudes"}
        Restriction on the difference in trends.
    m_values : array-like, optional
        Restriction sizes M >= 0 (smoothness) or Mbar >= 0 (relative magnitudes). Default as
        in R: for smoothness 10 values from 0 to a one-sided 95% upper bound on the largest
        pre-period second difference (to ``sqrt(sigma[0, 0])`` with one pre-period); for
        relative magnitudes 10 values on [0, 2].
    l_vec : array-like, optional
        Weights of θ on the post-periods; default the first post-period effect.
    alpha : float, default 0.05
        1 - coverage.
    grid_points : int, default 1000
        Relative magnitudes: values of θ tested. The interval ends are grid values, so they are
        only as precise as the grid step ``(grid end - grid start) / (grid_points - 1)``.
    grid_bounds : tuple of float, optional
        Relative magnitudes: ends of the θ grid; default ``±20 sd(l'β̂_post)`` as in R. An
        interval reaching an end is cut off (see ``details["open_at_grid_end"]``).
    hybrid : {"LF", "ARP"}
        Relative magnitudes: ``"LF"`` (R's default C-LF: least-favourable first stage of size
        alpha / 10) or ``"ARP"`` (R's "Conditional").
    flci_quantile : {"simulated", "exact"}
        Smoothness: the critical value of the folded normal. ``"simulated"`` reproduces R (its
        10^6 draws after ``set.seed(seed)``); ``"exact"`` uses the exact quantile.
    seed : int, default 0
        R seed of the simulations (R's default 0).

    Returns
    -------
    HonestDiDResult

    Raises
    ------
    ParameterError
        Inconsistent dimensions, a covariance that is not symmetric positive semi-definite,
        bad restriction sizes or settings.
    """
    beta, covariance, n_pre, n_post = _check_inputs(betahat, sigma, num_pre_periods,
                                                    num_post_periods)  # fmt: skip
    method = _choice(method, "method", METHODS)
    weights = _check_l_vec(l_vec, n_post)
    alpha = _check_alpha(alpha)
    seed = _check_int(seed, "seed", minimum=0)
    post = slice(n_pre, n_pre + n_post)
    variance = float(weights @ covariance[post, post] @ weights)
    if not variance > 0.0:
        raise ParameterError("l'sigma_post l is zero: the target parameter has no sampling noise")
    estimate = float(weights @ beta[post])
    std_error = math.sqrt(variance)
    z = float(stats.norm.ppf(1.0 - alpha / 2.0))
    common: dict[str, Any] = {
        "method": method,
        "original_estimate": estimate,
        "original_std_error": std_error,
        "original_conf_low": estimate - z * std_error,
        "original_conf_high": estimate + z * std_error,
        "l_vec": weights,
        "num_pre_periods": n_pre,
        "num_post_periods": n_post,
        "alpha": alpha,
    }
    if method == "smoothness":
        quantile = _choice(flci_quantile, "flci_quantile", ("simulated", "exact"))
        values = (
            _default_m_values(beta, covariance, n_pre)
            if m_values is None
            else _check_m_values(m_values, "m_values")
        )
        intervals = optimal_flci(
            beta, covariance, num_pre=n_pre, l_vec=weights, m_values=values, alpha=alpha,
            folded_quantile=quantile, seed=seed,
        )  # fmt: skip
        details = {
            "estimate": [item.estimate for item in intervals],
            "half_length": [item.half_length for item in intervals],
            "sd": [item.sd for item in intervals],
            "max_bias": [item.max_bias for item in intervals],
        }
        return HonestDiDResult(
            **common,
            inference="FLCI",
            m_values=values,
            conf_low=[item.lower for item in intervals],
            conf_high=[item.upper for item in intervals],
            settings={"flci_quantile": quantile, "seed": seed},
            details=details,
        )

    hybrid = _choice(hybrid, "hybrid", tuple(_RM_METHOD_LABELS))
    points = _check_int(grid_points, "grid_points", minimum=2)
    values = (
        np.array(DEFAULT_MBAR_VALUES) if m_values is None else _check_m_values(m_values, "m_values")
    )
    if grid_bounds is None:
        bounds = (-20.0 * std_error, 20.0 * std_error)
    else:
        bounds = _check_bounds(grid_bounds)
    sets = relative_magnitudes_sets(
        beta, covariance, num_pre=n_pre, num_post=n_post, l_vec=weights, mbar_values=values,
        alpha=alpha, grid_points=points, grid_bounds=bounds, hybrid=hybrid, seed=seed,
    )  # fmt: skip
    step = (bounds[1] - bounds[0]) / (points - 1)
    notes = [
        f"Interval ends are values of a {points}-point grid on [{bounds[0]:.6g}, {bounds[1]:.6g}]"
        f" (step {step:.3g}): each end is within one step inside the exact one."
    ]
    for item in sets:
        if not item.accept.any():
            notes.append(
                f"Mbar = {item.mbar:g}: no value of θ on the grid is accepted (empty set); the "
                "pre-trends are incompatible with this restriction."
            )
        elif item.open_at_grid_end:
            notes.append(
                f"Mbar = {item.mbar:g}: the confidence set reaches an end of the grid, so the "
                "interval is cut off; widen grid_bounds."
            )
        if not item.convex:
            notes.append(
                f"Mbar = {item.mbar:g}: the accepted values are not contiguous; the interval "
                "reported is their hull (as R does)."
            )
    details = {
        "open_at_grid_end": [item.open_at_grid_end for item in sets],
        "convex": [item.convex for item in sets],
    }
    return HonestDiDResult(
        **common,
        inference=_RM_METHOD_LABELS[hybrid],
        m_values=values,
        conf_low=[item.lower for item in sets],
        conf_high=[item.upper for item in sets],
        settings={
            "grid_points": points,
            "grid_bounds": bounds,
            "hybrid": hybrid,
            "kappa": alpha / 10.0 if hybrid == "LF" else None,
            "seed": seed,
        },
        details=details,
        notes=tuple(notes),
    )


def honest_did_from_event_study(
    result: EventStudyResult | AggteResult,
    *,
    method: str = "smoothness",
    m_values: ArrayLike | None = None,
    l_vec: ArrayLike | None = None,
    alpha: float = 0.05,
    grid_points: int = 1000,
    grid_bounds: tuple[float, float] | None = None,
    hybrid: str = "LF",
    flci_quantile: str = "simulated",
    seed: int = 0,
) -> HonestDiDResult:
    """:func:`honest_did` on an estimated event study.

    Accepts a TWFE event study (:func:`ylt_eval.models.twfe.event_study`) or a Callaway &
    Sant'Anna dynamic aggregation (:func:`ylt_eval.models.callaway_santanna.aggte` with
    ``type="dynamic"`` on a fit with ``base_period="universal"``, as R's
    ``honest_did.AGGTEobj`` requires; its covariance is the influence-function one,
    ``IF'IF / n²``). Event time -1 must be the reference; pre-periods are the event times
    -K-1 .. -2 and post-periods 0 .. T-1, each without gaps. Pooled endpoint bins of a TWFE
    event study are not single periods and are left out (with a note).

    Parameters
    ----------
    result : EventStudyResult or AggteResult
        The event study.
    method, m_values, l_vec, alpha, grid_points, grid_bounds, hybrid, flci_quantile, seed
        As in :func:`honest_did`.

    Returns
    -------
    HonestDiDResult
        With :attr:`HonestDiDResult.event_times` set.

    Raises
    ------
    ParameterError
        Not an event study, no pre- or post-periods, gaps in event times, a reference period
        other than -1, or a varying base period.
    """
    estimates, covariance, event_times, notes = _event_study_inputs(result)
    pre = [e for e in event_times if e < -1]
    post = [e for e in event_times if e >= 0]
    if not pre:
        raise ParameterError("the event study has no pre-period coefficient (event time <= -2)")
    if not post:
        raise ParameterError("the event study has no post-period coefficient (event time >= 0)")
    if pre != list(range(min(pre), -1)):
        raise ParameterError(
            f"pre-period event times must run without gaps up to -2, got {pre}; pass betahat and "
            "sigma to honest_did() directly"
        )
    if post != list(range(0, max(post) + 1)):
        raise ParameterError(
            f"post-period event times must run without gaps from 0, got {post}; pass betahat "
            "and sigma to honest_did() directly"
        )
    order = [event_times.index(e) for e in pre + post]
    analysis = honest_did(
        estimates[order],
        covariance[np.ix_(order, order)],
        num_pre_periods=len(pre),
        num_post_periods=len(post),
        method=method, m_values=m_values, l_vec=l_vec, alpha=alpha, grid_points=grid_points,
        grid_bounds=grid_bounds, hybrid=hybrid, flci_quantile=flci_quantile, seed=seed,
    )  # fmt: skip
    return HonestDiDResult(
        method=analysis.method,
        inference=analysis.inference,
        m_values=analysis.m_values,
        conf_low=analysis.conf_low,
        conf_high=analysis.conf_high,
        original_estimate=analysis.original_estimate,
        original_std_error=analysis.original_std_error,
        original_conf_low=analysis.original_conf_low,
        original_conf_high=analysis.original_conf_high,
        l_vec=analysis.l_vec,
        num_pre_periods=analysis.num_pre_periods,
        num_post_periods=analysis.num_post_periods,
        alpha=analysis.alpha,
        settings=analysis.settings,
        details=analysis.details,
        event_times={"pre": tuple(pre), "post": tuple(post)},
        notes=(*notes, *analysis.notes),
    )


# --------------------------------------------------------------------------------------------
# Adapters
# --------------------------------------------------------------------------------------------


def _event_study_inputs(
    result: object,
) -> tuple[NDArray[np.float64], NDArray[np.float64], list[int], list[str]]:
    """Estimates, covariance and event times of the usable terms (reference excluded)."""
    notes: list[str] = []
    if isinstance(result, EventStudyResult):
        config = result.config
        if -1 not in config.ref:
            raise ParameterError(
                f"HonestDiD needs event time -1 as the reference period; this event study "
                f"omits {list(config.ref)}"
            )
        if result.vcov is None:
            raise ParameterError("the event study has no covariance matrix")
        times = np.array(result.time)
        keep = np.ones(times.size, dtype=bool)
        for bound, label in ((config.min_e, "<="), (config.max_e, ">=")):
            if bound is not None:
                binned = times == bound
                if binned.any():
                    keep &= ~binned
                    notes.append(
                        f"The pooled endpoint bin (event time {label} {bound}) is not a single "
                        "period and was left out."
                    )
        estimates = np.array(result.estimates)[keep]
        covariance = np.array(result.vcov)[np.ix_(keep, keep)]
        event_times = times[keep]
    elif isinstance(result, AggteResult):
        config = result.config
        if config.type != "dynamic":
            raise ParameterError(
                f"need a dynamic (event-study) aggregation, got type={config.type!r}"
            )
        if config.fit.base_period != "universal":
            raise ParameterError(
                "use base_period='universal' in att_gt() for HonestDiD: with a varying base "
                "period the pre-period estimates are not comparable event-study coefficients"
            )
        times = np.array(result.time)[1:]
        estimates = np.array(result.estimates)[1:]
        covariance = np.array(result.vcov)[1:, 1:]
        keep = times != -1.0
        estimates, covariance, event_times = (
            estimates[keep], covariance[np.ix_(keep, keep)], times[keep]
        )  # fmt: skip
        notes.append(
            "Covariance of the Callaway & Sant'Anna event study from the influence functions "
            "(IF'IF / n^2), as R's honest_did.AGGTEobj."
        )
        if config.cluster is not None and config.cluster != config.panel.idname:
            notes.append(
                f"The influence-function covariance ignores clustering by {config.cluster}."
            )
    else:
        raise ParameterError(
            "result must be an EventStudyResult (twfe.event_study) or a dynamic AggteResult "
            f"(callaway_santanna.aggte), got {type(result).__name__}"
        )
    if np.isnan(estimates).any() or np.isnan(covariance).any():
        raise ParameterError("the event study has missing estimates or covariances")
    if not np.allclose(event_times, np.round(event_times)):
        raise ParameterError("event times must be whole numbers")
    return estimates, covariance, [int(e) for e in np.round(event_times)], notes


# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------


def _check_int(value: object, name: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or int(value) < minimum:
        raise ParameterError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _choice(value: object, name: str, allowed: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ParameterError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def _check_alpha(alpha: object) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, Real) or not 0.0 < float(alpha) < 1.0:
        raise ParameterError(f"alpha must be strictly between 0 and 1, got {alpha!r}")
    return float(alpha)


def _as_float_array(values: object, name: str) -> NDArray[np.float64]:
    try:
        array = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be numeric") from None
    if not np.isfinite(array).all():
        raise ParameterError(f"{name} must be finite (no NaN or infinity)")
    return array


def _check_inputs(
    betahat: object, sigma: object, num_pre: object, num_post: object
) -> tuple[NDArray[np.float64], NDArray[np.float64], int, int]:
    n_pre = _check_int(num_pre, "num_pre_periods", minimum=1)
    n_post = _check_int(num_post, "num_post_periods", minimum=1)
    beta = _as_float_array(betahat, "betahat")
    if beta.ndim == 2 and 1 in beta.shape:  # a column or row vector, as R's coef() matrices
        beta = beta.reshape(-1)
    if beta.ndim != 1:
        raise ParameterError(f"betahat must be a vector, got shape {beta.shape}")
    if beta.size != n_pre + n_post:
        raise ParameterError(
            f"betahat has {beta.size} entries but num_pre_periods + num_post_periods = "
            f"{n_pre + n_post}"
        )
    covariance = _as_float_array(sigma, "sigma")
    if covariance.shape != (beta.size, beta.size):
        raise ParameterError(
            f"sigma must be {beta.size} x {beta.size} to match betahat, got shape "
            f"{covariance.shape}"
        )
    scale = float(np.max(np.abs(covariance))) if covariance.size else 0.0
    if not scale > 0.0:
        raise ParameterError("sigma is zero")
    asymmetry = float(np.max(np.abs(covariance - covariance.T)))
    if asymmetry > _SYMMETRY_TOLERANCE * scale:
        raise ParameterError(f"sigma is not symmetric (largest asymmetry {asymmetry:.3g})")
    covariance = (covariance + covariance.T) / 2.0
    smallest = float(np.linalg.eigvalsh(covariance)[0])
    if smallest < -_PSD_TOLERANCE * scale:
        raise ParameterError(
            f"sigma is not positive semi-definite (smallest eigenvalue {smallest:.3g})"
        )
    return beta, covariance, n_pre, n_post


def _check_l_vec(l_vec: object, n_post: int) -> NDArray[np.float64]:
    if l_vec is None:
        weights = np.zeros(n_post)
        weights[0] = 1.0
        return weights
    weights = _as_float_array(l_vec, "l_vec").reshape(-1)
    if weights.size != n_post:
        raise ParameterError(
            f"l_vec must have num_post_periods = {n_post} entries, got {weights.size}"
        )
    if not np.any(weights != 0.0):
        raise ParameterError("l_vec must not be all zeros")
    return weights


def _check_m_values(values: object, name: str) -> NDArray[np.float64]:
    array = _as_float_array(values, name).reshape(-1)
    if array.size == 0:
        raise ParameterError(f"{name} must not be empty")
    if (array < 0.0).any():
        raise ParameterError(f"{name} must be >= 0")
    return array


def _check_bounds(bounds: object) -> tuple[float, float]:
    array = _as_float_array(bounds, "grid_bounds").reshape(-1)
    if array.size != 2 or not array[0] < array[1]:
        raise ParameterError(f"grid_bounds must be (lower, upper) with lower < upper, got {bounds}")
    return float(array[0]), float(array[1])


def _default_m_values(
    beta: NDArray[np.float64], covariance: NDArray[np.float64], n_pre: int
) -> NDArray[np.float64]:
    """R's default Mvec: 10 values from 0 to ``DeltaSD_upperBound_Mpre`` (alpha fixed at 0.05)."""
    if n_pre == 1:
        upper = math.sqrt(covariance[0, 0])
    else:
        # Second differences of the pre-period coefficients, with delta_0 = 0 appended.
        second = np.zeros((n_pre - 1, n_pre + 1))
        for row in range(n_pre - 1):
            second[row, row : row + 3] = (1.0, -2.0, 1.0)
        second = np.delete(second, n_pre, axis=1)
        moments = np.vstack([second, -second])
        differences = moments @ beta[:n_pre]
        se = np.sqrt(np.diag(moments @ covariance[:n_pre, :n_pre] @ moments.T))
        upper = float(np.max(differences + stats.norm.ppf(0.95) * se))
    return np.linspace(0.0, max(upper, 0.0), 10)
