"""The run's ``index.html``: links to every report with its status (Jinja2, autoescaped)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import jinja2
from markupsafe import Markup

from ylt_eval.report.fonts import subset_font_face_css
from ylt_eval.report.i18n import Translator

_TEMPLATE = Path(__file__).resolve().parent.parent / "report" / "templates" / "index.html.j2"

_TEXT = {
    "zh": {
        "title": "医共体评估报告目录",
        "columns": ("类型", "名称", "代码", "状态", "报告"),
        "county": "县级报告",
        "province": "全省汇总",
        "ok": "✓ 已生成",
        "failed": "✗ 失败",
        "skipped": "– 已是最新",
    },
    "en": {
        "title": "Consortium assessment reports",
        "columns": ("Kind", "Name", "Code", "Status", "Report"),
        "county": "County report",
        "province": "Province summary",
        "ok": "✓ rendered",
        "failed": "✗ failed",
        "skipped": "– up to date",
    },
}


def render_index(entries: Sequence[dict], *, lang: str, synthetic: bool) -> str:
    """Render the index page.

    Parameters
    ----------
    entries : sequence of dict
        One per report: ``kind`` ("county"/"province"), ``name``, ``code``, ``status``
        ("ok"/"failed"/"skipped"), ``links`` (list of (label, relative href)), ``error``.
    lang : str
    synthetic : bool
        Show the synthetic-data banner.
    """
    text = _TEXT[lang]
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    rows = [
        {
            "kind": text[entry["kind"]],
            "name": entry["name"],
            "code": entry["code"],
            "status": text[entry["status"]],
            "failed": entry["status"] == "failed",
            "links": [{"label": label, "href": href} for label, href in entry["links"]],
            "error": entry.get("error", ""),
        }
        for entry in entries
    ]
    template = environment.from_string(_TEMPLATE.read_text(encoding="utf-8"))
    values = dict(
        html_lang="zh-CN" if lang == "zh" else "en",
        title=text["title"],
        banner=Translator(lang)("synthetic_banner") if synthetic else "",
        columns=text["columns"],
        rows=rows,
    )
    # Embed a subset of the Chinese font holding exactly the characters shown (as reports do).
    page_without_font = template.render(**values, font_css="")
    return template.render(**values, font_css=Markup(subset_font_face_css(page_without_font)))
