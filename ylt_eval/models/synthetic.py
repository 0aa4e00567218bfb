"""One treated unit: synthetic difference-in-differences and synthetic control, with placebos.

A county report asks what the consortium reform did in *that* county. With one treated unit the
comparison is a weighted combination of other counties (the donors):

- :func:`synthetic_did` — synthetic difference-in-differences (Arkhangelsky et al. 2021), and
  with ``method="sc"`` / ``"did"`` the synthetic-control and difference-in-differences
  estimators of R ``synthdid`` (``sc_estimate``, ``did_estimate``). Weights are computed exactly
  as ``synthdid`` 0.0.9 computes them (Frank-Wolfe, same regularisation and stopping rule), so
  the numbers match R to rounding error.
- :func:`synthetic_did_many` — the same for many treated counties at once (one report per county
  of a province): all fits and all placebo re-fits are solved together, vectorised.
- :func:`synthetic_control` — the classic synthetic control of Abadie & Gardeazabal (2003) and
  Abadie, Diamond & Hainmueller (2010) with predictors and data-driven predictor weights V.

Inference is by in-space placebos (``placebo=True``): every donor in turn is treated as if it
had been reformed at the same time, with the remaining donors as its comparison pool, and the
estimator is re-run. The result reports

- the placebo distribution of effects (:meth:`SyntheticResult.placebo_table`,
  :meth:`SyntheticResult.placebo_effects`);
- rank-based (permutation) p-values: the share of units, the treated one included, whose
  absolute effect is at least the treated unit's (``tidy()["p_value"]``, per period and
  overall);
- Abadie et al.'s (2010) ranking of the post/pre RMSPE ratio (``glance()["p_value_rmspe_ratio"]``);
- the placebo standard error of Arkhangelsky et al.'s Algorithm 4 (R
  ``vcov(method = "placebo")``). R draws 200 random placebo units; with one treated unit each
  draw is one of the donors, so by default the standard error is computed from all donors at
  once (the limit R's random draws approach); ``se_replications`` reproduces the random draws
  with a seeded generator instead. Intervals are ``estimate ± z × SE`` as in R.

Pre-treatment fit is stated in every result: RMSPE over the pre-treatment periods and the share
of the treated unit's pre-treatment variance the synthetic path explains. Results are immutable;
input data are never modified; row order does not matter.

References
----------
Abadie, A. and Gardeazabal, J. (2003), "The Economic Costs of Conflict: A Case Study of the
Basque Country", American Economic Review 93(1), 113-132.
Abadie, A., Diamond, A. and Hainmueller, J. (2010), "Synthetic Control Methods for Comparative
Case Studies", Journal of the American Statistical Association 105(490), 493-505.
Arkhangelsky, D., Athey, S., Hirshberg, D. A., Imbens, G. W. and Wager, S. (2021), "Synthetic
Difference-in-Differences", American Economic Review 111(12), 4088-4118.
"""

from __future__ import annotations

import difflib
import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ylt_eval.errors import DataValidationError, EstimationError, ParameterError
from ylt_eval.models._synth_weights import (
    SDID_METHODS,
    SdidProblem,
    SynthFit,
    noise_level,
    outcome_weights,
    scale_predictors,
    sdid_settings,
    solve_sdid_problems,
    synth_weights,
)
from ylt_eval.models.results import (
    EstimationResult,
    EstimatorConfig,
    Inference,
    PanelSpec,
    Provenance,
    SampleInfo,
)

#: Term of the overall effect (average over the post-treatment periods).
OVERALL_TERM = "att"
#: Prefix of the per-period terms: ``effect::2019``.
EFFECT_TERM_PREFIX = "effect::"
#: Method name of :func:`synthetic_control` in results.
SYNTH_METHOD = "synth"
#: Search strategies for the predictor weights V of :func:`synthetic_control`.
V_SEARCHES = ("synth", "multistart")

_METHOD_TITLES = {
    "sdid": "Synthetic difference-in-differences (Arkhangelsky et al. 2021)",
    "sc": "Synthetic control, synthdid variant (no intercept, no time weights)",
    "did": "Difference-in-differences (uniform weights)",
    SYNTH_METHOD: "Synthetic control (Abadie, Diamond & Hainmueller 2010)",
}
_MAX_EXAMPLES = 5


# --------------------------------------------------------------------------------------------
# Settings and results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SyntheticConfig(EstimatorConfig):
    """Settings of a synthetic DiD / synthetic control fit.

    ``panel.gname`` is empty: the treated unit and its treatment time are given directly.

    Attributes
    ----------
    method : str
        ``"sdid"``, ``"sc"``, ``"did"`` (:func:`synthetic_did`) or ``"synth"``
        (:func:`synthetic_control`).
    treated_unit : object
        Label of the treated unit.
    treatment_time : float
        First treated period.
    donors : tuple
        Labels of the donor (comparison) units, sorted.
    placebo : bool
        Whether in-space placebo inference was run.
    se_replications : int or None
        Random placebo draws for the standard error; None means all donors (exact limit).
    seed : int or None
        Seed of those draws.
    predictors : tuple of str
        Predictor labels (:func:`synthetic_control` only).
    fit_periods : tuple of float
        Periods whose outcome fit chooses V (:func:`synthetic_control` only).
    v_search : str or None
        Search strategy for V (:func:`synthetic_control` only).
    """

    method: str
    treated_unit: Any
    treatment_time: float
    donors: tuple[Any, ...]
    placebo: bool
    se_replications: int | None = None
    seed: int | None = None
    predictors: tuple[str, ...] = ()
    fit_periods: tuple[float, ...] = ()
    v_search: str | None = None


@dataclass(frozen=True, kw_only=True, eq=False)
class PlaceboInference:
    """In-space placebo re-fits: every donor treated as if it had been reformed.

    Arrays are read-only. Units are in the order of :attr:`units`.

    Attributes
    ----------
    units : numpy.ndarray
        Labels of the placebo units (the donors).
    estimates : numpy.ndarray
        (J,) overall placebo effect of each unit.
    effects : numpy.ndarray
        (J, T) placebo effect (gap to its synthetic path) of each unit in every period.
    pre_rmspe, post_rmspe : numpy.ndarray
        (J,) root mean squared gap before / after the treatment time.
    standard_error : float
        Placebo standard error of the overall effect.
    period_standard_errors : numpy.ndarray
        (T1,) placebo standard errors of the per-period effects.
    p_value : float
        Share of all units (treated included) whose absolute overall effect is at least the
        treated unit's.
    period_p_values : numpy.ndarray
        (T1,) the same per post-treatment period.
    rmspe_ratio_p_value : float
        Share of all units whose post/pre RMSPE ratio is at least the treated unit's.
    rmspe_ratio_rank : int
        Rank of the treated unit's ratio (1 = largest).
    """

    units: NDArray[np.object_]
    estimates: NDArray[np.float64]
    effects: NDArray[np.float64]
    pre_rmspe: NDArray[np.float64]
    post_rmspe: NDArray[np.float64]
    standard_error: float
    period_standard_errors: NDArray[np.float64]
    p_value: float
    period_p_values: NDArray[np.float64]
    rmspe_ratio_p_value: float
    rmspe_ratio_rank: int

    def __post_init__(self) -> None:
        for name in (
            "estimates",
            "effects",
            "pre_rmspe",
            "post_rmspe",
            "period_standard_errors",
            "period_p_values",
        ):
            object.__setattr__(self, name, _read_only(getattr(self, name)))
        object.__setattr__(self, "units", _read_only(self.units, object))


