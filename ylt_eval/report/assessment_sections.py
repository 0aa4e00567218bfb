"""County report sections of the indicator assessment (scorecard, referrals, finance, warnings,
integration). Values come from :class:`~ylt_eval.analysis.scorecard.CountyAssessment` and
:class:`~ylt_eval.analysis.checklist.CountyIntegration`; nothing is computed here.

Wide tables are split by dimension (one table each) and hold at most nine columns, with the unit
joined to the indicator name, so they fit an A4 page and a 60rem HTML column.
"""

from __future__ import annotations

import math

import pandas as pd

from ylt_eval.analysis.comparison import MIN_PEERS
from ylt_eval.analysis.scorecard import CountyAssessment
from ylt_eval.report.common_sections import indicator_name
from ylt_eval.report.elements import Element, Heading, Paragraph, Section, Table, section
from ylt_eval.report.formatting import MISSING, format_number, format_value
from ylt_eval.report.i18n import Translator

_QUALITATIVE_UNIT = "达标/未达标"


def named_with_unit(code: str, t: Translator) -> str:
    """Indicator name with its unit in brackets (units that are words are left out)."""
    from ylt_eval.metrics.catalogue import indicator

    spec = indicator(code)
    name = t.pick(spec.name_zh, spec.name_en)
    if spec.unit_zh == _QUALITATIVE_UNIT:
        return name
    unit = t.pick(spec.unit_zh, spec.unit_en)
    return f"{name}（{unit}）" if t.lang == "zh" else f"{name} ({unit})"


def indicator_value(code: str, value: float, t: Translator, *, signed: bool = False) -> str:
    """Format a value of a catalogue indicator; qualitative values read 达标 / 未达标."""
    from ylt_eval.metrics.catalogue import indicator

    spec = indicator(code)
    if spec.unit_zh == _QUALITATIVE_UNIT:
        if signed or value is None or math.isnan(value):
            return MISSING
        return t("status_met") if value >= 1 else t("status_not_met")
    return format_value(value, spec.unit_zh, signed=signed)


def grade_label(grade: object, t: Translator) -> str:
    """优/良/中/差 in the report language; a dash when there is no grade."""
    from ylt_eval.metrics.grading import GRADE_NAMES_EN

    if not isinstance(grade, str) or grade not in GRADE_NAMES_EN:
        return MISSING
    return t(f"grade_{GRADE_NAMES_EN[grade]}")


def _rank(rank: object, n: int) -> str:
    return MISSING if rank is None or pd.isna(rank) else f"{int(rank)} / {n}"


def scorecard_section(
    assessment: CountyAssessment,
    year: int,
    t: Translator,
    *,
    dimensions: tuple[str, ...] | None = None,
    before_tables: tuple[Element, ...] = (),
    after_tables: tuple[Element, ...] = (),
    note: str = "",
) -> Section:
    """Summary, then one table per dimension (value, previous, change, target, status, grade,
    rank, median of the other counties).

    Parameters
    ----------
    assessment : CountyAssessment
    year : int
    t : Translator
    dimensions : tuple of str, optional
        Dimensions to show (all of the scorecard's by default).
    before_tables, after_tables : tuple of Element
        Subsections placed before and after the dimension tables (headline table, trends).
    note : str
        Extra sentence for the closing note (e.g. where the other dimensions are shown).
    """
    from ylt_eval.metrics.grading import MIN_PEERS_FOR_GRADE

    heading = Heading(t("section_scorecard"), level=2, anchor="scorecard")
    card = assessment.scorecard
    if card.empty:
        return section(heading, Paragraph(t("scorecard_none", year=year), "warning"), *after_tables)
    counts = assessment.status_counts
    n_targets = counts["met"] + counts["not_met"]
    summary = (
        t("scorecard_summary", n_targets=n_targets, met=counts["met"], not_met=counts["not_met"])
        if n_targets
        else t("scorecard_summary_none")
    )
    parts: list = [heading, Paragraph(t("scorecard_intro", year=year)), Paragraph(summary)]
    parts.append(_composite_paragraph(assessment, t))
    if assessment.n_peers < MIN_PEERS:
        parts.append(
            Paragraph(t("scorecard_peers_missing", n=assessment.n_peers, min=MIN_PEERS), "warning")
        )
    parts.extend(before_tables)
    shown = card if dimensions is None else card[card["dimension"].isin(dimensions)]
    parts.extend(dimension_tables(shown, t, anchor_prefix="scorecard"))
    notes = t("scorecard_notes", min_grade=MIN_PEERS_FOR_GRADE, min=MIN_PEERS)
    parts.append(Paragraph(f"{notes} {note}".strip(), "note"))
    parts.extend(after_tables)
    return section(*parts)


