"""Analysis → report sections without a kernel: content, edge cases, languages."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from ylt_eval.analysis.county import analyse_county
from ylt_eval.analysis.inputs import load_assessment_data
from ylt_eval.analysis.province import analyse_province
from ylt_eval.report.county_sections import SECTIONS, CountyReport
from ylt_eval.report.elements import iter_elements
from ylt_eval.report.parameters import county_parameters, province_parameters
from ylt_eval.report.province_sections import ProvinceReport

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

YONGTAI = [  # domain.md §5, seed 002
    ("primary_visit_share", 2017, 35.85),
    ("primary_visit_share", 2021, 70.36),
    ("drug_share_county", 2018, 35.98),
    ("drug_share_county", 2020, 32.63),
    ("drug_share_township", 2018, 78.10),
    ("drug_share_township", 2020, 53.68),
    ("avg_pay_county", 2018, 9.28),
    ("avg_pay_county", 2020, 12.79),
]


@pytest.fixture(scope="module")
def demo_data(demo_panel_path):
    return load_assessment_data(demo_panel_path)


def _leaves(report, methods):
    leaves = []
    for method in methods:
        leaves.extend(iter_elements(getattr(report, method)().to_json()))
    return leaves


def _texts(leaves, skip=()):
    out = []
    for leaf in leaves:
        for key, value in leaf.items():
            if key in {"svg", "kind", "style", "align", "lang"}:
                continue
            if isinstance(value, str):
                out.append(value)
            elif isinstance(value, list | tuple):
                out.extend(
                    str(v)
                    for row in value
                    for v in (row if isinstance(row, list | tuple) else [row])
                )
    return [text for text in out if text not in skip]


def test_demo_county_report_has_every_section_filled(demo_panel_path, demo_data):
    params = county_parameters(
        {"county_code": "990126", "year": 2024, "data_path": demo_panel_path}
    )
    analysis = analyse_county(params, data=demo_data)
    assert len(analysis.headline) == 14
    assert analysis.impact is not None and analysis.impact_unavailable is None
    assert analysis.n_peers == 80
    leaves = _leaves(CountyReport(analysis), SECTIONS)
    kinds = [leaf["kind"] for leaf in leaves]
    assert kinds[0] == "document"
    assert analysis.counterfactual is not None and analysis.bacon is not None
    # trends + event study + the county's own synthetic-DiD path and placebo charts + the
    # quality-and-health position chart
    assert kinds.count("figure") == len(analysis.trends) + 4
    assert all(leaf["rows"] for leaf in leaves if leaf["kind"] == "table")
    assert all(leaf["alt"] for leaf in leaves if leaf["kind"] == "figure")
    headline = next(
        leaf for leaf in leaves if leaf["kind"] == "table" and "期望方向" in leaf["columns"]
    )
    ranks = [row[6] for row in headline["rows"]]
    assert all(re.fullmatch(r"\d+ / 80|—", rank) for rank in ranks)
    assert leaves[0]["banner"].startswith("示例数据（合成）")


def test_english_report_has_no_chinese_apart_from_names(demo_panel_path, demo_data):
    params = county_parameters(
        {"county_code": "990126", "year": 2024, "data_path": demo_panel_path, "lang": "en"}
    )
    analysis = analyse_county(params, data=demo_data)
    county = analysis.county
    names = {county.name, county.province, county.consortium_name}
    names |= set(analysis.data.counties["county_name"].dropna())  # donor counties are named
    leaves = _leaves(CountyReport(analysis), SECTIONS)
    banner = leaves[0]["banner"]
    texts = [t.replace("示例数据（合成）", "") for t in _texts(leaves, skip={banner})]
    for name in sorted(names, key=len, reverse=True):  # 云岫县总医院 before 云岫县
        texts = [t.replace(name, "") for t in texts]
    offending = [t for t in texts if CJK.search(t)]
    assert offending == []


def test_indicator_level_only_county_without_peers_still_gets_a_report(tmp_path):
    lines = ["county_code,county_name,year,indicator,value"]
    lines += [f"350125,永泰县,{year},{code},{value}" for code, year, value in YONGTAI]
    path = tmp_path / "yongtai.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    params = county_parameters({"county_code": "350125", "year": 2020, "data_path": path})
    analysis = analyse_county(params)
    assert analysis.impact is None and analysis.impact_unavailable.reason == "no_province"
    for code, year, value in YONGTAI:
        if year <= 2020:
            assert analysis.history.loc[code, year] == pytest.approx(value, abs=1e-12)
    assert analysis.headline["rank"].isna().all()
    assert analysis.headline["peer_median"].isna().all()
    leaves = _leaves(CountyReport(analysis), SECTIONS)
    history = next(x for x in leaves if x["kind"] == "table" and x["caption"] == "核心指标历年数值")
    flat = [cell for row in history["rows"] for cell in row]
    assert {"35.9", "36.0", "32.6", "78.1", "53.7", "9.28", "12.79"} <= set(flat)
    warnings = [x["text"] for x in leaves if x["kind"] == "paragraph" and x["style"] == "warning"]
    assert any("未注明省份" in text for text in warnings)  # impact: no comparison group


def test_province_summary_sections(demo_panel_path, demo_data):
    params = province_parameters(
        {
            "province": "示范省",
            "year": 2024,
            "data_path": demo_panel_path,
            "report_links": {"990126": "county_990126_zh.html"},
        }
    )
    analysis = analyse_province(params, data=demo_data)
    assert analysis.n_counties == 80
    assert list(analysis.ranking["rank"].head(3)) == [1, 2, 3]
    assert analysis.cohorts["n"].sum() == 80
    leaves = _leaves(
        ProvinceReport(analysis), ("cover", "rankings", "distribution", "impact", "methods")
    )
    ranking = next(x for x in leaves if x["kind"] == "table")
    assert len(ranking["rows"]) == 80
    ((row, column, href),) = ranking["links"]
    assert href == "county_990126_zh.html"
    assert ranking["rows"][row][2] == "990126" and ranking["rows"][row][column] == "查看报告"


def _notebook_calls(name: str) -> list[str]:
    import nbformat

    notebook = nbformat.read(Path(__file__).parent.parent / "notebooks" / name, as_version=4)
    calls = []
    for cell in notebook.cells:
        calls += re.findall(r"^report\.(\w+)\(\)", cell.source, flags=re.MULTILINE)
    return calls


def test_notebooks_call_every_section_in_report_order():
    from ylt_eval.report import province_sections

    assert _notebook_calls("county_report.ipynb") == [*SECTIONS, "results"]
    assert _notebook_calls("province_summary.ipynb") == [*province_sections.SECTIONS, "results"]
    # Item 1 of the report standard: this order, whatever the county.
    assert SECTIONS == (
        "cover",
        "summary",
        "integration",
        "scorecard",
        "referrals",
        "finance",
        "outcomes",
        "impact",
        "data_quality",
        "methods",
    )


def test_headings_are_in_order_with_unique_anchors(demo_panel_path, demo_data):
    params = county_parameters(
        {"county_code": "990122", "year": 2024, "data_path": demo_panel_path}
    )
    leaves = _leaves(CountyReport(analyse_county(params, data=demo_data)), SECTIONS)
    levels = [1] + [leaf["level"] for leaf in leaves if leaf["kind"] == "heading"]
    assert all(after <= before + 1 for before, after in itertools.pairwise(levels))
    anchors = [leaf["anchor"] for leaf in leaves if leaf["kind"] == "heading"]
    assert all(anchors) and len(anchors) == len(set(anchors))
    titles = [leaf["text"] for leaf in leaves if leaf["kind"] == "heading" and leaf["level"] == 2]
    assert titles == [
        "执行摘要",
        "紧密型建设评价",
        "指标评估记分卡",
        "双向转诊",
        "收入结构与薪酬",
        "质量与健康结果",
        "改革效果评估（全省双重差分）",
        "数据质量",
        "方法与来源附录",
    ]


def test_status_is_shown_by_word_and_symbol_not_colour(demo_panel_path, demo_data):
    params = county_parameters(
        {"county_code": "990126", "year": 2024, "data_path": demo_panel_path, "lang": "en"}
    )
    leaves = _leaves(CountyReport(analyse_county(params, data=demo_data)), ("scorecard",))
    cells = {
        row[list(leaf["columns"]).index("Target met")]
        for leaf in leaves
        if leaf["kind"] == "table" and "Target met" in leaf["columns"]
        for row in leaf["rows"]
    }
    assert {"✓ met", "× not met"} <= cells


def test_english_province_summary_has_no_chinese_apart_from_names(demo_panel_path, demo_data):
    from ylt_eval.report.province_sections import SECTIONS as PROVINCE_SECTIONS

    params = province_parameters(
        {"province": "示范省", "year": 2024, "data_path": demo_panel_path, "lang": "en"}
    )
    analysis = analyse_province(params, data=demo_data)
    names = set(analysis.data.counties["county_name"].dropna()) | {"示范省"}
    leaves = _leaves(ProvinceReport(analysis), PROVINCE_SECTIONS)
    banner = leaves[0]["banner"]
    texts = [t.replace("示例数据（合成）", "") for t in _texts(leaves, skip={banner})]
    for name in sorted(names, key=len, reverse=True):
        texts = [t.replace(name, "") for t in texts]
    assert [t for t in texts if CJK.search(t)] == []


def test_province_lists_counties_with_warnings_with_links(demo_panel_path, demo_data):
    params = province_parameters(
        {
            "province": "示范省",
            "year": 2024,
            "data_path": demo_panel_path,
            "report_links": {"990126": "county_990126_zh.html"},
        }
    )
    analysis = analyse_province(params, data=demo_data)
    warned = analysis.warnings.set_index("county_code")
    # The same warnings as the county report lists: 17 in 2024, 9 missed targets, 8 wrong-way.
    county = analyse_county(
        county_parameters({"county_code": "990126", "year": 2024, "data_path": demo_panel_path}),
        data=demo_data,
    )
    rules = county.assessment.warnings["rule"].value_counts()
    assert warned.loc["990126", "n_warnings"] == len(county.assessment.warnings) == 17
    assert warned.loc["990126", "target_missed"] == rules["target_missed"] == 9
    assert warned.loc["990126", "wrong_way"] == rules["wrong_way"] == 8
    assert list(analysis.warnings["n_warnings"]) == sorted(analysis.warnings["n_warnings"])[::-1]
    assert analysis.grade_counts.set_index("grade")["n"].to_dict() == {
        "优": 20,
        "良": 20,
        "中": 20,
        "差": 20,
        "": 0,
    }
    leaves = _leaves(ProvinceReport(analysis), ("county_warnings",))
    table = next(leaf for leaf in leaves if leaf["kind"] == "table")
    ((row, _column, href),) = table["links"]
    assert table["rows"][row][1] == "990126" and href == "county_990126_zh.html"
    assert table["rows"][row][2:6] == ("17", "9", "8", "0")
