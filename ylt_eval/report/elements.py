"""Report elements: the only things a report notebook displays.

Each element is a frozen dataclass that knows two representations:

* ``text/html`` — shown in JupyterLab and copied into the HTML report by nbconvert;
* :data:`ELEMENT_MIME` — a JSON description the PDF exporter lays out with typst.

Every string an element holds is plain text: it is escaped for HTML here and passed to typst as
JSON data (never as markup), so names taken from data cannot inject code into either output.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from markupsafe import escape

#: MIME type under which elements store their JSON description in the notebook.
ELEMENT_MIME = "application/vnd.ylt-eval.element+json"

#: Symbol shown before warning paragraphs (HTML and PDF).
WARNING_MARK = "⚠"

#: Link targets allowed in reports: relative file names only.
SAFE_HREF = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


class Element:
    """Base class: subclasses implement :meth:`to_html` and set ``kind``."""

    kind: str = ""

    def to_json(self) -> dict:
        """JSON-serialisable description (used by the PDF exporter)."""
        return {"kind": self.kind, **asdict(self)}

    def to_html(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {"text/html": self.to_html(), ELEMENT_MIME: self.to_json()}


@dataclass(frozen=True)
class Document(Element):
    """Cover of a report: title and the facts a reader needs before anything else.

    Attributes
    ----------
    title, subtitle : str
    lang : str
        ``"zh"`` or ``"en"``.
    facts : tuple of (label, value)
        Shown as a two-column list on the cover (county, year, consortium, data source ...).
    banner : str
        Shown on every page when non-empty (for example the synthetic-data warning).
    """

    title: str
    subtitle: str
    lang: str
    facts: tuple[tuple[str, str], ...] = ()
    banner: str = ""
    kind: str = field(default="document", init=False)

    def to_html(self) -> str:
        rows = "".join(
            f"<tr><th scope='row'>{escape(label)}</th><td>{escape(value)}</td></tr>"
            for label, value in self.facts
        )
        banner = f"<p class='banner' role='note'>{escape(self.banner)}</p>" if self.banner else ""
        return (
            f"<header class='cover'>{banner}<h1>{escape(self.title)}</h1>"
            f"<p class='subtitle'>{escape(self.subtitle)}</p>"
            f"<table class='facts'><tbody>{rows}</tbody></table></header>"
        )


@dataclass(frozen=True)
class Heading(Element):
    """Section heading (level 2 = section, 3 = subsection); ``anchor`` is its HTML id."""

    text: str
    level: int = 2
    anchor: str = ""
    kind: str = field(default="heading", init=False)

    def to_html(self) -> str:
        anchor = f" id='{escape(self.anchor)}'" if self.anchor else ""
        return f"<h{self.level}{anchor}>{escape(self.text)}</h{self.level}>"


@dataclass(frozen=True)
class Paragraph(Element):
    """A paragraph of plain text; ``style`` is ``"body"``, ``"note"`` or ``"warning"``."""

    text: str
    style: str = "body"
    kind: str = field(default="paragraph", init=False)

    def to_html(self) -> str:
        # A warning is marked by a symbol as well as by its colour (readable in greyscale).
        marker = (
            f"<span aria-hidden='true'>{WARNING_MARK} </span>" if self.style == "warning" else ""
        )
        return f"<p class='{escape(self.style)}'>{marker}{escape(self.text)}</p>"


@dataclass(frozen=True)
class BulletList(Element):
    """An unordered list of plain-text items."""

    items: tuple[str, ...]
    kind: str = field(default="list", init=False)

    def to_html(self) -> str:
        items = "".join(f"<li>{escape(item)}</li>" for item in self.items)
        return f"<ul>{items}</ul>"


@dataclass(frozen=True)
class Table(Element):
    """A table of pre-formatted text cells.

    Attributes
    ----------
    columns : tuple of str
        Header cells.
    rows : tuple of tuple of str
        Body cells, already formatted for display (the report layer formats numbers).
    caption : str
    align : tuple of str
        ``"left"``/``"right"``/``"center"`` per column; numbers are right-aligned.
    notes : str
        Footnote printed under the table.
    links : tuple of (row, column, href)
        Cells shown as links; ``href`` must be a relative file name (letters, digits, ``_``,
        ``-``, ``.``), which keeps ``javascript:`` and other schemes out of reports.
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""
    align: tuple[str, ...] = ()
    notes: str = ""
    links: tuple[tuple[int, int, str], ...] = ()
    kind: str = field(default="table", init=False)

    def __post_init__(self) -> None:
        width = len(self.columns)
        for row in self.rows:
            if len(row) != width:
                raise ValueError(f"table row has {len(row)} cells, header has {width}")
        if self.align and len(self.align) != width:
            raise ValueError("align must give one entry per column")
        for row, column, href in self.links:
            if not (0 <= row < len(self.rows) and 0 <= column < width):
                raise ValueError(f"link cell ({row}, {column}) is outside the table")
            if not SAFE_HREF.fullmatch(href):
                raise ValueError(f"link target {href!r} is not a relative file name")

    def _alignment(self, index: int) -> str:
        return self.align[index] if self.align else "left"

    def to_html(self) -> str:
        head = "".join(
            f"<th scope='col' class='al-{self._alignment(i)}'>{escape(c)}</th>"
            for i, c in enumerate(self.columns)
        )
        links = {(row, column): href for row, column, href in self.links}

        def cell_html(r: int, c: int, text: str) -> str:
            content = escape(text)
            if (r, c) in links:
                content = f"<a href='{escape(links[(r, c)])}'>{content}</a>"
            return f"<td class='al-{self._alignment(c)}'>{content}</td>"

        body = "".join(
            "<tr>" + "".join(cell_html(r, c, cell) for c, cell in enumerate(row)) + "</tr>"
            for r, row in enumerate(self.rows)
        )
        caption = f"<caption>{escape(self.caption)}</caption>" if self.caption else ""
        notes = f"<p class='table-notes'>{escape(self.notes)}</p>" if self.notes else ""
        return (
            f"<div class='table-wrap'><table class='data'>{caption}<thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>{notes}</div>"
        )


@dataclass(frozen=True)
class Figure(Element):
    """A chart as SVG (text drawn as paths, so it needs no font), with alt text and caption."""

    svg: str
    alt: str
    caption: str = ""
    width_cm: float = 16.0
    kind: str = field(default="figure", init=False)

    def to_html(self) -> str:
        data = base64.b64encode(self.svg.encode("utf-8")).decode("ascii")
        caption = f"<figcaption>{escape(self.caption)}</figcaption>" if self.caption else ""
        return (
            f"<figure><img src='data:image/svg+xml;base64,{data}' alt='{escape(self.alt)}'>"
            f"{caption}</figure>"
        )


@dataclass(frozen=True)
class Section(Element):
    """Several elements displayed as one notebook output (one report section)."""

    children: tuple[Element, ...]
    kind: str = field(default="section", init=False)

    def to_html(self) -> str:
        return "<section>" + "".join(child.to_html() for child in self.children) + "</section>"


def section(*children: Element | None) -> Section:
    """Build a :class:`Section`, dropping ``None`` children (optional parts of a section)."""
    return Section(tuple(child for child in children if child is not None))


def iter_elements(payload: dict) -> Sequence[dict]:
    """Flatten a JSON element payload (as stored in a notebook) into leaf elements, in order."""
    if payload.get("kind") == "section":
        return [leaf for child in payload["children"] for leaf in iter_elements(child)]
    return [payload]
