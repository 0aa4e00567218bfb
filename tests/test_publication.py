"""Disclosure control of what reports publish (ylt_eval.analysis.publication)."""

from __future__ import annotations

import pandas as pd
import pytest

from ylt_eval.analysis.county import analyse_county
from ylt_eval.analysis.inputs import load_assessment_data
from ylt_eval.analysis.province import analyse_province
from ylt_eval.analysis.publication import publishable, withheld_cells
from ylt_eval.disclosure import DisclosureRule
from ylt_eval.report.common_sections import disclosure_text
from ylt_eval.report.i18n import Translator
from ylt_eval.report.parameters import county_parameters, province_parameters

COUNTY = "990122"


@pytest.fixture(scope="module")
def edited_panel(tmp_path_factory, demo_panel_path):
    """The demo panel with planted small counts in county 990122."""
    panel = pd.read_csv(demo_panel_path, dtype={"county_code": str})
    in_county = panel["county_code"] == COUNTY
    panel.loc[in_county & (panel["year"] == 2022), "referrals_up"] = 5  # small
    panel.loc[in_county & (panel["year"] == 2023), "referrals_up"] = 8  # just above
    panel.loc[in_county, "maternal_deaths"] = 0  # zeros are published
    panel.loc[in_county & (panel["year"] == 2024), "maternal_deaths"] = 7
    path = tmp_path_factory.mktemp("publication") / "panel.csv"
    panel.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def edited_data(edited_panel):
    return load_assessment_data(edited_panel)


def _cells(frame: pd.DataFrame, county: str) -> set[tuple[int, str]]:
    own = frame[frame["county_code"] == county]
    return set(zip(own["year"].astype(int), own["indicator"], strict=True))


def test_withheld_cells_known_answer(edited_data):
    withheld = withheld_cells(edited_data.panel, DisclosureRule.county_totals())
    assert _cells(withheld, COUNTY) == {
        (2022, "referrals_up"),
        (2022, "referral_up_rate"),
        (2022, "referrals_up_growth"),  # 5 is this year's count
        (2023, "referrals_up_growth"),  # 5 is last year's count
        (2024, "maternal_mortality"),  # 7 deaths
    }
    row = withheld[(withheld["county_code"] == COUNTY) & (withheld["year"] == 2024)]
    assert row["columns"].tolist() == ["maternal_deaths"]


def test_publishable_removes_exactly_the_withheld_cells(edited_data):
    before = edited_data.indicators.copy()
    publication = publishable(edited_data)
    pd.testing.assert_frame_equal(edited_data.indicators, before)  # input not modified
    published = publication.data.indicators
    assert len(before) - len(published) == len(publication.withheld)
    assert not _cells(published, COUNTY) & _cells(publication.withheld, COUNTY)
    assert publication.checked and publication.rule == DisclosureRule.county_totals()


def test_rule_is_configurable(edited_data):
    stricter = DisclosureRule(suppress_high=10, rounding_base=1)
    withheld = withheld_cells(edited_data.panel, stricter)
    assert (2023, "referrals_up") in _cells(withheld, COUNTY)  # 8 is now small
    nothing = publishable(edited_data, DisclosureRule.none())
    assert nothing.withheld.empty and len(nothing.data.indicators) == len(edited_data.indicators)


def test_county_report_never_shows_a_withheld_value(edited_panel, edited_data):
    params = county_parameters({"county_code": COUNTY, "year": 2024, "data_path": edited_panel})
    analysis = analyse_county(params, data=edited_data)
    scorecard = analysis.assessment.scorecard.set_index("indicator")
    assert "maternal_mortality" not in scorecard.index or pd.isna(
        scorecard.loc["maternal_mortality", "value"]
    )
    referrals = analysis.assessment.referrals
    assert 5 not in referrals.to_numpy().ravel().tolist()
    text = disclosure_text(analysis.publication, COUNTY, Translator("zh"))
    assert "孕产妇死亡率 2024" in text and "上转人次 2022" in text and "5 个数值" in text
    english = disclosure_text(analysis.publication, COUNTY, Translator("en"))
    assert "1–7" in english and "5 figures" in english


def test_province_summary_states_the_rule(edited_panel, edited_data):
    params = province_parameters({"province": "示范省", "year": 2024, "data_path": edited_panel})
    analysis = analyse_province(params, data=edited_data)
    text = disclosure_text(analysis.publication, None, Translator("en"))
    assert f"{len(analysis.publication.withheld)} county-year indicator values" in text


def test_indicator_level_input_cannot_be_checked_and_says_so(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(
        "county_code,county_name,year,indicator,value\n350125,永泰县,2021,maternal_mortality,0\n",
        encoding="utf-8",
    )
    publication = publishable(load_assessment_data(path))
    assert not publication.checked and publication.withheld.empty
    assert "could not be checked" in disclosure_text(publication, "350125", Translator("en"))
