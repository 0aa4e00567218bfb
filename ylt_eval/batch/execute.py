"""Execute a report notebook with papermill and export it to HTML and/or PDF."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import nbformat

from ylt_eval.errors import RenderError
from ylt_eval.resources import resource_path

COUNTY_TEMPLATE = "notebooks/county_report.ipynb"
PROVINCE_TEMPLATE = "notebooks/province_summary.ipynb"

#: Wall-clock limit of one notebook execution (papermill cell timeout), seconds.
DEFAULT_TIMEOUT = 600


@dataclass(frozen=True)
class RenderedReport:
    """Exported documents of one executed notebook (bytes are written by the caller)."""

    html: str | None
    pdf: bytes | None


def packaged_template(name: str) -> Path:
    """Path of one of the package's own notebook templates."""
    return resource_path(f"notebooks/{Path(name).name}")


def execute_report(
    template: Path,
    parameters: Mapping[str, object],
    *,
    formats: frozenset[str] = frozenset({"html", "pdf"}),
    timeout: int = DEFAULT_TIMEOUT,
) -> RenderedReport:
    """Run ``template`` with ``parameters`` in a fresh kernel and export the result.

    Parameters
    ----------
    template : Path
        Report notebook.
    parameters : mapping
        Notebook parameters (validated again inside the notebook).
    formats : frozenset of str
        Any of ``"html"``, ``"pdf"``.
    timeout : int
        Per-cell wall-clock limit in seconds.

    Raises
    ------
    RenderError
        If the notebook fails; the message carries the notebook's own error text
        (for example a :class:`~ylt_eval.errors.ParameterError`), not a traceback.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from ylt_eval.report.html_export import notebook_to_html
    from ylt_eval.report.pdf_export import notebook_to_pdf

    env = {"PYTHONHASHSEED": "0", "SOURCE_DATE_EPOCH": "0", "MPLBACKEND": "Agg"}
    saved = {key: os.environ.get(key) for key in env}
    with tempfile.TemporaryDirectory(prefix="ylt-run-") as tmp:
        executed_path = Path(tmp) / "executed.ipynb"
        os.environ.update(env)  # inherited by the kernel process
        try:
            papermill.execute_notebook(
                str(template),
                str(executed_path),
                parameters=dict(parameters),
                kernel_name="python3",
                progress_bar=False,
                log_output=False,
                execution_timeout=timeout,
                cwd=tmp,
                kernel_manager_class="ylt_eval.batch.kernel.IpcKernelManager",
            )
        except PapermillExecutionError as error:
            raise RenderError(f"{error.ename}: {error.evalue}") from None
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        notebook = nbformat.read(executed_path, as_version=4)
    html = notebook_to_html(notebook) if "html" in formats else None
    pdf = notebook_to_pdf(notebook) if "pdf" in formats else None
    return RenderedReport(html=html, pdf=pdf)
