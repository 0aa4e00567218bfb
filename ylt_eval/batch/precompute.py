"""Province-level computations a batch run does once and hands to every report of the province.

Each function here returns what ``analyse_county`` / ``analyse_province`` would compute for
themselves, called the same way, so a report's numbers do not depend on whether it was rendered
alone or in a batch (the batch tests compare the bytes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ylt_eval.analysis.counterfactual import (
    BaconDiagnostic,
    CounterfactualUnavailable,
    CountyCounterfactual,
    province_bacon,
    province_counterfactuals,
)
from ylt_eval.analysis.impact import ImpactEstimate, ImpactUnavailable, province_event_study
from ylt_eval.analysis.inputs import AssessmentData


@dataclass(frozen=True)
class ProvinceModels:
    """The heavy estimates of one province for one year.

    Attributes
    ----------
    impact : ImpactEstimate or None
        Reform-effect event study (None: not identified; reports then say why themselves).
    bacon : BaconDiagnostic or ImpactUnavailable or None
        Goodman-Bacon decomposition, or why there is none (None: not computed).
    counterfactuals : dict
        County code → the county's synthetic-control estimate or why there is none.
    """

    impact: ImpactEstimate | None = None
    bacon: BaconDiagnostic | ImpactUnavailable | None = None
    counterfactuals: dict[str, CountyCounterfactual | CounterfactualUnavailable] = field(
        default_factory=dict
    )

    def county_inputs(self, county_code: str) -> dict[str, object]:
        """Keyword arguments of ``analyse_county`` for one county of the province."""
        inputs: dict[str, object] = {}
        if self.impact is not None:
            inputs["impact"] = self.impact
        if self.bacon is not None:
            inputs["bacon"] = self.bacon
        if county_code in self.counterfactuals:
            inputs["counterfactual"] = self.counterfactuals[county_code]
        return inputs

    def province_inputs(self) -> dict[str, object]:
        """Keyword arguments of ``analyse_province``."""
        return {"impact": self.impact} if self.impact is not None else {}


def province_models(data: AssessmentData, province: str, year: int) -> ProvinceModels:
    """Estimate everything province-wide that the reports of ``province`` need for ``year``."""
    from ylt_eval.analysis.config import report_config

    outcome = report_config().impact_outcome
    if not province or data.indicators[data.indicators["province"] == province].empty:
        return ProvinceModels()
    try:
        bacon: BaconDiagnostic | ImpactUnavailable = province_bacon(data, province, year, outcome)
    except ImpactUnavailable as reason:
        bacon = reason
    try:
        counterfactuals = province_counterfactuals(data, province, year, outcome)
    except CounterfactualUnavailable:
        counterfactuals = {}  # each report finds out why for itself
    return ProvinceModels(province_impact(data, province, year), bacon, counterfactuals)


def province_impact(data: AssessmentData, province: str, year: int) -> ImpactEstimate | None:
    """The province's reform-effect estimate exactly as ``analyse_county`` would compute it.

    Returns
    -------
    ImpactEstimate or None
        None when the data cannot identify the effect; each report then finds that out itself
        (quickly) and states the reason.
    """
    from ylt_eval.analysis.config import report_config

    config = report_config()
    indicators = data.indicators[data.indicators["province"] == province]
    if not province or indicators.empty:
        return None
    try:
        return province_event_study(
            indicators,
            data.counties[data.counties["province"] == province],
            config.impact_outcome,
            last_year=year,
            min_e=config.min_e,
            max_e=config.max_e,
        )
    except ImpactUnavailable:
        return None
