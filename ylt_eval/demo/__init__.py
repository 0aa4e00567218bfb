"""A fictional province (示范省) with planted reform effects, for demos and estimator checks.

All names, codes and numbers are synthetic; see ``data/demo/README.md``.
"""

from __future__ import annotations

from ylt_eval.demo.generator import (
    DEFAULT_SEED,
    DEMO_YEARS,
    PROVINCE_NAME,
    demo_counties_for_report,
    demo_panel_csv_text,
    generate_demo_panel,
    primary_visit_share_county_effects,
    primary_visit_share_true_att,
    write_demo_panel,
)

__all__ = [
    "DEFAULT_SEED",
    "DEMO_YEARS",
    "PROVINCE_NAME",
    "demo_counties_for_report",
    "demo_panel_csv_text",
    "generate_demo_panel",
    "primary_visit_share_county_effects",
    "primary_visit_share_true_att",
    "write_demo_panel",
]
