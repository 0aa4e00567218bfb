"""Report sections of one county's own effect (synthetic comparison) and the Bacon diagnostic.

Numbers come from :mod:`ylt_eval.analysis.counterfactual`; this module only picks texts and
formats. The verdict that decides the plain-language conclusion (poor fit, stands out, within
the placebo distribution) is made in the analysis layer.
"""

from __future__ import annotations

from ylt_eval.analysis.counterfactual import (
    POOR_FIT_RATIO,
    STANDS_OUT_P_VALUE,
    BaconDiagnostic,
    CounterfactualUnavailable,
    CountyCounterfactual,
)
from ylt_eval.analysis.impact import ImpactUnavailable
from ylt_eval.report.common_sections import indicator_name, indicator_unit
from ylt_eval.report.counterfactual_charts import placebo_distribution_chart, synthetic_path_chart
from ylt_eval.report.elements import Heading, Paragraph, Section, Table, section
from ylt_eval.report.formatting import format_number, format_p_value
from ylt_eval.report.i18n import Translator


def counterfactual_section(
    estimate: CountyCounterfactual | None,
    unavailable: CounterfactualUnavailable | None,
    t: Translator,
    county_name: str,
) -> Section:
    """The county's own effect: path chart, placebo chart, summary table and conclusions.

    Parameters
    ----------
    estimate : CountyCounterfactual or None
        The estimate; None when there is none.
    unavailable : CounterfactualUnavailable or None
        Why there is no estimate (shown instead).
    t : Translator
        Report language.
    county_name : str
        Display name of the county.
    """
    heading = Heading(t("cf_heading"), level=3, anchor="county-effect")
    if estimate is None:
        return section(heading, Paragraph(_unavailable_text(unavailable, t, county_name), "note"))
    name = indicator_name(estimate.outcome, t)
    unit = _unit_label(estimate.outcome, t)
    intro = Paragraph(
        t(
            "cf_intro",
            county=county_name,
            indicator=name,
            n_donors=estimate.n_donors,
            start=estimate.window_start,
            end=estimate.window_end,
            n_pre=estimate.n_pre,
            n_post=estimate.n_post,
        )
    )
    notes = []
    if estimate.window_shortened:
        notes.append(t("cf_window_shortened", year=estimate.year, end=estimate.window_end))
    if estimate.n_incomplete_donors:
        notes.append(t("cf_incomplete_donors", n=estimate.n_incomplete_donors))
    return section(
        heading,
        intro,
        Paragraph(" ".join(notes) if t.lang == "en" else "".join(notes), "note") if notes else None,
        _path_chart(estimate, t, county_name, name, unit),
        _placebo_chart(estimate, t, county_name, unit),
        _summary_table(estimate, t, unit),
        *_conclusions(estimate, t, county_name, name, unit),
    )


def bacon_section(
    diagnostic: BaconDiagnostic | None,
    unavailable: ImpactUnavailable | None,
    t: Translator,
) -> Section:
    """Goodman-Bacon decomposition of the TWFE coefficient: to show wherever TWFE is shown.

    Parameters
    ----------
    diagnostic : BaconDiagnostic or None
    unavailable : ImpactUnavailable or None
        Why there is no decomposition (its reason uses the event study's texts).
    t : Translator
    """
    heading = Heading(t("cf_bacon_heading"), level=3, anchor="bacon")
    if diagnostic is None:
        reason = t(f"impact_reason_{unavailable.reason}") if unavailable else ""
        if unavailable and unavailable.detail:
            reason = _with_detail(reason, unavailable.detail, t)
        return section(heading, Paragraph(t("cf_bacon_unavailable", reason=reason), "note"))
    unit = _unit_label(diagnostic.outcome, t)
    rows = tuple(
        (
            t(f"cf_bacon_type_{row.type}"),
            f"{format_number(100 * row.weight, 1)}%",
            format_number(row.estimate, 2, signed=True),
        )
        for row in diagnostic.by_type.itertuples()
    )
    table = Table(
        columns=(
            t("cf_bacon_col_type"),
            t("cf_bacon_col_weight"),
            t("cf_bacon_col_estimate", unit=unit),
        ),
        rows=rows,
        caption=t("cf_bacon_caption"),
        align=("left", "right", "right"),
    )
    intro = t(
        "cf_bacon_intro",
        twfe=format_number(diagnostic.twfe, 2, signed=True),
        unit=unit,
        n_counties=diagnostic.n_counties,
        first=diagnostic.first_year,
        last=diagnostic.last_year,
    )
    if diagnostic.n_dropped:
        intro = _join(t, intro, t("cf_bacon_dropped", n=diagnostic.n_dropped))
    forbidden = diagnostic.by_type[diagnostic.by_type["type"] == "later_vs_earlier"]
    if forbidden.empty:
        reading = t("cf_bacon_reading_clean")
    else:
        reading = t(
            "cf_bacon_reading",
            weight=format_number(100 * diagnostic.later_vs_earlier_weight, 1),
            estimate=format_number(float(forbidden["estimate"].iloc[0]), 2, signed=True),
            unit=unit,
        )
    return section(heading, Paragraph(intro), table, Paragraph(reading, "note"))


