"""Callaway & Sant'Anna (2021) staggered difference-in-differences, matching R ``did`` 2.5.1.

:func:`att_gt` estimates every group-time average treatment effect ATT(g,t) on a panel
(``panel = TRUE``, balanced as R does); :func:`aggte` aggregates them into an overall effect,
an event study, group effects or calendar-time effects. Argument names are R's. Numbers come
from the private modules ``_cs_attgt`` (2×2 estimators and influence functions),
``_cs_aggregate`` (aggregations) and ``_bootstrap`` (multiplier bootstrap); this module
validates inputs, applies R ``did``'s sample rules and wraps the results.

Differences from R, all deliberate:

- warnings go through :mod:`warnings` (category :class:`CallawaySantAnnaWarning`) and are
  also kept in ``result.notes``; nothing is printed;
- ``cband=True`` without ``bstrap=True`` in :func:`att_gt`, and clustering without the
  bootstrap, raise :class:`~ylt_eval.errors.ParameterError` (R silently ignores the band or the
  clustering);
- bootstrap draws come from :func:`numpy.random.default_rng` (``seed``), so bootstrap numbers are
  reproducible here but cannot equal R's; one set of multipliers serves all columns of a call;
- event-time windows (``max_e``) are in the units of the time variable for every aggregation
  (R mixes in period ranks for ``"simple"`` and ``"group"``, the same for yearly data).

References
----------
Callaway, B. and Sant'Anna, P. H. C. (2021), "Difference-in-Differences with multiple time
periods", Journal of Econometrics 225(2), 200-230.
Sant'Anna, P. H. C. and Zhao, J. (2020), "Doubly robust difference-in-differences
estimators", Journal of Econometrics 219(1), 101-122.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from ylt_eval.errors import DataValidationError, EstimationError, ParameterError
from ylt_eval.models._bootstrap import DEGENERATE_SE, multiplier_bootstrap
from ylt_eval.models._cs_aggregate import AGGREGATION_TYPES, aggregate_effects
from ylt_eval.models._cs_attgt import (
    PanelArrays,
    estimate_group_time_effects,
    reciprocal_condition,
)
from ylt_eval.models._prepare import (
    PreparedPanel,
    parse_xformla,
    prepare_panel,
    provenance,
    sample_info,
)
from ylt_eval.models.results import (
    EstimationResult,
    EstimatorConfig,
    Inference,
    PanelSpec,
)

__all__ = [
    "AggteConfig",
    "AggteResult",
    "AttGtConfig",
    "AttGtResult",
    "CallawaySantAnnaWarning",
    "aggte",
    "att_gt",
]

CONTROL_GROUPS = ("nevertreated", "notyettreated")
EST_METHODS = ("dr", "reg", "ipw")
BASE_PERIODS = ("varying", "universal")

_METHOD_NAMES = {
    "dr": "doubly robust (DRDID::drdid_panel)",
    "reg": "outcome regression (DRDID::reg_did_panel)",
    "ipw": "normalised inverse probability weighting (DRDID::std_ipw_did_panel)",
}
_CONTROL_NAMES = {"nevertreated": "never treated", "notyettreated": "not yet treated"}


class CallawaySantAnnaWarning(UserWarning):
    """Sample adjustments and inference caveats of the Callaway & Sant'Anna estimator."""


# --------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AttGtConfig(EstimatorConfig):
    """Settings of an :func:`att_gt` fit (R ``did`` names).

    Attributes
    ----------
    control_group : str
        ``"nevertreated"`` or ``"notyettreated"``.
    est_method : str
        ``"dr"``, ``"reg"`` or ``"ipw"``.
    base_period : str
        ``"varying"`` or ``"universal"``.
    anticipation : int
        Periods before treatment in which units may already react.
    alp : float
        Significance level.
    bstrap : bool
        Multiplier-bootstrap standard errors instead of analytic ones.
    biters : int
        Bootstrap draws.
    cband : bool
        Simultaneous (uniform) confidence band instead of pointwise intervals.
    seed : int or None
        Seed of the bootstrap random generator.
    """

    control_group: str
    est_method: str
    base_period: str
    anticipation: int
    alp: float
    bstrap: bool
    biters: int
    cband: bool
    seed: int | None


@dataclass(frozen=True, kw_only=True)
class AggteConfig(EstimatorConfig):
    """Settings of an :func:`aggte` aggregation.

    Attributes
    ----------
    type : str
        ``"simple"``, ``"dynamic"``, ``"group"`` or ``"calendar"``.
    min_e, max_e : float
        Event-time window.
    balance_e : float or None
        Balancing horizon of the event study.
    na_rm : bool
        Whether ATT(g,t) that could not be estimated were dropped.
    alp, bstrap, biters, cband, seed
        Inference settings actually used (inherited from the fit unless overridden).
    fit : AttGtConfig
        Settings of the underlying :func:`att_gt` fit.
    """

    type: str
    min_e: float
    max_e: float
    balance_e: float | None
    na_rm: bool
    alp: float
    bstrap: bool
    biters: int
    cband: bool
    seed: int | None
    fit: AttGtConfig


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


