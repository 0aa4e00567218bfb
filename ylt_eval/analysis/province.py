"""Everything a province summary shows, computed once from the validated input."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ylt_eval.analysis.comparison import rank_counties
from ylt_eval.analysis.config import ReportConfig, report_config
from ylt_eval.analysis.impact import ImpactEstimate, ImpactUnavailable, province_event_study
from ylt_eval.analysis.inputs import AssessmentData, load_assessment_data
from ylt_eval.analysis.provenance import Provenance, report_provenance
from ylt_eval.analysis.publication import Publication, publishable
from ylt_eval.analysis.rankings import (
    composite_ranking,
    county_warnings,
    grade_counts,
    grade_distribution,
)
from ylt_eval.errors import ParameterError
from ylt_eval.report.parameters import ProvinceReportParameters


@dataclass(frozen=True)
class ProvinceAnalysis:
    """Numbers behind one province summary.

    Attributes
    ----------
    params : ProvinceReportParameters
    ranking : DataFrame
        ``county_code, county_name, reform_year, value, rank`` for the ranking indicator,
        best first (counties without a value last).
    distribution : DataFrame
        ``indicator, n, min, p25, median, p75, max`` per headline indicator.
    cohorts : DataFrame
        ``reform_year`` (NaN = never), ``n``.
    composite : DataFrame
        Composite scores with equal and entropy weights, ranks and grade, best first (see
        :func:`ylt_eval.analysis.rankings.composite_ranking`).
    grades : DataFrame
        Counties per grade (优/良/中/差) and per target status of each indicator, with its
        entropy weight (see :func:`ylt_eval.analysis.rankings.grade_distribution`).
    impact : ImpactEstimate or None
    impact_unavailable : ImpactUnavailable or None
    n_counties : int
    data : AssessmentData
    config : ReportConfig
    publication : Publication or None
        Disclosure control applied to the published tables (the model uses exact data).
    warnings : DataFrame or None
        Counties with at least one warning in the year, most warnings first (see
        :func:`ylt_eval.analysis.rankings.county_warnings`).
    grade_counts : DataFrame or None
        Counties per composite grade (优/良/中/差, then ungraded).
    provenance : Provenance or None
        Versions, hashes, parameters, targets and estimator settings.
    """

    params: ProvinceReportParameters
    ranking: pd.DataFrame
    distribution: pd.DataFrame
    cohorts: pd.DataFrame
    composite: pd.DataFrame
    grades: pd.DataFrame
    impact: ImpactEstimate | None
    impact_unavailable: ImpactUnavailable | None
    n_counties: int
    data: AssessmentData
    config: ReportConfig
    publication: Publication | None = None
    warnings: pd.DataFrame | None = None
    grade_counts: pd.DataFrame | None = None
    provenance: Provenance | None = None


def analyse_province(
    params: ProvinceReportParameters,
    *,
    data: AssessmentData | None = None,
    impact: ImpactEstimate | None = None,
) -> ProvinceAnalysis:
    """Compute the province summary's numbers (see :func:`analyse_county` for arguments)."""
    from ylt_eval.metrics.catalogue import catalogue, indicator

    config = report_config()
    data = data if data is not None else load_assessment_data(params.data_path, lang=params.lang)
    counties = data.counties[data.counties["province"] == params.province]
    if counties.empty:
        known = ", ".join(sorted(set(data.counties["province"].dropna().astype(str))))
        raise ParameterError(f"province {params.province!r} is not in the data; found: {known}")
    members = counties["county_code"]
    exact = data.indicators[data.indicators["county_code"].isin(members)]
    # Published tables use the disclosure-controlled values; the model uses the exact data.
    publication = publishable(data, config.disclosure)
    published = publication.data.indicators
    indicators = published[published["county_code"].isin(members)]
    in_year = indicators[indicators["year"] == params.year]
    if in_year.empty:
        raise ParameterError(f"no data for {params.province} in {params.year}")

    spec = indicator(config.ranking)
    values = in_year[in_year["indicator"] == config.ranking].set_index("county_code")["value"]
    ranking = counties[["county_code", "county_name", "reform_year"]].copy()
    ranking["value"] = ranking["county_code"].map(values)
    ranks = rank_counties(
        ranking.set_index("county_code")["value"],
        spec.direction,
        getattr(spec, "target_value", None),
    )
    ranking["rank"] = ranking["county_code"].map(ranks).astype("Int64")
    ranking = ranking.sort_values(["rank", "county_code"], na_position="last").reset_index(
        drop=True
    )

    rows = []
    for code in config.headline:
        series = in_year.loc[in_year["indicator"] == code, "value"].dropna()
        rows.append(
            {
                "indicator": code,
                "n": int(series.size),
                "min": series.min(),
                "p25": series.quantile(0.25),
                "median": series.median(),
                "p75": series.quantile(0.75),
                "max": series.max(),
            }
        )
    distribution = pd.DataFrame(rows)

    reform = pd.to_numeric(counties["reform_year"], errors="coerce")
    cohorts = (
        reform.value_counts(dropna=False)
        .rename_axis("reform_year")
        .reset_index(name="n")
        .sort_values("reform_year", na_position="last")
        .reset_index(drop=True)
    )

    known = {item.code for item in catalogue()}
    assessed = indicators[
        indicators["year"].isin([params.year - 1, params.year])
        & indicators["indicator"].isin(known)
    ].dropna(subset=["value"])
    assessed = assessed[["county_code", "county_name", "province", "year", "indicator", "value"]]
    composite = composite_ranking(assessed[assessed["year"] == params.year], counties)
    grades = grade_distribution(assessed, config.dimensions)
    history = indicators[(indicators["year"] <= params.year) & indicators["indicator"].isin(known)]
    warned = county_warnings(history.dropna(subset=["value"]), counties, params.year)

    unavailable = None
    if impact is None:
        try:
            impact = province_event_study(
                exact,
                counties,
                config.impact_outcome,
                last_year=params.year,
                min_e=config.min_e,
                max_e=config.max_e,
            )
        except ImpactUnavailable as error:
            unavailable = error
    return ProvinceAnalysis(
        params=params,
        ranking=ranking,
        distribution=distribution,
        cohorts=cohorts,
        composite=composite,
        grades=grades,
        impact=impact,
        impact_unavailable=unavailable,
        n_counties=len(counties),
        data=data,
        config=config,
        publication=publication,
        warnings=warned,
        grade_counts=grade_counts(composite),
        provenance=report_provenance(
            data,
            {
                "province": params.province,
                "year": params.year,
                "data": data.source_name,
                "lang": params.lang,
            },
            params.province,
            params.year,
            config,
        ),
    )