@dataclass(frozen=True, kw_only=True, eq=False)
class SyntheticResult(EstimationResult):
    """Effect of a reform on one treated unit, with its synthetic comparison path.

    Terms are ``"att"`` (average effect over the post-treatment periods) and ``"effect::<t>"``
    for every post-treatment period ``t``; ``group`` holds the treatment time and ``time`` the
    period. Standard errors are placebo standard errors (NaN without placebos); ``tidy()``'s
    ``p_value`` column holds the rank-based placebo p-values (see the module docstring), its
    intervals are normal (``estimate ± z × SE``, as R ``synthdid``).

    The synthetic path is ``sum_j w_j Y_jt + offset`` with donor weights ``w`` and, for
    synthetic DiD and DiD, the constant ``offset = sum_s lambda_s (Y_treated,s - sum_j w_j
    Y_js)`` over the pre-treatment periods ``s`` (time weights ``lambda``); the per-period
    effects are the gaps to it and their post-treatment mean is the ``"att"``.

    Attributes
    ----------
    config : SyntheticConfig
        Settings used.
    donor_labels : numpy.ndarray
        Donor units, sorted.
    unit_weight_values : numpy.ndarray
        Donor weights (non-negative, summing to one), in the order of :attr:`donor_labels`.
    periods : numpy.ndarray
        All periods of the panel, increasing.
    n_pre : int
        Number of pre-treatment periods (the first ``n_pre`` of :attr:`periods`).
    time_weight_values : numpy.ndarray
        Time weights lambda over the pre-treatment periods (zero: no offset).
    treated_path, synthetic_path : numpy.ndarray
        Outcome of the treated unit and of its synthetic comparison, every period.
    placebo : PlaceboInference or None
        Placebo re-fits, None when not requested.
    predictor_names : tuple of str
        Predictors (:func:`synthetic_control` with predictors only).
    predictor_weights : numpy.ndarray
        V, one weight per predictor, summing to one.
    predictor_values : numpy.ndarray
        (k, 3): treated value, synthetic value, donor mean of each predictor (unscaled).
    """

    ESTIMATOR: ClassVar[str] = "synthetic"
    TITLE: ClassVar[str] = "Synthetic comparison for one treated unit"

    config: SyntheticConfig
    donor_labels: NDArray[np.object_]
    unit_weight_values: NDArray[np.float64]
    periods: NDArray[np.float64]
    n_pre: int
    time_weight_values: NDArray[np.float64]
    treated_path: NDArray[np.float64]
    synthetic_path: NDArray[np.float64]
    placebo: PlaceboInference | None = None
    predictor_names: tuple[str, ...] = ()
    predictor_weights: NDArray[np.float64] | None = None
    predictor_values: NDArray[np.float64] | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in (
            "unit_weight_values",
            "periods",
            "time_weight_values",
            "treated_path",
            "synthetic_path",
        ):
            object.__setattr__(self, name, _read_only(getattr(self, name)))
        object.__setattr__(self, "donor_labels", _read_only(self.donor_labels, object))
        k = len(self.predictor_names)
        weights = np.empty(0) if self.predictor_weights is None else self.predictor_weights
        values = np.empty((0, 3)) if self.predictor_values is None else self.predictor_values
        object.__setattr__(self, "predictor_weights", _read_only(weights).reshape(k))
        object.__setattr__(self, "predictor_values", _read_only(values).reshape(k, 3))
        object.__setattr__(self, "predictor_names", tuple(self.predictor_names))

    # -- read-outs -----------------------------------------------------------------------

    @property
    def method(self) -> str:
        """``"sdid"``, ``"sc"``, ``"did"`` or ``"synth"``."""
        return self.config.method

    @property
    def att(self) -> float:
        """Average effect over the post-treatment periods."""
        return self.estimate_of(OVERALL_TERM)

    @property
    def unit_weights(self) -> pd.Series:
        """Donor weights (a new Series indexed by donor label)."""
        return pd.Series(
            np.array(self.unit_weight_values),
            index=pd.Index(list(self.donor_labels), name=self.config.panel.idname),
            name="weight",
        )

    @property
    def time_weights(self) -> pd.Series:
        """Time weights lambda of the pre-treatment periods (a new Series)."""
        return pd.Series(
            np.array(self.time_weight_values),
            index=pd.Index(self.periods[: self.n_pre], name=self.config.panel.tname),
            name="weight",
        )

    @property
    def effects(self) -> NDArray[np.float64]:
        """Gap between the treated and the synthetic path in every period (a new array)."""
        return self.treated_path - self.synthetic_path

    def path(self) -> pd.DataFrame:
        """Treated and synthetic outcome in every period.

        Returns
        -------
        pandas.DataFrame
            Columns ``time, treated, synthetic, effect, post``.
        """
        return pd.DataFrame(
            {
                "time": np.array(self.periods),
                "treated": np.array(self.treated_path),
                "synthetic": np.array(self.synthetic_path),
                "effect": self.effects,
                "post": np.arange(self.periods.size) >= self.n_pre,
            }
        )

    def placebo_table(self) -> pd.DataFrame:
        """One row per unit (treated first, then placebos): overall effect and fit.

        Returns
        -------
        pandas.DataFrame
            Columns ``unit, treated, estimate, pre_rmspe, post_rmspe, rmspe_ratio,
            ratio_rank`` (rank 1 = largest ratio).

        Raises
        ------
        ParameterError
            The fit was run without placebos.
        """
        placebo = self._require_placebo()
        stats = self.fit_statistics
        units = [self.config.treated_unit, *placebo.units.tolist()]
        pre = np.concatenate([[stats["pre_rmspe"]], placebo.pre_rmspe])
        post = np.concatenate([[stats["post_rmspe"]], placebo.post_rmspe])
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = post / pre
        return pd.DataFrame(
            {
                "unit": pd.Series(units, dtype=object),
                "treated": np.arange(len(units)) == 0,
                "estimate": np.concatenate([[self.att], placebo.estimates]),
                "pre_rmspe": pre,
                "post_rmspe": post,
                "rmspe_ratio": ratio,
                "ratio_rank": pd.Series(-ratio).rank(method="min").astype("Int64").to_numpy(),
            }
        )

    def placebo_effects(self) -> pd.DataFrame:
        """Per-period effects of the treated unit and of every placebo unit, long format.

        Returns
        -------
        pandas.DataFrame
            Columns ``unit, treated, time, effect, post``.
        """
        placebo = self._require_placebo()
        n_periods = self.periods.size
        units = [self.config.treated_unit, *placebo.units.tolist()]
        effects = np.vstack([self.effects[None, :], placebo.effects])
        return pd.DataFrame(
            {
                "unit": pd.Series(np.repeat(np.array(units, dtype=object), n_periods)),
                "treated": np.repeat(np.arange(len(units)) == 0, n_periods),
                "time": np.tile(self.periods, len(units)),
                "effect": effects.ravel(),
                "post": np.tile(np.arange(n_periods) >= self.n_pre, len(units)),
            }
        )

    def predictor_balance(self) -> pd.DataFrame:
        """Predictor weights and predictor values of treated, synthetic and average donor.

        Returns
        -------
        pandas.DataFrame
            Columns ``predictor, v_weight, treated, synthetic, donor_mean`` (empty without
            predictors).
        """
        values = self.predictor_values
        return pd.DataFrame(
            {
                "predictor": pd.Series(self.predictor_names, dtype="string"),
                "v_weight": np.array(self.predictor_weights),
                "treated": values[:, 0],
                "synthetic": values[:, 1],
                "donor_mean": values[:, 2],
            }
        )

    def tidy(self, conf_level: float = 0.95) -> pd.DataFrame:
        """One row per term; ``p_value`` is the rank-based placebo p-value.

        Parameters
        ----------
        conf_level : float, default 0.95
            Coverage of the normal intervals ``estimate ± z × placebo SE``.

        Returns
        -------
        pandas.DataFrame
            Columns ``term, group, time, estimate, std_error, conf_low, conf_high, p_value``;
            standard errors, intervals and p-values are NaN without placebos.
        """
        frame = super().tidy(conf_level)
        if self.placebo is None:
            frame["p_value"] = np.nan
        else:
            frame["p_value"] = np.concatenate(
                [[self.placebo.p_value], self.placebo.period_p_values]
            )
        return frame

    def glance(self) -> pd.DataFrame:
        """One row: the common columns, ``method, treated_unit`` and the fit statistics.

        Returns
        -------
        pandas.DataFrame
            Includes ``n_donors, n_pre_periods, n_post_periods, treatment_time, estimate,
            std_error, p_value, p_value_rmspe_ratio, pre_rmspe, post_rmspe, rmspe_ratio,
            pre_r2`` (share of the treated unit's pre-treatment variance explained).
        """
        frame = super().glance()
        frame.insert(1, "method", pd.Series([self.method], dtype="string"))
        frame.insert(2, "treated_unit", pd.Series([str(self.config.treated_unit)], dtype="string"))
        return frame

    def summary(self, conf_level: float = 0.95) -> str:
        """Plain-text summary (returned, not printed).

        Parameters
        ----------
        conf_level : float, default 0.95
            Coverage of the intervals shown.
        """
        config = self.config
        stats = self.fit_statistics
        title = _METHOD_TITLES[config.method]
        lines = [
            title,
            "=" * len(title),
            f"Outcome: {config.panel.yname}   Unit: {config.panel.idname}   "
            f"Period: {config.panel.tname}",
            f"Treated unit: {config.treated_unit}   treated from {config.treatment_time:g}   "
            f"pre-treatment periods: {self.n_pre}   post-treatment periods: "
            f"{self.periods.size - self.n_pre}   donors: {len(config.donors)}",
            f"Pre-treatment fit: RMSPE {stats['pre_rmspe']:.6g}, share of pre-treatment "
            f"variance explained {stats['pre_r2']:.4f}",
        ]
        weights = self.unit_weights.sort_values(ascending=False)
        weights = weights[weights > 0]
        shown = ", ".join(f"{label} {value:.4f}" for label, value in weights.head(10).items())
        more = f" (+{weights.size - 10} more)" if weights.size > 10 else ""
        lines.append(f"Donor weights: {shown}{more}")
        if self.predictor_names:
            lines.append(
                "Predictor weights V: "
                + ", ".join(
                    f"{name} {value:.4f}"
                    for name, value in zip(
                        self.predictor_names, self.predictor_weights, strict=True
                    )
                )
            )
        if self.placebo is None:
            lines.append("Inference: none (run with placebo=True for placebo inference)")
        else:
            draws = (
                "all donors"
                if config.se_replications is None
                else f"{config.se_replications} random draws, seed {config.seed}"
            )
            lines.append(
                f"Inference: in-space placebos over {self.placebo.units.size} donors; "
                f"standard errors from the placebo distribution ({draws}), normal intervals; "
                "p-values: rank of |effect| among all units"
            )
            lines.append(
                f"Post/pre RMSPE ratio: rank {self.placebo.rmspe_ratio_rank} of "
                f"{self.placebo.units.size + 1}, p-value {self.placebo.rmspe_ratio_p_value:.4f}"
            )
        lines.append("")
        table = self.tidy(conf_level).drop(columns=["group", "time"]).set_index("term")
        lines.append(table.to_string(float_format=lambda value: f"{value:.6g}"))
        if self.notes:
            lines.append("")
            lines.append("Notes:")
            lines.extend(f"- {note}" for note in self.notes)
        return "\n".join(lines)

    def _require_placebo(self) -> PlaceboInference:
        if self.placebo is None:
            raise ParameterError("this result has no placebo fits; estimate with placebo=True")
        return self.placebo


