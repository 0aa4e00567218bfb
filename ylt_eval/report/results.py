"""Machine-readable results of a report: every number it shows, as JSON and tidy CSV.

The report notebook displays a :class:`ResultsOutput` in its last cell. It carries a single
MIME type, :data:`RESULTS_MIME`, which no exporter renders, so the page and the PDF do not show
it; :func:`results_from_notebook` reads it back from the executed notebook and
:func:`results_to_json_bytes` / :func:`results_to_csv_bytes` turn it into files.

The results are a JSON-able dict::

    {"schema": "ylt-eval.results/1", "report": "county" | "province", <identity>,
     "provenance": {...}, "summary": {...} (county only), "values": [row, ...]}

and every row of ``values`` has the keys :data:`RESULT_COLUMNS`: ``section`` (where the number
is shown), ``indicator`` (catalogue code, or empty), ``year`` (empty when the number is not
about one year), ``group`` (event time, referral direction, county code, comparison type ...),
``measure`` (what the number is) and ``value`` (a number, or a code such as ``met`` / ``优``)
and ``unit``. Numbers keep 12 significant digits (the report rounds them for display); missing
values are left out. The same analysis always gives the same bytes: rows are in a fixed order,
nothing depends on time, locale or hash seed.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd

from ylt_eval.export_safety import neutralise_text

#: MIME type of the results output in the report notebook.
RESULTS_MIME = "application/vnd.ylt-eval.results+json"
#: Version of the results layout.
SCHEMA = "ylt-eval.results/1"
#: Keys of every row of ``values`` and columns of the CSV file, in order.
RESULT_COLUMNS: tuple[str, ...] = (
    "section",
    "indicator",
    "year",
    "group",
    "measure",
    "value",
    "unit",
)


class ResultsOutput:
    """Notebook output carrying the results under :data:`RESULTS_MIME` only (not shown).

    Parameters
    ----------
    results : dict
        From :func:`county_results` or :func:`province_results`.
    """

    def __init__(self, results: dict) -> None:
        self.results = results

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {RESULTS_MIME: self.results}


def results_from_notebook(notebook: nbformat.NotebookNode) -> dict | None:
    """The results an executed report notebook displayed, or None when it displayed none.

    Parameters
    ----------
    notebook : nbformat.NotebookNode

    Returns
    -------
    dict or None
        The last results output of the notebook.
    """
    found = None
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if RESULTS_MIME in data:
                found = data[RESULTS_MIME]
    return _plain(found) if found is not None else None


def results_to_json_bytes(results: dict) -> bytes:
    """UTF-8 JSON of the results (keys sorted, two-space indent, final newline)."""
    text = json.dumps(results, ensure_ascii=False, sort_keys=True, indent=2, allow_nan=False)
    return (text + "\n").encode("utf-8")


def results_to_csv_bytes(results: dict) -> bytes:
    """CSV of the ``values`` rows: UTF-8 with a byte-order mark (so spreadsheet programs read
    the Chinese correctly), ``\\n`` line ends, text cells neutralised against formulas."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(RESULT_COLUMNS)
    for row in results.get("values", []):
        writer.writerow(_csv_cell(row.get(column)) for column in RESULT_COLUMNS)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_results(results: dict, json_path: str | Path, csv_path: str | Path) -> None:
    """Write the results as JSON and CSV (plain writes: atomic replacement is the caller's)."""
    Path(json_path).write_bytes(results_to_json_bytes(results))
    Path(csv_path).write_bytes(results_to_csv_bytes(results))


# ---------------------------------------------------------------------------------------------
# County report
# ---------------------------------------------------------------------------------------------


def county_results(analysis) -> dict:
    """Every number a county report shows.

    Parameters
    ----------
    analysis : CountyAnalysis

    Returns
    -------
    dict
        See the module docstring.
    """
    a = analysis
    year = a.params.year
    rows = _Rows(a.params.lang)
    _summary_rows(rows, a.summary, year)
    _integration_rows(rows, a.integration, year)
    _headline_rows(rows, a.headline, year)
    outcome_dimensions = set(a.config.outcome_dimensions)
    _scorecard_rows(rows, a.assessment.scorecard, year, outcome_dimensions)
    if a.outcomes is not None:
        for row in a.outcomes.itertuples():
            rows.add("outcomes", row.indicator, year, "", "better_than_share", row.better_than, "%")
    for code, values in a.history.iterrows():
        for column in a.history.columns:
            rows.add("trends", code, int(column), "", "value", values[column], code=code)
    for code, trend in a.trends.items():
        for row in trend.itertuples():
            for measure in ("county", "p25", "median", "p75"):
                rows.add(
                    "trends", code, int(row.year), "", measure, getattr(row, measure), code=code
                )
    _referral_rows(rows, a.assessment.referrals, year)
    _finance_rows(rows, a.assessment, year)
    for row in a.assessment.warnings.itertuples():
        rows.add("warnings", row.indicator, year, "", "warning", row.rule)
    _impact_rows(rows, a.impact)
    _bacon_rows(rows, a.bacon)
    _counterfactual_rows(rows, a.counterfactual)
    _quality_rows(rows, a.data_quality)
    _settings_rows(rows, a.provenance)
    county = a.county
    return {
        "schema": SCHEMA,
        "report": "county",
        "county_code": county.code,
        "county_name": county.name,
        "province": county.province,
        "consortium_name": county.consortium_name,
        "reform_year": county.reform_year,
        "year": year,
        "lang": a.params.lang,
        "provenance": _provenance(a.provenance),
        "summary": _summary(a.summary),
        "values": rows.rows,
    }


