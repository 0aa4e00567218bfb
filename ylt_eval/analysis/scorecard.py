"""The county's indicator assessment: scorecard, referrals, finance by level, warnings.

Built on :func:`ylt_eval.metrics.assessment.assess_with_warnings` (targets, grades, ranks and
warnings within the peer set) and :func:`ylt_eval.metrics.grading.composite_scores`; this module
only selects the county's rows and hides peer statistics below
:data:`~ylt_eval.analysis.comparison.MIN_PEERS` counties (design decision 11).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ylt_eval.analysis.comparison import MIN_PEERS
from ylt_eval.analysis.config import ReportConfig

#: Columns of :attr:`CountyAssessment.scorecard`.
SCORECARD_COLUMNS: tuple[str, ...] = (
    "dimension",
    "indicator",
    "value",
    "previous",
    "change",
    "target_text_zh",
    "target_text_en",
    "status",
    "grade",
    "rank",
    "n_ranked",
    "peer_median",
)

#: Columns of :attr:`CountyAssessment.referrals` (one row per direction, ``up`` then ``down``).
REFERRAL_COLUMNS: tuple[str, ...] = (
    "direction",
    "count",
    "previous_count",
    "growth",
    "target_text_zh",
    "target_text_en",
    "status",
    "rate",
    "previous_rate",
)

#: Columns of :attr:`CountyAssessment.warnings`.
WARNING_COLUMNS: tuple[str, ...] = ("indicator", "rule", "reason_zh", "reason_en")

#: Years shown in the finance tables (the latest years with data up to the assessment year).
FINANCE_YEARS = 6


@dataclass(frozen=True)
class CompositeResult:
    """The county's composite score under one weighting.

    Attributes
    ----------
    method : str
        ``"equal"`` or ``"entropy"``.
    score : float
        0–100; NaN when the county covers too few indicators.
    rank, n_ranked : int or None
        Rank among the counties of the province with a score (None below ``MIN_PEERS``).
    grade : str or None
    n_indicators : int
    """

    method: str
    score: float
    rank: int | None
    n_ranked: int
    grade: str | None
    n_indicators: int


@dataclass(frozen=True)
class CountyAssessment:
    """Indicator assessment of one county and year.

    Attributes
    ----------
    scorecard : DataFrame
        Columns :data:`SCORECARD_COLUMNS`: every catalogue indicator with a value in the year or
        the year before, dimensions in the configured order, catalogue order within each.
        ``status`` is ``met``, ``not_met``, ``no_target`` or ``insufficient_data``;
        ``peer_median`` is the median of the *other* counties of the province (what peer
        targets compare with); ``grade``, ``rank`` and ``peer_median`` are missing below
        ``MIN_PEERS`` counties with a value.
    referrals : DataFrame
        Columns :data:`REFERRAL_COLUMNS`; counts in referrals, growth and rates in percent.
    finance : DataFrame
        Finance indicators (rows, configured order) × up to :data:`FINANCE_YEARS` years with data
        (columns).
    finance_median : Series
        Median over the province in the assessment year of each finance indicator (NaN below
        ``MIN_PEERS`` counties).
    warnings : DataFrame
        Columns :data:`WARNING_COLUMNS`, in catalogue and rule order.
    composite : tuple of CompositeResult
        Equal and entropy weighting (empty when the county has no gradable indicator).
    n_peers : int
        Counties of the province with data in the year (the county included).
    outlier_min_peers : int
        Fewest counties the ``peer_outlier`` warning needs.
    """

    scorecard: pd.DataFrame
    referrals: pd.DataFrame
    finance: pd.DataFrame
    finance_median: pd.Series
    warnings: pd.DataFrame
    composite: tuple[CompositeResult, ...]
    n_peers: int
    outlier_min_peers: int

    @property
    def status_counts(self) -> dict[str, int]:
        """Scorecard rows per target status."""
        counts = self.scorecard["status"].value_counts()
        return {status: int(counts.get(status, 0)) for status in ("met", "not_met")}


def assess_county(
    peer_indicators: pd.DataFrame,
    county_code: str,
    year: int,
    config: ReportConfig,
    *,
    n_peers: int,
) -> CountyAssessment:
    """Assess one county against its targets and its province.

    Parameters
    ----------
    peer_indicators : DataFrame
        Long indicator table of the peer set (the county's province, or the county alone):
        ``county_code, county_name, province, year, indicator, value``. Years after ``year`` are
        ignored, so a report never uses later data.
    county_code : str
    year : int
    config : ReportConfig
    n_peers : int
        Counties of the peer set with data in ``year``.

    Returns
    -------
    CountyAssessment
    """
    from ylt_eval.metrics.assessment import assess_with_warnings
    from ylt_eval.metrics.early_warning import WarningRules

    known = _catalogue_codes()
    long = peer_indicators[
        (peer_indicators["year"] <= year) & peer_indicators["indicator"].isin(known)
    ].dropna(subset=["value"])
    long = long[["county_code", "county_name", "province", "year", "indicator", "value"]]
    table, warnings = assess_with_warnings(long)
    own = table[(table["county_code"] == county_code) & (table["year"] == year)]
    own_warnings = warnings[(warnings["county_code"] == county_code) & (warnings["year"] == year)]
    in_year = long[long["year"] == year]
    return CountyAssessment(
        scorecard=_scorecard(own, config.dimensions),
        referrals=_referrals(own, config),
        finance=_finance(long, county_code, year, config.finance_codes),
        finance_median=_finance_median(in_year, config.finance_codes),
        warnings=own_warnings[list(WARNING_COLUMNS)].reset_index(drop=True),
        composite=_composite(long, county_code, year),
        n_peers=n_peers,
        outlier_min_peers=WarningRules().min_peers,
    )


def _catalogue_codes() -> list[str]:
    from ylt_eval.metrics.catalogue import catalogue

    return [item.code for item in catalogue()]


def _scorecard(own: pd.DataFrame, dimensions: tuple[str, ...]) -> pd.DataFrame:
    from ylt_eval.metrics.catalogue import indicator

    rows = own[own["value"].notna() | own["previous"].notna()].copy()
    rows["dimension"] = [indicator(code).dimension for code in rows["indicator"]]
    order = {dimension: position for position, dimension in enumerate(dimensions)}
    rows = rows[rows["dimension"].isin(order)]
    rows["_order"] = rows["dimension"].map(order)
    rows = rows.sort_values("_order", kind="stable")  # assess already sorts by catalogue order
    few = rows["n_peers"].to_numpy(dtype=np.int64) < MIN_PEERS
    rank = rows["rank"].astype("Int64").mask(few)
    table = pd.DataFrame(
        {
            "dimension": rows["dimension"].astype(str),
            "indicator": rows["indicator"].astype(str),
            "value": rows["value"].astype(float),
            "previous": rows["previous"].astype(float),
            "change": rows["change"].astype(float),
            "target_text_zh": rows["target_text_zh"].fillna("").astype(str),
            "target_text_en": rows["target_text_en"].fillna("").astype(str),
            "status": rows["status"].astype(str),
            "grade": rows["grade"].astype(object).where(~few & rows["grade"].notna(), None),
            "rank": rank,
            "n_ranked": np.where(rank.isna(), 0, rows["n_peers"]).astype(np.int64),
            "peer_median": rows["peer_median"].astype(float).mask(few),
        }
    )
    return table[list(SCORECARD_COLUMNS)].reset_index(drop=True)


def _referrals(own: pd.DataFrame, config: ReportConfig) -> pd.DataFrame:
    by_code = own.set_index("indicator")
    rows = []
    for direction, codes in config.referrals.items():

        def pick(code: str, column: str, default: object = np.nan) -> object:
            if code not in by_code.index:
                return default
            value = by_code.at[code, column]
            return (
                default
                if value is None or (isinstance(value, float) and np.isnan(value))
                else value
            )

        rows.append(
            {
                "direction": direction,
                "count": float(pick(codes.count, "value")),
                "previous_count": float(pick(codes.count, "previous")),
                "growth": float(pick(codes.growth, "value")),
                "target_text_zh": str(pick(codes.growth, "target_text_zh", "")),
                "target_text_en": str(pick(codes.growth, "target_text_en", "")),
                "status": str(pick(codes.growth, "status", "insufficient_data")),
                "rate": float(pick(codes.rate, "value")),
                "previous_rate": float(pick(codes.rate, "previous")),
            }
        )
    return pd.DataFrame(rows, columns=list(REFERRAL_COLUMNS))


def _finance(
    long: pd.DataFrame, county_code: str, year: int, codes: tuple[str, ...]
) -> pd.DataFrame:
    own = long[(long["county_code"] == county_code) & long["indicator"].isin(codes)]
    table = own.pivot_table(index="indicator", columns="year", values="value", aggfunc="first")
    years = sorted(int(y) for y in table.columns if int(y) <= year)[-FINANCE_YEARS:]
    present = [code for code in codes if code in table.index]
    return table.reindex(index=present, columns=years)


def _finance_median(in_year: pd.DataFrame, codes: tuple[str, ...]) -> pd.Series:
    values = in_year[in_year["indicator"].isin(codes)]
    grouped = values.groupby("indicator")["value"]
    median = grouped.median().where(grouped.count() >= MIN_PEERS)
    return median.reindex(list(codes)).astype(float)


def _composite(long: pd.DataFrame, county_code: str, year: int) -> tuple[CompositeResult, ...]:
    from ylt_eval.metrics.grading import composite_scores

    in_year = long[long["year"] == year]
    if in_year.empty:
        return ()
    results = []
    for method in ("equal", "entropy"):
        try:
            scores = composite_scores(in_year, method=method).scores
        except ValueError:  # no gradable indicator at all
            return ()
        own = scores[scores["county_code"] == county_code]
        if own.empty:
            return ()
        row = own.iloc[0]
        enough = int(row["n_peers"]) >= MIN_PEERS and not pd.isna(row["rank"])
        results.append(
            CompositeResult(
                method=method,
                score=float(row["score"]),
                rank=int(row["rank"]) if enough else None,
                n_ranked=int(row["n_peers"]) if enough else 0,
                grade=str(row["grade"]) if enough and not pd.isna(row["grade"]) else None,
                n_indicators=int(row["n_indicators"]),
            )
        )
    return tuple(results)
