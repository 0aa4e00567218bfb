"""Executive summary findings and the data-quality section, on hand-built data with known
answers."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from tests.test_assessment_sections import CODES, _analysis, _input, _leaves, _province_rows
from ylt_eval.report.county_sections import CountyReport
from ylt_eval.validation.report import ValidationIssue


@pytest.fixture(scope="module")
def five(tmp_path_factory):
    return _input(_province_rows(), tmp_path_factory.mktemp("five") / "five.csv")


def _findings(analysis) -> dict:
    return {finding.kind: finding for finding in analysis.summary.findings}


def test_findings_of_a_county_that_improved(five):
    # A: visits 68 -> 70 (target >= 65 met), drug share 31 -> 30 (lower is better). 2024
    # spreads: visits 40/50/60/66/70 -> IQR 16; drugs 20/25/30/35/40 -> IQR 10. Standardised
    # changes: visits 2/16 = 0.125 beats drugs 1/10 = 0.1; nothing got worse.
    analysis = _analysis(five, CODES["A"])
    summary = analysis.summary
    assert (summary.n_met, summary.n_not_met) == (1, 0)
    findings = _findings(analysis)
    assert list(findings) == ["targets", "improved", "peers"]
    improved = findings["improved"]
    assert improved.indicators == ("primary_visit_share",)
    assert improved.value("standardised_change") == pytest.approx(0.125)
    assert improved.value("scale") == "province_iqr"
    peers = findings["peers"]  # visits rank 1 of 5, drugs rank 3 of 5
    assert peers.indicators == ("primary_visit_share", "drug_share_county")
    texts = next(
        leaf["items"]
        for leaf in _leaves(CountyReport(analysis), ("summary",))
        if leaf["kind"] == "list"
    )
    assert texts[0] == "目标达成：有目标的 1 项指标全部达标。"
    assert "由 68.0% 变为 70.0%（+2.0个百分点）" in texts[1]
    assert "第 1 / 5 名" in texts[2] and "第 3 / 5 名" in texts[2]


def test_findings_of_a_county_that_deteriorated(five):
    # C: visits 52 -> 50 (-2/16 = -0.125), drugs 38 -> 40 (-2/10 = -0.2): drugs worst.
    analysis = _analysis(five, CODES["C"], lang="en")
    findings = _findings(analysis)
    assert list(findings) == ["targets", "deteriorated", "peers"]
    assert findings["deteriorated"].indicators == ("drug_share_county",)
    assert findings["deteriorated"].value("standardised_change") == pytest.approx(-0.2)
    assert findings["targets"].indicators == ("primary_visit_share",)
    items = next(
        leaf for leaf in _leaves(CountyReport(analysis), ("summary",)) if leaf["kind"] == "list"
    )["items"]
    assert items[0].startswith("Targets: 0 met, 1 missed, including Primary-care share")
    assert "from 38.0% to 40.0% (+2.0 percentage points), 0.20 times" in items[1]


def test_without_peers_changes_are_compared_relative_to_last_year(tmp_path):
    # Two counties: no spread, so relative change decides: drugs 1/31 = 3.2 % > visits 2/68.
    analysis = _analysis(_input(_province_rows("AB"), tmp_path / "ab.csv"), CODES["A"])
    findings = _findings(analysis)
    assert findings["improved"].indicators == ("drug_share_county",)
    assert findings["improved"].value("scale") == "previous_value"
    assert findings["improved"].value("standardised_change") == pytest.approx(1 / 31)
    assert "peers" not in findings and analysis.summary.grade is None
    texts = [leaf.get("text", "") for leaf in _leaves(CountyReport(analysis), ("summary",))]
    assert "综合等级：无（综合得分排名需要同省至少 3 个县的数据）。" in texts


def _issue(county_code, row, message):
    return ValidationIssue(
        severity="warning",
        file="five.csv",
        sheet=None,
        row=row,
        column="value",
        value="1",
        rule="value.range",
        message_zh=f"中文：{message}",
        message_en=message,
        county_code=county_code,
    )


def test_data_quality_lists_the_county_issues_missing_values_and_disagreements(tmp_path):
    a, b = CODES["A"], CODES["B"]
    extra = [(a, "A县", "测试省", 2024, "avg_pay_county", 11.25)]
    base = _input(_province_rows() + extra, tmp_path / "dq.csv")
    disagreements = pd.DataFrame(
        {
            "county_code": [b, a],
            "year": [2024, 2024],
            "indicator": ["primary_visit_share", "drug_share_county"],
            "computed": [60.0, 30.0],
            "supplied": [61.5, 29.0],
        }
    )
    issues = (_issue(b, 7, "for B"), _issue(a, 3, "for A"), _issue(None, None, "whole file"))
    data = replace(base.data, disagreements=disagreements, issues=issues)
    analysis = _analysis(base._replace(data=data), b, lang="en")
    quality = analysis.data_quality
    assert list(quality.issues["message_en"]) == ["for B", "whole file"]
    assert quality.missing[["indicator", "reason"]].values.tolist() == [
        ["avg_pay_county", "not_supplied"]
    ]
    assert quality.disagreements[["indicator", "computed", "supplied"]].values.tolist() == [
        ["primary_visit_share", 60.0, 61.5]
    ]
    assert not quality.disclosure_checked and quality.withheld.empty
    leaves = _leaves(CountyReport(analysis), ("data_quality",))
    tables = [leaf for leaf in leaves if leaf["kind"] == "table"]
    assert tables[0]["rows"] == (("7", "value", "for B"), ("—", "value", "whole file"))
    assert tables[1]["rows"] == (
        ("Finance and pay", "Average annual pay of staff, county level", "not supplied", "—"),
    )
    assert tables[2]["rows"] == (
        ("2024", "Primary-care share of in-county visits", "61.5%", "60.0%"),
    )
    texts = [leaf.get("text", "") for leaf in leaves]
    assert (
        "2 validation warning(s); 1 indicator(s) missing this year; 1 disagreement(s)"
        in " ".join(texts)
    )
    assert analysis.summary is not None  # the summary counts these notes
    summary_texts = " ".join(
        leaf.get("text", "") for leaf in _leaves(CountyReport(analysis), ("summary",))
    )
    assert "4 data-quality note(s)" in summary_texts


def test_withheld_cells_appear_as_missing_with_their_reason(demo_panel_path):
    from ylt_eval.analysis.county import analyse_county
    from ylt_eval.report.parameters import county_parameters

    params = county_parameters(
        {"county_code": "990122", "year": 2024, "data_path": demo_panel_path}
    )
    analysis = analyse_county(params)
    quality = analysis.data_quality
    # The demo county's 2024 maternal deaths are a small count: withheld, listed as missing.
    assert quality.missing[["indicator", "reason", "last_year"]].values.tolist() == [
        ["maternal_mortality", "withheld", 2023]
    ]
    assert 2024 in set(quality.withheld["year"]) and quality.disclosure_checked
