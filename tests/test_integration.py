"""Tests of ylt_eval.metrics.integration: the checklist definition, status wording, scoring by
hand, the template round trip and input validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from ylt_eval.errors import DataValidationError, ParameterError
from ylt_eval.metrics.catalogue import catalogue
from ylt_eval.metrics.integration import (
    CHECKLIST_COLUMNS,
    COMMUNITY_COLUMNS,
    ITEM_COLUMNS,
    TEMPLATE_COLUMNS,
    ChecklistError,
    default_checklist,
    load_checklist,
    normalise_status,
    qualitative_indicator_values,
    read_checklist,
    score_integration,
    write_checklist_template,
)


def checklist_rows(statuses, county="350125", year=2023):
    return pd.DataFrame(
        [(county, year, item, status, f"证据 {item}") for item, status in statuses.items()],
        columns=list(CHECKLIST_COLUMNS),
    )


# ---------------------------------------------------------------------------------------------
# The packaged checklist
# ---------------------------------------------------------------------------------------------


def test_packaged_checklist_structure():
    checklist = default_checklist()
    assert [c.code for c in checklist.communities] == [
        "responsibility",
        "management",
        "service",
        "interest",
    ]
    assert [c.name_zh for c in checklist.communities] == [
        "责任共同体",
        "管理共同体",
        "服务共同体",
        "利益共同体",
    ]
    codes = [item.code for item in checklist.items]
    assert len(codes) == len(set(codes)) == 23
    # 3 national items × 2 + 15 items × 1 + 5 resource-sharing centres × 0.4 = 23.
    assert sum(item.weight for item in checklist.items) == pytest.approx(23.0)
    national = {item.code: item for item in checklist.items if item.catalogue_indicator}
    assert set(national) == {
        "unified_resource_management",
        "democratic_decision_making",
        "service_coordination",
    }
    qualitative = {i.code for i in catalogue() if i.kind == "qualitative"}
    assert {item.catalogue_indicator for item in national.values()} <= qualitative
    for code in (
        "single_legal_representative",
        "insurance_global_budget",
        "unified_information_system",
        "unified_drugs_supplies",
        "shared_ecg_centre",
        "shared_pathology_centre",
        "unified_performance_assessment",
    ):
        assert code in codes
    assert {item.community for item in checklist.items} == {
        "responsibility",
        "management",
        "service",
        "interest",
    }
    assert all(item.provenance in {"S", "C", "R"} and item.source for item in checklist.items)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("有制度且已落实", "met"),
        ("met", "met"),
        (" MET ", "met"),
        ("有制度未落实", "partial"),
        ("partial", "partial"),
        ("无", "not_met"),
        ("not_met", "not_met"),
        ("not met", "not_met"),
        ("未填报", "missing"),
        ("missing", "missing"),
        ("", "missing"),
        (None, "missing"),
        (float("nan"), "missing"),
    ],
)
def test_status_wording(raw, code):
    assert list(normalise_status([raw])) == [code]


def test_unknown_status_is_refused():
    with pytest.raises(DataValidationError, match="有制度且已落实"):
        normalise_status(["大概吧"])


# ---------------------------------------------------------------------------------------------
# Scoring by hand
# ---------------------------------------------------------------------------------------------


def test_scores_by_hand():
    statuses = {
        # management: weights 2, 1, 1, 1, 1 = 6
        "unified_resource_management": "有制度且已落实",  # 2 × 1
        "unified_personnel": "有制度未落实",  # 1 × 0.5
        "unified_finance": "无",  # 0
        "unified_information_system": "未填报",  # 0, missing
        "unified_drugs_supplies": "met",  # 1 × 1
        # responsibility: weights 2, 1, 1, 1, 1 = 6
        "democratic_decision_making": "partial",  # 2 × 0.5
        "single_legal_representative": "met",  # 1
        # service: 2 + 1 + 1 + 1 + 5 × 0.4 = 7
        "shared_ecg_centre": "met",  # 0.4
        "shared_imaging_centre": "met",  # 0.4
        # interest: 4 × 1 = 4
        "insurance_global_budget": "met",  # 1
        "pay_reform": "partial",  # 0.5
    }
    card = score_integration(checklist_rows(statuses))
    communities = card.communities.set_index("community")
    assert tuple(card.communities.columns) == COMMUNITY_COLUMNS
    assert communities.loc["management", "score"] == pytest.approx(100 * 3.5 / 6)  # 58.33
    assert communities.loc["responsibility", "score"] == pytest.approx(100 * 2 / 6)  # 33.33
    assert communities.loc["service", "score"] == pytest.approx(100 * 0.8 / 7)  # 11.43
    assert communities.loc["interest", "score"] == pytest.approx(100 * 1.5 / 4)  # 37.5
    management = communities.loc["management"]
    assert (management["n_items"], management["n_met"], management["n_partial"]) == (5, 2, 1)
    assert (management["n_not_met"], management["n_missing"]) == (1, 1)

    overall = card.overall.iloc[0]
    # Σ weight × points = 3.5 + 2 + 0.8 + 1.5 = 7.8 of a total weight of 23.
    assert overall["score"] == pytest.approx(100 * 7.8 / 23)
    assert overall["n_items"] == 23
    # 12 items were left out of the table, one was reported as 未填报.
    assert overall["n_missing"] == 13
    assert overall["score_management"] == pytest.approx(100 * 3.5 / 6)

    items = card.items
    assert tuple(items.columns) == ITEM_COLUMNS
    assert len(items) == 23
    row = items[items["item"] == "unified_personnel"].iloc[0]
    assert (row["status"], row["status_zh"], row["points"]) == ("partial", "有制度未落实", 0.5)
    assert row["evidence"] == "证据 unified_personnel"
    left_out = items[items["item"] == "unified_quality_management"].iloc[0]
    assert (left_out["status"], left_out["evidence"]) == ("missing", "")


def test_several_counties_and_years_and_chinese_item_names():
    frame = pd.concat(
        [
            checklist_rows({"资源统一管理": "met"}, county="350125", year=2022),
            checklist_rows({"unified_resource_management": "无"}, county="350125", year=2023),
            checklist_rows({"unified_finance": "met"}, county="350126", year=2023),
        ]
    )
    card = score_integration(frame)
    overall = card.overall.set_index(["county_code", "year"])["score"]
    assert overall[("350125", 2022)] == pytest.approx(100 * 2 / 23)
    assert overall[("350125", 2023)] == 0.0
    assert overall[("350126", 2023)] == pytest.approx(100 * 1 / 23)
    assert len(card.items) == 3 * 23


def test_qualitative_indicator_values():
    frame = checklist_rows(
        {
            "unified_resource_management": "met",
            "democratic_decision_making": "partial",
            "service_coordination": "未填报",
        }
    )
    values = qualitative_indicator_values(score_integration(frame))
    by_code = values.set_index("indicator")["value"]
    assert by_code["unified_resource_management"] == 1.0
    assert by_code["democratic_decision_making"] == 0.0  # rules without implementation
    assert np.isnan(by_code["service_coordination"])
    assert list(values.columns) == ["county_code", "year", "indicator", "value"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns="status"), "lacks column"),
        (lambda f: f.assign(item="unified_financ"), "did you mean 'unified_finance'"),
        (lambda f: f.assign(status="好"), "unknown checklist status"),
        (lambda f: pd.concat([f, f]), "twice"),
        (lambda f: f.assign(county_code=""), "without county_code"),
        (lambda f: f.assign(year="2023.5"), "whole year"),
    ],
)
def test_bad_checklists_are_refused(change, message):
    frame = checklist_rows({"unified_finance": "met"})
    with pytest.raises(DataValidationError, match=message):
        score_integration(change(frame))


def test_no_mutation_and_row_order_independence():
    frame = pd.concat(
        [
            checklist_rows({"unified_finance": "met", "pay_reform": "无"}, county="350125"),
            checklist_rows({"unified_personnel": "partial"}, county="350101", year=2022),
        ]
    ).reset_index(drop=True)
    before = frame.copy()
    first = score_integration(frame)
    pd.testing.assert_frame_equal(frame, before)
    second = score_integration(frame.iloc[::-1].reset_index(drop=True))
    for name in ("items", "communities", "overall"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(second, name))
    assert list(first.overall["county_code"]) == ["350101", "350125"]


# ---------------------------------------------------------------------------------------------
# Template and reading files
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_template_round_trip(tmp_path, suffix):
    path = write_checklist_template(
        tmp_path / f"checklist{suffix}", county_code="350125", year=2023
    )
    assert path.exists()
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left
    frame = read_checklist(path)
    assert tuple(frame.columns) == CHECKLIST_COLUMNS
    assert list(frame["item"]) == [item.code for item in default_checklist().items]
    assert set(frame["status"]) == {"未填报"}
    assert set(frame["county_code"]) == {"350125"}
    frame.loc[frame["item"] == "unified_finance", "status"] = "有制度且已落实"
    card = score_integration(frame)
    assert card.overall["score"].iloc[0] == pytest.approx(100 / 23)


def test_xlsx_template_has_headers_and_a_status_list(tmp_path):
    path = write_checklist_template(tmp_path / "checklist.xlsx")
    sheet = load_workbook(path).active
    assert [cell.value for cell in sheet[1]] == list(TEMPLATE_COLUMNS)
    validations = sheet.data_validations.dataValidation
    assert len(validations) == 1
    assert "有制度且已落实" in validations[0].formula1
    assert str(validations[0].sqref) == "D2:D24"


def test_csv_template_opens_in_spreadsheets(tmp_path):
    path = write_checklist_template(tmp_path / "checklist.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Chinese correctly
    assert "资源统一管理" in raw.decode("utf-8-sig")


def test_reading_chinese_headers(tmp_path):
    path = tmp_path / "filled.csv"
    path.write_text(
        "县级行政区划代码,年份,条目,落实情况,佐证材料\n"
        "350125,2023,unified_finance,有制度且已落实,财务中心文件\n"
        "350125,2023,信息系统统一,无,\n",
        encoding="utf-8",
    )
    frame = read_checklist(path)
    card = score_integration(frame)
    items = card.items.set_index("item")
    assert items.loc["unified_finance", "evidence"] == "财务中心文件"
    assert items.loc["unified_information_system", "status"] == "not_met"


def test_template_refuses_other_formats(tmp_path):
    with pytest.raises(ParameterError, match=r"\.csv or \.xlsx"):
        write_checklist_template(tmp_path / "checklist.ods")


# ---------------------------------------------------------------------------------------------
# Custom checklist files
# ---------------------------------------------------------------------------------------------

COMMUNITY = '[[community]]\ncode = "service"\nname_zh = "服务共同体"\nname_en = "Services"\n'
ITEM = (
    '[[item]]\ncode = "x"\nname_zh = "甲"\nname_en = "A"\ncommunity = "service"\nweight = 1\n'
    'criterion_zh = "甲"\ncriterion_en = "A"\nsource = "test"\nprovenance = "C"\n'
)


def test_custom_checklist(tmp_path):
    path = tmp_path / "checklist.toml"
    path.write_text(COMMUNITY + ITEM, encoding="utf-8")
    checklist = load_checklist(path)
    card = score_integration(checklist_rows({"x": "partial"}), checklist=checklist)
    assert card.overall["score"].iloc[0] == 50.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (COMMUNITY + ITEM.replace('community = "service"', 'community = "other"'), "not defined"),
        (COMMUNITY + ITEM.replace("weight = 1", "weight = 0"), "weight"),
        (COMMUNITY + ITEM.replace('provenance = "C"', 'provenance = "X"'), "provenance"),
        (COMMUNITY + ITEM + ITEM, "duplicate"),
        (COMMUNITY + ITEM + 'catalogue_indicator = "primary_visit_share"\n', "qualitative"),
        (COMMUNITY + ITEM + "colour = 1\n", "unknown field"),
        (ITEM, "communities"),
        (COMMUNITY, "no \\[\\[item\\]\\]"),
    ],
)
def test_bad_checklist_files(tmp_path, text, message):
    path = tmp_path / "checklist.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ChecklistError, match=message):
        load_checklist(path)
