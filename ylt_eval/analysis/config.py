"""Which indicators each report section uses (``resources/report.toml``)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache

from ylt_eval.disclosure import DisclosureRule
from ylt_eval.errors import ParameterError
from ylt_eval.resources import resource_path


@dataclass(frozen=True)
class ReferralCodes:
    """Catalogue codes of one referral direction (count, year-on-year growth, rate)."""

    count: str
    growth: str
    rate: str


@dataclass(frozen=True)
class LevelPair:
    """One finance measure at county and township level.

    Attributes
    ----------
    measure : str
        Key of the measure's label in ``messages.toml`` (``finance_<measure>``).
    county, township : str
        Catalogue codes of the measure at each level.
    """

    measure: str
    county: str
    township: str


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
        Event-time window of the event study (event times outside it are left out).
    ranking : str
        Indicator that orders the province ranking.
    dimensions : tuple of str
        Order of the catalogue dimensions in the assessment (scorecard and outcomes).
    outcome_dimensions : tuple of str
        Dimensions shown in the quality-and-health section rather than the scorecard.
    referrals : dict
        ``"up"`` / ``"down"`` → :class:`ReferralCodes`.
    finance_by_level : tuple of LevelPair
        Rows of the finance-and-pay table.
    finance_other : tuple of str
        Further finance and patient-burden indicators.
    disclosure : DisclosureRule
        Small-cell rule applied to every published county figure (``[disclosure]``).
    """

    headline: tuple[str, ...]
    trends: tuple[str, ...]
    impact_outcome: str
    min_e: int
    max_e: int
    ranking: str
    dimensions: tuple[str, ...]
    referrals: dict[str, ReferralCodes]
    finance_by_level: tuple[LevelPair, ...]
    finance_other: tuple[str, ...]
    disclosure: DisclosureRule
    outcome_dimensions: tuple[str, ...] = ()

    @property
    def scorecard_dimensions(self) -> tuple[str, ...]:
        """Dimensions shown in the scorecard (the outcome dimensions are shown apart)."""
        return tuple(d for d in self.dimensions if d not in self.outcome_dimensions)

    @property
    def finance_codes(self) -> tuple[str, ...]:
        """Every indicator of the finance section, in display order."""
        pairs = tuple(
            code for pair in self.finance_by_level for code in (pair.county, pair.township)
        )
        return (*pairs, *self.finance_other)

    @property
    def referral_codes(self) -> tuple[str, ...]:
        """Every indicator of the referral section."""
        return tuple(
            code
            for codes in self.referrals.values()
            for code in (codes.count, codes.growth, codes.rate)
        )


@cache
def report_config() -> ReportConfig:
    """Load the packaged report configuration, checking every code against the catalogue."""
    from ylt_eval.metrics.catalogue import DIMENSIONS, indicator

    with resource_path("report.toml").open("rb") as handle:
        raw = tomllib.load(handle)
    config = ReportConfig(
        headline=tuple(raw["county"]["headline"]),
        trends=tuple(raw["county"]["trends"]),
        impact_outcome=raw["impact"]["outcome"],
        min_e=int(raw["impact"]["min_e"]),
        max_e=int(raw["impact"]["max_e"]),
        ranking=raw["province"]["ranking"],
        dimensions=tuple(raw["county"]["scorecard"]["dimensions"]),
        referrals={
            direction: ReferralCodes(**codes)
            for direction, codes in raw["county"]["referrals"].items()
        },
        finance_by_level=tuple(LevelPair(**pair) for pair in raw["county"]["finance"]["by_level"]),
        finance_other=tuple(raw["county"]["finance"]["other"]),
        disclosure=DisclosureRule.from_config(raw.get("disclosure", {})),
        outcome_dimensions=tuple(raw["county"].get("outcomes", {}).get("dimensions", ())),
    )
    unknown = sorted(set(config.dimensions) - DIMENSIONS)
    unknown += sorted(set(config.outcome_dimensions) - set(config.dimensions))
    if unknown or set(config.referrals) != {"up", "down"}:
        raise ParameterError(
            f"report.toml: unknown dimension(s) {unknown} or referral directions other than up/down"
        )
    codes = {
        *config.headline,
        *config.trends,
        config.impact_outcome,
        config.ranking,
        *config.finance_codes,
        *config.referral_codes,
    }
    for code in codes:
        indicator(code)  # raises ParameterError naming close matches
    return config
