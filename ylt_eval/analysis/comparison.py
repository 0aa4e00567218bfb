"""Peer statistics: medians, quartiles and ranks of an indicator across counties."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Fewer counties than this with a value: no peer median, quartiles, rank or grade is shown
#: (a "rank 1 of 2" says nothing and can identify the other county).
MIN_PEERS = 3


def peer_summary(indicators: pd.DataFrame, code: str) -> pd.DataFrame:
    """Median and quartiles of one indicator across counties, per year.

    Parameters
    ----------
    indicators : DataFrame
        Long indicator table (``county_code, year, indicator, value``) of the peer set.
    code : str
        Indicator code.

    Returns
    -------
    DataFrame
        Columns ``year, n, p25, median, p75`` (counties with a value only); the statistics
        are NaN in years with fewer than :data:`MIN_PEERS` counties.
    """
    values = indicators.loc[indicators["indicator"] == code, ["year", "value"]].dropna()
    grouped = values.groupby("year")["value"]
    summary = pd.DataFrame(
        {
            "n": grouped.size(),
            "p25": grouped.quantile(0.25),
            "median": grouped.median(),
            "p75": grouped.quantile(0.75),
        }
    ).reset_index()
    too_few = summary["n"] < MIN_PEERS
    summary.loc[too_few, ["p25", "median", "p75"]] = np.nan
    return summary


def rank_counties(values: pd.Series, direction: str, target: float | None = None) -> pd.Series:
    """Rank counties so that 1 is the best value in the indicator's desirable direction.

    Parameters
    ----------
    values : Series
        Indicator values indexed by county code; NaN gets no rank.
    direction : str
        ``"up"``, ``"down"`` or ``"target"`` (closest to ``target`` is best); ``"monitor"``
        indicators are not ranked (all NaN).
    target : float, optional
        Target value for ``direction="target"``.

    Returns
    -------
    Series
        Integer ranks (ties share the best rank, "min" method) as a nullable Int64 series;
        all missing when fewer than :data:`MIN_PEERS` counties have a value.
    """
    if values.notna().sum() < MIN_PEERS:
        return pd.Series(pd.NA, index=values.index, dtype="Int64")
    if direction == "up":
        score = -values
    elif direction == "down":
        score = values
    elif direction == "target" and target is not None:
        score = (values - target).abs()
    else:
        return pd.Series(pd.NA, index=values.index, dtype="Int64")
    # Stable across input order: ties broken by nothing, reported as shared ranks.
    ranks = score.rank(method="min", na_option="keep")
    return ranks.round().astype("Int64").where(~np.isnan(ranks.to_numpy(float)))