def dimension_tables(card: pd.DataFrame, t: Translator, *, anchor_prefix: str) -> list[Element]:
    """A level-3 heading and a table per dimension of scorecard rows (in the rows' order)."""
    columns = (
        t("col_indicator"),
        t("col_value"),
        t("col_previous"),
        t("col_change"),
        t("col_target"),
        t("col_status"),
        t("col_grade"),
        t("col_rank"),
        t("col_other_median"),
    )
    align = ("left", "right", "right", "right", "left", "left", "center", "right", "right")
    parts: list[Element] = []
    for dimension, rows in card.groupby("dimension", sort=False):
        body = tuple(
            (
                named_with_unit(row.indicator, t),
                indicator_value(row.indicator, row.value, t),
                indicator_value(row.indicator, row.previous, t),
                indicator_value(row.indicator, row.change, t, signed=True),
                t.pick(row.target_text_zh, row.target_text_en) or MISSING,
                t(f"status_{row.status}"),
                grade_label(row.grade, t),
                _rank(row.rank, row.n_ranked),
                indicator_value(row.indicator, row.peer_median, t),
            )
            for row in rows.itertuples()
        )
        parts.append(
            Heading(t(f"dimension_{dimension}"), level=3, anchor=f"{anchor_prefix}-{dimension}")
        )
        parts.append(Table(columns=columns, rows=body, align=align))
    return parts


def _composite_paragraph(assessment: CountyAssessment, t: Translator) -> Paragraph:
    by_method = {result.method: result for result in assessment.composite}
    equal, entropy = by_method.get("equal"), by_method.get("entropy")
    if equal is None or entropy is None or equal.rank is None or entropy.rank is None:
        return Paragraph(t("scorecard_composite_unavailable", min=MIN_PEERS), "note")
    return Paragraph(
        t(
            "scorecard_composite",
            equal=format_number(equal.score, 1),
            rank=equal.rank,
            n=equal.n_ranked,
            grade=grade_label(equal.grade, t),
            entropy=format_number(entropy.score, 1),
            rank_entropy=entropy.rank,
        )
    )


def referrals_section(assessment: CountyAssessment, year: int, t: Translator) -> Section:
    """Upward and downward referrals: counts, growth against target, rates."""
    heading = Heading(t("section_referrals"), level=2, anchor="referrals")
    table = assessment.referrals
    value_columns = ["count", "previous_count", "growth", "rate", "previous_rate"]
    if table.empty or table[value_columns].isna().all().all():
        return section(heading, Paragraph(t("referrals_none", year=year), "note"))
    rows = tuple(
        (
            t(f"referral_{row.direction}"),
            format_value(row.count, "人次"),
            format_value(row.previous_count, "人次"),
            format_value(row.growth, "%", signed=True),
            t.pick(row.target_text_zh, row.target_text_en) or MISSING,
            t(f"status_{row.status}"),
            format_value(row.rate, "%"),
            format_value(row.previous_rate, "%"),
        )
        for row in table.itertuples()
    )
    return section(
        heading,
        Paragraph(t("referrals_intro")),
        Table(
            columns=(
                t("col_referral_direction"),
                t("col_count_year", year=year),
                t("col_count_year", year=year - 1),
                t("col_growth"),
                t("col_growth_target"),
                t("col_status"),
                t("col_rate_year", year=year),
                t("col_rate_year", year=year - 1),
            ),
            rows=rows,
            align=("left", "right", "right", "right", "left", "left", "right", "right"),
        ),
    )


