"""The units of work of a batch run and how one is carried out inside its own process."""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ylt_eval.analysis.inputs import AssessmentData
from ylt_eval.batch.precompute import ProvinceModels
from ylt_eval.errors import YltEvalError


@dataclass(frozen=True)
class RunInputs:
    """What every task of a run shares: the loaded input file.

    Attributes
    ----------
    data_path : Path
        Resolved path of the input file on the machine executing the tasks.
    lang : str
    data : AssessmentData
    """

    data_path: Path
    lang: str
    data: AssessmentData


@dataclass(frozen=True)
class ProvinceTask:
    """Estimate one province's models for the year (done once, used by all its reports)."""

    province: str
    year: int


@dataclass(frozen=True)
class ReportTask:
    """Execute one report notebook and export it.

    Attributes
    ----------
    template : str
        Notebook path.
    parameters : dict
        Notebook parameters; ``data_path`` is replaced by the executing machine's copy.
    formats : frozenset of str
    models : ProvinceModels or None
        The province's estimates, handed to the notebook.
    """

    template: str
    parameters: dict
    formats: frozenset[str]
    models: ProvinceModels | None = None


@dataclass(frozen=True)
class TaskResult:
    """Outcome of one task (sent back from the process that ran it)."""

    status: str  # "ok" or "failed"
    error: str = ""
    html: str | None = None
    pdf: bytes | None = None
    results: dict | None = None
    models: ProvinceModels | None = None
    seconds: float = field(default=0.0, compare=False)


def run_task(task: ProvinceTask | ReportTask, inputs: RunInputs) -> TaskResult:
    """Carry out ``task``; every error becomes a failed result with a one-line reason."""
    started = time.perf_counter()
    try:
        if isinstance(task, ProvinceTask):
            from ylt_eval.batch.precompute import province_models

            models = province_models(inputs.data, task.province, task.year)
            return TaskResult("ok", models=models, seconds=time.perf_counter() - started)
        html, pdf, results = _render(task, inputs)
        seconds = time.perf_counter() - started
        return TaskResult("ok", html=html, pdf=pdf, results=results, seconds=seconds)
    except YltEvalError as error:
        return TaskResult("failed", str(error), seconds=time.perf_counter() - started)
    except Exception as error:  # a bug must not take the whole run down: record it
        message = f"{type(error).__name__}: {error}"
        return TaskResult("failed", message, seconds=time.perf_counter() - started)


def _render(task: ReportTask, inputs: RunInputs) -> tuple[str | None, bytes | None, dict | None]:
    from ylt_eval.batch.handover import Precomputed, install_precomputed
    from ylt_eval.batch.shell import execute_in_shell, parameterised_notebook
    from ylt_eval.report.html_export import notebook_to_html
    from ylt_eval.report.pdf_export import notebook_to_pdf
    from ylt_eval.report.results import results_from_notebook

    parameters = {**task.parameters, "data_path": str(inputs.data_path)}
    install_precomputed(
        Precomputed(
            data_path=inputs.data_path,
            year=parameters["year"],
            lang=parameters.get("lang", "zh"),
            data=inputs.data,
            models=task.models,
        )
    )
    notebook = parameterised_notebook(Path(task.template), parameters)
    previous = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="ylt-run-") as scratch:
        os.chdir(scratch)  # as papermill's cwd: a notebook writing files cannot touch ours
        try:
            executed = execute_in_shell(notebook)
        finally:
            os.chdir(previous)
            install_precomputed(None)
    html = notebook_to_html(executed) if "html" in task.formats else None
    pdf = notebook_to_pdf(executed) if "pdf" in task.formats else None
    return html, pdf, results_from_notebook(executed)
