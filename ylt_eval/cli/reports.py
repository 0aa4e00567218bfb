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
    _add_execution_options(parser)
    parser.set_defaults(handler=_run_demo)


def _add_template(subparsers) -> None:
    parser = subparsers.add_parser(
        "template",
        help="write a blank input template (.csv or .xlsx)",
        description="Write a blank raw-panel template with Chinese (or English) headers, or "
        "with --checklist the integration checklist to fill in.",
    )
    parser.add_argument("--out", type=Path, required=True, help="template file (.csv or .xlsx)")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="header language")
    parser.add_argument(
        "--checklist", action="store_true", help="write the integration checklist template"
    )
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
    parser.add_argument(
        "--max-mb", type=float, default=50.0, help="refuse larger files unread (default 50)"
    )
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
    selection = parser.add_mutually_exclusive_group()
    selection.add_argument(
        "--county",
        action="append",
        default=None,
        metavar="CODE",
        help="6-digit county code (repeatable; default: every county in the file)",
    )
    selection.add_argument(
        "--province",
        action="append",
        default=None,
        metavar="P",
        help="render every county of province P and its summary (repeatable)",
    )
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--format", default="html,pdf", help="html, pdf or html,pdf")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="report language")
    _add_execution_options(parser)
    parser.add_argument(
        "--retry-failed",
        action="store_true",
        help="redo only the reports the last run in --out recorded as failed",
    )
    parser.add_argument(
        "--template",
        type=Path,
        default=None,
        help="your own county notebook instead of the package's (it gets the same parameters)",
    )
    parser.add_argument(
        "--checklist",
        type=Path,
        default=None,
        metavar="FILE",
        help="filled integration checklist (ylt-eval template --checklist) scored in every "
        "county report",
    )
    parser.set_defaults(handler=_run_render)


def _add_execution_options(parser) -> None:
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="reports rendered side by side (default: number of CPU cores)",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="local|tcp://HOST:PORT",
        help="run on Dask: 'local' starts a LocalCluster, tcp://HOST:PORT uses a running "
        "scheduler (default: local report processes, no Dask)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="wall-clock limit of one report (default 600)",
    )


def _run_template(args) -> int:
    from ylt_eval.metrics import write_checklist_template
    from ylt_eval.template import write_template

    if args.checklist:
        write_checklist_template(args.out)
    else:
        write_template(args.out, lang=args.lang)
    print(f"wrote {args.out}", file=sys.stderr)
    return EXIT_OK


def _run_validate(args) -> int:
    from ylt_eval.terminal import printable
    from ylt_eval.validation import load_input

    _, report = load_input(args.file, max_bytes=int(args.max_mb * 1024 * 1024))
    if args.format == "json":
        print(report.to_json())
    else:
        print(printable(report.to_text(lang=args.lang), keep_newlines=True))
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
    provinces: Sequence[str] | None = None,
    jobs: int | None = None,
    scheduler: str | None = None,
    timeout: float = 600.0,
    retry_failed: bool = False,
    template: Path | None = None,
    checklist: Path | None = None,
) -> int:
    import os

    from ylt_eval.analysis.inputs import load_assessment_data
    from ylt_eval.batch.progress import progress_display
    from ylt_eval.batch.runner import RunSettings, parse_formats, plan_jobs, run_batch
    from ylt_eval.errors import ParameterError
    from ylt_eval.report.parameters import normalise_county_code
    from ylt_eval.validation import load_input

    chosen_formats = parse_formats(formats)
    if timeout <= 0 or (jobs is not None and jobs < 1):
        raise ParameterError("--timeout must be positive and --jobs at least 1")
    if template is not None and not Path(template).is_file():
        raise ParameterError(f"--template {template} is not a file")
    data = load_assessment_data(data_path, lang=lang)
    # Counties with blocking errors are left out of ``data``; their reports fail with the reason.
    validation = load_input(data_path)[1]
    blocked = dict(
        zip(
            validation.affected_counties(),
            validation.blocked_summary(lang).splitlines(),
            strict=True,
        )
    )
    table = data.counties
    extra: list[str] = sorted(blocked)
    if codes:
        wanted = [normalise_county_code(code, name="--county") for code in codes]
        missing = sorted(set(wanted) - set(table["county_code"]) - set(blocked))
        if missing:
            raise DataValidationError(
                f"county code(s) not in {data_path.name}: {', '.join(missing)}"
            )
        table = table[table["county_code"].isin(wanted)]
        extra = sorted(set(wanted) & set(blocked))
    elif provinces:
        unknown = sorted(set(provinces) - set(table["province"].dropna().astype(str)))
        if unknown:
            raise DataValidationError(f"province(s) not in {data_path.name}: {', '.join(unknown)}")
        table = table[table["province"].isin(provinces)]
        extra = []  # a blocked county's province is not known
    counties = [
        (row.county_code, _text(row.county_name), _text(row.province)) for row in table.itertuples()
    ]
    counties += [(code, code, "") for code in extra if code not in set(table["county_code"])]
    del data, table  # the report processes load their own copy: do not hold two
    # Counties without a province (indicator-level input may omit it) get no summary.
    summary_provinces = sorted({province for _, _, province in counties if province})
    planned = plan_jobs(
        data_path,
        year=year,
        counties=counties,
        provinces=summary_provinces,
        out_dir=out_dir,
        formats=chosen_formats,
        lang=lang,
        synthetic=synthetic,
        blocked=blocked,
        county_template=template,
        checklist=checklist,
    )
    settings = RunSettings(
        jobs=jobs or os.cpu_count() or 1,
        scheduler=scheduler,
        timeout=timeout,
        retry_failed=retry_failed,
    )
    with progress_display() as progress:
        outcomes = run_batch(
            planned,
            data_path=data_path,
            out_dir=out_dir,
            lang=lang,
            synthetic=synthetic,
            settings=settings,
            listener=progress,
        )
    failed = [o for o in outcomes if o.status == "failed"]
    kept = sum(o.status == "skipped" for o in outcomes)
    print(
        f"{len(outcomes) - len(failed) - kept} rendered, {kept} up to date, {len(failed)} "
        f"failed, into {out_dir}/ (index: {out_dir / 'index.html'})",
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
        provinces=args.province,
        out_dir=args.out,
        formats=args.format,
        lang=args.lang,
        jobs=args.jobs,
        scheduler=args.scheduler,
        timeout=args.timeout,
        retry_failed=args.retry_failed,
        template=args.template,
        checklist=args.checklist,
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
        jobs=args.jobs,
        scheduler=args.scheduler,
        timeout=args.timeout,
    )


def add_commands(subparsers) -> None:
    """Register demo, template, validate and render."""
    for add in (_add_demo, _add_template, _add_validate, _add_render):
        add(subparsers)