def _summary_rows(rows: _Rows, summary, year: int) -> None:
    if summary is None:
        return
    for measure in (
        "grade",
        "score",
        "rank",
        "n_ranked",
        "n_met",
        "n_not_met",
        "n_warnings",
        "n_warned_indicators",
    ):
        if measure == "score" and summary.rank is None:
            continue  # unranked (too few peers): the report shows no composite score either
        rows.add("summary", "", year, "", measure, getattr(summary, measure))
    for position, finding in enumerate(summary.findings, start=1):
        indicator = finding.indicators[0] if finding.indicators else ""
        for name, value in finding.values:
            rows.add(
                "summary", indicator, year, f"finding{position}", f"{finding.kind}.{name}", value
            )


def _summary(summary) -> dict | None:
    if summary is None:
        return None
    return _plain(
        {
            "grade": summary.grade,
            "score": summary.score,
            "rank": summary.rank,
            "n_ranked": summary.n_ranked,
            "n_met": summary.n_met,
            "n_not_met": summary.n_not_met,
            "n_warnings": summary.n_warnings,
            "n_warned_indicators": summary.n_warned_indicators,
            "findings": [
                {
                    "kind": finding.kind,
                    "indicators": list(finding.indicators),
                    "values": dict(finding.values),
                    "source": finding.source,
                }
                for finding in summary.findings
            ],
        }
    )


def _integration_rows(rows: _Rows, integration, year: int) -> None:
    for measure, value in integration.overall.items():
        rows.add("integration", "", year, "overall", measure, value)
    for row in integration.communities.itertuples():
        for measure in ("score", "n_items", "n_met", "n_partial", "n_not_met", "n_missing"):
            rows.add("integration", "", year, row.community, measure, getattr(row, measure))
    for row in integration.items.itertuples():
        rows.add("integration", "", year, str(row.item), "status", row.status)
        rows.add("integration", "", year, str(row.item), "weight", row.weight)


def _headline_rows(rows: _Rows, headline: pd.DataFrame, year: int) -> None:
    for row in headline.itertuples():
        code = row.indicator
        rows.add("headline", code, year, "", "value", row.value, code=code)
        rows.add("headline", code, year - 1, "", "value", row.previous, code=code)
        rows.add("headline", code, year, "", "change", row.change, code=code)
        rows.add("headline", code, year, "", "peer_median", row.peer_median, code=code)
        rows.add("headline", code, year, "", "rank", row.rank)
        rows.add("headline", code, year, "", "n_ranked", row.n_ranked if row.rank else None)


def _scorecard_rows(rows: _Rows, card: pd.DataFrame, year: int, outcomes: set[str]) -> None:
    for row in card.itertuples():
        section = "outcomes" if row.dimension in outcomes else "scorecard"
        code = row.indicator
        rows.add(section, code, year, "", "value", row.value, code=code)
        rows.add(section, code, year - 1, "", "value", row.previous, code=code)
        rows.add(section, code, year, "", "change", row.change, code=code)
        rows.add(section, code, year, "", "target", _target_text(row, rows.lang))
        rows.add(section, code, year, "", "status", row.status)
        rows.add(section, code, year, "", "grade", row.grade)
        rows.add(section, code, year, "", "rank", row.rank)
        rows.add(
            section, code, year, "", "n_ranked", row.n_ranked if not pd.isna(row.rank) else None
        )
        rows.add(section, code, year, "", "other_counties_median", row.peer_median, code=code)


def _target_text(row, lang: str) -> str:
    return row.target_text_zh if lang == "zh" else row.target_text_en


