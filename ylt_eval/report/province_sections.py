"""Sections of the province summary (see :mod:`ylt_eval.report.county_sections`)."""

from __future__ import annotations

import pandas as pd

import ylt_eval
from ylt_eval.analysis.impact import BOOTSTRAP_DRAWS, BOOTSTRAP_SEED
from ylt_eval.analysis.province import ProvinceAnalysis
from ylt_eval.report.common_sections import (
    definitions_section,
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
from ylt_eval.report.formatting import format_value
from ylt_eval.report.i18n import Translator


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
        a, t = self.analysis, self.t
        params = {
            "province": a.params.province,
            "year": a.params.year,
            "data": a.data.source_name,
            "lang": a.params.lang,
        }
        return section(
            Heading(t("section_province_methods"), level=2, anchor="methods"),
            BulletList(
                (
                    t("methods_indicators"),
                    t("methods_covid"),
                    t(
                        "methods_impact",
                        min_e=a.config.min_e,
                        max_e=a.config.max_e,
                        draws=BOOTSTRAP_DRAWS,
                        seed=BOOTSTRAP_SEED,
                    ),
                    t(
                        "methods_provenance",
                        version=ylt_eval.__version__,
                        sha=a.data.sha256,
                        params=parameters_text(params),
                    ),
                )
            ),
            definitions_section((*a.config.headline, a.config.impact_outcome), t),
        )
