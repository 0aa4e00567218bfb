"""The reports' province-level estimate recovers the demo province's planted effects.

The demo generator plants a known ATT by cohort and event time on the primary-care visit share
(data/demo/README.md). The CS dynamic estimate shown in every report must cover it; TWFE's
static coefficient, shown as a diagnostic, must be visibly biased downwards (effects grow with
time since reform and adoption is staggered).
"""

from __future__ import annotations

import pytest

from ylt_eval.analysis.impact import province_event_study
from ylt_eval.analysis.inputs import load_assessment_data
from ylt_eval.demo import generate_demo_panel, primary_visit_share_true_att


@pytest.fixture(scope="module")
def estimate(demo_panel_path):
    data = load_assessment_data(demo_panel_path)
    return province_event_study(
        data.indicators, data.counties, "primary_visit_share", last_year=2024, min_e=-5, max_e=5
    )


@pytest.fixture(scope="module")
def truth_by_event_time():
    truth = primary_visit_share_true_att()
    panel = generate_demo_panel()
    sizes = panel.groupby("reform_year")["county_code"].nunique()
    truth = truth.assign(weight=truth["cohort"].map(sizes))
    return truth.groupby("event_time").apply(
        lambda part: (part["att_pp"] * part["weight"]).sum() / part["weight"].sum(),
        include_groups=False,
    )


def test_every_post_event_time_inside_its_uniform_band(estimate, truth_by_event_time):
    post = estimate.estimates[estimate.estimates["time"] >= 0]
    for row in post.itertuples():
        truth = truth_by_event_time[row.time]
        assert row.conf_low <= truth <= row.conf_high, (row.time, truth, row)


def test_pre_reform_estimates_are_near_zero(estimate):
    pre = estimate.estimates[estimate.estimates["time"] < 0]
    assert (pre["conf_low"] <= 0).all() and (pre["conf_high"] >= 0).all()


def test_overall_close_to_truth_and_twfe_biased_down(estimate, truth_by_event_time):
    truth = truth_by_event_time.loc[0:5].mean()  # 7.62 pp
    assert abs(estimate.overall - truth) < 3 * estimate.overall_se
    assert estimate.twfe < truth - 2.0  # TWFE ≈ 4.7 pp: the bias the report warns about


def test_bootstrap_band_is_reproducible(demo_panel_path, estimate):
    data = load_assessment_data(demo_panel_path)
    again = province_event_study(
        data.indicators, data.counties, "primary_visit_share", last_year=2024, min_e=-5, max_e=5
    )
    assert again.estimates.equals(estimate.estimates)
