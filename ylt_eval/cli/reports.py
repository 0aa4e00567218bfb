"""``ylt-eval demo | template | validate | render``: from a spreadsheet to a folder of reports."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from ylt_eval.cli.exit_codes import EXIT_FAILED, EXIT_OK
from ylt_eval.errors import DataValidationError


def _add_demo(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="render the demo province's county reports and province summary",
        description="Generate the fictional demo province and render the county reports of "
        "three of its counties plus the province summary (HTML and PDF).",
    )
    parser.add_argument("--out", type=Path, default=Path("reports/demo"), help="output folder")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="report language")
    parser.add_argument("--format", default="html,pdf", help="html, pdf or html,pdf")
    parser.set_defaults(handler=_run_demo)


def _add_template(subparsers) -> None:
    parser = subparsers.add_parser(
        "template",
        help="write a blank input template (.csv or .xlsx)",
        description="Write a blank raw-panel template with Chinese (or English) headers.",
    )
    parser.add_argument("--out", type=Path, required=True, help="template file (.csv or .xlsx)")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="header language")
    parser.set_defaults(handler=_run_template)


def _add_validate(subparsers) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check an input file and list every problem",
        description="Validate a raw panel or indicator-level file. Exit 0 if it has no "
        "blocking errors, 1 otherwise.",
    )
    parser.add_argument("file", type=Path, help="input file (.csv, .xlsx, .parquet)")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.set_defaults(handler=_run_validate)


def _add_render(subparsers) -> None:
    parser = subparsers.add_parser(
        "render",
        help="render county reports and province summaries from an input file",
        description="Render one report per selected county (file names contain the county "
        "code), a summary per province and index.html.",
    )
    parser.add_argument("file", type=Path, help="input file (.csv, .xlsx, .parquet)")
    parser.add_argument("--year", type=int, required=True, help="assessment year")
    parser.add_argument(
        "--county",
        action="append",
        default=None,
        metavar="CODE",
        help="6-digit county code (repeatable; default: every county in the file)",
    )
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--format", default="html,pdf", help="html, pdf or html,pdf")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="report language")
    parser.set_defaults(handler=_run_render)


def _run_template(args) -> int:
    from ylt_eval.template import write_template

    write_template(args.out, lang=args.lang)
    print(f"wrote {args.out}", file=sys.stderr)
    return EXIT_OK


def _run_validate(args) -> int:
    from ylt_eval.validation import load_input

    _, report = load_input(args.file)
    if args.format == "json":
        print(report.to_json())
    else:
        print(report.to_text(lang=args.lang))
    return EXIT_FAILED if report.has_errors else EXIT_OK


def _render(
    data_path: Path,
    *,
    year: int,
    codes: Sequence[str] | None,
    out_dir: Path,
    formats: str,
    lang: str,
    synthetic: bool = False,
) -> int:
    from ylt_eval.analysis.inputs import load_assessment_data
    from ylt_eval.batch.progress import progress_display
    from ylt_eval.batch.runner import parse_formats, plan_jobs, run_jobs, write_run_summary
    from ylt_eval.report.parameters import normalise_county_code

    chosen_formats = parse_formats(formats)
    data = load_assessment_data(data_path, lang=lang)
    table = data.counties
    if codes:
        wanted = [normalise_county_code(code, name="--county") for code in codes]
        missing = sorted(set(wanted) - set(table["county_code"]))
        if missing:
            raise DataValidationError(
                f"county code(s) not in {data_path.name}: {', '.join(missing)}"
            )
        table = table[table["county_code"].isin(wanted)]
    counties = [
        (row.county_code, _text(row.county_name), _text(row.province)) for row in table.itertuples()
    ]
    # Counties without a province (indicator-level input may omit it) get no summary.
    provinces = sorted({province for _, _, province in counties if province})
    jobs = plan_jobs(
        data_path,
        year=year,
        counties=counties,
        provinces=provinces,
        out_dir=out_dir,
        formats=chosen_formats,
        lang=lang,
        synthetic=synthetic,
    )
    with progress_display(len(jobs)) as progress:
        outcomes = run_jobs(jobs, on_start=progress.start, on_done=progress.finish)
    write_run_summary(out_dir, outcomes, data_path=data_path, lang=lang, synthetic=synthetic)
    failed = [o for o in outcomes if o.status != "ok"]
    print(
        f"{len(outcomes) - len(failed)} of {len(outcomes)} reports rendered into {out_dir}/ "
        f"(index: {out_dir / 'index.html'})",
        file=sys.stderr,
    )
    return EXIT_FAILED if failed else EXIT_OK


def _text(value: object) -> str:
    """A label cell as text; missing values (None, NaN, pd.NA) become ""."""
    import pandas as pd

    return "" if value is None or pd.isna(value) else str(value)


def _run_render(args) -> int:
    return _render(
        args.file,
        year=args.year,
        codes=args.county,
        out_dir=args.out,
        formats=args.format,
        lang=args.lang,
    )


def _run_demo(args) -> int:
    from ylt_eval.demo import demo_counties_for_report, write_demo_panel

    data_path = args.out / "demo_panel.csv"
    write_demo_panel(data_path)
    return _render(
        data_path,
        year=2024,
        codes=list(demo_counties_for_report()),
        out_dir=args.out,
        formats=args.format,
        lang=args.lang,
        synthetic=True,
    )


def add_commands(subparsers) -> None:
    """Register demo, template, validate and render."""
    for add in (_add_demo, _add_template, _add_validate, _add_render):
        add(subparsers)