def _read_only(values: Any, dtype: Any = np.float64) -> np.ndarray:
    array = np.array(values, dtype=dtype, copy=True)
    array.setflags(write=False)
    return array


def _banded_tidy(
    result: EstimationResult, conf_level: float | None, alp: float, critical: np.ndarray
) -> pd.DataFrame:
    """``tidy()`` whose intervals use a per-row critical value at the fit's level ``1 - alp``."""
    level = 1.0 - alp if conf_level is None else conf_level
    table = EstimationResult.tidy(result, level)
    pointwise = stats.norm.ppf(1.0 - alp / 2.0)
    if math.isclose(level, 1.0 - alp):
        table["conf_low"] = result.estimates - critical * result.std_errors
        table["conf_high"] = result.estimates + critical * result.std_errors
    elif not np.allclose(critical, pointwise):
        raise ParameterError(
            f"the simultaneous band was computed at level {1.0 - alp:g}; call tidy() without "
            f"conf_level, or refit with alp={1.0 - level:g} to get a band at level {level:g}"
        )
    return table


@dataclass(frozen=True, kw_only=True, eq=False)
class AttGtResult(EstimationResult):
    """Group-time average treatment effects ATT(g,t) (R ``did::att_gt``).

    Terms are ``"ATT(g,t)"`` with the numbers filled in, e.g. ``"ATT(2004,2006)"``, ordered by
    group then time; :attr:`group` and :attr:`time` hold g and t. :attr:`vcov` is the analytic
    (influence-function) covariance; :attr:`std_errors` are bootstrap ones when
    ``config.bstrap``. Pre-treatment cells are placebo estimates.

    Attributes
    ----------
    config : AttGtConfig
        Settings used.
    influence : numpy.ndarray
        ``n_units × K`` influence functions, units in the order of :attr:`unit_labels`.
    unit_labels : numpy.ndarray
        Unit ids of the estimation sample, sorted.
    unit_cohort : numpy.ndarray
        Group (first treated period, 0 for never treated) of each unit.
    cluster_codes : numpy.ndarray or None
        Cluster of each unit when clustered.
    critical_value : float
        Multiplier of the standard errors in the intervals (sup-t value when ``cband``).
    wald_statistic, wald_pvalue : float
        Pre-test of parallel trends: chi-square Wald test that all pre-treatment ATT(g,t) are
        zero, with the analytic covariance (R ``W`` and ``Wpval``, which R rounds to 5
        decimals; unrounded here). NaN when it cannot be computed.
    wald_df : int
        Number of restrictions of the pre-test.
    n_units_dropped_unbalanced : int
        Units dropped because they were not observed in every period (R balances the panel).
    n_units_dropped_first_period : int
        Units dropped because they were treated in the first period.
    """

    ESTIMATOR: ClassVar[str] = "callaway_santanna_att_gt"
    TITLE: ClassVar[str] = "Callaway & Sant'Anna (2021) group-time average treatment effects"

    config: AttGtConfig
    influence: NDArray[np.float64]
    unit_labels: NDArray[np.object_]
    unit_cohort: NDArray[np.float64]
    cluster_codes: NDArray[np.intp] | None = None
    critical_value: float
    wald_statistic: float = math.nan
    wald_pvalue: float = math.nan
    wald_df: int = 0
    n_units_dropped_unbalanced: int = 0
    n_units_dropped_first_period: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "influence", _read_only(self.influence))
        object.__setattr__(self, "unit_labels", _read_only(self.unit_labels, object))
        object.__setattr__(self, "unit_cohort", _read_only(self.unit_cohort))
        if self.cluster_codes is not None:
            object.__setattr__(self, "cluster_codes", _read_only(self.cluster_codes, np.intp))

    @property
    def att(self) -> NDArray[np.float64]:
        """The ATT(g,t) estimates (same as :attr:`estimates`)."""
        return self.estimates

    @property
    def n_units(self) -> int:
        """Number of units in the estimation sample."""
        return int(self.unit_cohort.size)

    def tidy(self, conf_level: float | None = None) -> pd.DataFrame:
        """One row per ATT(g,t): ``term, group, time, estimate, std_error, conf_low,
        conf_high, p_value``.

        Parameters
        ----------
        conf_level : float, optional
            Coverage; defaults to ``1 - config.alp``. With ``cband`` the simultaneous band
            exists only at that level.

        Returns
        -------
        pandas.DataFrame
            Intervals are ``estimate ± critical_value × std_error``; p-values are pointwise,
            two-sided, standard normal.
        """
        critical = np.full(len(self.terms), self.critical_value)
        return _banded_tidy(self, conf_level, self.config.alp, critical)

    def summary(self, conf_level: float | None = None) -> str:
        """Plain-text summary (returned, not printed).

        Parameters
        ----------
        conf_level : float, optional
            Coverage; defaults to ``1 - config.alp``.
        """
        return super().summary(1.0 - self.config.alp if conf_level is None else conf_level)

    def _summary_header_lines(self) -> list[str]:
        config = self.config
        band = "simultaneous (sup-t)" if config.cband else "pointwise"
        lines = [
            f"Estimation method: {_METHOD_NAMES[config.est_method]}",
            f"Comparison group: {_CONTROL_NAMES[config.control_group]}   "
            f"Base period: {config.base_period}   Anticipation periods: {config.anticipation}",
            f"Intervals: {band}, level {1 - config.alp:g}, critical value "
            f"{self.critical_value:.4f}",
        ]
        if math.isnan(self.wald_pvalue):
            lines.append("Pre-test of parallel trends: not available")
        else:
            lines.append(
                f"Pre-test of parallel trends (Wald chi2({self.wald_df}) = "
                f"{self.wald_statistic:.4f}): p-value {self.wald_pvalue:.5f}"
            )
        return lines

    def glance(self) -> pd.DataFrame:
        """One row describing the fit (the common columns plus the ``did`` settings).

        Returns
        -------
        pandas.DataFrame
            Common columns of :meth:`EstimationResult.glance`, the pre-test, critical value,
            dropped-unit counts, then ``control_group, est_method, base_period``.
        """
        frame = super().glance()
        for name in ("control_group", "est_method", "base_period"):
            frame[name] = pd.Series([getattr(self.config, name)], dtype="string")
        return frame


