"""Randomisation inference for staggered difference-in-differences with few treated counties.

Under the sharp null of no effect for any county, the outcomes do not depend on which
counties reformed when, so every reassignment of the observed reform cohorts to counties
(keeping the number of counties per cohort) is as likely as the one observed. Re-estimating
the effect under each reassignment gives the permutation distribution of the statistic; the
two-sided p-value is the share of reassignments at least as extreme as the observed one.
Assignment is at the county (unit) level, so any within-county correlation is preserved.

- ``statistic="twfe"``: the static TWFE coefficient of :func:`~ylt_eval.models.twfe`
  (or its CRV1 t-statistic clustered by unit). Every reassignment is computed at once from the
  demeaned outcome: only the treatment column changes, so ``β = d~'y~ / d~'d~``.
- ``statistic="cs_simple"``: the overall ATT of Callaway & Sant'Anna,
  :func:`~ylt_eval.models.att_gt` (regression adjustment, never-treated comparison group, no
  bootstrap) aggregated by :func:`~ylt_eval.models.aggte` with ``type="simple"``; one fit per
  reassignment.

With ``test_statistic="t"`` the estimate is divided by its standard error before comparing;
MacKinnon & Webb (2020) show that this "RI-t" is more robust than "RI-β" when treated and
control counties differ in size or variance.

References
----------
Fisher, R. A. (1935), The Design of Experiments. Edinburgh: Oliver and Boyd.
MacKinnon, J. G. and Webb, M. D. (2020), "Randomization inference for difference-in-differences
with few treated clusters", Journal of Econometrics 218(2), 435-450.
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import sparse

from ylt_eval.errors import EstimationError, ParameterError, YltEvalError
from ylt_eval.models._prepare import PreparedPanel, check_positive_int, check_seed, prepare_panel
from ylt_eval.models._within import demean
from ylt_eval.models.callaway_santanna import aggte, att_gt
from ylt_eval.models.results import TIDY_COLUMNS, EstimationResult, EstimatorConfig, PanelSpec
from ylt_eval.models.twfe import POST_TERM, twfe

__all__ = [
    "STATISTICS",
    "TEST_STATISTICS",
    "RandomizationConfig",
    "RandomizationResult",
    "count_assignments",
    "distinct_assignments",
    "randomization_inference",
]

#: Accepted values of ``statistic``.
STATISTICS: tuple[str, ...] = ("twfe", "cs_simple")
#: Accepted values of ``test_statistic``.
TEST_STATISTICS: tuple[str, ...] = ("estimate", "t")

# |T_perm| within this relative margin of |T_obs| is a tie and counts as at least as extreme:
# assignments that are mathematically equivalent differ only by rounding.
_TIE_TOLERANCE = 1e-9
# Largest number of floats in one block of demeaned treatment columns (32 MB).
_MAX_BLOCK_FLOATS = 4 * 2**20
# A demeaned treatment column with less than this share of its raw sum of squares left is
# collinear with the fixed effects (as in ylt_eval.models._within).
_COLLINEARITY_TOLERANCE = 1e-10


@dataclass(frozen=True, kw_only=True)
class RandomizationConfig(EstimatorConfig):
    """Settings of a randomisation-inference test.

    Attributes
    ----------
    statistic : str
        ``"twfe"`` or ``"cs_simple"``.
    test_statistic : str
        ``"estimate"`` or ``"t"``.
    permutations : int
        Random reassignments requested (all distinct ones are used when there are at most
        this many).
    seed : int or None
        Seed of :func:`numpy.random.default_rng`.
    """

    statistic: str
    test_statistic: str
    permutations: int
    seed: int | None


def _read_only(values: Any) -> NDArray[np.float64]:
    array = np.array(values, dtype=np.float64, copy=True)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, kw_only=True, eq=False)
class RandomizationResult(EstimationResult):
    """Randomisation (permutation) test of no effect, reassigning reform cohorts to units.

    ``tidy()`` gives the estimate and standard error of the underlying estimator with the
    randomisation p-value; the interval columns are NaN (randomisation inference here tests
    the sharp null of no effect and does not produce an interval).

    Attributes
    ----------
    config : RandomizationConfig
        Settings used.
    observed_statistic : float
        Test statistic on the observed assignment.
    p_value : float
        Two-sided randomisation p-value: ``(1 + #{|T_perm| >= |T_obs|}) / (1 + P)`` with random
        reassignments, ``#{|T_a| >= |T_obs|} / A`` over all ``A`` distinct assignments (the
        observed one included) when enumerated.
    permutation_statistics : numpy.ndarray
        Statistic under each reassignment used (failed ones excluded).
    n_permutations : int
        Number of reassignments in :attr:`permutation_statistics`.
    exact : bool
        Whether every distinct assignment was enumerated.
    n_assignments : int
        Number of distinct assignments of the cohorts to the units.
    n_failed : int
        Reassignments under which the statistic could not be computed (left out).
    analytic_p_value : float
        Conventional p-value of the underlying estimator, for comparison.
    """

    ESTIMATOR: ClassVar[str] = "randomization_inference"
    TITLE: ClassVar[str] = "Randomisation inference (reform cohorts reassigned across units)"

    config: RandomizationConfig
    observed_statistic: float
    p_value: float
    permutation_statistics: NDArray[np.float64]
    n_permutations: int
    exact: bool
    n_assignments: int
    n_failed: int = 0
    analytic_p_value: float = math.nan

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "permutation_statistics", _read_only(self.permutation_statistics))

    def tidy(self, conf_level: float | None = None) -> pd.DataFrame:
        """One row: ``term, group, time, estimate, std_error, conf_low, conf_high, p_value``.

        Parameters
        ----------
        conf_level : float, optional
            Ignored (no interval is computed); accepted for a uniform interface.

        Returns
        -------
        pandas.DataFrame
            ``p_value`` is the randomisation p-value; ``conf_low`` and ``conf_high`` are NaN.
        """
        return pd.DataFrame(
            {
                "term": pd.Series(self.terms, dtype="string"),
                "group": np.array(self.group),
                "time": np.array(self.time),
                "estimate": np.array(self.estimates),
                "std_error": np.array(self.std_errors),
                "conf_low": [math.nan],
                "conf_high": [math.nan],
                "p_value": [self.p_value],
            },
            columns=list(TIDY_COLUMNS),
        )

    def glance(self) -> pd.DataFrame:
        """One row: the common columns plus the randomisation settings and results.

        Returns
        -------
        pandas.DataFrame
            Common columns of :meth:`EstimationResult.glance`, then ``statistic,
            test_statistic, observed_statistic, p_value, analytic_p_value, n_permutations,
            exact, n_assignments, n_failed`` (``n_assignments`` as a float: it can be huge).
        """
        frame = super().glance()
        frame["statistic"] = pd.Series([self.config.statistic], dtype="string")
        frame["test_statistic"] = pd.Series([self.config.test_statistic], dtype="string")
        frame["observed_statistic"] = self.observed_statistic
        frame["p_value"] = self.p_value
        frame["analytic_p_value"] = self.analytic_p_value
        frame["n_permutations"] = self.n_permutations
        frame["exact"] = self.exact
        frame["n_assignments"] = _as_float(self.n_assignments)
        frame["n_failed"] = self.n_failed
        return frame

    def summary(self, conf_level: float | None = None) -> str:
        """Plain-text summary (returned, not printed).

        Parameters
        ----------
        conf_level : float, optional
            Ignored; accepted for a uniform interface.
        """
        config = self.config
        panel = config.panel
        sample = self.sample
        how = (
            f"all {self.n_permutations:,} distinct assignments enumerated"
            if self.exact
            else f"{self.n_permutations:,} random reassignments (seed {config.seed}) of "
            f"{_count_text(self.n_assignments)} possible"
        )
        statistic = {
            "twfe": "static TWFE coefficient",
            "cs_simple": "Callaway & Sant'Anna overall ATT (aggte simple)",
        }[config.statistic]
        if config.test_statistic == "t":
            statistic += " divided by its standard error"
        lines = [
            self.TITLE,
            "=" * len(self.TITLE),
            f"Outcome: {panel.yname}   Unit: {panel.idname}   Period: {panel.tname}   "
            f"Cohort: {panel.gname}",
            f"Observations: {sample.n_obs:,} (dropped {sample.n_dropped:,})   "
            f"Units: {sample.n_units:,} ({sample.n_treated_units:,} treated, "
            f"{sample.n_never_treated_units:,} never treated)   Periods: {sample.n_periods:,}",
            f"Test statistic: {statistic} = {self.observed_statistic:.6g}",
            f"Reassignments: {how}",
            f"Randomisation p-value (two-sided): {self.p_value:.4f}   "
            f"conventional p-value ({self.inference.vcov_type}): {self.analytic_p_value:.4f}",
            "",
            self.tidy()
            .drop(columns=["group", "time", "conf_low", "conf_high"])
            .set_index("term")
            .to_string(float_format=lambda value: f"{value:.6g}"),
        ]
        if self.notes:
            lines += ["", "Notes:"] + [f"- {note}" for note in self.notes]
        return "\n".join(lines)


def _as_float(count: int) -> float:
    try:
        return float(count)
    except OverflowError:
        return math.inf


def _count_text(count: int) -> str:
    return f"{count:,}" if count < 10**15 else f"about {_as_float(count):.3g}"


# --------------------------------------------------------------------------------------------
# Assignments
# --------------------------------------------------------------------------------------------


def count_assignments(cohorts: NDArray[np.float64]) -> int:
    """Number of distinct ways to give the cohorts to the units (a multinomial coefficient).

    Parameters
    ----------
    cohorts : numpy.ndarray
        Cohort of each unit (0 for never treated).
    """
    _, counts = np.unique(np.asarray(cohorts), return_counts=True)
    total = math.factorial(int(counts.sum()))
    for count in counts:
        total //= math.factorial(int(count))
    return total


def distinct_assignments(cohorts: NDArray[np.float64]) -> NDArray[np.float64]:
    """Every distinct rearrangement of ``cohorts`` (the observed one included).

    Parameters
    ----------
    cohorts : numpy.ndarray
        Cohort of each unit.

    Returns
    -------
    numpy.ndarray
        Shape (:func:`count_assignments`, n_units), in a fixed (lexicographic by position)
        order.
    """
    cohorts = np.asarray(cohorts, dtype=np.float64)
    values, counts = np.unique(cohorts, return_counts=True)
    rows: list[NDArray[np.float64]] = []
    current = np.empty(cohorts.size)

    def place(free: list[int], level: int) -> None:
        if level == values.size - 1:
            current[free] = values[level]
            rows.append(current.copy())
            return
        for chosen in itertools.combinations(free, int(counts[level])):
            current[list(chosen)] = values[level]
            taken = set(chosen)
            place([i for i in free if i not in taken], level + 1)

    place(list(range(cohorts.size)), 0)
    return np.array(rows).reshape(len(rows), cohorts.size)


def _assignments(
    cohorts: NDArray[np.float64], permutations: int, seed: int | None
) -> tuple[NDArray[np.float64], bool, int]:
    n_assignments = count_assignments(cohorts)
    if n_assignments <= permutations:
        return distinct_assignments(cohorts), True, n_assignments
    rng = np.random.default_rng(seed)
    shuffled = rng.permuted(np.tile(cohorts, (permutations, 1)), axis=1)
    return shuffled, False, n_assignments


# --------------------------------------------------------------------------------------------
# Statistics under reassignment
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _TwfeStatistic:
    """TWFE coefficient (or CRV1 t by unit) for many treatment assignments at once."""

    panel: PreparedPanel
    y_within: NDArray[np.float64]
    small_sample_factor: float
    studentize: bool

    def __call__(self, assignments: NDArray[np.float64]) -> NDArray[np.float64]:
        panel = self.panel
        results = np.empty(assignments.shape[0])
        block = max(1, _MAX_BLOCK_FLOATS // panel.n_obs)
        unit_sum = sparse.csr_matrix(
            (np.ones(panel.n_obs), (panel.unit, np.arange(panel.n_obs))),
            shape=(panel.n_units, panel.n_obs),
        )
        for start in range(0, assignments.shape[0], block):
            cohort = assignments[start : start + block][:, panel.unit].T
            post = ((cohort > 0) & (panel.time[:, None] >= cohort)).astype(np.float64)
            within = demean(post, (panel.unit, panel.period))
            sum_squares = np.einsum("ij,ij->j", within, within)
            usable = sum_squares > _COLLINEARITY_TOLERANCE * np.maximum(post.sum(axis=0), 1.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                beta = (within.T @ self.y_within) / sum_squares
                if self.studentize:
                    residuals = self.y_within[:, None] - within * beta
                    scores = unit_sum @ (within * residuals)
                    variance = self.small_sample_factor * np.einsum("ij,ij->j", scores, scores)
                    beta = beta / (np.sqrt(variance) / sum_squares)
            results[start : start + block] = np.where(usable, beta, np.nan)
        return results


@dataclass(frozen=True, eq=False)
class _CsSimpleStatistic:
    """Overall ATT of att_gt + aggte(type="simple") for each assignment, one fit each."""

    frame: pd.DataFrame
    spec: PanelSpec
    row_unit: NDArray[np.intp]
    studentize: bool

    def fit(self, cohorts: NDArray[np.float64]) -> Any:
        frame = self.frame.assign(**{self.spec.gname: cohorts[self.row_unit]})
        with warnings.catch_warnings():
            # Sample notes are the same for every reassignment; the observed fit keeps them.
            warnings.simplefilter("ignore")
            fit = att_gt(
                frame,
                self.spec.yname,
                self.spec.tname,
                self.spec.idname,
                self.spec.gname,
                est_method="reg",
            )
            return aggte(fit, type="simple")

    def value(self, result: Any) -> float:
        if self.studentize:
            return float(result.overall_att / result.overall_se)
        return float(result.overall_att)

    def __call__(self, assignments: NDArray[np.float64]) -> NDArray[np.float64]:
        results = np.empty(assignments.shape[0])
        for index, cohorts in enumerate(assignments):
            try:
                results[index] = self.value(self.fit(cohorts))
            except YltEvalError:
                results[index] = np.nan
        return results


def _p_value(observed: float, statistics: NDArray[np.float64], exact: bool) -> float:
    finite = statistics[np.isfinite(statistics)]
    scale = max(abs(observed), float(np.abs(finite).max()) if finite.size else 0.0)
    margin = _TIE_TOLERANCE * scale
    extreme = int(np.count_nonzero(np.abs(finite) >= abs(observed) - margin))
    if exact:
        return extreme / finite.size
    return (1 + extreme) / (1 + finite.size)


# --------------------------------------------------------------------------------------------
# Public function
# --------------------------------------------------------------------------------------------


def randomization_inference(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    *,
    statistic: str = "twfe",
    permutations: int = 999,
    seed: int | None = None,
    test_statistic: str = "estimate",
) -> RandomizationResult:
    """Randomisation test of no effect by reassigning reform cohorts across units.

    The units' cohorts (first treated period, 0 for never treated) are shuffled across the
    units of the estimation sample, keeping the number of units per cohort; each unit keeps
    its own outcomes. The statistic is recomputed under each reassignment and compared with
    the observed one.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel. Not modified; row order does not matter.
    yname, tname, idname, gname : str
        Outcome, period, unit and cohort columns, as in :func:`~ylt_eval.models.twfe`.
    statistic : {"twfe", "cs_simple"}
        Static TWFE coefficient, or the Callaway & Sant'Anna overall ATT (``att_gt`` with
        ``est_method="reg"`` and never-treated controls, then ``aggte(type="simple")``;
        about 20-30 ms per reassignment on 2,500 rows).
    permutations : int, default 999
        Random reassignments. When the number of distinct assignments is at most this, all of
        them are enumerated instead (exact test).
    seed : int, optional
        Seed of :func:`numpy.random.default_rng`.
    test_statistic : {"estimate", "t"}, default "estimate"
        Compare estimates, or estimates divided by their standard errors (CRV1 by unit for
        TWFE, analytic for Callaway & Sant'Anna).

    Returns
    -------
    RandomizationResult

    Raises
    ------
    ParameterError
        Invalid options or column names.
    DataValidationError
        Bad data.
    EstimationError
        The statistic cannot be computed on the observed data.

    Notes
    -----
    The test is exact for the sharp null when assignments are exchangeable (e.g. random
    reform order within the sample); when reform timing was targeted (the poorest counties
    first), it is a descriptive placebo comparison rather than an exact test.
    """
    statistic = _check_choice(statistic, "statistic", STATISTICS)
    test_statistic = _check_choice(test_statistic, "test_statistic", TEST_STATISTICS)
    permutations = _check_permutations(permutations)
    seed = check_seed(seed)
    studentize = test_statistic == "t"
    spec = PanelSpec(yname=yname, tname=tname, idname=idname, gname=gname)

    if statistic == "twfe":
        fit = twfe(data, yname, tname, idname, gname)
        panel = prepare_panel(data, fit.config.panel, cluster=None)
        n_obs, n_units = panel.n_obs, panel.n_units
        factor = (n_obs - 1) / (n_obs - int(fit.inference.ssc_k)) * n_units / (n_units - 1)
        compute = _TwfeStatistic(
            panel=panel,
            y_within=demean(panel.y[:, None], (panel.unit, panel.period))[:, 0],
            small_sample_factor=factor,
            studentize=studentize,
        )
        term = POST_TERM
        estimate, std_error = fit.estimate_of(POST_TERM), fit.std_error_of(POST_TERM)
        analytic_p = float(fit.tidy()["p_value"].iloc[0])
    else:
        panel = prepare_panel(data, spec, cluster=None)
        frame = pd.DataFrame(
            {
                yname: panel.y,
                tname: panel.time,
                idname: pd.Series(panel.unit_labels[panel.unit], dtype=object),
            }
        )
        compute = _CsSimpleStatistic(frame, spec, panel.unit, studentize)
        fit = compute.fit(panel.unit_cohort)
        term = "ATT"
        estimate, std_error = fit.overall_att, fit.overall_se
        analytic_p = float(fit.tidy()["p_value"].iloc[0])

    unit_cohort = panel.unit_cohort
    if statistic == "twfe":
        observed = float(compute(unit_cohort[None, :])[0])
    else:
        observed = compute.value(fit)
    if not math.isfinite(observed):
        raise EstimationError(
            "the test statistic is not defined on the observed data (zero standard error?); "
            "use test_statistic='estimate'"
        )
    assignments, exact, n_assignments = _assignments(unit_cohort, permutations, seed)
    values = compute(assignments)
    failed = ~np.isfinite(values)
    config = RandomizationConfig(
        panel=fit.config.panel,
        vcov=fit.config.vcov,
        cluster=fit.config.cluster,
        statistic=statistic,
        test_statistic=test_statistic,
        permutations=permutations,
        seed=seed,
    )
    notes = list(fit.notes) + _notes(exact, n_assignments, int(failed.sum()), unit_cohort)
    return RandomizationResult(
        config=config,
        terms=(term,),
        estimates=[estimate],
        std_errors=[std_error],
        inference=fit.inference,
        sample=fit.sample,
        provenance=fit.provenance,
        notes=tuple(notes),
        observed_statistic=observed,
        p_value=_p_value(observed, values, exact),
        permutation_statistics=values[~failed],
        n_permutations=int((~failed).sum()),
        exact=exact,
        n_assignments=n_assignments,
        n_failed=int(failed.sum()),
        analytic_p_value=analytic_p,
    )


def _notes(
    exact: bool, n_assignments: int, n_failed: int, unit_cohort: NDArray[np.float64]
) -> list[str]:
    notes = []
    if exact:
        notes.append(
            f"exact test: all {n_assignments:,} distinct assignments of the cohorts to the "
            "units were used (the observed one included); the seed is not used"
        )
    smallest = 1.0 / n_assignments if exact else math.nan
    if exact and smallest > 0.05:
        notes.append(
            f"only {n_assignments} distinct assignments exist, so the p-value cannot fall "
            f"below {smallest:.3f}: no test at the 5 % level is possible with so few units"
        )
    if n_failed:
        notes.append(
            f"the statistic could not be computed under {n_failed} reassignment(s) (e.g. "
            "treatment absorbed by the fixed effects); they were left out of the p-value"
        )
    n_treated = int((unit_cohort > 0).sum())
    if n_treated and n_treated == unit_cohort.size:
        notes.append(
            "every unit is treated at some point: reassignments only reshuffle reform years"
        )
    return notes


# --------------------------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------------------------


def _check_choice(value: Any, name: str, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ParameterError(
            f"{name} must be one of {', '.join(repr(a) for a in allowed)}, got {value!r}"
        )
    return value


def _check_permutations(value: Any) -> int:
    return check_positive_int(value, "permutations", 999)