def _referral_rows(rows: _Rows, referrals: pd.DataFrame, year: int) -> None:
    for row in referrals.itertuples():
        rows.add("referrals", "", year, row.direction, "count", row.count, "referrals")
        rows.add("referrals", "", year - 1, row.direction, "count", row.previous_count, "referrals")
        rows.add("referrals", "", year, row.direction, "growth", row.growth, "%")
        rows.add(
            "referrals", "", year, row.direction, "growth_target", _target_text(row, rows.lang)
        )
        rows.add("referrals", "", year, row.direction, "status", row.status)
        rows.add("referrals", "", year, row.direction, "rate", row.rate, "%")
        rows.add("referrals", "", year - 1, row.direction, "rate", row.previous_rate, "%")


def _finance_rows(rows: _Rows, assessment, year: int) -> None:
    finance = assessment.finance
    for code, values in finance.iterrows():
        for column in finance.columns:
            rows.add("finance", code, int(column), "", "value", values[column], code=code)
    for code, value in assessment.finance_median.items():
        rows.add("finance", code, year, "", "province_median", value, code=code)


def _impact_rows(rows: _Rows, impact, section: str = "impact") -> None:
    if impact is None:
        return
    code = impact.outcome
    for row in impact.estimates.itertuples():
        for measure in ("estimate", "std_error", "conf_low", "conf_high", "p_value"):
            rows.add(section, code, "", f"e={int(row.time)}", measure, getattr(row, measure))
    for measure in ("overall", "overall_se", "pretest_p_value", "twfe", "twfe_se"):
        rows.add(section, code, "", "", measure, getattr(impact, measure))
    for measure in ("n_treated", "n_control", "n_obs", "seed", "draws"):
        rows.add(section, code, "", "", measure, getattr(impact, measure))


def _bacon_rows(rows: _Rows, bacon) -> None:
    if bacon is None:
        return
    code = bacon.outcome
    for row in bacon.by_type.itertuples():
        rows.add("impact_bacon", code, "", row.type, "weight", row.weight)
        rows.add("impact_bacon", code, "", row.type, "estimate", row.estimate)
    for measure in ("twfe", "later_vs_earlier_weight", "n_counties", "n_dropped"):
        rows.add("impact_bacon", code, "", "", measure, getattr(bacon, measure))


def _counterfactual_rows(rows: _Rows, cf) -> None:
    if cf is None:
        return
    code = cf.outcome
    for measure in (
        "reform_year",
        "window_start",
        "window_end",
        "n_pre",
        "n_post",
        "att",
        "sc_att",
        "p_value",
        "rank",
        "n_units",
        "rmspe_ratio_p_value",
        "pre_rmspe",
        "sc_pre_rmspe",
        "placebo_pre_rmspe_median",
        "fit_ratio",
        "n_donors",
        "n_incomplete_donors",
        "verdict",
    ):
        rows.add("county_effect", code, "", "", measure, getattr(cf, measure))
    for row in cf.path.itertuples():
        for measure in ("treated", "synthetic", "synthetic_sc", "effect"):
            rows.add("county_effect", code, int(row.year), "", measure, getattr(row, measure))
    for row in cf.placebo.itertuples():
        for measure in ("estimate", "pre_rmspe", "post_rmspe", "rmspe_ratio"):
            rows.add(
                "county_effect",
                code,
                "",
                f"placebo:{row.county_code}",
                measure,
                getattr(row, measure),
            )
    for row in cf.top_donors.itertuples():
        rows.add("county_effect", code, "", f"donor:{row.county_code}", "weight", row.weight)


def _quality_rows(rows: _Rows, quality) -> None:
    if quality is None:
        return
    rows.add("data_quality", "", "", "", "validation_warnings", len(quality.issues))
    rows.add("data_quality", "", "", "", "missing_indicators", len(quality.missing))
    rows.add("data_quality", "", "", "", "disagreements", len(quality.disagreements))
    rows.add("data_quality", "", "", "", "withheld_cells", len(quality.withheld))
    for row in quality.missing.itertuples():
        rows.add("data_quality", row.indicator, "", "", "missing", row.reason)
    for row in quality.disagreements.itertuples():
        rows.add(
            "data_quality",
            row.indicator,
            int(row.year),
            "",
            "supplied",
            row.supplied,
            code=row.indicator,
        )
        rows.add(
            "data_quality",
            row.indicator,
            int(row.year),
            "",
            "computed",
            row.computed,
            code=row.indicator,
        )
    for row in quality.withheld.itertuples():
        rows.add("data_quality", row.indicator, int(row.year), "", "withheld", row.columns)


def _settings_rows(rows: _Rows, provenance) -> None:
    if provenance is None:
        return
    for name, value in provenance.settings:
        rows.add("methods", "", "", "", name, value)