# --------------------------------------------------------------------------------------------
# Public estimators
# --------------------------------------------------------------------------------------------


def synthetic_did(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    treated_unit: Any,
    treatment_time: float,
    *,
    donors: Sequence[Any] | None = None,
    method: str = "sdid",
    placebo: bool = True,
    se_replications: int | None = None,
    seed: int | None = None,
) -> SyntheticResult:
    """Synthetic difference-in-differences for one treated unit (R ``synthdid``).

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel, one row per unit × period; the outcome must be observed for the treated
        unit and every donor in every period (balanced). Not modified; row order is
        irrelevant.
    yname : str
        Outcome column (numeric).
    tname : str
        Period column (whole numbers, e.g. years).
    idname : str
        Unit column (county code; text or numbers).
    treated_unit : object
        Label of the treated unit in ``idname``.
    treatment_time : int or float
        First treated period: periods before it are pre-treatment (at least two needed), it
        and later ones post-treatment.
    donors : sequence, optional
        Comparison units; default every other unit in ``data``. Units treated during the
        panel should not be donors: leave them out of ``data`` or list the clean ones here.
    method : {"sdid", "sc", "did"}, default "sdid"
        ``"sdid"``: ``synthdid_estimate`` (unit weights with intercept and ridge penalty
        ``zeta = (T_post)^(1/4) × noise``, time weights with intercept and penalty
        ``1e-6 × noise``); ``"sc"``: ``sc_estimate`` (unit weights without intercept and
        penalty ``1e-6 × noise``, no time weights); ``"did"``: ``did_estimate`` (uniform
        weights). ``noise`` is the standard deviation of the donors' pre-treatment first
        differences.
    placebo : bool, default True
        Run in-space placebos (every donor as if treated) for standard errors and p-values.
    se_replications : int, optional
        Draw this many random placebo units (with replacement) for the standard error, as R
        ``vcov(method = "placebo", replications = ...)`` does; default: all donors (the exact
        limit of those draws).
    seed : int, optional
        Seed of the draws.

    Returns
    -------
    SyntheticResult

    Raises
    ------
    ParameterError
        Unknown column or method, bad ``treatment_time``, ``donors`` or ``se_replications``.
    DataValidationError
        Treated unit not in the data, unbalanced panel, missing or non-numeric outcome,
        duplicated unit × period rows.
    EstimationError
        Fewer than two pre-treatment periods, no post-treatment period, fewer than two donors.
    """
    results = synthetic_did_many(
        data,
        yname,
        tname,
        idname,
        {treated_unit: treatment_time},
        # As a mapping, the list is taken as given (a treated unit listed is an error).
        donors=None if donors is None else {treated_unit: donors},
        method=method,
        placebo=placebo,
        se_replications=se_replications,
        seed=seed,
    )
    return next(iter(results.values()))


