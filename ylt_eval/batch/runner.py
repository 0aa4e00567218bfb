"""Plan and run a set of report renderings; write outputs, manifest and index atomically."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import ylt_eval
from ylt_eval.batch.execute import (
    COUNTY_TEMPLATE,
    PROVINCE_TEMPLATE,
    execute_report,
    packaged_template,
)
from ylt_eval.batch.index_page import render_index
from ylt_eval.batch.outputs import county_output_path, named_output_path, write_atomic
from ylt_eval.errors import ParameterError, YltEvalError

FORMATS = ("html", "pdf")


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
    template : Path
    parameters : dict
    outputs : dict
        Format (``"html"``/``"pdf"``) → output path.
    """

    kind: str
    key: str
    name: str
    template: Path
    parameters: dict
    outputs: dict[str, Path]


@dataclass(frozen=True)
class JobOutcome:
    """What happened to one job."""

    job: RenderJob
    status: str  # "ok" or "failed"
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
) -> list[RenderJob]:
    """Build the jobs of a run.

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
    """
    data = str(Path(data_path).resolve())
    suffixes = {"html": ".html", "pdf": ".pdf"}
    jobs = []
    links = {
        code: county_output_path(out_dir, code, lang, ".html").name
        if "html" in formats
        else county_output_path(out_dir, code, lang, ".pdf").name
        for code, _, _ in counties
    }
    for code, name, _province in counties:
        jobs.append(
            RenderJob(
                kind="county",
                key=code,
                name=name,
                template=packaged_template(COUNTY_TEMPLATE),
                parameters={
                    "county_code": code,
                    "year": year,
                    "data_path": data,
                    "lang": lang,
                    "synthetic": synthetic,
                },
                outputs={
                    fmt: county_output_path(out_dir, code, lang, suffixes[fmt]) for fmt in formats
                },
            )
        )
    for index, province in enumerate(provinces, start=1):
        province_links = {code: links[code] for code, _, p in counties if p == province}
        jobs.append(
            RenderJob(
                kind="province",
                key=province,
                name=province,
                template=packaged_template(PROVINCE_TEMPLATE),
                parameters={
                    "province": province,
                    "year": year,
                    "data_path": data,
                    "lang": lang,
                    "report_links": province_links,
                    "synthetic": synthetic,
                },
                outputs={
                    fmt: named_output_path(out_dir, f"province_{index:02d}_{lang}{suffixes[fmt]}")
                    for fmt in formats
                },
            )
        )
    return jobs


def run_jobs(
    jobs: Sequence[RenderJob],
    *,
    on_start: Callable[[RenderJob], None] | None = None,
    on_done: Callable[[JobOutcome], None] | None = None,
) -> list[JobOutcome]:
    """Execute jobs one after another; a failing job never stops the others.

    Parameters
    ----------
    jobs : sequence of RenderJob
    on_start, on_done : callable, optional
        Progress callbacks.
    """
    import time

    outcomes = []
    for job in jobs:
        if on_start:
            on_start(job)
        started = time.perf_counter()
        try:
            rendered = execute_report(job.template, job.parameters, formats=frozenset(job.outputs))
            if rendered.html is not None:
                write_atomic(job.outputs["html"], rendered.html)
            if rendered.pdf is not None:
                write_atomic(job.outputs["pdf"], rendered.pdf)
            outcome = JobOutcome(job, "ok", seconds=time.perf_counter() - started)
        except YltEvalError as error:
            outcome = JobOutcome(job, "failed", str(error), time.perf_counter() - started)
        outcomes.append(outcome)
        if on_done:
            on_done(outcome)
    return outcomes


def write_run_summary(
    out_dir: Path,
    outcomes: Sequence[JobOutcome],
    *,
    data_path: Path,
    lang: str,
    synthetic: bool,
) -> None:
    """Write ``index.html`` and ``manifest.json`` (no timestamps or durations: reproducible)."""
    sha = _sha256(data_path)
    entries, manifest_rows = [], []
    for outcome in outcomes:
        job = outcome.job
        links = [(fmt.upper(), path.name) for fmt, path in sorted(job.outputs.items())]
        entries.append(
            {
                "kind": job.kind,
                "name": job.name,
                "code": job.key if job.kind == "county" else "",
                "status": outcome.status,
                "links": links if outcome.status == "ok" else [],
                "error": outcome.error.splitlines()[0] if outcome.error else "",
            }
        )
        manifest_rows.append(
            {
                "kind": job.kind,
                "key": job.key,
                "status": outcome.status,
                "error": outcome.error,
                "outputs": {fmt: path.name for fmt, path in sorted(job.outputs.items())},
                "parameters": {k: v for k, v in job.parameters.items() if k != "data_path"},
                "template_sha256": _sha256(job.template),
            }
        )
    manifest = {
        "ylt_eval_version": ylt_eval.__version__,
        "input_file": Path(data_path).name,
        "input_sha256": sha,
        "reports": manifest_rows,
    }
    write_atomic(
        named_output_path(out_dir, "manifest.json"),
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
    )
    write_atomic(
        named_output_path(out_dir, "index.html"),
        render_index(entries, lang=lang, synthetic=synthetic),
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