def _provenance(provenance) -> dict | None:
    if provenance is None:
        return None
    return {
        "package_version": provenance.package_version,
        "data_source": provenance.data_source,
        "data_sha256": provenance.data_sha256,
        "parameters": dict(provenance.parameters),
        "configuration_sha256": dict(provenance.configuration),
        "targets_name": provenance.targets_name,
        "targets": [
            {
                "indicator": row.indicator,
                "kind": row.kind,
                "target_zh": row.target_text_zh,
                "target_en": row.target_text_en,
                "scope": row.scope,
                "provenance": row.provenance,
            }
            for row in provenance.targets.itertuples()
        ],
        "settings": dict(provenance.settings),
    }


# ---------------------------------------------------------------------------------------------
# Province summary
# ---------------------------------------------------------------------------------------------


def province_results(analysis) -> dict:
    """Every number a province summary shows (see :func:`county_results`).

    Parameters
    ----------
    analysis : ProvinceAnalysis
    """
    a = analysis
    year = a.params.year
    rows = _Rows(a.params.lang)
    ranking_code = a.config.ranking
    for row in a.ranking.itertuples():
        rows.add(
            "rankings", ranking_code, year, row.county_code, "value", row.value, code=ranking_code
        )
        rows.add("rankings", ranking_code, year, row.county_code, "rank", row.rank)
    for row in a.composite.itertuples():
        for measure in (
            "score_equal",
            "rank_equal",
            "grade_equal",
            "score_entropy",
            "rank_entropy",
            "n_indicators",
        ):
            rows.add("composite", "", year, row.county_code, measure, getattr(row, measure))
    if a.grade_counts is not None:
        for row in a.grade_counts.itertuples():
            rows.add("grades", "", year, row.grade or "none", "counties", row.n)
    for _, row in a.grades.iterrows():
        code = row["indicator"]
        for measure in ("n_graded", "优", "良", "中", "差", "met", "not_met", "entropy_weight"):
            rows.add("grades", code, year, "", measure, row[measure])
    for row in a.distribution.itertuples():
        for measure in ("n", "min", "p25", "median", "p75", "max"):
            value = getattr(row, measure)
            rows.add(
                "distribution",
                row.indicator,
                year,
                "",
                measure,
                value,
                code=None if measure == "n" else row.indicator,
            )
    for row in a.cohorts.itertuples():
        group = "never" if pd.isna(row.reform_year) else str(int(row.reform_year))
        rows.add("distribution", "", "", f"reform_year:{group}", "counties", row.n)
    _impact_rows(rows, a.impact)
    if a.warnings is not None:
        for row in a.warnings.itertuples():
            for measure in ("n_warnings", "target_missed", "wrong_way", "peer_outlier"):
                rows.add(
                    "county_warnings", "", year, row.county_code, measure, getattr(row, measure)
                )
    _settings_rows(rows, a.provenance)
    return {
        "schema": SCHEMA,
        "report": "province",
        "province": a.params.province,
        "year": year,
        "lang": a.params.lang,
        "n_counties": a.n_counties,
        "provenance": _provenance(a.provenance),
        "values": rows.rows,
    }


# ---------------------------------------------------------------------------------------------
# Rows and values
# ---------------------------------------------------------------------------------------------


class _Rows:
    """Collects result rows in the order they are added, leaving out missing values."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.rows: list[dict] = []

    def add(
        self,
        section: str,
        indicator: str,
        year: int | str,
        group: str,
        measure: str,
        value: object,
        unit: str = "",
        *,
        code: str | None = None,
    ) -> None:
        """Add one number (``code``: take the unit from this catalogue indicator)."""
        value = _plain(value)
        if value is None or value == "":
            return
        if code is not None:
            unit = _unit(code, self.lang)
        self.rows.append(
            {
                "section": section,
                "indicator": indicator,
                "year": "" if year is None else year,
                "group": group,
                "measure": measure,
                "value": value,
                "unit": unit,
            }
        )


def _unit(code: str, lang: str) -> str:
    from ylt_eval.metrics.catalogue import indicator

    spec = indicator(code)
    return spec.unit_zh if lang == "zh" else spec.unit_en


def _plain(value: object) -> object:
    """JSON-safe, deterministic form: NaN/NA → None, numpy → Python, floats to 12 digits."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        if not math.isfinite(number):
            return None
        rounded = float(f"{number:.12g}")
        return int(rounded) if rounded.is_integer() and abs(rounded) < 2**53 else rounded
    if isinstance(value, str):
        return value
    return str(value)


def _csv_cell(value: object) -> object:
    if isinstance(value, str):
        return neutralise_text(value)
    if isinstance(value, float):
        return repr(value)
    return value