def synthetic_did_many(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    treatments: Mapping[Any, float],
    *,
    donors: Sequence[Any] | Mapping[Any, Sequence[Any]] | None = None,
    method: str = "sdid",
    placebo: bool = True,
    se_replications: int | None = None,
    seed: int | None = None,
) -> dict[Any, SyntheticResult]:
    """:func:`synthetic_did` for many treated units at once (one county report each).

    Each treated unit is estimated separately, with its own donors, exactly as
    :func:`synthetic_did` would; the fits and all their placebo re-fits are solved together,
    which is much faster than one call per unit.

    Parameters
    ----------
    data, yname, tname, idname
        As for :func:`synthetic_did`.
    treatments : mapping
        Treated unit label -> treatment time.
    donors : sequence or mapping, optional
        One donor pool for every treated unit (each unit is left out of its own pool), a
        mapping treated unit -> donors, or None for every other unit in ``data``.
    method, placebo, se_replications, seed
        As for :func:`synthetic_did`.

    Returns
    -------
    dict
        Treated unit -> :class:`SyntheticResult`, in the order of ``treatments``.
    """
    if method not in SDID_METHODS:
        raise ParameterError(f"method must be one of {', '.join(SDID_METHODS)}, got {method!r}")
    placebo = _check_flag(placebo, "placebo")
    se_replications = _check_replications(se_replications)
    seed = _check_seed(seed)
    if not isinstance(treatments, Mapping) or not treatments:
        raise ParameterError(
            "treatments must be a non-empty mapping {treated unit: treatment time}, "
            f"got {treatments!r}"
        )
    panel = _outcome_panel(data, yname, tname, idname)
    designs = [
        _design(panel, unit, time, _donors_for(donors, unit), min_pre=2)
        for unit, time in treatments.items()
    ]
    fits = _fit_sdid_designs(panel, designs, method, placebo)
    spec = PanelSpec(yname=yname, tname=tname, idname=idname, gname="")
    results: dict[Any, SyntheticResult] = {}
    for design, fit in zip(designs, fits, strict=True):
        config = SyntheticConfig(
            panel=spec,
            vcov="placebo" if placebo else "none",
            cluster=None,
            method=method,
            treated_unit=design.treated_label,
            treatment_time=design.treatment_time,
            donors=tuple(panel.labels[design.donors].tolist()),
            placebo=placebo,
            se_replications=se_replications,
            seed=seed,
        )
        results[design.treated_label] = _build_result(panel, design, fit, config)
    return results


def synthetic_control(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    treated_unit: Any,
    treatment_time: float,
    *,
    predictors: Sequence[str | tuple[str, Iterable[float]]] | None = None,
    donors: Sequence[Any] | None = None,
    predictor_periods: Iterable[float] | None = None,
    fit_periods: Iterable[float] | None = None,
    v_search: str = "synth",
    placebo: bool = True,
    se_replications: int | None = None,
    seed: int | None = None,
) -> SyntheticResult:
    """Classic synthetic control (Abadie & Gardeazabal 2003; Abadie, Diamond & Hainmueller 2010).

    Donor weights W (non-negative, summing to one) make the synthetic unit's predictors close
    to the treated unit's in the metric V; V (diagonal, summing to one) is chosen so that the
    synthetic outcome path fits the treated one best over ``fit_periods``, searched as R
    ``Synth`` does and then refined (see :func:`ylt_eval.models._synth_weights.synth_weights`).
    Predictors are standardised by their standard deviation over treated and donor units.

    Parameters
    ----------
    data, yname, tname, idname, treated_unit, treatment_time
        As for :func:`synthetic_did`; other columns may hold predictors (missing values are
        skipped when averaging).
    predictors : sequence, optional
        Each item is a column name, averaged over ``predictor_periods``, or a pair
        ``(column, periods)`` averaged over its own periods (Synth's "special predictors").
        Default: no predictors, the weights then minimise the pre-treatment outcome gap
        directly.
    donors : sequence, optional
        Comparison units; default every other unit.
    predictor_periods : iterable, optional
        Periods averaged for plain column predictors; default all pre-treatment periods.
    fit_periods : iterable, optional
        Pre-treatment periods whose outcome fit chooses V (Synth's ``time.optimize.ssr``);
        default all pre-treatment periods.
    v_search : {"synth", "multistart"}, default "synth"
        ``"multistart"`` searches V from more starts; it can fit better than R ``Synth`` but
        then no longer reproduces published weights.
    placebo, se_replications, seed
        As for :func:`synthetic_did`; each placebo re-runs the whole V search.

    Returns
    -------
    SyntheticResult
        With :meth:`SyntheticResult.predictor_balance`.

    Raises
    ------
    ParameterError, DataValidationError, EstimationError
        As for :func:`synthetic_did`, plus unknown or constant predictors, predictor periods
        without data, fit periods outside the pre-treatment period.
    """
    if v_search not in V_SEARCHES:
        raise ParameterError(f"v_search must be one of {', '.join(V_SEARCHES)}, got {v_search!r}")
    placebo = _check_flag(placebo, "placebo")
    se_replications = _check_replications(se_replications)
    seed = _check_seed(seed)
    panel = _outcome_panel(data, yname, tname, idname)
    design = _design(panel, treated_unit, treatment_time, donors, min_pre=1)
    pre_periods = panel.periods[: design.n_pre]
    fit_mask = _period_mask(fit_periods, pre_periods, "fit_periods")
    specs = _predictor_specs(data, predictors, predictor_periods, pre_periods, yname, tname, idname)
    units = np.concatenate([[design.treated], design.donors])
    values = _predictor_values(data, specs, panel.labels[units], tname, idname)

    outcomes = panel.outcomes
    fit = _synth_fit(values, outcomes[units][:, : design.n_pre][:, fit_mask], v_search)
    synthetic = fit.weights @ outcomes[design.donors]
    placebo_fits: list[NDArray[np.float64]] = []
    if placebo:
        donor_values = values[:, 1:]
        donor_outcomes = outcomes[design.donors][:, : design.n_pre][:, fit_mask]
        for j in range(design.donors.size):
            others = np.delete(np.arange(design.donors.size), j)
            order = np.concatenate([[j], others])
            placebo_fit = _synth_fit(donor_values[:, order], donor_outcomes[order], v_search)
            placebo_fits.append(placebo_fit.weights @ outcomes[design.donors[others]])
    sdid_like = _Fit(
        omega=fit.weights,
        lambda_=np.zeros(design.n_pre),
        synthetic=synthetic,
        placebo_synthetic=np.array(placebo_fits) if placebo else None,
    )
    config = SyntheticConfig(
        panel=PanelSpec(yname=yname, tname=tname, idname=idname, gname=""),
        vcov="placebo" if placebo else "none",
        cluster=None,
        method=SYNTH_METHOD,
        treated_unit=design.treated_label,
        treatment_time=design.treatment_time,
        donors=tuple(panel.labels[design.donors].tolist()),
        placebo=placebo,
        se_replications=se_replications,
        seed=seed,
        predictors=tuple(spec.label for spec in specs),
        fit_periods=tuple(float(period) for period in pre_periods[fit_mask]),
        v_search=v_search,
    )
    balance = None
    if specs:
        treated_values, donor_values_raw = values[:, 0], values[:, 1:]
        balance = np.column_stack(
            [treated_values, donor_values_raw @ fit.weights, donor_values_raw.mean(axis=1)]
        )
    return _build_result(
        panel,
        design,
        sdid_like,
        config,
        predictor_names=tuple(spec.label for spec in specs),
        predictor_weights=fit.predictor_weights if specs else None,
        predictor_values=balance,
    )


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _OutcomePanel:
    """The outcome as a units × periods matrix (units and periods sorted)."""

    labels: NDArray[np.object_]
    periods: NDArray[np.float64]
    outcomes: NDArray[np.float64]
    observed: NDArray[np.bool_]
    yname: str
    tname: str
    idname: str

    def index_of(self, unit: Any, role: str) -> int:
        matches = np.flatnonzero(self.labels == unit) if self.labels.size else np.empty(0)
        if matches.size == 1:
            return int(matches[0])
        hint = ""
        text = str(unit)
        as_text = [label for label in self.labels if str(label) == text]
        if as_text:
            hint = (
                f" There is a unit {as_text[0]!r} ({type(as_text[0]).__name__}); pass the label "
                f"with the same type as the {self.idname!r} column."
            )
        else:
            close = difflib.get_close_matches(text, [str(label) for label in self.labels], n=3)
            if close:
                hint = f" Close matches: {', '.join(close)}."
        raise DataValidationError(f"{role} {unit!r} is not a unit of column {self.idname!r}.{hint}")


