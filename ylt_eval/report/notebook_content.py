"""Read the report elements an executed notebook displayed, in display order."""

from __future__ import annotations

import nbformat

from ylt_eval.errors import RenderError
from ylt_eval.report.elements import ELEMENT_MIME, iter_elements


def element_payloads(notebook: nbformat.NotebookNode) -> list[dict]:
    """Return the leaf element descriptions displayed by ``notebook``, in order.

    Raises
    ------
    RenderError
        If the notebook shows no :class:`~ylt_eval.report.elements.Document` element first
        (every report starts with its cover).
    """
    payloads: list[dict] = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if ELEMENT_MIME in data:
                payloads.extend(iter_elements(data[ELEMENT_MIME]))
    if not payloads or payloads[0].get("kind") != "document":
        raise RenderError("the notebook displayed no report cover (Document element) first")
    return payloads


def report_only(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Copy of ``notebook`` keeping only report-element outputs (no code, logs or warnings)."""
    cleaned = nbformat.from_dict(dict(notebook))
    cleaned.cells = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        outputs = [o for o in cell.get("outputs", []) if ELEMENT_MIME in o.get("data", {})]
        if outputs:
            new_cell = nbformat.v4.new_code_cell(source="")
            new_cell.outputs = [
                nbformat.v4.new_output("display_data", data=dict(o["data"])) for o in outputs
            ]
            cleaned.cells.append(new_cell)
    return cleaned
