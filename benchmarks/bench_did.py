"""Speed and memory of the impact estimators: python benchmarks/bench_did.py

- Callaway–Sant'Anna with a 999-draw multiplier bootstrap (dynamic aggregation, uniform band)
  on R's mpdta example (500 counties × 5 years) and on a synthetic national panel (2,800
  counties × 12 years, see ``bench_core.national_panel``);
- one county's own effect for every reformed county of the demo province (80 counties,
  2014–2024, outcome ``primary_visit_share``): synthetic DiD and synthdid's synthetic control
  (all counties solved together by ``synthetic_did_many``) and the classic synthetic control
  (``synthetic_control``, one call per county), each with in-space placebos over every donor.
  Donors are the never-reformed counties (no county is reformed after the panel ends).

Prints a table; nothing is asserted (timings depend on the machine). Wall time is the median
of ``--repeat`` runs (CS) or one run (the per-county synthetic fits, which take seconds), each
after one warm-up run; peak heap is traced on one further run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import measure, print_table
from bench_core import national_panel

REPO = Path(__file__).resolve().parent.parent
OUTCOME = "primary_visit_share"
BOOTSTRAP_DRAWS = 999


def cs_bootstrap(data: pd.DataFrame, yname: str, tname: str, idname: str, gname: str) -> float:
    """CS ATT(g,t) with a 999-draw multiplier bootstrap, aggregated by event time."""
    from ylt_eval.models import aggte, att_gt

    fit = att_gt(
        data,
        yname,
        tname,
        idname,
        gname,
        bstrap=True,
        biters=BOOTSTRAP_DRAWS,
        cband=True,
        seed=1,
    )
    return aggte(fit, "dynamic").overall_att


def demo_outcome() -> tuple[pd.DataFrame, dict[str, float], list[str]]:
    """Demo province outcome panel, reform year of every reformed county, never-reformed codes."""
    from ylt_eval.metrics.compute import compute_indicators

    panel = pd.read_csv(REPO / "data" / "demo" / "panel.csv", dtype={"county_code": str})
    values = compute_indicators(panel, codes=[OUTCOME])[["county_code", "year", "value"]]
    reform = panel.groupby("county_code")["reform_year"].first()
    last_year = int(panel["year"].max())
    treated = reform[reform.notna() & (reform <= last_year)]
    donors = sorted(set(reform.index) - set(treated.index))
    return values, {code: float(year) for code, year in treated.items()}, donors


def synthdid_all_counties(
    values: pd.DataFrame, treatments: dict[str, float], donors: list[str], method: str
) -> int:
    from ylt_eval.models import synthetic_did_many

    fits = synthetic_did_many(
        values, "value", "year", "county_code", treatments, donors=donors, method=method
    )
    return len(fits)


def classic_sc_all_counties(
    values: pd.DataFrame, treatments: dict[str, float], donors: list[str]
) -> int:
    from ylt_eval.models import synthetic_control

    for county, year in treatments.items():
        synthetic_control(values, "value", "year", "county_code", county, year, donors=donors)
    return len(treatments)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each CS task")
    repeat = parser.parse_args().repeat

    mpdta = pd.read_csv(REPO / "tests" / "data" / "mpdta.csv")
    national = national_panel()
    values, treatments, donors = demo_outcome()
    n_treated, n_donors = len(treatments), len(donors)
    placebo_note = f"{n_treated} counties × {n_donors} placebos"
    cases = [
        (
            f"CS + {BOOTSTRAP_DRAWS} bootstrap, mpdta (500 × 5)",
            lambda: cs_bootstrap(mpdta, "lemp", "year", "countyreal", "first.treat"),
            "dr, never-treated controls",
            repeat,
        ),
        (
            f"CS + {BOOTSTRAP_DRAWS} bootstrap, national (2,800 × 12)",
            lambda: cs_bootstrap(national, "y", "year", "id", "g"),
            "dr, never-treated controls",
            repeat,
        ),
        (
            "SDID per county + placebos, demo (80 × 11)",
            lambda: synthdid_all_counties(values, treatments, donors, "sdid"),
            placebo_note,
            1,
        ),
        (
            "SC (synthdid) per county + placebos, demo",
            lambda: synthdid_all_counties(values, treatments, donors, "sc"),
            placebo_note,
            1,
        ),
        (
            "SC (Abadie, synthetic_control) per county + placebos, demo",
            lambda: classic_sc_all_counties(values, treatments, donors),
            placebo_note,
            1,
        ),
    ]
    rows = []
    for label, function, note, runs in cases:
        seconds, peak_mb = measure(function, repeat=runs)
        rows.append((label, f"{seconds:,.2f}", f"{peak_mb:,.1f}", note))
    print_table(
        f"ylt_eval impact estimators (CS: median of {repeat} runs; demo outcome {OUTCOME})",
        ("task", "wall s", "peak heap MB", "size"),
        rows,
    )


if __name__ == "__main__":
    main()
