"""One county's own reform effect: synthetic DiD against the province's unreformed counties.

The province-level event study (:mod:`ylt_eval.analysis.impact`) gives the *average* effect over
all reformed counties. A county report also asks what the reform did in *this* county. With one
treated county the comparison is a weighted combination of other counties of the same province
(the donors), and inference is by in-space placebos: every donor in turn is treated as if it had
been reformed in the same year, and the county's effect is ranked among the placebo effects.

Design (see ``docs/design_decisions.md``):

- **Main estimate: synthetic difference-in-differences** (Arkhangelsky et al. 2021). Its unit
  weights match the county's pre-reform *trend* (an intercept absorbs level differences) and
  its time weights favour the pre-reform years that resemble the post-reform ones, so it stays
  credible when no convex combination of donors reproduces the county's level, which is common
  for a county at the edge of its province.
- **Comparison: synthetic control** (Abadie, Diamond & Hainmueller 2010) with the pre-reform
  outcome path as the only thing matched: donor weights on the simplex, no intercept, so the
  county's level must lie within the donors'. Shown beside the main estimate; a different
  sign is reported as a warning. No placebos are run for it (they would double the run time
  and the report draws its inference from the main estimate).
- **Donors:** counties of the same province never reformed or reformed only after the end of
  the estimation window, with the outcome observed in every year of it, so a donor is
  untreated throughout. The window runs from the first year with data to the assessment year;
  when fewer than :data:`MIN_DONORS` counties qualify, it ends earlier (more counties are still
  unreformed then), and the report says so.
- **Pre-reform fit** is stated as RMSPE, relative to the county's pre-reform level and relative
  to the donors' own placebo fits. A fit more than :data:`POOR_FIT_RATIO` times worse than the
  median placebo fit makes the estimate not credible, whatever its p-value, unless the
  post-reform gap is extreme *relative to the county's own pre-reform misfit* (Abadie et al.'s
  2010 post/pre RMSPE ratio ranks first among the placebos, p ≤ :data:`STANDS_OUT_P_VALUE`):
  a misfit of 0.4 points cannot produce a gap of 9 points, so then the report keeps the
  verdict and adds a caveat on the fit instead.

:func:`province_counterfactuals` estimates every county of a province at once (one solve per
estimation window for all counties and their placebos), which is what a batch run should call;
:func:`county_counterfactual` gives the same numbers for one county. :func:`province_bacon`
decomposes the province's TWFE coefficient (Goodman-Bacon 2021), to be shown wherever TWFE is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ylt_eval.analysis.impact import ImpactUnavailable, _estimation_sample
from ylt_eval.errors import EstimationError, ParameterError, YltEvalError

if TYPE_CHECKING:
    from ylt_eval.analysis.county import CountyInfo
    from ylt_eval.analysis.inputs import AssessmentData
    from ylt_eval.models.synthetic import SyntheticResult

#: Pre-reform years needed to judge the fit (synthdid itself needs two).
MIN_PRE_PERIODS = 3
#: Donors needed; with J donors the smallest placebo p-value is 1 / (J + 1).
MIN_DONORS = 5
#: Pre-reform RMSPE above this multiple of the donors' median placebo RMSPE: not credible.
#: sqrt(5): a mean squared error five times the placebos', the cut-off Abadie, Diamond &
#: Hainmueller (2010) use to call a placebo's fit poor.
POOR_FIT_RATIO = math.sqrt(5.0)
#: Placebo p-value at or below which the county's effect is said to stand out.
STANDS_OUT_P_VALUE = 0.10
#: Donors listed with their weights.
TOP_DONORS = 5

#: Verdicts of :attr:`CountyCounterfactual.verdict`.
VERDICTS = ("poor_fit", "stands_out", "within_placebo")
#: Reasons of :class:`CounterfactualUnavailable`.
REASONS = (
    "no_province",
    "not_reformed",
    "reformed_after_year",
    "outcome_missing",
    "too_few_pre_periods",
    "no_post_data",
    "too_few_donors",
    "estimator",
)

METHOD_TEXT = (
    "Synthetic difference-in-differences (Arkhangelsky et al. 2021, synthdid 0.0.9 weights) for "
    "one treated county; comparison: synthetic control (Abadie et al. 2010, pre-reform outcome "
    "path only, no predictors); "
    "donors: counties of the same province not reformed by the end of the window with complete "
    "outcome data; inference: in-space placebos over all donors, rank p-value of |ATT|"
)


class CounterfactualUnavailable(EstimationError):
    """The data cannot give this county's own effect estimate.

    Attributes
    ----------
    reason : str
        Stable code the report translates, one of :data:`REASONS`: ``no_province``,
        ``not_reformed`` (never reformed), ``reformed_after_year`` (reformed after the
        assessment year), ``outcome_missing`` (no value of the outcome for the county),
        ``too_few_pre_periods`` (reformed too early in the data), ``no_post_data`` (no value
        from the reform year to the assessment year), ``too_few_donors``, ``estimator``.
    detail : str
        Numbers behind the reason (or the estimator's message).
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail

    def __reduce__(self):
        # Batch runs send results between processes: keep reason and detail apart.
        return (type(self), (self.reason, self.detail))


@dataclass(frozen=True, eq=False)
class CountyCounterfactual:
    """One county's reform effect against its synthetic comparison, ready for the report.

    Effects are in the outcome's unit (percentage points for a share in %).

    Attributes
    ----------
    outcome : str
        Indicator code.
    county_code, county_name : str
    reform_year : int
    year : int
        Assessment year (last year the window may reach).
    window_start, window_end : int
        First and last year used.
    window_shortened : bool
        The window ends before the assessment year because too few counties were still
        unreformed then.
    n_pre, n_post : int
        Years with data before / from the reform year within the window.
    att : float
        Synthetic DiD estimate: average effect over the post-reform years.
    sc_att : float
        Synthetic control estimate (comparison).
    methods_agree : bool
        Both estimates have the same sign.
    path : DataFrame
        ``year, treated, synthetic, synthetic_sc, effect, post``: the county, its synthetic
        DiD and synthetic control comparisons, and the synthetic DiD gap every year.
    pre_rmspe : float
        Root mean squared pre-reform gap of the synthetic DiD path.
    pre_level : float
        Mean of the county's pre-reform values.
    pre_rmspe_relative : float
        ``pre_rmspe / |pre_level|`` (NaN when the level is zero).
    sc_pre_rmspe : float
        Pre-reform RMSPE of the synthetic control path.
    placebo_pre_rmspe_median : float
        Median pre-reform RMSPE of the donors' placebo fits.
    fit_ratio : float
        ``pre_rmspe / placebo_pre_rmspe_median``.
    placebo : DataFrame
        One row per unit, the county first: ``county_code, county_name, treated, estimate,
        pre_rmspe, post_rmspe, rmspe_ratio``.
    p_value : float
        Share of all units (the county included) whose absolute effect is at least the
        county's.
    rank : int
        Rank of the county's absolute effect among all units (1 = largest; ties count
        against the county).
    n_units : int
        Donors + 1; the smallest attainable p-value is ``1 / n_units``.
    rmspe_ratio_p_value : float
        Abadie et al. (2010) ranking of the post/pre RMSPE ratio.
    n_donors : int
    n_incomplete_donors : int
        Unreformed counties left out because the outcome is missing in a window year.
    top_donors : DataFrame
        ``county_code, county_name, weight``: the largest synthetic DiD weights (at most
        :data:`TOP_DONORS`, positive only).
    fit_poor : bool
        Pre-reform RMSPE above :data:`POOR_FIT_RATIO` × the placebo median.
    verdict : str
        ``poor_fit`` (``fit_poor`` and a post/pre RMSPE ratio that does not stand out: not
        credible), ``stands_out`` (p-value ≤ :data:`STANDS_OUT_P_VALUE`) or
        ``within_placebo``.
    method : str
        Estimators and inference, for the methods appendix.
    donor_weights : DataFrame
        ``county_code, county_name, weight``: synthetic DiD weights of every donor, largest
        first (summing to one).
    sc_donor_weights : DataFrame
        The same for the synthetic control.
    time_weights : DataFrame
        ``year, weight``: synthetic DiD time weights of the pre-reform years.

    Everything is plain data (no model objects), so a batch run can send it between
    processes.
    """

    outcome: str
    county_code: str
    county_name: str
    reform_year: int
    year: int
    window_start: int
    window_end: int
    window_shortened: bool
    n_pre: int
    n_post: int
    att: float
    sc_att: float
    methods_agree: bool
    path: pd.DataFrame
    pre_rmspe: float
    pre_level: float
    pre_rmspe_relative: float
    sc_pre_rmspe: float
    placebo_pre_rmspe_median: float
    fit_ratio: float
    placebo: pd.DataFrame
    p_value: float
    rank: int
    n_units: int
    rmspe_ratio_p_value: float
    n_donors: int
    n_incomplete_donors: int
    top_donors: pd.DataFrame
    fit_poor: bool
    verdict: str
    method: str
    donor_weights: pd.DataFrame
    sc_donor_weights: pd.DataFrame
    time_weights: pd.DataFrame

    @property
    def min_p_value(self) -> float:
        """Smallest p-value the placebo ranking can give, ``1 / n_units``."""
        return 1.0 / self.n_units


@dataclass(frozen=True, eq=False)
class BaconDiagnostic:
    """Goodman-Bacon decomposition of the province's static TWFE coefficient.

    Attributes
    ----------
    outcome : str
    twfe : float
        TWFE coefficient on the balanced panel decomposed.
    by_type : DataFrame
        ``type, weight, estimate``: total weight and weighted mean 2×2 estimate of each
        comparison type (types of :data:`ylt_eval.models.bacon.COMPARISON_TYPES` present).
    later_vs_earlier_weight : float
        Weight of the comparisons that use already-reformed counties as controls (biased when
        effects grow over time).
    n_counties : int
        Counties in the balanced panel.
    n_dropped : int
        Counties left out because the outcome is missing in some year.
    first_year, last_year : int
    """

    outcome: str
    twfe: float
    by_type: pd.DataFrame
    later_vs_earlier_weight: float
    n_counties: int
    n_dropped: int
    first_year: int
    last_year: int


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


def county_counterfactual(
    data: AssessmentData,
    county: CountyInfo,
    year: int,
    outcome: str,
    *,
    min_pre_periods: int = MIN_PRE_PERIODS,
    min_donors: int = MIN_DONORS,
) -> CountyCounterfactual:
    """Estimate one county's reform effect on ``outcome`` by synthetic DiD with placebos.

    Parameters
    ----------
    data : AssessmentData
        Loaded input; not modified.
    county : CountyInfo
        The treated county (its province and reform year are used).
    year : int
        Assessment year: data after it are not used.
    outcome : str
        Indicator code.
    min_pre_periods : int, default 3
        Pre-reform years with data needed.
    min_donors : int, default 5
        Donors needed.

    Returns
    -------
    CountyCounterfactual

    Raises
    ------
    CounterfactualUnavailable
        When the data cannot give the estimate; its ``reason`` says why.
    ParameterError
        Bad ``year``, ``min_pre_periods`` or ``min_donors``.
    """
    _check_arguments(year, outcome, min_pre_periods, min_donors)
    if not county.province:
        raise CounterfactualUnavailable("no_province")
    panel = _ProvincePanel.build(data, county.province, year, outcome)
    target = _Target(county.code, county.name, county.reform_year)
    result = _estimate(panel, [target], year, outcome, min_pre_periods, min_donors)[county.code]
    if isinstance(result, CounterfactualUnavailable):
        raise result
    return result


def province_counterfactuals(
    data: AssessmentData,
    province: str,
    year: int,
    outcome: str,
    *,
    min_pre_periods: int = MIN_PRE_PERIODS,
    min_donors: int = MIN_DONORS,
) -> dict[str, CountyCounterfactual | CounterfactualUnavailable]:
    """:func:`county_counterfactual` for every county of a province, solved together.

    Parameters
    ----------
    data, year, outcome, min_pre_periods, min_donors
        As for :func:`county_counterfactual`.
    province : str
        Province name as in ``data.counties``.

    Returns
    -------
    dict
        County code → its estimate, or the :class:`CounterfactualUnavailable` saying why there
        is none; every county of the province, in code order.
    """
    _check_arguments(year, outcome, min_pre_periods, min_donors)
    if not isinstance(province, str) or not province:
        raise ParameterError(f"province must be a non-empty name, got {province!r}")
    panel = _ProvincePanel.build(data, province, year, outcome)
    targets = [
        _Target(
            str(row.county_code),
            "" if pd.isna(row.county_name) else str(row.county_name),
            None if pd.isna(row.reform_year) else int(row.reform_year),
        )
        for row in panel.counties.itertuples()
    ]
    return _estimate(panel, targets, year, outcome, min_pre_periods, min_donors)


def province_bacon(data: AssessmentData, province: str, year: int, outcome: str) -> BaconDiagnostic:
    """Goodman-Bacon decomposition of the province's TWFE coefficient on ``outcome``.

    The sample is the event study's (:func:`ylt_eval.analysis.impact.province_event_study`:
    years up to ``year``, counties reformed later count as unreformed), restricted to the
    counties observed in every year, because the decomposition holds on balanced panels only.

    Parameters
    ----------
    data : AssessmentData
        Loaded input; not modified.
    province : str
    year : int
        Assessment year.
    outcome : str
        Indicator code.

    Returns
    -------
    BaconDiagnostic

    Raises
    ------
    ImpactUnavailable
        ``no_province``, ``no_reformed``, ``no_comparison`` or ``estimator`` (as the event
        study; the report translates them with the same texts).
    """
    from ylt_eval.models import bacon

    _check_year_outcome(year, outcome)
    if not province:
        raise ImpactUnavailable("no_province")
    indicators = data.indicators[data.indicators["province"] == province]
    counties = data.counties[data.counties["province"] == province]
    sample = _estimation_sample(indicators, counties, outcome, year)
    years = np.sort(sample["year"].unique())
    observed = sample.groupby("county_code")["year"].nunique()
    complete = observed.index[observed == years.size]
    balanced = sample[sample["county_code"].isin(complete)]
    if not (balanced["cohort"] > 0).any():
        raise ImpactUnavailable("no_reformed")
    if balanced["cohort"].nunique() < 2:
        raise ImpactUnavailable("no_comparison")
    try:
        result = bacon(balanced, "value", "year", "county_code", "cohort")
    except YltEvalError as error:
        raise ImpactUnavailable("estimator", str(error)) from error
    by_type = result.by_type()
    by_type["type"] = by_type["type"].astype(str)
    forbidden = by_type.loc[by_type["type"] == "later_vs_earlier", "weight"]
    return BaconDiagnostic(
        outcome=outcome,
        twfe=result.overall,
        by_type=by_type,
        later_vs_earlier_weight=float(forbidden.sum()),
        n_counties=int(complete.size),
        n_dropped=int(observed.size - complete.size),
        first_year=int(years[0]),
        last_year=int(years[-1]),
    )


# --------------------------------------------------------------------------------------------
# Data of one province
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    code: str
    name: str
    reform_year: int | None


@dataclass(frozen=True, eq=False)
class _ProvincePanel:
    """The outcome of a province's counties as county × year (years up to the assessment)."""

    wide: pd.DataFrame
    counties: pd.DataFrame
    names: dict[str, str]
    cohorts: dict[str, float]

    @classmethod
    def build(cls, data: AssessmentData, province: str, year: int, outcome: str) -> _ProvincePanel:
        counties = (
            data.counties.loc[
                data.counties["province"] == province,
                ["county_code", "county_name", "reform_year"],
            ]
            .astype({"county_code": str})
            .sort_values("county_code")
            .reset_index(drop=True)
        )
        values = data.indicators.loc[
            (data.indicators["province"] == province)
            & (data.indicators["indicator"] == outcome)
            & (data.indicators["year"] <= year),
            ["county_code", "year", "value"],
        ].dropna(subset=["value"])
        values = values.astype({"county_code": str, "year": int, "value": float})
        wide = (
            values.pivot_table(index="county_code", columns="year", values="value", aggfunc="first")
            .sort_index(axis=0)
            .sort_index(axis=1)
        )
        names = {
            str(code): "" if pd.isna(name) else str(name)
            for code, name in zip(counties["county_code"], counties["county_name"], strict=True)
        }
        reform = pd.to_numeric(counties["reform_year"], errors="coerce").astype(float)
        cohorts = dict(zip(counties["county_code"], reform.fillna(math.inf), strict=True))
        return cls(wide=wide, counties=counties, names=names, cohorts=cohorts)


@dataclass(frozen=True)
class _Plan:
    """Estimation window and donors of one county."""

    target: _Target
    reform_year: int
    years: tuple[int, ...]
    donors: tuple[str, ...]
    window_shortened: bool
    n_incomplete_donors: int


def _plan(
    panel: _ProvincePanel, target: _Target, year: int, min_pre: int, min_donors: int
) -> _Plan:
    reform = target.reform_year
    if reform is None:
        raise CounterfactualUnavailable("not_reformed")
    if reform > year:
        raise CounterfactualUnavailable("reformed_after_year", f"{reform} > {year}")
    if target.code not in panel.wide.index or panel.wide.loc[target.code].isna().all():
        raise CounterfactualUnavailable("outcome_missing")
    own = panel.wide.loc[target.code]
    observed = [int(y) for y in own.index[own.notna()]]
    pre = [y for y in observed if y < reform]
    if len(pre) < min_pre:
        raise CounterfactualUnavailable("too_few_pre_periods", f"{len(pre)} < {min_pre}")
    post = [y for y in observed if y >= reform]
    if not post:
        raise CounterfactualUnavailable("no_post_data", f"{reform}–{year}")
    others = panel.wide.index[panel.wide.index != target.code]
    found = 0
    for end in sorted(post, reverse=True):
        years = tuple(y for y in observed if y <= end)
        unreformed = [code for code in others if panel.cohorts.get(code, math.inf) > end]
        block = panel.wide.loc[unreformed, list(years)]
        complete = block.notna().all(axis=1)
        donors = tuple(str(code) for code in block.index[complete])
        if len(donors) >= min_donors:
            return _Plan(
                target=target,
                reform_year=reform,
                years=years,
                donors=donors,
                window_shortened=end < post[-1],
                n_incomplete_donors=int((~complete).sum()),
            )
        found = max(found, len(donors))
    raise CounterfactualUnavailable(
        "too_few_donors", f"at most {found} unreformed counties with data, {min_donors} needed"
    )


# --------------------------------------------------------------------------------------------
# Estimation
# --------------------------------------------------------------------------------------------


def _estimate(
    panel: _ProvincePanel,
    targets: list[_Target],
    year: int,
    outcome: str,
    min_pre: int,
    min_donors: int,
) -> dict[str, CountyCounterfactual | CounterfactualUnavailable]:
    results: dict[str, CountyCounterfactual | CounterfactualUnavailable] = {}
    groups: dict[tuple[int, ...], list[_Plan]] = {}
    for target in targets:
        try:
            plan = _plan(panel, target, year, min_pre, min_donors)
        except CounterfactualUnavailable as error:
            results[target.code] = error
            continue
        groups.setdefault(plan.years, []).append(plan)
    for years, plans in groups.items():
        try:
            fits = _fit_group(panel, years, plans)
        except YltEvalError:
            # One county's data broke the joint solve: fit separately to say which.
            fits = {}
            for plan in plans:
                try:
                    fits.update(_fit_group(panel, years, [plan]))
                except YltEvalError as error:
                    results[plan.target.code] = CounterfactualUnavailable("estimator", str(error))
        for plan in plans:
            if plan.target.code in fits:
                sdid, sc = fits[plan.target.code]
                results[plan.target.code] = _summarise(panel, plan, sdid, sc, year, outcome)
    return {code: results[code] for code in sorted(results)}


def _fit_group(
    panel: _ProvincePanel, years: tuple[int, ...], plans: list[_Plan]
) -> dict[str, tuple[SyntheticResult, SyntheticResult]]:
    from ylt_eval.models import synthetic_control, synthetic_did_many

    units = sorted({code for plan in plans for code in (plan.target.code, *plan.donors)})
    block = panel.wide.loc[units, list(years)]
    long = block.stack().rename("value").reset_index()
    long.columns = ["county_code", "year", "value"]
    long["year"] = long["year"].astype(np.int64)
    treatments = {plan.target.code: plan.reform_year for plan in plans}
    donors = {plan.target.code: list(plan.donors) for plan in plans}
    arguments = {"yname": "value", "tname": "year", "idname": "county_code"}
    sdid = synthetic_did_many(long, **arguments, treatments=treatments, donors=donors)
    # Exact simplex least squares per county: much faster than synthdid's Frank-Wolfe "sc",
    # which converges slowly with its near-zero ridge, and the same weights up to rounding.
    return {
        code: (
            sdid[code],
            synthetic_control(
                long,
                **arguments,
                treated_unit=code,
                treatment_time=time,
                donors=donors[code],
                placebo=False,
            ),
        )
        for code, time in treatments.items()
    }


def _summarise(
    panel: _ProvincePanel,
    plan: _Plan,
    sdid: SyntheticResult,
    sc: SyntheticResult,
    year: int,
    outcome: str,
) -> CountyCounterfactual:
    placebo = sdid.placebo
    assert placebo is not None  # fitted with placebo=True
    stats = sdid.fit_statistics
    n_pre = sdid.n_pre
    periods = sdid.periods.astype(np.int64)
    path = pd.DataFrame(
        {
            "year": periods,
            "treated": np.array(sdid.treated_path),
            "synthetic": np.array(sdid.synthetic_path),
            "synthetic_sc": np.array(sc.synthetic_path),
            "effect": sdid.effects,
            "post": np.arange(periods.size) >= n_pre,
        }
    )
    table = sdid.placebo_table()
    codes = table["unit"].astype(str)
    placebo_frame = pd.DataFrame(
        {
            "county_code": codes.to_numpy(),
            "county_name": [panel.names.get(code, "") for code in codes],
            "treated": table["treated"].to_numpy(),
            "estimate": table["estimate"].to_numpy(),
            "pre_rmspe": table["pre_rmspe"].to_numpy(),
            "post_rmspe": table["post_rmspe"].to_numpy(),
            "rmspe_ratio": table["rmspe_ratio"].to_numpy(),
        }
    )
    att = float(sdid.att)
    n_units = len(table)
    # The model's p-value is (units with |effect| ≥ the county's) / n_units: that count is
    # the rank, ties counted against the county.
    rank = round(placebo.p_value * n_units)
    pre_rmspe = float(stats["pre_rmspe"])
    pre_level = float(np.mean(sdid.treated_path[:n_pre]))
    placebo_median = float(np.median(placebo.pre_rmspe))
    fit_ratio = _ratio(pre_rmspe, placebo_median)
    donor_weights = _weights_frame(panel, sdid)
    top = donor_weights[donor_weights["weight"] > 0].head(TOP_DONORS).reset_index(drop=True)
    sc_att = float(sc.att)
    fit_poor = bool(fit_ratio > POOR_FIT_RATIO)
    if fit_poor and placebo.rmspe_ratio_p_value > STANDS_OUT_P_VALUE:
        verdict = "poor_fit"
    elif placebo.p_value <= STANDS_OUT_P_VALUE:
        verdict = "stands_out"
    else:
        verdict = "within_placebo"
    return CountyCounterfactual(
        outcome=outcome,
        county_code=plan.target.code,
        county_name=plan.target.name,
        reform_year=plan.reform_year,
        year=year,
        window_start=int(plan.years[0]),
        window_end=int(plan.years[-1]),
        window_shortened=plan.window_shortened,
        n_pre=int(n_pre),
        n_post=int(periods.size - n_pre),
        att=att,
        sc_att=sc_att,
        methods_agree=bool(np.sign(att) == np.sign(sc_att)),
        path=path,
        pre_rmspe=pre_rmspe,
        pre_level=pre_level,
        pre_rmspe_relative=_ratio(pre_rmspe, abs(pre_level)),
        sc_pre_rmspe=float(sc.fit_statistics["pre_rmspe"]),
        placebo_pre_rmspe_median=placebo_median,
        fit_ratio=fit_ratio,
        placebo=placebo_frame,
        p_value=float(placebo.p_value),
        rank=int(rank),
        n_units=n_units,
        rmspe_ratio_p_value=float(placebo.rmspe_ratio_p_value),
        n_donors=len(plan.donors),
        n_incomplete_donors=plan.n_incomplete_donors,
        top_donors=top,
        fit_poor=fit_poor,
        verdict=verdict,
        method=METHOD_TEXT,
        donor_weights=donor_weights,
        sc_donor_weights=_weights_frame(panel, sc),
        time_weights=pd.DataFrame(
            {"year": periods[:n_pre], "weight": np.array(sdid.time_weight_values)}
        ),
    )


def _weights_frame(panel: _ProvincePanel, result: SyntheticResult) -> pd.DataFrame:
    """Donor weights, largest first (ties in code order)."""
    weights = result.unit_weights.sort_values(ascending=False, kind="mergesort")
    return pd.DataFrame(
        {
            "county_code": [str(code) for code in weights.index],
            "county_name": [panel.names.get(str(code), "") for code in weights.index],
            "weight": weights.to_numpy(dtype=float),
        }
    )


def _ratio(numerator: float, denominator: float) -> float:
    if denominator > 0:
        return numerator / denominator
    return math.nan if numerator == 0 or math.isnan(numerator) else math.inf


def _check_year_outcome(year: object, outcome: object) -> None:
    if isinstance(year, bool) or not isinstance(year, int | np.integer):
        raise ParameterError(f"year must be a whole number, got {year!r}")
    if not isinstance(outcome, str) or not outcome:
        raise ParameterError(f"outcome must be an indicator code, got {outcome!r}")


def _check_arguments(year: object, outcome: object, min_pre: object, min_donors: object) -> None:
    _check_year_outcome(year, outcome)
    for name, value, lowest in (("min_pre_periods", min_pre, 2), ("min_donors", min_donors, 2)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < lowest:
            raise ParameterError(f"{name} must be a whole number ≥ {lowest}, got {value!r}")