@dataclass(frozen=True, eq=False)
class _Design:
    """One treated unit: its row, donors' rows and the split of the periods."""

    treated: int
    treated_label: Any
    donors: NDArray[np.intp]
    treatment_time: float
    n_pre: int


@dataclass(frozen=True, eq=False)
class _Fit:
    """Numbers of one fit: weights, synthetic path and placebo synthetic paths."""

    omega: NDArray[np.float64]
    lambda_: NDArray[np.float64]
    synthetic: NDArray[np.float64]
    placebo_synthetic: NDArray[np.float64] | None


def _outcome_panel(data: object, yname: str, tname: str, idname: str) -> _OutcomePanel:
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    roles = {"yname": yname, "tname": tname, "idname": idname}
    for role, name in roles.items():
        if not isinstance(name, str) or not name:
            raise ParameterError(f"{role} must be a column name (a non-empty string), got {name!r}")
    if len(set(roles.values())) != len(roles):
        raise ParameterError(f"yname, tname and idname must be three different columns: {roles}")
    _require_columns(data, list(roles.values()))
    if len(data) == 0:
        raise DataValidationError("data has no rows; pass the panel with one row per unit × period")
    for name, role in ((yname, "outcome (yname)"), (tname, "period (tname)")):
        if not pd.api.types.is_numeric_dtype(data[name].dtype) or pd.api.types.is_bool_dtype(
            data[name].dtype
        ):
            examples = data[name].dropna().astype(str).unique()[:3].tolist()
            raise DataValidationError(
                f"{role} column {name!r} must be numeric but has dtype {data[name].dtype} "
                f"(e.g. {examples}); convert it first, e.g. pd.to_numeric(df[{name!r}])."
            )
    time = data[tname].to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isnan(time).any() or not np.all(np.isfinite(time)) or np.any(time != np.round(time)):
        raise DataValidationError(
            f"period column {tname!r} must hold whole numbers such as years, without gaps in "
            "the rows (no missing values)."
        )
    ids = data[idname]
    if ids.isna().any():
        raise DataValidationError(
            f"unit id column {idname!r} has {int(ids.isna().sum())} missing value(s); every "
            "row must say which unit it belongs to."
        )
    try:
        codes, labels = pd.factorize(ids, sort=True)
    except TypeError:
        raise DataValidationError(
            f"unit id column {idname!r} mixes value types (e.g. numbers and text); convert it "
            f"to one type, e.g. df[{idname!r}].astype(str)"
        ) from None
    periods, period_codes = np.unique(time, return_inverse=True)
    keys = codes.astype(np.int64) * periods.size + period_codes
    unique_keys, counts = np.unique(keys, return_counts=True)
    if np.any(counts > 1):
        repeated = unique_keys[counts > 1][:_MAX_EXAMPLES]
        examples = ", ".join(
            f"({labels[key // periods.size]}, {periods[key % periods.size]:g})" for key in repeated
        )
        raise DataValidationError(
            f"{int(np.sum(counts > 1))} ({idname}, {tname}) pair(s) appear on more than one row, "
            f"e.g. {examples}. Keep one row per unit and period."
        )
    y = data[yname].to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isinf(y).any():
        raise DataValidationError(
            f"outcome column {yname!r} has infinite values (often log(0) or a division by "
            "zero); fix them first."
        )
    outcomes = np.full((labels.size, periods.size), np.nan)
    outcomes[codes, period_codes] = y
    return _OutcomePanel(
        labels=np.asarray(labels, dtype=object),
        periods=periods,
        outcomes=outcomes,
        observed=~np.isnan(outcomes),
        yname=yname,
        tname=tname,
        idname=idname,
    )


def _require_columns(data: pd.DataFrame, wanted: Sequence[str]) -> None:
    present = [str(column) for column in data.columns]
    missing = [name for name in dict.fromkeys(wanted) if name not in data.columns]
    if missing:
        hints = []
        for name in missing:
            close = difflib.get_close_matches(str(name), present, n=1)
            hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise ParameterError(
            f"column(s) not found in data: {', '.join(hints)}. "
            f"Available columns: {', '.join(present[:30])}" + (" ..." if len(present) > 30 else "")
        )


