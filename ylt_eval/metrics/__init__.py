"""Indicators: the catalogue (data) and their computation from the raw panel.

``ylt_eval.metrics.catalogue`` is the catalogue *module*; call ``catalogue.catalogue()`` (or
``from ylt_eval.metrics.catalogue import catalogue``) for the tuple of indicators. The function
is deliberately not re-exported here, where it would shadow the module of the same name.
"""

from __future__ import annotations

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

__all__ = [
    "CatalogueError",
    "Indicator",
    "ShareConstraint",
    "catalogue_frame",
    "combine_sources",
    "compute_indicators",
    "headline_table",
    "indicator",
    "load_catalogue",
    "long_to_wide",
    "share_constraints",
]