@dataclass(frozen=True, kw_only=True, eq=False)
class AggteResult(EstimationResult):
    """Aggregated treatment effects (R ``did::aggte``).

    The first term, ``"ATT"``, is the overall summary; the others are the disaggregated
    estimates: ``"ATT(e=...)"`` by event time (``time`` holds e), ``"ATT(g=...)"`` by group
    (``group`` holds g) or ``"ATT(t=...)"`` by calendar time (``time`` holds t). The overall
    interval is always pointwise; the others use :attr:`critical_value` (a sup-t value with
    ``cband``).

    Attributes
    ----------
    config : AggteConfig
        Settings used.
    influence : numpy.ndarray
        ``n_units × n_terms`` influence functions (overall first).
    critical_value : float
        Multiplier of the standard errors of the disaggregated estimates.
    """

    ESTIMATOR: ClassVar[str] = "callaway_santanna_aggte"
    TITLE: ClassVar[str] = "Callaway & Sant'Anna (2021) aggregated treatment effects"

    config: AggteConfig
    influence: NDArray[np.float64]
    critical_value: float

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "influence", _read_only(self.influence))

    @property
    def type(self) -> str:
        """The aggregation: ``"simple"``, ``"dynamic"``, ``"group"`` or ``"calendar"``."""
        return self.config.type

    @property
    def overall_att(self) -> float:
        """The overall aggregated effect."""
        return float(self.estimates[0])

    @property
    def overall_se(self) -> float:
        """Standard error of :attr:`overall_att`."""
        return float(self.std_errors[0])

    @property
    def egt(self) -> NDArray[np.float64]:
        """Event times, groups or calendar times of the disaggregated estimates."""
        labels = self.group if self.config.type == "group" else self.time
        return labels[1:]

    @property
    def att_egt(self) -> NDArray[np.float64]:
        """Disaggregated estimates, aligned with :attr:`egt`."""
        return self.estimates[1:]

    @property
    def se_egt(self) -> NDArray[np.float64]:
        """Standard errors of :attr:`att_egt`."""
        return self.std_errors[1:]

    def tidy(self, conf_level: float | None = None) -> pd.DataFrame:
        """Overall row first, then one row per event time, group or calendar time.

        Parameters
        ----------
        conf_level : float, optional
            Coverage; defaults to ``1 - config.alp``.

        Returns
        -------
        pandas.DataFrame
            Columns ``term, group, time, estimate, std_error, conf_low, conf_high, p_value``.
        """
        alp = self.config.alp
        critical = np.full(len(self.terms), self.critical_value)
        critical[0] = stats.norm.ppf(1.0 - alp / 2.0)
        return _banded_tidy(self, conf_level, alp, critical)

    def summary(self, conf_level: float | None = None) -> str:
        """Plain-text summary (returned, not printed).

        Parameters
        ----------
        conf_level : float, optional
            Coverage; defaults to ``1 - config.alp``.
        """
        return super().summary(1.0 - self.config.alp if conf_level is None else conf_level)

    def _summary_header_lines(self) -> list[str]:
        config = self.config
        fit = config.fit
        band = "simultaneous (sup-t)" if config.cband else "pointwise"
        lines = [
            f"Aggregation: {config.type}   Estimation method: {_METHOD_NAMES[fit.est_method]}",
            f"Comparison group: {_CONTROL_NAMES[fit.control_group]}   "
            f"Base period: {fit.base_period}   Anticipation periods: {fit.anticipation}",
        ]
        if config.type != "simple":
            lines.append(
                f"Intervals of the disaggregated effects: {band}, level {1 - config.alp:g}, "
                f"critical value {self.critical_value:.4f}"
            )
        return lines

    def glance(self) -> pd.DataFrame:
        """One row: the common columns plus ``type, overall_att, overall_se``.

        Returns
        -------
        pandas.DataFrame
        """
        frame = super().glance()
        frame["type"] = pd.Series([self.config.type], dtype="string")
        frame["overall_att"] = self.overall_att
        frame["overall_se"] = self.overall_se
        return frame


# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------


def _choice(value: object, name: str, allowed: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        options = ", ".join(repr(option) for option in allowed)
        raise ParameterError(f"{name} must be one of {options}, got {value!r}")
    return value


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise ParameterError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _significance(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise ParameterError(f"alp must be a number strictly between 0 and 1, got {value!r}")
    return float(value)


def _draws(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 2:
        raise ParameterError(f"biters must be an integer of at least 2, got {value!r}")
    return int(value)


def _seed(value: object) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | np.integer)):
        raise ParameterError(f"seed must be None or an integer, got {value!r}")
    return None if value is None else int(value)


def _anticipation(value: object) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | np.integer)
        or value < 0
        or value != int(value)
    ):
        raise ParameterError(f"anticipation must be a non-negative whole number, got {value!r}")
    return int(value)


def _cluster_column(clustervars: object, idname: str) -> str | None:
    """R keeps at most one clustering variable besides the unit id (always clustered on)."""
    if clustervars is None:
        return None
    names = [clustervars] if isinstance(clustervars, str) else list(clustervars)
    if not all(isinstance(name, str) for name in names):
        raise ParameterError(f"clustervars must be column names, got {clustervars!r}")
    others = [name for name in dict.fromkeys(names) if name != idname]
    if len(others) > 1:
        raise ParameterError(
            f"clustervars may name at most one column besides {idname!r} (units are always "
            f"clustered on), got {names}"
        )
    return others[0] if others else None


def _with_numeric_cohort(data: object, gname: str) -> object:
    """Let cohorts stored as text ("2004", "0") through: a converted copy, never in place."""
    if not isinstance(data, pd.DataFrame) or gname not in data.columns:
        return data
    column = data[gname]
    if pd.api.types.is_numeric_dtype(column.dtype):
        return data
    converted = pd.to_numeric(column, errors="coerce")
    if (converted.isna() & column.notna() & (column.astype(str).str.strip() != "")).any():
        return data  # leave the refusal, with its message, to the shared validation
    return data.assign(**{gname: converted.astype(np.float64)})


# --------------------------------------------------------------------------------------------
# R did's sample rules
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _DidSample:
    panel: PreparedPanel
    arrays: PanelArrays
    groups: np.ndarray
    cluster_codes: np.ndarray | None
    n_dropped_unbalanced: int
    n_dropped_first_period: int
    notes: tuple[str, ...]


def _restrict(panel: PreparedPanel, keep: np.ndarray) -> PreparedPanel:
    """Keep some rows of a prepared panel, renumbering units, periods and clusters."""
    unit_values, unit = np.unique(panel.unit[keep], return_inverse=True)
    _, period = np.unique(panel.time[keep], return_inverse=True)
    cluster = None
    if panel.cluster is not None:
        _, cluster = np.unique(panel.cluster[keep], return_inverse=True)
    return replace(
        panel,
        y=panel.y[keep],
        covariates=panel.covariates[keep],
        unit=unit.astype(np.intp),
        period=period.astype(np.intp),
        time=panel.time[keep],
        cohort=panel.cohort[keep],
        cluster=None if cluster is None else cluster.astype(np.intp),
        unit_labels=panel.unit_labels[unit_values],
        n_dropped=panel.n_dropped + int((~keep).sum()),
    )


