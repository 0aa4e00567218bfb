"""``ylt-eval indicators``: the indicator catalogue, or every indicator of an input file assessed.

``--list`` prints the catalogue. Otherwise each input file (raw panel or indicator-level long
table, CSV or XLSX) is validated, indicators are computed from raw counts, combined with values
supplied as such, and assessed (target, status, grade, rank, warnings) with
:func:`ylt_eval.metrics.assess_with_warnings`; one record per county × period × indicator is
written as JSON or CSV.

Output is deterministic: records in the order of :func:`~ylt_eval.metrics.assess` (county code,
chronological period, catalogue order), floats rounded to :data:`SIGNIFICANT_DIGITS`
significant digits (enough for any indicator, and free of floating-point noise such as
``34.510000000000005``) and written in their shortest round-trip form.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ylt_eval.cli.exit_codes import EXIT_OK
from ylt_eval.errors import DataValidationError, ParameterError

#: Significant digits kept for floats in the output.
SIGNIFICANT_DIGITS = 12

#: Keys of an assessment record, in order (also the CSV header).
RECORD_COLUMNS: tuple[str, ...] = (
    "county_code",
    "county_name",
    "province",
    "year",
    "period",
    "indicator",
    "value",
    "previous",
    "change",
    "target_kind",
    "target",
    "status",
    "grade",
    "rank",
    "n_peers",
    "peer_median",
    "warnings",
    "warning_reasons",
    "source",
    "conflict_computed_value",
)

#: Keys of a catalogue entry (``--list``), in order (also the CSV header).
CATALOGUE_COLUMNS: tuple[str, ...] = (
    "code",
    "name_zh",
    "name_en",
    "dimension",
    "kind",
    "unit",
    "unit_zh",
    "unit_en",
    "direction",
    "target_value",
    "numerator",
    "denominator",
    "formula",
    "source",
    "standard",
    "provenance",
    "national_no",
    "notes_zh",
    "notes_en",
)

_LIST_SEPARATORS = {"warnings": ";", "warning_reasons": " | "}
_MAX_LISTED = 10


def add_command(subparsers) -> None:
    """Register ``indicators``."""
    parser = subparsers.add_parser(
        "indicators",
        help="list the indicator catalogue, or assess every indicator of an input file",
        description="With --list: the indicator catalogue. With FILE: one record per county × "
        "period × indicator (value, change, target, status, grade, rank, warnings). Several "
        "files (e.g. a raw panel and published indicator values) are combined; where a "
        "supplied value disagrees with the one computed from raw counts, the supplied value is "
        "used and the disagreement is reported.",
    )
    parser.add_argument(
        "files", nargs="*", type=Path, metavar="FILE", help="raw panel or long file (.csv/.xlsx)"
    )
    parser.add_argument("--list", action="store_true", help="print the indicator catalogue")
    parser.add_argument("--year", type=int, default=None, help="keep records of this year only")
    parser.add_argument(
        "--county",
        action="append",
        default=None,
        metavar="CODE",
        help="6-digit county code (repeatable; default: every county)",
    )
    parser.add_argument("--targets", type=Path, default=None, help="target configuration TOML")
    parser.add_argument("--format", choices=("json", "csv"), default="json")
    parser.add_argument("--out", type=Path, default=None, help="write here, not to stdout")
    parser.add_argument(
        "--lang", choices=("zh", "en"), default="zh", help="language of texts and messages"
    )
    parser.set_defaults(handler=run)


def run(args) -> int:
    """Print (or write) the catalogue or the assessment records."""
    if args.list:
        if args.files or args.year is not None or args.county or args.targets is not None:
            raise ParameterError("--list takes no FILE, --year, --county or --targets")
        records = catalogue_records(args.lang)
        columns = CATALOGUE_COLUMNS
    elif not args.files:
        raise ParameterError("give an input FILE, or --list for the indicator catalogue")
    else:
        records = assessment_records(
            args.files,
            year=args.year,
            counties=args.county,
            targets_path=args.targets,
            lang=args.lang,
        )
        columns = RECORD_COLUMNS
    text = records_to_json(records) if args.format == "json" else records_to_csv(records, columns)
    _emit(text, args.out, bom=args.format == "csv")
    return EXIT_OK


# --------------------------------------------------------------------------------------------
# Catalogue
# --------------------------------------------------------------------------------------------


def catalogue_records(lang: str = "zh") -> list[dict[str, Any]]:
    """The indicator catalogue as records with the keys :data:`CATALOGUE_COLUMNS`.

    ``unit`` is the unit in ``lang``; ``numerator``/``denominator`` are the raw columns summed
    (ratios) or the indicator codes divided (quotients), empty for other kinds (see
    ``formula``).
    """
    from ylt_eval.metrics.catalogue import catalogue, formula_text

    records = []
    for item in catalogue():
        if item.kind == "quotient":
            numerator, denominator = item.numerator_indicator or "", item.denominator_indicator
        else:
            numerator, denominator = " + ".join(item.numerator), " + ".join(item.denominator)
        records.append(
            {
                "code": item.code,
                "name_zh": item.name_zh,
                "name_en": item.name_en,
                "dimension": item.dimension,
                "kind": item.kind,
                "unit": item.unit_zh if lang == "zh" else item.unit_en,
                "unit_zh": item.unit_zh,
                "unit_en": item.unit_en,
                "direction": item.direction,
                "target_value": item.target_value,
                "numerator": numerator,
                "denominator": denominator or "",
                "formula": formula_text(item),
                "source": item.source,
                "standard": item.standard,
                "provenance": item.provenance,
                "national_no": item.national_no,
                "notes_zh": item.notes_zh,
                "notes_en": item.notes_en,
            }
        )
    return records


# --------------------------------------------------------------------------------------------
# Assessment
# --------------------------------------------------------------------------------------------


def assessment_records(
    paths: Sequence[Path],
    *,
    year: int | None = None,
    counties: Sequence[str] | None = None,
    targets_path: Path | None = None,
    lang: str = "zh",
) -> list[dict[str, Any]]:
    """Validate, combine and assess the input files; one record per county × period × indicator.

    Parameters
    ----------
    paths : sequence of Path
        Raw panels and/or long files. Indicator values are computed from the panels; values
        given in long files win, and disagreements are reported on stderr and in
        ``conflict_computed_value``.
    year : int, optional
        Keep the records of this calendar year (half-years included). Previous values, ranks
        and warnings are still computed on every period and county.
    counties : sequence of str, optional
        Keep the records of these counties.
    targets_path : Path, optional
        Target configuration; the packaged targets by default.
    lang : {"zh", "en"}
        Language of ``target``, ``warning_reasons`` and of messages.

    Raises
    ------
    DataValidationError
        An input file has blocking errors (the message lists file, row, column and rule), or
        the filters match nothing.
    ParameterError
        A path, county code or target file is invalid.
    """
    from ylt_eval.metrics import assess_with_warnings, load_targets
    from ylt_eval.report.parameters import normalise_county_code

    wanted = None
    if counties:
        wanted = sorted({normalise_county_code(code, name="--county") for code in counties})
    targets = load_targets(targets_path) if targets_path is not None else None
    long_table, disagreements, panel_names, long_names = _combined_indicators(paths, lang)
    _report_disagreements(disagreements, panel_names, long_names)
    assessment, warnings = assess_with_warnings(long_table, targets=targets)
    assessment = _with_sources(assessment, long_table, disagreements)
    names = ", ".join(path.name for path in paths)
    if wanted is not None:
        missing = sorted(set(wanted) - set(assessment["county_code"]))
        if missing:
            raise DataValidationError(f"county code(s) not in {names}: {', '.join(missing)}")
        assessment = assessment[assessment["county_code"].isin(wanted)]
    if year is not None:
        present = sorted(set(assessment["year"].astype(int)))
        assessment = assessment[assessment["year"] == year]
        if assessment.empty:
            raise DataValidationError(
                f"no records for year {year} in {names}; years present: "
                + ", ".join(map(str, present))
            )
    reasons = _warning_reasons(warnings, lang)
    return [_record(row, reasons, lang) for row in assessment.itertuples(index=False)]


def _combined_indicators(
    paths: Sequence[Path], lang: str
) -> tuple[pd.DataFrame, pd.DataFrame, list[str], list[str]]:
    """Long table (annual and half-year periods, with ``source``) and the disagreements."""
    from ylt_eval.metrics import combine_sources, compute_indicators

    computed, supplied, sub_annual = [], [], []
    panel_names, long_names = [], []
    for path in paths:
        loaded = _load_valid(path, lang)
        if loaded.panel is not None:
            computed.append(compute_indicators(loaded.panel))
            panel_names.append(path.name)
        if loaded.long is not None:
            long = loaded.long
            if "province" not in long.columns:
                long = long.assign(province=pd.NA)
            annual = long["period"].astype(str) == long["year"].astype(str)
            supplied.append(long[annual])
            sub_annual.append(long[~annual])
            long_names.append(path.name)
    empty = pd.DataFrame(columns=["county_code", "year", "indicator", "value"])
    combined, disagreements = combine_sources(
        pd.concat(computed, ignore_index=True) if computed else empty,
        pd.concat(supplied, ignore_index=True).drop(columns="period")
        if supplied
        else empty.assign(county_name=None),
    )
    combined = combined.assign(period=combined["year"].astype(str))
    if sub_annual:
        halves = pd.concat(sub_annual, ignore_index=True).assign(source="supplied")
        province = combined.dropna(subset=["province"]).drop_duplicates("county_code")
        borrowed = halves["county_code"].map(province.set_index("county_code")["province"])
        halves["province"] = halves["province"].fillna(borrowed.astype(halves["province"].dtype))
        combined = pd.concat([combined, halves[list(combined.columns)]], ignore_index=True)
    return combined, disagreements, panel_names, long_names


def _load_valid(path: Path, lang: str):
    from ylt_eval.validation import load_input

    loaded, report = load_input(path)
    if report.has_errors or (loaded.panel is None and loaded.long is None):
        raise DataValidationError(
            f"{path.name} has blocking errors; nothing was written:\n{report.to_text(lang=lang)}",
            report=report,
        )
    if report.warnings:
        shown = report.warnings[:_MAX_LISTED]
        print(
            f"ylt-eval: warning: {path.name}: {len(report.warnings)} data warning(s)"
            + (
                f" (first {len(shown)}; run `ylt-eval validate` for all)"
                if len(report.warnings) > len(shown)
                else ""
            ),
            file=sys.stderr,
        )
        for issue in shown:
            where = ", ".join(
                part
                for part in (
                    f"row {issue.row}" if issue.row else "",
                    f"column {issue.column}" if issue.column else "",
                )
                if part
            )
            print(f"  {where} [{issue.rule}]: {issue.message(lang)}", file=sys.stderr)
    return loaded


def _report_disagreements(
    disagreements: pd.DataFrame, panel_names: list[str], long_names: list[str]
) -> None:
    if disagreements.empty:
        return
    print(
        f"ylt-eval: warning: {len(disagreements)} indicator value(s) supplied in "
        f"{', '.join(long_names)} disagree with the value computed from the raw counts in "
        f"{', '.join(panel_names)}; the supplied value is used and the computed one is given "
        "as conflict_computed_value:",
        file=sys.stderr,
    )
    for row in disagreements.head(_MAX_LISTED).itertuples(index=False):
        print(
            f"  {row.county_code} {row.year} {row.indicator}: computed "
            f"{_rounded(row.computed)!r}, supplied {_rounded(row.supplied)!r}",
            file=sys.stderr,
        )
    if len(disagreements) > _MAX_LISTED:
        print(f"  … and {len(disagreements) - _MAX_LISTED} more", file=sys.stderr)


def _with_sources(
    assessment: pd.DataFrame, long_table: pd.DataFrame, disagreements: pd.DataFrame
) -> pd.DataFrame:
    """Add ``source`` and ``conflict_computed_value`` to the assessment (order kept)."""
    key = ["county_code", "period", "indicator"]
    sources = long_table[[*key, "source"]].astype({"county_code": str, "period": str})
    conflicts = disagreements.assign(period=disagreements["year"].astype(str))[
        [*key, "computed"]
    ].rename(columns={"computed": "conflict_computed_value"})
    merged = (
        assessment.astype({"county_code": str, "period": str})
        .merge(sources, on=key, how="left", validate="one_to_one")
        .merge(conflicts.astype({"county_code": str}), on=key, how="left", validate="one_to_one")
    )
    return merged


def _warning_reasons(warnings: pd.DataFrame, lang: str) -> dict[tuple, dict[str, str]]:
    column = "reason_zh" if lang == "zh" else "reason_en"
    reasons: dict[tuple, dict[str, str]] = {}
    for row in warnings.itertuples(index=False):
        key = (str(row.county_code), str(row.period), str(row.indicator))
        reasons.setdefault(key, {})[row.rule] = getattr(row, column)
    return reasons


def _record(row: Any, reasons: dict[tuple, dict[str, str]], lang: str) -> dict[str, Any]:
    codes = [code for code in str(_text(row.warnings) or "").split(";") if code]
    found = reasons.get((row.county_code, row.period, row.indicator), {})
    target = row.target_text_zh if lang == "zh" else row.target_text_en
    return {
        "county_code": row.county_code,
        "county_name": _text(row.county_name),
        "province": _text(row.province),
        "year": int(row.year),
        "period": row.period,
        "indicator": row.indicator,
        "value": _rounded(row.value),
        "previous": _rounded(row.previous),
        "change": _rounded(row.change),
        "target_kind": _text(row.target_kind),
        "target": _text(target),
        "status": _text(row.status),
        "grade": _text(row.grade),
        "rank": None if pd.isna(row.rank) else int(row.rank),
        "n_peers": int(row.n_peers),
        "peer_median": _rounded(row.peer_median),
        "warnings": codes,
        "warning_reasons": [found.get(code, "") for code in codes],
        "source": _text(row.source),
        "conflict_computed_value": _rounded(row.conflict_computed_value),
    }


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def records_to_json(records: Iterable[dict[str, Any]]) -> str:
    """A JSON array with one record per line (UTF-8 text, not ASCII-escaped)."""
    lines = [json.dumps(record, ensure_ascii=False) for record in records]
    if not lines:
        return "[]\n"
    return "[\n" + ",\n".join(lines) + "\n]\n"


def records_to_csv(records: Iterable[dict[str, Any]], columns: Sequence[str]) -> str:
    """CSV text; lists joined, text cells neutralised against formula injection.

    Numbers are written as numbers (never quoted or prefixed), missing values as empty cells.
    """
    from ylt_eval.export_safety import neutralise_text

    buffer = io.StringIO()
    # CRLF as in RFC 4180; it also makes the writer quote cells holding a lone "\r".
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise_text(column) for column in columns])
    for record in records:
        writer.writerow([_csv_cell(record[column], column) for column in columns])
    return buffer.getvalue()


def _csv_cell(value: Any, column: str) -> str:
    from ylt_eval.export_safety import neutralise_text

    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)  # a number, so never neutralised (it may start with "-")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return neutralise_text(_LIST_SEPARATORS.get(column, ";").join(value))
    return neutralise_text(str(value))


def _emit(text: str, out: Path | None, *, bom: bool) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    from ylt_eval.batch.outputs import write_atomic

    try:
        write_atomic(out, ("\ufeff" if bom else "") + text)
    except OSError as error:
        raise ParameterError(f"cannot write {out}: {error.strerror or error}") from None
    print(f"wrote {out}", file=sys.stderr)


def _rounded(value: Any) -> float | None:
    if value is None or pd.isna(value):
        return None
    number = float(value)
    if not math.isfinite(number):
        return None
    return float(f"{number:.{SIGNIFICANT_DIGITS}g}")


def _text(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return str(value)
