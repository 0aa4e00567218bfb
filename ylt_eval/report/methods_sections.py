"""Methods-and-provenance appendix shared by the county and province reports: reproducibility
facts, estimator settings and the targets used (from :mod:`ylt_eval.analysis.provenance`)."""

from __future__ import annotations

from ylt_eval.analysis.provenance import Provenance
from ylt_eval.report.common_sections import indicator_name
from ylt_eval.report.elements import Element, Heading, Paragraph, Table
from ylt_eval.report.formatting import MISSING
from ylt_eval.report.i18n import Translator


def provenance_parts(provenance: Provenance, t: Translator, *, province: str) -> list[Element]:
    """Reproducibility table, estimator settings table and targets table (level-3 headings).

    Parameters
    ----------
    provenance : Provenance
    t : Translator
    province : str
        Province whose targets are listed (empty: the default set).
    """
    return [
        *_reproducibility(provenance, t),
        *_settings(provenance, t),
        *_targets(provenance, t, province),
    ]


def _reproducibility(provenance: Provenance, t: Translator) -> list[Element]:
    seed = dict(provenance.settings).get("cs_seed", MISSING)
    rows = [
        (t("prov_version"), provenance.package_version),
        (t("prov_data_source"), provenance.data_source),
        (t("prov_data_sha"), provenance.data_sha256),
        *((t("prov_parameter", name=name), value) for name, value in provenance.parameters),
        (t("prov_targets_name"), provenance.targets_name),
        *((t("prov_configuration", name=name), sha) for name, sha in provenance.configuration),
        (t("prov_seed"), seed),
    ]
    return [
        Heading(t("provenance_heading"), level=3, anchor="provenance"),
        Table(
            columns=(t("col_item_name"), t("col_item_value")),
            rows=tuple(rows),
            align=("left", "left"),
        ),
    ]


def _settings(provenance: Provenance, t: Translator) -> list[Element]:
    rows = tuple(
        (t(f"setting_{name}"), indicator_name(value, t) if name == "cs_outcome" else value)
        for name, value in provenance.settings
    )
    return [
        Heading(t("settings_heading"), level=3, anchor="settings"),
        Table(
            columns=(t("col_setting"), t("col_item_value")),
            rows=rows,
            align=("left", "left"),
        ),
    ]


def _targets(provenance: Provenance, t: Translator, province: str) -> list[Element]:
    heading = Heading(t("targets_heading"), level=3, anchor="targets")
    table = provenance.targets
    province = province or t.pick("本县", "this county")
    intro = Paragraph(t("targets_intro", name=provenance.targets_name, province=province))
    if table.empty:
        return [heading, intro, Paragraph(t("targets_none"), "note")]
    rows = tuple(
        (
            indicator_name(row.indicator, t),
            t.pick(row.target_text_zh, row.target_text_en),
            t("scope_default") if row.scope == "default" else row.scope,
            t.pick(row.source_zh, row.source_en),
            f"[{row.provenance}]",
        )
        for row in table.itertuples()
    )
    return [
        heading,
        intro,
        Table(
            columns=(
                t("col_indicator"),
                t("col_target"),
                t("col_scope"),
                t("col_source"),
                t("col_provenance"),
            ),
            rows=rows,
            align=("left", "left", "left", "left", "center"),
        ),
    ]