def counterfactual_methods_text(t: Translator) -> str:
    """Methods-appendix sentence on the county's own estimate and the Bacon decomposition."""
    return t("cf_methods", limit=format_number(POOR_FIT_RATIO, 1))


# --------------------------------------------------------------------------------------------
# Parts
# --------------------------------------------------------------------------------------------


def _path_chart(estimate: CountyCounterfactual, t: Translator, county: str, name: str, unit: str):
    path = estimate.path
    return synthetic_path_chart(
        path["year"].tolist(),
        path["treated"].tolist(),
        path["synthetic"].tolist(),
        comparison=path["synthetic_sc"].tolist(),
        reform_year=estimate.reform_year,
        labels={
            "title": t("cf_path_title", county=county, indicator=name),
            "y": t("cf_path_y", unit=indicator_unit(estimate.outcome, t)),
            "treated": t("cf_path_treated", county=county),
            "synthetic": t("cf_path_synthetic", county=county),
            "comparison": t("cf_path_comparison"),
            "reform": t("cf_path_reform"),
            "covid": t("cf_path_covid"),
        },
        alt=t(
            "cf_path_alt",
            county=county,
            indicator=name,
            start=estimate.window_start,
            end=estimate.window_end,
        ),
        caption=t("cf_path_caption"),
    )


def _placebo_chart(estimate: CountyCounterfactual, t: Translator, county: str, unit: str):
    placebo = estimate.placebo
    return placebo_distribution_chart(
        placebo["estimate"].tolist(),
        placebo["treated"].tolist(),
        labels={
            "title": t("cf_placebo_title", county=county, n_donors=estimate.n_donors),
            "x": t("cf_placebo_x"),
            "y": t("cf_placebo_y", unit=unit),
            "county": county,
            "placebo": t("cf_placebo_donors"),
        },
        alt=t("cf_placebo_alt", county=county, rank=estimate.rank, n_units=estimate.n_units),
        caption=t("cf_placebo_caption", reform_year=estimate.reform_year),
    )


