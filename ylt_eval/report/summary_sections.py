"""County report sections: executive summary, quality and health outcomes, data quality.

Values come from :mod:`ylt_eval.analysis.summary` and :mod:`ylt_eval.analysis.quality`; the
findings were chosen there, this module only words them.
"""

from __future__ import annotations

import pandas as pd

from ylt_eval.analysis.comparison import MIN_PEERS
from ylt_eval.analysis.quality import DataQuality
from ylt_eval.analysis.summary import ExecutiveSummary, Finding
from ylt_eval.report.assessment_sections import (
    dimension_tables,
    grade_label,
    indicator_value,
)
from ylt_eval.report.charts import position_chart
from ylt_eval.report.common_sections import indicator_name
from ylt_eval.report.elements import (
    BulletList,
    Element,
    Heading,
    Paragraph,
    Section,
    Table,
    section,
)
from ylt_eval.report.formatting import MISSING, format_number, format_p_value
from ylt_eval.report.i18n import Translator


def value_with_unit(code: str, value: float, t: Translator, *, change: bool = False) -> str:
    """A catalogue indicator's value with its unit; changes of percentages in points.

    Examples
    --------
    >>> value_with_unit("primary_visit_share", 58.64, Translator("zh"))
    '58.6%'
    >>> value_with_unit("primary_visit_share", 2.04, Translator("en"), change=True)
    '+2.0 percentage points'
    """
    from ylt_eval.metrics.catalogue import indicator
    from ylt_eval.metrics.targets import with_unit

    amount = indicator_value(code, value, t, signed=change)
    if amount == MISSING:
        return amount
    if change and indicator(code).unit_zh == "%":
        points = t("unit_points")
        return f"{amount}{points}" if t.lang == "zh" else f"{amount} {points}"
    return with_unit(amount, code, t.lang)


def summary_section(
    summary: ExecutiveSummary,
    n_data_notes: int,
    warnings: Section,
    t: Translator,
) -> Section:
    """Overall grade, counts, key findings and the warnings of the year.

    Parameters
    ----------
    summary : ExecutiveSummary
    n_data_notes : int
        Notes of the data-quality section (counted in the summary).
    warnings : Section
        The warnings subsection (level-3 heading), placed last.
    t : Translator
    """
    if summary.grade is not None and summary.rank is not None:
        grade = t(
            "summary_grade",
            grade=grade_label(summary.grade, t),
            score=format_number(summary.score, 1),
            rank=summary.rank,
            n=summary.n_ranked,
        )
    else:
        grade = t("summary_grade_unavailable", min=MIN_PEERS)
    counts = t(
        "summary_counts",
        n_targets=summary.n_met + summary.n_not_met,
        met=summary.n_met,
        not_met=summary.n_not_met,
        n_warnings=summary.n_warnings,
        n_warned=summary.n_warned_indicators,
        n_notes=n_data_notes,
    )
    findings = tuple(finding_text(finding, t) for finding in summary.findings)
    return section(
        Heading(t("section_summary"), level=2, anchor="summary"),
        Paragraph(grade),
        Paragraph(counts),
        Heading(t("summary_findings_heading"), level=3, anchor="findings"),
        Paragraph(t("summary_findings_intro"), "note"),
        BulletList(findings) if findings else Paragraph(t("summary_findings_none"), "note"),
        *warnings.children,
    )


def finding_text(finding: Finding, t: Translator) -> str:
    """One sentence stating a finding in the report language."""
    values = dict(finding.values)
    if finding.kind == "targets":
        if values["not_met"] == 0:
            return t("finding_targets_all_met", met=values["met"])
        names = t.pick("、", ", ").join(indicator_name(c, t) for c in finding.indicators)
        return t("finding_targets", met=values["met"], not_met=values["not_met"], names=names)
    if finding.kind in {"improved", "deteriorated"}:
        (code,) = finding.indicators
        relative = values["scale"] == "previous_value"
        size = abs(float(values["standardised_change"]))
        return t(
            f"finding_{finding.kind}" + ("_relative" if relative else ""),
            name=indicator_name(code, t),
            previous=value_with_unit(code, values["previous"], t),
            value=value_with_unit(code, values["value"], t),
            change=value_with_unit(code, values["change"], t, change=True),
            size=format_number(size * 100, 1) if relative else format_number(size, 2),
        )
    if finding.kind == "peers":
        best, worst = finding.indicators
        return t(
            "finding_peers",
            best=indicator_name(best, t),
            best_value=value_with_unit(best, values["best_value"], t),
            best_rank=values["best_rank"],
            best_n=values["best_n_ranked"],
            worst=indicator_name(worst, t),
            worst_value=value_with_unit(worst, values["worst_value"], t),
            worst_rank=values["worst_rank"],
            worst_n=values["worst_n_ranked"],
        )
    if finding.kind == "effect":
        (code,) = finding.indicators
        estimate = value_with_unit(code, values["estimate"], t, change=True)
        if finding.source == "county":
            return t(
                "finding_effect_county",
                name=indicator_name(code, t),
                estimate=estimate,
                p=format_p_value(values["p_value"]),
                reform_year=values["reform_year"],
                verdict=t(f"finding_verdict_{values['verdict']}"),
            )
        return t(
            "finding_effect_province",
            name=indicator_name(code, t),
            estimate=estimate,
            se=format_number(values["std_error"], 2),
            n_treated=values["n_treated"],
        )
    raise ValueError(f"unknown finding kind {finding.kind!r}")


