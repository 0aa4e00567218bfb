"""Immutable result objects shared by every estimator in :mod:`ylt_eval.models`.

One result holds a set of named estimates (a TWFE coefficient, event-study coefficients, one
ATT(g, t) per group and period, a synthetic-control gap per year, ...) together with everything
needed to interpret them: the settings used, how inference was done, who was in the sample and
where the numbers came from. Estimators build results; nothing mutates them afterwards.

The three read-outs follow the broom convention:

- :meth:`EstimationResult.tidy`: one row per estimate with the columns
  ``term, group, time, estimate, std_error, conf_low, conf_high, p_value``;
- :meth:`EstimationResult.glance`: one row describing the fit;
- :meth:`EstimationResult.summary`: plain text for logs and notebooks (returned, never printed).

Display labels ("Pr(>|t|)", Chinese headings) belong in the report layer, not here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from ylt_eval.errors import ParameterError

#: Column order of :meth:`EstimationResult.tidy`.
TIDY_COLUMNS: tuple[str, ...] = (
    "term",
    "group",
    "time",
    "estimate",
    "std_error",
    "conf_low",
    "conf_high",
    "p_value",
)


# --------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PanelSpec:
    """Which column of a staggered-adoption panel plays which role (R ``did`` names).

    Attributes
    ----------
    yname : str
        Outcome column.
    tname : str
        Period column (integer-valued, e.g. the year).
    idname : str
        Unit column (county code); strings or integers.
    gname : str
        Cohort column: the first period in which the unit is treated, 0 or NaN if never.
    covariates : tuple of str
        Covariate columns parsed from ``xformla`` (empty if none).
    xformla : str or None
        The covariate formula as given, e.g. ``"~ lpop"``.
    """

    yname: str
    tname: str
    idname: str
    gname: str
    covariates: tuple[str, ...] = ()
    xformla: str | None = None


@dataclass(frozen=True, kw_only=True)
class EstimatorConfig:
    """Settings common to all estimators; subclasses add estimator-specific options.

    Attributes
    ----------
    panel : PanelSpec
        Column roles.
    vcov : str
        Requested variance estimator (``"iid"``, ``"hetero"``, ``"CRV1"``, ...).
    cluster : str or None
        Cluster column for clustered inference, None otherwise.
    """

    panel: PanelSpec
    vcov: str
    cluster: str | None


@dataclass(frozen=True, kw_only=True)
class TwfeConfig(EstimatorConfig):
    """Settings of a static two-way fixed-effects fit (nothing beyond the common ones)."""


@dataclass(frozen=True, kw_only=True)
class EventStudyConfig(EstimatorConfig):
    """Settings of a dynamic two-way fixed-effects (event-study) fit.

    Attributes
    ----------
    ref : tuple of int
        Omitted (reference) event times.
    min_e, max_e : int or None
        Event times below ``min_e`` (above ``max_e``) are pooled into ``min_e`` (``max_e``).
    """

    ref: tuple[int, ...] = (-1,)
    min_e: int | None = None
    max_e: int | None = None


# --------------------------------------------------------------------------------------------
# What the fit used
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Inference:
    """How standard errors, intervals and p-values were obtained.

    Attributes
    ----------
    vcov_type : str
        ``"iid"``, ``"hetero"``, ``"CRV1"`` (future estimators may add e.g. ``"bootstrap"``).
    cluster : str or None
        Cluster column, if clustered.
    n_clusters : int or None
        Number of clusters, if clustered.
    df : float or None
        Degrees of freedom of the Student t reference distribution; None means standard normal.
    ssc_k : int or None
        Number of parameters K in the small-sample factor (n - 1) / (n - K), if one was applied.
    """

    vcov_type: str
    cluster: str | None = None
    n_clusters: int | None = None
    df: float | None = None
    ssc_k: int | None = None

    @property
    def distribution(self) -> str:
        """``"t"`` or ``"normal"``: the reference distribution of the test statistics."""
        return "normal" if self.df is None else "t"

    def describe(self) -> str:
        """One line saying how standard errors and p-values were computed."""
        if self.vcov_type == "CRV1":
            head = f"CRV1 clustered by {self.cluster} ({self.n_clusters:,} clusters)"
        elif self.vcov_type == "hetero":
            head = "heteroskedasticity-robust (HC1)"
        elif self.vcov_type == "iid":
            head = "iid"
        else:
            head = self.vcov_type
        reference = "standard normal" if self.df is None else f"Student t, {self.df:g} df"
        return f"{head}; p-values and intervals: {reference}"


@dataclass(frozen=True, kw_only=True)
class SampleInfo:
    """Who was in the estimation sample.

    Attributes
    ----------
    n_obs : int
        Rows used.
    n_units, n_periods : int
        Distinct units and periods used.
    n_dropped : int
        Input rows dropped before estimation (missing outcome, covariate or cluster value).
    n_treated_units : int
        Units observed at least once on or after their first treated period.
    n_never_treated_units : int
        Units whose cohort is 0 / NaN.
    """

    n_obs: int
    n_units: int
    n_periods: int
    n_dropped: int = 0
    n_treated_units: int = 0
    n_never_treated_units: int = 0


@dataclass(frozen=True, kw_only=True)
class Provenance:
    """Where the numbers came from.

    Attributes
    ----------
    package_version : str
        ``ylt_eval`` version that produced the result.
    data_signature : str
        SHA-256 of the estimation sample in canonical (sorted) order: equal signatures mean the
        same numbers went in, whatever the row order of the input.
    """

    package_version: str
    data_signature: str


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


def _frozen_vector(values: ArrayLike | None, size: int, name: str) -> NDArray[np.float64]:
    """Copy to a read-only float vector of the expected length (NaN-filled if None)."""
    if values is None:
        array = np.full(size, np.nan)
    else:
        array = np.array(values, dtype=np.float64, copy=True).reshape(-1)
    if array.shape != (size,):
        raise ValueError(f"{name} has {array.shape[0]} entries, expected {size}")
    array.setflags(write=False)
    return array


@dataclass(frozen=True, kw_only=True, eq=False)
class EstimationResult:
    """Base class of all estimation results: named estimates plus everything to read them.

    Arrays are copied and made read-only on construction; mappings are wrapped read-only.

    Attributes
    ----------
    config : EstimatorConfig
        Settings used (a frozen dataclass specific to the estimator).
    terms : tuple of str
        Names of the estimates, e.g. ``"post"`` or ``"event_time::-2"``.
    estimates : numpy.ndarray
        Point estimates, one per term.
    vcov : numpy.ndarray or None
        Covariance matrix of the estimates (None when inference does not produce one).
    std_errors : numpy.ndarray
        Standard errors; taken from ``sqrt(diag(vcov))`` when not given.
    group, time : numpy.ndarray
        Cohort and period (or event time) each estimate refers to; NaN where not applicable.
    inference : Inference
        How standard errors, intervals and p-values were obtained.
    sample : SampleInfo
        Who was in the estimation sample.
    provenance : Provenance
        Package version and data signature.
    fit_statistics : Mapping[str, float]
        Estimator-specific statistics reported by :meth:`glance` (e.g. within R²).
    notes : tuple of str
        Things a reader must know (rows dropped, covariates absorbed by fixed effects, ...).
    """

    #: Short machine name of the estimator, reported by :meth:`glance`.
    ESTIMATOR: ClassVar[str] = "estimator"
    #: Human title used by :meth:`summary`.
    TITLE: ClassVar[str] = "Estimation result"

    config: EstimatorConfig
    terms: tuple[str, ...]
    estimates: NDArray[np.float64]
    vcov: NDArray[np.float64] | None = None
    std_errors: NDArray[np.float64] | None = None
    group: NDArray[np.float64] | None = None
    time: NDArray[np.float64] | None = None
    inference: Inference
    sample: SampleInfo
    provenance: Provenance
    fit_statistics: Mapping[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        terms = tuple(str(term) for term in self.terms)
        k = len(terms)
        if len(set(terms)) != k:
            raise ValueError("terms must be unique")
        estimates = _frozen_vector(self.estimates, k, "estimates")
        vcov = None
        if self.vcov is not None:
            vcov = np.array(self.vcov, dtype=np.float64, copy=True)
            if vcov.shape != (k, k):
                raise ValueError(f"vcov has shape {vcov.shape}, expected {(k, k)}")
            vcov.setflags(write=False)
        if self.std_errors is None:
            if vcov is None:
                raise ValueError("give std_errors or vcov")
            std_errors = _frozen_vector(np.sqrt(np.diag(vcov)), k, "std_errors")
        else:
            std_errors = _frozen_vector(self.std_errors, k, "std_errors")
        # Frozen dataclass: normalised copies replace the inputs exactly once, here.
        object.__setattr__(self, "terms", terms)
        object.__setattr__(self, "estimates", estimates)
        object.__setattr__(self, "vcov", vcov)
        object.__setattr__(self, "std_errors", std_errors)
        object.__setattr__(self, "group", _frozen_vector(self.group, k, "group"))
        object.__setattr__(self, "time", _frozen_vector(self.time, k, "time"))
        object.__setattr__(self, "notes", tuple(self.notes))
        statistics = {str(key): float(value) for key, value in self.fit_statistics.items()}
        object.__setattr__(self, "fit_statistics", MappingProxyType(statistics))

    # -- convenience ---------------------------------------------------------------------

    @property
    def n_obs(self) -> int:
        """Number of observations used."""
        return self.sample.n_obs

    @property
    def n_clusters(self) -> int | None:
        """Number of clusters (None unless inference is clustered)."""
        return self.inference.n_clusters

    def estimate_of(self, term: str) -> float:
        """Point estimate of one term.

        Parameters
        ----------
        term : str
            A name from :attr:`terms`.
        """
        return float(self.estimates[self._index(term)])

    def std_error_of(self, term: str) -> float:
        """Standard error of one term.

        Parameters
        ----------
        term : str
            A name from :attr:`terms`.
        """
        return float(self.std_errors[self._index(term)])

    def _index(self, term: str) -> int:
        try:
            return self.terms.index(term)
        except ValueError:
            raise ParameterError(
                f"unknown term {term!r}; this result has: {', '.join(self.terms)}"
            ) from None

    # -- read-outs -----------------------------------------------------------------------

    def tidy(self, conf_level: float = 0.95) -> pd.DataFrame:
        """One row per estimate.

        Intervals are ``estimate ± q * std_error`` and p-values two-sided, with ``q`` the
        quantile of the reference distribution in :attr:`inference`: Student t with
        ``inference.df`` degrees of freedom when ``df`` is set, standard normal otherwise.
        Fixed-effects OLS follows fixest: t with G - 1 df for clustered (CRV1) standard
        errors, t with n - K df for iid and heteroskedasticity-robust ones.

        Parameters
        ----------
        conf_level : float, default 0.95
            Coverage of the confidence intervals, strictly between 0 and 1.

        Returns
        -------
        pandas.DataFrame
            Columns ``term, group, time, estimate, std_error, conf_low, conf_high, p_value``;
            ``time`` holds the event time for event studies; ``group`` and ``time`` are NaN
            where they do not apply.
        """
        if isinstance(conf_level, bool) or not 0.0 < float(conf_level) < 1.0:
            raise ParameterError(f"conf_level must be strictly between 0 and 1, got {conf_level}")
        reference = stats.norm if self.inference.df is None else stats.t(self.inference.df)
        quantile = reference.ppf(0.5 + float(conf_level) / 2.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            statistic = self.estimates / self.std_errors
        p_value = 2.0 * reference.sf(np.abs(statistic))
        return pd.DataFrame(
            {
                "term": pd.Series(self.terms, dtype="string"),
                "group": np.array(self.group),
                "time": np.array(self.time),
                "estimate": np.array(self.estimates),
                "std_error": np.array(self.std_errors),
                "conf_low": self.estimates - quantile * self.std_errors,
                "conf_high": self.estimates + quantile * self.std_errors,
                "p_value": p_value,
            },
            columns=list(TIDY_COLUMNS),
        )

    def glance(self) -> pd.DataFrame:
        """One row describing the fit.

        Returns
        -------
        pandas.DataFrame
            ``estimator, n_obs, n_units, n_periods, n_clusters, vcov, cluster, df, n_dropped,
            n_treated_units, n_never_treated_units`` followed by the entries of
            :attr:`fit_statistics`. Missing integers are ``<NA>``, missing floats NaN.
        """
        row: dict[str, Any] = {
            "estimator": self.ESTIMATOR,
            "n_obs": self.sample.n_obs,
            "n_units": self.sample.n_units,
            "n_periods": self.sample.n_periods,
            "n_clusters": self.inference.n_clusters,
            "vcov": self.inference.vcov_type,
            "cluster": self.inference.cluster,
            "df": math.nan if self.inference.df is None else float(self.inference.df),
            "n_dropped": self.sample.n_dropped,
            "n_treated_units": self.sample.n_treated_units,
            "n_never_treated_units": self.sample.n_never_treated_units,
        }
        row.update(self.fit_statistics)
        frame = pd.DataFrame([row])
        frame["n_clusters"] = frame["n_clusters"].astype("Int64")
        frame["estimator"] = frame["estimator"].astype("string")
        frame["vcov"] = frame["vcov"].astype("string")
        frame["cluster"] = frame["cluster"].astype("string")
        return frame

    def summary(self, conf_level: float = 0.95) -> str:
        """Plain-text summary (returned, not printed).

        Parameters
        ----------
        conf_level : float, default 0.95
            Coverage of the intervals shown.
        """
        panel = self.config.panel
        sample = self.sample
        lines = [
            self.TITLE,
            "=" * len(self.TITLE),
            f"Outcome: {panel.yname}   Unit: {panel.idname}   Period: {panel.tname}   "
            f"Cohort: {panel.gname}",
        ]
        if panel.covariates:
            lines.append(f"Covariates: {', '.join(panel.covariates)}")
        lines.extend(self._summary_header_lines())
        lines.append(
            f"Observations: {sample.n_obs:,} (dropped {sample.n_dropped:,})   "
            f"Units: {sample.n_units:,} ({sample.n_treated_units:,} treated, "
            f"{sample.n_never_treated_units:,} never treated)   Periods: {sample.n_periods:,}"
        )
        lines.append(f"Standard errors: {self.inference.describe()}")
        for name, value in self.fit_statistics.items():
            lines.append(f"{name}: {value:.6g}")
        lines.append("")
        table = self.tidy(conf_level).drop(columns=["group", "time"]).set_index("term")
        lines.append(table.to_string(float_format=lambda value: f"{value:.6g}"))
        if self.notes:
            lines.append("")
            lines.append("Notes:")
            lines.extend(f"- {note}" for note in self.notes)
        return "\n".join(lines)

    def _summary_header_lines(self) -> list[str]:
        """Estimator-specific lines for :meth:`summary` (override in subclasses)."""
        return []


@dataclass(frozen=True, kw_only=True, eq=False)
class TwfeResult(EstimationResult):
    """Static two-way fixed effects: ``y ~ post | unit + period`` (one term, ``"post"``)."""

    ESTIMATOR: ClassVar[str] = "twfe"
    TITLE: ClassVar[str] = "Two-way fixed effects (static)"

    config: TwfeConfig

    def _summary_header_lines(self) -> list[str]:
        panel = self.config.panel
        return [
            f"Fixed effects: {panel.idname} + {panel.tname}   "
            f"post = 1[{panel.gname} > 0 and {panel.tname} >= {panel.gname}]"
        ]


@dataclass(frozen=True, kw_only=True, eq=False)
class EventStudyResult(EstimationResult):
    """Dynamic two-way fixed effects: relative-time dummies ``event_time::e``.

    ``time`` holds the event time of each term; ``group`` is NaN.
    """

    ESTIMATOR: ClassVar[str] = "twfe_event_study"
    TITLE: ClassVar[str] = "Two-way fixed effects event study"

    config: EventStudyConfig

    @property
    def event_times(self) -> NDArray[np.int64]:
        """Event times of the estimated terms (the reference times excluded)."""
        return self.time.astype(np.int64)

    def _summary_header_lines(self) -> list[str]:
        config = self.config
        refs = ", ".join(str(ref) for ref in config.ref)
        bins = []
        if config.min_e is not None:
            bins.append(f"event times <= {config.min_e} pooled")
        if config.max_e is not None:
            bins.append(f"event times >= {config.max_e} pooled")
        line = (
            f"Fixed effects: {config.panel.idname} + {config.panel.tname}   "
            f"reference event time(s): {refs}"
        )
        if bins:
            line += "   " + "; ".join(bins)
        return [line]
