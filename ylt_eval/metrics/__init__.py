"""Indicators: the catalogue (data) and their computation from the raw panel.

``ylt_eval.metrics.catalogue`` is the catalogue *module*; call ``catalogue.catalogue()`` (or
``from ylt_eval.metrics.catalogue import catalogue``) for the tuple of indicators. The function
is deliberately not re-exported here, where it would shadow the module of the same name.
"""

from __future__ import annotations

from ylt_eval.metrics.assessment import (
    ASSESSMENT_COLUMNS,
    assess,
    assess_with_warnings,
    assessment_warnings,
)
from ylt_eval.metrics.catalogue import (
    CatalogueError,
    Indicator,
    ShareConstraint,
    catalogue_frame,
    indicator,
    load_catalogue,
    share_constraints,
)
from ylt_eval.metrics.compute import (
    combine_sources,
    compute_indicators,
    headline_table,
    long_to_wide,
)
from ylt_eval.metrics.grading import composite_scores, entropy_weights
from ylt_eval.metrics.integration import (
    load_checklist,
    read_checklist,
    score_integration,
    write_checklist_template,
)
from ylt_eval.metrics.targets import TargetSet, default_targets, evaluate_targets, load_targets

__all__ = [
    "ASSESSMENT_COLUMNS",
    "CatalogueError",
    "Indicator",
    "ShareConstraint",
    "TargetSet",
    "assess",
    "assess_with_warnings",
    "assessment_warnings",
    "catalogue_frame",
    "combine_sources",
    "composite_scores",
    "compute_indicators",
    "default_targets",
    "entropy_weights",
    "evaluate_targets",
    "headline_table",
    "indicator",
    "load_catalogue",
    "load_checklist",
    "load_targets",
    "long_to_wide",
    "read_checklist",
    "score_integration",
    "share_constraints",
    "write_checklist_template",
]
