"""Provenance of a report: versions, input and configuration hashes, targets and settings.

Everything a reviewer needs to reproduce a report's numbers, gathered once so the methods
appendix and the machine-readable results state exactly the same facts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache

import pandas as pd

#: Packaged configuration files whose content decides the numbers (hashed into the provenance).
CONFIGURATION_FILES: tuple[str, ...] = ("indicators.toml", "targets.toml", "report.toml")


@dataclass(frozen=True)
class Provenance:
    """Facts that pin down a report's numbers.

    Attributes
    ----------
    package_version : str
    data_source : str
        Input file name (no directories).
    data_sha256 : str
    parameters : tuple of (name, value)
        Report parameters, sorted by name, values as text.
    configuration : tuple of (file, sha256)
        Packaged configuration files (:data:`CONFIGURATION_FILES`) and their SHA-256.
    targets_name : str
        Name given in the target file.
    targets : DataFrame
        Targets in force for the province and year
        (:func:`ylt_eval.metrics.targets.targets_table`).
    settings : tuple of (name, value)
        Estimator and assessment settings in a fixed order (names are stable keys the report
        translates; values are text).
    """

    package_version: str
    data_source: str
    data_sha256: str
    parameters: tuple[tuple[str, str], ...]
    configuration: tuple[tuple[str, str], ...]
    targets_name: str
    targets: pd.DataFrame
    settings: tuple[tuple[str, str], ...]


def report_provenance(
    data, parameters: dict[str, object], province: str | None, year: int, config
) -> Provenance:
    """Gather the provenance of one report.

    Parameters
    ----------
    data : AssessmentData
    parameters : dict
        Parameters to record (no local paths: give file names).
    province : str or None
        Province whose target overrides apply (None: the default set).
    year : int
    config : ReportConfig
    """
    import ylt_eval
    from ylt_eval.metrics.targets import default_targets, targets_table

    return Provenance(
        package_version=ylt_eval.__version__,
        data_source=data.source_name,
        data_sha256=data.sha256,
        parameters=tuple(sorted((str(k), _text(v)) for k, v in parameters.items())),
        configuration=tuple((name, resource_sha256(name)) for name in CONFIGURATION_FILES),
        targets_name=default_targets().name,
        targets=targets_table(province or None, year),
        settings=estimator_settings(config),
    )


def estimator_settings(config) -> tuple[tuple[str, str], ...]:
    """Settings of every estimator and rule behind the report's numbers, in a fixed order."""
    from ylt_eval.analysis.comparison import MIN_PEERS
    from ylt_eval.analysis.counterfactual import (
        MIN_DONORS,
        MIN_PRE_PERIODS,
        POOR_FIT_RATIO,
        STANDS_OUT_P_VALUE,
    )
    from ylt_eval.analysis.impact import BOOTSTRAP_DRAWS, BOOTSTRAP_SEED
    from ylt_eval.metrics.early_warning import WarningRules
    from ylt_eval.metrics.grading import MIN_PEERS_FOR_GRADE

    rule = config.disclosure
    return (
        ("cs_outcome", config.impact_outcome),
        ("cs_control_group", "notyettreated"),
        ("cs_est_method", "reg"),
        ("cs_base_period", "varying"),
        ("cs_event_window", f"{config.min_e}…{config.max_e}"),
        ("cs_bootstrap_draws", str(BOOTSTRAP_DRAWS)),
        ("cs_seed", str(BOOTSTRAP_SEED)),
        ("cs_band", "uniform 95%"),
        ("twfe_se", "CRV1 (county)"),
        ("sdid_min_pre_periods", str(MIN_PRE_PERIODS)),
        ("sdid_min_donors", str(MIN_DONORS)),
        ("sdid_poor_fit_ratio", f"{POOR_FIT_RATIO:.3f}"),
        ("sdid_stands_out_p", f"{STANDS_OUT_P_VALUE:.2f}"),
        ("min_peers", str(MIN_PEERS)),
        ("min_peers_grade", str(MIN_PEERS_FOR_GRADE)),
        ("min_peers_outlier", str(WarningRules().min_peers)),
        ("disclosure_rule", f"{rule.name} ({rule.suppress_low}–{rule.suppress_high})"),
    )


@cache
def resource_sha256(name: str) -> str:
    """SHA-256 of a packaged resource file."""
    from ylt_eval.resources import resource_path

    return hashlib.sha256(resource_path(name).read_bytes()).hexdigest()


def _text(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={value[k]}" for k in sorted(value))
    return "" if value is None else str(value)
