"""Everything a county report shows, computed once from the validated input."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ylt_eval.analysis.checklist import CountyIntegration, county_integration
from ylt_eval.analysis.comparison import MIN_PEERS, peer_summary, rank_counties
from ylt_eval.analysis.config import ReportConfig, report_config
from ylt_eval.analysis.counterfactual import (
    BaconDiagnostic,
    CounterfactualUnavailable,
    CountyCounterfactual,
    county_counterfactual,
    province_bacon,
)
from ylt_eval.analysis.impact import ImpactEstimate, ImpactUnavailable, province_event_study
from ylt_eval.analysis.inputs import AssessmentData, load_assessment_data
from ylt_eval.analysis.provenance import Provenance, report_provenance
from ylt_eval.analysis.publication import Publication, publishable
from ylt_eval.analysis.quality import DataQuality, county_data_quality
from ylt_eval.analysis.scorecard import CountyAssessment, assess_county
from ylt_eval.analysis.summary import (
    ExecutiveSummary,
    executive_summary,
    indicator_spread,
    outcome_positions,
)
from ylt_eval.errors import ParameterError
from ylt_eval.report.parameters import CountyReportParameters


@dataclass(frozen=True)
class CountyInfo:
    """Identity of the county a report is about."""

    code: str
    name: str
    province: str
    reform_year: int | None
    consortium_name: str


@dataclass(frozen=True)
class CountyAnalysis:
    """Numbers behind one county report (the report layer only formats them).

    Attributes
    ----------
    params : CountyReportParameters
    county : CountyInfo
    headline : DataFrame
        One row per headline indicator with data in the year or the year before:
        ``indicator, value, previous, change, peer_median, rank, n_ranked``.
    history : DataFrame
        Headline indicators with any data (rows) × the last :data:`HISTORY_YEARS` years up to
        the assessment year (columns): the numbers behind the trend charts.
    trends : dict
        Indicator code → DataFrame ``year, county, p25, median, p75`` (indicators with fewer
        than two values of the county are left out).
    impact : ImpactEstimate or None
    impact_unavailable : ImpactUnavailable or None
        Why there is no impact estimate (None when there is one).
    n_peers : int
        Counties of the same province with data in the assessment year (itself included);
        below :data:`~ylt_eval.analysis.comparison.MIN_PEERS` no peer statistics are shown.
    data : AssessmentData
    config : ReportConfig
    assessment : CountyAssessment
        Scorecard by dimension, referrals, finance by level, warnings and composite scores.
    integration : CountyIntegration
        Integration checklist scores (or why there are none).
    counterfactual : CountyCounterfactual or None
        The county's own synthetic-DiD estimate with its placebo distribution.
    counterfactual_unavailable : CounterfactualUnavailable or None
        Why there is no county estimate (None when there is one).
    bacon : BaconDiagnostic or None
        Goodman-Bacon decomposition of the province's TWFE coefficient (shown beside TWFE).
    bacon_unavailable : ImpactUnavailable or None
        Why there is no decomposition.
    publication : Publication or None
        Disclosure control applied: which county-year cells were withheld and by which rule.
        Every county figure above comes from ``publication.data``; the province-level models
        use the exact data.
    summary : ExecutiveSummary or None
        Overall grade, counts and key findings (see :mod:`ylt_eval.analysis.summary`).
    outcomes : DataFrame or None
        Quality and health indicators with the county's position among its peers
        (:func:`~ylt_eval.analysis.summary.outcome_positions`).
    data_quality : DataQuality or None
        Validation warnings, missing indicators, disagreements and withheld cells.
    provenance : Provenance or None
        Versions, hashes, parameters, targets and estimator settings.
    """

    params: CountyReportParameters
    county: CountyInfo
    headline: pd.DataFrame
    history: pd.DataFrame
    trends: dict[str, pd.DataFrame]
    impact: ImpactEstimate | None
    impact_unavailable: ImpactUnavailable | None
    n_peers: int
    data: AssessmentData
    config: ReportConfig
    assessment: CountyAssessment
    integration: CountyIntegration
    counterfactual: CountyCounterfactual | None = None
    counterfactual_unavailable: CounterfactualUnavailable | None = None
    bacon: BaconDiagnostic | None = None
    bacon_unavailable: ImpactUnavailable | None = None
    publication: Publication | None = None
    summary: ExecutiveSummary | None = None
    outcomes: pd.DataFrame | None = None
    data_quality: DataQuality | None = None
    provenance: Provenance | None = None


def analyse_county(
    params: CountyReportParameters,
    *,
    data: AssessmentData | None = None,
    impact: ImpactEstimate | None = None,
    counterfactual: CountyCounterfactual | CounterfactualUnavailable | None = None,
    bacon: BaconDiagnostic | ImpactUnavailable | None = None,
) -> CountyAnalysis:
    """Compute the county report's numbers.

    Parameters
    ----------
    params : CountyReportParameters
        Validated notebook parameters.
    data : AssessmentData, optional
        Already loaded input (a batch run loads it once); read from ``params.data_path``
        otherwise.
    impact : ImpactEstimate, optional
        Province-level estimate computed once per run; estimated here otherwise.
    counterfactual : CountyCounterfactual or CounterfactualUnavailable, optional
        The county's own estimate (or why there is none) from
        :func:`~ylt_eval.analysis.counterfactual.province_counterfactuals`, computed once per
        run; estimated here otherwise.
    bacon : BaconDiagnostic or ImpactUnavailable, optional
        The province's Bacon decomposition computed once per run; computed here otherwise.

    Raises
    ------
    ParameterError
        If the county or year is not in the data.
    """
    config = report_config()
    data = data if data is not None else load_assessment_data(params.data_path, lang=params.lang)
    county = _county_info(data, params.county_code)
    years = data.indicators.loc[data.indicators["county_code"] == county.code, "year"]
    if params.year not in set(years.tolist()):
        available = ", ".join(str(y) for y in sorted(set(years.tolist())))
        raise ParameterError(
            f"year {params.year} has no data for county {county.code}; available: {available}"
        )
    publication = publishable(data, config.disclosure)
    exact_province = _province_rows(data.indicators, county)
    province = _province_rows(publication.data.indicators, county)
    in_year = province[province["year"] == params.year]
    n_peers = int(in_year.dropna(subset=["value"])["county_code"].nunique())

    headline = _headline(province, county.code, params.year, config.headline)
    history = _history(province, county.code, params.year, config.headline)
    trends = {
        code: trend
        for code in config.trends
        # A trend needs at least two points of the county's own series.
        if (trend := _trend(province, county.code, code, params.year))["county"].notna().sum() >= 2
    }
    unavailable = None
    if impact is None and not county.province:
        unavailable = ImpactUnavailable("no_province")
    elif impact is None:
        try:
            impact = province_event_study(
                exact_province,
                data.counties[data.counties["province"] == county.province],
                config.impact_outcome,
                last_year=params.year,
                min_e=config.min_e,
                max_e=config.max_e,
            )
        except ImpactUnavailable as error:
            unavailable = error
    integration = county_integration(params.checklist_path, county.code, params.year)
    assessment = assess_county(
        _with_checklist_values(province, integration, data.counties),
        county.code,
        params.year,
        config,
        n_peers=n_peers,
    )
    if counterfactual is None:
        counterfactual = _county_counterfactual(data, county, params.year, config.impact_outcome)
    if bacon is None:
        bacon = _province_bacon(data, county.province, params.year, config.impact_outcome)
    own_counterfactual = _value(counterfactual, CountyCounterfactual)
    summary = executive_summary(
        assessment,
        indicator_spread(province, params.year),
        counterfactual=own_counterfactual,
        impact=impact,
    )
    recorded = {
        "county_code": county.code,
        "year": params.year,
        "data": data.source_name,
        "lang": params.lang,
    }
    if integration.source_name:
        recorded["checklist"] = integration.source_name
    return CountyAnalysis(
        params=params,
        county=county,
        headline=headline,
        history=history,
        trends=trends,
        impact=impact,
        impact_unavailable=unavailable,
        n_peers=n_peers,
        data=data,
        config=config,
        assessment=assessment,
        integration=integration,
        counterfactual=own_counterfactual,
        counterfactual_unavailable=_value(counterfactual, CounterfactualUnavailable),
        bacon=_value(bacon, BaconDiagnostic),
        bacon_unavailable=_value(bacon, ImpactUnavailable),
        publication=publication,
        summary=summary,
        outcomes=outcome_positions(assessment.scorecard, config.outcome_dimensions),
        data_quality=county_data_quality(
            data, publication, province, county.code, params.year, config.dimensions
        ),
        provenance=report_provenance(data, recorded, county.province, params.year, config),
    )


def _province_rows(indicators: pd.DataFrame, county: CountyInfo) -> pd.DataFrame:
    """Indicator rows of the county's province (the county alone when it has none)."""
    rows = indicators[indicators["province"] == county.province]
    if rows.empty:  # indicator-level input without province: the county is its own set
        rows = indicators[indicators["county_code"] == county.code]
    return rows


