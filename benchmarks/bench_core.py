"""Speed and memory of the library core (no notebooks): python benchmarks/bench_core.py

Measures validation, indicator computation and the DiD estimators on the demo province, on R's
mpdta example and on a synthetic national panel (2,800 counties × 12 years). Prints a table;
nothing is asserted (timings depend on the machine).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import measure, print_table

REPO = Path(__file__).resolve().parent.parent


def national_panel(n_counties: int = 2800, years: range = range(2013, 2025)) -> pd.DataFrame:
    """Synthetic staggered panel with a planted effect (outcome ``y``, cohort ``g``)."""
    rng = np.random.default_rng(7)
    cohorts = rng.choice([0, 2016, 2018, 2019, 2021, 2022], size=n_counties)
    ids = np.repeat(np.arange(n_counties), len(years))
    year = np.tile(np.asarray(years), n_counties)
    g = np.repeat(cohorts, len(years))
    unit_effect = np.repeat(rng.normal(0, 1, n_counties), len(years))
    treated = (g > 0) & (year >= g)
    y = unit_effect + 0.1 * (year - 2013) + 0.5 * treated + rng.normal(0, 0.3, ids.size)
    x = np.repeat(rng.normal(0, 1, n_counties), len(years))
    return pd.DataFrame({"id": ids, "year": year, "g": g, "y": y, "x": x})


def main() -> None:
    from ylt_eval.demo import generate_demo_panel
    from ylt_eval.metrics.compute import compute_indicators
    from ylt_eval.models import aggte, att_gt, event_study, twfe
    from ylt_eval.validation import load_input

    demo_path = REPO / "data" / "demo" / "panel.csv"
    mpdta = pd.read_csv(REPO / "tests" / "data" / "mpdta.csv")
    national = national_panel()
    demo = generate_demo_panel()
    index = demo["county_code"].map({c: i for i, c in enumerate(sorted(set(demo["county_code"])))})
    big_raw = pd.concat(
        [demo.assign(county_code=(100000 + 100 * k + index).astype(str)) for k in range(35)],
        ignore_index=True,
    )  # 2,800 counties × 11 years of raw columns

    cases = [
        ("validate demo panel file (80 × 11)", lambda: load_input(demo_path)),
        ("compute indicators, demo (80 × 11)", lambda: compute_indicators(demo)),
        ("compute indicators, national raw (2,800 × 11)", lambda: compute_indicators(big_raw)),
        (
            "TWFE static, national (2,800 × 12)",
            lambda: twfe(national, "y", "year", "id", "g"),
        ),
        (
            "TWFE event study, national",
            lambda: event_study(national, "y", "year", "id", "g", min_e=-5, max_e=5),
        ),
        (
            "CS att_gt + aggte(dynamic), mpdta, analytic",
            lambda: aggte(att_gt(mpdta, "lemp", "year", "countyreal", "first.treat"), "dynamic"),
        ),
        (
            "CS att_gt + aggte(dynamic), mpdta, 999 bootstrap",
            lambda: aggte(
                att_gt(
                    mpdta,
                    "lemp",
                    "year",
                    "countyreal",
                    "first.treat",
                    bstrap=True,
                    biters=999,
                    cband=True,
                    seed=1,
                ),
                "dynamic",
            ),
        ),
        (
            "CS dr ~x, national, 999 bootstrap",
            lambda: aggte(
                att_gt(
                    national,
                    "y",
                    "year",
                    "id",
                    "g",
                    xformla="~x",
                    bstrap=True,
                    biters=999,
                    cband=True,
                    seed=1,
                ),
                "dynamic",
            ),
        ),
    ]
    rows = []
    for label, function in cases:
        seconds, peak_mb = measure(function, repeat=3)
        rows.append((label, f"{seconds * 1000:,.0f}", f"{peak_mb:,.1f}"))
    print_table("ylt_eval core (median of 3 runs)", ("task", "ms", "peak heap MB"), rows)


if __name__ == "__main__":
    main()
