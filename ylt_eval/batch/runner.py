"""Plan and run a set of report renderings; write outputs, manifest and index atomically.

A run (1) plans one job per selected county and per province, validating every job's notebook
parameters before anything executes; (2) keeps the reports whose content hash (input file,
parameters, formats, template, package version) matches the manifest of an earlier run and
whose files are there; (3) estimates each province's models once, in its own report process,
for the provinces that have reports to redo; (4) renders the remaining reports side by side,
handing each its province's estimate; (5) writes each document as it arrives (atomically,
through a staging folder), checkpoints the manifest every few seconds (so a run killed half way
is resumed, not repeated), and finally writes the manifest, the durations log and
``index.html``.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ylt_eval.batch.execute import COUNTY_TEMPLATE, PROVINCE_TEMPLATE, packaged_template
from ylt_eval.batch.index_page import render_index
from ylt_eval.batch.outputs import (
    county_output_path,
    named_output_path,
    staging_folder,
    write_atomic,
)
from ylt_eval.batch.state import (
    append_durations,
    file_sha256,
    read_manifest,
    report_hash,
    write_manifest,
)
from ylt_eval.batch.tasks import ProvinceTask, ReportTask, TaskResult
from ylt_eval.errors import ParameterError

FORMATS = ("html", "pdf")
#: Machine-readable results written beside every report (every number it shows).
RESULT_SUFFIXES = {"json": ".json", "csv": ".csv"}

#: Default wall-clock limit of one report, seconds.
DEFAULT_TIMEOUT = 600.0

#: Seconds between manifest checkpoints during a run.
_CHECKPOINT_EVERY = 5.0


@dataclass(frozen=True)
class RenderJob:
    """One notebook to execute and the files it produces.

    Attributes
    ----------
    kind : str
        ``"county"`` or ``"province"``.
    key : str
        County code or province name.
    name : str
        Display name (county or province name).
    province : str
        Province of a county ("" if unknown); the province itself for a summary.
    template : Path
    parameters : dict
    outputs : dict
        Format (``"html"``/``"pdf"``) → output path.
    content_hash : str
        Hash of everything the outputs depend on (see :func:`~ylt_eval.batch.state.report_hash`).
    blocked : str
        Why the job cannot run at all (the county's data have blocking errors), else "".
    """

    kind: str
    key: str
    name: str
    province: str
    template: Path
    parameters: dict
    outputs: dict[str, Path]
    content_hash: str
    blocked: str = ""


@dataclass(frozen=True)
class JobOutcome:
    """What happened to one job in this run."""

    job: RenderJob
    status: str  # "ok", "failed" or "skipped" (up to date, not redone)
    error: str = ""
    seconds: float = field(default=0.0, compare=False)


def parse_formats(text: str) -> frozenset[str]:
    """Parse ``--format html,pdf``."""
    formats = frozenset(part.strip() for part in text.split(",") if part.strip())
    unknown = formats - set(FORMATS)
    if not formats or unknown:
        raise ParameterError(f"--format takes a comma-separated subset of {', '.join(FORMATS)}")
    return formats


def plan_jobs(
    data_path: Path,
    *,
    year: int,
    counties: Sequence[tuple[str, str, str]],
    provinces: Sequence[str],
    out_dir: Path,
    formats: frozenset[str],
    lang: str,
    synthetic: bool,
    blocked: dict[str, str] | None = None,
    county_template: Path | None = None,
    checklist: Path | None = None,
) -> list[RenderJob]:
    """Build the jobs of a run, validating every job's notebook parameters.

    Parameters
    ----------
    data_path : Path
        Input file (made absolute: notebooks run in a scratch folder).
    year : int
    counties : sequence of (code, name, province)
    provinces : sequence of str
        Provinces that get a summary.
    out_dir : Path
    formats : frozenset of str
    lang : str
    synthetic : bool
    blocked : dict, optional
        County code → why its data cannot be reported (its job is recorded as failed).
    county_template : Path, optional
        A user's county notebook instead of the package's own.
    checklist : Path, optional
        Filled integration checklist handed to every county report (``checklist_path``).

    Raises
    ------
    ParameterError
        If any job's parameters are invalid (before any notebook runs).
    """
    from ylt_eval.report.parameters import county_parameters, province_parameters

    blocked = blocked or {}
    data = str(Path(data_path).resolve())
    input_sha = file_sha256(Path(data_path))
    suffixes = {"html": ".html", "pdf": ".pdf", **RESULT_SUFFIXES}
    link_format = "html" if "html" in formats else "pdf"
    links = {
        code: county_output_path(out_dir, code, lang, suffixes[link_format]).name
        for code, _, _ in counties
    }
    county_tpl = Path(county_template) if county_template else packaged_template(COUNTY_TEMPLATE)
    province_tpl = packaged_template(PROVINCE_TEMPLATE)
    template_sha = {county_tpl: file_sha256(county_tpl), province_tpl: file_sha256(province_tpl)}
    if checklist is not None and not Path(checklist).is_file():
        raise ParameterError(f"checklist file not found: {checklist}")
    # A county report also depends on the checklist's content (not its path).
    county_input_sha = input_sha + (f"+{file_sha256(Path(checklist))}" if checklist else "")

    def job(kind, key, name, province, template, parameters, outputs, reason=""):
        content = report_hash(
            kind=kind,
            parameters=parameters,
            formats=formats,
            input_sha256=county_input_sha if kind == "county" else input_sha,
            template_sha256=template_sha[template],
        )
        return RenderJob(kind, key, name, province, template, parameters, outputs, content, reason)

    jobs = []
    for code, name, province in counties:
        parameters = {
            "county_code": code,
            "year": year,
            "data_path": data,
            "lang": lang,
            "synthetic": synthetic,
        }
        if checklist is not None:
            parameters["checklist_path"] = str(Path(checklist).resolve())
        county_parameters(parameters)
        outputs = {
            fmt: county_output_path(out_dir, code, lang, suffixes[fmt])
            for fmt in (*sorted(formats), *RESULT_SUFFIXES)
        }
        jobs.append(
            job(
                "county",
                code,
                name,
                province,
                county_tpl,
                parameters,
                outputs,
                blocked.get(code, ""),
            )
        )
    for index, province in enumerate(provinces, start=1):
        parameters = {
            "province": province,
            "year": year,
            "data_path": data,
            "lang": lang,
            "report_links": {code: links[code] for code, _, p in counties if p == province},
            "synthetic": synthetic,
        }
        province_parameters(parameters)
        outputs = {
            fmt: named_output_path(out_dir, f"province_{index:02d}_{lang}{suffixes[fmt]}")
            for fmt in (*sorted(formats), *RESULT_SUFFIXES)
        }
        jobs.append(
            job("province", province, province, province, province_tpl, parameters, outputs)
        )
    return jobs


class ProgressListener:
    """What :func:`run_batch` reports while it runs (all methods optional to override)."""

    def start(self, total: int, skipped: int) -> None:
        """The run begins: ``total`` jobs, ``skipped`` of them up to date."""

    def finish(self, outcome: JobOutcome) -> None:
        """One job ended."""


@dataclass(frozen=True)
class RunSettings:
    """How to execute a run.

    Attributes
    ----------
    jobs : int
        Reports rendered side by side (local processes or LocalCluster workers).
    scheduler : str or None
        None: local report processes; ``"local"``: a Dask LocalCluster; ``tcp://…``: an
        existing Dask scheduler.
    timeout : float
        Wall-clock limit of one report, seconds.
    retry_failed : bool
        Redo only the jobs the last run recorded as failed (and jobs never rendered).
    """

    jobs: int
    scheduler: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    retry_failed: bool = False


def run_batch(
    jobs: Sequence[RenderJob],
    *,
    data_path: Path,
    out_dir: Path,
    lang: str,
    synthetic: bool,
    settings: RunSettings,
    listener: ProgressListener | None = None,
) -> list[JobOutcome]:
    """Render ``jobs`` into ``out_dir``; return one outcome per job (in job order).

    A failing job (blocked data, error in the notebook, crash, time limit) never stops the
    others; its reason is in the outcome and the manifest.
    """
    listener = listener or ProgressListener()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = staging_folder(out_dir)
    previous = read_manifest(out_dir)
    to_run, kept = _select(jobs, previous, retry_failed=settings.retry_failed)
    rows = {(j.kind, j.key): previous.get((j.kind, j.key)) for j in jobs}
    outcomes: dict[tuple[str, str], JobOutcome] = {
        (j.kind, j.key): JobOutcome(j, "skipped") for j in kept
    }
    input_sha = file_sha256(data_path)
    blocked = [j for j in to_run if j.blocked]
    runnable = [j for j in to_run if not j.blocked]
    listener.start(len(jobs), len(kept))
    for job in blocked:
        outcome = JobOutcome(job, "failed", job.blocked)
        outcomes[(job.kind, job.key)] = outcome
        rows[(job.kind, job.key)] = _row(job, outcome)
        listener.finish(outcome)

    checkpoint = _Checkpoint(
        out_dir, jobs, rows, data_path=data_path, input_sha=input_sha, staging=staging
    )
    if runnable:
        for outcome in _execute(runnable, data_path, lang, settings, staging):
            key = (outcome.job.kind, outcome.job.key)
            outcomes[key] = outcome
            rows[key] = _row(outcome.job, outcome)
            listener.finish(outcome)
            checkpoint.maybe_write()
    checkpoint.write()
    append_durations(
        out_dir,
        [
            {
                "kind": o.job.kind,
                "key": o.job.key,
                "status": o.status,
                "seconds": round(o.seconds, 3),
            }
            for o in outcomes.values()
            if o.status != "skipped"
        ],
        staging=staging,
    )
    ordered = [outcomes[(j.kind, j.key)] for j in jobs]
    _write_index(out_dir, jobs, rows, lang=lang, synthetic=synthetic, staging=staging)
    staging.rmdir()
    return ordered


def _select(
    jobs: Sequence[RenderJob], previous: dict, *, retry_failed: bool
) -> tuple[list[RenderJob], list[RenderJob]]:
    """Split jobs into those to (re)do and those whose outputs are kept."""
    to_run, kept = [], []
    for job in jobs:
        row = previous.get((job.kind, job.key))
        if retry_failed:
            redo = row is None or row.get("status") != "ok"
        else:
            redo = not (
                row is not None
                and row.get("status") == "ok"
                and row.get("input_hash") == job.content_hash
                # Results files are optional: a custom --template may display none.
                and all(
                    path.is_file()
                    for fmt, path in job.outputs.items()
                    if fmt not in RESULT_SUFFIXES
                )
            )
        (to_run if redo else kept).append(job)
    return to_run, kept


def _execute(
    jobs: Sequence[RenderJob],
    data_path: Path,
    lang: str,
    settings: RunSettings,
    staging: Path,
):
    """Yield outcomes as reports finish; documents are written before their outcome is yielded."""
    from ylt_eval.batch.executors import DaskExecutor, LocalExecutor

    # Servers warm up on the package's own reports only, never by running a user's template.
    own = {packaged_template(COUNTY_TEMPLATE), packaged_template(PROVINCE_TEMPLATE)}
    warm_up = all(job.template in own for job in jobs)
    if settings.scheduler is None:
        executor = LocalExecutor(data_path, lang, jobs=settings.jobs, warm_up=warm_up)
    else:
        executor = DaskExecutor(
            settings.scheduler, data_path, lang, jobs=settings.jobs, warm_up=warm_up
        )
    finished: queue.Queue = queue.Queue()
    try:
        by_province: dict[str, list[RenderJob]] = {}
        for job in jobs:
            by_province.setdefault(job.province, []).append(job)
        year = jobs[0].parameters["year"]
        pending = 0
        for province in by_province:
            if province:
                executor.submit(
                    ProvinceTask(province, year),
                    timeout=settings.timeout,
                    on_done=lambda result, p=province: finished.put(("models", p, result)),
                )
            else:  # no province, no model: its counties start at once
                for job in by_province[province]:
                    _submit(executor, job, None, settings, finished)
            pending += 1 if province else len(by_province[province])
        while pending:
            what, item, result = finished.get()
            pending -= 1
            if what == "models":
                models = result.models if result.status == "ok" else None
                for job in by_province[item]:
                    _submit(executor, job, models, settings, finished)
                    pending += 1
                continue
            yield _store(item, result, staging)
    finally:
        executor.close()


def _task(job: RenderJob, models) -> ReportTask:
    return ReportTask(str(job.template), dict(job.parameters), frozenset(job.outputs), models)


def _submit(executor, job, models, settings, finished: queue.Queue) -> None:
    executor.submit(
        _task(job, models),
        timeout=settings.timeout,
        on_done=lambda result: finished.put(("report", job, result)),
    )


def _store(job: RenderJob, result: TaskResult, staging: Path) -> JobOutcome:
    if result.status != "ok":
        return JobOutcome(job, "failed", result.error, result.seconds)
    documents = {"html": result.html, "pdf": result.pdf, "json": None, "csv": None}
    if result.results is not None:
        from ylt_eval.report.results import results_to_csv_bytes, results_to_json_bytes

        documents["json"] = results_to_json_bytes(result.results)
        documents["csv"] = results_to_csv_bytes(result.results)
    for fmt, path in job.outputs.items():
        if documents[fmt] is not None:  # a custom --template may show no results
            write_atomic(path, documents[fmt], staging=staging)
    return JobOutcome(job, "ok", seconds=result.seconds)


def _row(job: RenderJob, outcome: JobOutcome) -> dict:
    return {
        "kind": job.kind,
        "key": job.key,
        "name": job.name,
        "status": outcome.status,
        "error": outcome.error,
        "outputs": {fmt: path.name for fmt, path in sorted(job.outputs.items())},
        "input_hash": job.content_hash,
        "parameters": {k: v for k, v in job.parameters.items() if k != "data_path"},
    }


class _Checkpoint:
    """Writes the manifest now and then, so a killed run can be resumed."""

    def __init__(self, out_dir, jobs, rows, *, data_path, input_sha, staging) -> None:
        self.out_dir, self.jobs, self.rows, self.staging = out_dir, jobs, rows, staging
        self.input_name, self.input_sha = Path(data_path).name, input_sha
        self.last = time.monotonic()

    def maybe_write(self) -> None:
        if time.monotonic() - self.last >= _CHECKPOINT_EVERY:
            self.write()

    def write(self) -> None:
        rows = [self.rows[(j.kind, j.key)] for j in self.jobs if self.rows[(j.kind, j.key)]]
        write_manifest(
            self.out_dir,
            rows,
            input_name=self.input_name,
            input_sha256=self.input_sha,
            staging=self.staging,
        )
        self.last = time.monotonic()


def _write_index(out_dir, jobs, rows, *, lang, synthetic, staging) -> None:
    entries = []
    for job in jobs:
        row = rows[(job.kind, job.key)] or {"status": "failed", "error": ""}
        ok = row["status"] == "ok"
        links = [(fmt.upper(), path.name) for fmt, path in sorted(job.outputs.items())]
        entries.append(
            {
                "kind": job.kind,
                "name": job.name,
                "code": job.key if job.kind == "county" else "",
                "status": "ok" if ok else "failed",
                "links": links if ok else [],
                "error": row["error"].splitlines()[0] if row.get("error") else "",
            }
        )
    write_atomic(
        named_output_path(out_dir, "index.html"),
        render_index(entries, lang=lang, synthetic=synthetic),
        staging=staging,
    )