def _county_counterfactual(
    data: AssessmentData, county: CountyInfo, year: int, outcome: str
) -> CountyCounterfactual | CounterfactualUnavailable:
    try:
        return county_counterfactual(data, county, year, outcome)
    except CounterfactualUnavailable as reason:
        return reason


def _province_bacon(
    data: AssessmentData, province: str, year: int, outcome: str
) -> BaconDiagnostic | ImpactUnavailable:
    if not province:
        return ImpactUnavailable("no_province")
    try:
        return province_bacon(data, province, year, outcome)
    except ImpactUnavailable as reason:
        return reason


def _value(outcome: object, kind: type) -> object:
    """``outcome`` if it is a ``kind`` (an estimate or the reason there is none), else None."""
    return outcome if isinstance(outcome, kind) else None


def _with_checklist_values(
    province: pd.DataFrame, integration: CountyIntegration, counties: pd.DataFrame
) -> pd.DataFrame:
    """Add the checklist's qualitative indicator values of the peer set (data values win)."""
    extra = integration.qualitative
    extra = extra[extra["county_code"].isin(set(province["county_code"]))]
    if extra.empty:
        return province
    names = counties.set_index("county_code")[["county_name", "province"]]
    extra = extra.join(names, on="county_code")
    keys = ["county_code", "year", "indicator"]
    supplied = province[keys].astype({"year": "int64"}).astype(str).agg("|".join, axis=1)
    extra_keys = extra[keys].astype({"year": "int64"}).astype(str).agg("|".join, axis=1)
    extra = extra[~extra_keys.isin(set(supplied))]
    return pd.concat([province, extra[province.columns.intersection(extra.columns)]])