def _did_sample(
    panel: PreparedPanel, spec: PanelSpec, control_group: str, anticipation: int
) -> _DidSample:
    """Apply ``did::pre_process_did`` (panel, balanced) to a validated panel."""
    notes: list[str] = []
    if panel.n_dropped:
        notes.append(
            f"Dropped {panel.n_dropped} rows with a missing outcome, covariate or cluster value."
        )
    periods = np.unique(panel.time)
    # cohorts after the last period are never treated within the sample
    panel = replace(panel, cohort=np.where(panel.cohort > periods[-1], 0.0, panel.cohort))
    cohorts = np.unique(panel.cohort)
    if not (cohorts == 0).any():
        if control_group == "nevertreated":
            raise EstimationError(
                f"there are no never-treated units ({spec.gname} = 0 or NaN) to compare with; "
                "use control_group='notyettreated' to compare with units treated later"
            )
        last_cohort = cohorts.max()
        panel = _restrict(panel, panel.time < last_cohort - anticipation)
        if panel.n_obs == 0:
            raise EstimationError("no periods before the last cohort is treated")
        notes.append(
            f"No never-treated units: periods from {last_cohort - anticipation:g} on were dropped "
            f"and cohort {last_cohort:g} serves only as a comparison group."
        )
        periods = np.unique(panel.time)
        cohorts = np.unique(panel.cohort)
        cohorts = cohorts[cohorts < cohorts.max()]

    groups = cohorts[(cohorts > 0) & (cohorts > periods[0] + anticipation)]
    treated_first = (panel.cohort > 0) & (panel.cohort <= periods[0])
    n_first = int(np.unique(panel.unit[treated_first]).size)
    if n_first:
        notes.append(f"Dropped {n_first} units that were already treated in the first period.")
        panel = _restrict(panel, (panel.cohort == 0) | np.isin(panel.cohort, groups))
        periods = np.unique(panel.time)
        cohorts = np.unique(panel.cohort)
        groups = cohorts[(cohorts > 0) & (cohorts > periods[0] + anticipation)]

    rows_per_unit = np.bincount(panel.unit)
    complete_units = rows_per_unit == periods.size
    n_unbalanced = int((~complete_units).sum())
    if n_unbalanced:
        notes.append(
            f"Dropped {n_unbalanced} units not observed in all {periods.size} periods while "
            "converting to a balanced panel (R did, allow_unbalanced_panel = FALSE)."
        )
        panel = _restrict(panel, complete_units[panel.unit])
        if panel.n_obs == 0:
            raise EstimationError(
                "no unit is observed in every period, so no balanced panel remains; "
                "check the unit id and period columns"
            )
        periods = np.unique(panel.time)
        # a cohort can lose all its units here; R would then fail on an empty group
        groups = groups[np.isin(groups, panel.cohort)]
    if groups.size == 0:
        raise EstimationError(
            f"no treated cohort can be estimated: {spec.gname} must give the first treated "
            f"period (0 or NaN if never treated), later than the first period {periods[0]:g}"
            + (f" plus anticipation {anticipation}" if anticipation else "")
        )

    n_units = panel.n_units
    n_periods = periods.size
    unit_cohort = panel.cohort.reshape(n_units, n_periods)[:, 0]
    sizes = pd.Series(unit_cohort).value_counts().sort_index()
    small = sizes[sizes < len(spec.covariates) + 5]
    if len(small):
        if control_group == "nevertreated" and 0 in small.index:
            raise EstimationError(
                f"only {int(small[0])} never-treated units: too few to compare with; "
                "try control_group='notyettreated'"
            )
        listed = ", ".join(f"{g:g} ({n})" for g, n in small.items())
        notes.append(f"Some groups are small (units in brackets): {listed}.")

    cluster_codes = None
    if panel.cluster is not None:
        by_unit = panel.cluster.reshape(n_units, n_periods)
        if (by_unit != by_unit[:, :1]).any():
            raise DataValidationError(
                "the clustering variable changes over time within a unit; R did (and this "
                "implementation) only cluster on time-invariant variables"
            )
        _, cluster_codes = np.unique(by_unit[:, 0], return_inverse=True)

    k = panel.covariates.shape[1]
    covariates = np.concatenate(
        [np.ones((n_units, n_periods, 1)), panel.covariates.reshape(n_units, n_periods, k)],
        axis=2,
    )
    arrays = PanelArrays(
        periods=periods.astype(float),
        cohort=unit_cohort,
        outcome=panel.y.reshape(n_units, n_periods),
        covariates=covariates,
    )
    return _DidSample(
        panel=panel,
        arrays=arrays,
        groups=groups.astype(float),
        cluster_codes=cluster_codes,
        n_dropped_unbalanced=n_unbalanced,
        n_dropped_first_period=n_first,
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------------------------
# Inference helpers
# --------------------------------------------------------------------------------------------


def _analytic_se(influence: np.ndarray) -> np.ndarray:
    """``sqrt(mean(ψ²) / n)`` per column; NaN where (numerically) zero, as R."""
    n = influence.shape[0]
    se = np.sqrt(np.sum(influence**2, axis=0)) / n
    se[se <= DEGENERATE_SE] = np.nan
    return se


def _wald_pretest(
    groups: np.ndarray, times: np.ndarray, att: np.ndarray, influence: np.ndarray, se: np.ndarray
) -> tuple[float, float, int, str | None]:
    """Chi-square test that every pre-treatment ATT(g,t) is zero (R ``W``, ``Wpval``)."""
    pre = np.flatnonzero((groups > times) & ~np.isnan(se))
    if pre.size == 0:
        return math.nan, math.nan, 0, None
    n = influence.shape[0]
    pre_v = influence[:, pre].T @ influence[:, pre] / n
    if np.isnan(pre_v).any():
        return math.nan, math.nan, 0, "Pre-test not computed: missing pre-treatment estimates."
    if reciprocal_condition(pre_v) <= np.finfo(float).eps:
        return math.nan, math.nan, 0, "Pre-test not computed: singular covariance matrix."
    statistic = float(n * att[pre] @ np.linalg.solve(pre_v, att[pre]))
    return statistic, float(stats.chi2.sf(statistic, pre.size)), int(pre.size), None


def _checked_band(critical: float, alp: float, notes: list[str]) -> tuple[float, bool]:
    """R's sanity checks of a bootstrap critical value; falls back to pointwise intervals."""
    pointwise = float(stats.norm.ppf(1.0 - alp / 2.0))
    if not np.isfinite(critical):
        notes.append("Simultaneous critical value unavailable; pointwise intervals reported.")
        return pointwise, False
    if critical < pointwise:
        notes.append(
            "Simultaneous critical value below the pointwise one; pointwise intervals reported."
        )
        return pointwise, False
    if critical >= 7:
        notes.append(
            f"Simultaneous critical value {critical:.2f} is large enough to be unreliable "
            "(few units per group or little variation in outcomes)."
        )
    return critical, True


def _emit(notes: Sequence[str]) -> None:
    for note in notes:
        warnings.warn(note, CallawaySantAnnaWarning, stacklevel=3)


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


def att_gt(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    *,
    xformla: str | None = None,
    control_group: str = "nevertreated",
    est_method: str = "dr",
    base_period: str = "varying",
    anticipation: int = 0,
    alp: float = 0.05,
    bstrap: bool = False,
    biters: int = 1000,
    cband: bool = False,
    seed: int | None = None,
    clustervars: str | Sequence[str] | None = None,
) -> AttGtResult:
    """Group-time average treatment effects of Callaway & Sant'Anna (2021), as R ``did::att_gt``.

    Panel data (R ``panel = TRUE``, ``allow_unbalanced_panel = FALSE``): units not observed in
    every period are dropped with a warning, as are units treated in the first period.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel, one row per unit and period. Not modified; row order does not matter.
    yname, tname, idname, gname : str
        Outcome, period, unit id and group columns. ``gname`` is the first period in which the
        unit is treated, 0 or NaN if never treated (cohorts after the last period count as
        never treated). Ids may be strings or integers; cohorts written as text are converted.
    xformla : str, optional
        Covariates as a one-sided formula of numeric columns, e.g. ``"~ x1 + x2"``. As in R
        (panel data), each ATT(g,t) conditions on their values in the earlier of its two
        periods (the base period, for post-treatment cells).
    control_group : {"nevertreated", "notyettreated"}
        Comparison units: never treated, or also those not yet treated (with anticipation).
    est_method : {"dr", "reg", "ipw"}
        Doubly robust (``DRDID::drdid_panel``), outcome regression or normalised inverse
        probability weighting. Identical without covariates.
    base_period : {"varying", "universal"}
        Pre-treatment cells compare consecutive periods (``"varying"``) or every period with
        g - anticipation - 1 (``"universal"``, that cell being 0).
    anticipation : int
        Periods before treatment in which units may already react.
    alp : float
        Significance level of the intervals.
    bstrap : bool
        Multiplier-bootstrap (Rademacher) standard errors instead of analytic ones.
    biters : int
        Bootstrap draws.
    cband : bool
        Simultaneous confidence band over all ATT(g,t) (needs ``bstrap=True``).
    seed : int, optional
        Seed of the bootstrap random numbers, for reproducible results.
    clustervars : str or sequence of str, optional
        A time-invariant column to cluster the bootstrap on (besides ``idname``).

    Returns
    -------
    AttGtResult
        Estimates, standard errors, influence functions and the pre-test of parallel trends.

    Raises
    ------
    ParameterError
        Unknown option values or column names, malformed ``xformla``.
    DataValidationError
        Data that break the shared panel rules (see :mod:`ylt_eval.models._prepare`).
    EstimationError
        Nothing can be estimated: no never-treated units with
        ``control_group="nevertreated"``, no valid cohort, no balanced panel left.
    """
    control_group = _choice(control_group, "control_group", CONTROL_GROUPS)
    est_method = _choice(est_method, "est_method", EST_METHODS)
    base_period = _choice(base_period, "base_period", BASE_PERIODS)
    anticipation = _anticipation(anticipation)
    alp = _significance(alp)
    bstrap = _flag(bstrap, "bstrap")
    biters = _draws(biters)
    cband = _flag(cband, "cband")
    seed = _seed(seed)
    if cband and not bstrap:
        raise ParameterError("cband=True needs bstrap=True: the band comes from the bootstrap")
    cluster = _cluster_column(clustervars, idname)
    if cluster is not None and not bstrap:
        raise ParameterError(
            f"clustering on {cluster!r} needs bstrap=True (R did clusters only the bootstrap)"
        )
    covariates = parse_xformla(xformla)
    spec = PanelSpec(
        yname=yname, tname=tname, idname=idname, gname=gname, covariates=covariates,
        xformla=xformla,
    )  # fmt: skip
    prepared = prepare_panel(_with_numeric_cohort(data, gname), spec, cluster=cluster)
    sample = _did_sample(prepared, spec, control_group, anticipation)
    notes = list(sample.notes)
    if sample.arrays.periods.size == 2:
        cband = False  # with two periods the band equals the pointwise interval

    effects = estimate_group_time_effects(
        sample.arrays,
        sample.groups,
        control_group=control_group,
        est_method=est_method,
        base_period=base_period,
        anticipation=anticipation,
    )
    notes.extend(effects.notes)
    influence = effects.influence
    n = influence.shape[0]
    se = _analytic_se(influence)
    statistic, pvalue, df, wald_note = _wald_pretest(
        effects.groups, effects.times, effects.att, influence, se
    )
    if wald_note:
        notes.append(wald_note)

    critical = float(stats.norm.ppf(1.0 - alp / 2.0))
    if bstrap:
        boot = multiplier_bootstrap(
            influence,
            biters=biters,
            alp=alp,
            rng=np.random.default_rng(seed),
            cluster_codes=sample.cluster_codes,
        )
        estimable = ~np.isnan(se)
        se[estimable] = boot.std_error[estimable]
        se[se <= DEGENERATE_SE] = np.nan
        if cband:
            critical, cband = _checked_band(boot.critical_value, alp, notes)

    config = AttGtConfig(
        panel=spec,
        vcov="multiplier_bootstrap" if bstrap else "influence_function",
        cluster=cluster,
        control_group=control_group,
        est_method=est_method,
        base_period=base_period,
        anticipation=anticipation,
        alp=alp,
        bstrap=bstrap,
        biters=biters,
        cband=cband,
        seed=seed,
    )
    _emit(notes)
    return AttGtResult(
        config=config,
        terms=tuple(
            f"ATT({g:g},{t:g})" for g, t in zip(effects.groups, effects.times, strict=True)
        ),
        estimates=effects.att,
        vcov=influence.T @ influence / n**2,
        std_errors=se,
        group=effects.groups,
        time=effects.times,
        inference=_inference(config, sample.cluster_codes),
        sample=sample_info(sample.panel),
        provenance=provenance(sample.panel),
        fit_statistics={
            "wald_statistic": statistic,
            "wald_df": df,
            "wald_pvalue": pvalue,
            "critical_value": critical,
            "n_units_dropped_unbalanced": sample.n_dropped_unbalanced,
            "n_units_dropped_first_period": sample.n_dropped_first_period,
        },
        notes=tuple(notes),
        influence=influence,
        unit_labels=sample.panel.unit_labels,
        unit_cohort=sample.arrays.cohort,
        cluster_codes=sample.cluster_codes,
        critical_value=critical,
        wald_statistic=statistic,
        wald_pvalue=pvalue,
        wald_df=df,
        n_units_dropped_unbalanced=sample.n_dropped_unbalanced,
        n_units_dropped_first_period=sample.n_dropped_first_period,
    )


def _inference(config: AttGtConfig | AggteConfig, cluster_codes: np.ndarray | None) -> Inference:
    n_clusters = None if cluster_codes is None else int(cluster_codes.max()) + 1
    return Inference(vcov_type=config.vcov, cluster=config.cluster, n_clusters=n_clusters)


_LABELS = {"dynamic": "e", "group": "g", "calendar": "t"}


def aggte(
    result: AttGtResult,
    type: str = "group",  # R did's argument name
    *,
    min_e: float = -np.inf,
    max_e: float = np.inf,
    balance_e: float | None = None,
    na_rm: bool = False,
    bstrap: bool | None = None,
    biters: int | None = None,
    cband: bool | None = None,
    alp: float | None = None,
    seed: int | None = None,
) -> AggteResult:
    """Aggregate ATT(g,t) into summary effects, as R ``did::aggte``.

    Parameters
    ----------
    result : AttGtResult
        Output of :func:`att_gt`.
    type : {"group", "simple", "dynamic", "calendar"}
        ``"simple"``: post-treatment ATT(g,t) weighted by group size; ``"dynamic"``: event
        study by time since treatment e (overall = mean over e >= 0); ``"group"``: by cohort
        (overall weighted by group size; R's default); ``"calendar"``: by period (overall =
        mean over periods).
    min_e, max_e : float
        Event-time window of ``"dynamic"``; ``max_e`` also limits the post-treatment cells of
        ``"simple"`` and ``"group"``.
    balance_e : float, optional
        ``"dynamic"``: use only groups observed at least ``balance_e`` periods after treatment.
    na_rm : bool
        Drop ATT(g,t) that could not be estimated instead of raising an error.
    bstrap, biters, cband, alp, seed : optional
        Inference settings; None inherits the fit's. ``cband=True`` with ``bstrap=False``
        bootstraps only the critical value (standard errors stay analytic), as R does.

    Returns
    -------
    AggteResult
        Overall and disaggregated estimates with standard errors.

    Raises
    ------
    ParameterError
        Unknown ``type`` or invalid settings.
    EstimationError
        Some ATT(g,t) are missing and ``na_rm`` is False.
    """
    if not isinstance(result, AttGtResult):
        raise ParameterError(f"result must be the output of att_gt(), got {_type_name(result)}")
    kind = _choice(type, "type", AGGREGATION_TYPES)
    fit = result.config
    bstrap = fit.bstrap if bstrap is None else _flag(bstrap, "bstrap")
    biters = fit.biters if biters is None else _draws(biters)
    cband = fit.cband if cband is None else _flag(cband, "cband")
    alp = fit.alp if alp is None else _significance(alp)
    seed = fit.seed if seed is None else _seed(seed)
    na_rm = _flag(na_rm, "na_rm")
    for name, value in (("min_e", min_e), ("max_e", max_e)):
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            raise ParameterError(f"{name} must be a number, got {value!r}")
    if balance_e is not None and (
        isinstance(balance_e, bool) or not isinstance(balance_e, int | float | np.number)
    ):
        raise ParameterError(f"balance_e must be None or a number, got {balance_e!r}")
    if fit.cluster is not None and not bstrap:
        raise ParameterError(
            f"the fit is clustered on {fit.cluster!r}; clustered standard errors need bstrap=True"
        )
    att = np.array(result.estimates)
    if not na_rm and np.isnan(att).any():
        missing = ", ".join(np.array(result.terms)[np.isnan(att)][:5])
        raise EstimationError(
            f"some ATT(g,t) could not be estimated ({missing}); pass na_rm=True to aggregate "
            "the others"
        )

    agg = aggregate_effects(
        np.array(result.group),
        np.array(result.time),
        att,
        np.array(result.influence),
        np.array(result.unit_cohort),
        kind,
        min_e=float(min_e),
        max_e=float(max_e),
        balance_e=None if balance_e is None else float(balance_e),
        na_rm=na_rm,
    )
    influence = np.column_stack([agg.overall_influence, agg.influence])
    se = _analytic_se(influence)
    notes: list[str] = []
    critical = float(stats.norm.ppf(1.0 - alp / 2.0))
    disaggregated = np.arange(influence.shape[1]) > 0
    if (bstrap or cband) and kind != "simple":
        boot = multiplier_bootstrap(
            influence,
            biters=biters,
            alp=alp,
            rng=np.random.default_rng(seed),
            cluster_codes=result.cluster_codes,
            band_columns=disaggregated,
        )
        if bstrap:
            se = boot.std_error
        if cband:
            critical, cband = _checked_band(boot.critical_value, alp, notes)
    elif bstrap:
        se = multiplier_bootstrap(
            influence, biters=biters, alp=alp, rng=np.random.default_rng(seed),
            cluster_codes=result.cluster_codes,
        ).std_error  # fmt: skip
    se[se <= DEGENERATE_SE] = np.nan

    config = AggteConfig(
        panel=fit.panel,
        vcov="multiplier_bootstrap" if bstrap else "influence_function",
        cluster=fit.cluster,
        type=kind,
        min_e=float(min_e),
        max_e=float(max_e),
        balance_e=None if balance_e is None else float(balance_e),
        na_rm=na_rm,
        alp=alp,
        bstrap=bstrap,
        biters=biters,
        cband=cband and kind != "simple",
        seed=seed,
        fit=fit,
    )
    labels = agg.labels
    nan = np.full(labels.size, np.nan)
    if kind == "group":
        group, time = labels, nan
    else:
        group, time = nan, labels
    letter = _LABELS.get(kind, "")
    n = influence.shape[0]
    _emit(notes)
    return AggteResult(
        config=config,
        terms=("ATT", *(f"ATT({letter}={value:g})" for value in labels)),
        estimates=np.concatenate([[agg.overall_att], agg.att]),
        vcov=influence.T @ influence / n**2,
        std_errors=se,
        group=np.concatenate([[np.nan], group]),
        time=np.concatenate([[np.nan], time]),
        inference=_inference(config, result.cluster_codes),
        sample=result.sample,
        provenance=result.provenance,
        fit_statistics={"critical_value": critical},
        notes=(*result.notes, *notes),
        influence=influence,
        critical_value=critical,
    )


def _type_name(value: object) -> str:
    """Name of the type of ``value`` for error messages."""
    return type(value).__name__
