"""Section builders shared by the county and province reports."""

from __future__ import annotations

import json

from ylt_eval.analysis.impact import ImpactEstimate, ImpactUnavailable
from ylt_eval.analysis.publication import Publication
from ylt_eval.report.charts import event_study_chart
from ylt_eval.report.elements import Heading, Paragraph, Section, Table, section
from ylt_eval.report.formatting import format_number, format_p_value
from ylt_eval.report.i18n import Translator


def indicator_name(code: str, t: Translator) -> str:
    """Display name of a catalogue indicator in the report language."""
    from ylt_eval.metrics.catalogue import indicator

    spec = indicator(code)
    return t.pick(spec.name_zh, spec.name_en)


def indicator_unit(code: str, t: Translator) -> str:
    """Display unit of a catalogue indicator in the report language."""
    from ylt_eval.metrics.catalogue import indicator

    spec = indicator(code)
    return t.pick(spec.unit_zh, spec.unit_en)


def impact_section(
    impact: ImpactEstimate | None,
    unavailable: ImpactUnavailable | None,
    t: Translator,
    *,
    heading_key: str,
) -> Section:
    """Event-study chart, estimates table and caveats of the province-level DiD."""
    heading = Heading(t(heading_key), level=2, anchor="impact")
    if impact is None:
        reason = t(f"impact_reason_{unavailable.reason}") if unavailable else ""
        if unavailable and unavailable.detail:
            reason = (
                f"{reason}（{unavailable.detail}）"
                if t.lang == "zh"
                else f"{reason} ({unavailable.detail})"
            )
        return section(heading, Paragraph(t("impact_unavailable", reason=reason), "warning"))
    name = indicator_name(impact.outcome, t)
    unit = indicator_unit(impact.outcome, t)
    unit_label = t.pick("百分点", "percentage points") if unit == "%" else unit
    chart = event_study_chart(
        impact.estimates,
        labels={
            "title": t("impact_chart_title", indicator=name),
            "x": t("impact_x"),
            "y": t("impact_y", unit=unit_label),
            "pre": t("impact_pre"),
            "post": t("impact_post"),
        },
        alt=t("impact_alt", indicator=name),
    )
    rows = tuple(
        (
            row.label,
            format_number(row.estimate, 2, signed=True),
            format_number(row.std_error, 2),
            f"[{format_number(row.conf_low, 2)}, {format_number(row.conf_high, 2)}]",
            format_p_value(row.p_value),
        )
        for row in impact.estimates.itertuples()
    )
    table = Table(
        columns=(
            t("col_event_time"),
            t("col_estimate"),
            t("col_std_error"),
            t("col_ci"),
            t("col_p_value"),
        ),
        rows=rows,
        caption=t("impact_table_caption"),
        align=("right", "right", "right", "right", "right"),
    )
    summary = Paragraph(
        t(
            "impact_summary",
            max_e=int(impact.estimates["time"].max()),
            average=format_number(impact.overall, 2, signed=True),
            unit=unit_label,
            se=format_number(impact.overall_se, 2),
            n_treated=impact.n_treated,
            n_control=impact.n_control,
            n_obs=impact.n_obs,
            pretest=format_p_value(impact.pretest_p_value),
        )
    )
    caveat = Paragraph(
        t(
            "impact_caveat",
            twfe=format_number(impact.twfe, 2, signed=True),
            twfe_se=format_number(impact.twfe_se, 2),
            unit=unit_label,
        ),
        "note",
    )
    return section(
        heading,
        Paragraph(t("impact_intro", indicator=name)),
        chart,
        table,
        summary,
        caveat,
    )


def definitions_section(codes: tuple[str, ...], t: Translator) -> Section:
    """Appendix table: definition and provenance tag of each indicator used."""
    from ylt_eval.metrics.catalogue import indicator

    rows = []
    for code in dict.fromkeys(codes):
        spec = indicator(code)
        rows.append(
            (
                code,
                t.pick(spec.name_zh, spec.name_en),
                _definition(spec, t),
                t.pick(spec.unit_zh, spec.unit_en),
                f"[{spec.provenance}]",
            )
        )
    return section(
        Heading(t("section_catalogue"), level=3, anchor="definitions"),
        Table(
            columns=(
                t("col_code"),
                t("col_indicator"),
                t("col_definition"),
                t("col_unit"),
                t("col_provenance"),
            ),
            rows=tuple(rows),
        ),
    )


def _definition(spec, t: Translator) -> str:
    from ylt_eval.schema import column_spec

    def names(columns) -> str:
        text = " + ".join(t.pick(column_spec(c).name_zh, column_spec(c).name_en) for c in columns)
        return f"({text})" if len(columns) > 1 else text

    if spec.kind == "ratio":
        fraction = f"{names(spec.numerator)} ÷ {names(spec.denominator)}"
        if spec.scale in (None, 1):
            return fraction
        return f"({fraction}) × {spec.scale:g}"
    if spec.kind == "growth":
        base = indicator_name(spec.base, t)
        return t.pick(f"{base}的同比增长率", f"year-on-year growth of {base}")
    if spec.kind == "input":
        return names((spec.column,))
    if spec.kind == "quotient":
        return f"{indicator_name(spec.numerator_indicator, t)} ÷ " + indicator_name(
            spec.denominator_indicator, t
        )
    return t.pick("定性指标（达标 / 未达标）", "qualitative (met / not met)")


def parameters_text(values: dict) -> str:
    """Parameters as compact, deterministic JSON for the provenance note."""
    return json.dumps(values, ensure_ascii=False, sort_keys=True, default=str)


def disclosure_text(publication: Publication | None, county_code: str | None, t: Translator) -> str:
    """Sentence on the small-cell rule applied and, for a county, which of its cells it withheld.

    Parameters
    ----------
    publication : Publication or None
        Disclosure control of the analysis (None: not applied, e.g. an analysis built by hand).
    county_code : str or None
        The county of a county report; None for the province summary.
    t : Translator
    """
    if publication is None or not publication.checked:
        return t("methods_disclosure_unchecked")
    rule = publication.rule
    facts = {"rule": rule.name, "low": rule.suppress_low, "high": rule.suppress_high}
    withheld = publication.withheld
    if county_code is None:
        return t("methods_disclosure_province", n=len(withheld), **facts)
    own = withheld[withheld["county_code"] == county_code]
    if own.empty:
        return t("methods_disclosure_none_withheld", **facts)
    cells = t.pick("、", ", ").join(
        f"{indicator_name(code, t)} {year}"
        for code, year in zip(own["indicator"], own["year"], strict=True)
    )
    return t("methods_disclosure", n=len(own), cells=cells, **facts)
