"""Indicator assessment in the reports: scorecard, referrals, finance, warnings, integration,
composite ranking and grade distribution, on hand-built data with known answers."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pytest

from ylt_eval.analysis.county import analyse_county
from ylt_eval.analysis.inputs import AssessmentData
from ylt_eval.analysis.province import analyse_province
from ylt_eval.report.county_sections import CountyReport
from ylt_eval.report.elements import iter_elements
from ylt_eval.report.parameters import county_parameters, province_parameters
from ylt_eval.report.province_sections import ProvinceReport

YONGTAI = Path(__file__).parent / "data" / "yongtai_long.csv"
NEW_SECTIONS = ("scorecard", "referrals", "finance", "warnings", "integration")

# Five counties of one province. 2024 primary-care visit share (target >= 65 %, up is better):
# A 70, B 60, C 50, D 40, E 66; county drug share (down is better): A 30, B 20, C 40, D 35, E 25.
VISITS = {
    "A": (68.0, 70.0),
    "B": (61.0, 60.0),
    "C": (52.0, 50.0),
    "D": (41.0, 40.0),
    "E": (60.0, 66.0),
}
DRUGS = {
    "A": (31.0, 30.0),
    "B": (22.0, 20.0),
    "C": (38.0, 40.0),
    "D": (36.0, 35.0),
    "E": (26.0, 25.0),
}
CODES = {name: f"3501{index:02d}" for index, name in enumerate("ABCDE", start=1)}


def _province_rows(names: str = "ABCDE") -> list[tuple]:
    rows = []
    for name in names:
        code = CODES[name]
        for offset, year in enumerate((2023, 2024)):
            rows.append(
                (code, f"{name}县", "测试省", year, "primary_visit_share", VISITS[name][offset])
            )
            rows.append(
                (code, f"{name}县", "测试省", year, "drug_share_county", DRUGS[name][offset])
            )
    return rows


class Input(NamedTuple):
    """Hand-built validated input and the file name the parameters point to."""

    data: AssessmentData
    path: Path


def _input(rows: list[tuple], path: Path) -> Input:
    """Validated input as a batch run hands it over (indicator-level files carry no province,
    so a province with peers is built this way)."""
    columns = ["county_code", "county_name", "province", "year", "indicator", "value"]
    indicators = pd.DataFrame(rows, columns=columns).astype({"value": float})
    indicators["source"] = "supplied"
    counties = indicators.drop_duplicates("county_code")[["county_code", "county_name", "province"]]
    counties = counties.assign(reform_year=np.nan, consortium_name="").reset_index(drop=True)
    path.write_text("county_code\n", encoding="utf-8")  # parameters need an existing file
    data = AssessmentData(
        panel=None,
        indicators=indicators,
        counties=counties,
        disagreements=pd.DataFrame(),
        warnings=(),
        source_name=path.name,
        sha256="0" * 64,
    )
    return Input(data, path)


@pytest.fixture(scope="module")
def province_input(tmp_path_factory) -> Input:
    a = CODES["A"]
    extra = [
        (a, "A县", "测试省", 2023, "referrals_up", 100),
        (a, "A县", "测试省", 2024, "referrals_up", 120),
        (a, "A县", "测试省", 2024, "referrals_up_growth", 20),
        (a, "A县", "测试省", 2023, "referrals_down", 40),
        (a, "A县", "测试省", 2024, "referrals_down", 46),
        (a, "A县", "测试省", 2024, "referrals_down_growth", 15),
        (a, "A县", "测试省", 2022, "avg_pay_county", 10.5),
        (a, "A县", "测试省", 2024, "avg_pay_county", 11.25),
        (a, "A县", "测试省", 2024, "avg_pay_township", 8.5),
    ]
    path = tmp_path_factory.mktemp("province") / "province.csv"
    return _input(_province_rows() + extra, path)


@pytest.fixture(scope="module")
def plain_input(tmp_path_factory) -> Input:
    """Only the two indicators every county has (the composite known answers use these)."""
    return _input(_province_rows(), tmp_path_factory.mktemp("plain") / "plain.csv")


def _leaves(report, methods):
    return [leaf for m in methods for leaf in iter_elements(getattr(report, m)().to_json())]


def _analysis(source: Input | Path, code: str, year: int = 2024, **extra):
    path = source.path if isinstance(source, Input) else source
    params = county_parameters({"county_code": code, "year": year, "data_path": path, **extra})
    return analyse_county(params, data=source.data if isinstance(source, Input) else None)


def _province(source: Input):
    params = province_parameters({"province": "测试省", "year": 2024, "data_path": source.path})
    return analyse_province(params, data=source.data)


def test_scorecard_row_has_known_values(province_input):
    card = _analysis(province_input, CODES["A"]).assessment.scorecard.set_index("indicator")
    visits = card.loc["primary_visit_share"]
    assert visits["dimension"] == "division"
    assert (visits["value"], visits["previous"], visits["change"]) == (70.0, 68.0, 2.0)
    assert visits["status"] == "met" and visits["target_text_zh"] == "不低于65%"
    assert (visits["rank"], visits["n_ranked"], visits["grade"]) == (1, 5, "优")
    assert visits["peer_median"] == pytest.approx(55.0)  # median of B–E: 60, 50, 40, 66
    drugs = card.loc["drug_share_county"]
    # Lower is better: B 20 < E 25 < A 30, so A is third of five (3 <= 0.75 * 5: 中).
    assert (drugs["rank"], drugs["grade"], drugs["status"]) == (3, "中", "no_target")


def test_scorecard_section_cells_and_dimension_tables(province_input):
    report = CountyReport(_analysis(province_input, CODES["B"]))
    leaves = _leaves(report, ("scorecard",))
    headings = [leaf["text"] for leaf in leaves if leaf["kind"] == "heading"]
    assert headings[:1] == ["指标评估记分卡"]
    assert {"促分工", "财务与薪酬"} <= set(headings)
    dimension_tables = [x for x in leaves if x["kind"] == "table" and "达标情况" in x["columns"]]
    rows = [row for leaf in dimension_tables for row in leaf["rows"]]
    visits = next(row for row in rows if row[0].startswith("县域内基层医疗卫生机构诊疗人次数占比"))
    # B: 60 against 61, rank 3 of 5 (中), other counties' median of 70, 50, 40, 66 is 58.
    assert tuple(visits[1:]) == (
        "60.0",
        "61.0",
        "-1.0",
        "不低于65%",
        "× 未达标",
        "中",
        "3 / 5",
        "58.0",
    )
    texts = " ".join(leaf.get("text", "") for leaf in leaves)
    assert "在有目标的 1 项指标中，0 项达标，1 项未达标" in texts


def test_composite_known_answer_in_county_and_province(plain_input, province_input):
    # Min–max scores (best 1): visits (x − 40) / 30, drugs (40 − x) / 20; equal weights.
    expected = {
        "A": (1 + 0.5) / 2,
        "B": (2 / 3 + 1) / 2,
        "C": (1 / 3 + 0) / 2,
        "D": (0 + 0.25) / 2,
        "E": (26 / 30 + 0.75) / 2,
    }
    order = sorted(expected, key=lambda name: -expected[name])  # B, E, A, C, D
    analysis = _province(plain_input)
    table = analysis.composite
    assert list(table["county_code"]) == [CODES[name] for name in order]
    assert np.allclose(table["score_equal"], [100 * expected[name] for name in order])
    assert list(table["rank_equal"]) == [1, 2, 3, 4, 5]
    # In the fuller file A alone also has referral growth and pay (4 more indicators, each
    # scored 1 as the only value), so B–E cover 2 of 6 equal weights (< 0.5) and get no score:
    # A's score is shown without a rank, since one scored county is no ranking.
    equal = next(r for r in _analysis(province_input, CODES["A"]).assessment.composite)
    assert equal.score == pytest.approx(100 * (1 + 0.5 + 4) / 6)
    assert (equal.rank, equal.n_ranked, equal.n_indicators) == (None, 0, 6)


def test_entropy_weights_follow_the_definition(plain_input):
    analysis = _province(plain_input)
    scores = np.array(
        [[(VISITS[n][1] - 40) / 30, (40 - DRUGS[n][1]) / 20] for n in "ABCDE"], dtype=float
    )
    share = scores / scores.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(share > 0, share * np.log(share), 0.0)
    divergence = 1 + plogp.sum(axis=0) / np.log(5)
    weights = divergence / divergence.sum()
    grades = analysis.grades.set_index("indicator")
    assert grades.loc["primary_visit_share", "entropy_weight"] == pytest.approx(weights[0])
    assert grades.loc["drug_share_county", "entropy_weight"] == pytest.approx(weights[1])
    entropy = {CODES[n]: 100 * scores[i] @ weights for i, n in enumerate("ABCDE")}
    table = analysis.composite.set_index("county_code")
    for code, value in entropy.items():
        assert table.loc[code, "score_entropy"] == pytest.approx(value)


def test_grade_distribution_and_target_counts(plain_input):
    analysis = _province(plain_input)
    grades = analysis.grades.set_index("indicator")
    visits = grades.loc["primary_visit_share"]
    # Ranks 1..5 with cutoffs 1.25 / 2.5 / 3.75: one 优, one 良, one 中, two 差.
    assert [visits[g] for g in ("优", "良", "中", "差")] == [1, 1, 1, 2]
    assert (visits["met"], visits["not_met"]) == (2, 3)  # A 70 and E 66 reach 65
    assert grades["met"].isna()["drug_share_county"]  # no target: no counts
    leaves = _leaves(ProvinceReport(analysis), ("composite", "grades"))
    kinds = [leaf["kind"] for leaf in leaves]
    assert kinds.count("figure") == 1  # the attainment chart
    row = next(
        row
        for leaf in leaves
        if leaf["kind"] == "table" and leaf["columns"][0] == "指标"
        for row in leaf["rows"]
        if row[0].startswith("县域内基层")
    )
    assert tuple(row[1:8]) == ("5", "1", "1", "1", "2", "2", "3")


def test_referrals_growth_against_targets(province_input):
    analysis = _analysis(province_input, CODES["A"])
    referrals = analysis.assessment.referrals.set_index("direction")
    assert referrals.loc["up", "count"] == 120 and referrals.loc["up", "previous_count"] == 100
    assert referrals.loc["up", "status"] == "not_met"  # 20 % against at most 10 %
    assert referrals.loc["down", "status"] == "met"  # 15 % against at least 10 %
    table = next(
        leaf for leaf in _leaves(CountyReport(analysis), ("referrals",)) if leaf["kind"] == "table"
    )
    assert table["rows"][0] == (
        "上转",
        "120",
        "100",
        "+20.0",
        "同比增幅不高于10%",
        "× 未达标",
        "—",
        "—",
    )
    assert table["rows"][1][:6] == ("下转", "46", "40", "+15.0", "同比增幅不低于10%", "✓ 达标")


def test_finance_by_level_and_warnings(province_input):
    analysis = _analysis(province_input, CODES["A"])
    leaves = _leaves(CountyReport(analysis), ("finance", "warnings"))
    by_level = next(leaf for leaf in leaves if leaf["kind"] == "table")
    assert by_level["columns"] == ("指标", "层级", "2022", "2023", "2024", "全省中位数（2024年）")
    assert ("药占比（%）", "县级", "—", "31.0", "30.0", "30.0") in by_level["rows"]
    assert ("医务人员平均年薪（万元）", "县级", "10.50", "—", "11.25", "—") in by_level["rows"]
    warning_rows = [leaf for leaf in leaves if leaf["kind"] == "table"][-1]["rows"]
    assert warning_rows[0][:2] == ("未达目标", "上转人次增长率")
    assert "20.0%" in warning_rows[0][2] and "不高于10%" in warning_rows[0][2]


def test_two_counties_are_too_few_for_peer_statistics(tmp_path):
    analysis = _analysis(_input(_province_rows("AB"), tmp_path / "two.csv"), CODES["A"])
    card = analysis.assessment.scorecard
    assert card["rank"].isna().all() and card["peer_median"].isna().all()
    assert card["grade"].isna().all()
    leaves = _leaves(CountyReport(analysis), NEW_SECTIONS)
    texts = [leaf.get("text", "") for leaf in leaves]
    assert any("同省有数据的县只有 2 个（少于 3 个）" in text for text in texts)
    assert any("综合得分排名需要同省至少 3 个县" in text for text in texts)
    assert any("“远离同伴”预警需要同省至少 5 个县" in text for text in texts)
    finance = next(leaf for leaf in leaves if leaf["kind"] == "table" and "层级" in leaf["columns"])
    assert not any("全省中位数" in column for column in finance["columns"])


def test_yongtai_without_peers_gets_every_section_with_its_figures():
    analysis = _analysis(YONGTAI, "350125", year=2021)
    assert analysis.n_peers == 1
    report = CountyReport(analysis)
    leaves = _leaves(report, ("cover", "headline", "trends", *NEW_SECTIONS, "impact", "methods"))
    cells = {
        cell for leaf in leaves if leaf["kind"] == "table" for row in leaf["rows"] for cell in row
    }
    figures = {
        "35.9", "70.4",  # primary-care visit share 2017 and 2021 (one decimal for %)
        "1,652.47", "1,550.62", "1,503.54", "1,215.81",  # out-of-pocket per discharge, yuan
        "25.6", "32.4", "12.6", "27.1",  # medical-service revenue share, county and township
        "36.0", "32.6", "78.1", "53.7",  # drug share
        "9.28", "12.79", "7.90", "8.81",  # average pay, 10k yuan
    }  # fmt: skip
    assert figures <= cells
    texts = " ".join(leaf.get("text", "") for leaf in leaves)
    assert "未提供紧密型医共体建设评价清单" in texts and "ylt-eval template --checklist" in texts
    assert "本县2021年没有转诊数据" in texts
    english = CountyReport(_analysis(YONGTAI, "350125", year=2021, lang="en"))
    texts_en = " ".join(leaf.get("text", "") for leaf in _leaves(english, NEW_SECTIONS))
    assert "No integration checklist was supplied" in texts_en


def test_integration_checklist_scores_and_feeds_the_scorecard(province_input, tmp_path):
    checklist = tmp_path / "checklist.csv"
    a = CODES["A"]
    checklist.write_text(
        "county_code,year,item,status,evidence\n"
        f"{a},2024,unified_resource_management,有制度且已落实,2024年人财物统一管理办法\n"
        f"{a},2024,democratic_decision_making,有制度未落实,\n",
        encoding="utf-8",
    )
    analysis = _analysis(province_input, a, checklist_path=str(checklist))
    overall = analysis.integration.overall
    # 23 items, weights sum to 23; met item weighs 2 (2 points), partial item weighs 2 (1 point).
    assert overall["score"] == pytest.approx(100 * 3 / 23)
    assert (overall["n_met"], overall["n_partial"], overall["n_missing"]) == (1, 1, 21)
    communities = analysis.integration.communities.set_index("community")["score"]
    assert communities["management"] == pytest.approx(100 * 2 / 6)
    assert communities["responsibility"] == pytest.approx(100 * 1 / 6)
    card = analysis.assessment.scorecard.set_index("indicator")
    assert card.loc["unified_resource_management", "value"] == 1.0
    assert card.loc["democratic_decision_making", "value"] == 0.0
    leaves = _leaves(CountyReport(analysis), ("scorecard", "integration"))
    rows = [row for leaf in leaves if leaf["kind"] == "table" for row in leaf["rows"]]
    assert next(r for r in rows if r[0] == "资源统一管理")[:2] == ("资源统一管理", "✓ 达标")
    texts = " ".join(leaf.get("text", "") for leaf in leaves)
    assert "总分 13.0 分" in texts and "checklist.csv" in texts
    assert any(r[0] == "资源统一管理" and r[-1] == "2024年人财物统一管理办法" for r in rows)


def test_checklist_without_rows_for_the_county(province_input, tmp_path):
    checklist = tmp_path / "other.csv"
    checklist.write_text(
        "county_code,year,item,status\n350199,2024,unified_finance,met\n", encoding="utf-8"
    )
    analysis = _analysis(province_input, CODES["A"], checklist_path=checklist)
    assert analysis.integration.empty_reason == "no_records"
    texts = [leaf.get("text", "") for leaf in _leaves(CountyReport(analysis), ("integration",))]
    assert any("other.csv 中没有本县2024年的记录" in text for text in texts)
