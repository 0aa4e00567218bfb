"""Executed report notebook → A4 PDF with typst (Chinese glyphs from the bundled font)."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import nbformat

from ylt_eval.errors import RenderError
from ylt_eval.report.fonts import font_directory
from ylt_eval.report.notebook_content import element_payloads

_TEMPLATE = Path(__file__).parent / "templates" / "report.typ"

#: 2000-01-01T00:00:00Z. Reports carry no date other than their data's periods.
_FIXED_TIMESTAMP = 946684800

_LABELS = {
    "zh": {"contents": "目录"},
    "en": {"contents": "Contents"},
}


def notebook_to_pdf(notebook: nbformat.NotebookNode) -> bytes:
    """Lay out the report elements of an executed notebook as a PDF.

    Figures are embedded as vector graphics; the document has a table of contents, page numbers
    ("n / N") and, for synthetic data, the banner in the header of every page.

    Parameters
    ----------
    notebook : nbformat.NotebookNode
        Notebook executed by papermill whose outputs are report elements.

    Returns
    -------
    bytes
        The PDF file.
    """
    import typst

    payloads = element_payloads(notebook)
    document = payloads[0]
    with tempfile.TemporaryDirectory(prefix="ylt-pdf-") as tmp:
        root = Path(tmp)
        elements = []
        for index, payload in enumerate(payloads):
            item = dict(payload)
            if item["kind"] == "table":  # the PDF links to the other reports' PDFs
                item["links"] = [
                    [row, column, _pdf_target(href)] for row, column, href in item["links"]
                ]
            if item["kind"] == "figure":
                name = f"figure-{index:03d}.svg"
                (root / name).write_text(item.pop("svg"), encoding="utf-8")
                item["file"] = name
            elements.append(item)
        spec = {
            "document": document,
            "labels": _LABELS.get(document["lang"], _LABELS["en"]),
            "elements": elements,
        }
        (root / "report.json").write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
        shutil.copyfile(_TEMPLATE, root / "report.typ")
        try:
            return typst.compile(
                str(root / "report.typ"),
                root=str(root),
                font_paths=[str(font_directory())],
                ignore_system_fonts=True,
                # A fixed creation date: the same inputs must give the same PDF bytes.
                timestamp=_FIXED_TIMESTAMP,
            )
        except RuntimeError as error:  # typst reports layout errors as RuntimeError
            raise RenderError(f"typst could not lay out the PDF: {error}") from error


def _pdf_target(href: str) -> str:
    return href[: -len(".html")] + ".pdf" if href.endswith(".html") else href
