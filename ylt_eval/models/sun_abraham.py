"""Sun & Abraham (2021) interaction-weighted event study, matching R ``fixest::sunab``.

One OLS regression with unit and period fixed effects and a dummy for every treated cohort ×
event time ``e = tname - gname`` (except the reference event times) estimates the
cohort-specific effects CATT(g, e) against the control cohorts. They are then averaged with
weights equal to each cohort's share of the observations at that event time (fixest's
``aggregate``; Sun & Abraham estimate the same shares from the sample), giving one estimate
per event time, and over all ``e >= 0`` cells for the overall ATT (fixest ``agg = "ATT"``).
Covariances of the averages are ``A V A'`` with ``V`` the fixest covariance of the
interactions (:mod:`ylt_eval.models._vcov`), so standard errors equal fixest's.

Sample rules:

- Control cohorts: never treated (``gname`` 0 / NaN) and cohorts first treated after the last
  period. With ``control_group="lasttreated"`` the last-treated cohort joins them and the
  periods from its first treated period on are dropped (Sun & Abraham 2021, section 4.1).
- Treated cohorts with no observation at a reference event time (e.g. units treated from the
  first period on) cannot be compared and are dropped with a note; fixest drops always-treated
  cohorts the same way (it would instead count a cohort before the first period as never
  treated).

References
----------
Sun, L. and Abraham, S. (2021), "Estimating dynamic treatment effects in event studies with
heterogeneous treatment effects", Journal of Econometrics 225(2), 175-199.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from numbers import Integral
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from ylt_eval.errors import EstimationError, ParameterError
from ylt_eval.models._prepare import PreparedPanel, prepare_panel, provenance, sample_info
from ylt_eval.models._vcov import VCOV_TYPES, fixed_effects_vcov
from ylt_eval.models._within import fit_absorbed_ols
from ylt_eval.models.results import EstimationResult, EstimatorConfig, Inference, PanelSpec

__all__ = [
    "CONTROL_GROUPS",
    "SunAbrahamCohortResult",
    "SunAbrahamConfig",
    "SunAbrahamResult",
    "sun_abraham",
]

#: Accepted values of ``control_group``.
CONTROL_GROUPS: tuple[str, ...] = ("nevertreated", "lasttreated")
#: Term of the overall average effect.
ATT_TERM = "ATT"
#: Prefix of the per-event-time terms, as in :mod:`ylt_eval.models.twfe`.
EVENT_TERM_PREFIX = "event_time::"


@dataclass(frozen=True, kw_only=True)
class SunAbrahamConfig(EstimatorConfig):
    """Settings of a Sun & Abraham fit.

    Attributes
    ----------
    ref : tuple of int
        Reference (omitted) event times of every cohort.
    control_group : str
        ``"nevertreated"`` or ``"lasttreated"``.
    """

    ref: tuple[int, ...] = (-1,)
    control_group: str = "nevertreated"


def _read_only(values: Any) -> NDArray[np.float64]:
    array = np.array(values, dtype=np.float64, copy=True)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, kw_only=True, eq=False)
class SunAbrahamCohortResult(EstimationResult):
    """Cohort × event-time effects CATT(g, e) of a Sun & Abraham regression.

    Terms ``cohort::g::event_time::e``; ``group`` holds g and ``time`` holds e.
    """

    ESTIMATOR: ClassVar[str] = "sun_abraham_cohort"
    TITLE: ClassVar[str] = "Sun & Abraham (2021) cohort × event-time effects"

    config: SunAbrahamConfig


@dataclass(frozen=True, kw_only=True, eq=False)
class SunAbrahamResult(EstimationResult):
    """Sun & Abraham (2021) interaction-weighted estimates.

    The first term, ``"ATT"``, averages all cohort × event-time effects with ``e >= 0``;
    the others, ``event_time::e`` in increasing order of ``e`` (``time`` holds e), average the
    cohorts observed at that event time. Reference event times are not listed (they are 0 by
    construction).

    Attributes
    ----------
    config : SunAbrahamConfig
        Settings used.
    cohort_effects : SunAbrahamCohortResult
        The underlying CATT(g, e) regression coefficients.
    aggregation_weights : numpy.ndarray
        Shape (n_terms, n_cohort_effects): estimates = weights @ cohort estimates.
    """

    ESTIMATOR: ClassVar[str] = "sun_abraham"
    TITLE: ClassVar[str] = "Sun & Abraham (2021) interaction-weighted event study"

    config: SunAbrahamConfig
    cohort_effects: SunAbrahamCohortResult
    aggregation_weights: NDArray[np.float64]

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "aggregation_weights", _read_only(self.aggregation_weights))

    @property
    def overall_att(self) -> float:
        """Overall average effect on the treated (all ``e >= 0`` cells)."""
        return self.estimate_of(ATT_TERM)

    @property
    def overall_se(self) -> float:
        """Standard error of :attr:`overall_att`."""
        return self.std_error_of(ATT_TERM)

    @property
    def event_times(self) -> NDArray[np.int64]:
        """Event times of the per-period terms (reference event times excluded)."""
        return self.time[1:].astype(np.int64)

    def _summary_header_lines(self) -> list[str]:
        config = self.config
        controls = {
            "nevertreated": "never-treated units",
            "lasttreated": "never-treated and last-treated units",
        }[config.control_group]
        return [
            f"Fixed effects: {config.panel.idname} + {config.panel.tname}   "
            f"reference event time(s): {', '.join(str(r) for r in config.ref)}   "
            f"controls: {controls}",
            "Cohort weights: share of observations at each event time (fixest::sunab); "
            "pretrend_f / pretrend_p: joint F test of the pre-treatment terms",
        ]

    def glance(self) -> pd.DataFrame:
        """One row: the common columns, ``overall_att``, ``overall_se``, ``n_cohorts``, then
        the fit statistics (``r2_within``, pre-trend F test).

        Returns
        -------
        pandas.DataFrame
        """
        frame = super().glance()
        frame["control_group"] = pd.Series([self.config.control_group], dtype="string")
        frame["overall_att"] = self.overall_att
        frame["overall_se"] = self.overall_se
        frame["n_cohorts"] = int(np.unique(self.cohort_effects.group).size)
        return frame


def sun_abraham(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    *,
    ref: int | Sequence[int] = -1,
    control_group: str = "nevertreated",
    cluster: str | None = None,
    vcov: str = "CRV1",
) -> SunAbrahamResult:
    """Interaction-weighted event study of Sun & Abraham (2021).

    Equivalent to R ``feols(y ~ sunab(g, t) | id + t, cluster = ~cluster)`` (per-period
    estimates) and ``summary(., agg = "ATT")`` (overall ATT), where ``g`` is ``gname`` with
    never-treated units coded outside the period range.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel, one row per unit × period (unbalanced allowed). Not modified.
    yname, tname, idname, gname : str
        Outcome, period, unit and cohort (first treated period; 0 or NaN if never) columns.
    ref : int or sequence of int, default -1
        Omitted event time(s) of every treated cohort.
    control_group : {"nevertreated", "lasttreated"}, default "nevertreated"
        Which units serve as controls; see the module docstring.
    cluster : str, optional
        Cluster column for ``vcov="CRV1"``; defaults to ``idname``.
    vcov : {"CRV1", "iid", "hetero"}, default "CRV1"
        Variance estimator of the regression, with fixest's small-sample corrections.

    Returns
    -------
    SunAbrahamResult

    Raises
    ------
    ParameterError
        Unknown column, bad ``ref`` / ``control_group`` / ``vcov`` / ``cluster``.
    DataValidationError
        Bad data (see :mod:`ylt_eval.models._prepare`).
    EstimationError
        No control units, no treated cohort with a reference period, or interactions
        collinear with the fixed effects.
    """
    refs = _check_ref(ref)
    if control_group not in CONTROL_GROUPS:
        raise ParameterError(
            f"control_group must be one of {', '.join(CONTROL_GROUPS)}; got {control_group!r}"
        )
    if vcov not in VCOV_TYPES:
        raise ParameterError(f"vcov must be one of {', '.join(VCOV_TYPES)}; got {vcov!r}")
    config = SunAbrahamConfig(
        panel=PanelSpec(yname=yname, tname=tname, idname=idname, gname=gname),
        vcov=vcov,
        cluster=_resolve_cluster(vcov, cluster, idname),
        ref=refs,
        control_group=control_group,
    )
    panel = prepare_panel(data, config.panel, cluster=config.cluster)
    panel, notes = _estimation_sample(panel, config)
    design = _interaction_design(panel, refs)
    factors = (panel.unit, panel.period)
    ols = fit_absorbed_ols(panel.y, design.matrix, factors)
    if not ols.kept.all():
        lost = [term for term, kept in zip(design.terms, ols.kept, strict=True) if not kept]
        raise EstimationError(
            f"cohort × event-time effect(s) {', '.join(lost)} are collinear with the unit and "
            "period fixed effects and cannot be estimated; this happens when the control "
            "units do not cover those periods"
        )
    covariance = fixed_effects_vcov(
        config.vcov,
        ols.regressors,
        ols.residuals,
        ols.bread,
        factors=factors,
        cluster=panel.cluster,
    )
    inference = Inference(
        vcov_type=covariance.vcov_type,
        cluster=config.cluster,
        n_clusters=covariance.n_clusters,
        df=covariance.df,
        ssc_k=covariance.ssc_k,
    )
    sample = sample_info(panel)
    origin = provenance(panel)
    cohort_effects = SunAbrahamCohortResult(
        config=config,
        terms=design.terms,
        estimates=ols.coefficients,
        vcov=covariance.matrix,
        std_errors=_standard_errors(covariance.matrix),
        group=design.cohorts,
        time=design.event_times,
        inference=inference,
        sample=sample,
        provenance=origin,
        fit_statistics={"r2_within": ols.within_r2},
        notes=tuple(notes),
    )
    weights, terms, times = _aggregation(design)
    estimates = weights @ ols.coefficients
    aggregated_vcov = weights @ covariance.matrix @ weights.T
    statistics = {"r2_within": ols.within_r2}
    statistics.update(_pretrend_test(estimates, aggregated_vcov, times, inference.df))
    return SunAbrahamResult(
        config=config,
        terms=terms,
        estimates=estimates,
        vcov=aggregated_vcov,
        std_errors=_standard_errors(aggregated_vcov),
        time=times,
        inference=inference,
        sample=sample,
        provenance=origin,
        fit_statistics=statistics,
        notes=tuple(notes),
        cohort_effects=cohort_effects,
        aggregation_weights=weights,
    )


# --------------------------------------------------------------------------------------------
# Sample and design
# --------------------------------------------------------------------------------------------


def _restrict_rows(panel: PreparedPanel, keep: NDArray[np.bool_]) -> PreparedPanel:
    """Keep some rows of a prepared panel, renumbering units, periods and clusters.

    Dropped rows are added to ``n_dropped``.

    Parameters
    ----------
    panel : PreparedPanel
    keep : numpy.ndarray
        Boolean mask over the rows.
    """
    unit_values, unit = np.unique(panel.unit[keep], return_inverse=True)
    _, period = np.unique(panel.time[keep], return_inverse=True)
    cluster = None
    if panel.cluster is not None:
        _, cluster = np.unique(panel.cluster[keep], return_inverse=True)
        cluster = cluster.astype(np.intp)
    return replace(
        panel,
        y=panel.y[keep],
        covariates=panel.covariates[keep],
        unit=unit.astype(np.intp),
        period=period.astype(np.intp),
        time=panel.time[keep],
        cohort=panel.cohort[keep],
        cluster=cluster,
        unit_labels=panel.unit_labels[unit_values],
        n_dropped=panel.n_dropped + int((~keep).sum()),
    )


def _estimation_sample(
    panel: PreparedPanel, config: SunAbrahamConfig
) -> tuple[PreparedPanel, list[str]]:
    gname = config.panel.gname
    notes = []
    if panel.n_dropped:
        notes.append(
            f"{panel.n_dropped} row(s) dropped because of a missing outcome or cluster value"
        )
    late = np.unique(panel.cohort[panel.cohort > panel.time.max()])
    if late.size:
        notes.append(
            f"cohort(s) {', '.join(f'{g:g}' for g in late)} first treated after the last period "
            "serve as controls"
        )
    panel = _untreated_within_sample(panel)
    if config.control_group == "lasttreated":
        last_cohort = panel.cohort.max()
        if last_cohort == 0:
            raise EstimationError(
                f"no unit is treated within the panel ({gname} is 0, NaN or after the last "
                "period for every unit)"
            )
        panel = _restrict_rows(panel, panel.time < last_cohort)
        if panel.n_obs == 0:
            raise EstimationError(f"no period comes before the last cohort ({last_cohort:g})")
        notes.append(
            f"control_group='lasttreated': periods from {last_cohort:g} on dropped; cohort "
            f"{last_cohort:g} serves as a control"
        )
        panel = _untreated_within_sample(panel)
    elif not (panel.cohort == 0).any():
        raise EstimationError(
            f"no never-treated units ({gname} = 0, NaN or after the last period) to serve as "
            "controls; pass control_group='lasttreated' to use the last-treated cohort instead"
        )

    event_time = panel.time - panel.cohort
    treated_cohort = panel.cohort > 0
    with_ref = np.unique(panel.cohort[treated_cohort & np.isin(event_time, config.ref)])
    orphan = treated_cohort & ~np.isin(panel.cohort, with_ref)
    if orphan.any():
        cohorts = np.unique(panel.cohort[orphan])
        n_units = np.unique(panel.unit[orphan]).size
        listed = ", ".join(f"{g:g}" for g in cohorts)
        notes.append(
            f"cohort(s) {listed} ({n_units} unit(s)) dropped: not observed at the reference "
            f"event time(s) {', '.join(str(r) for r in config.ref)} (e.g. treated from the "
            "first period on)"
        )
        panel = _restrict_rows(panel, ~orphan)
    if not (panel.cohort > 0).any():
        raise EstimationError(
            f"no treated cohort left to estimate: {gname} must hold the first treated period, "
            "within the panel and after a reference event time"
        )
    if not (panel.cohort == 0).any():
        raise EstimationError("no control units left after applying the sample rules")
    return panel, notes


def _untreated_within_sample(panel: PreparedPanel) -> PreparedPanel:
    """Code cohorts first treated after the last period as controls (cohort 0)."""
    last = panel.time.max()
    return replace(panel, cohort=np.where(panel.cohort > last, 0.0, panel.cohort))


@dataclass(frozen=True, eq=False)
class _Design:
    matrix: NDArray[np.float64]
    terms: tuple[str, ...]
    cohorts: NDArray[np.float64]
    event_times: NDArray[np.float64]
    counts: NDArray[np.float64]


def _interaction_design(panel: PreparedPanel, refs: tuple[int, ...]) -> _Design:
    event_time = panel.time - panel.cohort
    active = (panel.cohort > 0) & ~np.isin(event_time, refs)
    if not active.any():
        raise EstimationError(
            "treated cohorts are observed only at the reference event time(s); there is no "
            "effect to estimate"
        )
    cells, column = np.unique(
        np.column_stack([panel.cohort[active], event_time[active]]), axis=0, return_inverse=True
    )
    matrix = np.zeros((panel.n_obs, cells.shape[0]))
    matrix[np.flatnonzero(active), column.ravel()] = 1.0
    terms = tuple(f"cohort::{g:g}::{EVENT_TERM_PREFIX}{e:g}" for g, e in cells)
    return _Design(
        matrix=matrix,
        terms=terms,
        cohorts=cells[:, 0],
        event_times=cells[:, 1],
        counts=matrix.sum(axis=0),
    )


def _aggregation(design: _Design) -> tuple[NDArray[np.float64], tuple[str, ...], NDArray]:
    """Rows of cohort-share weights: the overall ATT first, then each event time."""
    event_times = np.unique(design.event_times)
    weights = np.zeros((event_times.size + 1, design.counts.size))
    post = design.event_times >= 0
    if post.any():
        weights[0, post] = design.counts[post] / design.counts[post].sum()
    else:
        weights[0] = np.nan
    for row, event in enumerate(event_times, start=1):
        cells = design.event_times == event
        weights[row, cells] = design.counts[cells] / design.counts[cells].sum()
    terms = (ATT_TERM, *(f"{EVENT_TERM_PREFIX}{e:g}" for e in event_times))
    times = np.concatenate([[np.nan], event_times])
    return weights, terms, times


def _standard_errors(vcov: NDArray[np.float64]) -> NDArray[np.float64]:
    """Square roots of the variances; rounding can make a zero variance slightly negative."""
    return np.sqrt(np.clip(np.diag(vcov), 0.0, None))


def _pretrend_test(
    estimates: NDArray[np.float64],
    vcov: NDArray[np.float64],
    times: NDArray[np.float64],
    df: float | None,
) -> dict[str, float]:
    """Joint F test that every pre-treatment event-time estimate is zero."""
    pre = np.flatnonzero(times < 0)
    if pre.size == 0:
        return {}
    b = estimates[pre]
    v = vcov[np.ix_(pre, pre)]
    try:
        wald = float(b @ np.linalg.solve(v, b))
    except np.linalg.LinAlgError:
        return {"pretrend_f": np.nan, "pretrend_p": np.nan}
    f_stat = wald / pre.size
    if df is None:
        p_value = float(stats.chi2.sf(wald, pre.size))
    else:
        p_value = float(stats.f.sf(f_stat, pre.size, df))
    return {"pretrend_f": f_stat, "pretrend_p": p_value}


# --------------------------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------------------------


def _check_ref(ref: Any) -> tuple[int, ...]:
    values = [ref] if isinstance(ref, Integral) else ref
    if isinstance(values, str) or not isinstance(values, Sequence) or len(values) == 0:
        raise ParameterError(f"ref must be an integer or a list of integers, got {ref!r}")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, Integral):
            raise ParameterError(f"ref must hold integer event times, got {value!r}")
    return tuple(sorted({int(value) for value in values}))


def _resolve_cluster(vcov: str, cluster: Any, idname: str) -> str | None:
    if vcov != "CRV1":
        if cluster is not None:
            raise ParameterError(
                f"cluster={cluster!r} is only used with vcov='CRV1' (got vcov={vcov!r})"
            )
        return None
    if cluster is None:
        return idname
    if not isinstance(cluster, str) or not cluster:
        raise ParameterError(f"cluster must be a column name, got {cluster!r}")
    return cluster