def _donors_for(donors: Any, unit: Any) -> Sequence[Any] | None:
    if donors is None:
        return None
    if isinstance(donors, Mapping):
        if unit not in donors:
            raise ParameterError(f"donors has no entry for treated unit {unit!r}")
        return donors[unit]
    return [donor for donor in _as_list(donors, "donors") if not _same_label(donor, unit)]


def _same_label(left: Any, right: Any) -> bool:
    try:
        return bool(left == right)
    except (TypeError, ValueError):
        return False


def _as_list(values: Any, name: str) -> list[Any]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise ParameterError(f"{name} must be a list of unit labels, got {values!r}")
    return list(values)


def _design(
    panel: _OutcomePanel,
    treated_unit: Any,
    treatment_time: Any,
    donors: Sequence[Any] | None,
    *,
    min_pre: int,
) -> _Design:
    treated = panel.index_of(treated_unit, "treated unit")
    if isinstance(treatment_time, bool) or not isinstance(treatment_time, Real):
        raise ParameterError(
            f"treatment_time must be a number (the first treated period), got {treatment_time!r}"
        )
    time = float(treatment_time)
    if not math.isfinite(time):
        raise ParameterError(f"treatment_time must be finite, got {treatment_time!r}")
    if donors is None:
        donor_rows = np.delete(np.arange(panel.labels.size), treated)
    else:
        listed = _as_list(donors, "donors")
        rows = [panel.index_of(donor, "donor") for donor in listed]
        if treated in rows:
            raise ParameterError(
                f"the treated unit {panel.labels[treated]!r} is listed among its own donors"
            )
        if len(set(rows)) != len(rows):
            raise ParameterError("donors lists a unit more than once")
        donor_rows = np.array(sorted(rows), dtype=np.intp)
    if donor_rows.size == 0:
        raise EstimationError(
            f"no donors for {panel.labels[treated]!r}: synthetic methods need comparison units "
            "that were not reformed during the panel."
        )
    if donor_rows.size < 2:
        raise EstimationError(
            f"only one donor for {panel.labels[treated]!r}: at least two comparison units are "
            "needed."
        )
    units = np.concatenate([[treated], donor_rows])
    used_periods = panel.observed[units].any(axis=0)
    missing = ~panel.observed[units][:, used_periods]
    if missing.any():
        rows_missing, cols_missing = np.nonzero(missing)
        periods = panel.periods[used_periods]
        examples = ", ".join(
            f"({panel.labels[units[r]]}, {periods[c]:g})"
            for r, c in zip(rows_missing[:_MAX_EXAMPLES], cols_missing[:_MAX_EXAMPLES], strict=True)
        )
        raise DataValidationError(
            f"the panel is unbalanced: {int(missing.sum())} unit × period cell(s) of "
            f"{panel.yname!r} are missing for the treated unit or its donors, e.g. {examples}. "
            "Synthetic methods need every unit observed in every period: drop those units from "
            "the donors or the periods from the data."
        )
    if not used_periods.all():
        raise DataValidationError(
            f"periods {', '.join(f'{p:g}' for p in panel.periods[~used_periods][:5])} have no "
            f"observations for {panel.labels[treated]!r} or its donors; remove them from the data."
        )
    n_pre = int(np.sum(panel.periods < time))
    n_post = panel.periods.size - n_pre
    if n_pre < min_pre:
        raise EstimationError(
            f"only {n_pre} pre-treatment period(s) before {time:g} for "
            f"{panel.labels[treated]!r}; at least {min_pre} are needed."
        )
    if n_post < 1:
        raise EstimationError(
            f"no period at or after the treatment time {time:g} (last period "
            f"{panel.periods[-1]:g}): nothing to estimate."
        )
    return _Design(
        treated=treated,
        treated_label=panel.labels[treated],
        donors=donor_rows,
        treatment_time=time,
        n_pre=n_pre,
    )


# --------------------------------------------------------------------------------------------
# Synthetic DiD
# --------------------------------------------------------------------------------------------


def _fit_sdid_designs(
    panel: _OutcomePanel, designs: list[_Design], method: str, placebo: bool
) -> list[_Fit]:
    """Main fits of every design, then all placebo re-fits, each batch solved at once."""
    outcomes = panel.outcomes
    n_units = panel.labels.size
    fits: list[_Fit | None] = [None] * len(designs)
    by_pre: dict[int, list[int]] = {}
    for index, design in enumerate(designs):
        by_pre.setdefault(design.n_pre, []).append(index)
    for n_pre, members in by_pre.items():
        matrix = np.where(np.isnan(outcomes), 0.0, outcomes)
        main_problems = []
        for index in members:
            design = designs[index]
            controls = np.zeros(n_units, dtype=bool)
            controls[design.donors] = True
            noise = noise_level(outcomes[design.donors, :n_pre])
            zeta_omega, zeta_lambda, min_decrease = sdid_settings(
                method, noise, panel.periods.size - n_pre
            )
            main_problems.append(
                SdidProblem(
                    treated=design.treated,
                    controls=controls,
                    method=method,
                    zeta_omega=zeta_omega,
                    zeta_lambda=zeta_lambda,
                    min_decrease=min_decrease,
                )
            )
        omega, lambda_ = solve_sdid_problems(matrix, n_pre, main_problems)
        placebo_problems: list[SdidProblem] = []
        owners: list[int] = []
        if placebo:
            for position, index in enumerate(members):
                main = main_problems[position]
                for donor in designs[index].donors:
                    controls = main.controls.copy()
                    controls[donor] = False
                    # As R's placebo_se: the fit's settings, its weights as starting values.
                    placebo_problems.append(
                        SdidProblem(
                            treated=int(donor),
                            controls=controls,
                            method=method,
                            zeta_omega=main.zeta_omega,
                            zeta_lambda=main.zeta_lambda,
                            min_decrease=main.min_decrease,
                            omega_init=omega[position],
                            lambda_init=lambda_[position],
                        )
                    )
                    owners.append(position)
        placebo_omega, placebo_lambda = solve_sdid_problems(matrix, n_pre, placebo_problems)
        owners_array = np.array(owners, dtype=np.intp)
        for position, index in enumerate(members):
            design = designs[index]
            synthetic = _sdid_path(matrix, design.treated, omega[position], lambda_[position])
            placebo_paths = None
            if placebo:
                chosen = np.flatnonzero(owners_array == position)
                placebo_paths = np.array(
                    [
                        _sdid_path(
                            matrix,
                            placebo_problems[i].treated,
                            placebo_omega[i],
                            placebo_lambda[i],
                        )
                        for i in chosen
                    ]
                )
            fits[index] = _Fit(
                omega=omega[position][design.donors],
                lambda_=lambda_[position],
                synthetic=synthetic,
                placebo_synthetic=placebo_paths,
            )
    return [fit for fit in fits if fit is not None]


