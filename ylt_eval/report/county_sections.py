"""Sections of the county report: each takes a :class:`CountyAnalysis` and returns elements.

No statistic is computed here; values come from :mod:`ylt_eval.analysis.county`.
"""

from __future__ import annotations

import pandas as pd

import ylt_eval
from ylt_eval.analysis.county import CountyAnalysis
from ylt_eval.analysis.impact import BOOTSTRAP_DRAWS, BOOTSTRAP_SEED
from ylt_eval.report.assessment_sections import (
    finance_section,
    integration_section,
    referrals_section,
    scorecard_section,
    warnings_section,
)
from ylt_eval.report.charts import trend_chart
from ylt_eval.report.common_sections import (
    definitions_section,
    disclosure_text,
    impact_section,
    indicator_name,
    indicator_unit,
    parameters_text,
)
from ylt_eval.report.counterfactual_sections import (
    bacon_section,
    counterfactual_methods_text,
    counterfactual_section,
)
from ylt_eval.report.elements import (
    BulletList,
    Document,
    Heading,
    Paragraph,
    Section,
    Table,
    section,
)
from ylt_eval.report.formatting import format_value
from ylt_eval.report.i18n import Translator
from ylt_eval.report.methods_sections import provenance_parts
from ylt_eval.report.results import ResultsOutput, county_results
from ylt_eval.report.summary_sections import (
    data_quality_section,
    outcomes_section,
    summary_section,
)


