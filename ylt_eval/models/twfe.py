"""Two-way fixed effects difference-in-differences: static and event study.

Both fits are OLS with unit and period fixed effects, absorbed exactly
(:mod:`ylt_eval.models._within`), and standard errors computed as R ``fixest`` does by default
(:mod:`ylt_eval.models._vcov`): the numbers match ``feols`` to rounding error.

Under staggered adoption with effects that change over time or differ between cohorts, TWFE
coefficients are weighted averages of effects with possibly negative weights (Goodman-Bacon
2021; de Chaisemartin & D'Haultfœuille 2020; Sun & Abraham 2021). Use them as a diagnostic
next to heterogeneity-robust estimators, not as the headline estimate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ylt_eval.errors import EstimationError, ParameterError
from ylt_eval.models._prepare import (
    PreparedPanel,
    parse_xformla,
    prepare_panel,
    provenance,
    sample_info,
    treated_post,
)
from ylt_eval.models._vcov import VCOV_TYPES, fixed_effects_vcov
from ylt_eval.models._within import fit_absorbed_ols
from ylt_eval.models.results import (
    EstimatorConfig,
    EventStudyConfig,
    EventStudyResult,
    Inference,
    PanelSpec,
    TwfeConfig,
    TwfeResult,
)

#: Name of the static treatment term.
POST_TERM = "post"
#: Prefix of event-study terms: ``event_time::-2``, ``event_time::<=-4``, ``event_time::>=3``.
EVENT_TERM_PREFIX = "event_time::"


def twfe(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    *,
    xformla: str | None = None,
    cluster: str | None = None,
    vcov: str = "CRV1",
) -> TwfeResult:
    """Static two-way fixed effects: ``y ~ post + x | unit + period``.

    ``post = 1[gname > 0 and tname >= gname]``. Equivalent to R
    ``fixest::feols(y ~ post | id + time, cluster = ~cluster)``.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel, one row per unit × period (unbalanced allowed). Not modified.
    yname : str
        Outcome column (numeric).
    tname : str
        Period column (whole numbers, e.g. years).
    idname : str
        Unit column (strings or integers).
    gname : str
        First treated period of the unit; 0 or NaN for never treated; constant within unit.
        Numbers or text holding numbers.
    xformla : str, optional
        Additive covariates, e.g. ``"~ x1 + x2"``. Covariates constant within unit or period
        are absorbed by the fixed effects and dropped (listed in the result's notes).
    cluster : str, optional
        Cluster column for ``vcov="CRV1"``; defaults to ``idname``. Not allowed otherwise.
    vcov : {"CRV1", "iid", "hetero"}, default "CRV1"
        Variance estimator, with fixest's default small-sample corrections.

    Returns
    -------
    TwfeResult
        One term, ``"post"``.

    Raises
    ------
    ParameterError
        Unknown column, bad ``vcov`` / ``cluster`` / ``xformla``.
    DataValidationError
        Bad data (see :mod:`ylt_eval.models._prepare`). Rows with a missing outcome,
        covariate or cluster value are dropped and counted instead.
    EstimationError
        No treated observations, no comparison units, or ``post`` collinear with the fixed
        effects.

    Notes
    -----
    Units treated before their first observed period keep ``post = 1`` throughout, which the
    unit effect absorbs, so they serve as comparison units (as in fixest; R ``did`` drops them).
    """
    config = TwfeConfig(
        panel=_panel_spec(yname, tname, idname, gname, xformla),
        vcov=_check_vcov(vcov),
        cluster=_resolve_cluster(vcov, cluster, idname),
    )
    panel = prepare_panel(data, config.panel, cluster=config.cluster)
    post = treated_post(panel)
    _require_treated_and_comparison(panel, post)
    fit = _fit_two_way(panel, post[:, None].astype(np.float64), (POST_TERM,), config)
    return TwfeResult(
        config=config,
        terms=(POST_TERM,),
        estimates=fit.estimates,
        vcov=fit.vcov,
        inference=fit.inference,
        sample=sample_info(panel),
        provenance=provenance(panel),
        fit_statistics=fit.statistics,
        notes=fit.notes,
    )


def event_study(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    *,
    ref: int | Sequence[int] = -1,
    min_e: int | None = None,
    max_e: int | None = None,
    xformla: str | None = None,
    cluster: str | None = None,
    vcov: str = "CRV1",
) -> EventStudyResult:
    """Dynamic two-way fixed effects with one dummy per event time ``e = tname - gname``.

    Treated units (``gname > 0``) get a dummy for each event time except ``ref``; never-treated
    units get none (they are pooled with the reference period). Equivalent to R
    ``feols(y ~ i(rel_time, ref = c(-1, -1000)) | id + time)`` with
    ``rel_time = ifelse(g == 0, -1000, time - g)``.

    Parameters
    ----------
    data, yname, tname, idname, gname, xformla, cluster, vcov
        As in :func:`twfe`.
    ref : int or sequence of int, default -1
        Omitted event time(s). Without never-treated units the fully dynamic model is not
        identified with a single reference; omit a second one or bin the endpoints.
    min_e, max_e : int, optional
        Pool event times below ``min_e`` into one dummy ``event_time::<=min_e`` (above
        ``max_e`` into ``event_time::>=max_e``). Both must bracket every ``ref``.

    Returns
    -------
    EventStudyResult
        Terms ``event_time::e`` in increasing order of ``e``; ``tidy()["time"]`` is ``e``.

    Raises
    ------
    ParameterError
        As in :func:`twfe`, plus a bad ``ref`` / ``min_e`` / ``max_e``.
    DataValidationError
        Bad data.
    EstimationError
        No treated observations, no comparison units, or event-time dummies collinear with
        the fixed effects.
    """
    refs = _check_ref(ref)
    min_e, max_e = _check_bins(min_e, max_e, refs)
    config = EventStudyConfig(
        panel=_panel_spec(yname, tname, idname, gname, xformla),
        vcov=_check_vcov(vcov),
        cluster=_resolve_cluster(vcov, cluster, idname),
        ref=refs,
        min_e=min_e,
        max_e=max_e,
    )
    panel = prepare_panel(data, config.panel, cluster=config.cluster)
    _require_treated_and_comparison(panel, treated_post(panel))
    design = event_time_design(panel, refs=refs, min_e=min_e, max_e=max_e)
    fit = _fit_two_way(panel, design.matrix, design.terms, config)
    return EventStudyResult(
        config=config,
        terms=design.terms,
        estimates=fit.estimates,
        vcov=fit.vcov,
        time=design.event_times,
        inference=fit.inference,
        sample=sample_info(panel),
        provenance=provenance(panel),
        fit_statistics=fit.statistics,
        notes=fit.notes + design.notes,
    )


# --------------------------------------------------------------------------------------------
# Event-time design
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class EventTimeDesign:
    """Relative-time dummies of an event study.

    Attributes
    ----------
    matrix : numpy.ndarray
        Shape (n, m), one 0/1 column per estimated event time.
    terms : tuple of str
        Term names, in increasing event time.
    event_times : numpy.ndarray
        Event time of each column.
    notes : tuple of str
        How many rows were pooled into the endpoint bins.
    """

    matrix: NDArray[np.float64]
    terms: tuple[str, ...]
    event_times: NDArray[np.float64]
    notes: tuple[str, ...]


def event_time_design(
    panel: PreparedPanel,
    *,
    refs: tuple[int, ...],
    min_e: int | None,
    max_e: int | None,
) -> EventTimeDesign:
    """Build the relative-time dummies for treated units (never-treated rows are all zero).

    Parameters
    ----------
    panel : PreparedPanel
    refs : tuple of int
        Omitted event times; each must occur in the data.
    min_e, max_e : int or None
        Endpoint bins.
    """
    treated = panel.cohort > 0
    event_time = (panel.time - panel.cohort)[treated].astype(np.int64)
    notes: list[str] = []
    if min_e is not None:
        n_pooled = int((event_time < min_e).sum())
        event_time = np.maximum(event_time, min_e)
        notes.append(f"{n_pooled} treated row(s) with event time below {min_e} pooled into it")
    if max_e is not None:
        n_pooled = int((event_time > max_e).sum())
        event_time = np.minimum(event_time, max_e)
        notes.append(f"{n_pooled} treated row(s) with event time above {max_e} pooled into it")
    observed = np.unique(event_time)
    absent = [r for r in refs if r not in set(observed.tolist())]
    if absent:
        raise ParameterError(
            f"reference event time(s) {absent} do not occur in the data; observed event times "
            f"of treated units run from {observed.min()} to {observed.max()}. Choose ref among "
            "them (usually -1, the period before treatment)."
        )
    estimated = np.array([e for e in observed if e not in refs], dtype=np.int64)
    if estimated.size == 0:
        raise EstimationError(
            "no event-time dummies left to estimate: every observed event time is a reference"
        )
    column = np.full(panel.n_obs, -1, dtype=np.intp)
    column[treated] = np.searchsorted(estimated, event_time)
    is_estimated = np.zeros(panel.n_obs, dtype=bool)
    is_estimated[treated] = ~np.isin(event_time, refs)
    matrix = np.zeros((panel.n_obs, estimated.size))
    rows = np.flatnonzero(is_estimated)
    matrix[rows, column[rows]] = 1.0
    terms = tuple(_event_term(int(e), min_e, max_e) for e in estimated)
    return EventTimeDesign(
        matrix=matrix,
        terms=terms,
        event_times=estimated.astype(np.float64),
        notes=tuple(notes),
    )


def _event_term(event: int, min_e: int | None, max_e: int | None) -> str:
    if min_e is not None and event == min_e:
        return f"{EVENT_TERM_PREFIX}<={event}"
    if max_e is not None and event == max_e:
        return f"{EVENT_TERM_PREFIX}>={event}"
    return f"{EVENT_TERM_PREFIX}{event}"


# --------------------------------------------------------------------------------------------
# Shared fitting
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _TwoWayFit:
    estimates: NDArray[np.float64]
    vcov: NDArray[np.float64]
    inference: Inference
    statistics: dict[str, float]
    notes: tuple[str, ...]


def _fit_two_way(
    panel: PreparedPanel,
    treatment: NDArray[np.float64],
    terms: tuple[str, ...],
    config: EstimatorConfig,
) -> _TwoWayFit:
    """OLS of y on treatment columns and covariates with unit and period fixed effects."""
    covariate_names = config.panel.covariates
    regressors = np.column_stack([treatment, panel.covariates])
    factors = (panel.unit, panel.period)
    ols = fit_absorbed_ols(panel.y, regressors, factors)
    n_treatment = treatment.shape[1]
    lost = [term for term, kept in zip(terms, ols.kept[:n_treatment], strict=True) if not kept]
    if lost:
        raise EstimationError(
            f"treatment term(s) {', '.join(lost)} are collinear with the unit and period fixed "
            f"effects{' and covariates' if covariate_names else ''}, so they cannot be "
            "estimated. Typical causes: no never-treated units in a fully dynamic event study "
            "(pass two reference event times or bin endpoints with min_e / max_e), or an "
            "event time observed for a single cohort only."
        )
    vcov = fixed_effects_vcov(
        config.vcov,
        ols.regressors,
        ols.residuals,
        ols.bread,
        factors=factors,
        cluster=panel.cluster,
    )
    notes = _sample_notes(panel)
    dropped_covariates = [
        name for name, kept in zip(covariate_names, ols.kept[n_treatment:], strict=True) if not kept
    ]
    if dropped_covariates:
        notes.append(
            f"covariate(s) {', '.join(dropped_covariates)} dropped: collinear with the fixed "
            "effects (e.g. constant within unit) or with other regressors"
        )
    return _TwoWayFit(
        estimates=ols.coefficients[:n_treatment],
        vcov=vcov.matrix[:n_treatment, :n_treatment],
        inference=Inference(
            vcov_type=vcov.vcov_type,
            cluster=config.cluster,
            n_clusters=vcov.n_clusters,
            df=vcov.df,
            ssc_k=vcov.ssc_k,
        ),
        statistics={"r2_within": ols.within_r2},
        notes=tuple(notes),
    )


def _sample_notes(panel: PreparedPanel) -> list[str]:
    notes = []
    if panel.n_dropped:
        notes.append(
            f"{panel.n_dropped} row(s) dropped because of a missing outcome, covariate or "
            "cluster value"
        )
    unit_cohort = panel.unit_cohort
    first_time = np.full(panel.n_units, np.inf)
    np.minimum.at(first_time, panel.unit, panel.time)
    always = int(((unit_cohort > 0) & (unit_cohort <= first_time)).sum())
    if always:
        notes.append(
            f"{always} unit(s) treated from their first observed period on: their treatment "
            "indicator is absorbed by the unit effect, so they act as comparison units"
        )
    if not (unit_cohort == 0).any():
        notes.append(
            "no never-treated units: estimates rest on comparisons between earlier- and "
            "later-treated units, which are biased when effects vary over time"
        )
    return notes


# --------------------------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------------------------


def _panel_spec(yname: Any, tname: Any, idname: Any, gname: Any, xformla: Any) -> PanelSpec:
    return PanelSpec(
        yname=yname,
        tname=tname,
        idname=idname,
        gname=gname,
        covariates=parse_xformla(xformla),
        xformla=xformla,
    )


def _check_vcov(vcov: Any) -> str:
    if vcov not in VCOV_TYPES:
        raise ParameterError(f"vcov must be one of {', '.join(VCOV_TYPES)}; got {vcov!r}")
    return str(vcov)


def _resolve_cluster(vcov: Any, cluster: Any, idname: str) -> str | None:
    if vcov != "CRV1":
        if cluster is not None:
            raise ParameterError(
                f"cluster={cluster!r} is only used with vcov='CRV1' (got vcov={vcov!r}); "
                "drop cluster or set vcov='CRV1'"
            )
        return None
    if cluster is None:
        return idname
    if not isinstance(cluster, str) or not cluster:
        raise ParameterError(f"cluster must be a column name, got {cluster!r}")
    return cluster


def _as_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ParameterError(f"{name} must be an integer event time, got {value!r}")
    return int(value)


def _check_ref(ref: Any) -> tuple[int, ...]:
    values = [ref] if isinstance(ref, Integral) and not isinstance(ref, bool) else ref
    if isinstance(values, str) or not isinstance(values, Sequence) or len(values) == 0:
        raise ParameterError(f"ref must be an integer or a list of integers, got {ref!r}")
    return tuple(sorted({_as_int(value, "ref") for value in values}))


def _check_bins(min_e: Any, max_e: Any, refs: tuple[int, ...]) -> tuple[int | None, int | None]:
    low = None if min_e is None else _as_int(min_e, "min_e")
    high = None if max_e is None else _as_int(max_e, "max_e")
    if low is not None and high is not None and low >= high:
        raise ParameterError(f"min_e ({low}) must be smaller than max_e ({high})")
    for r in refs:
        if (low is not None and r <= low) or (high is not None and r >= high):
            raise ParameterError(
                f"ref {r} must lie strictly inside the bins min_e={low}, max_e={high}: a "
                "pooled endpoint cannot be the reference"
            )
    return low, high


def _require_treated_and_comparison(panel: PreparedPanel, post: NDArray[np.bool_]) -> None:
    if not post.any():
        raise EstimationError(
            "no treated observations: no unit is observed in or after its first treated period. "
            "gname must hold the first treated period (e.g. the reform year) and 0 or NaN for "
            "never treated units; check that reform years fall inside the observed periods."
        )
    treated_periods = np.unique(panel.period[post])
    untreated_in_treated_period = np.isin(panel.period, treated_periods) & ~post
    if not untreated_in_treated_period.any():
        raise EstimationError(
            "no control units: in every period with treated units, all units are treated, so "
            "there is nothing to compare with. Two-way fixed effects need never-treated or "
            "not-yet-treated units; for a single county consider synthetic control."
        )