def _sdid_path(
    outcomes: NDArray[np.float64],
    treated: int,
    omega: NDArray[np.float64],
    lambda_: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Synthetic path ``omega'Y + lambda'(Y_treated,pre - omega'Y_pre)`` (synthdid's effect
    curve is the treated path minus it)."""
    weighted = omega @ outcomes
    offset = lambda_ @ (outcomes[treated, : lambda_.size] - weighted[: lambda_.size])
    return weighted + offset


# --------------------------------------------------------------------------------------------
# Classic synthetic control
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _PredictorSpec:
    column: str
    periods: tuple[float, ...]
    label: str


def _predictor_specs(
    data: pd.DataFrame,
    predictors: Any,
    predictor_periods: Iterable[float] | None,
    pre_periods: NDArray[np.float64],
    yname: str,
    tname: str,
    idname: str,
) -> list[_PredictorSpec]:
    if predictors is None:
        if predictor_periods is not None:
            raise ParameterError("predictor_periods given without predictors")
        return []
    if isinstance(predictors, str) or not isinstance(predictors, Iterable):
        raise ParameterError(
            "predictors must be a list of column names or (column, periods) pairs, "
            f"got {predictors!r}"
        )
    default_periods = tuple(
        pre_periods.tolist()
        if predictor_periods is None
        else _period_list(predictor_periods, "predictor_periods")
    )
    specs: list[_PredictorSpec] = []
    for item in predictors:
        if isinstance(item, str):
            column, periods, label = item, default_periods, item
        elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
            column = item[0]
            periods = tuple(_period_list(item[1], f"periods of predictor {column!r}"))
            label = f"{column}[{_period_text(periods)}]"
        else:
            raise ParameterError(
                f"each predictor must be a column name or a (column, periods) pair, got {item!r}"
            )
        if column in (tname, idname):
            raise ParameterError(f"{column!r} is the period or unit column, not a predictor")
        specs.append(_PredictorSpec(column=column, periods=periods, label=label))
    _require_columns(data, [spec.column for spec in specs])
    labels = [spec.label for spec in specs]
    if len(set(labels)) != len(labels):
        raise ParameterError(f"predictors are listed more than once: {labels}")
    if not specs:
        raise ParameterError("predictors is empty; pass None to fit on the outcome path only")
    return specs


def _period_list(periods: Any, name: str) -> list[float]:
    if isinstance(periods, str | bytes) or not isinstance(periods, Iterable):
        raise ParameterError(f"{name} must be a list of periods, got {periods!r}")
    values = []
    for value in periods:
        if isinstance(value, bool) or not isinstance(value, Real):
            raise ParameterError(f"{name} must hold numbers (periods), got {value!r}")
        values.append(float(value))
    if not values:
        raise ParameterError(f"{name} is empty")
    return values


def _period_text(periods: Sequence[float]) -> str:
    ordered = sorted(periods)
    if len(ordered) == 1:
        return f"{ordered[0]:g}"
    return f"{ordered[0]:g}-{ordered[-1]:g}"


def _period_mask(
    periods: Iterable[float] | None, pre_periods: NDArray[np.float64], name: str
) -> NDArray[np.bool_]:
    if periods is None:
        return np.ones(pre_periods.size, dtype=bool)
    wanted = np.array(_period_list(periods, name))
    outside = wanted[~np.isin(wanted, pre_periods)]
    if outside.size:
        raise ParameterError(
            f"{name} must be pre-treatment periods of the panel; not allowed: "
            f"{', '.join(f'{value:g}' for value in outside[:_MAX_EXAMPLES])}"
        )
    return np.isin(pre_periods, wanted)


def _predictor_values(
    data: pd.DataFrame,
    specs: list[_PredictorSpec],
    units: NDArray[np.object_],
    tname: str,
    idname: str,
) -> NDArray[np.float64]:
    """Predictors × units: each predictor averaged over its periods, missing values skipped."""
    values = np.empty((len(specs), units.size))
    unit_index = pd.Index(units.tolist())
    for row, spec in enumerate(specs):
        series = data[spec.column]
        if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(
            series.dtype
        ):
            raise DataValidationError(
                f"predictor column {spec.column!r} must be numeric, has dtype {series.dtype}"
            )
        in_periods = data[tname].isin(spec.periods).to_numpy()
        frame = pd.DataFrame(
            {
                "unit": data[idname].to_numpy(dtype=object)[in_periods],
                "value": series.to_numpy(dtype=np.float64, na_value=np.nan)[in_periods],
            }
        )
        means = frame.groupby("unit", sort=False)["value"].mean()
        row_values = means.reindex(unit_index).to_numpy(dtype=np.float64)
        if np.isnan(row_values).any() or np.isinf(row_values).any():
            bad = units[~np.isfinite(row_values)][:_MAX_EXAMPLES]
            raise DataValidationError(
                f"predictor {spec.label!r} has no usable value in periods "
                f"{_period_text(spec.periods)} for unit(s) {', '.join(map(str, bad))}."
            )
        values[row] = row_values
    constant = np.flatnonzero(values.std(axis=1) == 0) if len(specs) else np.empty(0, int)
    if constant.size:
        raise DataValidationError(
            "predictor(s) "
            + ", ".join(repr(specs[i].label) for i in constant)
            + " take the same value for every unit and cannot be standardised; remove them."
        )
    return values


def _synth_fit(
    predictor_values: NDArray[np.float64],
    outcomes: NDArray[np.float64],
    v_search: str,
) -> SynthFit:
    """Weights of unit 0 (first column / row) on the others."""
    if predictor_values.shape[0] == 0:
        return outcome_weights(outcomes[0], outcomes[1:].T)
    treated, donors = scale_predictors(predictor_values[:, 0], predictor_values[:, 1:])
    return synth_weights(treated, donors, outcomes[0], outcomes[1:].T, v_search=v_search)


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


def _build_result(
    panel: _OutcomePanel,
    design: _Design,
    fit: _Fit,
    config: SyntheticConfig,
    *,
    predictor_names: tuple[str, ...] = (),
    predictor_weights: NDArray[np.float64] | None = None,
    predictor_values: NDArray[np.float64] | None = None,
) -> SyntheticResult:
    n_pre = design.n_pre
    periods = panel.periods
    treated_path = panel.outcomes[design.treated]
    effects = treated_path - fit.synthetic
    post_periods = periods[n_pre:]
    terms = (OVERALL_TERM, *(f"{EFFECT_TERM_PREFIX}{period:g}" for period in post_periods))
    estimates = np.concatenate([[effects[n_pre:].mean()], effects[n_pre:]])
    fit_stats = _fit_statistics(treated_path, effects, n_pre)
    placebo = None
    std_errors = np.full(len(terms), np.nan)
    if fit.placebo_synthetic is not None:
        placebo = _placebo_inference(
            panel, design, fit.placebo_synthetic, estimates, fit_stats, config
        )
        std_errors = np.concatenate([[placebo.standard_error], placebo.period_standard_errors])
    statistics = {
        "n_donors": float(design.donors.size),
        "n_pre_periods": float(n_pre),
        "n_post_periods": float(periods.size - n_pre),
        "treatment_time": design.treatment_time,
        "estimate": float(estimates[0]),
        "std_error": float(std_errors[0]),
        "p_value": math.nan if placebo is None else placebo.p_value,
        "p_value_rmspe_ratio": math.nan if placebo is None else placebo.rmspe_ratio_p_value,
        **fit_stats,
    }
    notes = []
    if fit_stats["pre_r2"] < 0.5:
        notes.append(
            f"poor pre-treatment fit: the synthetic path explains {fit_stats['pre_r2']:.2f} of "
            "the treated unit's pre-treatment variance; treat the effect with caution."
        )
    if placebo is not None and design.donors.size < 19:
        notes.append(
            f"only {design.donors.size} placebo units: the smallest attainable placebo p-value "
            f"is {1 / (design.donors.size + 1):.3f}."
        )
    units = np.concatenate([[design.treated], design.donors])
    return SyntheticResult(
        config=config,
        terms=terms,
        estimates=estimates,
        std_errors=std_errors,
        group=np.full(len(terms), design.treatment_time),
        time=np.concatenate([[np.nan], post_periods]),
        inference=Inference(vcov_type=config.vcov),
        sample=SampleInfo(
            n_obs=int(units.size * periods.size),
            n_units=int(units.size),
            n_periods=int(periods.size),
            n_treated_units=1,
            n_never_treated_units=int(design.donors.size),
        ),
        provenance=_provenance(panel, design, config),
        fit_statistics=statistics,
        notes=tuple(notes),
        donor_labels=panel.labels[design.donors],
        unit_weight_values=fit.omega,
        periods=periods,
        n_pre=n_pre,
        time_weight_values=fit.lambda_,
        treated_path=treated_path,
        synthetic_path=fit.synthetic,
        placebo=placebo,
        predictor_names=predictor_names,
        predictor_weights=predictor_weights,
        predictor_values=predictor_values,
    )


def _fit_statistics(
    treated_path: NDArray[np.float64], effects: NDArray[np.float64], n_pre: int
) -> dict[str, float]:
    pre, post = effects[:n_pre], effects[n_pre:]
    pre_rmspe = float(np.sqrt(np.mean(pre**2)))
    post_rmspe = float(np.sqrt(np.mean(post**2)))
    spread = float(np.sum((treated_path[:n_pre] - treated_path[:n_pre].mean()) ** 2))
    pre_r2 = 1.0 - float(np.sum(pre**2)) / spread if spread > 0 else math.nan
    ratio = post_rmspe / pre_rmspe if pre_rmspe > 0 else math.inf
    return {
        "pre_rmspe": pre_rmspe,
        "post_rmspe": post_rmspe,
        "rmspe_ratio": ratio,
        "pre_r2": pre_r2,
    }


def _placebo_inference(
    panel: _OutcomePanel,
    design: _Design,
    placebo_synthetic: NDArray[np.float64],
    estimates: NDArray[np.float64],
    fit_stats: dict[str, float],
    config: SyntheticConfig,
) -> PlaceboInference:
    n_pre = design.n_pre
    effects = panel.outcomes[design.donors] - placebo_synthetic
    placebo_estimates = np.column_stack([effects[:, n_pre:].mean(axis=1), effects[:, n_pre:]])
    pre_rmspe = np.sqrt(np.mean(effects[:, :n_pre] ** 2, axis=1))
    post_rmspe = np.sqrt(np.mean(effects[:, n_pre:] ** 2, axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(pre_rmspe > 0, post_rmspe / pre_rmspe, np.inf)
    p_values = np.array(
        [_rank_p_value(estimates[i], placebo_estimates[:, i]) for i in range(estimates.size)]
    )
    ratio_p = _rank_p_value(fit_stats["rmspe_ratio"], ratios, absolute=False)
    ratio_rank = 1 + int(np.sum(ratios > _tolerant(fit_stats["rmspe_ratio"])))
    errors = _placebo_standard_errors(placebo_estimates, config.se_replications, config.seed)
    return PlaceboInference(
        units=panel.labels[design.donors],
        estimates=placebo_estimates[:, 0],
        effects=effects,
        pre_rmspe=pre_rmspe,
        post_rmspe=post_rmspe,
        standard_error=float(errors[0]),
        period_standard_errors=errors[1:],
        p_value=float(p_values[0]),
        period_p_values=p_values[1:],
        rmspe_ratio_p_value=ratio_p,
        rmspe_ratio_rank=ratio_rank,
    )


def _tolerant(value: float) -> float:
    """``value`` lowered by a relative 1e-12 so that rounding noise does not break ties."""
    return value - 1e-12 * max(1.0, abs(value)) if math.isfinite(value) else value


def _rank_p_value(
    observed: float, placebos: NDArray[np.float64], *, absolute: bool = True
) -> float:
    """``(1 + #{placebo >= observed}) / (1 + J)``, on absolute values when ``absolute``."""
    if absolute:
        observed, placebos = abs(observed), np.abs(placebos)
    at_least = int(np.sum(placebos >= _tolerant(observed)))
    return (1 + at_least) / (1 + placebos.size)


def _placebo_standard_errors(
    placebo_estimates: NDArray[np.float64], replications: int | None, seed: int | None
) -> NDArray[np.float64]:
    """Algorithm 4 of Arkhangelsky et al.: spread of the placebo estimates.

    R computes ``sqrt((r - 1) / r) * sd(draws)`` over ``r`` random placebo units; with every
    donor used once this is the population standard deviation, the limit of those draws.
    """
    if replications is None:
        return placebo_estimates.std(axis=0, ddof=0)
    rng = np.random.default_rng(seed)
    draws = placebo_estimates[rng.integers(0, placebo_estimates.shape[0], size=replications)]
    return math.sqrt((replications - 1) / replications) * draws.std(axis=0, ddof=1)


def _provenance(panel: _OutcomePanel, design: _Design, config: SyntheticConfig) -> Provenance:
    from ylt_eval import __version__  # at call time: the package may import this module

    units = np.concatenate([[design.treated], design.donors])
    digest = hashlib.sha256()
    for part in (panel.outcomes[units], panel.periods):
        contiguous = np.ascontiguousarray(part)
        digest.update(str(contiguous.shape).encode())
        digest.update(contiguous.tobytes())
    digest.update("\x1f".join(str(label) for label in panel.labels[units]).encode())
    digest.update(f"{config.method}\x1f{design.treatment_time!r}".encode())
    return Provenance(package_version=__version__, data_signature=digest.hexdigest())


# --------------------------------------------------------------------------------------------
# Small checks
# --------------------------------------------------------------------------------------------


def _check_flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise ParameterError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _check_replications(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Integral) or int(value) < 2:
        raise ParameterError(f"se_replications must be an integer of at least 2, got {value!r}")
    return int(value)


def _check_seed(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Integral) or int(value) < 0:
        raise ParameterError(f"seed must be a non-negative integer, got {value!r}")
    return int(value)


def _read_only(values: Any, dtype: Any = np.float64) -> NDArray[Any]:
    array = np.array(values, dtype=dtype, copy=True)
    array.setflags(write=False)
    return array
