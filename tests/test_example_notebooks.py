"""The researcher notebooks in notebooks/ run as shipped and are committed clean."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
EXAMPLES = ("explore_panel.ipynb", "reproduce_county_did.ipynb", "extend_analysis.ipynb")


def _read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / name, as_version=4)


@pytest.mark.parametrize("name", EXAMPLES)
def test_notebook_is_committed_clean(name):
    path = NOTEBOOKS / name
    notebook = _read(name)
    nbformat.validate(notebook)
    assert notebook.nbformat == 4
    # Byte for byte what nbformat writes (sorted keys, one-space indent): diffs stay minimal.
    assert path.read_text(encoding="utf-8") == nbformat.writes(notebook) + "\n"
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)
    tagged = [cell for cell in code if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1 and "data_path = " in tagged[0].source
    ids = [cell.id for cell in notebook.cells]
    assert len(set(ids)) == len(ids) and all(i.startswith(name.split("_")[0]) for i in ids)


def _execute(name: str, cwd: Path, tmp_path: Path, parameters: dict | None = None):
    import papermill

    # One BLAS thread; and the kernel's own inline backend, so charts become image outputs.
    previous = {key: os.environ.get(key) for key in ("OPENBLAS_NUM_THREADS", "MPLBACKEND")}
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    os.environ.pop("MPLBACKEND", None)
    try:
        return papermill.execute_notebook(
            str(NOTEBOOKS / name),
            str(tmp_path / name),
            parameters=parameters or {},
            cwd=str(cwd),
            kernel_name="python3",
            progress_bar=False,
        )
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _stderr(notebook) -> list[str]:
    return [
        "".join(output.get("text", ""))
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream" and output.name == "stderr"
    ]


@pytest.mark.parametrize(
    ("name", "cwd"),
    [
        ("explore_panel.ipynb", ROOT),  # papermill run at the repository root
        ("reproduce_county_did.ipynb", NOTEBOOKS),  # JupyterLab starts in notebooks/
        ("extend_analysis.ipynb", NOTEBOOKS),
    ],
)
def test_notebook_runs_as_shipped(name, cwd, tmp_path):
    executed = _execute(name, cwd, tmp_path)
    assert _stderr(executed) == []  # no warnings: deprecations would show up here first
    images = sum(
        "image/png" in output.get("data", {})
        for cell in executed.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    assert images >= 1


def test_missing_data_file_stops_with_a_clear_message(tmp_path):
    import papermill

    with pytest.raises(papermill.PapermillExecutionError, match=r"no_such_panel\.csv: not found"):
        _execute("explore_panel.ipynb", tmp_path, tmp_path, {"data_path": "no_such_panel.csv"})
