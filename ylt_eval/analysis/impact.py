"""Province-level reform effect: a heterogeneity-robust event study of one indicator.

Counties adopt the reform in different years, so the main estimate is Callaway & Sant'Anna's
(2021) dynamic aggregation with not-yet-treated counties as controls (many provinces have no
never-treated counties), a multiplier bootstrap with a fixed seed and a uniform 95 % band. The
static TWFE coefficient is kept only as a diagnostic: with staggered adoption and effects that
grow over time it is biased, and the report says by how much the two differ.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ylt_eval.errors import EstimationError, YltEvalError

#: Seed of the multiplier bootstrap: part of every report's provenance.
BOOTSTRAP_SEED = 20240101
#: Bootstrap draws for the uniform confidence band.
BOOTSTRAP_DRAWS = 999


class ImpactUnavailable(EstimationError):
    """The data cannot identify the reform effect.

    Attributes
    ----------
    reason : str
        Stable code the report translates: ``no_province``, ``no_reformed``,
        ``no_comparison`` or ``estimator`` (then ``detail`` has the estimator's message).
    detail : str
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class ImpactEstimate:
    """Event-study estimates of the reform on one indicator, ready for the report.

    Attributes
    ----------
    outcome : str
        Indicator code.
    estimates : DataFrame
        ``time`` (event time), ``label`` (display text), ``estimate``, ``std_error``,
        ``conf_low``, ``conf_high`` (uniform 95 % band), ``p_value`` (pointwise).
    overall, overall_se : float
        Average effect over event times 0 … ``max_e`` (CS dynamic aggregation) and its SE.
    pretest_p_value : float
        Wald test that all pre-reform ATT(g,t) are zero.
    twfe, twfe_se : float
        Static TWFE coefficient and county-clustered SE (diagnostic only).
    n_treated, n_control, n_obs : int
        Counties reformed by the last year, counties not reformed by then, county-years used.
    method : str
        Estimator and inference settings, for the methods appendix.
    seed, draws : int
        Bootstrap seed and number of draws.
    notes : tuple of str
        Sample adjustments the estimator made (units dropped and why).
    """

    outcome: str
    estimates: pd.DataFrame
    overall: float
    overall_se: float
    pretest_p_value: float
    twfe: float
    twfe_se: float
    n_treated: int
    n_control: int
    n_obs: int
    method: str
    seed: int
    draws: int
    notes: tuple[str, ...] = ()


def province_event_study(
    indicators: pd.DataFrame,
    counties: pd.DataFrame,
    outcome: str,
    *,
    last_year: int,
    min_e: int,
    max_e: int,
) -> ImpactEstimate:
    """Estimate the reform's dynamic effect on ``outcome`` across a province's counties.

    Parameters
    ----------
    indicators : DataFrame
        Long indicator table of one province.
    counties : DataFrame
        County table with ``county_code`` and ``reform_year`` (NaN = never reformed).
    outcome : str
        Indicator code used as the dependent variable.
    last_year : int
        Data after this year are not used (the report's assessment year).
    min_e, max_e : int
        Event-time window shown.

    Raises
    ------
    ImpactUnavailable
        When the data cannot identify the effect (no reformed or no comparison counties,
        or the estimator refuses the data); its ``reason`` says which.
    """
    from ylt_eval.models import aggte, att_gt, twfe

    data = _estimation_sample(indicators, counties, outcome, last_year)
    treated = data.loc[data["cohort"] > 0, "county_code"].nunique()
    control = data.loc[data["cohort"] == 0, "county_code"].nunique()
    if treated == 0:
        raise ImpactUnavailable("no_reformed")
    if control == 0 and data["cohort"].nunique() < 2:
        raise ImpactUnavailable("no_comparison")
    arguments = {"yname": "value", "tname": "year", "idname": "county_code", "gname": "cohort"}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fit = att_gt(
                data,
                **arguments,
                control_group="notyettreated",
                est_method="reg",
                bstrap=True,
                biters=BOOTSTRAP_DRAWS,
                cband=True,
                seed=BOOTSTRAP_SEED,
            )
            dynamic = aggte(fit, "dynamic", min_e=min_e, max_e=max_e)
            static = twfe(data, **arguments)
    except YltEvalError as error:  # data the estimator refuses: report why, do not crash
        raise ImpactUnavailable("estimator", str(error)) from error
    tidy = dynamic.tidy()
    rows = tidy[tidy["time"].notna()]
    estimates = pd.DataFrame(
        {
            "time": rows["time"].astype(int).to_numpy(),
            "label": [f"{int(t)}".replace("-", "−") for t in rows["time"]],
            "estimate": rows["estimate"].to_numpy(),
            "std_error": rows["std_error"].to_numpy(),
            "conf_low": rows["conf_low"].to_numpy(),
            "conf_high": rows["conf_high"].to_numpy(),
            "p_value": rows["p_value"].to_numpy(),
        }
    )
    static_row = static.tidy().iloc[0]
    return ImpactEstimate(
        outcome=outcome,
        estimates=estimates.sort_values("time").reset_index(drop=True),
        overall=float(dynamic.overall_att),
        overall_se=float(dynamic.overall_se),
        pretest_p_value=float(fit.wald_pvalue) if fit.wald_pvalue is not None else np.nan,
        twfe=float(static_row["estimate"]),
        twfe_se=float(static_row["std_error"]),
        n_treated=int(treated),
        n_control=int(control),
        n_obs=len(data),
        method=(
            "Callaway–Sant'Anna (2021) ATT(g,t), outcome regression, not-yet-treated controls, "
            f"varying base period; dynamic aggregation e = {min_e}…{max_e}; multiplier "
            f"bootstrap ({BOOTSTRAP_DRAWS} draws, seed {BOOTSTRAP_SEED}) with uniform 95 % band; "
            "diagnostic: static TWFE with county and year fixed effects, CRV1 by county"
        ),
        seed=BOOTSTRAP_SEED,
        draws=BOOTSTRAP_DRAWS,
        notes=tuple(sorted({str(w.message) for w in caught})),
    )


def _estimation_sample(
    indicators: pd.DataFrame, counties: pd.DataFrame, outcome: str, last_year: int
) -> pd.DataFrame:
    values = indicators.loc[
        (indicators["indicator"] == outcome) & (indicators["year"] <= last_year),
        ["county_code", "year", "value"],
    ].dropna()
    cohorts = counties[["county_code", "reform_year"]].copy()
    cohorts["reform_year"] = pd.to_numeric(cohorts["reform_year"], errors="coerce")
    data = values.merge(cohorts, on="county_code", how="inner")
    data["cohort"] = data["reform_year"].fillna(0).astype(int)
    # Counties reformed after the last year used are still untreated within the window.
    data.loc[data["cohort"] > last_year, "cohort"] = 0
    return data.drop(columns="reform_year").sort_values(["county_code", "year"])
