"""Write the indicator tables of the methods documents from the indicator catalogue.

The tables in ``docs/methods.md`` (English) and ``docs/methods.zh.md`` (Chinese) sit between
the marker comments ``<!-- BEGIN GENERATED: indicators -->`` and
``<!-- END GENERATED: indicators -->``. This script rewrites what lies between the markers from
the packaged catalogue (``ylt_eval/resources/indicators.toml``), so the documents cannot drift
from the data the reports use; ``tests/test_methods_doc.py`` fails when they are stale.

Usage, from the repository root::

    python docs/build_methods_tables.py          # rewrite the tables in place
    python docs/build_methods_tables.py --check  # exit 1 if a document is out of date
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

from ylt_eval.metrics.catalogue import Indicator, catalogue, formula_text
from ylt_eval.report.i18n import Translator

BEGIN_MARKER = "<!-- BEGIN GENERATED: indicators -->"
END_MARKER = "<!-- END GENERATED: indicators -->"

DOCS_FOLDER = Path(__file__).resolve().parent

#: Document file name → language of its generated tables.
DOCUMENTS = {"methods.md": "en", "methods.zh.md": "zh"}

_HEADERS = {
    "en": ("No.", "Code", "Indicator", "Dimension", "Definition", "Unit", "Better", "Tag"),
    "zh": ("国家序号", "代码", "指标", "维度", "计算口径", "单位", "方向", "来源标记"),
}

_DIRECTIONS = {
    "en": {"up": "higher", "down": "lower", "target": "toward {target}", "monitor": "monitor"},
    "zh": {
        "up": "越高越好",
        "down": "越低越好",
        "target": "越接近{target}越好",
        "monitor": "仅监测",
    },
}

_QUALITATIVE = {"en": "checklist item (met / not met)", "zh": "清单项（达标/未达标）"}

_INTRO = {
    "en": (
        "Generated from `ylt_eval/resources/indicators.toml` by "
        "`python docs/build_methods_tables.py`; do not edit by hand. "
        "No. = position in the 2024 national monitoring set. "
        "Tag: S = seen in a secondary source quoting the official text, "
        "C = conventional definition chosen here, R = recalled, to verify."
    ),
    "zh": (
        "本表由 `python docs/build_methods_tables.py` 根据 `ylt_eval/resources/indicators.toml` "
        "自动生成，请勿手工修改。国家序号：2024年国家监测指标体系中的序号。"
        "来源标记：S = 见于转引官方原文的二手资料；C = 本项目选定的约定口径；R = 凭记忆，待核实。"
    ),
}

_NOTES_HEADING = {
    "en": "Definitional notes and sources, by indicator:",
    "zh": "各指标的口径说明与数据来源：",
}
_SOURCE_LABEL = {"en": "Data source", "zh": "数据来源"}
_STANDARD_LABEL = {"en": "standard", "zh": "出处"}


def _cell(text: str) -> str:
    """Make text safe inside one Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _formula(item: Indicator, lang: str) -> str:
    text = formula_text(item)
    return f"`{text}`" if text else _QUALITATIVE[lang]


def _direction(item: Indicator, lang: str) -> str:
    target = "" if item.target_value is None else f"{item.target_value:g}"
    return _DIRECTIONS[lang][item.direction].format(target=target)


def _row(item: Indicator, lang: str) -> str:
    name = item.name_en if lang == "en" else item.name_zh
    unit = item.unit_en if lang == "en" else item.unit_zh
    cells = (
        "" if item.national_no is None else str(item.national_no),
        f"`{item.code}`",
        _cell(name),
        Translator(lang)(f"dimension_{item.dimension}"),  # the reports' own labels
        _formula(item, lang),
        _cell(unit),
        _direction(item, lang),
        item.provenance,
    )
    return "| " + " | ".join(cells) + " |"


def _note(item: Indicator, lang: str) -> str:
    notes = item.notes_en if lang == "en" else item.notes_zh
    parts = [f"- `{item.code}`:"]
    if notes:
        parts.append(_cell(notes))
    parts.append(
        f"{_SOURCE_LABEL[lang]}: {_cell(item.source)}; "
        f"{_STANDARD_LABEL[lang]}: {_cell(item.standard)}."
    )
    return " ".join(parts)


def indicator_tables(lang: str, indicators: Iterable[Indicator] | None = None) -> str:
    """Return the generated Markdown: the indicator table and the notes list.

    Parameters
    ----------
    lang : str
        ``"en"`` or ``"zh"``.
    indicators : iterable of Indicator, optional
        The packaged catalogue by default.

    Returns
    -------
    str
        Markdown text, ending with a newline, in catalogue order.
    """
    if lang not in _HEADERS:
        raise ValueError(f"lang must be 'en' or 'zh', got {lang!r}")
    items = tuple(catalogue() if indicators is None else indicators)
    header = _HEADERS[lang]
    lines = [
        _INTRO[lang],
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
        *(_row(item, lang) for item in items),
        "",
        _NOTES_HEADING[lang],
        "",
        *(_note(item, lang) for item in items),
    ]
    return "\n".join(lines) + "\n"


def updated_document(text: str, lang: str) -> str:
    """Return ``text`` with the part between the markers replaced by fresh tables.

    Raises
    ------
    ValueError
        If the markers are missing, repeated or in the wrong order.
    """
    if text.count(BEGIN_MARKER) != 1 or text.count(END_MARKER) != 1:
        raise ValueError(f"expected exactly one {BEGIN_MARKER!r} and one {END_MARKER!r}")
    head, rest = text.split(BEGIN_MARKER)
    if END_MARKER not in rest:
        raise ValueError(f"{END_MARKER!r} comes before {BEGIN_MARKER!r}")
    _, tail = rest.split(END_MARKER)
    return f"{head}{BEGIN_MARKER}\n{indicator_tables(lang)}{END_MARKER}{tail}"


def stale_documents(folder: Path = DOCS_FOLDER, *, write: bool = False) -> list[str]:
    """Compare (and optionally rewrite) every methods document that exists in ``folder``.

    Parameters
    ----------
    folder : Path
        Folder holding the documents named in :data:`DOCUMENTS`.
    write : bool
        Rewrite stale documents in place.

    Returns
    -------
    list of str
        Names of the documents that were out of date.
    """
    stale = []
    for name, lang in DOCUMENTS.items():
        path = folder / name
        if not path.exists():
            continue
        current = path.read_text(encoding="utf-8")
        fresh = updated_document(current, lang)
        if fresh != current:
            stale.append(name)
            if write:
                path.write_text(fresh, encoding="utf-8", newline="\n")
    return stale


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="report stale documents and exit 1; write nothing"
    )
    arguments = parser.parse_args(argv)
    stale = stale_documents(write=not arguments.check)
    if arguments.check and stale:
        sys.stderr.write(
            f"out of date: {', '.join(stale)}; run python docs/build_methods_tables.py\n"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