def outcomes_section(assessment, outcomes, dimensions: tuple[str, ...], year: int, t) -> Section:
    """Quality and health indicators: position chart and one table per dimension."""
    heading = Heading(t("section_outcomes"), level=2, anchor="outcomes")
    card = assessment.scorecard
    shown = card[card["dimension"].isin(dimensions)]
    if shown.empty:
        return section(heading, Paragraph(t("outcomes_none", year=year), "note"))
    ranked = outcomes[outcomes["better_than"].notna()]
    chart: Element | None = None
    if not ranked.empty:
        names = [indicator_name(code, t) for code in ranked["indicator"]]
        shares = ranked["better_than"].astype(float).tolist()
        values = [
            value_with_unit(code, value, t)
            for code, value in zip(ranked["indicator"], ranked["value"], strict=True)
        ]
        described = t.pick("；", "; ").join(
            f"{name} {share:.0f}%" for name, share in zip(names, shares, strict=True)
        )
        chart = position_chart(
            names,
            shares,
            values,
            labels={
                "title": t("outcomes_chart_title", year=year),
                "x": t("outcomes_chart_x"),
                "middle": t("outcomes_chart_middle"),
            },
            alt=t("outcomes_alt", year=year, n=len(names), summary=described),
        )
    unranked = outcomes.loc[outcomes["better_than"].isna(), "indicator"]
    note = (
        Paragraph(
            t(
                "outcomes_unranked",
                min=MIN_PEERS,
                names=t.pick("、", ", ").join(indicator_name(c, t) for c in unranked),
            ),
            "note",
        )
        if len(unranked) and not ranked.empty
        else None
    )
    return section(
        heading,
        Paragraph(t("outcomes_intro")),
        chart,
        note,
        *dimension_tables(shown, t, anchor_prefix="outcomes"),
    )


def data_quality_section(quality: DataQuality, disclosure: str, t: Translator) -> Section:
    """Validation warnings, missing indicators, disagreements and withheld cells."""
    from ylt_eval.schema import column_spec

    summary = t(
        "data_quality_summary",
        issues=len(quality.issues),
        missing=len(quality.missing),
        disagreements=len(quality.disagreements),
        withheld=len(quality.withheld),
    )
    parts: list[Element | None] = [
        Heading(t("section_data_quality"), level=2, anchor="data-quality"),
        Paragraph(t("data_quality_intro")),
        Paragraph(summary),
        Heading(t("dq_issues_heading"), level=3, anchor="dq-issues"),
    ]
    if quality.issues.empty:
        parts.append(Paragraph(t("dq_issues_none"), "note"))
    else:
        parts.append(
            Table(
                columns=(t("col_row"), t("col_column"), t("col_message")),
                rows=tuple(
                    (
                        MISSING if pd.isna(row.row) else str(int(row.row)),
                        row.column or MISSING,
                        t.pick(row.message_zh, row.message_en),
                    )
                    for row in quality.issues.itertuples()
                ),
                align=("right", "left", "left"),
            )
        )
    parts.append(Heading(t("dq_missing_heading"), level=3, anchor="dq-missing"))
    if quality.missing.empty:
        parts.append(Paragraph(t("dq_missing_none"), "note"))
    else:
        parts.append(Paragraph(t("dq_missing_intro")))
        parts.append(
            Table(
                columns=(
                    t("col_dimension"),
                    t("col_indicator"),
                    t("col_missing_reason"),
                    t("col_last_year"),
                ),
                rows=tuple(
                    (
                        t(f"dimension_{row.dimension}"),
                        indicator_name(row.indicator, t),
                        t(f"dq_reason_{row.reason}"),
                        MISSING if pd.isna(row.last_year) else str(int(row.last_year)),
                    )
                    for row in quality.missing.itertuples()
                ),
                align=("left", "left", "left", "right"),
            )
        )
    parts.append(Heading(t("dq_disagreements_heading"), level=3, anchor="dq-disagreements"))
    if quality.disagreements.empty:
        parts.append(Paragraph(t("dq_disagreements_none"), "note"))
    else:
        parts.append(Paragraph(t("dq_disagreements_intro")))
        parts.append(
            Table(
                columns=(t("col_year"), t("col_indicator"), t("col_supplied"), t("col_computed")),
                rows=tuple(
                    (
                        str(int(row.year)),
                        indicator_name(row.indicator, t),
                        value_with_unit(row.indicator, row.supplied, t),
                        value_with_unit(row.indicator, row.computed, t),
                    )
                    for row in quality.disagreements.itertuples()
                ),
                align=("right", "left", "right", "right"),
            )
        )
    parts.append(Heading(t("dq_withheld_heading"), level=3, anchor="dq-withheld"))
    parts.append(Paragraph(disclosure))
    if not quality.withheld.empty:

        def columns_text(columns: str) -> str:
            names = (
                t.pick(column_spec(c).name_zh, column_spec(c).name_en) for c in columns.split(",")
            )
            return t.pick("、", ", ").join(names)

        parts.append(
            Table(
                columns=(t("col_year"), t("col_indicator"), t("col_withheld_columns")),
                rows=tuple(
                    (
                        str(int(row.year)),
                        indicator_name(row.indicator, t),
                        columns_text(row.columns),
                    )
                    for row in quality.withheld.itertuples()
                ),
                align=("right", "left", "left"),
            )
        )
    return section(*parts)
