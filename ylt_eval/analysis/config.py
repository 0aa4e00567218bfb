"""Which indicators each report section uses (``resources/report.toml``)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache

from ylt_eval.resources import resource_path


@dataclass(frozen=True)
class ReportConfig:
    """Section contents of the county and province reports.

    Attributes
    ----------
    headline : tuple of str
        Indicator codes of the headline table.
    trends : tuple of str
        Indicator codes drawn as trend charts.
    impact_outcome : str
        Outcome of the province-level event study.
    min_e, max_e : int
        Event-time window of the event study (end points bin the periods beyond).
    ranking : str
        Indicator that orders the province ranking.
    """

    headline: tuple[str, ...]
    trends: tuple[str, ...]
    impact_outcome: str
    min_e: int
    max_e: int
    ranking: str


@cache
def report_config() -> ReportConfig:
    """Load the packaged report configuration, checking every code against the catalogue."""
    from ylt_eval.metrics.catalogue import indicator

    with resource_path("report.toml").open("rb") as handle:
        raw = tomllib.load(handle)
    config = ReportConfig(
        headline=tuple(raw["county"]["headline"]),
        trends=tuple(raw["county"]["trends"]),
        impact_outcome=raw["impact"]["outcome"],
        min_e=int(raw["impact"]["min_e"]),
        max_e=int(raw["impact"]["max_e"]),
        ranking=raw["province"]["ranking"],
    )
    for code in {*config.headline, *config.trends, config.impact_outcome, config.ranking}:
        indicator(code)  # raises ParameterError naming close matches
    return config
