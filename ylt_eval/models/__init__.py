"""Impact-evaluation models: fit functions and the result objects they return.

Every estimator takes R ``did`` argument names (``yname, tname, idname, gname, xformla``),
never modifies its input, and returns an immutable :class:`EstimationResult` with ``tidy()``,
``glance()`` and ``summary()``.
"""

from __future__ import annotations

from ylt_eval.models.bacon import BaconResult, bacon
from ylt_eval.models.callaway_santanna import (
    AggteResult,
    AttGtResult,
    CallawaySantAnnaWarning,
    aggte,
    att_gt,
)
from ylt_eval.models.honest_did import HonestDiDResult, honest_did, honest_did_from_event_study
from ylt_eval.models.imputation import ImputationResult, imputation
from ylt_eval.models.randomization import (
    RandomizationResult,
    randomization_inference,
)
from ylt_eval.models.results import (
    TIDY_COLUMNS,
    EstimationResult,
    EstimatorConfig,
    EventStudyConfig,
    EventStudyResult,
    Inference,
    PanelSpec,
    Provenance,
    SampleInfo,
    TwfeConfig,
    TwfeResult,
)
from ylt_eval.models.sun_abraham import SunAbrahamResult, sun_abraham
from ylt_eval.models.synthetic import (
    PlaceboInference,
    SyntheticResult,
    synthetic_control,
    synthetic_did,
    synthetic_did_many,
)
from ylt_eval.models.twfe import event_study, twfe
from ylt_eval.models.wild_bootstrap import WildBootstrapResult, wild_cluster_bootstrap

__all__ = [
    "TIDY_COLUMNS",
    "AggteResult",
    "AttGtResult",
    "BaconResult",
    "CallawaySantAnnaWarning",
    "EstimationResult",
    "EstimatorConfig",
    "EventStudyConfig",
    "EventStudyResult",
    "HonestDiDResult",
    "ImputationResult",
    "Inference",
    "PanelSpec",
    "PlaceboInference",
    "Provenance",
    "RandomizationResult",
    "SampleInfo",
    "SunAbrahamResult",
    "SyntheticResult",
    "TwfeConfig",
    "TwfeResult",
    "WildBootstrapResult",
    "aggte",
    "att_gt",
    "bacon",
    "event_study",
    "honest_did",
    "honest_did_from_event_study",
    "imputation",
    "randomization_inference",
    "sun_abraham",
    "synthetic_control",
    "synthetic_did",
    "synthetic_did_many",
    "twfe",
    "wild_cluster_bootstrap",
]
