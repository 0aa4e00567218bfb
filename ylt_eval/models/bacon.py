"""Goodman-Bacon (2021) decomposition of the static two-way fixed-effects coefficient.

On a balanced panel the TWFE coefficient of ``post = 1[gname > 0 and tname >= gname]`` is a
weighted average of every 2×2 difference in differences between two timing groups:

- ``treated_vs_untreated``: a cohort against the never-treated units, whole panel;
- ``earlier_vs_later``: an earlier cohort against a later one, before the later one is treated;
- ``later_vs_earlier``: a later cohort against an earlier one, after the earlier one is treated
  (the "forbidden" comparison: biased when effects change over time);
- ``later_vs_always_treated``: a cohort against units treated from the first period on.

Weights and estimates follow R ``bacondecomp`` 0.1.3 (``bacon(y ~ post, ...)`` without
covariates): weights are ``(n_k + n_l)^2 × variance of treatment in the 2×2`` with ``n`` the
row counts of the 2×2 subsample, rescaled to sum to one; estimates are the TWFE coefficient on
the subsample, which in a balanced two-group panel is the difference in differences of group
means computed here directly.

References
----------
Goodman-Bacon, A. (2021), "Difference-in-differences with variation in treatment timing",
Journal of Econometrics 225(2), 254-277.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ylt_eval.errors import DataValidationError, EstimationError
from ylt_eval.models._prepare import (
    PreparedPanel,
    prepare_panel,
    provenance,
    sample_info,
    treated_post,
)
from ylt_eval.models._within import fit_absorbed_ols
from ylt_eval.models.results import EstimationResult, EstimatorConfig, Inference, PanelSpec

__all__ = ["COMPARISON_TYPES", "BaconConfig", "BaconResult", "bacon"]

#: Comparison types, in the order :meth:`BaconResult.by_type` lists them.
COMPARISON_TYPES: tuple[str, ...] = (
    "earlier_vs_later",
    "later_vs_earlier",
    "treated_vs_untreated",
    "later_vs_always_treated",
)
#: Term of the TWFE coefficient in :meth:`BaconResult.tidy`.
TWFE_TERM = "twfe"
_NEVER = np.inf


@dataclass(frozen=True, kw_only=True)
class BaconConfig(EstimatorConfig):
    """Settings of a Goodman-Bacon decomposition (only the column roles; no inference)."""


def _read_only(values: Any, dtype: Any = np.float64) -> np.ndarray:
    array = np.array(values, dtype=dtype, copy=True)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, kw_only=True, eq=False)
class BaconResult(EstimationResult):
    """Goodman-Bacon decomposition of a static TWFE coefficient.

    Terms: ``"twfe"`` (the TWFE coefficient) followed by one term per comparison type present
    (see :data:`COMPARISON_TYPES`), whose estimate is the weight-averaged 2×2 estimate of that
    type. The decomposition is descriptive: standard errors are NaN.

    Attributes
    ----------
    config : BaconConfig
        Settings used.
    comparison_treated : numpy.ndarray
        Timing group (first treated period) of the treated side of each 2×2.
    comparison_control : numpy.ndarray
        Timing group of the comparison side; ``inf`` for the never treated.
    comparison_type : tuple of str
        Type of each 2×2.
    comparison_estimate, comparison_weight : numpy.ndarray
        2×2 difference-in-differences estimates and their weights (summing to one).
    """

    ESTIMATOR: ClassVar[str] = "bacon_decomposition"
    TITLE: ClassVar[str] = "Goodman-Bacon decomposition of the TWFE coefficient"

    config: BaconConfig
    comparison_treated: NDArray[np.float64]
    comparison_control: NDArray[np.float64]
    comparison_type: tuple[str, ...]
    comparison_estimate: NDArray[np.float64]
    comparison_weight: NDArray[np.float64]

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "comparison_treated", _read_only(self.comparison_treated))
        object.__setattr__(self, "comparison_control", _read_only(self.comparison_control))
        object.__setattr__(self, "comparison_type", tuple(self.comparison_type))
        object.__setattr__(self, "comparison_estimate", _read_only(self.comparison_estimate))
        object.__setattr__(self, "comparison_weight", _read_only(self.comparison_weight))

    @property
    def overall(self) -> float:
        """The TWFE coefficient being decomposed."""
        return self.estimate_of(TWFE_TERM)

    @property
    def decomposition_sum(self) -> float:
        """``sum(weight × estimate)`` over all 2×2s; equals :attr:`overall` up to rounding."""
        return float(self.comparison_weight @ self.comparison_estimate)

    def two_by_twos(self) -> pd.DataFrame:
        """Every 2×2 comparison.

        Returns
        -------
        pandas.DataFrame
            Columns ``treated, untreated`` (timing groups; ``untreated`` is ``<NA>`` for the
            never treated), ``type``, ``estimate``, ``weight``; ordered by type, then treated
            and untreated group.
        """
        control = self.comparison_control
        untreated = pd.array(
            [pd.NA if np.isinf(value) else int(value) for value in control], dtype="Int64"
        )
        return pd.DataFrame(
            {
                "treated": pd.array(self.comparison_treated.astype(np.int64), dtype="Int64"),
                "untreated": untreated,
                "type": pd.Series(self.comparison_type, dtype="string"),
                "estimate": np.array(self.comparison_estimate),
                "weight": np.array(self.comparison_weight),
            }
        )

    def by_type(self) -> pd.DataFrame:
        """Total weight and weight-averaged estimate of each comparison type.

        Returns
        -------
        pandas.DataFrame
            Columns ``type, weight, estimate``; one row per type present, in the order of
            :data:`COMPARISON_TYPES`. Weights sum to one; ``sum(weight × estimate)`` is the
            TWFE coefficient.
        """
        kinds = np.array(self.comparison_type)
        rows = []
        for kind in COMPARISON_TYPES:
            mask = kinds == kind
            if not mask.any():
                continue
            weight = float(self.comparison_weight[mask].sum())
            estimate = float(self.comparison_weight[mask] @ self.comparison_estimate[mask] / weight)
            rows.append((kind, weight, estimate))
        frame = pd.DataFrame(rows, columns=["type", "weight", "estimate"])
        frame["type"] = frame["type"].astype("string")
        return frame

    def glance(self) -> pd.DataFrame:
        """One row: the common columns plus ``decomposition_sum, twfe, n_comparisons``.

        Returns
        -------
        pandas.DataFrame
        """
        frame = super().glance()
        frame["twfe"] = self.overall
        frame["n_comparisons"] = len(self.comparison_type)
        return frame

    def summary(self, conf_level: float = 0.95) -> str:
        """Plain-text summary: the TWFE coefficient, the table by type and every 2×2.

        Parameters
        ----------
        conf_level : float, default 0.95
            Unused (the decomposition has no intervals); kept for a uniform signature.
        """
        panel = self.config.panel
        sample = self.sample
        lines = [
            self.TITLE,
            "=" * len(self.TITLE),
            f"Outcome: {panel.yname}   Unit: {panel.idname}   Period: {panel.tname}   "
            f"Cohort: {panel.gname}",
            f"Observations: {sample.n_obs:,}   Units: {sample.n_units:,} "
            f"({sample.n_treated_units:,} treated, {sample.n_never_treated_units:,} never "
            f"treated)   Periods: {sample.n_periods:,}",
            f"TWFE coefficient: {self.overall:.7g}   "
            f"sum of weight × estimate: {self.decomposition_sum:.7g}",
            "",
            self.by_type().set_index("type").to_string(float_format=lambda v: f"{v:.5f}"),
            "",
            self.two_by_twos().to_string(index=False, float_format=lambda v: f"{v:.6g}"),
        ]
        if self.notes:
            lines.extend(["", "Notes:"])
            lines.extend(f"- {note}" for note in self.notes)
        return "\n".join(lines)


def bacon(data: pd.DataFrame, yname: str, tname: str, idname: str, gname: str) -> BaconResult:
    """Decompose the static TWFE coefficient into its 2×2 comparisons (Goodman-Bacon 2021).

    Equivalent to R ``bacondecomp::bacon(y ~ post, data, id_var, time_var)`` with
    ``post = 1[gname > 0 and tname >= gname]``.

    Parameters
    ----------
    data : pandas.DataFrame
        Balanced long panel, one row per unit × period. Not modified.
    yname : str
        Outcome column (numeric, no missing values).
    tname : str
        Period column (whole numbers, e.g. years).
    idname : str
        Unit column (strings or integers).
    gname : str
        First treated period; 0 or NaN for never treated; constant within unit. Cohorts
        after the last period count as never treated, cohorts at or before the first period
        as always treated (the timing groups of R, which reads them off ``post``).

    Returns
    -------
    BaconResult

    Raises
    ------
    ParameterError
        Unknown column.
    DataValidationError
        Bad data, or a panel that is not balanced (every unit in every period with an
        outcome): the decomposition holds only for balanced panels.
    EstimationError
        Fewer than two timing groups, or no unit that changes treatment status.
    """
    config = BaconConfig(
        panel=PanelSpec(yname=yname, tname=tname, idname=idname, gname=gname),
        vcov="none",
        cluster=None,
    )
    panel = prepare_panel(data, config.panel, cluster=None)
    _require_balanced(panel, config.panel)
    periods = np.unique(panel.time)
    timing = _timing_group(panel.unit_cohort, periods)
    twfe_coefficient = _twfe_coefficient(panel)
    comparisons = _comparisons(panel, timing, periods)
    terms, estimates = _by_type_terms(comparisons, twfe_coefficient)
    return BaconResult(
        config=config,
        terms=terms,
        estimates=estimates,
        std_errors=np.full(len(terms), np.nan),
        inference=Inference(vcov_type="none"),
        sample=sample_info(panel),
        provenance=provenance(panel),
        fit_statistics={"decomposition_sum": float(comparisons.weight @ comparisons.estimate)},
        notes=_notes(timing, periods),
        comparison_treated=comparisons.treated,
        comparison_control=comparisons.control,
        comparison_type=comparisons.kind,
        comparison_estimate=comparisons.estimate,
        comparison_weight=comparisons.weight,
    )


# --------------------------------------------------------------------------------------------
# Numerics
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Comparisons:
    treated: NDArray[np.float64]
    control: NDArray[np.float64]
    kind: tuple[str, ...]
    estimate: NDArray[np.float64]
    weight: NDArray[np.float64]


def _require_balanced(panel: PreparedPanel, spec: PanelSpec) -> None:
    rows_per_unit = np.bincount(panel.unit, minlength=panel.n_units)
    short = np.flatnonzero(rows_per_unit < panel.n_periods)
    if short.size:
        examples = ", ".join(str(panel.unit_labels[code]) for code in short[:5])
        dropped = (
            f" ({panel.n_dropped} row(s) with a missing {spec.yname!r} were left out)"
            if panel.n_dropped
            else ""
        )
        raise DataValidationError(
            f"the Goodman-Bacon decomposition needs a balanced panel, but {short.size} of "
            f"{panel.n_units} units are not observed with an outcome in all {panel.n_periods} "
            f"periods{dropped}, e.g. {examples}. Keep only complete units (or periods), or use "
            "an estimator that accepts unbalanced panels (twfe, imputation)."
        )


def _timing_group(unit_cohort: NDArray[np.float64], periods: NDArray[np.float64]) -> np.ndarray:
    """First observed treated period of each unit (R's ``treat_time``); inf if never."""
    never = (unit_cohort == 0) | (unit_cohort > periods[-1])
    position = np.searchsorted(periods, unit_cohort, side="left")
    first_treated = periods[np.minimum(position, periods.size - 1)]
    return np.where(never, _NEVER, first_treated)


def _twfe_coefficient(panel: PreparedPanel) -> float:
    post = treated_post(panel).astype(np.float64)[:, None]
    fit = fit_absorbed_ols(panel.y, post, (panel.unit, panel.period))
    if not fit.kept[0]:
        raise EstimationError(
            "the treatment indicator is collinear with the unit and period fixed effects, so "
            "the TWFE coefficient (and its decomposition) is not identified: either no unit "
            "changes treatment status within the panel, or every unit switches in the same "
            "period and none is left to compare with"
        )
    return float(fit.coefficients[0])


def _comparisons(
    panel: PreparedPanel, timing: NDArray[np.float64], periods: NDArray[np.float64]
) -> _Comparisons:
    """All ordered pairs of timing groups with their 2×2 estimate and (raw) weight."""
    groups, unit_group = np.unique(timing, return_inverse=True)
    group_size = np.bincount(unit_group).astype(np.float64)
    # Balanced panel, rows sorted by (unit, period): the outcome reshapes to units × periods.
    outcome = panel.y.reshape(panel.n_units, periods.size)
    group_means = np.vstack([outcome[unit_group == g].mean(axis=0) for g in range(groups.size)])
    first = periods[0]
    treated, control, kinds, estimates, weights = [], [], [], [], []
    for k, treated_group in enumerate(groups):
        if np.isinf(treated_group) or treated_group == first:
            continue
        for u, control_group in enumerate(groups):
            if u == k:
                continue
            kind, window = _window(treated_group, control_group, first, periods)
            estimate = _did(
                group_means[k, window] - group_means[u, window], periods[window] >= treated_group
            )
            weight = _weight(
                kind,
                periods[window],
                treated_group,
                control_group,
                group_size[k],
                group_size[u],
            )
            treated.append(treated_group)
            control.append(control_group)
            kinds.append(kind)
            estimates.append(estimate)
            weights.append(weight)
    if not kinds:
        raise EstimationError(
            "fewer than two timing groups: the decomposition needs at least one cohort that "
            "switches into treatment during the panel and one other timing group (never "
            "treated, always treated or treated at another time)"
        )
    weight_array = np.array(weights)
    order = np.lexsort((control, treated, [COMPARISON_TYPES.index(kind) for kind in kinds]))
    return _Comparisons(
        treated=np.array(treated)[order],
        control=np.array(control)[order],
        kind=tuple(np.array(kinds, dtype=object)[order]),
        estimate=np.array(estimates)[order],
        weight=(weight_array / weight_array.sum())[order],
    )


def _window(
    treated_group: float, control_group: float, first: float, periods: NDArray[np.float64]
) -> tuple[str, NDArray[np.bool_]]:
    """Comparison type and the periods of its 2×2 subsample (as R ``subset_data``)."""
    if np.isinf(control_group):
        return "treated_vs_untreated", np.ones(periods.size, dtype=bool)
    if control_group == first:
        return "later_vs_always_treated", np.ones(periods.size, dtype=bool)
    if treated_group < control_group:
        return "earlier_vs_later", periods < control_group
    return "later_vs_earlier", periods >= control_group


def _did(gap: NDArray[np.float64], post: NDArray[np.bool_]) -> float:
    """Change in the treated-minus-control gap of means from before to after treatment.

    In a balanced panel with two groups, one of which does not change status, this is the
    TWFE coefficient of the subsample.
    """
    return float(gap[post].mean() - gap[~post].mean())


def _weight(
    kind: str,
    window_periods: NDArray[np.float64],
    treated_group: float,
    control_group: float,
    treated_units: float,
    control_units: float,
) -> float:
    """Unnormalised weight of a 2×2, R ``bacondecomp::calculate_weights`` (row counts)."""
    n_treated = treated_units * window_periods.size
    n_control = control_units * window_periods.size
    treated_share = float(np.mean(window_periods >= treated_group))
    control_share = (
        0.0 if np.isinf(control_group) else float(np.mean(window_periods >= control_group))
    )
    if kind == "treated_vs_untreated":
        n_ku = n_treated / (n_treated + n_control)
        variance = n_ku * (1 - n_ku) * treated_share * (1 - treated_share)
        return (n_treated + n_control) ** 2 * variance
    if kind == "earlier_vs_later":
        n_kl = n_treated / (n_treated + n_control)
        variance = (
            n_kl
            * (1 - n_kl)
            * (treated_share - control_share)
            / (1 - control_share)
            * (1 - treated_share)
            / (1 - control_share)
        )
        return ((n_treated + n_control) * (1 - control_share)) ** 2 * variance
    # later vs earlier (or always) treated: the control group is the earlier one
    n_kl = n_control / (n_control + n_treated)
    variance = (
        n_kl
        * (1 - n_kl)
        * (treated_share / control_share)
        * (control_share - treated_share)
        / control_share
    )
    return ((n_control + n_treated) * control_share) ** 2 * variance


def _by_type_terms(
    comparisons: _Comparisons, twfe_coefficient: float
) -> tuple[tuple[str, ...], list[float]]:
    kinds = np.array(comparisons.kind)
    terms = [TWFE_TERM]
    estimates = [twfe_coefficient]
    for kind in COMPARISON_TYPES:
        mask = kinds == kind
        if mask.any():
            terms.append(kind)
            weight = comparisons.weight[mask]
            estimates.append(float(weight @ comparisons.estimate[mask] / weight.sum()))
    return tuple(terms), estimates


def _notes(timing: NDArray[np.float64], periods: NDArray[np.float64]) -> tuple[str, ...]:
    notes = []
    if not np.isinf(timing).any():
        notes.append(
            "no never-treated units: the TWFE coefficient rests on comparisons between "
            "timing groups, including later-vs-earlier ones that are biased when effects "
            "change over time"
        )
    always = int((timing == periods[0]).sum())
    if always:
        notes.append(
            f"{always} unit(s) treated from the first period on serve only as a comparison "
            "group (later_vs_always_treated)"
        )
    return tuple(notes)
