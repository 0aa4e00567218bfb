"""Sections of the province summary (see :mod:`ylt_eval.report.county_sections`)."""

from __future__ import annotations

import pandas as pd

import ylt_eval
from ylt_eval.analysis.comparison import MIN_PEERS
from ylt_eval.analysis.impact import BOOTSTRAP_DRAWS, BOOTSTRAP_SEED
from ylt_eval.analysis.province import ProvinceAnalysis
from ylt_eval.report.assessment_sections import grade_label, named_with_unit
from ylt_eval.report.charts import attainment_chart
from ylt_eval.report.common_sections import (
    definitions_section,
    disclosure_text,
    impact_section,
    indicator_name,
    parameters_text,
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
from ylt_eval.report.formatting import MISSING, format_number, format_value
from ylt_eval.report.i18n import Translator
from ylt_eval.report.methods_sections import provenance_parts
from ylt_eval.report.results import ResultsOutput, province_results

#: Province summary sections in report order (the notebook calls them one per cell).
SECTIONS: tuple[str, ...] = (
    "cover",
    "rankings",
    "composite",
    "grades",
    "impact",
    "county_warnings",
    "distribution",
    "methods",
)


class ProvinceReport:
    """Builds the sections of one province summary in one language."""

    def __init__(self, analysis: ProvinceAnalysis) -> None:
        self.analysis = analysis
        self.t = Translator(analysis.params.lang)

    def cover(self) -> Document:
        """Title and facts of the province summary."""
        a, t = self.analysis, self.t
        return Document(
            title=t("province_title", province=a.params.province, year=a.params.year),
            subtitle=t("province_subtitle"),
            lang=a.params.lang,
            facts=(
                (t("fact_province"), a.params.province),
                (t("fact_year"), str(a.params.year)),
                (t("fact_counties"), str(a.n_counties)),
                (t("fact_data_source"), a.data.source_name),
                (t("fact_data_hash"), a.data.sha256[:16]),
            ),
            banner=t("synthetic_banner") if a.params.synthetic else "",
        )

    def rankings(self) -> Section:
        """All counties ranked on the ranking indicator, with links to their reports."""
        from ylt_eval.metrics.catalogue import indicator

        a, t = self.analysis, self.t
        spec = indicator(a.config.ranking)
        links = a.params.report_links or {}
        link_cells = tuple(
            (index, 5, links[row.county_code])
            for index, row in enumerate(a.ranking.itertuples())
            if row.county_code in links
        )
        rows = tuple(
            (
                "—" if pd.isna(row.rank) else str(int(row.rank)),
                row.county_name,
                row.county_code,
                "—" if pd.isna(row.reform_year) else str(int(row.reform_year)),
                format_value(row.value, spec.unit_zh),
                t("open_report") if row.county_code in links else t("no_report"),
            )
            for row in a.ranking.itertuples()
        )
        return section(
            Heading(t("section_rankings"), level=2, anchor="rankings"),
            Paragraph(
                t(
                    "rankings_intro",
                    indicator=t.pick(spec.name_zh, spec.name_en),
                    year=a.params.year,
                    direction=t(f"direction_{spec.direction}"),
                )
            ),
            Table(
                columns=(
                    t("col_rank"),
                    t("col_county"),
                    t("fact_code"),
                    t("col_reform_year"),
                    f"{t.pick(spec.name_zh, spec.name_en)}（{t.pick(spec.unit_zh, spec.unit_en)}）",
                    t("col_report"),
                ),
                rows=rows,
                align=("right", "left", "left", "right", "right", "left"),
                links=link_cells,
            ),
        )

    def composite(self) -> Section:
        """Composite-score ranking (equal and entropy weights), with links to county reports."""
        a, t = self.analysis, self.t
        heading = Heading(t("section_composite"), level=2, anchor="composite")
        table = a.composite
        if table["rank_equal"].isna().all():
            return section(
                heading,
                Paragraph(t("composite_intro")),
                Paragraph(t("composite_none", min=MIN_PEERS), "warning"),
            )
        links = a.params.report_links or {}
        link_cells = tuple(
            (index, 7, links[row.county_code])
            for index, row in enumerate(table.itertuples())
            if row.county_code in links
        )
        rows = tuple(
            (
                MISSING if pd.isna(row.rank_equal) else str(int(row.rank_equal)),
                row.county_name,
                row.county_code,
                format_number(row.score_equal, 1),
                grade_label(row.grade_equal, t),
                format_number(row.score_entropy, 1),
                MISSING if pd.isna(row.rank_entropy) else str(int(row.rank_entropy)),
                t("open_report") if row.county_code in links else t("no_report"),
            )
            for row in table.itertuples()
        )
        return section(
            heading,
            Paragraph(t("composite_intro")),
            Table(
                columns=(
                    t("col_rank"),
                    t("col_county"),
                    t("fact_code"),
                    t("col_score_equal"),
                    t("col_grade"),
                    t("col_score_entropy"),
                    t("col_rank_entropy"),
                    t("col_report"),
                ),
                rows=rows,
                align=("right", "left", "left", "right", "center", "right", "right", "left"),
                links=link_cells,
            ),
        )

    def grades(self) -> Section:
        """Counties per grade and per target status of each indicator, by dimension."""
        from ylt_eval.metrics.grading import GRADE_NAMES_EN, GRADES

        a, t = self.analysis, self.t
        heading = Heading(t("section_grades"), level=2, anchor="grades")
        table = a.grades
        if table.empty:
            return section(heading, Paragraph(t("grades_none", year=a.params.year), "note"))
        targeted = table[table["met"].notna()]
        chart = None
        if not targeted.empty:
            chart = attainment_chart(
                [indicator_name(code, t) for code in targeted["indicator"]],
                targeted["met"].astype(int).tolist(),
                targeted["not_met"].astype(int).tolist(),
                labels={
                    "title": t("attainment_chart_title", year=a.params.year),
                    "x": t("attainment_x"),
                    "met": t("col_met"),
                    "not_met": t("col_not_met"),
                },
                alt=t("attainment_alt", year=a.params.year),
            )

        def count(value: object) -> str:
            return MISSING if pd.isna(value) else str(int(value))

        columns = (
            t("col_indicator"),
            t("col_n_graded"),
            *(t(f"grade_{GRADE_NAMES_EN[grade]}") for grade in GRADES),
            t("col_met"),
            t("col_not_met"),
            t("col_entropy_weight"),
        )
        align = ("left", *("right",) * (len(columns) - 1))
        parts: list = [heading, Paragraph(t("grades_intro")), self._grade_counts(), chart]
        for dimension, rows in table.groupby("dimension", sort=False):
            body = tuple(
                (
                    named_with_unit(row["indicator"], t),
                    str(int(row["n_graded"])),
                    *(count(row[grade] if row["n_graded"] else pd.NA) for grade in GRADES),
                    count(row["met"]),
                    count(row["not_met"]),
                    format_number(row["entropy_weight"], 3),
                )
                for _, row in rows.iterrows()
            )
            parts.append(
                Heading(t(f"dimension_{dimension}"), level=3, anchor=f"grades-{dimension}")
            )
            parts.append(Table(columns=columns, rows=body, align=align))
        return section(*parts)

    def _grade_counts(self) -> Table | None:
        counts = self.analysis.grade_counts
        t = self.t
        if counts is None or counts["n"].sum() == 0:
            return None
        rows = tuple(
            (grade_label(row.grade, t) if row.grade else t("grade_none"), str(int(row.n)))
            for row in counts.itertuples()
            if row.grade or row.n
        )
        return Table(
            columns=(t("col_grade"), t("col_n")),
            rows=rows,
            caption=t("grade_counts_caption"),
            align=("left", "right"),
        )

    def county_warnings(self) -> Section:
        """Counties with warnings in the year, most first, with links to their reports."""
        a, t = self.analysis, self.t
        heading = Heading(t("section_county_warnings"), level=2, anchor="county-warnings")
        table = a.warnings
        if table is None or table.empty:
            return section(heading, Paragraph(t("county_warnings_none", year=a.params.year)))
        links = a.params.report_links or {}
        link_cells = tuple(
            (index, 6, links[row.county_code])
            for index, row in enumerate(table.itertuples())
            if row.county_code in links
        )
        rows = tuple(
            (
                row.county_name or MISSING,
                row.county_code,
                str(row.n_warnings),
                str(row.target_missed),
                str(row.wrong_way),
                str(row.peer_outlier),
                t("open_report") if row.county_code in links else t("no_report"),
            )
            for row in table.itertuples()
        )
        return section(
            heading,
            Paragraph(t("county_warnings_intro", year=a.params.year)),
            Table(
                columns=(
                    t("col_county"),
                    t("fact_code"),
                    t("col_n_warnings"),
                    t("rule_target_missed"),
                    t("rule_wrong_way"),
                    t("rule_peer_outlier"),
                    t("col_report"),
                ),
                rows=rows,
                align=("left", "left", "right", "right", "right", "right", "left"),
                links=link_cells,
            ),
        )

    def results(self) -> ResultsOutput:
        """Every number of the summary as machine-readable results (not shown on the page)."""
        return ResultsOutput(province_results(self.analysis))

    def distribution(self) -> Section:
        """Distribution of each headline indicator across counties, and reform cohorts."""
        from ylt_eval.metrics.catalogue import indicator

        a, t = self.analysis, self.t
        rows = []
        for row in a.distribution.itertuples():
            spec = indicator(row.indicator)
            unit = spec.unit_zh
            rows.append(
                (
                    indicator_name(row.indicator, t),
                    t.pick(spec.unit_zh, spec.unit_en),
                    str(row.n),
                    *(
                        format_value(getattr(row, k), unit)
                        for k in ("min", "p25", "median", "p75", "max")
                    ),
                )
            )
        cohort_rows = tuple(
            (
                t("never_reformed") if pd.isna(row.reform_year) else str(int(row.reform_year)),
                str(row.n),
            )
            for row in a.cohorts.itertuples()
        )
        return section(
            Heading(t("section_distribution"), level=2, anchor="distribution"),
            Table(
                columns=(
                    t("col_indicator"),
                    t("col_unit"),
                    t("col_n"),
                    t("col_min"),
                    t("col_p25"),
                    t("col_median"),
                    t("col_p75"),
                    t("col_max"),
                ),
                rows=tuple(rows),
                align=("left", "left", "right", "right", "right", "right", "right", "right"),
            ),
            Table(
                columns=(t("col_reform_year"), t("col_n")),
                rows=cohort_rows,
                caption=t("cohort_table_caption"),
                align=("left", "right"),
            ),
        )

    def impact(self) -> Section:
        """Province-level event study of the reform."""
        a = self.analysis
        return impact_section(
            a.impact, a.impact_unavailable, self.t, heading_key="section_province_impact"
        )

    def methods(self) -> Section:
        """Methods note, provenance and indicator definitions."""
        from ylt_eval.metrics.early_warning import WarningRules
        from ylt_eval.metrics.grading import MIN_PEERS_FOR_GRADE

        a, t = self.analysis, self.t
        params = {
            "province": a.params.province,
            "year": a.params.year,
            "data": a.data.source_name,
            "lang": a.params.lang,
        }
        return section(
            Heading(t("section_methods"), level=2, anchor="methods"),
            BulletList(
                (
                    t("methods_indicators"),
                    t(
                        "methods_assessment",
                        min_grade=MIN_PEERS_FOR_GRADE,
                        min_outlier=WarningRules().min_peers,
                    ),
                    t("methods_covid"),
                    t(
                        "methods_impact",
                        min_e=a.config.min_e,
                        max_e=a.config.max_e,
                        draws=BOOTSTRAP_DRAWS,
                        seed=BOOTSTRAP_SEED,
                    ),
                    disclosure_text(a.publication, None, t),
                    t("methods_reference", version=ylt_eval.__version__),
                )
            ),
            *(
                provenance_parts(a.provenance, t, province=a.params.province)
                if a.provenance
                else (
                    Paragraph(
                        t(
                            "methods_provenance",
                            version=ylt_eval.__version__,
                            sha=a.data.sha256,
                            params=parameters_text(params),
                        )
                    ),
                )
            ),
            definitions_section(
                (*a.config.headline, a.config.impact_outcome, *a.grades["indicator"]), t
            ),
        )