class CountyReport:
    """Builds the sections of one county report in one language.

    Parameters
    ----------
    analysis : CountyAnalysis
        The computed numbers.

    Examples
    --------
    In the notebook, one call per section, in the order of :data:`SECTIONS`::

        report = CountyReport(analyse_county(params))
        report.cover()
        report.summary()
        report.integration()
    """

    def __init__(self, analysis: CountyAnalysis) -> None:
        self.analysis = analysis
        self.t = Translator(analysis.params.lang)

    def cover(self) -> Document:
        """Title, county facts, data source and (for synthetic data) the banner."""
        a, t = self.analysis, self.t
        county = a.county
        facts = (
            (t("fact_county"), county.name or t("unnamed")),
            (t("fact_code"), county.code),
            (t("fact_province"), county.province or t("unnamed")),
            (t("fact_year"), str(a.params.year)),
            (t("fact_consortium"), county.consortium_name or t("unnamed")),
            (
                t("fact_reform_year"),
                str(county.reform_year) if county.reform_year else t("fact_no_reform"),
            ),
            (t("fact_data_source"), a.data.source_name),
            (t("fact_data_hash"), a.data.sha256[:16]),
        )
        return Document(
            title=t("county_title", county=county.name or county.code, year=a.params.year),
            subtitle=t("county_subtitle", province=county.province or t("unnamed")),
            lang=a.params.lang,
            facts=facts,
            banner=t("synthetic_banner") if a.params.synthetic else "",
        )

    def summary(self) -> Section:
        """Executive summary: overall grade, counts, key findings and the year's warnings."""
        a = self.analysis
        quality = a.data_quality
        return summary_section(
            a.summary,
            quality.n_notes if quality is not None else 0,
            warnings_section(a.assessment, a.params.year, self.t, level=3),
            self.t,
        )

    def headline(self, *, level: int = 2) -> Section:
        """Headline indicators with previous year, change, province median and rank."""
        from ylt_eval.metrics.catalogue import indicator

        a, t = self.analysis, self.t
        rows = []
        for row in a.headline.itertuples():
            spec = indicator(row.indicator)
            unit = t.pick(spec.unit_zh, spec.unit_en)
            rank = "—" if pd.isna(row.rank) else f"{int(row.rank)} / {row.n_ranked}"
            rows.append(
                (
                    t.pick(spec.name_zh, spec.name_en),
                    unit,
                    format_value(row.value, spec.unit_zh),
                    format_value(row.previous, spec.unit_zh),
                    format_value(row.change, spec.unit_zh, signed=True),
                    format_value(row.peer_median, spec.unit_zh),
                    rank,
                    t(f"direction_{spec.direction}"),
                )
            )
        from ylt_eval.analysis.comparison import MIN_PEERS

        notes = [t("methods_peers")]
        if a.n_peers < MIN_PEERS:
            notes.append(t("peers_too_few", min=MIN_PEERS))
        if a.data.warnings:
            notes.append(
                t("data_quality_warnings", n=len(a.data.warnings), example=a.data.warnings[0])
            )
        title = t("section_headline")
        if not rows:
            return section(
                Heading(title, level=level, anchor="headline"),
                Paragraph(t("headline_none"), "warning"),
                Paragraph(" ".join(notes), "note"),
            )
        return section(
            Heading(title, level=level, anchor="headline"),
            Paragraph(t("headline_intro")),
            Table(
                columns=(
                    t("col_indicator"),
                    t("col_unit"),
                    t("col_value"),
                    t("col_previous"),
                    t("col_change"),
                    t("col_peer_median"),
                    t("col_rank"),
                    t("col_direction"),
                ),
                rows=tuple(rows),
                align=("left", "left", "right", "right", "right", "right", "right", "left"),
                notes=" ".join(notes),
            ),
        )

    def trends(self, *, level: int = 2) -> Section:
        """One chart per trend indicator: county against province median and quartiles."""
        a, t = self.analysis, self.t
        figures = []
        for code, series in a.trends.items():
            name = indicator_name(code, t)
            unit = indicator_unit(code, t)
            years = series["year"].astype(int).tolist()
            figures.append(
                trend_chart(
                    years,
                    series["county"].tolist(),
                    series["median"].tolist(),
                    series["p25"].tolist(),
                    series["p75"].tolist(),
                    labels={
                        "title": f"{name}（{unit}）"
                        if a.params.lang == "zh"
                        else f"{name} ({unit})",
                        "y": unit,
                        "county": a.county.name or t("chart_county"),
                        "median": t("chart_median"),
                        "band": t("chart_band"),
                        "reform": t("chart_reform"),
                        "covid": t("chart_covid"),
                    },
                    reform_year=a.county.reform_year,
                    alt=t("trend_alt", indicator=name, first=min(years), last=max(years)),
                )
            )
        title = t("section_trends")
        return section(
            Heading(title, level=level, anchor="trends"),
            self._history_table(),
            Paragraph(t("trends_intro")) if figures else Paragraph(t("trends_none"), "note"),
            *figures,
        )

    def _history_table(self) -> Table | None:
        from ylt_eval.metrics.catalogue import indicator

        a, t = self.analysis, self.t
        history = a.history
        if history.empty:
            return None
        years = [int(year) for year in history.columns]
        rows = []
        for code, values in history.iterrows():
            spec = indicator(code)
            rows.append(
                (
                    t.pick(spec.name_zh, spec.name_en),
                    t.pick(spec.unit_zh, spec.unit_en),
                    *(format_value(values[year], spec.unit_zh) for year in history.columns),
                )
            )
        return Table(
            columns=(t("col_indicator"), t("col_unit"), *(str(year) for year in years)),
            rows=tuple(rows),
            caption=t("history_caption"),
            align=("left", "left", *("right" for _ in years)),
        )

    def scorecard(self) -> Section:
        """Indicators by dimension (value, previous, change, target, status, grade, rank), with
        the headline table before and the trend charts after the dimension tables; the
        quality and health dimensions are left to :meth:`outcomes`."""
        a = self.analysis
        config = a.config
        return scorecard_section(
            a.assessment,
            a.params.year,
            self.t,
            dimensions=config.scorecard_dimensions,
            before_tables=self.headline(level=3).children,
            after_tables=self.trends(level=3).children,
            note=self.t("scorecard_outcomes_note") if config.outcome_dimensions else "",
        )

    def outcomes(self) -> Section:
        """Quality and health indicators with the county's position among its peers."""
        a = self.analysis
        return outcomes_section(
            a.assessment, a.outcomes, a.config.outcome_dimensions, a.params.year, self.t
        )

    def data_quality(self) -> Section:
        """Validation warnings, missing indicators, disagreements and withheld cells."""
        a = self.analysis
        return data_quality_section(
            a.data_quality, disclosure_text(a.publication, a.county.code, self.t), self.t
        )

    def results(self) -> ResultsOutput:
        """Every number of the report as machine-readable results (not shown on the page)."""
        return ResultsOutput(county_results(self.analysis))

    def referrals(self) -> Section:
        """Upward and downward referrals: counts, growth against targets, rates."""
        a = self.analysis
        return referrals_section(a.assessment, a.params.year, self.t)

    def finance(self) -> Section:
        """Revenue structure and pay by level, by year."""
        a = self.analysis
        return finance_section(a.assessment, a.params.year, self.t, a.config)

    def warnings(self, *, level: int = 2) -> Section:
        """Early warnings of the year with their reasons."""
        a = self.analysis
        return warnings_section(a.assessment, a.params.year, self.t, level=level)

    def integration(self) -> Section:
        """Integration checklist scores by community, or how to supply a checklist."""
        a = self.analysis
        return integration_section(a.integration, a.params.year, self.t)

    def impact(self) -> Section:
        """Province-level event study, its Bacon diagnostic and the county's own estimate."""
        a = self.analysis
        province = impact_section(
            a.impact, a.impact_unavailable, self.t, heading_key="section_impact"
        )
        return section(
            *province.children,
            # TWFE appears only beside an event study, and its decomposition with it.
            bacon_section(a.bacon, a.bacon_unavailable, self.t) if a.impact is not None else None,
            counterfactual_section(
                a.counterfactual,
                a.counterfactual_unavailable,
                self.t,
                a.county.name or a.county.code,
            ),
        )

    def methods(self) -> Section:
        """Methods and provenance appendix: methods notes, reproducibility facts, estimator
        settings, targets used and indicator definitions."""
        from ylt_eval.analysis.comparison import MIN_PEERS
        from ylt_eval.metrics.grading import MIN_PEERS_FOR_GRADE

        a, t = self.analysis, self.t
        codes = (
            *a.config.headline,
            *a.config.trends,
            a.config.impact_outcome,
            *a.assessment.scorecard["indicator"],
            *a.assessment.finance.index,
        )
        return section(
            Heading(t("section_methods"), level=2, anchor="methods"),
            BulletList(
                (
                    t("methods_indicators"),
                    t("methods_peers"),
                    t(
                        "methods_assessment",
                        min_grade=MIN_PEERS_FOR_GRADE,
                        min_outlier=a.assessment.outlier_min_peers,
                    ),
                    t("methods_findings", min=MIN_PEERS),
                    t("methods_covid"),
                    t(
                        "methods_impact",
                        min_e=a.config.min_e,
                        max_e=a.config.max_e,
                        draws=BOOTSTRAP_DRAWS,
                        seed=BOOTSTRAP_SEED,
                    ),
                    counterfactual_methods_text(t),
                    t("methods_reference", version=ylt_eval.__version__),
                )
            ),
            *(
                provenance_parts(a.provenance, t, province=a.county.province)
                if a.provenance
                else (self._provenance_note(),)
            ),
            definitions_section(codes, t),
        )

    def _provenance_note(self) -> Paragraph:
        """Reproducibility sentence for an analysis built without a provenance record."""
        a = self.analysis
        return Paragraph(
            self.t(
                "methods_provenance",
                version=ylt_eval.__version__,
                sha=a.data.sha256,
                params=parameters_text(self._parameters()),
            )
        )

    def _parameters(self) -> dict:
        a = self.analysis
        params = {
            "county_code": a.params.county_code,
            "year": a.params.year,
            "data": a.data.source_name,
            "lang": a.params.lang,
        }
        if a.integration.source_name:
            params["checklist"] = a.integration.source_name
        return params


#: County report sections in report order (the notebook calls them one per cell).
SECTIONS: tuple[str, ...] = (
    "cover",
    "summary",
    "integration",
    "scorecard",
    "referrals",
    "finance",
    "outcomes",
    "impact",
    "data_quality",
    "methods",
)
