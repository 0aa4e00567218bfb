"""Province-level reform effect: event study of one indicator on the county panel."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ylt_eval.errors import EstimationError, YltEvalError


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
        ``time`` (event time), ``label`` (its display text, binned end points as "≤−5"),
        ``estimate``, ``std_error``, ``conf_low``, ``conf_high``, ``p_value``;
        includes the reference period (−1) as 0 with no interval.
    post_average : float
        Mean of the post-reform (event time ≥ 0) estimates.
    n_treated, n_control, n_obs : int
        Reformed counties, never/not-yet reformed counties, county-years used.
    method : str
        Short description of the estimator and inference.
    """

    outcome: str
    estimates: pd.DataFrame
    post_average: float
    n_treated: int
    n_control: int
    n_obs: int
    method: str


def province_event_study(
    indicators: pd.DataFrame,
    counties: pd.DataFrame,
    outcome: str,
    *,
    last_year: int,
    min_e: int,
    max_e: int,
) -> ImpactEstimate:
    """Estimate the reform's dynamic effect on ``outcome`` with a TWFE event study.

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
        Event-time window; periods beyond are binned into the end points.

    Raises
    ------
    ImpactUnavailable
        When the data cannot identify the effect (no reformed or no comparison counties,
        or the estimator refuses the data); its ``reason`` says which.
    """
    from ylt_eval.models.twfe import event_study

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
    treated = data.loc[data["cohort"] > 0, "county_code"].nunique()
    control = data.loc[data["cohort"] == 0, "county_code"].nunique()
    if treated == 0:
        raise ImpactUnavailable("no_reformed")
    if control == 0 and data["cohort"].nunique() < 2:
        raise ImpactUnavailable("no_comparison")
    try:
        result = event_study(
            data,
            yname="value",
            tname="year",
            idname="county_code",
            gname="cohort",
            ref=-1,
            min_e=min_e,
            max_e=max_e,
        )
    except YltEvalError as error:  # data the estimator refuses: report why, do not crash
        raise ImpactUnavailable("estimator", str(error)) from error
    tidy = result.tidy()
    estimates = tidy[["time", "estimate", "std_error", "conf_low", "conf_high", "p_value"]].assign(
        label=[
            _event_label(term, time) for term, time in zip(tidy["term"], tidy["time"], strict=True)
        ]
    )
    reference = pd.DataFrame(
        {
            "time": [-1],
            "estimate": [0.0],
            "std_error": [np.nan],
            "conf_low": [np.nan],
            "conf_high": [np.nan],
            "p_value": [np.nan],
            "label": ["−1"],
        }
    )
    estimates = (
        pd.concat([estimates, reference], ignore_index=True)
        .astype({"time": int})
        .sort_values("time")
        .reset_index(drop=True)
    )
    post = estimates.loc[estimates["time"] >= 0, "estimate"]
    return ImpactEstimate(
        outcome=outcome,
        estimates=estimates,
        post_average=float(post.mean()) if len(post) else float("nan"),
        n_treated=int(treated),
        n_control=int(control),
        n_obs=len(data),
        method="TWFE event study, county and year fixed effects, CRV1 county-clustered SEs",
    )


def _event_label(term: str, time: float) -> str:
    """Display label of an event time; binned end points read "≤ −5" / "≥ 5"."""
    value = f"{int(time)}".replace("-", "−")
    if "<=" in term:
        return f"≤{value}"
    if ">=" in term:
        return f"≥{value}"
    return value
