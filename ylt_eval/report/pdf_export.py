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
                item["widths"] = column_widths(item["columns"], item["rows"])
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


#: Columns whose longest cell is at most this wide (in Latin-letter widths) get a fixed width
#: fitting it; wider ones share the rest of the line.
_NARROW = 14
#: Cap on a column's share weight, so one long note cannot squeeze every other column.
_WIDEST = 48
#: Chinese header words wrap after this many Latin-letter widths (four characters).
_HEADER_CJK = 8


def column_widths(columns: list[str], rows: list[list[str]]) -> list[list[object]]:
    """Typst column widths: ``["em", w]`` for narrow columns (numbers, codes), fitting their
    longest cell and longest header word, and ``["fr", w]`` share weights for the others.

    Left to itself typst gives every column its natural width (headers included) and squeezes
    the first long column into a narrow strip; fixing the narrow columns and weighting the long
    ones by their longest cell (CJK characters count double) keeps names readable and numbers
    on one line.

    Examples
    --------
    >>> column_widths(["Indicator", "This year"], [["Primary-care share of visits", "58.6"]])
    [['fr', 28], ['em', 3.24]]
    """
    widths: list[list[object]] = []
    for index, header in enumerate(columns):
        longest = max((_display_width(row[index]) for row in rows), default=0)
        words = [
            min(_display_width(word), _HEADER_CJK) if _has_cjk(word) else _display_width(word)
            for word in header.split()
        ] or [0]
        if max(longest, max(words)) <= _NARROW:
            # 0.56 em per Latin-letter width at the table's text size, plus the cell inset.
            widths.append(["em", round(max(longest, max(words)) * 0.56 + 1.0, 2)])
        else:
            widths.append(["fr", min(max(longest, max(words)), _WIDEST)])
    return widths


def _has_cjk(text: str) -> bool:
    return any(_display_width(char) == 2 for char in text)


def _display_width(text: str) -> int:
    return sum(
        2 if "\u2e80" <= char <= "\u9fff" or "\uff00" <= char <= "\uffef" else 1 for char in text
    )


def _pdf_target(href: str) -> str:
    return href[: -len(".html")] + ".pdf" if href.endswith(".html") else href
