"""Executed report notebook → one self-contained, offline HTML page (nbconvert)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import nbformat
from markupsafe import escape
from nbconvert import HTMLExporter

from ylt_eval.report.elements import WARNING_MARK
from ylt_eval.report.fonts import subset_font_face_css
from ylt_eval.report.notebook_content import element_payloads, report_only

_TEMPLATES = Path(__file__).parent / "templates"


@cache
def _exporter() -> HTMLExporter:
    # One exporter reused in-process: building it costs far more than an export.
    exporter = HTMLExporter(
        extra_template_basedirs=[str(_TEMPLATES)],
        template_name="ylt_report",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    return exporter


def _visible_text(payloads: list[dict]) -> str:
    """Every character the page can show, for font subsetting."""
    parts: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            if not value.startswith("<svg") and not value.startswith("<?xml"):
                parts.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    walk(payloads)
    return "".join(parts) + _CONTENTS_TITLE["zh"] + _CONTENTS_TITLE["en"] + WARNING_MARK


_CONTENTS_TITLE = {"zh": "目录", "en": "Contents"}


def _contents(payloads: list[dict], lang: str) -> str:
    """Navigation list of the report's sections (level-2 headings with an anchor)."""
    items = "".join(
        f"<li><a href='#{escape(p['anchor'])}'>{escape(p['text'])}</a></li>"
        for p in payloads
        if p.get("kind") == "heading" and p.get("level") == 2 and p.get("anchor")
    )
    if not items:
        return ""
    title = _CONTENTS_TITLE.get(lang, _CONTENTS_TITLE["en"])
    return (
        f"<nav class='toc' aria-labelledby='toc-title'><h2 id='toc-title'>{escape(title)}</h2>"
        f"<ol>{items}</ol></nav>"
    )


def notebook_to_html(notebook: nbformat.NotebookNode) -> str:
    """Render an executed report notebook as a standalone HTML page.

    The page embeds its CSS and a subset of the Chinese font, loads nothing from any host
    (a Content-Security-Policy forbids it) and contains no code cells, logs or warnings. A list
    of contents linking to every section follows the cover.

    Parameters
    ----------
    notebook : nbformat.NotebookNode
        Notebook executed by papermill whose outputs are report elements.

    Returns
    -------
    str
        The HTML document.
    """
    payloads = element_payloads(notebook)
    document = payloads[0]
    resources = {
        "ylt": {
            "title": document["title"],
            "banner": document["banner"],
            "html_lang": "zh-CN" if document["lang"] == "zh" else "en",
            "css": (_TEMPLATES / "report.css").read_text(encoding="utf-8"),
            "font_css": subset_font_face_css(_visible_text(payloads)),
        }
    }
    body, _ = _exporter().from_notebook_node(report_only(notebook), resources=resources)
    # The contents follow the cover (the first </header> is the cover's end).
    return body.replace("</header>", "</header>" + _contents(payloads, document["lang"]), 1)