def finance_section(assessment: CountyAssessment, year: int, t: Translator, config) -> Section:
    """Revenue structure and pay by level (county, township) by year, then other indicators."""
    from ylt_eval.metrics.catalogue import indicator

    heading = Heading(t("section_finance"), level=2, anchor="finance")
    finance = assessment.finance
    if finance.empty:
        return section(heading, Paragraph(t("finance_none"), "note"))
    years = [int(y) for y in finance.columns]
    median = assessment.finance_median
    show_median = bool(median.notna().any())
    year_columns = tuple(str(y) for y in years)
    median_column = (t("col_province_median_year", year=year),) if show_median else ()

    def cells(code: str) -> tuple[str, ...]:
        values = tuple(indicator_value(code, finance.at[code, y], t) for y in finance.columns)
        extra = (indicator_value(code, median.get(code, float("nan")), t),) if show_median else ()
        return values + extra

    by_level = []
    for pair in config.finance_by_level:
        for level, code in (("county", pair.county), ("township", pair.township)):
            if code not in finance.index:
                continue
            spec = indicator(code)
            unit = t.pick(spec.unit_zh, spec.unit_en)
            label = t(f"finance_{pair.measure}")
            label = f"{label}（{unit}）" if t.lang == "zh" else f"{label} ({unit})"
            by_level.append((label, t(f"level_{level}"), *cells(code)))
    other = [
        (named_with_unit(code, t), *cells(code))
        for code in config.finance_other
        if code in finance.index
    ]
    n_values = len(year_columns) + len(median_column)
    tables = []
    if by_level:
        tables.append(
            Table(
                columns=(t("col_measure"), t("col_level"), *year_columns, *median_column),
                rows=tuple(by_level),
                caption=t("finance_level_caption"),
                align=("left", "left", *("right",) * n_values),
            )
        )
    if other:
        tables.append(
            Table(
                columns=(t("col_indicator"), *year_columns, *median_column),
                rows=tuple(other),
                caption=t("finance_other_caption"),
                align=("left", *("right",) * n_values),
            )
        )
    note = None if show_median else Paragraph(t("finance_median_missing", min=MIN_PEERS), "note")
    return section(heading, Paragraph(t("finance_intro")), *tables, note)


def warnings_section(
    assessment: CountyAssessment, year: int, t: Translator, *, level: int = 2
) -> Section:
    """The county's warnings of the year with their reasons (``level``: heading level)."""
    heading = Heading(t("section_warnings"), level=level, anchor="warnings")
    outlier_note = (
        Paragraph(t("warnings_outlier_unavailable", min=assessment.outlier_min_peers), "note")
        if assessment.n_peers < assessment.outlier_min_peers
        else None
    )
    if assessment.warnings.empty:
        return section(
            heading,
            Paragraph(t("warnings_intro")),
            Paragraph(t("warnings_none", year=year)),
            outlier_note,
        )
    rows = tuple(
        (
            t(f"rule_{row.rule}"),
            indicator_name(row.indicator, t),
            t.pick(row.reason_zh, row.reason_en),
        )
        for row in assessment.warnings.itertuples()
    )
    return section(
        heading,
        Paragraph(t("warnings_intro")),
        Table(
            columns=(t("col_warning_rule"), t("col_indicator"), t("col_reason")),
            rows=rows,
            align=("left", "left", "left"),
        ),
        outlier_note,
    )


def integration_section(integration, year: int, t: Translator) -> Section:
    """Scores per community and the status and evidence of each checklist item."""
    heading = Heading(t("section_integration"), level=2, anchor="integration")
    if integration.empty_reason == "no_checklist":
        return section(heading, Paragraph(t("integration_no_checklist"), "warning"))
    if integration.empty_reason == "no_records":
        return section(
            heading,
            Paragraph(
                t("integration_no_records", source=integration.source_name, year=year), "warning"
            ),
        )
    overall = integration.overall
    communities = tuple(
        (
            t.pick(row.name_zh, row.name_en),
            format_number(row.score, 1),
            str(row.n_items),
            str(row.n_met),
            str(row.n_partial),
            str(row.n_not_met),
            str(row.n_missing),
        )
        for row in integration.communities.itertuples()
    )
    names = {
        row.community: t.pick(row.name_zh, row.name_en)
        for row in integration.communities.itertuples()
    }
    items = tuple(
        (
            t.pick(row.name_zh, row.name_en),
            names.get(row.community, row.community),
            format_number(row.weight, 1),
            t.pick(row.status_zh, row.status_en),
            row.evidence or MISSING,
        )
        for row in integration.items.itertuples()
    )
    return section(
        heading,
        Paragraph(t("integration_intro", source=integration.source_name)),
        Paragraph(
            t(
                "integration_summary",
                score=format_number(overall["score"], 1),
                n_items=overall["n_items"],
                met=overall["n_met"],
                partial=overall["n_partial"],
                not_met=overall["n_not_met"],
                missing=overall["n_missing"],
            )
        ),
        Table(
            columns=(
                t("col_community"),
                t("col_score"),
                t("col_items"),
                t("col_n_met"),
                t("col_n_partial"),
                t("col_n_not_met"),
                t("col_n_missing"),
            ),
            rows=communities,
            align=("left", "right", "right", "right", "right", "right", "right"),
        ),
        Table(
            columns=(
                t("col_item"),
                t("col_community"),
                t("col_weight"),
                t("col_checklist_status"),
                t("col_evidence"),
            ),
            rows=items,
            caption=t("integration_items_caption"),
            align=("left", "left", "right", "left", "left"),
        ),
    )
