"""Report elements: escaping, JSON payloads, table shape checks."""

from __future__ import annotations

import json

import pytest

from ylt_eval.report.elements import (
    ELEMENT_MIME,
    Document,
    Figure,
    Heading,
    Paragraph,
    Table,
    iter_elements,
    section,
)

PAYLOAD = "<script>alert('x')</script>&\"'"


def test_every_element_escapes_text_in_html():
    elements = [
        Document(
            title=PAYLOAD, subtitle=PAYLOAD, lang="zh", facts=((PAYLOAD, PAYLOAD),), banner=PAYLOAD
        ),
        Heading(PAYLOAD, anchor=PAYLOAD),
        Paragraph(PAYLOAD),
        Table(columns=(PAYLOAD,), rows=((PAYLOAD,),), caption=PAYLOAD, notes=PAYLOAD),
        Figure(svg="<svg/>", alt=PAYLOAD, caption=PAYLOAD),
    ]
    for element in elements:
        html = element.to_html()
        assert "<script>" not in html
        assert "&lt;script&gt;" in html


def test_mimebundle_carries_json_description():
    bundle = Paragraph("基层诊疗率", style="note")._repr_mimebundle_()
    assert bundle[ELEMENT_MIME] == {"kind": "paragraph", "text": "基层诊疗率", "style": "note"}
    json.dumps(bundle[ELEMENT_MIME])  # serialisable as notebooks store it


def test_section_flattens_in_order_and_drops_none():
    built = section(Heading("A"), None, Paragraph("b"), Paragraph("c"))
    kinds = [(leaf["kind"], leaf.get("text")) for leaf in iter_elements(built.to_json())]
    assert kinds == [("heading", "A"), ("paragraph", "b"), ("paragraph", "c")]


def test_table_refuses_ragged_rows():
    with pytest.raises(ValueError, match="2 cells"):
        Table(columns=("a",), rows=(("1", "2"),))


def test_table_html_uses_header_cells_with_scope():
    html = Table(columns=("指标", "值"), rows=(("基层诊疗率", "70.4"),)).to_html()
    assert html.count("<th scope='col'") == 2
    assert "<td class='al-left'>基层诊疗率</td>" in html


def test_table_links_render_as_anchors_and_refuse_schemes():
    table = Table(columns=("a", "b"), rows=(("x", "y"),), links=((0, 1, "county_990101_zh.html"),))
    assert "<a href='county_990101_zh.html'>y</a>" in table.to_html()
    for bad in ("javascript:alert(1)", "../x.html", "https://evil.example/x", "a b.html", ""):
        with pytest.raises(ValueError):
            Table(columns=("a",), rows=(("x",),), links=((0, 0, bad),))
    with pytest.raises(ValueError, match="outside"):
        Table(columns=("a",), rows=(("x",),), links=((1, 0, "ok.html"),))