def _summary_table(estimate: CountyCounterfactual, t: Translator, unit: str) -> Table:
    separator = t.pick("、", ", ")
    donors = separator.join(
        f"{row.county_name or row.county_code} {format_number(row.weight, 2)}"
        for row in estimate.top_donors.itertuples()
    )
    rows = (
        (t("cf_row_att"), _with_unit(format_number(estimate.att, 2, signed=True), unit, t)),
        (t("cf_row_sc_att"), _with_unit(format_number(estimate.sc_att, 2, signed=True), unit, t)),
        (
            t("cf_row_p_value"),
            t(
                "cf_p_value_value",
                p=format_p_value(estimate.p_value),
                rank=estimate.rank,
                n_units=estimate.n_units,
                min_p=format_p_value(estimate.min_p_value),
            ),
        ),
        (t("cf_row_ratio_p"), format_p_value(estimate.rmspe_ratio_p_value)),
        (
            t("cf_row_pre_fit"),
            t(
                "cf_pre_fit_value",
                rmspe=format_number(estimate.pre_rmspe, 2),
                unit=unit,
                relative=format_number(100 * estimate.pre_rmspe_relative, 1),
            ),
        ),
        (
            t("cf_row_placebo_fit"),
            t(
                "cf_placebo_fit_value",
                rmspe=format_number(estimate.placebo_pre_rmspe_median, 2),
                unit=unit,
                ratio=format_number(estimate.fit_ratio, 1),
            ),
        ),
        (t("cf_row_sc_pre_fit"), _with_unit(format_number(estimate.sc_pre_rmspe, 2), unit, t)),
        (t("cf_row_donors"), str(estimate.n_donors)),
        (
            t("cf_row_window"),
            t(
                "cf_window_value",
                start=estimate.window_start,
                end=estimate.window_end,
                n_pre=estimate.n_pre,
                n_post=estimate.n_post,
            ),
        ),
        (t("cf_row_top_donors"), donors or "—"),
    )
    return Table(
        columns=(t("cf_col_item"), t("cf_col_value")),
        rows=rows,
        caption=t("cf_table_caption"),
        align=("left", "right"),
    )


def _conclusions(
    estimate: CountyCounterfactual, t: Translator, county: str, name: str, unit: str
) -> tuple[Paragraph, ...]:
    values = {
        "county": county,
        "indicator": name,
        "att": format_number(estimate.att, 2, signed=True),
        "unit": unit,
        "n_donors": estimate.n_donors,
        "n_units": estimate.n_units,
        "rank": estimate.rank,
        "p": format_p_value(estimate.p_value),
    }
    if estimate.verdict == "poor_fit":
        conclusion = t(
            "cf_conclusion_poor_fit",
            rmspe=format_number(estimate.pre_rmspe, 2),
            ratio=format_number(estimate.fit_ratio, 1),
            limit=format_number(POOR_FIT_RATIO, 1),
            **values,
        )
    else:
        conclusion = t(f"cf_conclusion_{estimate.verdict}", **values)
    if estimate.fit_poor and estimate.verdict != "poor_fit":
        caveat = t(
            "cf_fit_caveat",
            ratio=format_number(estimate.fit_ratio, 1),
            limit=format_number(POOR_FIT_RATIO, 1),
            p=format_p_value(estimate.rmspe_ratio_p_value),
        )
        conclusion = _join(t, conclusion, caveat)
    if not estimate.methods_agree:
        disagree = t(
            "cf_methods_disagree",
            sc_att=format_number(estimate.sc_att, 2, signed=True),
            unit=unit,
        )
        conclusion = _join(t, conclusion, disagree)
    limits = t(
        "cf_limits",
        indicator=name,
        n_units=estimate.n_units,
        min_p=format_p_value(estimate.min_p_value),
        threshold=format_number(STANDS_OUT_P_VALUE, 2),
    )
    style = "warning" if estimate.verdict == "poor_fit" else "body"
    return Paragraph(conclusion, style), Paragraph(limits, "note")


# --------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------


def _unit_label(code: str, t: Translator) -> str:
    """Unit of an effect: a difference of percentages is in percentage points."""
    unit = indicator_unit(code, t)
    return t.pick("百分点", "percentage points") if unit == "%" else unit


def _with_unit(number: str, unit: str, t: Translator) -> str:
    return f"{number}{unit}" if t.lang == "zh" else f"{number} {unit}"


def _join(t: Translator, *sentences: str) -> str:
    return ("" if t.lang == "zh" else " ").join(sentences)


def _with_detail(reason: str, detail: str, t: Translator) -> str:
    return f"{reason}（{detail}）" if t.lang == "zh" else f"{reason} ({detail})"


def _unavailable_text(
    unavailable: CounterfactualUnavailable | None, t: Translator, county: str
) -> str:
    if unavailable is None:
        return t("cf_unavailable", county=county, reason=t("cf_reason_estimator"))
    reason = t(f"cf_reason_{unavailable.reason}")
    if unavailable.reason == "estimator" and unavailable.detail:
        reason = _with_detail(reason, unavailable.detail, t)
    return t("cf_unavailable", county=county, reason=reason)
