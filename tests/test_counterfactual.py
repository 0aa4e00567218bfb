"""One county's own effect (synthetic DiD with placebos) and the province's Bacon diagnostic.

Known answers come from a generated province: a factor model in which county 990101 gets a
planted effect of +3 from its 2019 reform, county 990102 reforms in 2019 with no effect and
county 990103's pre-reform path zigzags so that no synthetic comparison can fit it.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ylt_eval.analysis.counterfactual import (
    POOR_FIT_RATIO,
    REASONS,
    CounterfactualUnavailable,
    CountyCounterfactual,
    county_counterfactual,
    province_bacon,
    province_counterfactuals,
)
from ylt_eval.analysis.county import CountyInfo
from ylt_eval.analysis.impact import ImpactUnavailable
from ylt_eval.analysis.inputs import AssessmentData
from ylt_eval.errors import ParameterError
from ylt_eval.report.counterfactual_sections import (
    bacon_section,
    counterfactual_methods_text,
    counterfactual_section,
)
from ylt_eval.report.elements import ELEMENT_MIME
from ylt_eval.report.i18n import Translator

OUTCOME = "primary_visit_share"
PROVINCE = "测试省"
YEAR = 2023
YEARS = range(2014, 2024)
PLANTED = 3.0
#: County → reform year (None: never). 990101 has the planted effect.
COHORTS = {
    "990101": 2019,
    "990102": 2019,
    "990103": 2019,
    **{f"9902{i:02d}": None for i in range(8)},
    **{f"9903{i:02d}": 2024 for i in range(3)},  # after the assessment year: donors
    **{f"9904{i:02d}": 2021 for i in range(3)},  # reformed inside the window: not donors
    "990501": 2016,  # two pre-reform years only
}


def _province(seed: int = 7) -> AssessmentData:
    rng = np.random.default_rng(seed)
    codes = list(COHORTS)
    years = np.array(list(YEARS))
    factor = np.sin((years - 2014) / 2.0)
    trend = -0.3 * (years - 2014)
    rows = []
    for code in codes:
        level = 42 + rng.uniform(-3, 3)
        loading = rng.uniform(0.5, 1.5)
        values = level + trend + loading * factor + rng.normal(0, 0.15, years.size)
        if code == "990101":
            values = values + np.where(years >= 2019, PLANTED, 0.0)
        if code == "990103":
            values = values + np.where(years < 2019, np.where(years % 2 == 0, 2.0, -2.0), 0.0)
        for year, value in zip(years, values, strict=True):
            rows.append((code, f"县{code[-3:]}", PROVINCE, int(year), OUTCOME, float(value), "x"))
    indicators = pd.DataFrame(
        rows,
        columns=["county_code", "county_name", "province", "year", "indicator", "value", "source"],
    )
    counties = pd.DataFrame(
        {
            "county_code": pd.array(codes, dtype="string"),
            "county_name": pd.array([f"县{code[-3:]}" for code in codes], dtype="string"),
            "province": pd.array([PROVINCE] * len(codes), dtype="string"),
            "reform_year": pd.array([COHORTS[code] for code in codes], dtype="Int64"),
            "consortium_name": pd.array([""] * len(codes), dtype="string"),
        }
    )
    return AssessmentData(
        panel=None,
        indicators=indicators,
        counties=counties,
        disagreements=pd.DataFrame(),
        warnings=(),
        source_name="generated.csv",
        sha256="0" * 64,
    )


def _info(code: str, province: str = PROVINCE) -> CountyInfo:
    return CountyInfo(code, f"县{code[-3:]}", province, COHORTS[code], "")


@pytest.fixture(scope="module")
def data_and_copies() -> tuple[AssessmentData, pd.DataFrame, pd.DataFrame]:
    data = _province()
    return data, data.indicators.copy(deep=True), data.counties.copy(deep=True)


@pytest.fixture(scope="module")
def data(data_and_copies) -> AssessmentData:
    return data_and_copies[0]


@pytest.fixture(scope="module")
def results(data) -> dict:
    return province_counterfactuals(data, PROVINCE, YEAR, OUTCOME)


@pytest.fixture(scope="module")
def treated(results) -> CountyCounterfactual:
    return results["990101"]


@pytest.fixture(scope="module")
def single(data) -> CountyCounterfactual:
    return county_counterfactual(data, _info("990101"), YEAR, OUTCOME)


# -- known answers ----------------------------------------------------------------------------


def test_planted_effect_recovered(treated):
    # Noise sd 0.15 per year, 5 pre and 5 post years: the SDID error has an sd of about 0.1.
    assert treated.att == pytest.approx(PLANTED, abs=0.4)
    assert treated.sc_att == pytest.approx(PLANTED, abs=0.6)
    post = treated.path[treated.path["post"]]
    assert (post["effect"] - PLANTED).abs().max() < 0.8
    assert treated.methods_agree


def test_treated_county_is_the_most_extreme_in_placebo_distribution(treated):
    # 8 never reformed + 3 reformed after the assessment year; the others were reformed.
    assert treated.n_donors == 11 and treated.n_units == 12
    assert treated.rank == 1
    assert treated.p_value == pytest.approx(1 / 12)
    placebo = treated.placebo
    assert placebo["treated"].sum() == 1 and bool(placebo["treated"].iloc[0])
    assert placebo.loc[~placebo["treated"], "estimate"].abs().max() < PLANTED / 2
    assert treated.verdict == "stands_out"


def test_pre_fit_stated_and_good(treated):
    pre = treated.path[~treated.path["post"]]
    rmspe = float(np.sqrt(np.mean(pre["effect"] ** 2)))
    assert treated.pre_rmspe == pytest.approx(rmspe)
    assert treated.pre_level == pytest.approx(pre["treated"].mean())
    assert treated.pre_rmspe_relative == pytest.approx(rmspe / abs(treated.pre_level))
    assert treated.fit_ratio == pytest.approx(rmspe / treated.placebo_pre_rmspe_median)
    assert treated.fit_ratio < POOR_FIT_RATIO
    assert treated.pre_rmspe < 0.3


def test_no_effect_county_within_placebo_and_zigzag_county_poor_fit(results):
    null = results["990102"]
    assert abs(null.att) < 0.5
    assert null.verdict == "within_placebo" and null.p_value > 0.1
    zigzag = results["990103"]
    assert zigzag.fit_ratio > POOR_FIT_RATIO and zigzag.verdict == "poor_fit"


def test_donors_untreated_throughout_window(treated):
    donors = set(treated.placebo.loc[~treated.placebo["treated"], "county_code"])
    assert donors == {c for c, g in COHORTS.items() if g is None or g > YEAR}
    assert treated.window_start == 2014 and treated.window_end == YEAR
    assert not treated.window_shortened
    assert (treated.n_pre, treated.n_post) == (5, 5)
    for weights in (treated.donor_weights, treated.sc_donor_weights):
        assert weights["weight"].sum() == pytest.approx(1.0)
        assert set(weights["county_code"]) == donors
    assert treated.time_weights["year"].tolist() == list(range(2014, 2019))
    top = treated.top_donors
    assert 0 < len(top) <= 5 and top["weight"].is_monotonic_decreasing
    assert set(top["county_code"]) <= donors
    assert top["county_name"].str.startswith("县").all()


def test_window_shortened_when_too_few_donors(data):
    # 11 donors through 2023; ending the window in 2020 adds the three 2021 reformers.
    result = county_counterfactual(data, _info("990101"), YEAR, OUTCOME, min_donors=13)
    assert result.window_shortened and result.window_end == 2020
    assert result.n_donors == 14 and result.n_post == 2
    donors = result.placebo.loc[~result.placebo["treated"], "county_code"]
    assert all(COHORTS[code] is None or COHORTS[code] > 2020 for code in donors)
    assert list(result.path["year"]) == list(range(2014, 2021))


# -- batch, determinism, inputs ---------------------------------------------------------------


def test_batch_equals_single_county(single, results):
    batch = results["990101"]
    assert single.att == pytest.approx(batch.att, abs=1e-10)
    assert single.p_value == batch.p_value
    np.testing.assert_allclose(single.placebo["estimate"], batch.placebo["estimate"], atol=1e-10)
    np.testing.assert_allclose(single.path["synthetic"], batch.path["synthetic"], atol=1e-10)


def test_deterministic(data, single):
    again = county_counterfactual(data, _info("990101"), YEAR, OUTCOME)
    assert again.att == single.att and again.p_value == single.p_value
    pd.testing.assert_frame_equal(again.placebo, single.placebo)
    pd.testing.assert_frame_equal(again.path, single.path)
    pd.testing.assert_frame_equal(again.top_donors, single.top_donors)


def test_input_not_modified(data_and_copies, results, single):
    data, indicators, counties = data_and_copies
    province_bacon(data, PROVINCE, YEAR, OUTCOME)
    pd.testing.assert_frame_equal(data.indicators, indicators)
    pd.testing.assert_frame_equal(data.counties, counties)


def test_every_county_of_province_listed(results):
    assert list(results) == sorted(COHORTS)
    estimated = {code for code, value in results.items() if isinstance(value, CountyCounterfactual)}
    assert estimated == {"990101", "990102", "990103", *(f"9904{i:02d}" for i in range(3))}


# -- unavailable reasons ----------------------------------------------------------------------


def _reason(data, code, **kwargs) -> str:
    info = kwargs.pop("info", None) or _info(code)
    year = kwargs.pop("year", YEAR)
    outcome = kwargs.pop("outcome", OUTCOME)
    with pytest.raises(CounterfactualUnavailable) as caught:
        county_counterfactual(data, info, year, outcome, **kwargs)
    assert caught.value.reason in REASONS
    return caught.value.reason


def test_unavailable_reasons(data):
    assert _reason(data, "990200") == "not_reformed"
    assert _reason(data, "990300", info=CountyInfo("990300", "x", PROVINCE, 2024, "")) == (
        "reformed_after_year"
    )
    assert _reason(data, "990501") == "too_few_pre_periods"
    assert _reason(data, "990101", min_pre_periods=6) == "too_few_pre_periods"
    assert _reason(data, "990101", min_donors=30) == "too_few_donors"
    assert _reason(data, "990101", outcome="in_county_admission_share") == "outcome_missing"
    assert _reason(data, "990101", info=_info("990101", province="")) == "no_province"


def test_no_post_data_and_incomplete_donors():
    data = _province()
    indicators = data.indicators
    drop = ((indicators["county_code"] == "990101") & (indicators["year"] >= 2019)) | (
        (indicators["county_code"] == "990200") & (indicators["year"] == 2015)
    )
    trimmed = AssessmentData(**{**data.__dict__, "indicators": indicators[~drop]})
    assert _reason(trimmed, "990101") == "no_post_data"
    result = county_counterfactual(trimmed, _info("990102"), YEAR, OUTCOME)
    assert result.n_incomplete_donors == 1 and result.n_donors == 10


def test_bad_arguments(data):
    with pytest.raises(ParameterError):
        county_counterfactual(data, _info("990101"), "2023", OUTCOME)
    with pytest.raises(ParameterError):
        province_counterfactuals(data, PROVINCE, YEAR, OUTCOME, min_donors=1)


# -- Bacon ------------------------------------------------------------------------------------


def test_bacon_weights_sum_to_one_and_reproduce_twfe(data):
    from ylt_eval.analysis.impact import _estimation_sample
    from ylt_eval.models import twfe

    diagnostic = province_bacon(data, PROVINCE, YEAR, OUTCOME)
    by_type = diagnostic.by_type
    assert by_type["weight"].sum() == pytest.approx(1.0)
    assert (by_type["weight"] * by_type["estimate"]).sum() == pytest.approx(diagnostic.twfe)
    sample = _estimation_sample(data.indicators, data.counties, OUTCOME, YEAR)
    fit = twfe(sample, yname="value", tname="year", idname="county_code", gname="cohort")
    assert diagnostic.twfe == pytest.approx(float(fit.tidy()["estimate"].iloc[0]), abs=1e-9)
    assert diagnostic.n_counties == len(COHORTS) and diagnostic.n_dropped == 0
    assert set(by_type["type"]) == {"earlier_vs_later", "later_vs_earlier", "treated_vs_untreated"}
    forbidden = by_type.loc[by_type["type"] == "later_vs_earlier", "weight"].iloc[0]
    assert diagnostic.later_vs_earlier_weight == pytest.approx(forbidden)


def test_bacon_unavailable(data):
    never = data.counties.assign(reform_year=pd.array([None] * len(data.counties), "Int64"))
    with pytest.raises(ImpactUnavailable) as caught:
        province_bacon(
            AssessmentData(**{**data.__dict__, "counties": never}), PROVINCE, YEAR, OUTCOME
        )
    assert caught.value.reason == "no_reformed"
    with pytest.raises(ImpactUnavailable) as caught:
        province_bacon(data, "", YEAR, OUTCOME)
    assert caught.value.reason == "no_province"


# -- report sections --------------------------------------------------------------------------


def _texts(payload) -> str:
    return json.dumps(payload, ensure_ascii=False)


def _strings(payload) -> list[str]:
    """Every text an element shows (figures' SVG left out)."""
    if isinstance(payload, dict):
        if payload.get("kind") == "figure":
            return [payload["alt"], payload["caption"]]
        return [text for value in payload.values() for text in _strings(value)]
    if isinstance(payload, list | tuple):
        return [text for value in payload for text in _strings(value)]
    return [payload] if isinstance(payload, str) else []


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("code", ["990101", "990102", "990103"])
def test_section_with_estimate(results, lang, code):
    t = Translator(lang)
    element = counterfactual_section(results[code], None, t, "测试县")
    payload = element._repr_mimebundle_()[ELEMENT_MIME]
    kinds = [child["kind"] for child in payload["children"]]
    assert kinds.count("figure") == 2 and kinds.count("table") == 1
    assert all(
        child["svg"].startswith("<?xml")
        for c in [payload]
        for child in c["children"]
        if child["kind"] == "figure"
    )
    strings = _strings(payload)
    text = " ".join(strings)
    assert "测试县" in text
    assert not [string for string in strings if "{" in string or "}" in string or "cf_" in string]
    verdict = results[code].verdict
    marker = {
        ("zh", "poor_fit"): "不可信",
        ("en", "poor_fit"): "not credible",
        ("zh", "stands_out"): "相符",
        ("en", "stands_out"): "consistent with",
        ("zh", "within_placebo"): "不能把本县的变化归因于改革",
        ("en", "within_placebo"): "cannot be attributed",
    }[(lang, verdict)]
    assert marker in text
    assert ("不能得出的结论" if lang == "zh" else "What cannot be concluded") in text
    assert "<section>" in element.to_html()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_section_unavailable_every_reason(lang):
    t = Translator(lang)
    for reason in REASONS:
        element = counterfactual_section(
            None, CounterfactualUnavailable(reason, "detail"), t, "测试县"
        )
        text = _texts(element.to_json())
        assert "测试县" in text and "cf_" not in text
    assert counterfactual_section(None, None, t, "测试县").children


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_bacon_section(data, lang):
    t = Translator(lang)
    element = bacon_section(province_bacon(data, PROVINCE, YEAR, OUTCOME), None, t)
    table = next(child for child in element.children if child.kind == "table")
    assert len(table.rows) == 3
    assert sum(float(row[1].rstrip("%")) for row in table.rows) == pytest.approx(100, abs=0.2)
    for reason in ("no_province", "no_reformed", "no_comparison", "estimator"):
        assert bacon_section(None, ImpactUnavailable(reason, "x"), t).children
    assert counterfactual_methods_text(t)


def test_charts_deterministic(results):
    t = Translator("zh")
    first = counterfactual_section(results["990101"], None, t, "测试县")
    second = counterfactual_section(results["990101"], None, t, "测试县")
    assert first.to_json() == second.to_json()


# -- demo province (slow) ---------------------------------------------------------------------


@pytest.mark.slow
def test_demo_province_all_counties_fast_and_close_to_truth(demo_panel_path):
    import time

    from ylt_eval.analysis.config import report_config
    from ylt_eval.analysis.inputs import load_assessment_data
    from ylt_eval.demo import primary_visit_share_county_effects

    data = load_assessment_data(demo_panel_path)
    outcome = report_config().impact_outcome
    start = time.perf_counter()
    results = province_counterfactuals(data, "示范省", 2024, outcome)
    elapsed = time.perf_counter() - start
    estimates = [r for r in results.values() if isinstance(r, CountyCounterfactual)]
    assert len(results) == 80 and len(estimates) == 66
    assert elapsed < 60
    truth = primary_visit_share_county_effects()
    errors = []
    for result in estimates:
        own = truth[
            (truth["county_code"] == result.county_code) & (truth["year"] >= result.reform_year)
        ]
        errors.append(result.att - own["effect_pp"].mean())
    errors = np.abs(errors)
    assert errors.mean() < 0.4 and errors.max() < 1.5
    assert sum(r.verdict == "stands_out" for r in estimates) >= 60


@pytest.mark.parametrize(("lang", "marker"), [("zh", "方向相反"), ("en", "opposite sign")])
def test_section_warns_when_methods_disagree(treated, lang, marker):
    from dataclasses import replace

    disagreeing = replace(treated, sc_att=-treated.sc_att, methods_agree=False)
    text = " ".join(
        _strings(counterfactual_section(disagreeing, None, Translator(lang), "县").to_json())
    )
    assert marker in text


def test_poor_fit_rule(results):
    zigzag = results["990103"]
    # Its pre-reform misfit is as large as its post-reform gap: the ratio does not stand out.
    assert zigzag.fit_poor and zigzag.rmspe_ratio_p_value > 0.1
    assert not results["990101"].fit_poor


@pytest.mark.parametrize(("lang", "marker"), [("zh", "组建前拟合较差"), ("en", "fit is poor")])
def test_section_caveat_when_fit_poor_but_gap_extreme(treated, lang, marker):
    from dataclasses import replace

    caveated = replace(treated, fit_poor=True, fit_ratio=3.0)
    text = " ".join(
        _strings(counterfactual_section(caveated, None, Translator(lang), "县").to_json())
    )
    assert marker in text
    assert ("相符" if lang == "zh" else "consistent with") in text


def test_results_survive_pickling_for_batch_processes(results):
    import pickle

    unavailable = pickle.loads(pickle.dumps(results["990200"]))
    assert isinstance(unavailable, CounterfactualUnavailable)
    assert (unavailable.reason, unavailable.detail) == ("not_reformed", "")
    estimate = pickle.loads(pickle.dumps(results["990101"]))
    assert estimate.att == results["990101"].att
    pd.testing.assert_frame_equal(estimate.placebo, results["990101"].placebo)
