"""The 永泰 figures of domain.md §5, entered as indicator-level data, appear in the rendered report.

The results JSON carries them exactly; the HTML shows them as the report formats them (percent
with one decimal, money with two).
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from ylt_eval.cli import main
from ylt_eval.metrics.catalogue import indicator

YONGTAI = Path(__file__).parent / "data" / "yongtai_long.csv"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("yongtai") / "out"
    argv = ["render", str(YONGTAI), "--year", "2021", "--county", "350125", "--out", str(out)]
    assert main([*argv, "--format", "html", "--jobs", "1"]) == 0
    return out


def _figures():
    with YONGTAI.open(encoding="utf-8") as handle:
        return [(r["indicator"], int(r["year"]), float(r["value"])) for r in csv.DictReader(handle)]


def test_every_yongtai_figure_is_in_the_results_exactly(rendered):
    results = json.loads((rendered / "county_350125_zh.json").read_text(encoding="utf-8"))
    shown = {(v["indicator"], v["year"], v["value"]) for v in results["values"]}
    missing = [figure for figure in _figures() if figure not in shown]
    assert missing == []


def test_every_yongtai_figure_is_in_the_html(rendered):
    html = (rendered / "county_350125_zh.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", " ", html)
    assert "永泰县" in text
    for code, year, value in _figures():
        formatted = f"{value:,.1f}" if indicator(code).unit_en == "%" else f"{value:,.2f}"
        assert formatted in text, (code, year, formatted)


def test_no_composite_score_without_peers(rendered):
    results = json.loads((rendered / "county_350125_zh.json").read_text(encoding="utf-8"))
    summary = {v["measure"]: v["value"] for v in results["values"] if v["section"] == "summary"}
    assert "score" not in summary and "rank" not in summary  # a single county is not ranked
