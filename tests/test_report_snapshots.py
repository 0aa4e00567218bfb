"""Snapshot tests of small rendered tables: the exact HTML of a few report tables.

A deliberate change of wording or formatting updates the snapshots with
``YLT_UPDATE_SNAPSHOTS=1 pytest tests/test_report_snapshots.py`` (then review the diff).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ylt_eval.analysis.county import analyse_county
from ylt_eval.analysis.inputs import load_assessment_data
from ylt_eval.analysis.province import analyse_province
from ylt_eval.report.county_sections import CountyReport
from ylt_eval.report.elements import Section, Table
from ylt_eval.report.parameters import county_parameters, province_parameters
from ylt_eval.report.province_sections import ProvinceReport

SNAPSHOTS = Path(__file__).parent / "data" / "snapshots" / "report_tables.json"


@pytest.fixture(scope="module")
def rendered(demo_panel_path) -> dict[str, str]:
    data = load_assessment_data(demo_panel_path)
    tables: dict[str, str] = {}
    for lang in ("zh", "en"):
        params = county_parameters(
            {"county_code": "990126", "year": 2024, "data_path": demo_panel_path, "lang": lang}
        )
        report = CountyReport(analyse_county(params, data=data))
        tables[f"referrals_{lang}"] = _first_table(report.referrals())
        tables[f"data_quality_withheld_{lang}"] = _first_table(report.data_quality())
        province = ProvinceReport(
            analyse_province(
                province_parameters(
                    {"province": "示范省", "year": 2024, "data_path": demo_panel_path, "lang": lang}
                ),
                data=data,
            )
        )
        tables[f"grade_counts_{lang}"] = _first_table(province.grades())
    return tables


def _first_table(section: Section) -> str:
    for child in section.children:
        if isinstance(child, Table):
            return child.to_html()
        if isinstance(child, Section):
            return _first_table(child)
    raise AssertionError("the section has no table")


def test_small_tables_match_their_snapshots(rendered):
    if os.environ.get("YLT_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOTS.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(rendered, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        SNAPSHOTS.write_text(text, encoding="utf-8")
    expected = json.loads(SNAPSHOTS.read_text(encoding="utf-8"))
    assert sorted(expected) == sorted(rendered)
    for name, html in rendered.items():
        assert html == expected[name], name