def _county_info(data: AssessmentData, code: str) -> CountyInfo:
    rows = data.counties[data.counties["county_code"] == code]
    if rows.empty:
        raise ParameterError(f"county {code} is not in {data.source_name}")
    row = rows.iloc[0]
    reform = row.get("reform_year")
    return CountyInfo(
        code=code,
        name=_text(row.get("county_name")),
        province=_text(row.get("province")),
        reform_year=None if pd.isna(reform) else int(reform),
        consortium_name=_text(row.get("consortium_name")),
    )


def _text(value: object) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _headline(
    province: pd.DataFrame, code: str, year: int, indicator_codes: tuple[str, ...]
) -> pd.DataFrame:
    from ylt_eval.metrics.catalogue import indicator

    rows = []
    for indicator_code in indicator_codes:
        spec = indicator(indicator_code)
        values = province[province["indicator"] == indicator_code]
        current = values[values["year"] == year].set_index("county_code")["value"]
        previous = values[values["year"] == year - 1].set_index("county_code")["value"]
        value = float(current.get(code, np.nan))
        before = float(previous.get(code, np.nan))
        ranks = rank_counties(current, spec.direction, getattr(spec, "target_value", None))
        rank = ranks.get(code, pd.NA)
        if np.isnan(value) and np.isnan(before):
            continue
        rows.append(
            {
                "indicator": indicator_code,
                "value": value,
                "previous": before,
                "change": value - before,
                "peer_median": float(current.median())
                if current.notna().sum() >= MIN_PEERS
                else np.nan,
                "rank": None if pd.isna(rank) else int(rank),
                "n_ranked": int(ranks.notna().sum()),
            }
        )
    columns = ["indicator", "value", "previous", "change", "peer_median", "rank", "n_ranked"]
    return pd.DataFrame(rows, columns=columns)


#: Years shown in the history table (the assessment year and the ones before it).
HISTORY_YEARS = 7


def _history(
    province: pd.DataFrame, code: str, year: int, indicator_codes: tuple[str, ...]
) -> pd.DataFrame:
    own = province[
        (province["county_code"] == code)
        & (province["year"] <= year)
        & (province["year"] > year - HISTORY_YEARS)
        & province["indicator"].isin(indicator_codes)
    ].dropna(subset=["value"])
    table = own.pivot_table(index="indicator", columns="year", values="value", aggfunc="first")
    order = [c for c in indicator_codes if c in table.index]
    return table.reindex(index=order, columns=sorted(table.columns))


def _trend(province: pd.DataFrame, county_code: str, code: str, last_year: int) -> pd.DataFrame:
    values = province[(province["indicator"] == code) & (province["year"] <= last_year)]
    peers = peer_summary(values, code)
    own = values.loc[values["county_code"] == county_code, ["year", "value"]].rename(
        columns={"value": "county"}
    )
    return (
        peers.merge(own, on="year", how="outer")
        .sort_values("year")
        .reset_index(drop=True)[["year", "county", "p25", "median", "p75"]]
    )
